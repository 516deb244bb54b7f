"""``schedule`` (admins): the next run of each digest, and which are paused."""

from __future__ import annotations

from chatops.commands.base import Command, CommandContext, Reply
from chatops.schedules import next_fires
from chatops.storage.state import paused_digests

USAGE = "schedule"


def run(ctx: CommandContext, args: str) -> Reply:
    digests = ctx.config.digests if ctx.config is not None else []
    if not digests:
        return Reply("No digests are configured.")
    paused = paused_digests(session=ctx.session)
    lines = ["**Next runs:**"]
    for digest in digests:
        zone = ctx.config.digest_zone(digest) if ctx.config is not None else None
        assert zone is not None
        fires = next_fires(digest.schedule, zone, ctx.now)
        when = fires[0].strftime("%Y-%m-%d %H:%M %Z") if fires else "never"
        state = " (paused: `resume " + digest.name + "` restarts it)" if digest.name in paused else ""
        lines.append(f"- `{digest.name}` ({digest.schedule.expression}): {when}{state}")
    return Reply("\n".join(lines))


COMMAND = Command(name="schedule", usage=USAGE, summary="when each digest runs next", run=run, admin=True)
