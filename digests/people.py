"""Who is who across the notes and chat: one key per human, however they were written (pure).

The attendance lists tie GitHub handles to full names ("manics" -> "Simon Li") and first names to full
names ("Simon" -> "Simon Li") when that is unambiguous; a ``Directory`` built from a window's meetings
answers "which ``Person`` is this name or handle?" and "are these two the same human?".

Example usage::

    directory = Directory.build(meetings)
    directory.person("manics")                 # Person(name="Simon Li", kind="github", handle="manics")
    directory.canonical(directory.person("Simon")) == directory.canonical(directory.person("manics"))

The people registry
-------------------

One identity per human across notes, chat and releases: the resolution rules and who is new or back (pure).

Every time someone appears in a source (a check-in line, an introduction, a topic's owner, a celebration,
a shout-out given or received, a release authored) compass records a *sighting*. ``Registry.observe``
links each sighting to a person by the rules below, in order, and says which rule and why, so that
``compass people show NAME`` can explain a person. The rules are written down in ``docs/people.md``:

1. **Configuration first.** ``not_people`` entries and teams, groups, "all", "everyone" and
   organisations (an affiliation seen in a roll call, a configured organisation) are never a person.
   A configured alias leads to its configured person.
2. **Strong identifiers.** A Zulip user id, an email or a GitHub handle already known is that person.
3. **A full name** (two words or more) is strong within the community: one person known by exactly
   that name is that person; a full name that spells a known handle ("Yuvi Panda" -> ``yuvipanda``) is
   that handle's person; a full name that extends the first name of exactly one person in the same
   meeting known only by a first name ("Min" and "Min Ragan-Kelley") is that person.
4. **A first name alone** resolves only to a unique person of that name seen in the same meeting, else
   to a unique one seen recently (``recent``, default 180 days). Otherwise it *stays a name*: linked to
   nobody, never welcomed, never given a profile link.
5. **Ambiguity is never guessed**: two candidates and no rule to choose leaves the sighting unlinked.
6. A new handle or Zulip id joins the person its name resolves to when that person has none yet
   ("handles added later"); otherwise it is a new person.

Nothing here reads a clock, a file or a database: ``chatops.storage.people`` loads and saves the state,
``chatops.people`` feeds it sightings from the sources, and digests receive a ``PeopleSnapshot``.

Registry example::

    registry = Registry(PeopleRules())
    for meeting in meetings:
        registry.observe_meeting(meeting)
    registry.find("Yuvi Panda")            # the person, ``sightings_of(id)`` are the sightings behind each
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from digests.digest import Person
from digests.model import Meeting, Release, Shoutout, Window

__all__ = [
    "CONTINUITY",
    "CONTINUITY_MEETINGS",
    "OUTSIDE_MEETINGS",
    "PRESENT_ROLES",
    "ROLES",
    "Directory",
    "KnownPerson",
    "PeopleRules",
    "PeopleSnapshot",
    "PersonSpec",
    "Recorded",
    "RegisteredPerson",
    "Registry",
    "Resolution",
    "Sighting",
    "attendee_key",
    "build_snapshot",
    "forget_key",
    "handle_key",
    "is_group",
    "known_person",
    "looks_like_handle",
    "meeting_key",
    "meeting_sightings",
    "name_key",
    "people_count",
    "person_key",
    "release_sightings",
    "shoutout_sightings",
    "sighting_digest",
]

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

    snapshot: PeopleSnapshot | None = None  # the registry's answer for the window, when the caller has one
    _known: dict[tuple[str | None, str | None, int | None, str | None], KnownPerson | None] = field(
        default_factory=dict, repr=False)
    _shown: dict[tuple[str, str, int | None, str | None], Person] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, meetings: Iterable[Meeting], snapshot: PeopleSnapshot | None = None) -> Directory:
        directory = cls(snapshot=snapshot)
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

    def known(self, text: str | None = None, *, place: str | None = None, user_id: int | None = None,
              handle: str | None = None) -> KnownPerson | None:
        """The registry's person for a name, handle or chat id, when there is a snapshot and it knows them."""
        if self.snapshot is None:
            return None
        key = (text, place, user_id, handle)
        if key not in self._known:  # a digest names the same people many times
            self._known[key] = self.snapshot.identify(text, place=place, user_id=user_id, handle=handle)
        return self._known[key]

    def shown(self, person: Person) -> Person:
        """``person`` as the registry names them: one canonical name, the one profile handle, "someone" for
        a person who opted out; unchanged when the registry does not know them."""
        key = (person.name, person.kind, person.user_id, person.handle)
        if key not in self._shown:
            known = self.known(person.name, user_id=person.user_id, handle=person.handle)
            self._shown[key] = person if known is None else _display(known, person)
        return self._shown[key]

    def person(self, name_or_handle: str, *, place: str | None = None) -> Person:
        if self.snapshot is not None:
            known = self.known(name_or_handle, place=place)
            if known is not None:
                return _display(known, None)
            if place is not None and self.snapshot.decided_nobody(name_or_handle, place):
                # The registry kept it a name (ambiguous, a first name long unseen, a team): no guess here either.
                return Person(name=" ".join(name_or_handle.strip().lstrip("@").split()), kind="name")
            if self.snapshot.people and _is_not_known_handle(name_or_handle, self.snapshot):
                return Person(name=" ".join(name_or_handle.strip().lstrip("@").split()), kind="name")
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
        known = self.known(person.name, user_id=person.user_id, handle=person.handle)
        if known is not None:
            return f"#{known.id}"
        name = person.name
        if person.handle and name_key(person.handle) in self.names:
            name = self.names[name_key(person.handle)]
        return name_key(self._full(name) or name)


def attendee_key(name: str | None, handle: str | None) -> str:
    return "h:" + name_key(handle) if handle else "n:" + name_key(name or "")


ANONYMOUS = "someone"


def _display(known: KnownPerson, original: Person | None) -> Person:
    if known.opted_out:
        return Person(name=ANONYMOUS, kind="name")
    if original is not None and original.kind == "zulip":
        return Person(name=known.name, kind="zulip", user_id=original.user_id)
    if known.handle:
        return Person(name=known.name, kind="github", handle=known.handle)
    return Person(name=known.name, kind="name")


