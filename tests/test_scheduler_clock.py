"""Scheduled publishing with a controllable clock: cadences across daylight-saving changes, missed runs,
reloads. Time moves only when the test says so; APScheduler's jobs are run by ``DigestScheduler.advance``."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import yaml

from chatops.config import load_config
from chatops.runner import Runner
from chatops.scheduler import DigestScheduler, fire_digest
from chatops.storage.publications import list_publications
from digests.model import Window

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def _write_config(tmp_path: Path, digests: list[dict], **extra) -> Path:
    path = tmp_path / "config" / "compass.yaml"
    path.parent.mkdir(exist_ok=True)
    data = {"community": {"name": "Test", "timezone": "Europe/London"}, "digests": digests, **extra}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _digest(name: str, schedule: str, **kw) -> dict:
    return {"name": name, "kind": "community", "schedule": schedule, "targets": [{"outbox": {"directory": "../outbox"}}], **kw}


class Recorder:
    """A stand-in for the digest pipeline: records each compile with the clock at that moment."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.built: list[tuple[str, dt.datetime, dt.datetime, dt.datetime]] = []

    def build(self, config, digest_cfg, window, *, database=None):
        self.built.append((digest_cfg.name, window.since, window.until, self.clock()))
        return SimpleNamespace(empty=False, title=f"{digest_cfg.name} to {window.until:%Y-%m-%d}", period="p")

    def render(self, config, digest_cfg, compiled, target, **kw):
        text = f"# {compiled.title}\n\nSomething happened."
        return SimpleNamespace(title=compiled.title, raw=None, text=text, markdown=text, messages=(text,), topic=None)


def _runner(config_path: Path, database, clock: Clock) -> tuple[Runner, Recorder]:
    recorder = Recorder(clock)
    runner = Runner(load_config(config_path), database=database, clock=clock, build=recorder.build, render=recorder.render)
    return runner, recorder


def _local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def test_weekly_monthly_quarterly_fire_on_local_time_across_dst(tmp_path, database):
    path = _write_config(tmp_path, [
        _digest("weekly", "weekly monday 09:00", period="between-fires"),
        _digest("monthly", "monthly first tuesday 17:00", period="between-fires"),
        _digest("quarterly", "quarterly 09:00", period="between-fires"),
    ])
    clock = Clock(dt.datetime(2026, 3, 1, tzinfo=UTC))
    runner, recorder = _runner(path, database, clock)
    runner.start(scheduler_clock=clock, health=False)
    try:
        while clock.now < dt.datetime(2026, 11, 10, tzinfo=UTC):
            clock.now += dt.timedelta(hours=1)
            runner.scheduler.advance(clock.now)
    finally:
        runner.stop()
    fired = {}
    for name, since, until, at in recorder.built:
        assert at == until, f"{name} fired at {at}, not at its fire time {until}"
        fired.setdefault(name, []).append((since.astimezone(LONDON), until.astimezone(LONDON)))
    # Spring forward on 29 March, fall back on 25 October: still 09:00 / 17:00 on the wall clock.
    weekly = fired["weekly"]
    assert weekly[0] == (_local(2026, 2, 23, 9), _local(2026, 3, 2, 9))
    assert weekly[4] == (_local(2026, 3, 23, 9), _local(2026, 3, 30, 9))
    assert weekly[4][1].utcoffset() == dt.timedelta(hours=1) and weekly[4][0].utcoffset() == dt.timedelta(0)
    assert (_local(2026, 10, 19, 9), _local(2026, 10, 26, 9)) in weekly
    assert all(until.hour == 9 and until.weekday() == 0 for _, until in weekly)
    assert len(weekly) == 37  # every Monday from 2 March to 9 November
    assert fired["monthly"] == [
        (_local(2026, m1, d1, 17), _local(2026, m2, d2, 17))
        for (m1, d1), (m2, d2) in zip(
            [(2, 3), (3, 3), (4, 7), (5, 5), (6, 2), (7, 7), (8, 4), (9, 1), (10, 6)],
            [(3, 3), (4, 7), (5, 5), (6, 2), (7, 7), (8, 4), (9, 1), (10, 6), (11, 3)], strict=True,
        )
    ]
    assert fired["quarterly"] == [
        (_local(2026, 1, 1, 9), _local(2026, 4, 1, 9)),
        (_local(2026, 4, 1, 9), _local(2026, 7, 1, 9)),
        (_local(2026, 7, 1, 9), _local(2026, 10, 1, 9)),
    ]
    assert fired["quarterly"][0][1].astimezone(UTC).hour == 8  # 09:00 BST
    with database.session() as session:
        rows = list_publications(session=session)
    assert len(rows) == 37 + 9 + 3 and {r.status for r in rows} == {"published"}


