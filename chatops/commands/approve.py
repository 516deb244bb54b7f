"""``approve NAME [PERIOD]`` (reviewers): publish a digest's draft, as edited, to every target, once."""

from __future__ import annotations

from chatops.commands.base import Command, CommandContext, Reply
from chatops.commands.reviewing import digest_name, later, service, split_name

USAGE = "approve NAME [PERIOD]"


def run(ctx: CommandContext, args: str) -> Reply:
    word, rest = split_name(args)
    name = digest_name(ctx, word, USAGE)
    reviews, message = service(ctx), ctx.message
    period = rest or None
    return later(ctx, "approval", lambda: reviews.approve(name, message.sender_email, message.sender_id, period=period))


COMMAND = Command(name="approve", usage=USAGE, summary="reviewers: publish a drafted digest", run=run)