def _is_not_known_handle(text: str, snapshot: PeopleSnapshot) -> bool:
    """A word that merely looks like a handle ("lena") gets no profile link unless the registry knows it."""
    word = text.strip().lstrip("@")
    return word == word.lower() and looks_like_handle(word) and f"h:{handle_key(word)}" not in snapshot.lookup


def people_count(meetings: Sequence[Meeting], snapshot: PeopleSnapshot | None = None) -> int:
    """How many people came to ``meetings``: with the registry's snapshot, one per person however written."""
    if snapshot is not None:
        return len(attendee_people(meetings, snapshot))
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



def attendee_people(meetings: Sequence[Meeting], snapshot: PeopleSnapshot) -> dict[str, KnownPerson | str]:
    """Who came to ``meetings``, one key per person (``#id``; ``n:name`` for someone the registry does
    not know), in order of first appearance: the value is the person, or the name as written."""
    out: dict[str, KnownPerson | str] = {}
    for meeting in meetings:
        place = meeting_key(meeting)
        for attendee in meeting.attendees:
            written = attendee.name or attendee.handle
            if not written:
                continue
            known = snapshot.identify(attendee.name, place=place, handle=attendee.handle)
            if known is not None:
                out.setdefault(f"#{known.id}", known)
            elif not is_group(written):
                out.setdefault("n:" + person_key(attendee.handle or written), written)
    return out


def compact_names(names: Sequence[str], shown: int = 3) -> str:
    """"Min, Simon, Erik and 8 others": the first ``shown`` names, then how many more."""
    if len(names) <= shown + 1:
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""
    rest = len(names) - shown
    return ", ".join(names[:shown]) + f" and {rest} other{'s' if rest != 1 else ''}"

# --- the people registry ----------------------------------------------------------------------

# Roles, in the order a meeting's sightings are read: the check-in list first (it says who was there).
ROLES: tuple[str, ...] = (
    "checkin", "introduction", "owner", "update", "celebration_by", "celebrated",
    "shoutout_giver", "shoutout_recipient", "release_author", "github", "chat",
)
# Roles where the person took part (rather than being mentioned): only these make someone "welcomed".
PRESENT_ROLES = frozenset({"checkin", "introduction", "owner", "update", "celebration_by", "shoutout_giver",
                           "release_author", "github"})
_ROLE_ORDER = {role: i for i, role in enumerate(ROLES)}

_HANDLE = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,38}")
_GROUP_WORDS = frozenset({
    "all", "everyone", "everybody", "anyone", "someone", "folks", "yall", "us", "we", "you", "others",
    "team", "teams", "council", "committee", "group", "groups", "crew", "maintainers", "contributors",
    "members", "volunteers", "reviewers", "community", "staff", "org", "organisation", "organization",
    "foundation", "institute", "university", "inc", "ltd", "gmbh", "llc", "corp", "company", "project",
    "steering", "board", "tba", "tbd", "nobody", "none", "n/a", "na", "here", "channel", "topic",
})
_NOT_NAME = re.compile(r"[\d/\\:#<>\[\]{}=+*|]|https?")
_NICK = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{1,38}$")  # a chat nick as written ("seb128"): a name, digits and all


@functools.lru_cache(maxsize=16384)
def person_key(text: str) -> str:
    """A name or handle reduced to lowercase ASCII letters and digits ("Sipőcz" -> "sipocz")."""
    text = unicodedata.normalize("NFKD", text.strip().lstrip("@").casefold())
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())


def handle_key(text: str) -> str:
    """A GitHub handle as compared: lowercase, without ``@`` (hyphens kept: ``yijun-ucb`` is not ``yijunucb``)."""
    return text.strip().lstrip("@").lower()


def _clean(text: str | None) -> str:
    return " ".join((text or "").replace("\u00a0", " ").split()).strip(" .,;:!?-\u2013\u2014")


def looks_like_handle(text: str) -> bool:
    return bool(_HANDLE.fullmatch(text.lower().lstrip("@")))


@functools.lru_cache(maxsize=8192)
def is_group(name: str) -> bool:
    """A team, a group or everyone ("the docs team", "all", "Steering Council"): thanked, never a person."""
    words = [w.strip("'\u2019.,!") for w in name.casefold().split()]
    if not words:
        return True
    if words[0] == "the" or any(w in _GROUP_WORDS for w in words):
        return True
    return person_key(name) in {"yall", "everyone", "all", "everybody"}


def forget_key(identifier: str) -> str:
    """How a forgotten identifier is remembered: a hash, so that the registry keeps no trace of the name."""
    return hashlib.sha256(person_key(identifier).encode()).hexdigest()


def meeting_key(meeting: Meeting) -> str:
    """The meeting a sighting belongs to, for "seen in the same meeting": its document and date."""
    return f"{meeting.document}#{meeting.date.isoformat() if meeting.date else ''}"


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sighting:
    """One appearance of someone in a source.

    ``source`` is the unit the sighting is rebuilt with (a notes document, a shout-out, a release);
    ``place`` the meeting or chat thread it happened in (same-meeting rule); ``label`` says it for people.
    """

    source: str
    place: str
    role: str
    when: dt.datetime
    label: str
    name: str | None = None
    handle: str | None = None  # a GitHub handle given as one (``@x``, a profile link, a release author)
    user_id: int | None = None
    email: str | None = None
    affiliation: str | None = None
    pronouns: str | None = None
    weak_handle: str | None = None  # a lowercase word that may be a handle; one only if already known

    @property
    def written(self) -> str:
        return self.name or self.handle or self.weak_handle or (f"Zulip user {self.user_id}" if self.user_id else "")


@dataclass(frozen=True, slots=True)
class PersonSpec:
    """A person the admins describe in ``config/people.yaml``: canonical name, handles, aliases, chat ids."""

    name: str
    github: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    zulip_user_id: int | None = None
    email: str | None = None
    opt_out: bool = False


@dataclass(frozen=True, slots=True)
class PeopleRules:
    """The admins' settings: configured people, non-people, opt-outs and the two time spans."""

    people: tuple[PersonSpec, ...] = ()
    not_people: frozenset[str] = frozenset()  # person keys of names or handles that are never a person
    organisations: frozenset[str] = frozenset()  # handle keys of organisations (e.g. the release repos' owners)
    opt_out: frozenset[str] = frozenset()  # person keys of names / handles, or "zulip:<id>"
    forgotten: frozenset[str] = frozenset()  # forget_key() of forgotten identifiers
    recent: dt.timedelta = dt.timedelta(days=180)
    absence: dt.timedelta = dt.timedelta(days=183)


