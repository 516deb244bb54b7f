"""Project activity outside the meetings: GitHub issues and pull requests, Discourse topics (pure values).

``chatops.sources.activity`` fetches these from GitHub and Discourse for a digest's window and hands
``digests`` an ``Activity``; the digest sections built from it (``digests.sections``) read only these
values: no clock, no network. What is here:

- ``Thread``: an issue, a pull request or a forum topic, with the numbers a reader weighs it by
  (comments in the window, participants, views, likes);
- ``MergedPull`` and ``Contributor``: merged work per repository, and the people whose first merged pull
  request in the configured repositories falls in the window;
- ``SourceStatus``: how each source fared (ok, answered from its cache, unavailable), and what it cut
  (a search capped at 1,000 results), so a digest says what it could not show instead of showing less;
- ``Activity``: all of it for one window; ``merge`` combines the GitHub and Discourse halves.

Untrusted text (titles, logins) stays plain text here; rendering escapes it like every other value.

Example usage::

    activity = Activity(discussed=(Thread(platform="github", kind="issue", title="Flaky CI", url=...,
                                          place="org/repo", created_at=..., comments=12, participants=5),))
    ranked = most_active(activity, window, limit=5)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Literal
from zoneinfo import ZoneInfo

from digests.model import Value, Window

__all__ = [
    "Activity",
    "Contributor",
    "Limits",
    "MergedPull",
    "SourceStatus",
    "Thread",
    "is_bot",
    "most_active",
    "status_line",
]

Platform = Literal["github", "discourse"]
ThreadKind = Literal["issue", "pull", "topic"]


class Thread(Value):
    """An issue, pull request or forum topic; ``comments`` counts those made in the window when known."""

    platform: Platform
    kind: ThreadKind
    title: str
    url: str
    place: str  # "owner/repo" or the forum category's name
    number: int | None = None
    author: str | None = None
    created_at: dt.datetime
    active_at: dt.datetime | None = None  # last comment / post; None when unknown
    comments: int = 0
    participants: int = 0
    views: int | None = None
    likes: int | None = None
    labels: tuple[str, ...] = ()


class MergedPull(Value):
    repo: str  # "owner/name"
    number: int
    title: str
    url: str
    author: str
    merged_at: dt.datetime


class Contributor(Value):
    """Someone whose first merged pull request in the configured repositories is ``first``."""

    login: str
    first: MergedPull


StatusState = Literal["ok", "cached", "unavailable"]


class SourceStatus(Value):
    """How one source fared: ``cached`` means some answers came from the last good copy (``reason`` says why)."""

    source: str  # "GitHub activity", "Discourse activity"
    state: StatusState = "ok"
    reason: str | None = None  # "rate limited", "the server answered HTTP 502", ...
    until: dt.datetime | None = None  # when a rate limit resets
    cached_at: dt.datetime | None = None  # the oldest cached copy used
    notes: tuple[str, ...] = ()  # what was cut: "search for merged pull requests capped at 1,000 of 1,204"
    requests: int = 0
    units: int = 0  # rate-limit units spent (GitHub: answers other than 304)


class Activity(Value):
    merged: tuple[MergedPull, ...] = ()
    first_timers: tuple[Contributor, ...] = ()
    discussed: tuple[Thread, ...] = ()  # GitHub issues and pull requests active in the window
    help_wanted: tuple[Thread, ...] = ()  # open GitHub issues with the configured labels (the newest few)
    help_wanted_total: int = 0  # how many open issues carry those labels in all
    topics: tuple[Thread, ...] = ()  # Discourse topics active in the window, in the configured categories
    deployments: tuple[Thread, ...] = ()  # new topics in the show-and-tell categories
    unanswered: tuple[Thread, ...] = ()  # forum topics nobody answered for the configured age
    statuses: tuple[SourceStatus, ...] = ()

    def merge(self, other: Activity) -> Activity:
        return Activity(**{name: getattr(self, name) + getattr(other, name) for name in Activity.model_fields})

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name) for name in Activity.model_fields
                       if name not in ("statuses", "help_wanted_total"))


class Limits(Value):
    """How many items each activity section shows (``sources.activity.limits``)."""

    conversations: int = 5
    merged_per_repo: int = 5
    help_wanted: int = 5
    unanswered: int = 5
    deployments: int = 5


def is_bot(login: str | None, extra: Iterable[str] = ()) -> bool:
    """GitHub apps sign as ``name[bot]``; ``extra`` lists other automation accounts (case-insensitive)."""
    if not login:
        return False
    lowered = login.lower()
    return lowered.endswith("[bot]") or lowered in {e.lower() for e in extra}


def _activity_key(thread: Thread) -> tuple[int, int, int, str]:
    return (-thread.comments, -thread.participants, -(thread.likes or 0), thread.title.lower())


def most_active(threads: Iterable[Thread], window: Window, *, limit: int) -> list[Thread]:
    """The ``limit`` liveliest threads active in ``window``: most comments, then participants, then likes.

    A thread whose last activity is known and falls outside the half-open window is left out, as is
    one nobody commented on.
    """
    kept = [t for t in threads if t.comments > 0 and (t.active_at is None or window.contains(t.active_at))]
    return sorted(kept, key=_activity_key)[:limit]


def _clock_time(when: dt.datetime, timezone: str) -> str:
    local = when.astimezone(ZoneInfo(timezone))
    label = "UTC" if timezone in ("UTC", "Etc/UTC") else timezone
    return f"{local:%H:%M} {label}" if local.date() == when.astimezone(dt.UTC).date() or label == "UTC" \
        else f"{local:%d %b %H:%M} {label}"


def status_line(status: SourceStatus, timezone: str) -> str | None:
    """One sentence a reader understands, or None for a source that answered in full.

    ``"GitHub activity unavailable: rate limited until 14:10 UTC"``,
    ``"Discourse activity from the copy cached on 30 June 2025 at 18:00 UTC (the server answered HTTP 502)"``.
    """
    reason = status.reason or "no answer"
    if status.until is not None:
        reason = f"{reason} until {_clock_time(status.until, timezone)}"
    if status.state == "unavailable":
        return f"{status.source} unavailable: {reason}"
    if status.state == "cached":
        when = ""
        if status.cached_at is not None:
            local = status.cached_at.astimezone(ZoneInfo(timezone))
            when = f" cached on {local.day} {local:%B %Y} at {_clock_time(status.cached_at, timezone)}"
        return f"{status.source} from the copy{when} ({reason})"
    return None


def first_in(pulls: Sequence[MergedPull]) -> MergedPull:
    return min(pulls, key=lambda p: (p.merged_at, p.repo, p.number))
