"""A replica killed (SIGKILL) between the approval of a draft and the end of its publication: another process
finishes it, and the fake Zulip and the fake Discourse each receive the digest exactly once.

The approving replica is a real ``compass drafts approve`` process. The fake Zulip stores the digest's
message and holds its answer back (``answer_late``): the post exists but the replica never hears of it; the
fake Discourse refuses every attempt (500, nothing created) while the replica retries. Once both have been
reached, the replica is killed with ``kill -9``, mid-publication: its review is ``approved``, its rows
``posting``, one post made and one not. Then this test process (another replica) sweeps: it must find the
Zulip message instead of posting it again, and create the Discourse topic once. SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from fakes.discourse import FakeDiscourse
from fakes.zulip import FakeZulip
from test_review_modes import WINDOW

from chatops.config import load_config
from chatops.review import Reviewer
from chatops.service import Compass
from chatops.storage.publications import list_publications

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]
COMPASS = Path(sys.executable).parent / "compass"
EXAMPLE_NOTES = Path(__file__).resolve().parent.parent / "chatops" / "data" / "example-notes"
NAME = "community-monthly"


def _statuses(compass: Compass) -> dict[str, str]:
    with compass.open().session() as session:
        return {r.target: r.status for r in list_publications(session=session, digest=NAME)}


def test_a_replica_killed_mid_publication_after_approval_publishes_once(tmp_path, db_url, monkeypatch):
    zulip = FakeZulip().start()
    discourse = FakeDiscourse(api_key="dkey").start()
    child: subprocess.Popen[bytes] | None = None
    made: list[Compass] = []
    try:
        bot = zulip.add_user("compass", bot=True)
        zulip.add_user("Ann Lee", email="ann@example.org")
        notes = tmp_path / "notes"
        notes.mkdir()
        shutil.copy(EXAMPLE_NOTES / "collab-cafe-2025.md", notes)
        config_path = tmp_path / "compass.yaml"
        config_path.write_text(yaml.safe_dump({
            "community": {"name": "JupyterHub", "timezone": "UTC"},
            "zulip": {"site": zulip.url, "email": bot.email},
            "discourse": {"url": discourse.url, "api_username": "compass", "category": "News"},
            "sources": {"notes": [str(notes)]},
            "server": {"enabled": False},
            "digests": [{
                "name": NAME, "kind": "community", "schedule": "monthly first tuesday 16:00",
                "targets": [{"zulip": {"stream": "announce"}}, {"discourse": {}}],
                "review": {"mode": "approve", "reviewers": ["ann@example.org"]},
            }],
            "storage": {"url": db_url},
        }), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPASS_", "ZULIP_", "DISCOURSE_"))}
        env |= {"ZULIP_API_KEY": bot.api_key, "DISCOURSE_API_KEY": "dkey"}
        monkeypatch.setenv("ZULIP_API_KEY", bot.api_key)  # this process reads the same configuration
        monkeypatch.setenv("DISCOURSE_API_KEY", "dkey")

        def replica() -> Compass:
            made.append(Compass(load_config(config_path)))
            return made[-1]

        first = replica()
        first.draft(NAME, WINDOW)  # drafted as at its fire (the reviewers were told in a direct message)
        draft = first.find_draft(NAME)
        (zulip_post,) = [post for key, _, post in draft.posts if key.startswith("zulip:") and post is not None]
        expected_messages = list(zulip_post.messages or (zulip_post.body,))
        first.close()

        zulip.answer_late(path="/api/v1/messages", method="POST")  # posted, answer never heard
        discourse.fail_next(500, times=100)  # refused, nothing created, while the replica lives
        log = tmp_path / "approve.log"
        with log.open("wb") as out:
            child = subprocess.Popen([str(COMPASS), "--config", str(config_path), "drafts", "approve", NAME,
                                      "--as", "ann@example.org"], stdout=out, stderr=subprocess.STDOUT, env=env)
        zulip.wait_for(lambda: _stream_messages(zulip, bot) or child.poll() is not None, 30,
                       what="the replica's digest on Zulip")
        _wait(lambda: any(r.method == "POST" and r.path.startswith("/posts") for r in discourse.requests)
              or child.poll() is not None)  # refused at least once
        assert child.poll() is None, log.read_text()  # still mid-publication: Zulip's answer is held back
        child.send_signal(signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL

        survivor = replica()
        assert survivor.find_draft(NAME).state == "approved"  # the approval was recorded before the kill
        assert set(_statuses(survivor).values()) == {"posting"}  # neither target recorded as published
        assert len(_stream_messages(zulip, bot)) == 1 and discourse.topics == {}
        discourse.clear_scripts()

        survivor.sweep()
        survivor.sweep()  # a second sweep finds nothing left to do
        assert not survivor.approve(NAME, Reviewer(email="ann@example.org")).changed  # nor does approving again
        assert set(_statuses(survivor).values()) == {"published"}
        # Once, not twice (the chart placeholder becomes the link of its upload when published).
        assert [_unlinked(m["content"]) for m in _stream_messages(zulip, bot)] == [_unlinked(m) for m in expected_messages]
        (topic,) = discourse.topics.values()
        assert draft.title in topic.title and "Collaboration Cafe" in topic.raw
        assert zulip.problems == [] and discourse.problems == []
    finally:
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        for compass in made:
            compass.close()
        zulip.stop()
        discourse.stop()


def _unlinked(text: str) -> str:
    """``text`` without its chart line (a placeholder in the draft, the upload's link once published)."""
    return re.sub(r"(?m)^!?\[Attendance, [^\]]*\]\((compass-chart:|/user_uploads/)[^)]*\)$", "(chart)", text)


def _stream_messages(zulip: FakeZulip, bot) -> list[dict]:
    return [m for m in zulip.messages_by(bot) if m.get("type") == "stream"]


def _wait(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)
