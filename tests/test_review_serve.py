"""`compass serve` as a process: the review page alone, on a free port. It answers /healthz, refuses the
page without a sign-in and a forged link, accepts a link made by another process with the same
``COMPASS_WEB_SECRET`` (as ``compass run`` makes them), shows the draft, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from processes import wait_for_output
from test_review_modes import WINDOW

from chatops.config import load_config
from chatops.review import Reviewer
from chatops.service import Compass

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]
COMPASS = Path(sys.executable).parent / "compass"
NOTES = Path(__file__).resolve().parent.parent / "chatops" / "data" / "example-notes"


def test_compass_serve_shows_the_review_page_and_stops_on_sigterm(tmp_path, monkeypatch):
    config = tmp_path / "compass.yaml"
    config.write_text(yaml.safe_dump({
        "community": {"name": "JupyterHub", "timezone": "UTC"},
        "sources": {"notes": [str(NOTES / "collab-cafe-2025.md")]},
        "digests": [{"name": "community-monthly", "kind": "technical", "schedule": "monthly first tuesday 16:00",
                     "targets": [{"outbox": {"directory": str(tmp_path / "outbox")}}],
                     "review": {"mode": "approve", "reviewers": ["ann@example.org"]}}],
        "storage": {"url": f"sqlite:///{tmp_path / 'compass.db'}"},
    }), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPASS_", "ZULIP_", "DISCOURSE_"))}
    env["COMPASS_WEB_SECRET"] = "the-signing-key-of-every-replica"
    monkeypatch.setenv("COMPASS_WEB_SECRET", env["COMPASS_WEB_SECRET"])
    bot = Compass(load_config(config))  # another process's side: the bot drafts and makes sign-in links
    bot.draft("community-monthly", WINDOW)
    draft = bot.find_draft("community-monthly")
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(COMPASS), "--config", str(config), "serve", "--port", "0"], stdout=out,
                                stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        url = wait_for_output(log, r"Review page: (http://127\.0\.0\.1:\d+)/review/", proc).group(1)
        with httpx.Client(base_url=url, timeout=10) as client:
            assert client.get("/healthz").json()["status"] == "ok"
            refused = client.get("/review/")
            assert refused.status_code == 401 and "Ask compass for a sign-in link" in refused.text
            assert client.get(f"/review/drafts/{draft.id}").status_code == 401
            assert client.get("/review/signin").status_code == 403  # no token
            forged = client.get("/review/signin", params={"token": "forged.token.value"})
            assert forged.status_code == 403 and "compass_review" not in forged.headers.get("set-cookie", "")
            bot.page_url = url
            link = bot.sign_in_link(Reviewer(email="ann@example.org"))
            assert client.get(link.removeprefix(url)).status_code == 200  # made by the bot, redeemed here
            page = client.get(f"/review/drafts/{draft.id}")
            assert page.status_code == 200 and "As it will look" in page.text
            assert "Approve and publish" in page.text and draft.title in page.text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0, log.read_text()
        assert "Traceback" not in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        bot.close()

