"""`compass schedule`, `compass digest post`, `compass run --once` and `compass reload`, tried as a new user would."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from chatops.cli import cli
from chatops.config import load_config
from chatops.health import HealthServer, Metrics
from chatops.runner import Runner


@pytest.fixture
def starter(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["config", "init"])
    assert result.exit_code == 0, result.output
    return tmp_path / "config" / "compass.yaml"


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_schedule_prints_local_and_utc_fire_times(starter):
    result = _invoke("schedule", "--at", "2026-03-20T12:00Z", "-n", "2")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "community-monthly (community): monthly first tuesday 17:00, Europe/London, grace 6h"
    # The calendar period before each run (the default 'period: auto'), named as a person would.
    assert lines[1] == ("  Tue 2026-04-07 17:00 BST  =  2026-04-07 16:00 UTC   publishes March 2026 "
                        "(2026-03-01 00:00 to 2026-04-01 00:00)")
    assert ("  Wed 2026-04-01 09:00 BST  =  2026-04-01 08:00 UTC   publishes Q1 2026 (January\u2013March) "
            "(2026-01-01 00:00 to 2026-04-01 00:00)") in lines


def test_digest_post_twice_publishes_once(starter):
    first = _invoke("digest", "post", "community-monthly", "--period", "2023-01-10")
    assert first.exit_code == 0, first.output
    match = re.search(r"outbox:var/outbox: published: (\S+\.md)", first.output)
    assert match, first.output
    path = Path(match.group(1))
    text = path.read_text()
    assert path.name == "2023-01-01.md" and "community-monthly" in str(path)
    second = _invoke("digest", "post", "community-monthly", "--period", "2023-01-10")
    assert second.exit_code == 0
    assert f"outbox:var/outbox: already published: {path}" in second.output
    assert path.read_text() == text
    # The scheduled run for that period (as if it were 8 Feb 2023) finds it published too.
    once = _invoke("run", "--once", "--at", "2023-02-08")
    assert "community-monthly: 2023-01-01 00:00 to 2023-02-01 00:00 (Europe/London)\n  outbox:var/outbox: already published" in once.output
    # the digest and its attendance chart, written beside it
    assert sorted(p.name for p in path.parent.iterdir()) == ["2023-01-01-attendance.png", "2023-01-01.md"]


def test_run_once_twice_publishes_nothing_twice(starter):
    first = _invoke("run", "--once", "--at", "2023-02-08")
    assert first.exit_code == 0, first.output
    published = re.findall(r": published: (\S+)", first.stdout)
    assert published, first.output
    contents = {p: Path(p).read_text() for p in published}
    second = _invoke("run", "--once", "--at", "2023-02-08")
    assert second.exit_code == 0
    assert ": published:" not in second.stdout
    assert second.stdout.count("already") == 3
    assert {p: Path(p).read_text() for p in published} == contents
    outbox = starter.parent / "var" / "outbox"
    assert sorted(str(p) for p in outbox.rglob("*.md")) == sorted(published)


def test_dry_run_posts_nothing(starter):
    result = _invoke("digest", "post", "community-monthly", "--period", "2023-01-10", "--dry-run")
    assert result.exit_code == 0
    assert "outbox:var/outbox: dry-run" in result.output and "\n--- " in result.output
    assert not (starter.parent / "var" / "outbox").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["digest", "post", "nope"], "Error: no digest named 'nope' (configured: community-monthly, technical-monthly, celebrations-quarterly)"),
        (["digest", "post", "community-monthly", "--period", "soon"], "Error: --period 'soon' is not understood."),
        (["digest", "post", "community-monthly", "--period", "2099-01-01"], "which is not over yet"),
        (["run", "--at", "2023-02-08"], "Error: --at only makes sense with --once"),
    ],
    ids=["unknown_digest", "bad_period", "future_period", "at_without_once"],
)
def test_bad_input_is_a_usage_error(starter, args, message):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and message in result.output


def test_health_metrics_and_reload_over_http(starter, database):
    config = load_config(starter)
    runner = Runner(config, database=database, clock=lambda: dt.datetime(2026, 6, 2, 12, tzinfo=dt.UTC))
    runner.start(scheduler_clock=runner.clock, host="127.0.0.1", port=0)
    try:
        url = runner.health.url
        assert url.startswith("http://127.0.0.1:")
        health = json.load(urllib.request.urlopen(url + "/healthz", timeout=5))
        assert health == {"database": "ok", "scheduler": "running", "digests": 3, "status": "ok"}
        runner.metrics.command_handled(lag_seconds=0.25)
        metrics = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
        assert "compass_commands_handled_total 1.0" in metrics
        assert "compass_event_queue_lag_seconds 0.25" in metrics
        assert "# TYPE compass_digests_published_total counter" in metrics
        starter.write_text(starter.read_text().replace("schedule: quarterly 09:00", "schedule: every quarter"))
        rejected = CliRunner().invoke(cli, ["reload", "--port", str(runner.health.bound_port)])
        assert rejected.exit_code == 1
        assert "Error: rejected; the running configuration stays in force:" in rejected.output
        assert "'every quarter' is neither a cron expression nor a preset" in rejected.output
        starter.write_text(starter.read_text().replace("schedule: every quarter", "schedule: quarterly 10:00"))
        ok = CliRunner().invoke(cli, ["reload", "--port", str(runner.health.bound_port)])
        assert ok.exit_code == 0 and ok.stdout == "reloaded; rescheduled celebrations-quarterly\n"
        metrics = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
        assert 'compass_config_reloads_total{result="ok"} 1.0' in metrics
        assert 'compass_config_reloads_total{result="rejected"} 1.0' in metrics
    finally:
        runner.stop()


def test_healthz_reports_a_broken_database(starter):
    class Broken:
        def health(self):
            return {"database": "error: OperationalError", "scheduler": "running"}

    server = HealthServer(Metrics(), check=Broken().health, port=0).start()
    try:
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(server.url + "/healthz", timeout=5)
        assert info.value.code == 503
        assert json.load(info.value)["status"] == "unhealthy"
    finally:
        server.stop()


def test_the_health_server_sends_its_answers_at_once_on_kept_alive_connections():
    """Nagle's algorithm is off on the server's connections (TCP_NODELAY): with it on, an answer written in
    two parts on a kept-alive connection waited for the client's delayed ACK, ~40 ms per request."""
    import socket

    import httpx

    server = HealthServer(Metrics(), check=lambda: {"database": "ok"}, port=0).start()
    try:
        with httpx.Client() as client:
            assert client.get(server.url + "/healthz").status_code == 200
            assert client.get(server.url + "/healthz").status_code == 200  # the same connection, kept alive
            (connection,) = server._server.server_state.connections  # type: ignore[union-attr]
            accepted = connection.transport.get_extra_info("socket")
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        server.stop()