@dataclass(frozen=True, slots=True)
class Resolution:
    person: int | None
    rule: str  # handle, zulip, email, alias, full-name, name-spells-handle, first-name-same-meeting, ...
    reason: str


# --- the registry -----------------------------------------------------------------------------


@dataclass
class RegisteredPerson:
    """A person as the registry knows them (mutable while building)."""

    id: int
    name: str = ""
    names: dict[str, list[object]] = field(default_factory=dict)  # key -> [display, last seen, count]
    handles: list[str] = field(default_factory=list)
    user_id: int | None = None
    email: str | None = None
    zulip_name: str | None = None
    pronouns: str | None = None
    affiliations: dict[str, list[object]] = field(default_factory=dict)  # key -> [display, first, last]
    seen: list[dt.datetime] = field(default_factory=list)  # sorted
    present: list[dt.datetime] = field(default_factory=list)  # sorted: sightings where they took part
    configured: bool = False
    fixed_name: str | None = None
    opted_out: bool = False
    first_seen: dt.datetime | None = None  # never moves later once recorded: nobody is welcomed twice
    first_role: str | None = None
    first_label: str | None = None
    first_present: dt.datetime | None = None

    @property
    def handle(self) -> str | None:
        """The one handle a profile link may use: the first one known."""
        return self.handles[0] if self.handles else None

    @property
    def full_names(self) -> bool:
        return any(len(str(v[0]).split()) >= 2 for v in self.names.values())

    def canonical(self) -> str:
        if self.fixed_name:
            return self.fixed_name
        full = [v for v in self.names.values() if len(str(v[0]).split()) >= 2]
        if self.zulip_name and len(self.zulip_name.split()) >= 2:
            return self.zulip_name
        if full:  # the latest full name: a renamed person shows their new name
            return str(max(full, key=lambda v: (v[1], v[2]))[0])
        if self.names:
            return str(max(self.names.values(), key=lambda v: (v[2], v[1]))[0])
        return self.zulip_name or self.handle or f"person {self.id}"

    def seen_between(self, since: dt.datetime, until: dt.datetime, *, present: bool = False) -> bool:
        times = self.present if present else self.seen
        i = bisect.bisect_left(times, since)
        return i < len(times) and times[i] <= until


@dataclass
class Recorded:
    sighting: Sighting
    resolution: Resolution


