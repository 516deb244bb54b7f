"""Who is who across the notes and chat: one key per human, however they were written (pure).

The attendance lists tie GitHub handles to full names ("manics" -> "Simon Li") and first names to full
names ("Simon" -> "Simon Li") when that is unambiguous; a ``Directory`` built from a window's meetings
answers "which ``Person`` is this name or handle?" and "are these two the same human?".

Example usage::

    directory = Directory.build(meetings)
    directory.person("manics")                 # Person(name="Simon Li", kind="github", handle="manics")
    directory.canonical(directory.person("Simon")) == directory.canonical(directory.person("manics"))
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from digests.digest import Person
from digests.model import Meeting

__all__ = ["Directory", "attendee_key", "name_key", "people_count"]

_NOT_KEY = re.compile(r"[^0-9a-z]+")


@functools.lru_cache(maxsize=8192)
def name_key(name: str) -> str:
    """A name reduced to lowercase letters and digits, to compare people however they were written."""
    return _NOT_KEY.sub("", name.lower().lstrip("@"))


@dataclass
class Directory:
    """Who is who across the notes, from the attendance lists: a GitHub handle and a first name both lead
    to a person's full name ("manics" and "Simon" -> "Simon Li") when that is unambiguous."""

    names: dict[str, str] = field(default_factory=dict)  # handle key -> longest name seen with it
    handles: dict[str, str] = field(default_factory=dict)  # name key -> handle
    first: dict[str, set[str]] = field(default_factory=dict)  # first-name key -> full names

    @classmethod
    def build(cls, meetings: Iterable[Meeting]) -> Directory:
        directory = cls()
        for meeting in meetings:
            for attendee in meeting.attendees:
                name = " ".join((attendee.name or "").split())
                if attendee.handle and name:
                    key = name_key(attendee.handle)
                    if len(name) > len(directory.names.get(key, "")):
                        directory.names[key] = name
                    directory.handles.setdefault(name_key(name), attendee.handle.lower())
                if len(name.split()) >= 2:
                    directory.first.setdefault(name_key(name.split()[0]), set()).add(name)
        return directory

    def _full(self, name: str) -> str | None:
        if len(name.split()) != 1:
            return None
        candidates = self.first.get(name_key(name), set())
        return next(iter(candidates)) if len(candidates) == 1 else None

    def person(self, name_or_handle: str) -> Person:
        text = " ".join(name_or_handle.strip().lstrip("@").split())
        name = self.names.get(name_key(text))
        if name is not None:
            return Person(name=self._full(name) or name, kind="github", handle=text.lower())
        full = self._full(text) or text
        handle = self.handles.get(name_key(full))
        if handle is not None and re.fullmatch(r"[A-Za-z0-9-]{1,39}", handle):
            return Person(name=full, kind="github", handle=handle)
        if full == text and re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})", text) and (
                text.islower() or "-" in text):
            return Person(name=text, kind="github", handle=text.lower())
        return Person(name=full, kind="name")

    def canonical(self, person: Person) -> str:
        """One key per human, whichever way the notes or chat named them."""
        name = person.name
        if person.handle and name_key(person.handle) in self.names:
            name = self.names[name_key(person.handle)]
        return name_key(self._full(name) or name)


def attendee_key(name: str | None, handle: str | None) -> str:
    return "h:" + name_key(handle) if handle else "n:" + name_key(name or "")


def people_count(meetings: Sequence[Meeting]) -> int:
    keys: set[str] = set()
    by_name: dict[str, str] = {}
    for meeting in meetings:
        for attendee in meeting.attendees:
            if attendee.handle and attendee.name:
                by_name[name_key(attendee.name)] = name_key(attendee.handle)
    for meeting in meetings:
        for attendee in meeting.attendees:
            if not (attendee.name or attendee.handle):
                continue
            handle = attendee.handle or by_name.get(name_key(attendee.name or ""))
            keys.add(attendee_key(attendee.name, handle))
    return len(keys)