def test_calendar_periods_are_the_ones_before_each_fire(tmp_path, database):
    """The default ('period: auto'): each fire publishes the calendar period before it, named as people do."""
    from digests.calendar import period_label

    path = _write_config(tmp_path, [
        _digest("weekly", "weekly monday 09:00"),
        _digest("monthly", "monthly first tuesday 17:00"),
        _digest("quarterly", "quarterly 09:00"),
    ])
    clock = Clock(dt.datetime(2026, 3, 1, tzinfo=UTC))
    runner, recorder = _runner(path, database, clock)
    runner.start(scheduler_clock=clock, health=False)
    try:
        while clock.now < dt.datetime(2026, 7, 10, tzinfo=UTC):
            clock.now += dt.timedelta(hours=1)
            runner.scheduler.advance(clock.now)
    finally:
        runner.stop()
    fired: dict[str, list[str]] = {}
    for name, since, until, at in recorder.built:
        assert at >= until and at - until < dt.timedelta(days=8), (name, since, until, at)
        fired.setdefault(name, []).append(period_label(Window(since=since, until=until), "Europe/London"))
    assert fired["monthly"] == ["February 2026", "March 2026", "April 2026", "May 2026", "June 2026"]
    assert fired["quarterly"] == ["Q1 2026 (January\u2013March)", "Q2 2026 (April\u2013June)"]
    assert fired["weekly"][:2] == ["Week of 23 February 2026", "Week of 2 March 2026"]
    assert fired["weekly"][4] == "Week of 23 March 2026"  # across the clock change of 29 March


def test_missed_run_within_grace_is_posted_once_at_start_up(tmp_path, database):
    path = _write_config(tmp_path, [_digest("weekly", "weekly monday 09:00", grace="6h", period="between-fires")])
    clock = Clock(_local(2026, 6, 1, 9, 30).astimezone(UTC))  # a Monday, half an hour late
    for _restart in range(2):
        runner, recorder = _runner(path, database, clock)
        runner.start(scheduler_clock=clock, health=False)
        runner.stop()
        clock.now += dt.timedelta(minutes=5)
        if _restart == 0:
            assert [(b[1], b[2]) for b in recorder.built] == [(_local(2026, 5, 25, 9), _local(2026, 6, 1, 9))]
        else:
            assert recorder.built == []  # the second start-up finds it published
    files = sorted((tmp_path / "outbox" / "weekly").iterdir())
    assert [f.name for f in files] == ["2026-05-25.md"]


@pytest.mark.parametrize("period", ["between-fires", "auto"])
def test_missed_run_older_than_grace_is_logged_not_posted(tmp_path, database, caplog, period):
    path = _write_config(tmp_path, [_digest("weekly", "weekly monday 09:00", grace="6h", period=period)])
    clock = Clock(_local(2026, 6, 1, 10).astimezone(UTC))
    runner, recorder = _runner(path, database, clock)
    runner.start(scheduler_clock=clock, health=False)
    runner.stop()
    assert len(recorder.built) == 1
    # Down for three weeks: the fires of 8, 15 and 22 June are missed; the restart is on 22 June 16:00.
    clock.now = _local(2026, 6, 22, 16).astimezone(UTC)
    runner, recorder = _runner(path, database, clock)
    with caplog.at_level(logging.WARNING, logger="chatops.runner"):
        runner.start(scheduler_clock=clock, health=False)
        runner.stop()
    assert recorder.built == []
    messages = [r.getMessage() for r in caplog.records]
    assert any("due at 2026-06-08T09:00:00+01:00 was missed while compass was down" in m for m in messages)
    assert any("due at 2026-06-15T09:00:00+01:00 was missed while compass was down" in m for m in messages)
    assert any('Run of digest "weekly" due at 2026-06-22 09:00:00+01:00 is older than its grace (6:00:00)' in m for m in messages)
    assert runner.metrics.missed.labels("weekly")._value.get() == 3


