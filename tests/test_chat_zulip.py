"""The Zulip bot end to end against the fake Zulip server, with the real ``zulip`` client.

Each test starts ``ZulipBot.run`` in a thread against a fresh fake (real HTTP on 127.0.0.1) and a
fresh database (SQLite and PostgreSQL), sends messages as people, and asserts what crossed the wire
and what was stored.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fakes.zulip import FakeZulip, User

from chatops.chat.zulip import Backoff, ZulipBot
from chatops.config import parse_config
from chatops.storage.shoutouts import list_shoutouts
from digests.model import Recipient

ZWSP = "\u200b"


class Harness:
    def __init__(self, fake: FakeZulip, database, **zulip_settings) -> None:
        self.fake = fake
        self.database = database
        self.bot_user = fake.add_user("compass", bot=True)
        self.ann = fake.add_user("Ann Lee")
        self.bob = fake.add_user("Bob Stone")
        self.admin = fake.add_user("Ada Admin")
        self.other_bot = fake.add_user("GitHub", bot=True)
        self.settings = {
            "site": fake.url, "email": self.bot_user.email, "api_key": self.bot_user.api_key,
            "admins": [self.admin.email], **zulip_settings,
        }
        self.config = parse_config({
            "zulip": self.settings,
            "digests": [{"name": "weekly", "kind": "celebratory", "schedule": "weekly monday 09:00"}],
        })
        self.stop = threading.Event()
        self.bot: ZulipBot | None = None
        self.thread: threading.Thread | None = None

    def start(self, **kwargs) -> ZulipBot:
        self.bot = ZulipBot(self.config, self.database, backoff=Backoff(0.02, 0.3), **kwargs)
        self.thread = threading.Thread(target=self.bot.run, args=(self.stop,), daemon=True)
        self.thread.start()
        self.fake.wait_for(lambda: any(q.user_id == self.bot_user.user_id for q in self.fake.queues.values()),
                           what="the bot to register an event queue")
        return self.bot

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=15)
            assert not self.thread.is_alive(), "the bot did not stop within 15 s"

    def say(self, who: User, text: str, *, topic: str = "kudos", stream: str = "general") -> int:
        return self.fake.send(who, text, stream=stream, topic=topic)

    def replies(self) -> list[dict]:
        return self.fake.messages_by(self.bot_user)

    def reply_to(self, message_id: int, timeout: float = 10.0) -> str:
        """The bot's reply in the topic of ``message_id`` that follows it."""
        orig = self.fake.messages[message_id]

        def find():
            for m in self.fake.messages_by(self.bot_user):
                if m["id"] > message_id and m.get("subject") == orig.get("subject") and (
                    orig["type"] != "stream" or m["content"].startswith(f"@_**{orig['sender_full_name']}|")
                ):
                    return m["content"]
            return None

        return self.fake.wait_for(find, timeout, what=f"a reply to message {message_id}")

    def shoutouts(self, count: int | None = None):
        """The stored shout-outs; with ``count``, once that many are there (PostgreSQL commits after replying)."""

        def read():
            with self.database.session() as session:
                return list_shoutouts(session=session)

        if count is None:
            return read()
        return self.fake.wait_for(lambda: (found := read()) and len(found) >= count and found, what=f"{count} shout-outs")


@pytest.fixture
def fake() -> Iterator[FakeZulip]:
    with FakeZulip(heartbeat=0.3) as server:
        yield server
        assert server.problems == [], "requests or responses did not match zulip-openapi: " + "; ".join(server.problems)


@pytest.fixture
def harness(fake, database) -> Iterator[Harness]:
    h = Harness(fake, database)
    try:
        yield h
    finally:
        h.close()


def test_shoutout_is_recorded_confirmed_and_celebrated(harness):
    harness.start()
    mid = harness.say(harness.ann, f"@**compass** shoutout @**Bob Stone|{harness.bob.user_id}** for fixing CI")
    reply = harness.reply_to(mid)
    (saved,) = harness.shoutouts(1)
    assert saved.giver == "Ann Lee" and saved.giver_id == harness.ann.user_id
    assert saved.recipients == (Recipient(name="Bob Stone", user_id=harness.bob.user_id),)
    assert (saved.text, saved.stream, saved.topic, saved.message_id) == ("fixing CI", "general", "kudos", mid)
    assert saved.permalink.endswith(f"/topic/kudos/near/{mid}")
    assert reply.startswith(f"@_**Ann Lee|{harness.ann.user_id}** Recorded shout-out #{saved.id} for @_**Bob Stone|")
    harness.fake.wait_for(lambda: harness.fake.reactions.get(mid), what="the :tada: reaction")
    assert harness.fake.reactions[mid] == [(harness.bot_user.user_id, "tada")]
    # The bot asked for raw Markdown.
    assert all(not q.apply_markdown for q in harness.fake.queues.values() if q.user_id == harness.bot_user.user_id)
