"""``review`` (reviewers): a single-use link to the review page, valid 15 minutes, by direct message."""

from __future__ import annotations

from chatops.commands.base import Command, CommandContext, Reply
from chatops.commands.reviewing import later, service

USAGE = "review"


def run(ctx: CommandContext, args: str) -> Reply:
    reviews, message = service(ctx), ctx.message
    # In a channel the link never shows: the answer there says it went by direct message.
    return later(ctx, "sign-in link", lambda: reviews.sign_in(message.sender_email, message.sender_id,
                                                             direct=message.is_direct))


COMMAND = Command(name="review", usage=USAGE, summary="reviewers: get a sign-in link to the review page", run=run)
