"""Three `compass run` replicas on one PostgreSQL database, one killed with SIGKILL during a publication.

Against the fake Zulip and fake Discourse: every (digest, period, target) is posted exactly once, and 500
shout-outs are each recorded and answered exactly once. The replicas are real processes started from
the console script; the first Discourse topic is answered slowly so that the replica holding that
publication's lock can be found (``pg_locks``, by ``application_name``) and killed while it waits: it has
posted and not recorded, and a surviving replica must find the topic instead of posting again.

The shout-outs share a few topics, so one person gives several in one topic: a replica taking over a
message recognises an earlier reply by the link to that message the reply ends with, not by topic and
sender alone.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from fakes.discourse import FakeDiscourse
from fakes.zulip import FakeZulip

from chatops.storage.db import Database
from chatops.storage.publications import list_publications
from chatops.storage.shoutouts import list_shoutouts

pytestmark = [pytest.mark.postgresql, pytest.mark.slow, pytest.mark.timeout(180)]

DISCOURSE_KEY = "discourse-replica-key"
SHOUTOUTS = 500
COMPASS = Path(sys.executable).parent / "compass"


def _config(tmp_path: Path, zulip: FakeZulip, bot, discourse: FakeDiscourse) -> Path:
    both = [{"discourse": {"category": "News"}}, {"zulip": {"stream": "announce", "topic": "{digest_title}"}}]
    data = {
        "community": {"name": "Replica test", "timezone": "Europe/London"},
        "zulip": {"site": zulip.url, "email": bot.email, "shoutout_rate_limit": 100000, "command_budget": 100000,
                  "bot_name": "compass"},
        "discourse": {"url": discourse.url, "api_username": "compass", "category": "News"},
        "digests": [
            {"name": "community-hourly", "kind": "community", "schedule": "hourly", "grace": "2h",
             "skip_if_empty": False, "targets": both},
            {"name": "technical-daily", "kind": "technical", "schedule": "daily 00:00", "grace": "1d",
             "skip_if_empty": False, "targets": [{"discourse": {"category": "Digests"}},
                                                 {"zulip": {"stream": "announce", "topic": "{digest_title}"}}]},
            {"name": "thanks-weekly", "kind": "celebratory", "schedule": "weekly monday 09:00", "grace": "7d",
             "skip_if_empty": False, "targets": [{"zulip": {"stream": "announce", "topic": "{digest_title}"}},
                                                 {"outbox": {"directory": "outbox"}}]},
        ],
    }
    path = tmp_path / "compass.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _replica(n: int, config: Path, pg_url: str, bot, tag: str, tmp_path: Path, logs: list) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPASS_", "ZULIP_", "DISCOURSE_"))}
    env.update(
        COMPASS_DB=f"{pg_url}&application_name={tag}-{n}",
        ZULIP_API_KEY=bot.api_key,
        DISCOURSE_API_KEY=DISCOURSE_KEY,
    )
    log = open(tmp_path / f"replica-{n}.log", "w")  # noqa: SIM115 - closed when the test ends
    logs.append(log)
    return subprocess.Popen(
        [str(COMPASS), "--config", str(config), "-v", "run", "--port", "0", "--sweep-interval", "0.5"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
    )


def _wait(predicate, timeout: float, what: str, procs=(), interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        for p in procs:
            if p.poll() is not None and p.returncode not in (-signal.SIGKILL,):
                raise AssertionError(f"a replica exited early ({p.returncode}) while waiting for {what}")
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def _lock_holders(engine: sa.Engine, tag: str, external_id: str) -> list[str]:
    """The replicas holding the lock of the publication with this external id (its advisory lock is
    (the namespace of this database and schema, publication id))."""
    from chatops.storage.publications import LOCK_NAMESPACE_SQL

    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "JOIN publications p ON p.id = l.objid::int "
            f"WHERE l.locktype = 'advisory' AND l.classid::bigint = ({LOCK_NAMESPACE_SQL})::bigint & 4294967295 "
            "AND l.granted AND p.external_id = :eid AND a.application_name LIKE :tag"
        ), {"tag": f"{tag}-%", "eid": external_id}).all()
    return [r[0] for r in rows]


def test_three_replicas_publish_once_and_answer_once(pg_url, tmp_path):
    tag = f"compass-replica-{os.getpid()}"
    with FakeZulip(heartbeat=0.5, rate_limit=None) as zulip, FakeDiscourse(api_key=DISCOURSE_KEY, usernames=("compass",)) as discourse:
        bot = zulip.add_user("compass", bot=True)
        people = [zulip.add_user(f"Person {i}") for i in range(10)]
        config = _config(tmp_path, zulip, bot, discourse)
        # The first topic is created at once but answered after 5 s: its replica is killed while it waits.
        discourse.delay_next(5.0)
        Database.open(pg_url).close()  # the schema, so the test can watch it (replicas also migrate, under a lock)
        log_files: list = []
        started = time.monotonic()
        procs = [_replica(n, config, pg_url, bot, tag, tmp_path, log_files) for n in range(3)]
        watcher = sa.create_engine(pg_url)
        database = Database.open(pg_url, migrate=False)
        try:
            _wait(lambda: sum(1 for q in list(zulip.queues.values()) if q.user_id == bot.user_id) >= 3, 60,
                  "three bots listening", procs)
            sent = []
            for i in range(SHOUTOUTS // 2):
                giver, receiver = people[i % 10], people[(i + 3) % 10]
                sent.append(zulip.send(giver, f"@**compass** shoutout @**{receiver.full_name}|{receiver.user_id}** for item {i}",
                                       stream="kudos", topic=f"t{i % 4}"))
            first = _wait(lambda: list(discourse.topics.values()), 60, "the first Discourse topic", procs, 0.05)[0]
            holders = _wait(lambda: _lock_holders(watcher, tag, first.external_id), 4, "the replica posting it", (), 0.05)
            victim = int(holders[0].rsplit("-", 1)[1])
            os.kill(procs[victim].pid, signal.SIGKILL)
            assert procs[victim].wait(10) == -signal.SIGKILL
            for i in range(SHOUTOUTS // 2, SHOUTOUTS):
                giver, receiver = people[i % 10], people[(i + 3) % 10]
                sent.append(zulip.send(giver, f"@**compass** shoutout @**{receiver.full_name}|{receiver.user_id}** for item {i}",
                                       stream="kudos", topic=f"t{i % 4}"))
            survivors = [p for n, p in enumerate(procs) if n != victim]

            def done_publishing():
                with database.session() as session:
                    rows = list_publications(session=session)
                return len(rows) >= 6 and all(r.status == "published" for r in rows) and rows

            rows = _wait(done_publishing, 60, "every publication published", survivors)

            def all_shoutouts():
                with database.session() as session:
                    found = list_shoutouts(session=session)
                return len(found) >= SHOUTOUTS and found

            saved = _wait(all_shoutouts, 90, f"{SHOUTOUTS} shout-outs recorded", survivors)
            _wait(lambda: len([m for m in zulip.messages_by(bot) if m.get("display_recipient") == "kudos"]) >= SHOUTOUTS,
                  60, f"{SHOUTOUTS} replies", survivors)
            print(f"replicas: all published and answered {time.monotonic() - started:.1f} s after start")
            time.sleep(1.0)  # a duplicate, if any, would show up now
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            codes = [p.wait(20) for p in procs]
            for log in log_files:
                log.close()
            watcher.dispose()
            database.close()
        logs = "\n".join((tmp_path / f"replica-{n}.log").read_text() for n in range(3))
        assert sorted(codes) == sorted([0, 0, -signal.SIGKILL]), logs[-5000:]

        # Every digest, period and target: one row, published once.
        keys = collections.Counter((r.digest, r.period_start, r.target) for r in rows)
        assert max(keys.values()) == 1
        discourse_rows = [r for r in rows if r.target.startswith("discourse:")]
        assert len(discourse_rows) >= 2
        external_ids = collections.Counter(t.external_id for t in discourse.topics.values())
        assert sorted(external_ids) == sorted(r.external_id for r in discourse_rows)
        assert max(external_ids.values()) == 1, "a Discourse topic was posted twice"
        recovered = [r for r in discourse_rows if json.loads(r.remote_ref).get("found")]
        assert recovered, "the killed replica's topic should have been found by a survivor, not posted again"
        announce = [m["id"] for m in zulip.messages_by(bot) if m.get("display_recipient") == "announce"]
        zulip_rows = [r for r in rows if r.target.startswith("zulip:")]
        recorded = [i for r in zulip_rows for i in json.loads(r.remote_ref)["ref"]["message_ids"]]
        assert len(zulip_rows) >= 3 and len(recorded) == len(set(recorded))
        assert sorted(announce) == sorted(recorded), "a Zulip digest message was posted twice (or not recorded)"
        outbox = list((tmp_path / "outbox").rglob("*.md"))
        assert len(outbox) == len([r for r in rows if r.target.startswith("outbox:")]) == 1

        # Every shout-out: recorded once, answered once.
        assert sorted(s.message_id for s in saved) == sorted(sent), "a shout-out was lost or recorded twice"
        replies = [m for m in zulip.messages_by(bot) if m.get("display_recipient") == "kudos"]
        assert len(replies) == SHOUTOUTS, f"{len(replies)} replies to {SHOUTOUTS} shout-outs"
        assert zulip.problems == [] and discourse.problems == []
