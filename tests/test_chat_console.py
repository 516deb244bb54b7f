"""``compass chat``: the local console feeds lines through the same command layer and database."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from chatops.cli import cli
from chatops.storage.db import Database
from chatops.storage.shoutouts import list_shoutouts


def _config(tmp_path: Path, **zulip) -> Path:
    path = tmp_path / "compass.yaml"
    data: dict[str, Any] = {"storage": {"url": f"sqlite:///{tmp_path / 'compass.db'}"},
            "digests": [{"name": "weekly", "kind": "celebratory", "schedule": "weekly monday 09:00"}]}
    if zulip:
        data["zulip"] = {"site": "https://chat.example.org", "email": "bot@example.org", **zulip}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _stored(tmp_path: Path):
    db = Database.open(f"sqlite:///{tmp_path / 'compass.db'}")
    try:
        with db.session() as session:
            return list_shoutouts(session=session)
    finally:
        db.close()


def test_scripted_session_records_and_answers_each_line(tmp_path):
    config = _config(tmp_path)
    lines = (
        "shoutout @jane for fixing CI\n"
        "@compass shoutout @**Bob Stone|12** and the docs team for the tutorial\n"
        "\n"
        "shoutouts mine\n"
        "shoutuot @jane for x\n"
        "undo 1\n"
        "shoutouts\n"
    )
    result = CliRunner().invoke(cli, ["--config", str(config), "chat", "--as", "ann"], input=lines)
    assert result.exit_code == 0, result.output
    replies = result.output.strip().split("\n\n")
    assert replies[0] == "Recorded shout-out #1 for @_**jane**. Thank you! (`undo 1` takes it back, `edit 1 TEXT` corrects it.)"
    assert replies[1].startswith("Recorded shout-out #2 for @_**Bob Stone|12** and the docs team.")
    assert replies[2] == "Shout-outs for you: none yet. Be the first: `shoutout @Name for TEXT`."
    assert replies[3].startswith("I don't know `shoutuot`. Did you mean `shoutout`?")
    assert replies[4] == "Took back shout-out #1; it will not appear in future digests."
    assert replies[5].startswith("**Recent shout-outs** (newest first):\n- #2 ")
    assert len(replies) == 6
    (saved,) = _stored(tmp_path)
    assert (saved.giver, saved.giver_id, saved.text) == ("ann", None, "the tutorial")


def test_default_user_is_the_system_user_and_admins_come_from_config(tmp_path):
    me = getpass.getuser()
    config = _config(tmp_path, admins=[f"{me}@localhost"])  # a console user is NAME@localhost, never a bare name
    result = CliRunner().invoke(cli, ["--config", str(config), "chat"], input="shoutout @bob for tea\npause weekly\n")
    assert result.exit_code == 0, result.output
    assert "Paused `weekly`" in result.output
    assert _stored(tmp_path)[0].giver == me


def test_empty_name_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["--config", str(_config(tmp_path)), "chat", "--as", "  "], input="help\n")
    assert result.exit_code == 2
    assert "Error: Invalid value for --as: must not be empty" in result.output


def test_runs_without_a_config_file_on_the_db_option(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'other.db'}"
    result = CliRunner().invoke(cli, ["--db", url, "chat", "--as", "zoe"], input="shoutout the infra team for uptime\n")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Recorded shout-out #1 for the infra team.")
    assert (tmp_path / "other.db").exists()