def _epoch() -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class Registry:
    """Everyone seen so far and the indexes the rules look people up by.

    ``observe`` links one sighting and records it; ``forget_source`` drops a source's sightings (a notes
    document that changed is forgotten, then observed again: the same people come back, never a second
    copy, because names and handles stay known). ``next_id`` starts above the ids given to ``add``.
    """

    def __init__(self, rules: PeopleRules | None = None) -> None:
        self.rules = rules or PeopleRules()
        self.people: dict[int, RegisteredPerson] = {}
        self.next_id = 1
        self._handle: dict[str, int] = {}
        self._user: dict[int, int] = {}
        self._email: dict[str, int] = {}
        self._name: dict[str, set[int]] = {}
        self._first: dict[str, set[int]] = {}
        self._alias: dict[str, int] = {}
        self._places: dict[str, set[int]] = {}
        self._orgs: set[str] = set(self.rules.organisations)
        self.sightings: dict[str, list[Recorded]] = {}  # source -> sightings
        self.dirty: set[int] = set()
        self.removed: set[int] = set()
        self.changed: set[str] = set()  # sources whose sightings changed since loading
        self.digests: dict[str, str] = {}  # source -> fingerprint of what it said when observed
        self.history_start: dt.datetime | None = None
        for spec in self.rules.people:
            self._configure(spec)

    # -- indexes --

    def add(self, person: RegisteredPerson) -> RegisteredPerson:
        """Put a person (loaded from storage) in the indexes."""
        self.people[person.id] = person
        self.next_id = max(self.next_id, person.id + 1)
        for handle in person.handles:
            self._handle.setdefault(handle, person.id)
        if person.user_id is not None:
            self._user.setdefault(person.user_id, person.id)
        if person.email:
            self._email.setdefault(person.email.casefold(), person.id)
        for key, value in person.names.items():
            self._index_name(person.id, key, str(value[0]))
        if person.zulip_name:
            self._index_name(person.id, person_key(person.zulip_name), person.zulip_name)
        return person

    def _index_name(self, pid: int, key: str, display: str) -> None:
        if not key:
            return
        self._name.setdefault(key, set()).add(pid)
        first = person_key(display.split()[0]) if display.split() else key
        self._first.setdefault(first, set()).add(pid)

    def _new(self, *, configured: bool = False) -> RegisteredPerson:
        person = RegisteredPerson(id=self.next_id, configured=configured)
        self.next_id += 1
        self.people[person.id] = person
        self.dirty.add(person.id)
        return person

    def _configure(self, spec: PersonSpec) -> None:
        ids = {self._handle.get(handle_key(h)) for h in spec.github} | {self._alias.get(person_key(spec.name))}
        ids.discard(None)
        person = self.people[next(iter(ids))] if ids else self._new(configured=True)  # type: ignore[index]
        person.configured = True
        person.fixed_name = spec.name
        person.opted_out = person.opted_out or spec.opt_out
        for handle in spec.github:
            self._add_handle(person, handle_key(handle))
        if spec.zulip_user_id is not None:
            person.user_id = spec.zulip_user_id
            self._user[spec.zulip_user_id] = person.id
        if spec.email:
            person.email = spec.email
            self._email[spec.email.casefold()] = person.id
        for name in (spec.name, *spec.aliases):
            key = person_key(name)
            self._alias[key] = person.id

    def apply_rules(self) -> None:
        """Apply configured people to people loaded from storage (merging those the config says are one)."""
        for spec in self.rules.people:
            ids = {self._handle.get(handle_key(h)) for h in spec.github}
            if spec.zulip_user_id is not None:
                ids.add(self._user.get(spec.zulip_user_id))
            for name in (spec.name, *spec.aliases):
                found = self._name.get(person_key(name), set())
                if len(found) == 1:
                    ids |= found
            ids.discard(None)
            alias_id = self._alias.get(person_key(spec.name))
            if alias_id is not None:
                ids.add(alias_id)
            ordered = sorted(i for i in ids if i is not None and i in self.people)
            if len(ordered) > 1:
                keep = ordered[0]
                for other in ordered[1:]:
                    self.merge(keep, other)
            if ordered:
                target = self.people[ordered[0]]
                target.configured, target.fixed_name = True, spec.name
                target.opted_out = target.opted_out or spec.opt_out
                for name in (spec.name, *spec.aliases):
                    self._alias[person_key(name)] = target.id
                self.dirty.add(target.id)
        for person in self.people.values():
            if self.opted_out_by_config(person) and not person.opted_out:
                person.opted_out = True
                self.dirty.add(person.id)

    def opted_out_by_config(self, person: RegisteredPerson) -> bool:
        keys = set(person.names) | set(person.handles)
        if person.user_id is not None:
            keys.add(f"zulip:{person.user_id}")
        return bool(keys & self.rules.opt_out)

    def _add_handle(self, person: RegisteredPerson, handle: str) -> None:
        if handle and handle not in person.handles:
            person.handles.append(handle)
        self._handle.setdefault(handle, person.id)

    # -- the rules --

    def _not_a_person(self, s: Sighting) -> Resolution | None:
        rules = self.rules
        for text in (s.name, s.handle, s.weak_handle):
            if text and (person_key(text) in rules.not_people):
                return Resolution(None, "not-a-person", f"{text!r} is listed under not_people in config/people.yaml")
        if rules.forgotten:
            for text in (s.name, s.handle, s.weak_handle, str(s.user_id) if s.user_id else None, s.email):
                if text and forget_key(text) in rules.forgotten:
                    return Resolution(None, "forgotten", "this person asked to be forgotten")
        for handle in (s.handle, s.weak_handle):
            if handle and person_key(handle) in self._orgs and handle_key(handle) not in self._handle:
                return Resolution(None, "organisation", f"@{handle} is an organisation, not a person")
        if s.name and not s.handle and s.user_id is None and is_group(s.name):
            return Resolution(None, "group", f"{s.name!r} is a team or a group, not a person")
        if s.name and not s.handle and s.user_id is None and person_key(s.name) in self._orgs:
            return Resolution(None, "organisation", f"{s.name!r} is an organisation, not a person")
        return None

    def _recent(self, ids: Iterable[int], when: dt.datetime) -> set[int]:
        since = when - self.rules.recent
        return {i for i in ids if self.people[i].seen_between(since, when)}

    def _by_name(self, name: str, s: Sighting) -> Resolution | None:
        """The person a name leads to, ``Resolution(None, ...)`` when ambiguous or kept as a name, or None."""
        words = name.split()
        key = person_key(name)
        here = self._places.get(s.place, set())
        if not key:
            return None
        if len(words) >= 2:
            found = self._name.get(key, set())
            if len(found) == 1:
                return Resolution(next(iter(found)), "full-name", f"the full name {name!r} is known")
            if len(found) > 1:
                narrowed = (found & here) or self._recent(found, s.when)
                if len(narrowed) == 1:
                    return Resolution(next(iter(narrowed)), "full-name",
                                      f"the full name {name!r}, of the one person by that name seen nearby")
                return Resolution(None, "ambiguous", f"{len(found)} people are called {name!r}; not guessed")
            if key in self._handle:  # "Yuvi Panda" -> yuvipanda (a handle without hyphens)
                return Resolution(self._handle[key], "name-spells-handle",
                                  f"the full name {name!r} spells the handle @{self.people[self._handle[key]].handle}")
            first = self._first.get(person_key(words[0]), set()) & here
            only_first = {i for i in first if not self.people[i].full_names}
            if len(only_first) == 1:
                return Resolution(next(iter(only_first)), "first-name-extended",
                                  f"{name!r} extends the first name of the one {words[0]!r} in the same meeting")
            return None
        # One word: a bare handle already known, else a first name.
        handle_id = self._handle.get(handle_key(name))
        candidates = self._first.get(key, set()) | self._name.get(key, set())
        if handle_id is not None and (name.islower() or not candidates or candidates == {handle_id}):
            return Resolution(handle_id, "handle", f"{name!r} is the known handle @{handle_key(name)}")
        if not candidates:
            return None
        same = candidates & here
        if len(same) == 1:
            return Resolution(next(iter(same)), "first-name-same-meeting",
                              f"{name!r} is the first name of the one such person in the same meeting")
        if len(same) > 1:
            return Resolution(None, "ambiguous", f"{len(same)} people called {name!r} in that meeting; not guessed")
        recent = self._recent(candidates, s.when)
        if len(recent) == 1:
            return Resolution(next(iter(recent)), "first-name-recent",
                              f"{name!r} is the first name of the one such person seen in the "
                              f"{self.rules.recent.days} days before")
        if len(recent) > 1:
            return Resolution(None, "ambiguous", f"{len(recent)} people called {name!r} seen recently; not guessed")
        return Resolution(None, "stays-a-name",
                          f"{name!r} is a first name of {len(candidates)} earlier "
                          f"{'person' if len(candidates) == 1 else 'people'}, none seen in the "
                          f"{self.rules.recent.days} days before; kept as a name")

    def resolve(self, s: Sighting) -> Resolution:
        """Which person ``s`` is, by the rules in order; ``person`` is None for a new person."""
        refused = self._not_a_person(s)
        if refused is not None:
            return refused
        if s.user_id is not None and s.user_id in self._user:
            return Resolution(self._user[s.user_id], "zulip", f"Zulip user id {s.user_id} is known")
        if s.email and s.email.casefold() in self._email:
            return Resolution(self._email[s.email.casefold()], "email", "the email is known")
        handle = handle_key(s.handle) if s.handle else None
        if handle and handle in self._handle:
            return Resolution(self._handle[handle], "handle", f"the handle @{handle} is known")
        weak = handle_key(s.weak_handle) if s.weak_handle else None
        if weak and weak in self._handle:
            return Resolution(self._handle[weak], "handle", f"{s.weak_handle!r} is the known handle @{weak}")
        name = _clean(s.name) or (s.weak_handle if weak else "")
        if name and person_key(name) in self._alias:
            return Resolution(self._alias[person_key(name)], "alias", f"{name!r} is an alias in config/people.yaml")
        found = self._by_name(name, s) if name and not _NOT_NAME.search(name) else None
        if handle or s.user_id is not None:
            what = f"@{handle}" if handle else f"Zulip user {s.user_id}"
            if found is not None and found.person is not None:
                person = self.people[found.person]
                # A Zulip account joins the person its full name is (someone may have two accounts; Zulip
                # names are people's full names); a GitHub handle only a person who has none yet.
                strong_name = found.rule in ("full-name", "name-spells-handle", "alias")
                if (handle and not person.handles) or (not handle and (person.user_id is None or strong_name)):
                    return Resolution(found.person, "identifier-added",
                                      f"new {what} added to the person {found.reason.split(',')[0]}")
            if handle:
                spelled = [i for i in self._name.get(person_key(handle), set()) if not self.people[i].handles]
                if len(spelled) == 1:
                    return Resolution(spelled[0], "identifier-added", f"@{handle} was written as a name before")
            return Resolution(None, "new", f"first sighting of {what}")
        if found is not None:
            return found
        if not name:
            return Resolution(None, "nothing", "no name, handle or chat id")
        return Resolution(None, "new", f"nobody called {name!r} is known")

    def observe(self, s: Sighting) -> Resolution:
        """Resolve ``s``, create the person if it is new, learn its names and handles, and record it."""
        resolution = self.resolve(s)
        creates = resolution.rule == "new"
        if creates:
            person = self._new()
            resolution = Resolution(person.id, "new", resolution.reason)
        if resolution.person is not None:
            self._learn(self.people[resolution.person], s, resolution)
        self.sightings.setdefault(s.source, []).append(Recorded(s, resolution))
        self.changed.add(s.source)
        if self.history_start is None or s.when < self.history_start:
            self.history_start = s.when
        return resolution

    def _learn(self, person: RegisteredPerson, s: Sighting, resolution: Resolution) -> None:
        self.dirty.add(person.id)
        name = _clean(s.name)
        if name and (not _NOT_NAME.search(name) or _NICK.match(name)) and resolution.rule not in ("stays-a-name",):
            key = person_key(name)
            if key:
                entry = person.names.get(key)
                if entry is None:
                    person.names[key] = [name, s.when, 1]
                    self._index_name(person.id, key, name)
                else:
                    entry[2] = int(entry[2]) + 1  # type: ignore[call-overload]
                    if s.when >= entry[1]:  # type: ignore[operator]
                        entry[0], entry[1] = name, s.when
        if s.handle:
            self._add_handle(person, handle_key(s.handle))
        elif s.weak_handle and resolution.rule == "handle":
            self._add_handle(person, handle_key(s.weak_handle))
        if s.user_id is not None:
            person.user_id = person.user_id if person.user_id is not None else s.user_id
            self._user.setdefault(s.user_id, person.id)
            if s.name and s.role.startswith("shoutout"):
                person.zulip_name = s.name
        if s.email:
            person.email = person.email or s.email
            self._email.setdefault(s.email.casefold(), person.id)
        if s.pronouns:
            person.pronouns = s.pronouns
        if s.affiliation:
            org = _clean(s.affiliation)
            akey = person_key(org)
            if akey:
                self._orgs.add(akey)
                entry = person.affiliations.get(akey)
                if entry is None:
                    person.affiliations[akey] = [org, s.when, s.when]
                else:
                    entry[1] = min(entry[1], s.when)  # type: ignore[call-overload]
                    entry[2] = max(entry[2], s.when)  # type: ignore[call-overload]
        bisect.insort(person.seen, s.when)
        if s.role in PRESENT_ROLES:
            bisect.insort(person.present, s.when)
        self._places.setdefault(s.place, set()).add(person.id)
        if person.first_seen is None or s.when < person.first_seen:
            person.first_seen, person.first_role, person.first_label = s.when, s.role, s.label
        if s.role in PRESENT_ROLES and (person.first_present is None or s.when < person.first_present):
            person.first_present = s.when
        if self.rules.opt_out and not person.opted_out and self.opted_out_by_config(person):
            person.opted_out = True

    # -- changes --

    def forget_source(self, source: str) -> set[int]:
        """Drop the sightings of ``source`` (to observe it again); returns the people they touched."""
        touched: set[int] = set()
        self.changed.add(source)
        self.digests.pop(source, None)
        for recorded in self.sightings.pop(source, []):
            pid = recorded.resolution.person
            if pid is None or pid not in self.people:
                continue
            person = self.people[pid]
            for times in (person.seen, person.present if recorded.sighting.role in PRESENT_ROLES else []):
                i = bisect.bisect_left(times, recorded.sighting.when)
                if i < len(times) and times[i] == recorded.sighting.when:
                    times.pop(i)
            self._places.get(recorded.sighting.place, set()).discard(pid)
            touched.add(pid)
            self.dirty.add(pid)
        return touched

    def prune(self, candidates: Iterable[int]) -> list[int]:
        """Remove people left with no sighting who are neither configured nor known in chat."""
        gone = []
        for pid in sorted(set(candidates)):
            person = self.people.get(pid)
            if person is None or person.seen or person.configured or person.user_id is not None:
                continue
            self.remove(pid)
            gone.append(pid)
        return gone

    def remove(self, pid: int) -> None:
        person = self.people.pop(pid)
        for index in (self._handle, self._user, self._email, self._alias):
            for key in [k for k, v in index.items() if v == pid]:
                del index[key]  # type: ignore[arg-type]
        for index2 in (self._name, self._first, self._places):
            for ids in index2.values():
                ids.discard(pid)
        self.dirty.discard(pid)
        self.removed.add(person.id)

    def merge(self, keep: int, other: int) -> RegisteredPerson:
        """Make ``other`` part of ``keep``: names, handles, chat ids and sightings move; ``other`` is removed."""
        a, b = self.people[keep], self.people[other]
        for key, value in b.names.items():
            mine = a.names.get(key)
            if mine is None:
                a.names[key] = list(value)
            else:
                mine[2] = int(mine[2]) + int(value[2])  # type: ignore[call-overload]
                if value[1] > mine[1]:  # type: ignore[operator]
                    mine[0], mine[1] = value[0], value[1]
        for handle in b.handles:
            if handle not in a.handles:
                a.handles.append(handle)
        a.user_id = a.user_id if a.user_id is not None else b.user_id
        a.email = a.email or b.email
        a.zulip_name = a.zulip_name or b.zulip_name
        a.pronouns = a.pronouns or b.pronouns
        for key, value in b.affiliations.items():
            mine = a.affiliations.setdefault(key, list(value))
            mine[1], mine[2] = min(mine[1], value[1]), max(mine[2], value[2])  # type: ignore[call-overload]
        for when in b.seen:
            bisect.insort(a.seen, when)
        for when in b.present:
            bisect.insort(a.present, when)
        for first in ("first_seen", "first_present"):
            ours, theirs = getattr(a, first), getattr(b, first)
            if theirs is not None and (ours is None or theirs < ours):
                setattr(a, first, theirs)
                if first == "first_seen":
                    a.first_role, a.first_label = b.first_role, b.first_label
        a.configured = a.configured or b.configured
        a.fixed_name = a.fixed_name or b.fixed_name
        a.opted_out = a.opted_out or b.opted_out
        for source, recorded_list in self.sightings.items():
            for i, recorded in enumerate(recorded_list):
                if recorded.resolution.person == other:
                    self.changed.add(source)
                    recorded_list[i] = Recorded(recorded.sighting, Resolution(
                        keep, recorded.resolution.rule, recorded.resolution.reason))
        for ids in self._places.values():
            if other in ids:
                ids.discard(other)
                ids.add(keep)
        self.remove(other)
        self.add(a)
        self.dirty.add(keep)
        return a

    def split(self, pid: int, identifier: str) -> RegisteredPerson:
        """Move the name or handle ``identifier`` of person ``pid``, and the sightings written with it, to a
        new person (two people the rules took for one). ``KeyError`` when ``pid`` has no such identifier."""
        person = self.people[pid]
        key, hkey = person_key(identifier), handle_key(identifier)
        if key not in person.names and hkey not in person.handles:
            raise KeyError(identifier)
        new = self._new()
        if key in person.names:
            new.names[key] = person.names.pop(key)
            self._name.get(key, set()).discard(pid)
            self._index_name(new.id, key, str(new.names[key][0]))
            first = person_key(str(new.names[key][0]).split()[0])
            if not any(person_key(str(v[0]).split()[0]) == first for v in person.names.values()):
                self._first.get(first, set()).discard(pid)
        if hkey in person.handles:
            person.handles.remove(hkey)
            new.handles.append(hkey)
            self._handle[hkey] = new.id
        for source, records in self.sightings.items():
            for i, recorded in enumerate(records):
                s = recorded.sighting
                if recorded.resolution.person != pid:
                    continue
                if person_key(s.name or "") == key or handle_key(s.handle or s.weak_handle or "") == hkey:
                    records[i] = Recorded(s, Resolution(new.id, "split", f"split from person {pid} by an admin"))
                    self.changed.add(source)
        for target in (person, new):
            self._recount(target)
        self.dirty.update({pid, new.id})
        return new

    def _recount(self, person: RegisteredPerson) -> None:
        """Recompute when a person was seen from their sightings (after a split)."""
        mine = self.sightings_of(person.id)
        person.seen = sorted(s.when for s, _ in mine)
        person.present = sorted(s.when for s, _ in mine if s.role in PRESENT_ROLES)
        first = mine[0][0] if mine else None
        person.first_seen = first.when if first else None
        person.first_role = first.role if first else None
        person.first_label = first.label if first else None
        person.first_present = person.present[0] if person.present else None
        for s, _ in mine:
            self._places.setdefault(s.place, set()).add(person.id)

    # -- reading --

    def observe_all(self, sightings: Iterable[Sighting]) -> list[Resolution]:
        ordered = sorted(sightings, key=lambda s: (s.when, s.place, _ROLE_ORDER.get(s.role, 99)))
        return [self.observe(s) for s in ordered]

    def observe_meeting(self, meeting: Meeting, *, zone: dt.tzinfo = dt.UTC) -> list[Resolution]:
        return self.observe_all(meeting_sightings(meeting, zone=zone))

    def find(self, text: str) -> list[RegisteredPerson]:
        """The people ``text`` (a name, ``@handle``, id or ``zulip:ID``) may mean, best match first."""
        text = text.strip()
        if text.isdigit() and int(text) in self.people:
            return [self.people[int(text)]]
        if text.startswith("zulip:") and text[6:].isdigit():
            pid = self._user.get(int(text[6:]))
            return [self.people[pid]] if pid is not None else []
        key = person_key(text)
        if handle_key(text) in self._handle:
            return [self.people[self._handle[handle_key(text)]]]
        if key in self._alias:
            return [self.people[self._alias[key]]]
        ids = self._name.get(key, set()) or self._first.get(key, set())
        return sorted((self.people[i] for i in ids), key=lambda p: (-(p.seen[-1].timestamp() if p.seen else 0), p.id))

    def sightings_of(self, pid: int) -> list[tuple[Sighting, Resolution]]:
        found = [(r.sighting, r.resolution) for records in self.sightings.values() for r in records
                 if r.resolution.person == pid]
        return sorted(found, key=lambda pair: pair[0].when)

    def snapshot(self, window: Window, *, ids: Iterable[int] | None = None) -> PeopleSnapshot:
        """What a digest of ``window`` needs: the people seen in it, who is new, who is back."""
        chosen = list(ids) if ids is not None else [p.id for p in self.people.values()
                                                    if p.seen_between(window.since, window.until - dt.timedelta(microseconds=1))]
        people = {}
        previous: dict[int, dt.datetime | None] = {}
        last = window.until - dt.timedelta(microseconds=1)
        present = {pid for pid in chosen if pid in self.people
                   and self.people[pid].seen_between(window.since, last, present=True)}
        for pid in chosen:
            person = self.people.get(pid)
            if person is None:
                continue
            people[pid] = known_person(person)
            i = bisect.bisect_left(person.seen, window.since)
            previous[pid] = person.seen[i - 1] if i > 0 else None
        lookup = self.lookup(people)
        places: dict[str, frozenset[int]] = {}
        resolved: dict[tuple[str, str], int | None] = {}
        for records in self.sightings.values():
            for recorded in records:
                s = recorded.sighting
                if not window.contains(s.when):
                    continue
                found = recorded.resolution.person
                resolved[(s.place, person_key(s.written))] = found
                if s.handle:
                    resolved[(s.place, person_key(s.handle))] = found
                if found is not None and found in people:
                    places[s.place] = places.get(s.place, frozenset()) | {found}
        introduced = {rec.resolution.person for records in self.sightings.values() for rec in records
                      if rec.sighting.role == "introduction" and window.contains(rec.sighting.when)
                      and rec.resolution.person is not None}
        meeting_days = sorted({rec.sighting.place: rec.sighting.when for records in self.sightings.values()
                               for rec in records if rec.sighting.role == "checkin"}.values())
        covered = {}
        for pid, known in people.items():
            if known.first_seen is not None and window.contains(known.first_seen):
                lo = bisect.bisect_left(meeting_days, known.first_seen - CONTINUITY)
                hi = bisect.bisect_left(meeting_days, known.first_seen - dt.timedelta(hours=12))
                covered[pid] = hi - lo
                if known.first_role in OUTSIDE_MEETINGS and self.history_start is not None:
                    covered[pid] = CONTINUITY_MEETINGS * (self.history_start <= known.first_seen - CONTINUITY)
        missed = {}
        for pid, before in previous.items():
            if before is not None and pid in present:
                missed[pid] = (bisect.bisect_left(meeting_days, window.since)
                               - bisect.bisect_right(meeting_days, before + dt.timedelta(hours=12)))
        return build_snapshot(window, people, previous, present, introduced, covered, missed, self.rules.absence,
                              lookup, resolved, places)

    def lookup(self, people: Mapping[int, KnownPerson]) -> dict[str, int]:
        out: dict[str, int] = {}
        for pid in people:
            person = self.people[pid]
            for handle in person.handles:
                out[f"h:{handle}"] = pid
            if person.user_id is not None:
                out[f"z:{person.user_id}"] = pid
        for key, ids in self._name.items():
            mine = [i for i in ids if i in people]
            if len(ids) == 1 and mine:
                out.setdefault(f"n:{key}", mine[0])
        for key, alias_id in self._alias.items():
            if alias_id in people:
                out[f"n:{key}"] = alias_id
        return out


