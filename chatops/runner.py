"""``compass run``: the long-running bot, and the one-shot publishing that ``run --once`` and
``digest post`` share with it.

A ``Runner`` holds the configuration in force, the database and the publishers. It

- migrates the database at start-up (``Database.open`` takes a PostgreSQL advisory lock, so replicas
  upgrade one at a time);
- schedules one APScheduler job per digest (``chatops.scheduler``); a fire publishes the period that
  ended at that fire through ``chatops.publishing``, exactly once per (digest, period, target), however
  many replicas fire it;
- catches up at start-up: the latest fire of each digest, if it is within the digest's ``grace``, is
  published (a no-op when another run already did); older misses are logged, not posted;
- sweeps every ``sweep_interval`` seconds for publications left ``pending``/``posting`` within their
  grace (a replica killed mid-publication, or one this process found locked) and finishes them, looking
  the post up first;
- reloads ``config/`` on SIGHUP, ``compass reload`` (``POST /-/reload`` on the health port) or the
  admin chat command: the new file is validated first and an invalid one leaves the running
  configuration in force; changed schedules are rescheduled without a restart;
- serves ``/healthz`` and ``/metrics`` (``chatops.health``) and runs the Zulip bot in a thread when
  ``zulip:`` is configured;
- stops cleanly on SIGTERM or SIGINT: no new fires, running publications finish.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chatops.errors import CompassError, ConfigError, UsageError
from chatops.publishing import (
    DEFAULT_RETRY,
    Clock,
    DigestOutcome,
    PipelinePrepare,
    RetryPolicy,
    Sleep,
    make_publisher,
    publish_digest,
    utc_now,
)
from chatops.schedules import fires_between, period_ending, previous_fire

if TYPE_CHECKING:
    from chatops.config import Config, DigestConfig
    from chatops.health import HealthServer, Metrics
    from chatops.scheduler import DigestScheduler
    from chatops.storage.db import Database

log = logging.getLogger(__name__)

PublisherFactory = Callable[..., Any]
MAX_LOGGED_MISSES = 12
PRUNE_EVERY = dt.timedelta(hours=1)  # how often the sweep prunes handled_messages


@dataclass(frozen=True, slots=True)
class ReloadResult:
    ok: bool
    message: str


class Runner:
    """Publishes digests on schedule, exactly once, and keeps the configuration current.

    Example usage::

        runner = Runner(load_config("config/compass.yaml"))
        runner.open()
        for outcome in runner.run_once():       # what `compass run --once` does
            print(outcome.digest, [t.status for t in outcome.targets])
    """

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
        build: Callable[..., Any] | None = None,
        render: Callable[..., Any] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config
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
        self.scheduler: DigestScheduler | None = None
        self.health: HealthServer | None = None
        self._config_lock = threading.RLock()
        self._reload_requested = threading.Event()
        self._owns_database = database is None
        self._last_prune: dt.datetime | None = None

    # -- set-up --

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

    # -- publishing --

    def publish(self, name: str, period: tuple[dt.datetime, dt.datetime], *, dry_run: bool = False) -> DigestOutcome:
        """Publish digest ``name`` for ``period`` to all its targets (idempotent)."""
        database = self.open()
        with self._config_lock:
            config = self.config
        digest = config.digest(name)
        outcome = publish_digest(
            database=database,
            digest=digest,
            period=period,
            publishers=_LazyPublishers(lambda t: self.publisher_factory(config, digest, t), digest),
            prepare=PipelinePrepare(config, digest, period, database=database, build=self.build, render=self.render),
            clock=self.clock,
            sleep=self.sleep,
            retry=self.retry,
            dry_run=dry_run,
        )
        if not dry_run:
            self.metrics.record(outcome)
        return outcome

    def latest_period(self, digest: DigestConfig, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
        zone = self.config.digest_zone(digest)
        until = previous_fire(digest.schedule, zone, now)
        if until is None:
            return None
        return period_ending(digest.schedule, zone, until, digest.window)

    def is_paused(self, name: str) -> bool:
        from chatops.storage.state import is_paused

        with self.open().session() as session:
            return is_paused(session=session, digest=name)

    def fire(self, name: str, scheduled: dt.datetime | None = None) -> DigestOutcome | None:
        """What a scheduled fire does: publish the period that ended at the fire, if still within grace."""
        now = self.clock()
        with self._config_lock:
            config = self.config
        try:
            digest = config.digest(name)
        except UsageError:
            log.warning('Digest "%s" fired but is no longer configured; ignored', name)
            return None
        zone = config.digest_zone(digest)
        until = scheduled or previous_fire(digest.schedule, zone, now)
        if until is None:
            return None
        if now - until > digest.grace:
            log.warning('Run of digest "%s" due at %s is older than its grace (%s); not posted', name, until, digest.grace)
            self.metrics.missed.labels(name).inc()
            return None
        period = period_ending(digest.schedule, zone, until, digest.window)
        try:
            if self.is_paused(name):
                log.info('Digest "%s" is paused; the run due at %s is not posted', name, until)
                return None
            return self.publish(name, period)
        except CompassError as exc:
            log.error('Digest "%s" for the period ending %s failed: %s', name, until, exc)
        except Exception:
            log.exception('Digest "%s" for the period ending %s failed unexpectedly', name, until)
        return None

    def _on_fire(self, name: str, scheduled: dt.datetime | None) -> None:
        self.fire(name, scheduled)

    def catch_up(self) -> list[DigestOutcome]:
        """At start-up: publish each digest's latest fire if within grace; log older misses."""
        now = self.clock()
        outcomes = []
        with self._config_lock:
            digests = list(self.config.digests)
        for digest in digests:
            zone = self.config.digest_zone(digest)
            last = previous_fire(digest.schedule, zone, now)
            if last is None:
                continue
            if self._is_done(digest, last):
                continue  # published (or skipped) before this start-up: nothing to catch up
            if not self._has_history(digest.name) and now - last > digest.grace:
                log.info('Digest "%s" has not run before; its first run is the next fire', digest.name)
                continue
            self._log_older_misses(digest, last)
            outcome = self.fire(digest.name, last)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def _is_done(self, digest: DigestConfig, until: dt.datetime) -> bool:
        from chatops.storage.publications import DONE, find_publications

        start, _ = period_ending(digest.schedule, self.config.digest_zone(digest), until, digest.window)
        keys = [t.key for t in digest.targets]
        with self.open().session() as session:
            rows = find_publications(session=session, digest=digest.name, period_start=start, targets=keys)
        return len(rows) == len(keys) and all(r.status in DONE for r in rows)

    def _has_history(self, name: str) -> bool:
        from chatops.storage.publications import list_publications

        with self.open().session() as session:
            return bool(list_publications(session=session, digest=name))

    def _log_older_misses(self, digest: DigestConfig, last: dt.datetime) -> None:
        from chatops.storage.publications import list_publications

        with self.open().session() as session:
            rows = list_publications(session=session, digest=digest.name)
        if not rows:
            return  # a new digest: nothing was expected before
        newest_end = max(r.period_end for r in rows)
        zone = self.config.digest_zone(digest)
        missed = fires_between(digest.schedule, zone, newest_end + dt.timedelta(microseconds=1), last)
        for fire in missed[-MAX_LOGGED_MISSES:]:
            log.warning('Run of digest "%s" due at %s was missed while compass was down; not posted '
                        "(`compass digest post %s --period %s` posts it)", digest.name, fire.isoformat(),
                        digest.name, (fire - dt.timedelta(minutes=1)).isoformat(timespec="minutes"))
            self.metrics.missed.labels(digest.name).inc()

    def sweep(self) -> list[DigestOutcome]:
        """Finish publications left ``pending`` or ``posting`` (a replica was killed mid-way, or this one
        found them locked), while their period is still within the digest's grace."""
        from chatops.storage.publications import list_publications

        now = self.clock()
        self._prune_handled(now)
        with self.open().session() as session:
            rows = list_publications(session=session, status=("pending", "posting"))
        outcomes = []
        with self._config_lock:
            config = self.config
        names = {d.name: d for d in config.digests}
        for name, start, end in sorted({(r.digest, r.period_start, r.period_end) for r in rows}):
            digest = names.get(name)
            if digest is None or now - end > digest.grace:
                continue
            log.info('Finishing digest "%s" for the period ending %s, left unfinished', name, end.isoformat())
            try:
                outcomes.append(self.publish(name, (start, end)))
            except CompassError as exc:
                log.error('Digest "%s" for the period ending %s failed: %s', name, end, exc)
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
        with self._config_lock:
            digests = list(self.config.digests)
        for digest in digests:
            period = self.latest_period(digest, now)
            if period is None:
                log.warning('Digest "%s" has no complete period before %s', digest.name, now.isoformat())
                continue
            if self.is_paused(digest.name):
                log.info('Digest "%s" is paused; not posted', digest.name)
                continue
            outcomes.append(self.publish(digest.name, period))
        return outcomes

    # -- configuration --

    def request_reload(self) -> None:
        """Ask the main loop to reload (safe from a signal handler)."""
        self._reload_requested.set()

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
        with self._config_lock:
            self.config = new
            changes = self.scheduler.sync(new) if self.scheduler is not None else None
        self.metrics.reloads.labels("ok").inc()
        message = "reloaded; " + (changes.describe() if changes is not None else "not scheduling")
        log.info("Configuration %s", message)
        return ReloadResult(True, message)

    # -- the long-running loop --

    def health_check(self) -> dict[str, Any]:
        import sqlalchemy as sa

        checks: dict[str, Any] = {}
        try:
            with self.open().engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - report, never raise, from a health check
            checks["database"] = f"error: {type(exc).__name__}"
        checks["scheduler"] = "running" if self.scheduler is not None and self.scheduler.running else "stopped"
        checks["digests"] = len(self.config.digests)
        return checks

    def start(self, *, scheduler_clock: Clock | None = None, health: bool | None = None,
              host: str | None = None, port: int | None = None, catch_up: bool = True) -> None:
        """Open the database, schedule the digests, start /healthz, catch up on missed runs."""
        from chatops.scheduler import DigestScheduler

        self.open()
        self.scheduler = DigestScheduler(self._on_fire, clock=scheduler_clock)
        self.scheduler.sync(self.config)
        self.scheduler.start()
        server = self.config.server
        if server.enabled if health is None else health:
            from chatops.health import HealthServer

            self.health = HealthServer(
                self.metrics,
                check=self.health_check,
                reload=lambda: _as_tuple(self.reload()),
                host=host or server.host,
                port=server.port if port is None else port,
            ).start()
        if catch_up:
            self.catch_up()

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown()
            self.scheduler = None
        if self.health is not None:
            self.health.stop()
            self.health = None

    def serve(
        self,
        stop: threading.Event,
        *,
        chat: Callable[[threading.Event], None] | None = None,
        sweep_interval: float = 60.0,
        **start: Any,
    ) -> None:
        """Run until ``stop`` is set: scheduled fires, reloads, sweeps, the chat bot in a thread.

        Every ``sweep_interval`` seconds, publications another replica left unfinished are completed.
        """
        self.start(catch_up=False, **start)
        next_sweep = time.monotonic() + sweep_interval
        bot_thread = None
        if chat is not None:
            # Chat first: a long catch-up must not keep commands waiting.
            bot_thread = threading.Thread(target=_guard(chat, stop), args=(stop,), name="compass-chat", daemon=True)
            bot_thread.start()
        try:
            self.catch_up()
            while not stop.wait(0.25):
                if self._reload_requested.is_set():
                    self._reload_requested.clear()
                    self.reload()
                if time.monotonic() >= next_sweep:
                    try:
                        self.sweep()
                    except Exception:
                        log.exception("Sweeping unfinished publications failed; trying again later")
                    next_sweep = time.monotonic() + sweep_interval
        finally:
            stop.set()
            self.stop()
            if bot_thread is not None:
                bot_thread.join(timeout=10)
            log.info("compass stopped")


