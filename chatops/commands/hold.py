"""``hold NAME [REASON]`` (reviewers): keep a draft from being published (a veto draft's window passes)."""

from __future__ import annotations

from chatops.commands.base import Command, CommandContext, Reply
from chatops.commands.reviewing import digest_name, later, service, split_name

USAGE = "hold NAME [REASON]"


def run(ctx: CommandContext, args: str) -> Reply:
    word, rest = split_name(args)
    name = digest_name(ctx, word, USAGE)
    reviews, message = service(ctx), ctx.message
    return later(ctx, "hold", lambda: reviews.hold(name, message.sender_email, message.sender_id, reason=rest or None))


COMMAND = Command(name="hold", usage=USAGE, summary="reviewers: stop a draft from going out", run=run)