# --- what digests see -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KnownPerson:
    """A person as a digest shows them: one canonical name, at most one profile handle, opted out or not."""

    id: int
    name: str
    handle: str | None = None
    user_id: int | None = None
    opted_out: bool = False
    first_seen: dt.datetime | None = None
    first_present: dt.datetime | None = None
    first_label: str | None = None
    first_role: str | None = None


def known_person(person: RegisteredPerson) -> KnownPerson:
    return KnownPerson(id=person.id, name=person.canonical(), handle=person.handle, user_id=person.user_id,
                       opted_out=person.opted_out, first_seen=person.first_seen,
                       first_present=person.first_present, first_label=person.first_label,
                       first_role=person.first_role)


@dataclass(frozen=True)
class PeopleSnapshot:
    """The registry's answer for one digest window (a plain value handed to ``digests``).

    ``people`` are those seen in the window; ``new`` the ids first seen in it (taking part, not only
    mentioned), ``back`` those seen again after ``absence``; ``lookup`` maps ``h:handle``, ``z:user id``
    and ``n:name key`` to ids; ``resolved`` maps (meeting key, written key) to the id its sighting
    resolved to (None: not a person, or kept as a name).
    """

    window: Window
    people: Mapping[int, KnownPerson] = field(default_factory=dict)
    new: tuple[int, ...] = ()
    back: tuple[tuple[int, dt.datetime], ...] = ()
    lookup: Mapping[str, int] = field(default_factory=dict)
    resolved: Mapping[tuple[str, str], int | None] = field(default_factory=dict)
    places: Mapping[str, frozenset[int]] = field(default_factory=dict)

    def identify(self, text: str | None = None, *, place: str | None = None, handle: str | None = None,
                 user_id: int | None = None) -> KnownPerson | None:
        """The person a name / handle / chat id written at ``place`` is, or None (not a person, unknown)."""
        if user_id is not None and f"z:{user_id}" in self.lookup:
            return self.people.get(self.lookup[f"z:{user_id}"])
        if handle and f"h:{handle_key(handle)}" in self.lookup:
            return self.people.get(self.lookup[f"h:{handle_key(handle)}"])
        for candidate in (handle, text):
            if not candidate:
                continue
            key = person_key(candidate)
            if f"h:{handle_key(candidate)}" in self.lookup and candidate == candidate.lower():
                return self.people.get(self.lookup[f"h:{handle_key(candidate)}"])
            if place is not None and (place, key) in self.resolved:
                pid = self.resolved[(place, key)]
                return self.people.get(pid) if pid is not None else None
            for prefix in ("h:", "n:"):
                if f"{prefix}{key}" in self.lookup:
                    return self.people.get(self.lookup[f"{prefix}{key}"])
            if place is not None and len(candidate.split()) == 1:
                here = [self.people[i] for i in self.places.get(place, frozenset()) if i in self.people
                        and person_key(self.people[i].name.split()[0]) == key]
                if len(here) == 1:
                    return here[0]
        return None

    def decided_nobody(self, text: str, place: str) -> bool:
        """Whether the registry read ``text`` at ``place`` and linked it to nobody."""
        key = (place, person_key(text))
        return key in self.resolved and self.resolved[key] is None

    def welcomed(self) -> list[KnownPerson]:
        return [self.people[i] for i in self.new if i in self.people and not self.people[i].opted_out]

    def returning(self) -> list[tuple[KnownPerson, dt.datetime]]:
        return [(self.people[i], when) for i, when in self.back if i in self.people and not self.people[i].opted_out]


