"""Gather a window's GitHub and Discourse activity from ``sources.activity``, each source on its own.

``collect_activity`` asks every configured source and merges what they gave into one
``digests.activity.Activity``. A source that raises, fails or is rate-limited is named in the result's
``statuses`` (``"GitHub activity unavailable: rate limited until 14:10 UTC"``); the other sources still
count, and nothing here ever raises for a source's sake.

First-time contributors: GitHub says who had a pull request merged before the window; the logins and
the time they are known to have contributed by are kept in the cache (``activity:github:known:...``), so
the next period asks nothing about them. Each first-timer is handed to ``on_first_contribution`` (the
people registry records the sighting there, so they are welcomed once).

Example usage::

    activity = collect_activity(config, window, cache=FileCache.default())
    for status in activity.statuses: ...
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from chatops.sources.cache import CacheEntry, SourceCache
from digests.activity import Activity, Contributor, SourceStatus

if TYPE_CHECKING:
    from chatops.config import Config

__all__ = ["collect_activity", "discourse_source", "github_source"]

log = logging.getLogger(__name__)


def github_source(config: Config, *, cache: SourceCache | None, transport: httpx.BaseTransport | None = None,
                  sleep: Callable[[float], None] | None = None, clock: Callable[[], float] = time.time,
                  conditional: bool = True) -> Any:
    """The configured ``GitHubActivity`` client, or None when ``sources.activity.github`` is not set."""
    cfg = config.sources.activity
    github = cfg.github
    if github is None:
        return None
    from chatops.sources.activity_github import GitHubActivity, GitHubActivitySpec
    from chatops.sources.releases import RetryPolicy

    spec = GitHubActivitySpec(repos=tuple(github.repos), orgs=tuple(github.orgs), labels=tuple(github.labels),
                              bots=tuple(cfg.bots), api_url=github.api_url,
                              discussed=cfg.limits.conversations, help_wanted=cfg.limits.help_wanted)
    token = github.token.get_secret_value() if github.token else None
    return GitHubActivity(spec, cache=cache, token=token, policy=RetryPolicy(max_wait=github.max_wait.total_seconds()),
                          transport=transport, sleep=sleep, clock=clock, conditional=conditional,
                          token_env=github.token_env)


def discourse_source(config: Config, *, cache: SourceCache | None, clock: Callable[[], float] = time.time) -> Any:
    """The configured ``DiscourseActivity`` client, or None when ``sources.activity.discourse`` is not set."""
    cfg = config.sources.activity
    forum = cfg.discourse
    if forum is None:
        return None
    from chatops.sources.activity_discourse import DEFAULT_BOTS, DiscourseActivity, DiscourseActivitySpec

    site = config.discourse
    url = forum.url or (site.url if site is not None else "")
    username = forum.api_username or (site.api_username if site is not None else "system")
    key = site.api_key.get_secret_value() if site is not None and site.api_key is not None else None
    spec = DiscourseActivitySpec(url=url, api_username=username, categories=tuple(forum.categories),
                                 show_and_tell=tuple(forum.show_and_tell), unanswered_after=forum.unanswered_after,
                                 bots=(*DEFAULT_BOTS, *cfg.bots))
    return DiscourseActivity(spec, api_key=key, cache=cache, clock=clock)


def _known_key(config: Config) -> str:
    github = config.sources.activity.github
    scope = json.dumps([github.api_url, sorted(github.repos), sorted(github.orgs)] if github else [])
    return "activity:github:known:" + hashlib.sha256(scope.encode()).hexdigest()[:16]


def _load_known(cache: SourceCache | None, key: str) -> dict[str, dt.datetime]:
    entry = cache.get(key) if cache is not None else None
    if entry is None:
        return {}
    try:
        raw = json.loads(entry.body)
        return {str(k): dt.datetime.fromisoformat(v) for k, v in raw.items()}
    except (ValueError, AttributeError, TypeError):
        return {}


def _failed(source: str, exc: BaseException) -> Activity:
    log.exception("%s failed unexpectedly", source)
    return Activity(statuses=(SourceStatus(source=source, state="unavailable",
                                           reason=f"unexpected error ({type(exc).__name__}; details in the log)"),))


def collect_activity(
    config: Config,
    window: Any,
    *,
    cache: SourceCache | None,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.time,
    on_first_contribution: Callable[[Contributor], None] | None = None,
) -> Activity:
    """Every configured activity source for ``window``, merged; failures are statuses, never exceptions."""
    activity = Activity()
    github = github_source(config, cache=cache, transport=transport, sleep=sleep, clock=clock)
    if github is not None:
        key = _known_key(config)
        known = _load_known(cache, key)
        try:
            with github:
                found = github.fetch(window, known_authors=known)
        except Exception as exc:  # noqa: BLE001 - one source never takes the digest down
            found = _failed("GitHub activity", exc)
        if cache is not None and known:
            body = json.dumps({k: v.isoformat() for k, v in sorted(known.items())}).encode()
            cache.put(key, CacheEntry(body=body, fetched_at=clock()))
        if on_first_contribution is not None:
            for contributor in found.first_timers:
                on_first_contribution(contributor)
        activity = activity.merge(found)
    forum = discourse_source(config, cache=cache, clock=clock)
    if forum is not None:
        try:
            found = forum.fetch(window)
        except Exception as exc:  # noqa: BLE001
            found = _failed("Discourse activity", exc)
        activity = activity.merge(found)
    return activity
