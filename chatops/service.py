"""The ``Compass`` service: what every entry point (CLI, chat commands, scheduler, later the web page) calls.

A ``Compass`` holds the configuration in force (swapped whole by ``reload``), the database and the
publishing wiring. It answers, for a digest by name:

- ``window(name, at)``: the period it covers at a moment (``chatops.periods`` resolves it);
- ``preview(name, window, target)``: the post exactly as it would go out, or None when empty and skipped;
- ``publish(name, window)``: publish to every target, exactly once (``chatops.publishing``);
- ``fire`` / ``catch_up`` / ``sweep`` / ``run_once``: what the scheduler and ``compass run --once`` do;
- ``pause`` / ``resume`` / ``is_paused``, ``reload``, ``status``;
- review (a digest with ``review:``; the work is in ``chatops.review``): ``draft``, ``drafts``, ``get_draft``,
  ``approve``, ``hold``, ``skip``, ``edit``, ``refresh``, ``take_fresh``, ``history``, and the review page's
  sign-in links (``sign_in_link``, ``redeem``).
Nothing here prints or formats for a terminal; a ``DigestOutcome`` words itself (``sentence``, ``lines``).

Example usage::

    compass = Compass(load_config("config/compass.yaml"))
    window = compass.window("community-monthly", at=now)
    if window is not None:
        print(compass.publish("community-monthly", window).sentence())
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chatops import periods
from chatops.clock import Clock, utc_now
from chatops.errors import CompassError, ConfigError, UsageError
from chatops.publish.base import Post, Publisher
from chatops.publishing import (
    DEFAULT_RETRY,
    BuildDigest,
    DigestOutcome,
    PipelinePrepare,
    RenderDigest,
    RetryPolicy,
    Sleep,
    make_publisher,
    publish_digest,
)
from digests.model import Window

if TYPE_CHECKING:
    from chatops.config import Config, DigestConfig, ReviewNotify, Target
    from chatops.health import Metrics
    from chatops.review import Draft, Notifier, ReviewAnswer, Reviewer
    from chatops.storage.db import Database
    from chatops.storage.tables import PublicationRecord, ReviewEventRecord

__all__ = [
    "ChatState",
    "Compass",
    "CompassChat",
    "DigestState",
    "PeriodState",
    "Problem",
    "PublisherFactory",
    "ReloadResult",
    "ServiceStatus",
]

log = logging.getLogger(__name__)

PublisherFactory = Callable[["Config", "DigestConfig", "Target"], Publisher]
MAX_LOGGED_MISSES = 12
PRUNE_EVERY = dt.timedelta(hours=1)  # how often the sweep prunes handled_messages
# A failed publication is tried again by the running bot's sweep, with this backoff, until its grace ends.
FAILED_RETRY = RetryPolicy(attempts=1_000, base=60.0, cap=1800.0, jitter=0.1)
LATE_AFTER = dt.timedelta(minutes=15)  # a period not published this long after its fire is "late" in status
STATUS_PERIODS = 3  # the newest periods ``status`` shows per digest
AlertAdmins = Callable[[str], None]


def republish_command(name: str, window: Window, zone: dt.tzinfo) -> str:
    """The exact command that publishes (or republishes) digest ``name`` for ``window``."""
    since = window.since.astimezone(zone).isoformat(timespec="minutes")
    until = window.until.astimezone(zone).isoformat(timespec="minutes")
    return f"compass digest post {name} --period {since}..{until}"


@dataclass(frozen=True, slots=True)
class ReloadResult:
    ok: bool
    message: str


@dataclass(frozen=True, slots=True)
class PeriodState:
    """One period of a digest: each target's publication status (and the reason of a failure)."""

    since: dt.datetime
    until: dt.datetime
    targets: tuple[tuple[str, str, str | None], ...]  # (target, status, last error)


@dataclass(frozen=True, slots=True)
class Problem:
    """A period that failed, or is late (its fire passed and it is not published): what and how to fix it."""

    digest: str
    since: dt.datetime
    until: dt.datetime
    kind: str  # "failed" | "late"
    reason: str
    command: str  # the exact command that (re)publishes it


@dataclass(frozen=True, slots=True)
class ChatState:
    """Where the chat side stands: the catch-up cursor and the shout-outs still owed a confirmation."""

    cursor: int | None  # every message addressed to compass up to this id was handled
    newest_handled: int | None
    unconfirmed: int  # shout-outs recorded whose confirmation is not known to have gone out


