"""Fault injection on the digest side (issue 13): a failed source is a failed run, never an empty period; a
target down at fire time is retried by the running bot until the period's grace ends; a stop during a
retry wait ends it at once. Time is simulated (the service's clock and sleep), so the tests are fast."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fakes.discourse import FakeDiscourse

from chatops.cli import cli
from chatops.config import load_config
from chatops.retry import RetryPolicy
from chatops.runner import Runner
from chatops.storage.publications import list_publications

UTC = dt.UTC
FIRE = dt.datetime(2025, 7, 1, 9, 0, tzinfo=UTC)  # "monthly 1 09:00": publishes June 2025
KEY = "discourse-key"
COMPASS = Path(sys.executable).parent / "compass"


class SimClock:
    """The service's clock and sleep: sleeping moves the clock, and ``on_tick`` sees each new time."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.slept: list[float] = []
        self.on_tick = lambda now: None

    def __call__(self) -> dt.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)
        self.on_tick(self.now)


def _config(tmp_path: Path, *, notes: str, targets: list[dict], db_url: str, **extra) -> Path:
    path = tmp_path / "config" / "compass.yaml"
    path.parent.mkdir(exist_ok=True)
    data = {
        "community": {"name": "JupyterHub", "timezone": "UTC"},
        "sources": {"notes": [notes]},
        "storage": {"url": db_url},
        "digests": [{"name": "community-monthly", "kind": "community", "schedule": "monthly 1 09:00",
                     "grace": "6h", "targets": targets}],
        **extra,
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _rows(database):
    with database.session() as session:
        return list_publications(session=session, digest="community-monthly")


def test_a_source_missing_at_fire_time_fails_the_period_and_is_published_once_back(tmp_path, database, db_url,
                                                                                   notes_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _config(tmp_path, notes="notes/*.md", targets=[{"outbox": {"directory": "../outbox"}}], db_url=db_url)
    clock = SimClock(FIRE + dt.timedelta(minutes=1))
    alerts: list[str] = []
    runner = Runner(load_config(path), database=database, clock=clock, sleep=clock.sleep)
    runner.compass.alert = alerts.append

    outcome = runner.fire("community-monthly", FIRE)
    assert outcome is not None and [t.status for t in outcome.targets] == ["failed"]
    (row,) = _rows(database)
    assert row.status == "failed" and "notes" in (row.last_error or "") and "no files match" in (row.last_error or "")
    assert len(alerts) == 1 and "community-monthly" in alerts[0]
    assert "compass digest post community-monthly --period 2025-06-01T00:00+00:00..2025-07-01T00:00+00:00" in alerts[0]
    status = runner.compass.status()
    (problem,) = status.problems
    assert problem.kind == "failed" and problem.command in alerts[0]
    assert any("FAILED" in line and problem.command in line for line in status.lines())
    assert not list((tmp_path / "outbox").glob("**/*.md")) if (tmp_path / "outbox").exists() else True

    # `compass run --once` at that moment fails too, with a non-zero exit, and records no "empty".
    result = CliRunner().invoke(cli, ["--config", str(path), "run", "--once", "--at", "2025-07-01T09:01Z"])
    assert result.exit_code == 1, result.output
    assert "failed" in result.output and "skipped" not in result.output

    # The notes come back; the sweep waits for its backoff, then publishes the period once.
    shutil.copytree(notes_dir, tmp_path / "config" / "notes")
    assert runner.sweep() == []  # the backoff (about a minute) has not passed
    clock.advance(120)
    (again,) = runner.sweep()
    assert [t.status for t in again.targets] == ["published"]
    assert [r.status for r in _rows(database)] == ["published"]
    assert len(list((tmp_path / "outbox").glob("**/*.md"))) == 1
    clock.advance(600)
    assert runner.sweep() == [] and runner.compass.status().problems == []
    assert len(alerts) == 1  # told once, not at every retry


def test_after_the_grace_digest_post_publishes_the_failed_period(tmp_path, database, db_url, notes_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _config(tmp_path, notes="notes/*.md", targets=[{"outbox": {"directory": "../outbox"}}], db_url=db_url)
    clock = SimClock(FIRE + dt.timedelta(minutes=1))
    runner = Runner(load_config(path), database=database, clock=clock, sleep=clock.sleep)
    runner.compass.alert = lambda text: None
    runner.fire("community-monthly", FIRE)
    clock.advance(7 * 3600)  # past the 6 h grace: the bot no longer retries it
    shutil.copytree(notes_dir, tmp_path / "config" / "notes")
    assert runner.sweep() == []
    assert [r.status for r in _rows(database)] == ["failed"]
    (problem,) = runner.compass.status().problems
    args = problem.command.split()[1:]
    result = CliRunner().invoke(cli, ["--config", str(path), *args])
    assert result.exit_code == 0, result.output
    assert [r.status for r in _rows(database)] == ["published"]


def test_a_target_down_for_a_minute_at_fire_time_is_published_by_the_running_bot(tmp_path, database, db_url,
                                                                                   notes_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(notes_dir, tmp_path / "config" / "notes")
    monkeypatch.setenv("DISCOURSE_API_KEY", KEY)
    with FakeDiscourse(api_key=KEY) as forum:
        path = _config(tmp_path, notes="notes/*.md", db_url=db_url,
                       targets=[{"discourse": {"category": "News"}}, {"outbox": {"directory": "../outbox"}}],
                       discourse={"url": forum.url, "api_username": "compass"})
        clock = SimClock(FIRE + dt.timedelta(seconds=5))
        back_at = FIRE + dt.timedelta(minutes=1)
        forum.down = True
        clock.on_tick = lambda now: setattr(forum, "down", now < back_at)
        runner = Runner(load_config(path), database=database, clock=clock, sleep=clock.sleep,
                        retry=RetryPolicy(attempts=4, base=2.0, jitter=0))
        runner.compass.alert = lambda text: None
        outcome = runner.fire("community-monthly", FIRE)
        assert outcome is not None
        assert sorted((t.target.split(":")[0], t.status) for t in outcome.targets) == [
            ("discourse", "failed"), ("outbox", "published")]
        assert forum.down and not forum.topics  # still down when the fire gave up (2 + 4 + 8 s of backoff)
        for _ in range(20):  # the bot's sweep, every minute of simulated time
            clock.advance(60)
            runner.sweep()
        assert sorted(r.status for r in _rows(database)) == ["published", "published"]
        assert len(forum.topics) == 1  # posted once, no duplicate
        assert runner.compass.status().problems == []


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_sigterm_during_retry_backoff_stops_within_five_seconds(tmp_path, db_url, notes_dir, monkeypatch):
    """`compass run` retrying a Discourse that is down: SIGTERM ends the wait, the process exits within 5 s,
    and the publication row is left for the next start (not published, not lost)."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(notes_dir, tmp_path / "config" / "notes")
    with FakeDiscourse(api_key=KEY) as forum:
        forum.down = True
        now = dt.datetime.now(UTC)
        path = _config(tmp_path, notes="notes/*.md", db_url=db_url, targets=[{"discourse": {"category": "News"}}],
                       discourse={"url": forum.url, "api_username": "compass"})
        data = yaml.safe_load(path.read_text())
        data["digests"][0]["schedule"] = f"{now.minute} * * * *"  # fired this hour: caught up at start
        data["digests"][0]["grace"] = "2h"
        data["digests"][0]["skip_if_empty"] = False  # an hour of no notes is still posted
        path.write_text(yaml.safe_dump(data))
        log = tmp_path / "run.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMPASS_")}
        env["DISCOURSE_API_KEY"] = KEY
        with open(log, "w") as out:
            proc = subprocess.Popen([str(COMPASS), "--config", str(path), "run", "--port", "0"], stdout=out,
                                    stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
        try:
            deadline = time.monotonic() + 40
            while "retrying in" not in log.read_text():
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            time.sleep(0.3)
            began = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(10)
            took = time.monotonic() - began
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        text = log.read_text()
        print(f"compass run stopped {took:.2f} s after SIGTERM, during a retry wait")
        assert code == 0, text
        assert took < 5, f"took {took:.1f} s to stop"
        assert "left for the next start" in text
        assert not forum.topics
        from chatops.storage.db import Database

        database = Database.open(db_url)
        try:
            (row,) = _rows(database)
            assert row.status == "posting"  # resumable: the sweep of a replica or the next start finishes it
        finally:
            database.close()


def test_config_check_warns_about_a_missing_local_source(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _config(tmp_path, notes="no-such-notes/*.md", targets=[{"outbox": {"directory": "../outbox"}}],
                   db_url=f"sqlite:///{tmp_path / 'c.db'}")
    result = CliRunner().invoke(cli, ["--config", str(path), "config", "check", "-q"])
    assert result.exit_code == 0
    assert "warning: sources.notes[0]: 'no-such-notes/*.md' matches no file" in result.stderr
    online = CliRunner().invoke(cli, ["--config", str(path), "config", "check", "-q", "--online"])
    assert online.exit_code == 1 and "FAILED  notes: 0 documents" in online.output, online.output


def test_status_cli_and_chat_command_show_failed_periods_with_the_command(tmp_path, database, db_url, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _config(tmp_path, notes="notes/*.md", targets=[{"outbox": {"directory": "../outbox"}}], db_url=db_url)
    clock = SimClock(FIRE + dt.timedelta(minutes=1))
    runner = Runner(load_config(path), database=database, clock=clock, sleep=clock.sleep)
    runner.compass.alert = lambda text: None
    runner.fire("community-monthly", FIRE)
    result = CliRunner().invoke(cli, ["--config", str(path), "status", "--at", "2025-07-01T10:00Z"])
    assert result.exit_code == 1, result.output
    assert "community-monthly (community): next run 2025-08-01 09:00 UTC" in result.output
    assert "2025-06-01 00:00 to 2025-07-01 00:00 UTC: outbox:../outbox failed (notes: notes/*.md: no files match" in result.output
    assert ("FAILED: 2025-06-01 to 2025-07-01: outbox:../outbox: notes: notes/*.md: no files match" in result.output
            and "`compass digest post community-monthly --period 2025-06-01T00:00+00:00..2025-07-01T00:00+00:00`"
            in result.output)
    assert "chat: catch-up cursor none yet" in result.output
    from chatops.chat.ports import IncomingMessage, StubChat
    from chatops.wiring import chat_handler

    data = yaml.safe_load(path.read_text())
    data["zulip"] = {"site": "https://chat.example.org", "email": "compass-bot@example.org", "admins": ["ops@example.org"]}
    path.write_text(yaml.safe_dump(data))
    config = load_config(path)
    from chatops.service import CompassChat

    handler = chat_handler(config, database, digests=CompassChat(runner.compass),
                           clock=lambda: FIRE + dt.timedelta(hours=1))
    chat = StubChat()
    ask = IncomingMessage(sender_id=5, sender_email="ops@example.org", sender_name="Ops", stream=None, topic=None,
                          text="status", message_id=77)
    handler.handle(ask, chat)
    (reply,) = chat.texts
    assert "FAILED: 2025-06-01 to 2025-07-01" in reply and "compass digest post community-monthly --period" in reply
    member = IncomingMessage(sender_id=6, sender_email="m@example.org", sender_name="M", stream=None, topic=None,
                             text="status", message_id=78)
    handler.handle(member, chat)
    assert "for compass admins only" in chat.texts[-1]


def test_metrics_expose_failed_and_late_periods(tmp_path, database, db_url, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _config(tmp_path, notes="notes/*.md", targets=[{"outbox": {"directory": "../outbox"}}], db_url=db_url)
    clock = SimClock(FIRE + dt.timedelta(minutes=1))
    runner = Runner(load_config(path), database=database, clock=clock, sleep=clock.sleep)
    runner.compass.alert = lambda text: None
    runner.fire("community-monthly", FIRE)
    text = runner.metrics.render().decode()
    assert 'compass_periods_unpublished{state="failed"} 1.0' in text
    assert 'compass_newest_publications{status="failed"} 1.0' in text


def test_status_shows_times_in_utc_for_a_digest_in_another_zone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["config", "init"]).exit_code == 0  # Europe/London digests, a file outbox
    assert CliRunner().invoke(cli, ["run", "--once", "--at", "2025-07-02"]).exit_code == 0
    result = CliRunner().invoke(cli, ["status", "--at", "2025-07-02"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # The first Tuesday of August 2025, 17:00 in London, is 16:00 UTC.
    assert "community-monthly (community): next run 2025-08-05 16:00 UTC" in lines
    assert "  2025-05-31 23:00 to 2025-06-30 23:00 UTC: outbox:var/outbox published" in lines  # June in London
    assert lines[-1] == "chat: catch-up cursor none yet; newest handled message none; 0 shout-out confirmation(s) owed"
