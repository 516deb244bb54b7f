"""Every command compass understands, in help order, and typo-forgiving lookup."""

from __future__ import annotations

import difflib

from chatops.commands import (
    approve,
    digest,
    draft,
    edit,
    help,
    hold,
    optin,
    optout,
    pause,
    reload,
    review,
    schedule,
    shoutout,
    shoutouts,
    skip,
    status,
    undo,
    whois,
)
from chatops.commands.base import Command

__all__ = ["CATALOG", "COMMANDS", "find", "split_command", "suggest"]

COMMANDS: tuple[Command, ...] = (
    shoutout.COMMAND,
    shoutouts.COMMAND,
    undo.COMMAND,
    edit.COMMAND,
    whois.COMMAND,
    optout.COMMAND,
    optin.COMMAND,
    help.COMMAND,
    digest.COMMAND,
    schedule.COMMAND,
    status.COMMAND,
    pause.PAUSE,
    pause.RESUME,
    reload.COMMAND,
    approve.COMMAND,
    hold.COMMAND,
    skip.COMMAND,
    draft.COMMAND,
    review.COMMAND,
)

_BY_NAME: dict[str, Command] = {}
for _command in COMMANDS:
    for _word in (_command.name, *_command.aliases):
        _BY_NAME[_word] = _command


def find(word: str) -> Command | None:
    return _BY_NAME.get(word.casefold().rstrip(":,!"))


def split_command(text: str) -> tuple[str, str]:
    """``("shoutout", "@**Ann** for X")`` from ``"Shoutout @**Ann** for X"``; ``"shout out"`` is one word."""
    text = text.strip()
    lowered = text.casefold()
    if lowered.startswith("shout out"):
        return "shoutout", text[len("shout out") :].strip()
    head, _, rest = text.partition(" ")
    if "\n" in head:
        head, _, more = head.partition("\n")
        rest = (more + " " + rest).strip()
    return head.casefold().rstrip(":,!"), rest.strip()


def suggest(word: str) -> str | None:
    """The closest command name to a mistyped ``word``, if any is close."""
    names = [c.name for c in COMMANDS]
    close = difflib.get_close_matches(word.casefold(), names + list(_BY_NAME), n=1, cutoff=0.6)
    if not close:
        return None
    command = _BY_NAME.get(close[0])
    return command.name if command is not None else close[0]


class _Catalog:
    """``COMMANDS`` and its lookups, as ``help`` sees them through ``CommandContext.catalog``."""

    commands = COMMANDS

    def find(self, word: str) -> Command | None:
        return find(word)

    def suggest(self, word: str) -> str | None:
        return suggest(word)


CATALOG = _Catalog()
