"""APScheduler 3 wiring, nothing else: one job per digest, fired on its schedule in its time zone.

Each job points at the module-level ``fire_digest(runner_id, digest)`` with plain arguments (APScheduler
can only store references to module-level functions), uses the digest's ``grace`` as APScheduler's
``misfire_grace_time`` and ``coalesce=True`` (a backlog of missed fires runs once), and
``max_instances=1``. What a fire does (which period, exactly once) lives in ``chatops.runner``.

With an injected ``clock`` the scheduler does not run its own thread: tests call ``advance(now)``,
which runs the jobs due by ``now`` the way APScheduler would (coalesced, misfires older than the
grace time skipped and logged), using the very jobs, triggers and options configured here.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler

from chatops.clock import Clock
from chatops.schedules import next_fires, trigger

if TYPE_CHECKING:
    from chatops.config import Config, DigestConfig

log = logging.getLogger(__name__)

FireHandler = Callable[[str, "dt.datetime | None"], None]

_HANDLERS: dict[str, FireHandler] = {}
_HANDLERS_LOCK = threading.Lock()


def fire_digest(runner_id: str, digest: str, scheduled: dt.datetime | None = None) -> None:
    """The job function: hand the fire to the runner registered under ``runner_id``."""
    with _HANDLERS_LOCK:
        handler = _HANDLERS.get(runner_id)
    if handler is None:
        log.warning('Fire of digest "%s" for a runner that has stopped; ignored', digest)
        return
    handler(digest, scheduled)


@dataclass(frozen=True, slots=True)
class Changes:
    """What ``sync`` did to the jobs."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def describe(self) -> str:
        parts = [f"{verb} {', '.join(names)}" for verb, names in
                 (("added", self.added), ("rescheduled", self.changed), ("removed", self.removed)) if names]
        return "; ".join(parts) or "no schedule changes"


def _signature(config: Config, digest: DigestConfig) -> tuple[Any, ...]:
    return (digest.schedule.expression, str(config.digest_zone(digest)), digest.grace.total_seconds())


class DigestScheduler:
    """One APScheduler job per configured digest.

    Example usage::

        scheduler = DigestScheduler(runner.fire)
        scheduler.sync(config)      # add, reschedule or remove jobs to match the configuration
        scheduler.start()
    """

    def __init__(self, on_fire: FireHandler, *, clock: Clock | None = None) -> None:
        self.id = uuid.uuid4().hex
        self.clock = clock
        with _HANDLERS_LOCK:
            _HANDLERS[self.id] = on_fire
        self._signatures: dict[str, tuple[Any, ...]] = {}
        self._scheduler = BackgroundScheduler(
            timezone=dt.UTC,
            job_defaults={"coalesce": True, "max_instances": 1},
            executors={"default": {"type": "threadpool", "max_workers": 4}},
        )
        self._started = False

    # -- jobs --

    def sync(self, config: Config) -> Changes:
        """Make the jobs match ``config``: new digests added, changed schedules replaced, removed ones dropped."""
        wanted = {d.name: d for d in config.digests}
        added: list[str] = []
        changed: list[str] = []
        unchanged: list[str] = []
        removed = sorted(set(self._signatures) - set(wanted))
        for name in removed:
            self._scheduler.remove_job(name)
            del self._signatures[name]
        for name, digest in wanted.items():
            signature = _signature(config, digest)
            old = self._signatures.get(name)
            if old == signature:
                unchanged.append(name)
                continue
            options: dict[str, Any] = {}
            if self.clock is not None:
                options["next_run_time"] = trigger(digest.schedule, config.digest_zone(digest)).get_next_fire_time(
                    None, self.clock()
                )
            self._scheduler.add_job(
                fire_digest,
                trigger=trigger(digest.schedule, config.digest_zone(digest)),
                args=[self.id, name],
                id=name,
                name=f"digest {name}",
                misfire_grace_time=max(1, int(digest.grace.total_seconds())),
                coalesce=True,
                max_instances=1,
                replace_existing=True,
                **options,
            )
            self._signatures[name] = signature
            (added if old is None else changed).append(name)
        changes = Changes(tuple(added), tuple(changed), tuple(removed), tuple(unchanged))
        if changes:
            log.info("Schedule: %s", changes.describe())
        return changes

    def jobs(self) -> dict[str, dt.datetime | None]:
        """Each digest's next fire time (UTC), as APScheduler holds it."""
        return {job.id: getattr(job, "next_run_time", None) for job in self._scheduler.get_jobs()}

    def job_options(self, name: str) -> dict[str, Any]:
        job = self._scheduler.get_job(name)
        if job is None:
            raise KeyError(name)
        return {
            "func": job.func,
            "args": tuple(job.args),
            "misfire_grace_time": job.misfire_grace_time,
            "coalesce": job.coalesce,
            "max_instances": job.max_instances,
            "trigger": job.trigger,
        }

    # -- running --

    def start(self) -> None:
        # With an injected clock nothing must run on the real clock: the jobs stay paused and
        # ``advance`` runs them.
        self._scheduler.start(paused=self.clock is not None)
        self._started = True

    @property
    def running(self) -> bool:
        return self._started and bool(self._scheduler.running)

    def shutdown(self) -> None:
        if self._started:
            self._scheduler.shutdown(wait=True)
            self._started = False
        with _HANDLERS_LOCK:
            _HANDLERS.pop(self.id, None)

    def advance(self, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
        """Run, in this thread, every job due by ``now``; return the (digest, fire time) pairs run.

        Coalesced like APScheduler: of several due fire times only the latest runs, and it is skipped
        (logged as missed) when it is older than the job's ``misfire_grace_time``.
        """
        ran: list[tuple[str, dt.datetime]] = []
        for job in sorted(self._scheduler.get_jobs(), key=lambda j: j.id):
            due: list[dt.datetime] = []
            fire = getattr(job, "next_run_time", None)
            while fire is not None and fire <= now:
                due.append(fire)
                fire = job.trigger.get_next_fire_time(fire, now)
            if not due:
                continue
            if job.coalesce:
                due = due[-1:]
            for fire_time in due:
                late = (now - fire_time).total_seconds()
                if job.misfire_grace_time is not None and late > job.misfire_grace_time:
                    log.warning('Run of digest "%s" due at %s was missed by %.0f s; not posted', job.id, fire_time, late)
                    continue
                job.func(*job.args, fire_time)
                ran.append((job.id, fire_time))
            self._scheduler.modify_job(job.id, next_run_time=fire)
        return ran


def upcoming(config: Config, after: dt.datetime, count: int = 3) -> dict[str, list[dt.datetime]]:
    """Each digest's next ``count`` fire times after ``after``, in the digest's zone."""
    return {d.name: next_fires(d.schedule, config.digest_zone(d), after, count) for d in config.digests}
