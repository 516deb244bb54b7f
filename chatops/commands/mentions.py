"""Read Zulip mention syntax in a command: who is the bot talking to, and who is being thanked.

Zulip writes ``@**Jane Doe|8**`` (with the user id when picked from the typeahead), ``@**Jane Doe**``,
silent ``@_**Jane Doe**``, and user groups as ``@*docs team*``.
"""

from __future__ import annotations

import re

from digests.mentions import is_wildcard
from digests.model import Recipient

__all__ = ["parse_recipients", "split_at_bot_mention", "starts_with_bot_mention", "strip_bot_mention"]

_MENTION = re.compile(r"@_?(?:\*\*(?P<user>[^*]+)\*\*|\*(?P<group>[^*]+)\*)")
_FILLER = re.compile(r"^(?:,|and\b|&|\+|to\b)\s*", re.IGNORECASE)
_FOR = re.compile(r"^(?:for|because|:|-|—)\s*", re.IGNORECASE)
_FREE_FOR = re.compile(r"\s+(?:for|because)\s+", re.IGNORECASE)


def split_at_bot_mention(text: str, *, bot_name: str, bot_id: int | None = None) -> tuple[str, str] | None:
    """``(before, after)`` the first mention of the bot, or ``None`` without one."""
    names = {bot_name.casefold()}
    for match in _MENTION.finditer(text):
        user = match.group("user")
        if user is None:
            continue
        name, _, uid = user.partition("|")
        if name.strip().casefold() in names or (bot_id is not None and uid.strip() == str(bot_id)):
            return text[: match.start()].strip(), text[match.end() :].lstrip(":, ").strip()
    return None


def strip_bot_mention(text: str, *, bot_name: str, bot_id: int | None = None) -> tuple[str, bool]:
    """The text with the first mention of the bot removed, and whether there was one."""
    parts = split_at_bot_mention(text, bot_name=bot_name, bot_id=bot_id)
    if parts is None:
        return text.strip(), False
    before, after = parts
    return (before.rstrip(" ,:;") + " " + after).strip().lstrip(":, ").strip(), True


def starts_with_bot_mention(text: str, *, bot_names: set[str], bot_id: int | None = None) -> bool:
    """Whether ``text`` opens with a mention of the bot (it is then talking *to* compass)."""
    match = _MENTION.match(text.lstrip())
    if match is None or match.group("user") is None:
        return False
    name, _, uid = match.group("user").partition("|")
    return name.strip().casefold() in {n.casefold() for n in bot_names} or (
        bot_id is not None and uid.strip() == str(bot_id)
    )


def _recipient(user: str | None, group: str | None) -> Recipient:
    if group is not None:
        return Recipient(name=" ".join(group.split()), kind="group")
    assert user is not None
    name, _, uid = user.partition("|")
    uid = uid.strip()
    if is_wildcard(name):  # "@**all**": everyone, recorded as words, never as a mention
        return Recipient(name=name.strip(), kind="text")
    return Recipient(name=" ".join(name.split()), kind="user", user_id=int(uid) if uid.isdigit() else None)


def parse_recipients(args: str) -> tuple[list[Recipient], str]:
    """Split ``@**A** @**B** [for] TEXT`` (or ``the docs team for TEXT``) into recipients and text.

    Leading mentions are the recipients; mentions later in the text stay part of the text. Without a
    leading mention, the words before `` for `` are one free-text recipient ("the docs team").
    """
    rest = args.strip()
    recipients: list[Recipient] = []
    joined = False
    while True:
        if recipients or rest[:3].lower() == "to ":
            stripped = _FILLER.sub("", rest)
            joined = stripped != rest
            rest = stripped
        match = _MENTION.match(rest)
        if not match:
            break
        recipients.append(_recipient(match.group("user"), match.group("group")))
        rest = rest[match.end() :].lstrip()
    if recipients:
        split = _FREE_FOR.search(rest) if joined else None
        if split is not None and 0 < split.start() <= 60 and not _MENTION.search(rest[: split.start()]):
            # "@**A** and the infra folks for ...": the words after "and" are one more recipient.
            recipients.append(Recipient(name=rest[: split.start()].strip(), kind="text"))
            rest = rest[split.end() :]
        return _dedupe(recipients), _FOR.sub("", rest, count=1).strip()
    split = _FREE_FOR.search(rest)
    if split is None:
        return [], rest
    who = _FILLER.sub("", rest[: split.start()].strip()).strip()
    if not who or len(who) > 100:
        return [], rest
    return [Recipient(name=who, kind="text")], rest[split.end() :].strip()


def _dedupe(recipients: list[Recipient]) -> list[Recipient]:
    seen: set[tuple[str, str, int | None]] = set()
    out = []
    for r in recipients:
        key = (r.kind, r.name.casefold() if r.user_id is None else "", r.user_id)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out
