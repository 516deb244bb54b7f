"""``reload`` (admins): load the configuration files again, as SIGHUP and ``compass reload`` do.

The work is done by the running bot's ``Reloader`` (``compass run`` passes its ``RunnerDigests``, whose
``reload()`` calls ``Runner.reload``). An invalid configuration is rejected and the running one stays in
force; the answer quotes the validation error with anything that could be a secret masked
(``chatops.redact``).
"""

from __future__ import annotations

import logging
from typing import Protocol, runtime_checkable

from chatops.commands.base import Command, CommandContext, CommandError, Reply
from chatops.redact import MASK, config_secrets, redact

__all__ = ["COMMAND", "MASK", "Reloader", "redact"]

log = logging.getLogger(__name__)
USAGE = "reload"
ERROR_LIMIT = 1500  # characters of a validation error quoted in chat
@runtime_checkable
class Reloader(Protocol):
    def reload(self) -> tuple[bool, str]:
        """Reload the configuration; ``(accepted, message)``."""
        ...


def run(ctx: CommandContext, args: str) -> Reply:
    if args.strip():
        raise CommandError(f"`{USAGE}` takes no arguments; it reloads the files the bot was started with.")
    reloader = ctx.digests
    if not isinstance(reloader, Reloader):
        raise CommandError("This bot cannot reload from chat; send it SIGHUP or run `compass reload`.")
    secrets = config_secrets(ctx.config)
    who = ctx.giver

    def later() -> str:
        try:
            ok, message = reloader.reload()
        except Exception:
            log.exception("Reloading the configuration from chat failed")
            return "Reloading failed unexpectedly; the running configuration stays in force. The bot's log has the details."
        message = redact(message, secrets)
        log.info("Configuration reload asked for in chat by %s: %s", who, "accepted" if ok else "rejected")
        if ok:
            return f"Configuration {message}"
        if len(message) > ERROR_LIMIT:
            message = message[:ERROR_LIMIT] + "\n\u2026"
        fenced = message.replace("```", "'''")
        return f"The new configuration was not loaded:\n```text\n{fenced}\n```"

    return Reply("Reloading the configuration\u2026", later=later)


COMMAND = Command(name="reload", usage=USAGE, summary="load the configuration files again", run=run, admin=True)
