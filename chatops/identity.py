"""Who someone is, for rights: a Zulip email or a Zulip user id, never a display name.

Anyone can rename themselves in Zulip, to an admin's name or to an admin's id number, so ``zulip.admins``
(and any list that grants rights) holds only identities: an email (``ada@example.org``) or an integer user
id (``8``). ``config check`` rejects a display name with a message saying how to find the email or id.

A message's sender matches an identity by its email (``sender_email``, case-insensitive) or its id
(``sender_id``); its display name is never compared. A console user (``compass chat --as NAME``) has no
Zulip id and the email ``NAME@localhost``, so it can only be an admin when ``NAME@localhost`` is listed, and
it never matches a Zulip user.

Example usage::

    parse_identity("Ada@Example.org")   # 'Ada@Example.org'
    parse_identity(8)                   # 8
    Identities.of(["ada@example.org", 8]).matches(email="ADA@example.org", user_id=None)   # True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator

__all__ = ["HOW_TO_FIND", "Identities", "Identity", "parse_identity"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
HOW_TO_FIND = (
    "list people by Zulip email or user id, never by display name (anyone can take a name); to find them, "
    "open the person's profile in Zulip (click their name, then 'View profile': it shows the email and the "
    "user ID), or see Settings > Organization > Users"
)


def parse_identity(value: Any) -> str | int:
    """An email (kept as written) or a positive user id; ``ValueError`` naming the fix otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a person; {HOW_TO_FIND}")  # noqa: TRY004 - pydantic reports ValueErrors
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(f"{value!r} is not a Zulip user id (a positive integer); {HOW_TO_FIND}")
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdecimal() and text.isascii():
            return parse_identity(int(text))
        if _EMAIL.match(text):
            return text
        raise ValueError(f"{value!r} looks like a display name; {HOW_TO_FIND}")
    raise ValueError(f"{value!r} is not an email or a user id; {HOW_TO_FIND}")


Identity = Annotated[str | int, BeforeValidator(parse_identity)]


@dataclass(frozen=True, slots=True)
class Identities:
    """A set of people by identity; ``matches`` compares a sender's email and id, never a name."""

    emails: frozenset[str] = frozenset()
    ids: frozenset[int] = frozenset()

    @classmethod
    def of(cls, values: Iterable[str | int]) -> Identities:
        parsed = [parse_identity(v) for v in values]
        return cls(emails=frozenset(p.casefold() for p in parsed if isinstance(p, str)),
                   ids=frozenset(p for p in parsed if isinstance(p, int)))

    def matches(self, *, email: str | None, user_id: int | None) -> bool:
        if user_id is not None and user_id in self.ids:
            return True
        return bool(email) and email.strip().casefold() in self.emails  # type: ignore[union-attr]

    def __bool__(self) -> bool:
        return bool(self.emails or self.ids)
