"""``shoutout @**Name** [@**Other** ...] [for] TEXT``: record a thank-you and confirm it in the thread."""

from __future__ import annotations

import datetime as dt

from chatops.commands.base import Command, CommandContext, CommandError, Reply
from chatops.commands.format import recipients_text
from chatops.commands.mentions import parse_recipients
from chatops.storage.shoutouts import count_recent_shoutouts, record_shoutout
from digests.model import Recipient, Shoutout

USAGE = "shoutout @Name [@Other ...] [for] TEXT"
EXAMPLE = "`shoutout @Jane Doe for fixing CI` (pick the name from the @ list) or `shoutout the docs team for the new tutorial`"


def check_text(ctx: CommandContext, recipients: list[Recipient], text: str) -> None:
    """Refuse, kindly and specifically, a shout-out that has no recipient, no text or too much text."""
    if not recipients:
        raise CommandError(f"Who would you like to thank? Try {EXAMPLE}.")
    if not text:
        raise CommandError(f"What would you like to thank {recipients_text(recipients)} for? Try {EXAMPLE}.")
    limit = ctx.settings.max_length
    if len(text) > limit:
        raise CommandError(
            f"That shout-out is {len(text):,} characters long; the limit is {limit:,}. Could you make it shorter?"
        )


def run(ctx: CommandContext, args: str) -> Reply:
    recipients, text = parse_recipients(args)
    check_text(ctx, recipients, text)
    message = ctx.message
    limit = ctx.settings.rate_limit_per_hour
    given = count_recent_shoutouts(
        session=ctx.session,
        since=ctx.now - dt.timedelta(hours=1),
        giver_id=message.sender_id,
        giver=ctx.giver,
    )
    if given >= limit:
        raise CommandError(
            f"Thank you for being so generous! You have given {given} shout-outs in the last hour, "
            f"which is the limit ({limit} an hour). Please try this one again a little later."
        )
    saved = record_shoutout(
        session=ctx.session,
        shoutout=Shoutout(
            giver=ctx.giver,
            giver_id=message.sender_id,
            recipients=tuple(recipients),
            text=text,
            created_at=message.timestamp or ctx.now,
            stream=message.stream,
            topic=message.topic,
            message_id=message.message_id,
            permalink=message.permalink,
        ),
    )
    return Reply(
        f"Recorded shout-out #{saved.id} for {recipients_text(recipients)}. Thank you! "
        f"(`undo {saved.id}` takes it back, `edit {saved.id} TEXT` corrects it.)",
        reaction="tada",
    )


COMMAND = Command(
    name="shoutout",
    usage=USAGE,
    summary="thank someone; the thank-you goes into the next celebratory digest",
    run=run,
    aliases=("shout-out", "kudos"),
    writes=True,
)