class _LazyPublishers(dict[str, Any]):
    """Publishers built on first use: a digest already published never builds a client."""

    def __init__(self, factory: Callable[[Any], Any], digest: DigestConfig) -> None:
        super().__init__()
        self._factory = factory
        self._targets = {t.key: t for t in digest.targets}

    def __contains__(self, key: object) -> bool:
        return key in self._targets

    def __getitem__(self, key: str) -> Any:
        if not dict.__contains__(self, key):
            self[key] = self._factory(self._targets[key])
        return dict.__getitem__(self, key)


def _as_tuple(result: ReloadResult) -> tuple[bool, str]:
    return result.ok, result.message


def _guard(chat: Callable[[threading.Event], None], stop: threading.Event) -> Callable[[threading.Event], None]:
    def run(event: threading.Event) -> None:
        try:
            chat(event)
        except Exception:
            log.exception("The chat bot stopped with an error; scheduled digests go on")

    return run


def install_signal_handlers(runner: Runner, stop: threading.Event) -> None:
    """SIGTERM/SIGINT stop the runner; SIGHUP reloads the configuration. Main thread only."""

    def _stop(signum: int, _frame: Any) -> None:
        log.info("Received %s; stopping", signal.Signals(signum).name)
        stop.set()

    def _reload(_signum: int, _frame: Any) -> None:
        runner.request_reload()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _reload)

