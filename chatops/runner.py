"""``compass run``: the long-running process around a ``chatops.service.Compass``.

A ``Runner`` hosts the service: it

- migrates the database at start-up (``Database.open`` takes a PostgreSQL advisory lock, so replicas
  upgrade one at a time);
- schedules one APScheduler job per digest (``chatops.scheduler``); a fire calls ``Compass.fire``, which
  publishes the period that ended at that fire exactly once per (digest, period, target);
- catches up at start-up (``Compass.catch_up``) and sweeps every ``sweep_interval`` seconds for
  publications left ``pending``/``posting`` (``Compass.sweep``);
- reloads ``config/`` on SIGHUP, ``compass reload`` (``POST /-/reload`` on the health port) or the admin
  chat command (``Compass.reload``); changed schedules are rescheduled without a restart;
- serves ``/healthz`` and ``/metrics`` (``chatops.health``) and the review page under ``/review``
  (``chatops.web``), and runs the chat bot in a thread;
- stops cleanly on SIGTERM or SIGINT: no new fires, running publications finish.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chatops.clock import Clock
from chatops.publishing import DigestOutcome
from chatops.service import Compass, ReloadResult
from digests.model import Window

if TYPE_CHECKING:
    from chatops.config import Config
    from chatops.health import HealthServer, Metrics
    from chatops.scheduler import DigestScheduler
    from chatops.storage.db import Database

__all__ = ["ReloadResult", "Runner", "install_signal_handlers"]

log = logging.getLogger(__name__)


class Runner:
    """Hosts a ``Compass``: the scheduler, the health server, the sweep loop and the chat thread.

    Example usage::

        runner = Runner(load_config("config/compass.yaml"))
        for outcome in runner.run_once():       # what `compass run --once` does
            print(outcome.sentence())
    """

    def __init__(self, config: Config, *, compass: Compass | None = None, **options: Any) -> None:
        """Host ``compass``, or a new ``Compass(config, **options)`` (``database``, ``db_url``, ``clock``,
        ``sleep``, ``retry``, ``publisher_factory``, ``build``, ``render``, ``metrics``...)."""
        if compass is None:
            compass = Compass(config, **options)
        self.compass = compass
        self.scheduler: DigestScheduler | None = None
        self.health: HealthServer | None = None
        self._reload_requested = threading.Event()

    # -- the service it hosts --

    @property
    def config(self) -> Config:
        return self.compass.config

    @property
    def clock(self) -> Clock:
        return self.compass.clock

    @property
    def metrics(self) -> Metrics:
        return self.compass.metrics

    def open(self) -> Database:
        return self.compass.open()

    def close(self) -> None:
        self.compass.close()

    def publish(self, name: str, period: Window | tuple[dt.datetime, dt.datetime], *,
                dry_run: bool = False) -> DigestOutcome:
        return self.compass.publish(name, period, dry_run=dry_run)

    def fire(self, name: str, scheduled: dt.datetime | None = None) -> DigestOutcome | None:
        return self.compass.fire(name, scheduled)

    def catch_up(self) -> list[DigestOutcome]:
        return self.compass.catch_up()

    def sweep(self) -> list[DigestOutcome]:
        return self.compass.sweep()

    def run_once(self, now: dt.datetime | None = None) -> list[DigestOutcome]:
        return self.compass.run_once(now)

    def request_reload(self) -> None:
        """Ask the main loop to reload (safe from a signal handler)."""
        self._reload_requested.set()

    def reload(self) -> ReloadResult:
        return self.compass.reload()

    def _on_fire(self, name: str, scheduled: dt.datetime | None) -> None:
        self.compass.fire(name, scheduled)

    def _reload_for_health(self) -> tuple[bool, str]:
        result = self.compass.reload()
        return result.ok, result.message

    def _sync(self, config: Config) -> str:
        return self.scheduler.sync(config).describe() if self.scheduler is not None else "not scheduling"

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
        with self.compass.lock:
            self.scheduler.sync(self.config)
            self.compass.on_reload = self._sync
        self.scheduler.start()
        server = self.config.server
        if server.enabled if health is None else health:
            from chatops.health import HealthServer
            from chatops.web.app import create_app

            self.health = HealthServer(
                self.metrics,
                check=self.health_check,
                reload=self._reload_for_health,
                host=host or server.host,
                port=server.port if port is None else port,
                review=create_app(self.compass),
            ).start()
            if not server.public_url:
                self.compass.page_url = self.health.url
        if catch_up:
            self.catch_up()

    def stop(self) -> None:
        self.compass.on_reload = None
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
        self.compass.stop = stop  # a SIGTERM also ends the service's retry waits at once
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

