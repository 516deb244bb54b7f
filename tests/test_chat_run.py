"""``compass run`` as a real process against the fake Zulip: the acceptance scenarios of issue 7.

One ``compass run`` (SQLite) serves the whole module; each test uses its own people and topics. The
same scenarios run in-process on SQLite and PostgreSQL in ``test_chat_zulip.py``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fakes.zulip import FakeZulip, User

from chatops.chat.zulip import without_marker
from chatops.storage.db import Database
from chatops.storage.shoutouts import list_shoutouts
from chatops.storage.state import is_paused

pytestmark = pytest.mark.slow


class Run:
    def __init__(self, fake: FakeZulip, database: Database, process: subprocess.Popen, log: Path, bot: User) -> None:
        self.fake, self.database, self.process, self.log, self.bot = fake, database, process, log, bot
        self.admin = fake.users[min(u.user_id for u in fake.users.values() if u.full_name == "Ada Admin")]

    def person(self, name: str) -> User:
        return self.fake.add_user(name)

    def say(self, who: User, text: str, topic: str) -> int:
        return self.fake.send(who, text, stream="general", topic=topic)

    def reply_in(self, topic: str, timeout: float = 30.0) -> str:
        def find():
            return [m["content"] for m in self.fake.messages_by(self.bot) if m.get("subject") == topic]

        found = self.fake.wait_for(find, timeout, what=f"a reply in {topic!r} (log: {self.log})")
        return without_marker(found[0])  # the link back to the message answered is tested in test_chat_followups

    def stored(self, person: User | None = None):
        with self.database.session() as session:
            found = list_shoutouts(session=session)
        return [s for s in found if person is None or s.giver_id == person.user_id]

    def wait_stored(self, person: User, count: int):
        return self.fake.wait_for(lambda: len(self.stored(person)) >= count and self.stored(person), 30,
                                  what=f"{count} shout-outs from {person.full_name}")

    def burst(self, who: list[User], n: int, prefix: str, start: int = 0) -> list[int]:
        return [
            self.say(who[i % len(who)], f"@**compass** shoutout @**Ann Lee** for {prefix} {i}", topic=f"{prefix}-{i}")
            for i in range(start, start + n)
        ]

    def assert_each_once(self, ids: list[int], prefix: str) -> None:
        for mid in ids:
            self.reply_in(self.fake.messages[mid]["subject"])
        mine = [s for s in self.fake.wait_for(lambda: self._with_prefix(prefix, len(ids)), 30, what="every record")]
        assert sorted(s.message_id for s in mine) == sorted(ids), "a shout-out was lost or recorded twice"
        topics = [m["subject"] for m in self.fake.messages_by(self.bot) if m["subject"].startswith(prefix + "-")]
        assert sorted(topics) == sorted({*topics}) and len(topics) == len(ids), "a reply was missing or posted twice"

    def _with_prefix(self, prefix: str, count: int):
        found = [s for s in self.stored() if s.topic and s.topic.startswith(prefix + "-")]
        return found if len(found) >= count else None


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("compass-run")
    with FakeZulip(heartbeat=0.3) as fake:
        bot = fake.add_user("compass", bot=True)
        fake.add_user("Ann Lee")
        admin = fake.add_user("Ada Admin")
        db_url = f"sqlite:///{tmp / 'compass.db'}"
        config = {
            "zulip": {"site": fake.url, "email": bot.email, "admins": [admin.email], "shoutout_rate_limit": 3},
            "digests": [{"name": "weekly", "kind": "celebratory", "schedule": "weekly monday 09:00",
                         "targets": [{"outbox": {"directory": str(tmp / "outbox")}}]}],
            "storage": {"url": db_url},
            "server": {"enabled": False},
        }
        (tmp / "compass.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPASS_", "ZULIP_"))}
        env["ZULIP_API_KEY"] = bot.api_key
        log = tmp / "compass.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(Path(sys.executable).parent / "compass"), "--config", str(tmp / "compass.yaml"), "-v", "run", "--port", "0"],
                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp,
            )
        database = Database.open(db_url)
        try:
            fake.wait_for(lambda: any(q.user_id == bot.user_id for q in fake.queues.values()) or process.poll() is not None,
                          30, what="compass run to register its event queue")
            assert process.poll() is None, log.read_text()
            yield Run(fake, database, process, log, bot)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
            database.close()
        text = log.read_text()
        assert code == 0, text
        assert fake.problems == [], fake.problems
        assert bot.api_key not in text, "the API key reached the log"


def test_shoutout_recorded_confirmed_and_celebrated(run):
    gil = run.person("Gil Hope")
    mid = run.say(gil, f"@**compass** shoutout @**Ann Lee|{run.admin.user_id - 1}** for the release notes", topic="first")
    reply = run.reply_in("first")
    (saved,) = run.wait_stored(gil, 1)
    assert reply == (f"@_**Gil Hope|{gil.user_id}** Recorded shout-out #{saved.id} for @_**Ann Lee|{run.admin.user_id - 1}**. "
                     f"Thank you! (`undo {saved.id}` takes it back, `edit {saved.id} TEXT` corrects it.)")
    assert (saved.text, saved.message_id, saved.topic) == ("the release notes", mid, "first")
    run.fake.wait_for(lambda: run.fake.reactions.get(mid), what="the :tada: reaction")


def test_duplicate_delivery_recorded_once(run):
    people = [run.person("Dee One"), run.person("Dee Two")]
    run.fake.duplicate_deliveries = True
    try:
        ids = run.burst(people, 6, "dup")
        run.assert_each_once(ids, "dup")
    finally:
        run.fake.duplicate_deliveries = False


def test_queue_expiry_in_a_burst_loses_nothing(run):
    people = [run.person(f"Exp {i}") for i in range(4)]  # at most 3 each: the rate limit is 3 an hour
    ids = run.burst(people, 5, "exp")
    run.reply_in("exp-0")
    run.fake.expire_queues()
    ids += run.burst(people, 5, "exp", start=5)
    run.assert_each_once(ids, "exp")


def test_server_restart_in_a_burst_loses_nothing(run):
    people = [run.person(f"Res {i}") for i in range(4)]
    ids = run.burst(people, 5, "restart")
    run.reply_in("restart-0")
    run.fake.restart(downtime=0.5)
    ids += run.burst(people, 5, "restart", start=5)
    run.assert_each_once(ids, "restart")


def test_edit_and_undo_reflected(run):
    eve = run.person("Eve Edit")
    mid = run.say(eve, "@**compass** shoutout @**Ann Lee** for teh docs", topic="edit")
    (saved,) = run.wait_stored(eve, 1)
    run.fake.edit(mid, "@**compass** shoutout @**Ann Lee** for the docs", editor=eve)
    run.fake.wait_for(lambda: run.stored(eve)[0].text == "the docs", what="the edit")
    run.say(eve, f"@**compass** undo {saved.id}", topic="undo")
    assert run.reply_in("undo").endswith(f"Took back shout-out #{saved.id}; it will not appear in future digests.")
    run.fake.wait_for(lambda: run.stored(eve) == [], what="the shout-out to leave listings")


def test_admin_gating(run):
    nat = run.person("Nat Normal")
    run.say(nat, "@**compass** pause weekly", topic="gate-1")
    assert run.reply_in("gate-1").endswith("Sorry, `pause` is for compass admins only. Nothing was changed.")
    with run.database.session() as session:
        assert not is_paused(session=session, digest="weekly")
    run.say(run.admin, "@**compass** pause weekly", topic="gate-2")
    assert "Paused `weekly`" in run.reply_in("gate-2")
    with run.database.session() as session:
        assert is_paused(session=session, digest="weekly")
    run.say(run.admin, "@**compass** resume weekly", topic="gate-3")
    assert "Resumed `weekly`" in run.reply_in("gate-3")


def test_wildcards_escaped(run):
    wes = run.person("Wes Wild")
    run.say(wes, "@**compass** shoutout @**all** @*core team* for @**everyone** @**topic**", topic="wild")
    reply = run.reply_in("wild")
    assert not re.search(r"@\*\*|@_?\*(?!\*)", reply.replace("@_**", "")), reply
    for (_, message_id), flags in run.fake.flags.items():
        if run.fake.messages[message_id]["sender_id"] == run.bot.user_id:
            assert not {"mentioned", "stream_wildcard_mentioned"} & set(flags)


def test_rate_limit(run):
    rae = run.person("Rae Rapid")
    for i in range(3):
        run.say(rae, f"@**compass** shoutout @**Ann Lee** for thing {i}", topic=f"rate-{i}")
        run.reply_in(f"rate-{i}")
    run.say(rae, "@**compass** shoutout @**Ann Lee** for one more", topic="rate-x")
    assert "which is the limit (3 an hour)" in run.reply_in("rate-x")
    time.sleep(0.2)
    assert len(run.stored(rae)) == 3
