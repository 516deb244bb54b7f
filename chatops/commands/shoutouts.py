"""``shoutouts [mine | @**Name** | this week | this month | since DATE]``: list recent shout-outs."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from chatops.commands.base import Command, CommandContext, CommandError, Reply
from chatops.commands.format import person, shoutout_line
from chatops.commands.mentions import parse_recipients
from chatops.storage.shoutouts import list_shoutouts, list_shoutouts_for_person
from digests.markdown import escape_inline
from digests.model import Shoutout

USAGE = "shoutouts [mine | given | @Name | this week | this month | since DATE]"
SHOWN = 15


def _zone(ctx: CommandContext) -> ZoneInfo:
    return ZoneInfo(ctx.config.community.timezone if ctx.config is not None else "UTC")


def _since_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        shown = escape_inline(text.strip(), limit=40, target="zulip") or "nothing"
        raise CommandError(f"'since' needs a date like `2026-03-01` (got {shown}). Usage: `{USAGE}`") from None


def select_shoutouts(ctx: CommandContext, args: str) -> tuple[str, list[Shoutout]]:
    words = " ".join(args.split()).casefold()
    session = ctx.session
    message = ctx.message
    zone = _zone(ctx)
    local_now = ctx.now.astimezone(zone)
    if words in ("", "all", "recent", "latest"):
        return "Recent shout-outs", _recent(ctx)
    if words in ("mine", "me", "for me", "my"):
        found = list_shoutouts_for_person(
            session=session, user_id=message.sender_id, name=ctx.giver, limit=SHOWN + 1
        )
        return "Shout-outs for you", found
    if words in ("given", "by me", "from me"):
        found = list_shoutouts_for_person(
            session=session, user_id=message.sender_id, name=ctx.giver, giver=True, limit=SHOWN + 1
        )
        return "Shout-outs you gave", found
    if words in ("this week", "week"):
        start = (local_now - dt.timedelta(days=local_now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
        return "Shout-outs this week", list(reversed(list_shoutouts(session=session, since=start)))
    if words in ("this month", "month"):
        start = local_now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return "Shout-outs this month", list(reversed(list_shoutouts(session=session, since=start)))
    match = re.fullmatch(r"since\s+(.+)", words)
    if match:
        day = _since_date(match.group(1))
        start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
        return f"Shout-outs since {day.isoformat()}", list(reversed(list_shoutouts(session=session, since=start)))
    recipients, rest = parse_recipients(args)
    if recipients and not rest and len(recipients) == 1 and recipients[0].kind != "text":
        who = recipients[0]
        found = list_shoutouts_for_person(session=session, user_id=who.user_id, name=who.name, limit=SHOWN + 1)
        return f"Shout-outs for {person(who)}", found
    shown = escape_inline(args.strip(), limit=60, target="zulip")
    raise CommandError(f"I can't list shout-outs for {shown}. Usage: `{USAGE}`")


def _recent(ctx: CommandContext) -> list[Shoutout]:
    # The latest shout-outs of the last 90 days, newest first.
    found = list_shoutouts(session=ctx.session, since=ctx.now - dt.timedelta(days=90))
    return list(reversed(found))[: SHOWN + 1]


def run(ctx: CommandContext, args: str) -> Reply:
    title, found = select_shoutouts(ctx, args)
    if not found:
        return Reply(f"{title}: none yet. Be the first: `shoutout @Name for TEXT`.")
    from chatops.storage.people import opted_out_user_ids

    hidden = opted_out_user_ids(session=ctx.session)
    lines = [f"**{title}** (newest first):"]
    lines += [f"- {shoutout_line(s, hidden=hidden)}" for s in found[:SHOWN]]
    if len(found) > SHOWN:
        lines.append(f"- \u2026 and more; narrow it down with `{USAGE}`")
    return Reply("\n".join(lines))


COMMAND = Command(
    name="shoutouts",
    usage=USAGE,
    summary="list shout-outs: yours, someone's, or this week's",
    run=run,
    aliases=("list", "shout-outs"),
)
