"""The admin ``digest preview`` / ``digest post`` chat commands against the real service and pipeline.

No stub: the dispatcher's digest port is ``chatops.service.CompassChat`` over a ``Compass`` for a real
configuration, which compiles the shout-outs recorded through chat, renders them and publishes to a file
outbox exactly once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from mention_oracles import zulip_live_mentions
from test_chat_commands import ADA, ANN, BOB, Clock, StubChat

from chatops.commands.dispatcher import Dispatcher
from chatops.config import parse_config
from chatops.service import Compass, CompassChat

NOW = dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC)  # Wednesday; the last complete week ended Monday 2 March 09:00


class RealChat:
    def __init__(self, database, outbox: Path) -> None:
        self.config = parse_config({
            "zulip": {"site": "https://chat.example.org", "email": "compass-bot@example.org", "api_key": "k",
                      "admins": ["ada@example.org"]},
            "digests": [{"name": "weekly", "kind": "celebratory", "schedule": "weekly monday 09:00",
                         "targets": [{"outbox": {"directory": str(outbox)}}]}],
        }, path=outbox.parent / "compass.yaml")
        self.clock = Clock(NOW - dt.timedelta(days=7))
        compass = Compass(self.config, database=database, clock=self.clock)
        self.dispatcher = Dispatcher(database=database, config=self.config, clock=self.clock,
                                     digests=CompassChat(compass), bot_id=99)
        self.stub = StubChat()
        self.next_id = 5000

    def say(self, text: str, who: tuple[int, str]) -> str:
        from chatops.chat.ports import IncomingMessage

        self.next_id += 1
        uid, name = who
        email = "ada@example.org" if who == ADA else f"{name.split()[0].lower()}@example.org"
        before = len(self.stub.replies)
        self.dispatcher.handle(IncomingMessage(
            sender_id=uid, sender_email=email, sender_name=name, stream="general", topic="kudos", text=text,
            message_id=self.next_id, timestamp=self.clock.now, permalink=f"https://chat.example.org/#narrow/near/{self.next_id}",
        ), self.stub)
        (reply,) = self.stub.texts[before:]
        return reply


def test_admin_previews_and_posts_the_real_digest_once(database, tmp_path):
    chat = RealChat(database, tmp_path / "outbox")
    recorded = chat.say("shoutout @**Bob Stone|12** for fixing CI on ARM, thanks @**all** and @here", ANN)
    assert recorded.startswith("Recorded shout-out #1")
    chat.clock.now = NOW

    assert chat.say("digest preview weekly", ANN).endswith("is for compass admins only. Nothing was changed.")
    preview = chat.say("digest preview weekly", ADA)
    assert "fixing CI on ARM" in preview and "Bob Stone" in preview
    assert "23 February 2026" in preview or "February 2026" in preview  # the week before 2 March
    assert zulip_live_mentions(preview) == []  # the preview passes the Zulip pass like any reply
    assert not list((tmp_path / "outbox").rglob("*.md")), "a preview publishes nothing"

    posted = chat.say("digest post weekly", ADA)
    assert posted == f"weekly for 2026-02-23 to 2026-03-02: outbox:{tmp_path / 'outbox'}: published"
    (document,) = (tmp_path / "outbox").rglob("*.md")
    assert document == tmp_path / "outbox" / "weekly" / "2026-02-23.md"
    text = document.read_text(encoding="utf-8")
    assert "fixing CI on ARM" in text and "@here" not in text and "@**all**" not in text

    again = chat.say("digest post weekly", ADA)
    assert "already" in again, again
    assert len(list((tmp_path / "outbox").rglob("*.md"))) == 1

    assert chat.say("digest post weekly", BOB).endswith("is for compass admins only. Nothing was changed.")
