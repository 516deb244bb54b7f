"""``whois``, ``optout`` and ``optin`` in chat, over the real dispatcher and database."""

from __future__ import annotations

import datetime as dt

from test_chat_commands import ANN, BOB, Chat

from chatops.storage.people import load_registry, save_registry
from digests.people import Registry, Sighting

UTC = dt.UTC


def seed(database) -> None:
    registry = Registry()
    when = dt.datetime(2025, 1, 21, 12, tzinfo=UTC)
    for name, handle in (("Simon Li", "manics"), ("Simon Ode", "sode"), ("Yuvi", "yuvipanda")):
        registry.observe(Sighting("notes:a.md", "a.md#2025-01-21", "checkin", when, "check-in at Cafe, 2025-01-21",
                                  name=name, handle=handle, affiliation="2i2c" if handle == "yuvipanda" else None))
    registry.observe(Sighting("chat", "chat", "shoutout_recipient", when, "shout-out", name="Bob Stone", user_id=12))
    with database.session() as session:
        save_registry(session=session, registry=registry)


def test_whois_answers_anyone_and_never_guesses(database) -> None:
    seed(database)
    chat = Chat(database)
    reply = chat.say("@**compass** whois @yuvipanda")
    assert reply.startswith("**Yuvi**, GitHub [@yuvipanda](https://github.com/yuvipanda)")
    assert "First seen 2025-01-21 (check-in at Cafe, 2025-01-21)" in reply and "Affiliations: 2i2c." in reply
    assert "may be 2 people" in chat.say("@**compass** whois Simon")
    assert chat.say("@**compass** whois Simon Li").startswith("**Simon Li**, GitHub")
    assert chat.say("@**compass** whois @**Bob Stone|12**").startswith("**Bob Stone**")
    assert "I don't know anyone I can name as Zed" in chat.say("@**compass** whois Zed")


def test_optout_hides_the_asker_and_optin_brings_them_back(database) -> None:
    seed(database)
    chat = Chat(database)
    assert chat.say("@**compass** optout", BOB).startswith("Done: I will not name you")
    with database.session() as session:
        assert load_registry(session=session).find("zulip:12")[0].opted_out
    assert "I don't know anyone I can name" in chat.say("@**compass** whois @**Bob Stone|12**")
    assert chat.say("@**compass** optin", BOB).startswith("Done: digests and replies may name you again")
    assert chat.say("@**compass** whois @**Bob Stone|12**").startswith("**Bob Stone**")
    # Someone compass has never seen may opt out too: a person is made from their Zulip id.
    assert chat.say("@**compass** optout", ANN).startswith("Done")
    with database.session() as session:
        ann = load_registry(session=session).find("zulip:11")
    assert len(ann) == 1 and ann[0].opted_out


def test_shoutout_lists_show_opted_out_people_as_someone(database) -> None:
    chat = Chat(database)
    chat.say("@**compass** shoutout @**Bob Stone|12** for fixing CI")
    assert "@_**Bob Stone|12**" in chat.say("@**compass** shoutouts")
    chat.say("@**compass** optout", BOB)
    listed = chat.say("@**compass** shoutouts")
    assert "Bob Stone" not in listed and "\u2192 someone: fixing CI" in listed
