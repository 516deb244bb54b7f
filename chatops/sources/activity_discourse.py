"""Discourse activity for a digest's window, through the official ``pydiscourse`` client.

Endpoints (as in ``discourse-openapi.json``): ``GET /categories.json`` (names and slugs to ids),
``GET /c/{slug}/{id}.json`` (each configured category's latest topics) and ``GET /top.json?period=``
(the period's top topics, kept when they are in a configured category). From them:

- **topics**: topics of the configured categories with posts in the window, with their replies, views,
  likes and participants (the topic's posters, bots excluded);
- **deployments**: topics opened in the window in the "show and tell" categories;
- **unanswered**: open topics of the configured categories with no reply, older than ``unanswered_after``
  at the end of the window.

Each answer is cached (``SourceCache``); when the forum is down, the last good copy answers and the status
says so. Discourse has no conditional requests: a refresh costs one request per endpoint.

Example usage::

    spec = DiscourseActivitySpec(url="https://discourse.example.org", categories=("general",))
    activity = DiscourseActivity(spec, api_key=key, cache=cache).fetch(window)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pydiscourse import DiscourseClient
from pydiscourse.exceptions import DiscourseClientError, DiscourseError, DiscourseRateLimitedError
from requests import RequestException

from chatops.errors import SourceError
from chatops.sources.cache import CacheEntry, SourceCache
from digests.activity import Activity, SourceStatus, Thread, is_bot
from digests.model import Window

__all__ = ["DiscourseActivity", "DiscourseActivitySpec"]

log = logging.getLogger(__name__)

SOURCE = "Discourse activity"
DEFAULT_BOTS = ("system", "discobot")


@dataclass(frozen=True, slots=True)
class DiscourseActivitySpec:
    url: str
    api_username: str = "system"
    categories: tuple[str, ...] = ()  # names or slugs
    show_and_tell: tuple[str, ...] = ()
    unanswered_after: dt.timedelta = dt.timedelta(days=7)
    bots: tuple[str, ...] = DEFAULT_BOTS


@dataclass(slots=True)
class _Category:
    id: int
    slug: str
    name: str


@dataclass(slots=True)
class _Health:
    requests: int = 0
    stale_reason: str | None = None
    cached_at: float | None = None
    notes: list[str] = field(default_factory=list)


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text)


def top_period(window: Window) -> str:
    """The narrowest ``/top.json`` period that covers the window."""
    days = (window.until - window.since).total_seconds() / 86400
    for limit, period in ((1, "daily"), (7, "weekly"), (31, "monthly"), (92, "quarterly"), (366, "yearly")):
        if days <= limit:
            return period
    return "all"


class DiscourseActivity:
    def __init__(
        self,
        spec: DiscourseActivitySpec,
        *,
        api_key: str | None,
        cache: SourceCache | None = None,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.spec = spec
        self.cache = cache
        self._clock = clock
        self._client = DiscourseClient(spec.url.rstrip("/"), api_username=spec.api_username,
                                       api_key=api_key or "", timeout=timeout)
        self.requests = 0

    def __repr__(self) -> str:  # never the key
        return f"DiscourseActivity(url={self.spec.url!r})"

    def fetch(self, window: Window) -> Activity:
        health = _Health()
        try:
            activity = self._fetch(window, health)
        except SourceError as exc:
            log.info("%s failed: %s", SOURCE, exc)
            return Activity(statuses=(SourceStatus(source=SOURCE, state="unavailable", reason=exc.reason,
                                                   requests=health.requests, units=health.requests),))
        if health.stale_reason is not None:
            status = SourceStatus(source=SOURCE, state="cached", reason=health.stale_reason,
                                  cached_at=dt.datetime.fromtimestamp(health.cached_at or 0.0, dt.UTC),
                                  notes=tuple(health.notes), requests=health.requests, units=health.requests)
        else:
            status = SourceStatus(source=SOURCE, notes=tuple(health.notes), requests=health.requests,
                                  units=health.requests)
        return activity.model_copy(update={"statuses": (status,)})

    # -- the parts -----------------------------------------------------------------------------

    def _fetch(self, window: Window, health: _Health) -> Activity:
        categories = self._categories(health)
        watched = [self._category(name, categories) for name in self.spec.categories]
        shows = [self._category(name, categories) for name in self.spec.show_and_tell]
        topics: dict[int, dict[str, Any]] = {}
        users: dict[int, str] = {}
        for category in {c.id: c for c in [*watched, *shows]}.values():
            path = f"{category.slug}/{category.id}"
            data = self._get(f"/c/{path}.json", health, partial(self._client.category_topics, path))
            self._collect(data, topics, users)
        if watched:
            data = self._get(f"/top.json?period={top_period(window)}", health,
                             lambda: self._client.top_topics(period=top_period(window), per_page=100))
            self._collect(data, topics, users)
        by_id = {c.id: c for c in categories}
        watched_ids = {c.id for c in watched}
        show_ids = {c.id for c in shows}
        active, deployments, unanswered = [], [], []
        cutoff = window.until - self.spec.unanswered_after
        for topic in topics.values():
            found = by_id.get(int(topic.get("category_id") or 0))
            if found is None:
                continue
            category = found
            author = self._author(topic, users)
            if author is None or is_bot(author, self.spec.bots) or topic.get("archetype", "regular") != "regular":
                continue  # "About the ... category" topics, automated posts, private messages
            thread = self._thread(topic, category, author, users)
            created = thread.created_at
            if category.id in watched_ids and thread.active_at is not None and window.contains(thread.active_at) \
                    and thread.comments > 0:
                active.append(thread)
            if category.id in show_ids and window.contains(created):
                deployments.append(thread)
            if (category.id in watched_ids and int(topic.get("reply_count") or 0) == 0
                    and int(topic.get("posts_count") or 1) <= 1 and created < cutoff
                    and not topic.get("closed") and not topic.get("archived")):
                unanswered.append(thread)
        deployments.sort(key=lambda t: t.created_at)
        unanswered.sort(key=lambda t: t.created_at)
        return Activity(topics=tuple(active), deployments=tuple(deployments), unanswered=tuple(unanswered))

    def _collect(self, data: Any, topics: dict[int, dict[str, Any]], users: dict[int, str]) -> None:
        if not isinstance(data, dict):
            raise SourceError(SOURCE, "the forum answered with something that is not a topic list")
        for user in data.get("users", []) or []:
            if isinstance(user, dict) and "id" in user and "username" in user:
                users[int(user["id"])] = str(user["username"])
        for topic in (data.get("topic_list") or {}).get("topics", []) or []:
            if isinstance(topic, dict) and "id" in topic:
                topics.setdefault(int(topic["id"]), topic)

    def _author(self, topic: dict[str, Any], users: dict[int, str]) -> str | None:
        posters = topic.get("posters") or []
        for poster in posters:
            if "original poster" in str(poster.get("description", "")).lower():
                return users.get(int(poster.get("user_id") or 0))
        return users.get(int(posters[0].get("user_id") or 0)) if posters else None

    def _thread(self, topic: dict[str, Any], category: _Category, author: str, users: dict[int, str]) -> Thread:
        people = {users.get(int(p.get("user_id") or 0)) for p in topic.get("posters") or []}
        people = {p for p in people if p and not is_bot(p, self.spec.bots)}
        created = _when(topic.get("created_at")) or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        return Thread(platform="discourse", kind="topic", title=str(topic.get("title", "")),
                      url=f"{self.spec.url.rstrip('/')}/t/{topic.get('slug') or 'topic'}/{topic['id']}",
                      place=category.name, number=int(topic["id"]), author=author, created_at=created,
                      active_at=_when(topic.get("last_posted_at")), comments=int(topic.get("reply_count") or 0),
                      participants=len(people), views=topic.get("views"), likes=topic.get("like_count"))

    def _categories(self, health: _Health) -> list[_Category]:
        data = self._get("/categories.json", health, lambda: {"category_list": {"categories": self._client.categories()}})
        out = []
        for item in ((data or {}).get("category_list") or {}).get("categories", []) or []:
            if isinstance(item, dict) and {"id", "slug", "name"} <= set(item):
                out.append(_Category(int(item["id"]), str(item["slug"]), str(item["name"])))
        return out

    def _category(self, wanted: str, categories: list[_Category]) -> _Category:
        key = wanted.strip().lower()
        for category in categories:
            if key in (category.slug.lower(), category.name.lower(), str(category.id)):
                return category
        known = ", ".join(sorted(c.slug for c in categories)) or "none"
        raise SourceError(SOURCE, f"the forum has no category {wanted!r}; check sources.activity.discourse "
                                  f"(categories: {known})")

    # -- HTTP through pydiscourse, with the cache as fallback -----------------------------------

    def _get(self, path: str, health: _Health, call: Callable[[], Any]) -> Any:
        key = f"activity:discourse:{self.spec.url}{path}"
        health.requests += 1
        try:
            data = call()
        except (DiscourseError, RequestException) as exc:
            reason = _reason(exc)
            cached = self.cache.get(key) if self.cache is not None else None
            if cached is None:
                raise SourceError(SOURCE, reason) from None
            try:
                data = json.loads(cached.body)
            except ValueError:
                raise SourceError(SOURCE, reason) from None
            health.stale_reason = health.stale_reason or reason
            if cached.fetched_at is not None:
                health.cached_at = min(health.cached_at or cached.fetched_at, cached.fetched_at)
            return data
        if self.cache is not None:
            self.cache.put(key, CacheEntry(body=json.dumps(data).encode(), fetched_at=self._clock()))
        return data


def _reason(exc: BaseException) -> str:
    if isinstance(exc, DiscourseRateLimitedError):
        return "rate limited"
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(exc, DiscourseClientError) and status in (401, 403):
        return f"the forum refused the API key (HTTP {status}); check DISCOURSE_API_KEY and discourse.api_username"
    if status is not None:
        return f"the forum answered HTTP {status}"
    if isinstance(exc, RequestException):
        return f"could not reach the forum ({type(exc).__name__})"
    return f"the forum's answer was unusable ({str(exc)[:120]})"
