"""Publish one digest, for one period, to each of its targets exactly once.

Each (digest, period, target) is a ``PublicationRecord`` with a unique key. Publishing a target means:

1. create the rows if missing (``INSERT ... ON CONFLICT DO NOTHING``: racing replicas agree on one row);
2. skip rows already ``published``/``skipped`` without compiling anything;
3. take the row's lock (``chatops.storage.publications.publication_lock``: a PostgreSQL advisory lock,
   or an fcntl lock on SQLite); a row locked by another process is left to it;
4. freeze the rendered ``Post`` in the row and mark it ``posting`` *before* the network call, so a
   crash between posting and recording is visible to the next holder, which then asks the target
   whether the post exists (``recover=True``) instead of posting again;
5. post, retrying a retryable failure (5xx, timeout, 429 after its wait) with exponential backoff and
   jitter through an injectable ``sleep``; an ``AuthError`` or ``MessageTooLong`` is not retried;
6. record ``published`` (with the remote reference) or ``failed`` (with the reason).

One failing target never stops the others. Nothing here prints; callers report the returned
``DigestOutcome`` through its own wording (``sentence()`` for chat, ``lines()`` for the terminal).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from chatops.clock import Clock, utc_now
from chatops.errors import CompassError, MessageTooLong, PublishError, RateLimited, UsageError
from chatops.periods import as_window
from chatops.publish.base import (
    Image,
    Post,
    PostRejectedError,
    PreparingPublisher,
    Publication,
    Publisher,
    external_id_for,
    has_images,
    read_remote_ref,
)
from chatops.retry import RetryPolicy, pause
from chatops.storage.publications import (
    DONE,
    Status,
    ensure_publications,
    find_publications,
    get_publication,
    publication_lock,
    save_publication,
)

if TYPE_CHECKING:
    from chatops.config import Config, DigestConfig, Target
    from chatops.storage.db import Database
    from chatops.storage.tables import PublicationRecord
    from digests.model import Window

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
# What happened to one target in one call (not the row's ``Status``: "already" and "busy" are answers).
# "stopped": the stop (SIGTERM) cut a retry wait; the row is left for the sweep or the next start.
OutcomeStatus = Literal["published", "already", "skipped", "failed", "busy", "dry-run", "draft", "stopped"]


@dataclass(frozen=True, slots=True)
class TargetOutcome:
    target: str
    status: OutcomeStatus
    publication: Publication | None = None
    error: str | None = None
    attempts: int = 0

    def describe(self) -> str:
        if self.publication is not None:
            return f"{self.status}: {self.publication.describe()}"
        return f"{self.status}: {self.error}" if self.error else self.status

    def line(self) -> str:
        """``outbox:...: published: /path`` for the terminal."""
        where = ""
        if self.publication is not None:
            where = self.publication.url or self.publication.describe()
        elif self.error:
            where = self.error
        label = {"busy": "in progress in another process", "draft": "drafted"}.get(self.status, self.status)
        if self.status == "already":
            label = "already published" if self.publication is not None else "already done"
        return f"{self.target}: {label}" + (f": {where}" if where else "")


@dataclass(frozen=True, slots=True)
class DigestOutcome:
    digest: str
    period_start: dt.datetime
    period_end: dt.datetime
    targets: tuple[TargetOutcome, ...] = ()
    empty: bool = False
    preview: tuple[Post, ...] = field(default=())  # dry runs: what would be posted

    @property
    def window(self) -> Window:
        return as_window((self.period_start, self.period_end))

    def sentence(self) -> str:
        """One line for chat: ``community-monthly for 2025-06-01 to 2025-07-01: outbox:x: published``."""
        parts = [f"{t.target}: {t.status}" for t in self.targets]
        return f"{self.digest} for {self.period_start:%Y-%m-%d} to {self.period_end:%Y-%m-%d}: " + "; ".join(parts)

    def lines(self, zone: dt.tzinfo) -> list[str]:
        """The terminal's report: the period in ``zone``, then one line per target."""
        start, end = self.period_start.astimezone(zone), self.period_end.astimezone(zone)
        head = f"{self.digest}: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} ({zone})"
        return [head, *(f"  {target.line()}" for target in self.targets)]

    @property
    def published(self) -> list[TargetOutcome]:
        return [t for t in self.targets if t.status == "published"]

    @property
    def failed(self) -> list[TargetOutcome]:
        return [t for t in self.targets if t.status == "failed"]