@dataclass(frozen=True, slots=True)
class DigestState:
    """One digest as ``status`` sees it."""

    name: str
    kind: str
    paused: bool
    next_fire: dt.datetime | None
    last_period_end: dt.datetime | None  # the end of the newest period with a publication row
    last_statuses: tuple[tuple[str, str], ...]  # (target, publication status) of that period
    periods: tuple[PeriodState, ...] = ()  # the newest STATUS_PERIODS periods, newest first
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    """What compass is doing: the configuration file in force, each digest's state, the chat cursor."""

    at: dt.datetime
    config_path: str | None
    digests: tuple[DigestState, ...]
    chat: ChatState | None = None

    @property
    def problems(self) -> list[Problem]:
        return [p for d in self.digests for p in d.problems]

    def counts(self) -> dict[str, int]:
        """The figures ``/metrics`` exposes: periods failed and late, publications per status."""
        statuses: dict[str, int] = {}
        for digest in self.digests:
            for period in digest.periods[:1]:
                for _target, status, _error in period.targets:
                    statuses[status] = statuses.get(status, 0) + 1
        return {
            "failed": sum(1 for p in self.problems if p.kind == "failed"),
            "late": sum(1 for p in self.problems if p.kind == "late"),
            **{f"newest_{k}": v for k, v in statuses.items()},
        }

    def lines(self) -> list[str]:
        """The report of ``compass status`` and ``@compass status``, one line each."""
        out = [f"compass status at {self.at:%Y-%m-%d %H:%M} UTC" + (f" ({self.config_path})" if self.config_path else "")]
        for digest in self.digests:
            head = f"{digest.name} ({digest.kind})" + (" [paused]" if digest.paused else "")
            nxt = f"next run {digest.next_fire.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC" if digest.next_fire else "no next run"
            out.append(f"{head}: {nxt}")
            if not digest.periods:
                out.append("  no period published yet")
            for period in digest.periods:
                targets = ", ".join(f"{t} {st}" + (f" ({err})" if err and st != "published" else "")
                                    for t, st, err in period.targets)
                since, until = period.since.astimezone(dt.UTC), period.until.astimezone(dt.UTC)
                out.append(f"  {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC: {targets}")
            for problem in digest.problems:
                out.append(f"  {problem.kind.upper()}: {problem.since:%Y-%m-%d} to {problem.until:%Y-%m-%d}: "
                           f"{problem.reason}; republish with `{problem.command}`")
        if self.chat is not None:
            cursor = "none yet" if self.chat.cursor is None else f"message {self.chat.cursor}"
            out.append(f"chat: catch-up cursor {cursor}; newest handled message "
                       f"{self.chat.newest_handled if self.chat.newest_handled is not None else 'none'}; "
                       f"{self.chat.unconfirmed} shout-out confirmation(s) owed")
        return out