CONTINUITY = dt.timedelta(days=90)  # the notes must hold this period before someone's first sighting...
CONTINUITY_MEETINGS = 2  # ...with at least this many meetings, for a check-in alone to make them new
# First seen outside meetings (chat, GitHub): new when the sources' record began at least CONTINUITY before.
OUTSIDE_MEETINGS = frozenset({"shoutout_giver", "shoutout_recipient", "release_author", "github", "chat"})


def build_snapshot(window: Window, people: Mapping[int, KnownPerson], previous: Mapping[int, dt.datetime | None],
                   present: Iterable[int], introduced: Iterable[int], covered: Mapping[int, int],
                   missed: Mapping[int, int], absence: dt.timedelta, lookup: Mapping[str, int], resolved: Mapping[tuple[str, str], int | None],
                   places: Mapping[str, frozenset[int]]) -> PeopleSnapshot:
    """Who is new and who is back in ``window``, from each person's first sighting and the one before it.

    New: first seen in the window (anywhere, in all the history), taking part there (not only thanked),
    and either introduced in the window or first seen where the record is continuous: ``covered[id]``
    meetings recorded in the ``CONTINUITY`` before their first sighting, at least ``CONTINUITY_MEETINGS``.
    Without that, the notes cannot tell a first-timer from a regular whose earlier meetings were not
    written down (the start of an archive, a gap of years), so only introductions count. Back: taking part
    in the window (``present``) after no sighting at all for ``absence`` or longer, while the notes recorded
    meetings they were not at (``missed[id]``, at least ``CONTINUITY_MEETINGS``): a gap in the notes is
    not an absence.
    """
    present, introduced = set(present), set(introduced)
    new = []
    back = []
    for pid, person in sorted(people.items(), key=lambda kv: (kv[1].first_seen or _epoch(), kv[1].name)):
        first = person.first_seen
        if first is not None and window.contains(first):
            took_part = person.first_present is not None and window.contains(person.first_present)
            continuous = covered.get(pid, 0) >= CONTINUITY_MEETINGS
            if took_part and (continuous or pid in introduced):
                new.append(pid)
            continue
        before = previous.get(pid)
        if (pid in present and before is not None and first is not None and first < window.since
                and window.since - before >= absence and missed.get(pid, 0) >= CONTINUITY_MEETINGS):
            back.append((pid, before))
    return PeopleSnapshot(window=window, people=dict(people), new=tuple(new), back=tuple(back),
                          lookup=dict(lookup), resolved=dict(resolved), places=dict(places))


