"""The values compass works with: meetings, releases, shout-outs, windows and digests.

All values are frozen pydantic models that validate themselves on construction. They carry no
behaviour that needs a clock, a network or a database: ``digests`` stays pure.

Naming: these are the plain values. Database rows live in ``chatops.storage.tables`` and say
they are rows (``ShoutoutRecord``, ``PublicationRecord``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from digests.contract import meeting_contract


class Value(BaseModel):
    """Base for every compass value: immutable, typo-proof."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceRef(Value):
    """Where an item came from, so a digest can link back to it.

    ``document`` is the path or URL of the notes document (or ``zulip`` for chat), ``anchor`` the
    heading anchor (slug) of the enclosing section, ``line`` the 1-based line in the document.
    ``url`` is a link a reader can follow (a notes URL with ``#anchor``, a Zulip permalink), when known.
    """

    document: str
    anchor: str | None = None
    line: int | None = None
    url: str | None = None


# --- meetings ---------------------------------------------------------------------------------


class Attendee(Value):
    name: str | None = None  # as written, without pronouns or remarks
    handle: str | None = None  # GitHub handle, lowercase, no '@'
    affiliation: str | None = None
    pronouns: str | None = None  # "she/her", written beside the name
    source: SourceRef | None = None


class Celebration(Value):
    text: str  # Markdown links reduced to their text
    by: str | None = None  # who posted it
    people: tuple[str, ...] = ()  # handles (lowercase, no '@') or names
    markdown: str = ""  # the text as Markdown, links kept; "" when it has no Markdown beyond the text
    source: SourceRef | None = None

    @property
    def rich(self) -> str:
        """The Markdown form when there is one, else the text."""
        return self.markdown or self.text


class Update(Value):
    by: str | None = None
    text: str
    markdown: str = ""  # as for Celebration
    source: SourceRef | None = None

    @property
    def rich(self) -> str:
        return self.markdown or self.text


class AgendaItem(Value):
    title: str
    owner: str | None = None
    minutes: int | None = None
    discussion: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    source: SourceRef | None = None


class Decision(Value):
    """An outcome the notes frame as settled, with the topic it was taken under."""

    text: str
    topic: str | None = None  # agenda item or heading it was recorded under
    source: SourceRef | None = None

    @property
    def reads_alone(self) -> str:
        """"Topic: decision", so that the decision makes sense out of its meeting."""
        return _with_topic(self.topic, self.text)


class ActionItem(Value):
    """A task the notes give to someone (or list as to do), with its topic and whether it is done."""

    text: str
    owner: str | None = None  # "X to do Y" -> X
    topic: str | None = None
    done: bool = False
    source: SourceRef | None = None

    @property
    def reads_alone(self) -> str:
        return _with_topic(self.topic, self.text)


def _with_topic(topic: str | None, text: str) -> str:
    if not topic:
        return text
    topic = topic.rstrip(" :")
    if text.lower().startswith(topic.lower()):
        return text
    return f"{topic}: {text}"


class Meeting(Value):
    """One meeting extracted from a notes document."""

    date: dt.date | None = None
    title: str | None = None
    document: str = ""
    anchor: str | None = None
    attendees: tuple[Attendee, ...] = ()
    newcomers: tuple[str, ...] = ()
    celebrations: tuple[Celebration, ...] = ()
    updates: tuple[Update, ...] = ()
    agenda: tuple[AgendaItem, ...] = ()
    decisions: tuple[Decision, ...] = ()
    action_items: tuple[ActionItem, ...] = ()
    links: tuple[str, ...] = ()
    cancelled: bool = False  # the notes say it did not take place
    documents: tuple[str, ...] = ()  # every document it was read from, when merged from several
    warnings: tuple[str, ...] = ()  # what the parser could not settle (dates that disagree)
    source: SourceRef | None = None

    def to_contract(self) -> dict[str, Any]:
        """The JSON object that ``compass notes parse --format json`` prints for this meeting."""
        return meeting_contract(self)


# --- releases ---------------------------------------------------------------------------------

ReleaseOrigin = Literal["github", "pypi", "changelog"]


class Release(Value):
    """One version of one project, merged across the sources that reported it."""

    project: str
    version: str
    date: dt.datetime | None = None  # aware, UTC
    url: str | None = None
    prerelease: bool = False
    yanked: bool = False
    notes: str = ""  # Markdown
    highlights: tuple[str, ...] = ()
    contributors: tuple[str, ...] = ()
    sources: tuple[ReleaseOrigin, ...] = ()
    from_cache: bool = False


# --- shout-outs -------------------------------------------------------------------------------

RecipientKind = Literal["user", "group", "text"]


class Recipient(Value):
    name: str
    kind: RecipientKind = "user"
    user_id: int | None = None


class Shoutout(Value):
    """A thank-you given in chat (the value; the row is ``ShoutoutRecord``)."""

    id: int | None = None
    giver: str
    giver_id: int | None = None
    recipients: tuple[Recipient, ...]
    text: str
    created_at: dt.datetime  # aware
    stream: str | None = None
    topic: str | None = None
    message_id: int | None = None
    permalink: str | None = None


# --- windows and digests ----------------------------------------------------------------------

DigestKind = Literal["community", "technical", "celebratory"]


class Window(Value):
    """The half-open period [since, until) a digest covers; both ends aware datetimes."""

    since: dt.datetime
    until: dt.datetime

    @field_validator("since", "until")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("window bounds must be timezone-aware datetimes")
        return value

    def contains(self, when: dt.datetime | dt.date) -> bool:
        if isinstance(when, dt.datetime):
            return self.since <= when < self.until
        start = dt.datetime.combine(when, dt.time(12), tzinfo=self.since.tzinfo)
        return self.since <= start < self.until