class Compass:
    """The configuration in force and everything a digest can be asked to do."""

    def __init__(
        self,
        config: Config,
        *,
        database: Database | None = None,
        db_url: str | None = None,
        clock: Clock = utc_now,
        sleep: Sleep = time.sleep,
        retry: RetryPolicy = DEFAULT_RETRY,
        publisher_factory: PublisherFactory = make_publisher,
        build: BuildDigest | None = None,
        render: RenderDigest | None = None,
        metrics: Metrics | None = None,
        notifier: Notifier | None = None,
        alert: AlertAdmins | None = None,
    ) -> None:
        self._config = config
        self.database = database
        self.db_url = db_url
        self.clock = clock
        self.sleep = sleep
        self.retry = retry
        self.publisher_factory = publisher_factory
        self.build = build
        self.render = render
        if metrics is None:
            from chatops.health import Metrics

            metrics = Metrics()
        self.metrics = metrics
        self.lock = threading.RLock()  # held while the configuration is swapped
        self._owns_database = database is None
        self._last_prune: dt.datetime | None = None
        self.on_reload: Callable[[Config], str] | None = None  # the scheduler's sync, while scheduling
        self._notifier = notifier
        self.page_url: str = config.server.base_url()  # where reviewers reach /review (the runner sets the port)
        self._secret: str | None = None
        # Set to stop (``Runner.serve`` shares its stop): retry waits end at once, rows stay resumable.
        self.stop = threading.Event()
        # How the admins hear of a failed period (besides the log): a Zulip direct message by default.
        self.alert: AlertAdmins = alert or self._alert_by_zulip
        self._alerted: set[tuple[str, dt.datetime, str]] = set()
        # Failed periods the sweep tries again: (digest, period start) -> (retries so far, next try).
        self._retries: dict[tuple[str, dt.datetime], tuple[int, dt.datetime]] = {}
        metrics.watch_status(self._status_counts)

    # -- configuration and database --

    @property
    def config(self) -> Config:
        with self.lock:
            return self._config

    def digest(self, name: str) -> DigestConfig:
        """The configured digest ``name``; ``UsageError`` names the configured ones."""
        return self.config.digest(name)

    def open(self) -> Database:
        """Open (and migrate) the database, once."""
        if self.database is None:
            from chatops.storage.db import Database

            self.database = Database.open(self.db_url or self.config.database_url)
        return self.database

    def close(self) -> None:
        if self.database is not None and self._owns_database:
            self.database.close()
            self.database = None

    # -- a digest for a period --

    def window(self, name: str, at: dt.datetime | None = None, *, period: str | None = None) -> Window | None:
        """The window digest ``name`` covers at ``at`` (default: now): its latest complete period, or the one
        ``period`` names (``latest``, a moment inside it, ``START..END``). None when it has not fired yet."""
        config = self.config
        digest = config.digest(name)
        now = at or self.clock()
        if period is not None:
            return periods.parse(config, digest, period, now)
        return periods.latest(config, digest, now)

    def preview(self, name: str, window: Window, target: Target | None = None) -> Post | None:
        """The post for ``target`` (default: the digest's first) exactly as it would go out; None when the
        digest is empty and would be skipped. Nothing is recorded."""
        config = self.config
        digest = config.digest(name)
        prepare = PipelinePrepare(config, digest, window, database=self.open(), build=self.build, render=self.render,
                                  strict=False)
        return prepare(target if target is not None else digest.targets[0])

    def publish(self, name: str, window: Window | tuple[dt.datetime, dt.datetime], *,
                dry_run: bool = False) -> DigestOutcome:
        """Publish digest ``name`` for ``window`` to all its targets (idempotent)."""
        database = self.open()
        config = self.config
        digest = config.digest(name)
        outcome = publish_digest(
            database=database,
            digest=digest,
            period=window,
            publishers=_LazyPublishers(lambda t: self.publisher_factory(config, digest, t), digest),
            prepare=PipelinePrepare(config, digest, window, database=database, build=self.build, render=self.render),
            clock=self.clock,
            sleep=self.sleep,
            retry=self.retry,
            dry_run=dry_run,
            stop=self.stop,
        )
        if not dry_run:
            self.metrics.record(outcome)
            self._after_publish(config, digest, outcome)
        return outcome

    def _after_publish(self, config: Config, digest: DigestConfig, outcome: DigestOutcome) -> None:
        """A failed target: the log and the admins hear of it (once per period and target in this process),
        and the sweep tries the period again with backoff while it is within its grace."""
        key = (digest.name, outcome.period_start)
        if not outcome.failed:
            self._retries.pop(key, None)
            return
        retries, _ = self._retries.get(key, (0, self.clock()))
        self._retries[key] = (retries + 1, self.clock() + dt.timedelta(seconds=FAILED_RETRY.backoff(retries + 1)))
        command = republish_command(digest.name, outcome.window, config.digest_zone(digest))
        for target in outcome.failed:
            text = (f"compass could not publish the {digest.name} digest for {outcome.period_start:%Y-%m-%d} to "
                    f"{outcome.period_end:%Y-%m-%d} to {target.target}: {target.error}. The running bot tries again "
                    f"until the period's grace ({digest.grace}) ends; after that, `{command}` publishes it.")
            log.error("%s", text)
            alert_key = (digest.name, outcome.period_start, target.target)
            if alert_key in self._alerted:
                continue
            self._alerted.add(alert_key)
            try:
                self.alert(text)
            except Exception as exc:  # noqa: BLE001 - telling the admins must not fail the run
                log.warning("Could not tell the admins by direct message (%s); the log has it", type(exc).__name__)

    def _alert_by_zulip(self, text: str) -> None:
        """A Zulip direct message to ``zulip.admins``, when Zulip is configured (the reviewers' notifier)."""
        zulip = self.config.zulip
        notifier = self.notifier
        if zulip is None or not zulip.admins or notifier is None:
            return
        notifier(list(zulip.admins), None, text)

    # -- what the scheduler does --

    def fire(self, name: str, scheduled: dt.datetime | None = None) -> DigestOutcome | None:
        """What a scheduled fire does: publish the period that ended at the fire, if still within grace."""
        now = self.clock()
        config = self.config
        try:
            digest = config.digest(name)
        except UsageError:
            log.warning('Digest "%s" fired but is no longer configured; ignored', name)
            return None
        until = scheduled or periods.last_fire(config, digest, now)
        if until is None:
            return None
        if now - until > digest.grace:
            log.warning('Run of digest "%s" due at %s is older than its grace (%s); not posted', name, until, digest.grace)
            self.metrics.missed.labels(name).inc()
            return None
        window = periods.ending(config, digest, until)
        try:
            if self.is_paused(name):
                log.info('Digest "%s" is paused; the run due at %s is not posted', name, until)
                return None
            if digest.review is not None:
                return self.draft(name, window)
            return self.publish(name, window)
        except CompassError as exc:
            log.error('Digest "%s" for the period ending %s failed: %s', name, until, exc)
        except Exception:
            log.exception('Digest "%s" for the period ending %s failed unexpectedly', name, until)
        return None

    def catch_up(self) -> list[DigestOutcome]:
        """At start-up: publish each digest's latest fire if within grace; log older misses."""
        now = self.clock()
        outcomes = []
        config = self.config
        for digest in list(config.digests):
            last = periods.last_fire(config, digest, now)
            if last is None:
                continue
            if self._is_done(config, digest, last):
                continue  # published (or skipped) before this start-up: nothing to catch up
            if not self._has_history(digest.name) and now - last > digest.grace:
                log.info('Digest "%s" has not run before; its first run is the next fire', digest.name)
                continue
            self._log_older_misses(config, digest, last)
            outcome = self.fire(digest.name, last)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def _is_done(self, config: Config, digest: DigestConfig, until: dt.datetime) -> bool:
        from chatops.storage.publications import DONE, find_publications

        window = periods.ending(config, digest, until)
        keys = [t.key for t in digest.targets]
        with self.open().session() as session:
            rows = find_publications(session=session, digest=digest.name, period_start=window.since, targets=keys)
        return len(rows) == len(keys) and all(r.status in DONE for r in rows)

    def _has_history(self, name: str) -> bool:
        from chatops.storage.publications import list_publications

        with self.open().session() as session:
            return bool(list_publications(session=session, digest=name))

    def _log_older_misses(self, config: Config, digest: DigestConfig, last: dt.datetime) -> None:
        from chatops.schedules import fires_between
        from chatops.storage.publications import list_publications

        with self.open().session() as session:
            rows = list_publications(session=session, digest=digest.name)
        if not rows:
            return  # a new digest: nothing was expected before
        newest_end = max(r.period_end for r in rows)
        zone = config.digest_zone(digest)
        # The first fire at or after the newest period's end is the one that published it (at its end between
        # fires, some hours after it for a calendar period); the fires after it up to ``last`` were missed.
        missed = fires_between(digest.schedule, zone, newest_end, last)[1:]
        for fire in missed[-MAX_LOGGED_MISSES:]:
            inside = periods.ending(config, digest, fire).since.astimezone(zone)
            log.warning('Run of digest "%s" due at %s was missed while compass was down; not posted '
                        "(`compass digest post %s --period %s` posts it)", digest.name, fire.isoformat(),
                        digest.name, inside.replace(tzinfo=None).isoformat(timespec="minutes"))
            self.metrics.missed.labels(digest.name).inc()

    def sweep(self) -> list[DigestOutcome]:
        """Finish publications left ``pending`` or ``posting`` (a replica was killed mid-way, or this one
        found them locked), and try ``failed`` ones again once their backoff has passed, while their
        period is still within the digest's grace (after it, ``compass digest post --period`` does)."""
        from chatops.storage.publications import ACTIVE, Status, list_publications

        now = self.clock()
        self._prune_handled(now)
        with self.open().session() as session:
            rows = list_publications(session=session, status=sorted(ACTIVE | {Status.FAILED}))
        active = {(r.digest, r.period_start) for r in rows if r.status in ACTIVE}
        outcomes = []
        names = {d.name: d for d in self.config.digests}
        for name, start, end in sorted({(r.digest, r.period_start, r.period_end) for r in rows}):
            digest = names.get(name)
            fire = periods.fire_of(self.config, digest, Window(since=start, until=end)) if digest else end
            if digest is None or now - fire > digest.grace or self.stop.is_set():
                continue
            if (name, start) not in active:  # only failed targets: wait for their backoff
                _, due = self._retries.get((name, start), (0, now))
                if now < due:
                    continue
                log.info('Trying digest "%s" for the period ending %s again, after a failure', name, end.isoformat())
            else:
                log.info('Finishing digest "%s" for the period ending %s, left unfinished', name, end.isoformat())
            try:
                if digest.review is not None:  # never straight out: drafted first (a no-op once drafted)
                    outcomes.append(self.draft(name, Window(since=start, until=end)))
                else:
                    outcomes.append(self.publish(name, Window(since=start, until=end)))
            except CompassError as exc:
                log.error('Digest "%s" for the period ending %s failed: %s', name, end, exc)
        if any(d.review is not None for d in names.values()):
            from chatops import review

            outcomes.extend(review.sweep(self))
        return outcomes

    def _prune_handled(self, now: dt.datetime) -> None:
        """At most once per ``PRUNE_EVERY``: forget chat claims older than 30 days and stale attempt marks
        (``handled_messages`` would otherwise grow with every message ever answered)."""
        from chatops.storage.shoutouts import prune_handled_events

        if self._last_prune is not None and now - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = now
        try:
            with self.open().session() as session:
                gone = prune_handled_events(session=session, now=now)
        except Exception:  # housekeeping: the next sweep tries again
            self._last_prune = None
            log.warning("Pruning handled chat messages failed; trying again at the next sweep", exc_info=True)
            return
        if gone:
            log.info("Pruned %d handled chat message record(s)", gone)

    def run_once(self, now: dt.datetime | None = None) -> list[DigestOutcome]:
        """Publish every digest for its latest complete period at ``now`` (``compass run --once``)."""
        now = now or self.clock()
        outcomes = []
        for digest in list(self.config.digests):
            window = self.window(digest.name, now)
            if window is None:
                log.warning('Digest "%s" has no complete period before %s', digest.name, now.isoformat())
                continue
            if self.is_paused(digest.name):
                log.info('Digest "%s" is paused; not posted', digest.name)
                continue
            if digest.review is not None:
                outcomes.append(self.draft(digest.name, window))
            else:
                outcomes.append(self.publish(digest.name, window))
        return outcomes

    # -- review (chatops.review does the work) --

    @property
    def notifier(self) -> Notifier | None:
        """Sends reviewers their notes: Zulip when configured (direct messages, or ``review.notify``)."""
        if self._notifier is None:
            zulip = self.config.zulip
            if zulip is None or zulip.api_key is None:
                return None
            from chatops.publish.direct import ZulipDirect

            direct = ZulipDirect.from_config(zulip)

            def send(to: Sequence[str | int], where: ReviewNotify | None, text: str) -> None:
                direct.send(to, where, text)

            self._notifier = send
        return self._notifier

    def draft(self, name: str, window: Window) -> DigestOutcome:
        """Compile digest ``name`` for ``window`` into a draft and tell its reviewers (idempotent)."""
        from chatops import review

        return review.make_draft(self, name, window)

    def drafts(self, name: str | None = None, *, open_only: bool = False, limit: int = 50) -> list[Draft]:
        """Drafts, newest period first (``open_only``: those still waiting or held)."""
        from chatops import review

        return review.list_drafts(self, digest=name, open_only=open_only, limit=limit)

    def get_draft(self, review_id: int) -> Draft | None:
        from chatops import review

        return review.get_draft(self, review_id)

    def find_draft(self, name: str, period: str | None = None) -> Draft:
        """The draft of ``name`` for ``period`` (default: the newest open one); ``UsageError`` if none."""
        from chatops import review

        return review.find(self, name, period)

    def history(self, review_id: int) -> list[ReviewEventRecord]:
        """Who did what to a draft, oldest first (edits with their full text)."""
        from chatops import review

        return review.history(self, review_id)

    def approve(self, name: str, who: Reviewer, *, period: str | None = None,
                review_id: int | None = None) -> ReviewAnswer:
        from chatops import review

        return review.approve(self, name, who, period=period, review_id=review_id)

    def hold(self, name: str, who: Reviewer, *, period: str | None = None, review_id: int | None = None,
             reason: str | None = None) -> ReviewAnswer:
        from chatops import review

        return review.hold(self, name, who, period=period, review_id=review_id, reason=reason)

    def skip(self, name: str, who: Reviewer, *, period: str | None = None, review_id: int | None = None,
             reason: str | None = None) -> ReviewAnswer:
        from chatops import review

        return review.skip(self, name, who, period=period, review_id=review_id, reason=reason)

    def edit(self, review_id: int, text: str, who: Reviewer, *, version: int) -> ReviewAnswer:
        from chatops import review

        return review.edit(self, review_id, text, who, version=version)

    def refresh(self, review_id: int, who: Reviewer) -> ReviewAnswer:
        from chatops import review

        return review.refresh(self, review_id, who)

    def take_fresh(self, review_id: int, who: Reviewer, *, take: bool, version: int) -> ReviewAnswer:
        from chatops import review

        return review.take_fresh(self, review_id, who, take=take, version=version)

    def as_published(self, draft: Draft) -> list[tuple[str, str, Post | None]]:
        """Each target's post of ``draft`` as approving it now would publish it (edits applied)."""
        from chatops import review

        return review.as_published(self, draft)

    def draft_html(self, review_id: int, texts: Sequence[str], *, store: bool = True) -> list[str]:
        """The HTML of each of a draft's Markdown ``texts`` for the review page: stored when the draft was made
        or changed; rendered now (and stored, if ``store``) when missing."""
        from chatops import review

        return review.html_of(self, review_id, texts, store=store)

    def recent_publications(self, limit: int = 20) -> list[PublicationRecord]:
        """The newest publication rows, newest period first (what the review page lists)."""
        from chatops.storage.publications import list_publications

        with self.open().session() as session:
            return list_publications(session=session, newest=limit)

    def is_reviewer(self, who: Reviewer, name: str | None = None) -> bool:
        """Whether ``who`` reviews digest ``name`` (or any digest)."""
        from chatops.review import is_reviewer

        digests = [self.digest(name)] if name is not None else list(self.config.digests)
        return any(is_reviewer(d.review, who) for d in digests)

    @property
    def web_secret(self) -> str:
        """The key that signs sign-in links and session cookies: ``server.secret`` (``COMPASS_WEB_SECRET``),
        else one made for this process (links then work only with this process)."""
        secret = self.config.server.secret
        if secret is not None:
            return secret.get_secret_value()
        if self._secret is None:
            import secrets

            if any(d.review is not None for d in self.config.digests):
                log.warning("server.secret is not set (COMPASS_WEB_SECRET): review sign-in links and sessions "
                            "work only with this process until it restarts")
            self._secret = secrets.token_urlsafe(32)
        return self._secret

    def sign_in_link(self, who: Reviewer) -> str:
        """A single-use link to the review page for ``who``, valid 15 minutes."""
        from chatops.signin import issue

        if not self.is_reviewer(who):
            raise UsageError("only reviewers can sign in to the review page")
        return f"{self.page_url}/review/signin?token=" + issue(self.web_secret, {"email": who.email, "id": who.user_id})

    def redeem(self, token: str) -> Reviewer:
        """Who a sign-in link is for, once; ``SignInRefused`` (a ``CompassError``) otherwise."""
        from chatops.review import Reviewer as Who
        from chatops.signin import redeem

        data = redeem(self.web_secret, token, self.open(), now=self.clock())
        who = Who(email=data.get("email"), user_id=data.get("id"))
        if not self.is_reviewer(who):  # removed from the reviewers since the link was made
            from chatops.signin import SignInRefused

            raise SignInRefused("You are no longer a reviewer of any digest.")
        return who

    # -- pause, reload, status --

    def is_paused(self, name: str) -> bool:
        from chatops.storage.state import is_paused

        with self.open().session() as session:
            return is_paused(session=session, digest=name)

    def pause(self, name: str, *, by: str, at: dt.datetime | None = None) -> bool:
        """Stop digest ``name``'s scheduled posts; whether that changed anything."""
        return self._set_paused(name, True, by=by, at=at)

    def resume(self, name: str, *, by: str, at: dt.datetime | None = None) -> bool:
        """Let digest ``name`` post again at its next fire; whether that changed anything."""
        return self._set_paused(name, False, by=by, at=at)

    def _set_paused(self, name: str, paused: bool, *, by: str, at: dt.datetime | None) -> bool:
        from chatops.storage.state import set_paused

        self.digest(name)  # UsageError for an unknown digest
        with self.open().session() as session:
            changed = set_paused(session=session, digest=name, paused=paused, by=by, at=at or self.clock())
            session.commit()
        return changed

    def reload(self) -> ReloadResult:
        """Load the configuration file again; keep the running one if the new one is invalid."""
        from chatops.config import load_config

        path = self.config.path
        if path is None:
            return ReloadResult(False, "the running configuration was not loaded from a file; nothing to reload")
        try:
            new = load_config(path, db_url=self.db_url)
        except ConfigError as exc:
            self.metrics.reloads.labels("rejected").inc()
            log.error("Configuration reload rejected; the running configuration stays in force:\n%s", exc)
            return ReloadResult(False, f"rejected; the running configuration stays in force: {exc}")
        if new.database_url != self.config.database_url:
            log.warning("storage.url changed; the new database is used after a restart, not by a reload")
        with self.lock:
            self._config = new
            changes = self.on_reload(new) if self.on_reload is not None else "not scheduling"
        self.metrics.reloads.labels("ok").inc()
        message = "reloaded; " + changes
        log.info("Configuration %s", message)
        return ReloadResult(True, message)

    def status(self, at: dt.datetime | None = None) -> ServiceStatus:
        """Each digest: paused or not, its next fire, its newest periods with each target's status, the
        periods that failed or are late (with the command that republishes them); and the chat cursor."""
        from chatops.schedules import next_fires
        from chatops.storage.publications import DONE, Status, list_publications
        from chatops.storage.state import paused_digests

        now = at or self.clock()
        config = self.config
        with self.open().session() as session:
            paused = paused_digests(session=session)
            states = []
            for digest in config.digests:
                zone = config.digest_zone(digest)
                rows = list_publications(session=session, digest=digest.name)
                last_end = max((r.period_end for r in rows), default=None)
                last = tuple((r.target, r.status) for r in rows if r.period_end == last_end)
                by_period: dict[tuple[dt.datetime, dt.datetime], list[tuple[str, str, str | None]]] = {}
                for r in rows:
                    by_period.setdefault((r.period_start, r.period_end), []).append((r.target, r.status, r.last_error))
                newest = sorted(by_period, key=lambda p: p[1], reverse=True)
                shown = tuple(PeriodState(since, until, tuple(by_period[(since, until)]))
                              for since, until in newest[:STATUS_PERIODS])
                problems: list[Problem] = []
                for since, until in newest:
                    failed = [(t, err) for t, st, err in by_period[(since, until)] if st == Status.FAILED]
                    if failed:
                        reason = "; ".join(f"{t}: {err or 'failed'}" for t, err in failed)
                        problems.append(Problem(digest.name, since, until, "failed", reason,
                                                republish_command(digest.name, Window(since=since, until=until), zone)))
                fire = periods.last_fire(config, digest, now)
                if fire is not None and rows and digest.name not in paused and now - fire > LATE_AFTER:
                    window = periods.ending(config, digest, fire)
                    statuses = [st for t, st, _ in by_period.get((window.since, window.until), [])]
                    settled = {*DONE, Status.FAILED, Status.DRAFT}  # a draft awaits its review, it is not late
                    if not statuses or not all(st in settled for st in statuses):
                        problems.append(Problem(digest.name, window.since, window.until, "late",
                                                f"not published {_ago(now - fire)} after its run was due",
                                                republish_command(digest.name, window, zone)))
                fires = next_fires(digest.schedule, zone, now)
                states.append(DigestState(digest.name, digest.kind, digest.name in paused,
                                          fires[0] if fires else None, last_end, last, shown, tuple(problems)))
            chat = self._chat_state(session)
        return ServiceStatus(now, str(config.path) if config.path is not None else None, tuple(states), chat)

    def _chat_state(self, session: Any) -> ChatState | None:
        from chatops.storage.shoutouts import chat_cursor, newest_handled_message, unconfirmed_shoutouts

        try:
            return ChatState(chat_cursor(session=session), newest_handled_message(session=session),
                             len(unconfirmed_shoutouts(session=session)))
        except Exception:
            log.warning("Could not read the chat cursor", exc_info=True)
            return None

    def _status_counts(self) -> dict[str, float]:
        """What ``/metrics`` reads at each scrape (``Metrics.watch_status``)."""
        status = self.status()
        counts: dict[str, float] = {k: float(v) for k, v in status.counts().items()}
        if status.chat is not None:
            counts["chat_cursor"] = float(status.chat.cursor or 0)
            counts["unconfirmed"] = float(status.chat.unconfirmed)
        return counts