DEFAULT_RETRY = RetryPolicy()

# A function that builds the post for one target, or None when the digest is empty and skipped.
Prepare = Callable[["Target"], Post | None]


def publish_digest(
    *,
    database: Database,
    digest: DigestConfig,
    period: Window | tuple[dt.datetime, dt.datetime],
    publishers: Mapping[str, Publisher],
    prepare: Prepare,
    clock: Clock = utc_now,
    sleep: Sleep = time.sleep,
    retry: RetryPolicy = DEFAULT_RETRY,
    dry_run: bool = False,
    stop: threading.Event | None = None,
) -> DigestOutcome:
    """Publish ``digest`` for ``period`` to every target in ``publishers`` (keyed by ``Target.key``).

    Example usage::

        outcome = publish_digest(database=db, digest=cfg.digest("community-monthly"), period=(start, end),
                                 publishers={t.key: make_publisher(cfg, digest_cfg, t) for t in targets},
                                 prepare=prepare)
    """
    window = as_window(period)
    start, end = window.since, window.until
    targets = [t for t in digest.targets if t.key in publishers]
    with database.session() as session:
        if dry_run:  # a dry run writes nothing, not even pending rows (a replica's sweep would publish them)
            rows = find_publications(session=session, digest=digest.name, period_start=start,
                                     targets=[t.key for t in targets])
        else:
            rows = ensure_publications(
                session=session,
                digest=digest.name,
                period_start=start,
                period_end=end,
                targets=[t.key for t in targets],
                now=clock(),
            )
    by_key = {row.target: row for row in rows}
    outcomes: list[TargetOutcome] = []
    previews: list[Post] = []
    empty = False
    to_publish: list[Target] = []
    for target in targets:
        row = by_key.get(target.key)
        if row is not None and row.status in DONE:
            outcomes.append(_done_outcome(row))
        elif dry_run:
            post = prepare(target)
            if post is None:
                empty = True
                outcomes.append(TargetOutcome(target.key, "dry-run", error="empty: would be skipped"))
            else:
                previews.append(post)
                outcomes.append(TargetOutcome(target.key, "dry-run"))
        else:
            to_publish.append(target)

    def one(target: Target) -> TargetOutcome:
        return _publish_target(
            database=database,
            row_id=_row_id(by_key[target.key]),
            target=target,
            publisher=publishers[target.key],
            prepare=prepare,
            clock=clock,
            sleep=sleep,
            retry=retry,
            stop=stop,
        )

    # Targets publish side by side, so one that is down (and retried with backoff) delays no other.
    # A Zulip target in 'summary' mode links to the Discourse topic, so it goes after the others.
    summaries = [t for t in to_publish if t.zulip is not None and t.zulip.mode == "summary"]
    for batch in ([t for t in to_publish if t not in summaries], summaries):
        if len(batch) == 1:
            outcomes.append(one(batch[0]))
        elif batch:
            with ThreadPoolExecutor(max_workers=len(batch), thread_name_prefix="compass-publish") as pool:
                outcomes.extend(pool.map(one, batch))
    empty = empty or any(o.status == "skipped" and o.error == "empty" for o in outcomes)
    order = {t.key: i for i, t in enumerate(targets)}
    outcomes.sort(key=lambda o: order[o.target])
    return DigestOutcome(digest.name, start, end, tuple(outcomes), empty=empty, preview=tuple(previews))


def _row_id(row: PublicationRecord) -> int:
    assert row.id is not None
    return row.id


