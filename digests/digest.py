"""The compiled digest: a typed, ordered list of sections, ready to be rendered for a target.

``digests.compile.compile_digest`` builds a ``Digest``; ``digests.render`` turns it into Markdown.
Everything here is a plain frozen value. Text fields hold *plain text* taken from notes or chat
(or short Markdown such as release highlights, in ``Entry.markdown``); rendering escapes them.

    Digest
     ├── summary        the opening sentence (plain text)
     ├── counts         meetings, people, releases, shout-outs, ...
     └── sections       Section(name, heading, intro, entries)
                          └── Entry(text, title, date, people, credits, links, marks, children)
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from digests.model import DigestKind, Value, Window

__all__ = [
    "Budget",
    "Chart",
    "CommunityInfo",
    "Digest",
    "DigestCounts",
    "Entry",
    "Link",
    "Person",
    "Section",
    "UpcomingMeeting",
]


class Link(Value):
    """A link a reader can follow; ``url`` is None when the source has no public address."""

    label: str
    url: str | None = None


PersonKind = Literal["zulip", "github", "name", "group"]


class Person(Value):
    """Someone named in a digest.

    ``kind`` says how to show them: ``zulip`` users get a silent mention in Zulip (``@_**Name**``),
    ``github`` handles link to their profile, ``name`` is plain text and ``group`` is never a mention.
    """

    name: str
    kind: PersonKind = "name"
    user_id: int | None = None
    handle: str | None = None


class Entry(Value):
    """One item of a section.

    ``text`` is plain text from the notes or chat; ``markdown`` is short, trusted-shape Markdown
    (release highlights) whose links are kept and everything else escaped. ``links`` point back to the
    sources. ``children`` hold grouped items (the releases of a project, the thanks to a person).
    """

    text: str = ""
    title: str | None = None
    date: dt.date | None = None
    when: dt.datetime | None = None  # a moment each reader sees in their own zone (upcoming meetings)
    people: tuple[Person, ...] = ()
    credits: tuple[Person, ...] = ()
    links: tuple[Link, ...] = ()
    marks: tuple[str, ...] = ()
    markdown: tuple[str, ...] = ()
    children: tuple[Entry, ...] = ()


class Section(Value):
    """A titled part of a digest; ``name`` is one of ``digests.sections.SECTIONS[kind]``."""

    name: str
    heading: str
    intro: str | None = None
    entries: tuple[Entry, ...] = ()
    # Sections that are context rather than news (upcoming meetings, standing links) do not make a
    # digest non-empty on their own.
    content: bool = True


class DigestCounts(Value):
    """What a digest shows, counted (the opening sentence names only what is there)."""

    meetings: int = 0
    cancelled: int = 0
    topics: int = 0
    teams: int = 0
    wins: int = 0
    calls: int = 0
    news: int = 0
    people: int = 0
    releases: int = 0
    projects: int = 0
    shoutouts: int = 0
    celebrations: int = 0
    thanked: int = 0
    newcomers: int = 0
    newcomers_present: int = 0  # of ``newcomers``, those among the ``people`` who came to the meetings
    decisions: int = 0
    action_items: int = 0


class UpcomingMeeting(Value):
    """A scheduled meeting the community digest announces (computed by the caller from the config)."""

    name: str
    when: dt.datetime  # aware
    url: str | None = None


class Budget(Value):
    """How much a digest may ask of its reader (``digests.<kind>.budget`` in the configuration)."""

    topics_per_meeting: int = Field(default=6, ge=1, le=100)  # technical: the rest is "and K more in the notes"
    topic_length: int = Field(default=100, ge=30, le=500)  # characters of a topic's line, cut at a clause
    items_per_topic: int = Field(default=4, ge=0, le=50)  # decisions and action items under one topic
    thanks_per_person: int = Field(default=3, ge=1, le=50)  # celebratory: thanks shown per person
    calls_for_help: int = Field(default=8, ge=0, le=100)  # community: calls for help and invitations
    news: int = Field(default=8, ge=0, le=100)  # community: news and quick updates
    prereleases: bool = False  # technical: list pre-releases too
    chart: bool = True  # community: the attendance chart of the last 12 months


class CommunityInfo(Value):
    """What a digest needs to know about the community: its name, zone and standing links."""

    name: str = "the community"  # read inside sentences: "In May 2025, the community met twice"
    timezone: str = "UTC"
    links: tuple[Link, ...] = ()
    notes_url: str | None = None  # base URL where local notes files are published, for source links


class Chart(Value):
    """A picture that goes with a digest (``digests.chart``): PNG bytes, a file name and its alt text."""

    name: str  # "attendance.png"
    png: bytes
    alt: str


class Digest(Value):
    kind: DigestKind
    window: Window
    timezone: str
    community: str
    title: str  # e.g. "Community digest, June 2025"
    period: str  # e.g. "June 2025", "9-15 June 2025"
    summary: str | None  # the opening sentence; None when the summary section is turned off
    counts: DigestCounts
    sections: tuple[Section, ...] = ()
    empty: bool = False
    chart: Chart | None = None  # the community digest's attendance chart, when meetings were held

    def section(self, name: str) -> Section | None:
        """The section called ``name``, or None when it was left out (empty or not selected)."""
        for section in self.sections:
            if section.name == name:
                return section
        return None


Entry.model_rebuild()
