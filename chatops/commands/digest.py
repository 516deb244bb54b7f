"""``digest preview NAME`` / ``digest post NAME`` (admins): show or publish a digest from chat.

The work is done by the context's ``DigestService`` (``chatops.service.CompassChat`` over the running ``Compass``).
"""

from __future__ import annotations

import logging

from chatops.commands.base import Command, CommandContext, CommandError, Reply
from chatops.errors import CompassError
from digests.markdown import code_span

log = logging.getLogger(__name__)
USAGE = "digest preview NAME | digest post NAME"
PREVIEW_LIMIT = 6000  # characters of a preview shown in chat


def run(ctx: CommandContext, args: str) -> Reply:
    words = args.split()
    if len(words) != 2 or words[0].casefold() not in ("preview", "post", "publish"):
        raise CommandError(f"Usage: `{USAGE}`{_names(ctx)}")
    action, name = words[0].casefold(), words[1]
    if ctx.config is None or not any(d.name == name for d in ctx.config.digests):
        raise CommandError(f"There is no digest named {code_span(name, limit=64)}.{_names(ctx)}")
    if ctx.digests is None:
        raise CommandError("Digests cannot be built from chat in this setup.")
    service, now = ctx.digests, ctx.now

    def later() -> str:
        # Runs after the message's transaction: building or posting a digest uses its own sessions.
        try:
            if action == "preview":
                text = service.preview(name, now)
                if len(text) > PREVIEW_LIMIT:
                    text = text[:PREVIEW_LIMIT].rsplit("\n", 1)[0] + "\n\n\u2026 (cut; `compass digest preview` shows it all)"
                return text
            return service.post(name, now)
        except CompassError as exc:
            log.warning('Digest "%s" %s from chat failed: %s', name, action, exc)
            return f"The {action} of `{name}` failed; the bot's log has the details."
        except ImportError:
            return "Digests cannot be built from chat in this build."

    return Reply(f"Working on the {action} of `{name}`\u2026", later=later)


def _names(ctx: CommandContext) -> str:
    names = [d.name for d in ctx.config.digests] if ctx.config is not None else []
    return f" Digests: {', '.join(f'`{n}`' for n in names)}." if names else " No digests are configured."


COMMAND = Command(name="digest", usage=USAGE, summary="preview or post a digest now", run=run, admin=True)