def _done_outcome(row: PublicationRecord) -> TargetOutcome:
    ref = read_remote_ref(row.target, row.remote_ref) if row.status == Status.PUBLISHED else None
    publication = ref if isinstance(ref, Publication) else None
    error = f"skipped earlier ({row.last_error or 'empty'})" if row.status == Status.SKIPPED else None
    return TargetOutcome(row.target, "already", publication=publication, error=error, attempts=row.attempts)


def _publish_target(
    *,
    database: Database,
    row_id: int,
    target: Target,
    publisher: Publisher,
    prepare: Prepare,
    clock: Clock,
    sleep: Sleep,
    retry: RetryPolicy,
    stop: threading.Event | None = None,
) -> TargetOutcome:
    with publication_lock(database, row_id) as held:
        if not held:
            log.info('Publication %d to "%s" is being handled by another process', row_id, target.key)
            return TargetOutcome(target.key, "busy")
        with database.session() as session:
            row = get_publication(session=session, publication_id=row_id)
            assert row is not None
            if row.status in DONE:  # finished by another process between our read and our lock
                return _done_outcome(row)
            if row.status == Status.DRAFT:  # under review: only an approval (chatops.review) releases it
                return TargetOutcome(target.key, "draft", error="waiting for review", attempts=row.attempts)
            # An earlier attempt that got as far as 'posting' may have posted: look before posting.
            recover = row.status == Status.POSTING or row.attempts > 0
            post = _frozen_post(row)
            if post is None:
                try:
                    post = prepare(target)
                except CompassError as exc:  # a source that failed (SourceError), a broken template...
                    log.error('Cannot compile digest "%s" for %s: %s; the period is recorded as failed, not '
                              "empty", row.digest, target.key, exc)
                    save_publication(session=session, row=row, status=Status.FAILED, last_error=str(exc))
                    return TargetOutcome(target.key, "failed", error=str(exc), attempts=row.attempts)
                if post is None:
                    save_publication(session=session, row=row, status=Status.SKIPPED, last_error="empty",
                                     published_at=clock())
                    log.info('Digest "%s" is empty for this period; skipped %s', row.digest, target.key)
                    return TargetOutcome(target.key, "skipped", error="empty")
            attempt = 0
            maybe_posted = recover  # whether some earlier call may have posted (then no new anchor)
            while True:
                attempt += 1
                try:
                    if isinstance(publisher, PreparingPublisher) and post.anchor is None and not maybe_posted:
                        post = publisher.prepare(post)
                    save_publication(
                        session=session,
                        row=row,
                        status=Status.POSTING,
                        attempts=row.attempts + 1,
                        external_id=post.external_id,
                        remote_ref={"post": post.to_json()},
                    )
                    maybe_posted = True
                    publication = publisher.publish(post, recover=recover)
                except PublishError as exc:
                    recover = True  # a failed call may still have posted (timeouts, 5xx after commit)
                    reason = str(exc)
                    wait = _wait_before_retry(exc, attempt, retry)
                    if wait is None:
                        # A post the platform refused as such (too long, duplicate title...) is rendered
                        # afresh next time, so a fixed configuration or template takes effect.
                        refused = isinstance(exc, MessageTooLong | PostRejectedError)
                        changes: dict[str, Any] = {"remote_ref": None} if refused else {}
                        save_publication(session=session, row=row, status=Status.FAILED, last_error=reason, **changes)
                        log.error('Publishing "%s" to %s failed for good: %s', row.digest, target.key, reason)
                        return TargetOutcome(target.key, "failed", error=reason, attempts=row.attempts)
                    save_publication(session=session, row=row, last_error=reason)
                    log.warning(
                        'Publishing "%s" to %s failed (attempt %d of %d): %s; retrying in %.1f s',
                        row.digest, target.key, attempt, retry.attempts, reason, wait,
                    )
                    if pause(wait, stop, sleep=sleep):
                        # Stopping (SIGTERM): leave the row 'posting' with its frozen post and release the
                        # lock; the sweep of another replica, or the next start, resumes it by lookup.
                        log.info('Stopping: publication of "%s" to %s is left for the next start or another '
                                 "replica", row.digest, target.key)
                        return TargetOutcome(target.key, "stopped", error=reason, attempts=row.attempts)
                    continue
                except Exception:
                    # A bug or an unexpected client failure: record it (the post may exist, so the
                    # next attempt recovers by lookup) and let the other targets go on.
                    log.exception('Unexpected error publishing "%s" to %s', row.digest, target.key)
                    save_publication(session=session, row=row, status=Status.FAILED,
                                     last_error="unexpected error (see log)")
                    return TargetOutcome(target.key, "failed", error="unexpected error (see log)", attempts=row.attempts)
                save_publication(
                    session=session,
                    row=row,
                    status=Status.PUBLISHED,
                    published_at=clock(),
                    last_error=None,
                    remote_ref=publication.to_json(),
                )
                verb = "Found earlier post of" if publication.found else "Published"
                log.info('%s digest "%s" to %s: %s', verb, row.digest, target.key, publication.describe())
                return TargetOutcome(target.key, "published", publication=publication, attempts=row.attempts)


