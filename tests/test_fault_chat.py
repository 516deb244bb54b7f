"""Fault injection on the chat side (issue 13), against the fake Zulip over loopback, on SQLite and PostgreSQL.

Every case asserts the same three things: no shout-out lost (each message recorded), none recorded twice,
and every recorded shout-out confirmed exactly once (one reply whose link points at its message):

- a restart with messages in flight across the workers, and a kill during a reply backlog: a real
  `compass run` process is killed with SIGKILL mid-burst, and a second one started;
- an outage of 500 messages (the catch-up pages back as far as it must);
- a catch-up search that fails for a simulated minute (more consecutive 5xx answers than one call's retries);
- one person flooding compass while another gives a shout-out (answered within 5 s).
"""

from __future__ import annotations

import collections
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from fakes.zulip import FakeZulip
from test_chat_zulip import Harness

from chatops.storage.shoutouts import chat_cursor, list_shoutouts

COMPASS = Path(sys.executable).parent / "compass"
MARKER = re.compile(r"/near/(\d+)\)\)$")


def _shoutout(h_or_people, i: int) -> str:
    return f"@**compass** shoutout @**Bob Stone|{h_or_people}** for fault item {i}"


def _confirmations(fake: FakeZulip, bot) -> collections.Counter:
    """How many confirmations ("Recorded shout-out") answer each message id."""
    counts: collections.Counter = collections.Counter()
    for m in fake.messages_by(bot):
        found = MARKER.search(m["content"].rstrip())
        if found and "Recorded shout-out" in m["content"]:
            counts[int(found.group(1))] += 1
    return counts


def _recorded(database) -> list[int]:
    with database.session() as session:
        return [s.message_id for s in list_shoutouts(session=session)]


def _assert_exactly_once(sent: list[int], database, fake: FakeZulip, bot) -> None:
    recorded = _recorded(database)
    assert sorted(recorded) == sorted(sent), (
        f"{len(set(sent) - set(recorded))} lost, {len(recorded) - len(set(recorded))} recorded twice")
    confirmed = _confirmations(fake, bot)
    assert set(confirmed) == set(sent), f"{len(set(sent) - set(confirmed))} recorded but never confirmed"
    assert max(confirmed.values()) == 1, "a shout-out was confirmed twice"


# --- a real process killed with SIGKILL ------------------------------------------------------------


def _config(tmp_path: Path, fake: FakeZulip, bot, db_url: str) -> Path:
    data = {
        "community": {"name": "Fault test", "timezone": "UTC"},
        "zulip": {"site": fake.url, "email": bot.email, "shoutout_rate_limit": 100000, "command_budget": 100000},
        "storage": {"url": db_url},
        "server": {"enabled": False},
        "digests": [],
    }
    path = tmp_path / "compass.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _start(config: Path, bot, tmp_path: Path, n: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPASS_", "ZULIP_"))}
    env["ZULIP_API_KEY"] = bot.api_key
    with open(tmp_path / f"bot-{n}.log", "w") as log:  # the child keeps its own descriptor
        return subprocess.Popen([str(COMPASS), "--config", str(config), "run"], env=env, stdout=log,
                                stderr=subprocess.STDOUT, cwd=tmp_path)


