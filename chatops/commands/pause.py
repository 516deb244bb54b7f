"""``pause NAME`` / ``resume NAME`` (admins): stop or restart a digest's scheduled runs."""

from __future__ import annotations

from chatops.commands.base import Command, CommandContext, CommandError, Reply
from chatops.storage.state import set_paused
from digests.markdown import code_span


def _name(ctx: CommandContext, args: str, verb: str) -> str:
    words = args.split()
    names = [d.name for d in ctx.config.digests] if ctx.config is not None else []
    listing = f" Digests: {', '.join(f'`{n}`' for n in names)}." if names else " No digests are configured."
    if len(words) != 1:
        raise CommandError(f"Which digest? Usage: `{verb} NAME`.{listing}")
    if words[0] not in names:
        raise CommandError(f"There is no digest named {code_span(words[0], limit=64)}.{listing}")
    return words[0]


def pause(ctx: CommandContext, args: str) -> Reply:
    name = _name(ctx, args, "pause")
    changed = set_paused(session=ctx.session, digest=name, paused=True, by=ctx.giver, at=ctx.now)
    if not changed:
        return Reply(f"`{name}` was already paused. `resume {name}` restarts it.")
    return Reply(f"Paused `{name}`: it will not post until `resume {name}`.")


def resume(ctx: CommandContext, args: str) -> Reply:
    name = _name(ctx, args, "resume")
    changed = set_paused(session=ctx.session, digest=name, paused=False, by=ctx.giver, at=ctx.now)
    if not changed:
        return Reply(f"`{name}` was not paused.")
    return Reply(f"Resumed `{name}`: it posts again at its next scheduled time.")


PAUSE = Command(name="pause", usage="pause NAME", summary="stop a digest's scheduled posts", run=pause, admin=True, writes=True)
RESUME = Command(name="resume", usage="resume NAME", summary="restart a paused digest", run=resume, admin=True, writes=True)