def _frozen_post(row: PublicationRecord) -> Post | None:
    ref = read_remote_ref(row.target, row.remote_ref)
    if ref is None and row.remote_ref:
        log.warning("Publication %s has an unreadable frozen post; rendering afresh", row.id)
    return ref if isinstance(ref, Post) else None


def _wait_before_retry(exc: PublishError, attempt: int, retry: RetryPolicy) -> float | None:
    if not exc.retryable or attempt >= retry.attempts:
        return None
    if isinstance(exc, RateLimited):
        if exc.retry_after > retry.max_wait:
            return None
        return max(exc.retry_after, 0.0) + random.uniform(0, 1)
    return retry.backoff(attempt)


# --- wiring from the configuration ------------------------------------------------------------


def make_publisher(config: Config, digest: DigestConfig, target: Target, *, timeout: float = 30.0) -> Publisher:
    """The publisher for one configured target."""
    if target.outbox is not None:
        from chatops.publish.outbox import OutboxPublisher

        return OutboxPublisher(config.resolve(target.outbox.directory), target=target.key, zone=config.digest_zone(digest))
    if target.zulip is not None:
        from chatops.publish.zulip import ZulipPublisher

        assert config.zulip is not None
        return ZulipPublisher.from_config(config.zulip, target.zulip, target=target.key, timeout=timeout)
    assert target.discourse is not None and config.discourse is not None
    from chatops.publish.discourse import DiscoursePublisher

    return DiscoursePublisher.from_config(
        config.discourse, target.discourse, target=target.key, timeout=timeout, zone=config.digest_zone(digest)
    )


def zulip_topic(template: str, *, title: str, digest: str, period: str) -> str:
    """Fill a topic template and cut it the way Zulip would (60 code points, ending in '...')."""
    try:
        topic = template.format(digest_title=title, title=title, digest=digest, period=period)
    except (KeyError, IndexError, ValueError) as exc:
        raise UsageError(
            f"zulip topic template {template!r} is invalid ({exc}); use {{digest_title}}, {{digest}} or {{period}}"
        ) from None
    topic = " ".join(topic.split())
    return topic if len(topic) <= 60 else topic[:57] + "..."


class Compiled(Protocol):
    """What the publishing side reads of a compiled digest (``digests.digest.Digest`` is one)."""

    @property
    def empty(self) -> bool: ...
    @property
    def title(self) -> str: ...
    @property
    def period(self) -> str: ...


class RenderedDigest(Protocol):
    """What the publishing side reads of a rendered digest (``digests.render.Rendered`` is one)."""

    @property
    def title(self) -> str: ...
    @property
    def markdown(self) -> str: ...
    @property
    def raw(self) -> str | None: ...
    @property
    def text(self) -> str | None: ...
    @property
    def messages(self) -> tuple[str, ...]: ...
    @property
    def topic(self) -> str | None: ...


