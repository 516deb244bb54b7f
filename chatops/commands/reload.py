"""``reload`` (admins): load the configuration files again, as SIGHUP and ``compass reload`` do.

The work is done by the running bot's ``Reloader`` (``compass run`` passes its ``RunnerDigests``, whose
``reload()`` calls ``Runner.reload``). An invalid configuration is rejected and the running one stays in
force; the answer quotes the validation error with anything that could be a secret masked.
"""

from __future__ import annotations

import logging
import re
from typing import Protocol, runtime_checkable

from chatops.commands.base import Command, CommandContext, CommandError, Reply

log = logging.getLogger(__name__)
USAGE = "reload"
ERROR_LIMIT = 1500  # characters of a validation error quoted in chat
MASK = "**********"
_SECRET_WORDS = re.compile(r"api[_-]?key|token|secret|password|passwd|zuliprc|credential", re.IGNORECASE)
_AFTER_KEY = re.compile(
    r"((?:api[_-]?key|token|secret|password|passwd|credential)[\w.\[\]]*['\"]?\s*(?::|=)\s*)(?!\*{10})(.+?)(?=: |$)",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")


@runtime_checkable
class Reloader(Protocol):
    def reload(self) -> tuple[bool, str]:
        """Reload the configuration; ``(accepted, message)``."""
        ...


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with every known secret value masked, and quoted values on lines about secrets masked.

    A validation error quotes the bad value and the key path; on a line naming an API key, token or
    password, that value (or the YAML line quoted by a parse error) may be the secret itself.
    """
    for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, MASK)
    lines = []
    for line in text.splitlines():
        if _SECRET_WORDS.search(line):
            line = _QUOTED.sub(f"'{MASK}'", line)
            # "zulip.api_key: 12345678: Input should be..." or a quoted YAML line "api_key: abc": the value
            # after a secret's key, up to the next ": ", is masked.
            line = _AFTER_KEY.sub(lambda m: m.group(1) + MASK, line)
        lines.append(line)
    return "\n".join(lines)


def _known_secrets(ctx: CommandContext) -> tuple[str, ...]:
    config = ctx.config
    if config is None:
        return ()
    found = []
    for section, name in (("zulip", "api_key"), ("discourse", "api_key"), ("releases", "github_token")):
        value = getattr(getattr(config, section, None), name, None)
        get = getattr(value, "get_secret_value", None)
        if get is not None:
            found.append(str(get()))
    return tuple(found)


def run(ctx: CommandContext, args: str) -> Reply:
    if args.strip():
        raise CommandError(f"`{USAGE}` takes no arguments; it reloads the files the bot was started with.")
    reloader = ctx.digests
    if not isinstance(reloader, Reloader):
        raise CommandError("This bot cannot reload from chat; send it SIGHUP or run `compass reload`.")
    secrets = _known_secrets(ctx)
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