def _count(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM shoutouts")).scalar() or 0)


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize("kill_after", [1, 120], ids=["in-flight", "reply-backlog"])
def test_sigkill_mid_burst_then_restart_loses_and_repeats_nothing(tmp_path, database, db_url, kill_after):
    """SIGKILL once ``kill_after`` shout-outs are recorded: with 1, messages are in flight across the four
    workers (claimed by some, queued for others); with 120, recorded shout-outs wait for their replies.
    A new process catches up from the ledger and confirms what was recorded but not confirmed."""
    with FakeZulip(heartbeat=0.3, rate_limit=None, validate=False) as fake:
        bot = fake.add_user("compass", bot=True)
        people = [fake.add_user(f"Person {i}") for i in range(12)]
        bob = fake.add_user("Bob Stone")
        config = _config(tmp_path, fake, bot, db_url)
        engine = sa.create_engine(db_url)
        first = _start(config, bot, tmp_path, 1)
        second = None
        try:
            fake.wait_for(lambda: any(q.user_id == bot.user_id for q in list(fake.queues.values())), 60,
                          "the bot to listen")
            sent = [fake.send(people[i % 12], _shoutout(bob.user_id, i), stream="kudos", topic=f"t{i % 5}")
                    for i in range(300)]
            fake.wait_for(lambda: _count(engine) >= kill_after, 60, f"{kill_after} shout-outs recorded")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            recorded, confirmed = _count(engine), sum(_confirmations(fake, bot).values())
            assert recorded < 300 or confirmed < recorded, "nothing was left in flight: the kill came too late"
            later = [fake.send(people[i % 12], _shoutout(bob.user_id, i), stream="kudos", topic=f"t{i % 5}")
                     for i in range(300, 320)]  # sent while no compass runs
            second = _start(config, bot, tmp_path, 2)
            sent += later
            fake.wait_for(lambda: _count(engine) >= len(sent) and len(_confirmations(fake, bot)) >= len(sent), 120,
                          "every shout-out recorded and confirmed")
            time.sleep(1.0)  # a duplicate, if any, would show up now
        finally:
            for proc in (first, second):
                if proc is not None and proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(20)
            engine.dispose()
        logs = "".join(p.read_text() for p in sorted(tmp_path.glob("bot-*.log")))
        assert second is not None and second.returncode == 0, logs[-3000:]
        _assert_exactly_once(sent, database, fake, bot)
        print(f"killed with {recorded} recorded and {confirmed} confirmed of 300")


# --- in-process bots: outages, failing searches, floods -------------------------------------------


@pytest.fixture
def fake():
    with FakeZulip(heartbeat=0.3, rate_limit=None) as server:
        yield server
        assert server.problems == []


def test_an_outage_of_500_messages_is_caught_up_completely(fake, database):
    h = Harness(fake, database, shoutout_rate_limit=100000, command_budget=100000)
    people = [fake.add_user(f"Member {i}") for i in range(10)]
    h.start()
    first = h.say(h.ann, _shoutout(h.bob.user_id, -1))
    h.reply_to(first)
    h.close()  # compass is down while 500 shout-outs (and chatter) arrive
    sent = [first]
    for i in range(500):
        sent.append(fake.send(people[i % 10], _shoutout(h.bob.user_id, i), stream="general", topic=f"t{i % 7}"))
        if i % 50 == 0:
            fake.send(people[i % 10], "just chatting, no mention", stream="general", topic="chatter")
    h.stop.clear()
    h.start()
    fake.wait_for(lambda: len(_confirmations(fake, h.bot_user)) >= len(sent), 120, "every shout-out confirmed")
    time.sleep(0.5)
    h.close()
    _assert_exactly_once(sent, database, fake, h.bot_user)
    with database.session() as session:
        # The cursor moved over what was handled before the outage, not over what the catch-up handed on.
        assert chat_cursor(session=session) == first


def test_a_catch_up_search_failing_for_a_minute_loses_nothing(fake, database):
    h = Harness(fake, database, shoutout_rate_limit=100000, command_budget=100000)
    h.start()
    first = h.say(h.ann, _shoutout(h.bob.user_id, -1))
    h.reply_to(first)
    h.close()
    sent = [first] + [h.say(h.ann if i % 2 else h.admin, _shoutout(h.bob.user_id, i), topic=f"t{i % 3}")
                      for i in range(60)]
    with database.session() as session:
        before = chat_cursor(session=session)
    # A minute of 5xx on the search: with the bot's real backoff (0.5 s doubling to 30 s) 12 consecutive
    # failures span more than a minute (and more than one call's 8 attempts); the test's backoff is short.
    failures = 12
    assert sum(min(30.0, 0.5 * 2**k) / 2 for k in range(failures)) >= 60
    fake.fail_next(failures, status=503, path="/api/v1/messages", method="GET")
    h.stop.clear()
    h.start()
    fake.wait_for(lambda: len(_confirmations(fake, h.bot_user)) >= len(sent), 60, "every shout-out confirmed")
    time.sleep(0.5)
    h.close()
    assert not [f for f in fake.failures if f.method == "GET"], "the search failures were not all consumed"
    _assert_exactly_once(sent, database, fake, h.bot_user)
    with database.session() as session:
        assert chat_cursor(session=session) >= (before or 0)


@pytest.fixture
def quick_fake():
    """Without OpenAPI checks: validating the answers to a 300-message flood costs the test process
    seconds of CPU on a busy machine, which would be timed instead of compass (bench/chat.py does the same)."""
    with FakeZulip(heartbeat=0.3, rate_limit=None, validate=False) as server:
        yield server


def test_a_flood_from_one_person_does_not_delay_anothers_shout_out(quick_fake, database):
    fake = quick_fake
    h = Harness(fake, database, command_budget=10)
    # The hard case: the giver's messages go to the same worker as the flood (workers own senders by id).
    giver = next(u for u in (fake.add_user(f"Carol {i}") for i in range(4)) if u.user_id % 4 == h.ann.user_id % 4)
    h.start()
    flood = [h.say(h.ann, "@**compass** help", topic="flood") for _ in range(300)]
    began = time.monotonic()
    given = h.say(giver, f"@**compass** shoutout @**Ann Lee|{h.ann.user_id}** for patience")
    h.reply_to(given, timeout=5)
    took = time.monotonic() - began
    fake.wait_for(lambda: len(h.replies()) >= 12, 30, "the flood's answers")
    time.sleep(1.0)
    h.close()
    print(f"shout-out answered {took:.2f} s after it was sent, behind a flood of {len(flood)}")
    assert took < 5, f"the shout-out was answered after {took:.1f} s"
    to_ann = [m for m in h.replies() if m.get("subject") == "flood"]
    refusals = [m for m in to_ann if "faster than I can answer" in m["content"]]
    assert len(refusals) == 1, "one polite refusal, then silence"
    assert 10 <= len(to_ann) <= 12, f"{len(to_ann)} answers to a flood of {len(flood)} (budget 10 a minute)"
    _assert_exactly_once([given], database, fake, h.bot_user)


def test_within_the_budget_a_backlog_from_one_person_does_not_hold_up_another(quick_fake, database):
    """Even when every one of a person's commands is answered (a generous budget), another person on the
    same worker is answered in turn, not after the whole backlog: workers take senders round-robin."""
    fake = quick_fake
    h = Harness(fake, database, command_budget=100000)
    giver = next(u for u in (fake.add_user(f"Carol {i}") for i in range(4)) if u.user_id % 4 == h.ann.user_id % 4)
    h.start()
    backlog = [h.say(h.ann, "@**compass** help", topic="busy") for _ in range(300)]
    given = h.say(giver, f"@**compass** shoutout @**Ann Lee|{h.ann.user_id}** for a busy day")
    h.reply_to(given, timeout=30)
    answered_before = len([m for m in h.replies() if m.get("subject") == "busy"])
    fake.wait_for(lambda: len([m for m in h.replies() if m.get("subject") == "busy"]) >= len(backlog), 60,
                  "the whole backlog answered")
    h.close()
    print(f"{answered_before} of {len(backlog)} answered before the other person's shout-out")
    assert answered_before < len(backlog) // 2, "the shout-out waited behind most of the backlog"
    _assert_exactly_once([given], database, fake, h.bot_user)