class BuildDigest(Protocol):
    """Compile a digest for a window (``chatops.pipeline.build_digest``)."""

    def __call__(self, config: Config, digest_cfg: DigestConfig, window: Window, /, *,
                 database: Database | None = None) -> Compiled: ...


class RenderDigest(Protocol):
    """Render a compiled digest for a target (``chatops.pipeline.render_for_target``)."""

    def __call__(self, config: Config, digest_cfg: DigestConfig, digest: Any, target: Target, /, *,
                 summary_link: str | None = None) -> RenderedDigest: ...


class PipelinePrepare:
    """Builds posts from the digest pipeline: compiles the digest once, renders it per target kind."""

    def __init__(
        self,
        config: Config,
        digest: DigestConfig,
        period: Window | tuple[dt.datetime, dt.datetime],
        *,
        database: Database | None = None,
        build: BuildDigest | None = None,
        render: RenderDigest | None = None,
        strict: bool = True,
    ) -> None:
        self.config = config
        self.digest = digest
        self.strict = strict  # a failing source fails the build (publishing); False: skipped, as in a preview
        self.window = as_window(period)
        self.database = database
        self._build = build
        self._render = render
        self._compiled: Compiled | None = None
        self._compile_lock = threading.Lock()
        self._discourse_targets = [t for t in digest.targets if t.discourse is not None]

    def _discourse_url(self) -> str | None:
        """The Discourse topic of this digest and period, for Zulip targets in ``mode: summary``."""
        if self.database is None:
            return None
        from chatops.storage.publications import list_publications

        with self.database.session() as session:
            for row in list_publications(session=session, digest=self.digest.name, status=Status.PUBLISHED):
                if row.period_start == self.window.since and row.target.startswith("discourse:") and row.remote_ref:
                    ref = read_remote_ref(row.target, row.remote_ref)
                    return ref.url if isinstance(ref, Publication) and ref.url else None
        return None

    def compiled(self) -> Compiled:
        with self._compile_lock:
            if self._compiled is None:
                build = self._build
                if build is None:
                    from chatops.pipeline import build_digest

                    # Publishing is strict: a source that cannot be read fails the run (SourceError),
                    # so a period is never recorded as empty for want of its notes.
                    build = functools.partial(build_digest, strict=self.strict)
                self._compiled = build(self.config, self.digest, self.window, database=self.database)
            return self._compiled

    def __call__(self, target: Target) -> Post | None:
        compiled = self.compiled()
        if self.digest.skip_if_empty and compiled.empty:
            return None
        render = self._render
        if render is None:
            from chatops.pipeline import render_for_target

            render = render_for_target
        summary_link = None
        if target.zulip is not None and target.zulip.mode == "summary":
            summary_link = self._discourse_url()
        rendered = render(self.config, self.digest, compiled, target, summary_link=summary_link)
        title = rendered.title or compiled.title or self.digest.name
        body = rendered.raw or rendered.text or rendered.markdown or ""
        messages = tuple(rendered.messages or ())
        topic = None
        salt = ""
        if target.zulip is not None:
            if not messages:
                messages = (body,)
            topic = rendered.topic or zulip_topic(
                target.zulip.topic, title=title, digest=self.digest.name, period=compiled.period or ""
            )
            salt = target.key
        elif target.discourse is not None and len(self._discourse_targets) > 1:
            salt = target.key
        chart = getattr(compiled, "chart", None)
        images = ((Image(name=chart.name, png=chart.png, alt=chart.alt),)
                  if chart is not None and any(has_images(t) for t in (body, *messages)) else ())
        return Post(
            digest=self.digest.name,
            period_start=self.window.since,
            period_end=self.window.until,
            external_id=external_id_for(self.digest.name, self.window.since, salt=salt),
            title=title,
            body=body,
            messages=messages,
            topic=topic,
            images=images,
        )
