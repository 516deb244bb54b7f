"""``draft NAME`` (reviewers): show a digest's current draft, its state and what happens next."""

from __future__ import annotations

from chatops.commands.base import Command, CommandContext, Reply
from chatops.commands.reviewing import digest_name, later, service, split_name

USAGE = "draft NAME"


def run(ctx: CommandContext, args: str) -> Reply:
    word, _ = split_name(args)
    name = digest_name(ctx, word, USAGE)
    reviews, message = service(ctx), ctx.message
    return later(ctx, "draft", lambda: reviews.show_draft(name, message.sender_email, message.sender_id))


COMMAND = Command(name="draft", usage=USAGE, summary="reviewers: show the current draft of a digest", run=run)