def test_reload_without_a_running_bot_says_how_to_find_it(starter):
    result = CliRunner().invoke(cli, ["reload", "--port", "1"])
    assert result.exit_code == 2
    assert "Error: no running compass answers at http://127.0.0.1:1/-/reload (ConnectError)" in result.output


def test_auth_error_is_reported_once_and_exits_1(tmp_path, monkeypatch):
    from fakes.discourse import FakeDiscourse

    with FakeDiscourse(api_key="right-key") as forum:
        config = tmp_path / "compass.yaml"
        config.write_text(
            "discourse: {{url: '{}', api_username: compass, category: News}}\n"
            "digests:\n"
            "  - {{name: weekly, kind: community, schedule: weekly monday 09:00, skip_if_empty: false,\n"
            "     targets: [{{discourse: {{}}}}, {{outbox: {{directory: out}}}}]}}\n"
            "storage: {{url: 'sqlite:///{}'}}\n".format(forum.url, tmp_path / "c.db")
        )
        monkeypatch.setenv("DISCOURSE_API_KEY", "wrong-key-456")
        result = CliRunner().invoke(cli, ["--config", str(config), "digest", "post", "weekly", "--period", "2026-06-03"])
        assert result.exit_code == 1
        assert ("discourse:: failed: discourse:: Discourse refused the API key for user 'compass' (HTTP 403); "
                "check DISCOURSE_API_KEY (or discourse.api_key_env) and discourse.api_username") in result.output
        assert "outbox:out: published:" in result.output
        assert "wrong-key-456" not in result.output
        assert len(forum.posts_to("/categories.json")) == 1 and forum.posts_to("/posts") == []


def test_explicit_period_range(starter):
    result = _invoke("digest", "post", "community-monthly", "--period", "2023-01-01..2023-02-01", "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.startswith("community-monthly: 2023-01-01 00:00 to 2023-02-01 00:00 (Europe/London)\n")