def test_scheduler_skips_a_fire_missed_by_more_than_grace(tmp_path, database):
    path = _write_config(tmp_path, [_digest("weekly", "weekly monday 09:00", grace="1h", period="between-fires")])
    clock = Clock(_local(2026, 6, 1, 12).astimezone(UTC))
    runner, recorder = _runner(path, database, clock)
    runner.start(scheduler_clock=clock, health=False)  # 3 h late at start-up: logged, not posted
    try:
        assert recorder.built == []
        clock.now = _local(2026, 6, 8, 11).astimezone(UTC)  # the process hung past the next fire's grace
        assert runner.scheduler.advance(clock.now) == []
        clock.now = _local(2026, 6, 15, 9, 30).astimezone(UTC)
        assert runner.scheduler.advance(clock.now) == [("weekly", _local(2026, 6, 15, 9).astimezone(UTC))]
    finally:
        runner.stop()
    assert [(b[1], b[2]) for b in recorder.built] == [(_local(2026, 6, 8, 9), _local(2026, 6, 15, 9))]


def test_jobs_use_module_level_function_grace_and_coalesce(tmp_path):
    path = _write_config(tmp_path, [_digest("weekly", "weekly monday 09:00", grace="2h")])
    scheduler = DigestScheduler(lambda name, at: None, clock=Clock(dt.datetime(2026, 6, 1, tzinfo=UTC)))
    try:
        scheduler.sync(load_config(path))
        options = scheduler.job_options("weekly")
        assert options["func"] is fire_digest and options["args"] == (scheduler.id, "weekly")
        assert (options["misfire_grace_time"], options["coalesce"], options["max_instances"]) == (7200, True, 1)
        assert str(options["trigger"].timezone) == "Europe/London"
    finally:
        scheduler.shutdown()


def test_reload_reschedules_and_an_invalid_reload_keeps_the_old_config(tmp_path, database):
    path = _write_config(tmp_path, [_digest("weekly", "weekly monday 09:00"), _digest("gone", "daily 08:00")])
    clock = Clock(_local(2026, 6, 2, 12).astimezone(UTC))  # a Tuesday
    runner, _recorder = _runner(path, database, clock)
    runner.start(scheduler_clock=clock, health=False)
    try:
        assert runner.scheduler.jobs()["weekly"] == _local(2026, 6, 8, 9)
        _write_config(tmp_path, [_digest("weekly", "weekly wednesday 09:00"), _digest("new", "monthly 1 09:00")])
        result = runner.reload()
        assert result.ok and result.message == "reloaded; added new; rescheduled weekly; removed gone"
        jobs = runner.scheduler.jobs()
        assert set(jobs) == {"weekly", "new"} and jobs["weekly"] == _local(2026, 6, 3, 9)
        path.write_text(path.read_text().replace("weekly wednesday 09:00", "every wednesday"))
        bad = runner.reload()
        assert not bad.ok
        assert "digests[0].schedule: 'every wednesday' is neither a cron expression nor a preset" in bad.message
        assert "the running configuration stays in force" in bad.message
        assert runner.config.digest("weekly").schedule.expression == "weekly wednesday 09:00"
        assert runner.scheduler.jobs()["weekly"] == _local(2026, 6, 3, 9)
        clock.now = _local(2026, 6, 3, 9).astimezone(UTC)
        assert runner.scheduler.advance(clock.now) == [("weekly", clock.now)]
    finally:
        runner.stop()


