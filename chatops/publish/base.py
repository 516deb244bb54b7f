"""The publishing port: one ``Publisher`` per target kind, and the values that cross it.

``Publisher`` is the Protocol that ``chatops.publishing`` sees; ``ZulipPublisher``,
``DiscoursePublisher`` and ``OutboxPublisher`` implement it, each turning its platform's failures into
``chatops.errors.PublishError`` subclasses (``RateLimited``, ``AuthError``, ``MessageTooLong``).

A ``Post`` is what one digest, for one period, looks like on one target. It is built once per
publication and frozen in the publication row, so a retry (after a 5xx, a timeout or a crash) sends
the same text and can find an earlier success by looking it up. A ``Publication`` is what a publisher
returns: where the post ended up. The row's ``remote_ref`` column holds one or the other as JSON;
``read_remote_ref`` is the one parse of it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from chatops.errors import PostRejectedError

__all__ = [
    "Image",
    "Post",
    "PostRejectedError",
    "PreparingPublisher",
    "Publication",
    "Publisher",
    "external_id_for",
    "has_images",
    "place_images",
    "read_remote_ref",
    "without_images",
]

# Discourse's topic.rb caps external ids at 50 characters (EXTERNAL_ID_MAX_LENGTH).
EXTERNAL_ID_MAX = 50


def external_id_for(digest: str, period_start: dt.datetime, *, salt: str = "") -> str:
    """A stable id for one digest's period, e.g. ``compass-community-monthly-20261103T1700Z``.

    It is at most 50 characters (Discourse's limit) and uses only ``[a-z0-9-]``; a long digest name
    is shortened and disambiguated with a hash. ``salt`` tells apart several targets of one kind.
    """
    stamp = period_start.astimezone(dt.UTC).strftime("%Y%m%dT%H%MZ").lower()
    name = re.sub(r"[^a-z0-9-]+", "-", digest.lower())
    ident = f"compass-{name}-{stamp}"
    if salt:
        ident += "-" + hashlib.sha256(salt.encode()).hexdigest()[:6]
    if len(ident) > EXTERNAL_ID_MAX:
        digest_hash = hashlib.sha256(f"{digest}|{salt}".encode()).hexdigest()[:8]
        room = EXTERNAL_ID_MAX - len(f"c--{digest_hash}-{stamp}")
        ident = f"c-{name[:room].rstrip('-')}-{digest_hash}-{stamp}"
    return ident


@dataclass(frozen=True, slots=True)
class Image:
    """A picture that goes with a post (the attendance chart): uploaded by each publisher, then embedded."""

    name: str  # "attendance.png"; the post's Markdown holds ``![alt](compass-chart:<name>)`` where it goes
    png: bytes
    alt: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "png": base64.b64encode(self.png).decode("ascii"), "alt": self.alt}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Image:
        return cls(name=str(data["name"]), png=base64.b64decode(data["png"]), alt=str(data.get("alt") or ""))


_PICTURE = re.compile(r"^!\[(?P<alt>[^\]\n]*)\]\(compass-chart:(?P<name>[\w.-]+)\)[ \t]*$", re.MULTILINE)
# A picture line once placed: Markdown image or link to an upload (Zulip /user_uploads, Discourse upload://).
_PLACED = re.compile(r"^!?\[[^\]\n]*\]\((?:compass-chart:|/user_uploads/|upload://)[^)\s]*\)[ \t]*\n?", re.MULTILINE)


def place_images(text: str, urls: dict[str, str | None], *, image: bool = True) -> str:
    """``text`` with each picture placeholder replaced by its uploaded address (``![alt](url)``, or
    ``[alt](url)`` with ``image=False``, Zulip's way to show an uploaded picture); a picture without an
    address (its upload failed) is dropped with its line, and the rest of the text stays as it is."""
    def place(match: re.Match[str]) -> str:
        url = urls.get(match.group("name"))
        if not url:
            return "\x00"
        return f"{'!' if image else ''}[{match.group('alt')}]({url})"

    out = _PICTURE.sub(place, text)
    if "\x00" in out:
        out = re.sub(r"\n*\x00\n*", "\n\n", out).strip("\n") + ("\n" if text.endswith("\n") else "")
    return out


def without_images(text: str) -> str:
    """``text`` with its picture lines (placeholders or placed uploads) left out: how a retry compares an
    earlier post with its own, whatever address an upload was given."""
    return re.sub(r"\n{3,}", "\n\n", _PLACED.sub("", text)).strip()


def has_images(text: str) -> bool:
    return bool(_PICTURE.search(text))


@dataclass(frozen=True, slots=True)
class Post:
    """One digest for one period, rendered for one target."""

    digest: str
    period_start: dt.datetime
    period_end: dt.datetime
    external_id: str
    title: str
    body: str  # Markdown: the Discourse post, the outbox file
    messages: tuple[str, ...] = ()  # Zulip: the body split under the message limit, in order
    topic: str | None = None  # Zulip topic
    # Zulip: the newest message id in the topic before the first attempt; only later messages can be ours.
    anchor: int | None = None
    images: tuple[Image, ...] = ()  # pictures the body places (``![alt](compass-chart:name)``)

    def to_json(self) -> dict[str, Any]:
        return {
            "digest": self.digest,
            "period_start": self.period_start.astimezone(dt.UTC).isoformat(),
            "period_end": self.period_end.astimezone(dt.UTC).isoformat(),
            "external_id": self.external_id,
            "title": self.title,
            "body": self.body,
            "messages": list(self.messages),
            "topic": self.topic,
            "anchor": self.anchor,
            "images": [i.to_json() for i in self.images],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Post:
        return cls(
            digest=data["digest"],
            period_start=dt.datetime.fromisoformat(data["period_start"]),
            period_end=dt.datetime.fromisoformat(data["period_end"]),
            external_id=data["external_id"],
            title=data["title"],
            body=data["body"],
            messages=tuple(data.get("messages") or ()),
            topic=data.get("topic"),
            anchor=data.get("anchor"),
            images=tuple(Image.from_json(i) for i in data.get("images") or ()),
        )


@dataclass(frozen=True, slots=True)
class Publication:
    """Where a post ended up: what the publication row records as its ``remote_ref``."""

    target: str
    ref: dict[str, Any] = field(default_factory=dict)  # topic id, message ids, file path
    url: str | None = None
    found: bool = False  # True when an earlier attempt's post was found instead of posting again

    def describe(self) -> str:
        return self.url or ", ".join(f"{k}={v}" for k, v in self.ref.items()) or self.target

    def to_json(self) -> dict[str, Any]:
        """What the publication row's ``remote_ref`` holds once published."""
        return {"ref": self.ref, "url": self.url, "found": self.found}


def read_remote_ref(target: str, text: str | None) -> Post | Publication | None:
    """The publication row's ``remote_ref``, typed: the ``Post`` frozen before posting (``{"post": ...}``),
    the ``Publication`` recorded once published (``{"ref", "url", "found"}``), or None (empty or unreadable)."""
    if not text:
        return None
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            return None
        if "post" in data:
            return Post.from_json(data["post"])
        ref = data.get("ref")
        return Publication(target, ref if isinstance(ref, dict) else {}, url=data.get("url"),
                           found=bool(data.get("found")))
    except (ValueError, KeyError, TypeError):
        return None


class Publisher(Protocol):
    """Posts a ``Post`` to one target, at most once per ``external_id``.

    ``publish(post, recover=True)`` is called when an earlier attempt may have posted (a crash, a
    timeout, a 5xx): the publisher must look the post up first (Discourse by external id, Zulip by
    a narrow search of the bot's own messages, the outbox by file name) and post only what is missing.
    """

    target: str

    def find(self, post: Post) -> Publication | None:
        """The earlier complete publication of ``post``, if there is one."""
        ...

    def publish(self, post: Post, *, recover: bool = False) -> Publication:
        """Post it; raise a ``PublishError`` subclass on failure."""
        ...


@runtime_checkable
class PreparingPublisher(Publisher, Protocol):
    """A publisher that records something before its first attempt (saved with the frozen post).

    ``ZulipPublisher`` notes the topic's newest message id, so that a later recovery search counts
    only messages sent after it, and an identical digest text posted earlier is never mistaken for this one.
    """

    def prepare(self, post: Post) -> Post: ...