# --- sightings from the sources ---------------------------------------------------------------


def _noon(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=zone)


def _name_or_handle(text: str, celebration_text: str = "") -> dict[str, str | None]:
    """A celebrated / owner string: a lowercase token is a handle if written ``@x`` in the text, else weak."""
    text = _clean(text)
    if text.startswith("@") and looks_like_handle(text):
        return {"handle": text[1:].lower()}
    if looks_like_handle(text) and text == text.lower() and " " not in text:
        if f"@{text}" in celebration_text.lower() or f"github.com/{text}" in celebration_text.lower():
            return {"handle": text}
        return {"weak_handle": text, "name": text}
    return {"name": text}


def meeting_sightings(meeting: Meeting, *, zone: dt.tzinfo = dt.UTC, source: str | None = None) -> Iterator[Sighting]:
    """Every sighting a meeting gives: check-ins, introductions, owners, update givers, celebrations."""
    if meeting.date is None or getattr(meeting, "cancelled", False):
        return
    when = _noon(meeting.date, zone)
    place = meeting_key(meeting)
    src = source or f"notes:{meeting.document}"
    title = meeting.title or "meeting"
    label_at = f"{title}, {meeting.date.isoformat()}"
    for attendee in meeting.attendees:
        if not (attendee.name or attendee.handle):
            continue
        yield Sighting(src, place, "checkin", when, f"check-in at {label_at}", name=attendee.name,
                       handle=attendee.handle, affiliation=attendee.affiliation,
                       pronouns=getattr(attendee, "pronouns", None))
    for name in meeting.newcomers:
        yield Sighting(src, place, "introduction", when, f"introduction at {label_at}", **_name_or_handle(name))  # type: ignore[arg-type]
    owners = [getattr(item, "owner", None) for item in (*meeting.agenda, *meeting.decisions, *meeting.action_items)]
    for owner in dict.fromkeys(o for o in owners if o):
        for part in re.split(r"\s*(?:/|,|&|\+|\band\b|\bc/o\b)\s*", owner):
            if part.strip():
                yield Sighting(src, place, "owner", when, f"topic owner at {label_at}", **_name_or_handle(part))  # type: ignore[arg-type]
    for update in meeting.updates:
        if update.by:
            yield Sighting(src, place, "update", when, f"update at {label_at}", **_name_or_handle(update.by))  # type: ignore[arg-type]
    for celebration in meeting.celebrations:
        if celebration.by:
            yield Sighting(src, place, "celebration_by", when, f"celebration posted at {label_at}",
                           **_name_or_handle(celebration.by))  # type: ignore[arg-type]
        for person in celebration.people:
            yield Sighting(src, place, "celebrated", when, f"celebrated at {label_at}",
                           **_name_or_handle(person, celebration.text))  # type: ignore[arg-type]