def _ago(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


class CompassChat:
    """The chat commands' digest port (``chatops.commands.base.DigestService``) over a ``Compass``."""

    def __init__(self, compass: Compass) -> None:
        self.compass = compass

    def preview(self, name: str, now: dt.datetime) -> str:
        """The digest's Markdown for its latest complete period at ``now``."""
        window = self.compass.window(name, now)
        if window is None:
            return f"{name} has no complete period yet"
        post = self.compass.preview(name, window)
        if post is None:
            return f"The {name} digest for {window.since:%Y-%m-%d} to {window.until:%Y-%m-%d} is empty; it would be skipped."
        return f"**{post.title}**\n\n{post.body}"

    def post(self, name: str, now: dt.datetime) -> str:
        """Publish the digest for its latest complete period at ``now``; the outcome in one sentence."""
        window = self.compass.window(name, now)
        if window is None:
            return f"{name} has no complete period yet"
        return self.compass.publish(name, window).sentence()

    def reload(self) -> tuple[bool, str]:
        """What the admin ``reload`` chat command calls: ``(accepted, message)``."""
        result = self.compass.reload()
        return result.ok, result.message

    def status(self, now: dt.datetime) -> list[str]:
        """What the admin ``status`` chat command shows: ``ServiceStatus.lines``."""
        return self.compass.status(now).lines()

    def current_config(self) -> Config:
        """The configuration in force now (after any reload): the chat dispatcher reads its settings here."""
        return self.compass.config

    # -- the review commands' port (``chatops.commands.base.ReviewService``) --

    @staticmethod
    def _who(email: str, user_id: int | None) -> Reviewer:
        from chatops.review import Reviewer as Who

        return Who(email=email or None, user_id=user_id)

    def approve(self, name: str, email: str, user_id: int | None, *, period: str | None = None) -> str:
        return self.compass.approve(name, self._who(email, user_id), period=period).message

    def hold(self, name: str, email: str, user_id: int | None, *, reason: str | None = None) -> str:
        return self.compass.hold(name, self._who(email, user_id), reason=reason).message

    def skip(self, name: str, email: str, user_id: int | None, *, reason: str | None = None) -> str:
        return self.compass.skip(name, self._who(email, user_id), reason=reason).message

    def show_draft(self, name: str, email: str, user_id: int | None) -> str:
        from chatops.review import describe

        who = self._who(email, user_id)
        if not self.compass.is_reviewer(who, name):
            return f"Sorry, only the reviewers of `{name}` can see its drafts. Nothing was changed."
        return describe(self.compass, self.compass.find_draft(name))

    def sign_in(self, email: str, user_id: int | None, *, direct: bool) -> str:
        who = self._who(email, user_id)
        if not self.compass.is_reviewer(who):
            return "Sorry, `review` is for the reviewers of drafted digests. Nothing was changed."
        text = f"Your sign-in link to the review page (it works once, for 15 minutes): {self.compass.sign_in_link(who)}"
        if direct:
            return text
        notifier = self.compass.notifier
        if notifier is None:
            return "I cannot send you a direct message from here; ask me `review` in a direct message."
        notifier([user_id if user_id is not None else email], None, text)
        return "I sent you a sign-in link to the review page in a direct message (it works once, for 15 minutes)."


class _LazyPublishers(Mapping[str, Publisher]):
    """Publishers built on first use: a digest already published never builds a client."""

    def __init__(self, factory: Callable[[Target], Publisher], digest: DigestConfig) -> None:
        self._factory = factory
        self._targets = {t.key: t for t in digest.targets}
        self._built: dict[str, Publisher] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._targets

    def __getitem__(self, key: str) -> Publisher:
        if key not in self._built:
            self._built[key] = self._factory(self._targets[key])
        return self._built[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._targets)

    def __len__(self) -> int:
        return len(self._targets)
