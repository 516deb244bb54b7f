"""``skip NAME [REASON]`` (reviewers): publish nothing for the drafted period; who and why are recorded."""

from __future__ import annotations

from chatops.commands.base import Command, CommandContext, Reply
from chatops.commands.reviewing import digest_name, later, service, split_name

USAGE = "skip NAME [REASON]"


def run(ctx: CommandContext, args: str) -> Reply:
    word, rest = split_name(args)
    name = digest_name(ctx, word, USAGE)
    reviews, message = service(ctx), ctx.message
    return later(ctx, "skip", lambda: reviews.skip(name, message.sender_email, message.sender_id, reason=rest or None))


COMMAND = Command(name="skip", usage=USAGE, summary="reviewers: skip a drafted period (with a reason)", run=run)
