"""`compass run` as a process: SIGHUP reloads (an invalid file is rejected and the old config stays),
/healthz answers, SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from processes import wait_for_output

from chatops.cli import cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]
COMPASS = Path(sys.executable).parent / "compass"



def test_sighup_reloads_and_sigterm_stops(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["config", "init"]).exit_code == 0
    config = tmp_path / "config" / "compass.yaml"
    log = tmp_path / "run.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPASS_")}
    with open(log, "w") as out:
        proc = subprocess.Popen([str(COMPASS), "--config", str(config), "run", "--port", "0"], stdout=out,
                                stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        url = wait_for_output(log, r"Serving /healthz and /metrics on (http://127\.0\.0\.1:\d+)", proc).group(1)
        assert json.load(urllib.request.urlopen(url + "/healthz", timeout=5))["status"] == "ok"
        config.write_text(config.read_text().replace("schedule: quarterly 09:00", "schedule: quarterly 10:00"))
        proc.send_signal(signal.SIGHUP)
        wait_for_output(log, r"Configuration reloaded; rescheduled celebrations-quarterly", proc)
        config.write_text(config.read_text().replace("schedule: quarterly 10:00", "schedule: whenever"))
        proc.send_signal(signal.SIGHUP)
        wait_for_output(log, r"Configuration reload rejected; the running configuration stays in force:\n.*"
                       r"digests\[2\]\.schedule: 'whenever' is neither a cron expression nor a preset", proc)
        assert json.load(urllib.request.urlopen(url + "/healthz", timeout=5))["status"] == "ok"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        assert "Received SIGTERM; stopping" in log.read_text() and "compass stopped" in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
