"""Admins by identity only: Zulip email or user id, never a display name (chatops.identity)."""

from __future__ import annotations

import dataclasses

import pytest
import yaml
from click.testing import CliRunner
from test_chat_commands import Chat
from test_chat_zulip import Harness

from chatops.chat.console import ConsoleChat
from chatops.cli import cli
from chatops.config import parse_config
from chatops.errors import ConfigError
from chatops.identity import Identities, parse_identity
from chatops.storage.shoutouts import list_shoutouts

ADMIN_COMMANDS = ["digest preview weekly", "digest post weekly", "schedule", "pause weekly", "resume weekly", "reload"]


def _zulip(admins):
    return {"zulip": {"site": "https://chat.example.org", "email": "bot@example.org", "admins": admins}}


@pytest.mark.parametrize("name", ["Ada Admin", "ada", "Ada Admin <ada>", "@**Ada Admin**", ""])
def test_config_rejects_display_names_and_says_how_to_find_the_email_or_id(name):
    with pytest.raises(ConfigError) as caught:
        parse_config(_zulip(["ada@example.org", name]))
    message = str(caught.value)
    assert "zulip.admins[1]" in message and "display name" in message
    assert "View profile" in message and "user ID" in message


def test_config_check_exits_2_on_a_name(tmp_path):
    path = tmp_path / "compass.yaml"
    path.write_text(yaml.safe_dump(_zulip(["Ada Admin"])), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path), "config", "check"])
    assert result.exit_code == 2, result.output
    assert "zulip.admins[0]" in result.output and "'Ada Admin' looks like a display name" in result.output
    assert "Traceback" not in result.output


def test_emails_and_ids_are_identities():
    config = parse_config(_zulip(["Ada@Example.org", 8, "9"]))
    assert config.zulip is not None and config.zulip.admins == ["Ada@Example.org", 8, 9]
    admins = Identities.of(config.zulip.admins)
    assert admins.matches(email="ada@example.ORG", user_id=None)
    assert admins.matches(email="someone@example.org", user_id=8)
    assert not admins.matches(email="someone@example.org", user_id=10)
    for bad in (0, -3, True, 1.5, None):
        with pytest.raises(ValueError):
            parse_identity(bad)


def _use(chat: Chat, admins: list) -> None:
    config = parse_config({
        "zulip": {"site": "https://chat.example.org", "email": "compass-bot@example.org", "api_key": "k", "admins": admins},
        "digests": [{"name": "weekly", "kind": "celebratory", "schedule": "weekly monday 09:00"}],
    })
    chat.dispatcher.config_source = lambda: config


def _say_as(chat: Chat, text: str, user_id: int, name: str, email: str) -> str:
    before = len(chat.stub.replies)
    message = dataclasses.replace(chat.message(text), sender_id=user_id, sender_name=name, sender_email=email)
    chat.dispatcher.handle(message, chat.stub)
    (reply,) = chat.stub.texts[before:]
    return reply


def test_names_and_id_numbers_as_names_get_no_admin_rights(database):
    chat = Chat(database)
    _use(chat, ["ada@example.org", 13])
    impostors = [(50, "Ada Admin", "eve@example.org"), (51, "ada@example.org", "mallory@example.org"),
                 (52, "13", "trent@example.org")]
    for who in impostors:
        for command in ADMIN_COMMANDS:
            reply = _say_as(chat, command, *who)
            assert reply.endswith("is for compass admins only. Nothing was changed."), (who, command, reply)
    assert "Paused `weekly`" in _say_as(chat, "pause weekly", 60, "Renamed Ada", "ADA@example.org")  # the email
    assert "Resumed `weekly`" in _say_as(chat, "resume weekly", 13, "Renamed Ada", "new@example.org")  # the id


# --- on the fake Zulip: a member renamed to an admin's name or id number ----------------------------------


def test_renamed_users_are_refused_every_admin_command_on_the_fake_zulip(database):
    from fakes.zulip import FakeZulip

    with FakeZulip(heartbeat=0.3) as server:
        harness = Harness(server, database)
        harness.config = parse_config({
            "zulip": {**harness.settings, "admins": [harness.admin.email, harness.admin.user_id]},
            "digests": [{"name": "weekly", "kind": "celebratory", "schedule": "weekly monday 09:00"}],
        })
        as_name = server.add_user("Ann Lee")
        as_id = server.add_user("Bob Stone")
        try:
            harness.start()
            given = harness.say(harness.bob, f"@**compass** shoutout @**Ann Lee|{harness.ann.user_id}** for the docs")
            harness.reply_to(given)
            (shout,) = harness.shoutouts(1)
            as_name.full_name = harness.admin.full_name  # the rename: "Ada Admin"
            as_id.full_name = str(harness.admin.user_id)  # the rename: the admin's id number
            for user in (as_name, as_id):
                for index, command in enumerate([*ADMIN_COMMANDS, f"undo {shout.id}"]):
                    asked = harness.say(user, f"@**compass** {command}", topic=f"t-{user.user_id}-{index}")
                    reply = harness.reply_to(asked)
                    assert ("is for compass admins only" in reply or "Only the person who gave" in reply), (user, command, reply)
            assert len(harness.shoutouts()) == 1
            done = harness.say(harness.admin, "@**compass** schedule", topic="real-admin")
            assert "admins only" not in harness.reply_to(done)
        finally:
            harness.close()
        assert server.problems == []


# --- console users never act on a Zulip user's shout-outs ---------------------------------------------


def test_console_users_never_act_on_zulip_shoutouts(database):
    chat = Chat(database)
    chat.say("shoutout @**Bob Stone|12** for the release", (11, "Ann Lee"))
    console = ConsoleChat(chat.dispatcher, user="Ann Lee")
    console.feed("shoutout @bob for the tea")
    assert console.feed("undo 1") == "Only the person who gave shout-out #1, or an admin, can take it back."
    assert console.feed("edit 1 something else").startswith("Only the person who gave shout-out #1")
    # Even a console admin (NAME@localhost listed) cannot take back a Zulip user's shout-out.
    _use(chat, ["root@localhost"])
    root = ConsoleChat(chat.dispatcher, user="root")
    assert root.feed("undo 1") == "Only the person who gave shout-out #1, or an admin, can take it back."
    # ... and a Zulip user named like the console giver cannot take back the console's shout-out.
    assert "Only the person who gave" in chat.say("undo 2", (77, "Ann Lee"))
    assert console.feed("undo 2").startswith("Took back shout-out #2")
    with database.session() as session:
        assert [s.id for s in list_shoutouts(session=session)] == [1]