def test_reload_request_is_handled_by_the_serve_loop(tmp_path, database):
    path = _write_config(tmp_path, [_digest("weekly", "weekly monday 09:00")])
    clock = Clock(_local(2026, 6, 2, 12).astimezone(UTC))
    runner, _ = _runner(path, database, clock)
    stop = threading.Event()
    thread = threading.Thread(target=runner.serve, args=(stop,), kwargs={"scheduler_clock": clock, "health": False})
    thread.start()
    try:
        for _ in range(100):
            if runner.scheduler is not None:
                break
            stop.wait(0.05)
        _write_config(tmp_path, [_digest("weekly", "weekly friday 09:00")])
        runner.request_reload()  # what SIGHUP does
        for _ in range(100):
            if runner.config.digest("weekly").schedule.expression == "weekly friday 09:00":
                break
            stop.wait(0.05)
        assert runner.scheduler.jobs()["weekly"] == _local(2026, 6, 5, 9)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive() and runner.scheduler is None


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (_local(2026, 3, 29, 0, 30), _local(2026, 3, 29, 9)),
        (_local(2026, 10, 25, 0, 30), _local(2026, 10, 25, 9)),
    ],
    ids=["spring_forward", "fall_back"],
)
def test_daily_fire_on_the_dst_day(tmp_path, now, expected):
    path = _write_config(tmp_path, [_digest("daily", "daily 09:00")])
    scheduler = DigestScheduler(lambda name, at: None, clock=Clock(now.astimezone(UTC)))
    try:
        scheduler.sync(load_config(path))
        assert scheduler.jobs()["daily"] == expected
    finally:
        scheduler.shutdown()


def test_a_paused_digest_is_not_posted(tmp_path, database):
    from chatops.storage.state import set_paused

    path = _write_config(tmp_path, [_digest("weekly", "weekly monday 09:00")])
    clock = Clock(_local(2026, 6, 1, 9, 5).astimezone(UTC))
    with database.session() as session:
        set_paused(session=session, digest="weekly", paused=True, by="admin", at=clock.now)
    runner, recorder = _runner(path, database, clock)
    assert runner.fire("weekly") is None and runner.run_once() == []
    assert recorder.built == []
    with database.session() as session:
        set_paused(session=session, digest="weekly", paused=False, by="admin", at=clock.now)
    outcome = runner.fire("weekly")
    assert [t.status for t in outcome.targets] == ["published"]


def test_without_a_clock_apscheduler_runs_on_real_time(tmp_path):
    from chatops.schedules import next_fires

    path = _write_config(tmp_path, [_digest("weekly", "weekly monday 09:00")])
    config = load_config(path)
    scheduler = DigestScheduler(lambda name, at: None)
    try:
        scheduler.sync(config)
        scheduler.start()
        before = dt.datetime.now(UTC)
        (expected,) = next_fires(config.digests[0].schedule, LONDON, before - dt.timedelta(seconds=5), 1)
        assert scheduler.jobs()["weekly"] == expected
        assert scheduler._scheduler.running and scheduler._scheduler.state == 1  # running, not paused
    finally:
        scheduler.shutdown()


def test_restart_after_an_on_time_run_logs_no_miss(tmp_path, database, caplog):
    path = _write_config(tmp_path, [_digest("weekly", "weekly monday 09:00", grace="1h")])
    clock = Clock(_local(2026, 6, 1, 9).astimezone(UTC))
    runner, recorder = _runner(path, database, clock)
    runner.start(scheduler_clock=clock, health=False)
    runner.stop()
    assert len(recorder.built) == 1
    clock.now += dt.timedelta(hours=5)  # restarted later the same day: the run was on time
    runner, recorder = _runner(path, database, clock)
    with caplog.at_level(logging.INFO, logger="chatops.runner"):
        runner.start(scheduler_clock=clock, health=False)
        runner.stop()
    assert recorder.built == [] and not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert runner.metrics.missed.labels("weekly")._value.get() == 0