def shoutout_sightings(shoutout: Shoutout) -> Iterator[Sighting]:
    """The giver and the people (not groups, not free text) of a chat shout-out, by Zulip user id."""
    src = f"shoutout:{shoutout.id if shoutout.id is not None else shoutout.message_id}"
    place = f"zulip:{shoutout.stream or ''}>{shoutout.topic or ''}"
    where = f"#{shoutout.stream} > {shoutout.topic}" if shoutout.stream else "chat"
    yield Sighting(src, place, "shoutout_giver", shoutout.created_at, f"shout-out given in {where}",
                   name=shoutout.giver, user_id=shoutout.giver_id)
    for recipient in shoutout.recipients:
        if recipient.kind != "user":
            continue
        yield Sighting(src, place, "shoutout_recipient", shoutout.created_at, f"shout-out received in {where}",
                       name=recipient.name, user_id=recipient.user_id)


def release_sightings(release: Release) -> Iterator[Sighting]:
    """Each contributor (GitHub login) of a release."""
    if release.date is None:
        return
    src = f"release:{release.project}@{release.version}"
    for login in release.contributors:
        if looks_like_handle(login):
            yield Sighting(src, src, "release_author", release.date, f"release {release.project} {release.version}",
                           handle=login.lower().lstrip("@"))


def sighting_digest(sightings: Sequence[Sighting]) -> str:
    """A fingerprint of a source's sightings: unchanged sources are not observed again."""
    h = hashlib.sha256()
    for s in sightings:
        h.update(repr((s.place, s.role, s.when.isoformat(), s.name, s.handle, s.user_id, s.email,
                       s.affiliation, s.pronouns, s.weak_handle)).encode())
    return h.hexdigest()
