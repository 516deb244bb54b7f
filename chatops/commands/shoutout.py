"""``shoutout @**Name** [@**Other** ...] [for] TEXT``: record a thank-you and confirm it in the thread."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from chatops.commands.base import Command, CommandContext, CommandError, Reply
from chatops.commands.format import recipients_text
from chatops.commands.mentions import parse_recipients
from chatops.commands.shoutout_policy import check_policy
from chatops.storage.shoutouts import (
    count_recent_shoutouts,
    count_recent_shoutouts_by_giver,
    record_shoutout,
    record_shoutouts,
)
from digests.model import Recipient, Shoutout

__all__ = ["COMMAND", "ShoutoutBatch", "check_text", "run"]

USAGE = "shoutout @Name [@Other ...] [for] TEXT"
EXAMPLE = "`shoutout @Jane Doe for fixing CI` (pick the name from the @ list) or `shoutout the docs team for the new tutorial`"
RATE_WINDOW = dt.timedelta(hours=1)


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


def _given(ctx: CommandContext) -> int:
    """How many shout-outs the sender has recorded in the last hour."""
    return count_recent_shoutouts(
        session=ctx.session, since=ctx.now - RATE_WINDOW, giver_id=ctx.message.sender_id, giver=ctx.giver,
    )


def prepare(ctx: CommandContext, args: str, *, given: int, waiting: list[Shoutout] | None = None) -> Shoutout:
    """The shout-out ``args`` asks for, checked (text, length, policy, the sender's hourly limit) but not recorded.

    ``given`` is how many the sender recorded in the last hour, ``waiting`` the batch's shout-outs not yet
    recorded; ``CommandError`` answers a refusal.
    """
    recipients, text = parse_recipients(args)
    check_text(ctx, recipients, text)
    check_policy(ctx, recipients, text, waiting=waiting or ())
    limit = ctx.settings.rate_limit_per_hour
    if given >= limit:
        raise CommandError(
            f"Thank you for being so generous! You have given {given} shout-outs in the last hour, "
            f"which is the limit ({limit} an hour). Please try this one again a little later."
        )
    message = ctx.message
    return Shoutout(
        giver=ctx.giver,
        giver_id=message.sender_id,
        recipients=tuple(recipients),
        text=text,
        created_at=message.timestamp or ctx.now,
        stream=message.stream,
        topic=message.topic,
        message_id=message.message_id,
        permalink=message.permalink,
    )


def confirmation(saved: Shoutout) -> Reply:
    return Reply(
        f"Recorded shout-out #{saved.id} for {recipients_text(saved.recipients)}. Thank you! "
        f"(`undo {saved.id}` takes it back, `edit {saved.id} TEXT` corrects it.)",
        reaction="tada",
    )


def run(ctx: CommandContext, args: str) -> Reply:
    shoutout = prepare(ctx, args, given=_given(ctx))
    return confirmation(record_shoutout(session=ctx.session, shoutout=shoutout))


class ShoutoutBatch:
    """The shout-outs of a burst of messages, checked one by one and recorded together.

    Every message of the batch shares one transaction and one ``now``. The givers' counts for the rate
    limit are read in one query and then kept up to date in memory, so a shout-out sees the batch's
    earlier ones; ``record()`` inserts those waiting with one statement per table and returns their
    confirmations, in order. The dispatcher records before running any other command, which may read them.

    Example usage::

        batch = ShoutoutBatch(session, now=now, givers=[(8, "Ann Lee")])
        batch.add(ctx, "@**Bob|9** for the release")   # CommandError for a refusal
        replies = batch.record()
    """

    def __init__(self, session: Session, *, now: dt.datetime, givers: list[tuple[int | None, str]]) -> None:
        self.session = session
        self.now = now
        self._given = count_recent_shoutouts_by_giver(
            session=session, since=now - RATE_WINDOW,
            giver_ids=[i for i, _ in givers if i is not None],
            givers=[name for i, name in givers if i is None],
        ) if givers else {}
        self._waiting: list[Shoutout] = []

    def __len__(self) -> int:
        return len(self._waiting)

    def add(self, ctx: CommandContext, args: str) -> None:
        """Check one shout-out and keep it for ``record()``; ``CommandError`` answers a refusal."""
        assert ctx.session is self.session and ctx.now == self.now, "one batch, one transaction, one time"
        key: int | str = ctx.message.sender_id if ctx.message.sender_id is not None else ctx.giver
        given = self._given.get(key)
        if given is None:
            given = self._given[key] = _given(ctx)
        self._waiting.append(prepare(ctx, args, given=given, waiting=self._waiting))
        self._given[key] = given + 1

    def record(self) -> list[Reply]:
        """Insert the shout-outs waiting, in the order added; their confirmations."""
        waiting, self._waiting = self._waiting, []
        return [confirmation(saved) for saved in record_shoutouts(session=self.session, shoutouts=waiting)]


COMMAND = Command(
    name="shoutout",
    usage=USAGE,
    summary="thank someone; the thank-you goes into the next celebratory digest",
    run=run,
    aliases=("shout-out", "kudos"),
    writes=True,
)
