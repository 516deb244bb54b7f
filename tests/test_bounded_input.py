"""Hostile input gets one clear line and the right exit code, never a traceback (chatops.limits and the CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from chatops.cli import cli
from chatops.limits import InputLimitError, check_tree, load_json

DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
DOWN = "postgresql+psycopg://compass:s3cret-pw@127.0.0.1:1/compass"  # nothing listens on port 1


def _run(args: list[str], stdin: str | None = None):
    result = CliRunner().invoke(cli, args, input=stdin)
    assert "Traceback" not in result.output, result.output
    assert not isinstance(result.exception, RecursionError | AssertionError), result.exception
    return result


def _one_error_line(output: str) -> str:
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, output
    return errors[0]


# --- JSON ---------------------------------------------------------------------------------------------


def test_json_nesting_is_refused_before_decoding():
    with pytest.raises(InputLimitError, match="nested more than 64 levels deep"):
        load_json(DEEP_JSON, what="a payload")
    assert load_json(b'{"a": ["[[[[[[", {"b": "]]]"}]}', what="x") == {"a": ["[[[[[[", {"b": "]]]"}]}
    deep_in_a_string = json.dumps({"text": "[" * 500})
    assert load_json(deep_in_a_string, what="x") == {"text": "[" * 500}
    with pytest.raises(InputLimitError, match="the limit is 10 bytes"):
        load_json(b"[1, 2, 3, 4, 5]", what="x", max_bytes=10)


def test_a_100000_deep_release_payload_is_one_clear_warning(monkeypatch):
    from fakes.releases import FakeReleaseServer

    with FakeReleaseServer() as fake:
        fake.fail_next("/pypi/", 200, body=DEEP_JSON)
        result = _run(["releases", "list", "--pypi", "sampleproject", "--pypi-url", fake.url, "--no-cache"])
    assert result.exit_code == 1  # every source failed (a runtime failure, as for a server error)
    assert "nested more than 64 levels deep" in result.output
    assert _one_error_line(result.output) == "Error: releases: every source failed (1 of 1); see the warnings above"


# --- configuration files ------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str, name: str = "compass.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("- " * 50_000 + "x\n", "nested", id="50000_deep_block_yaml"),
        pytest.param("community: " + "[" * 50_000 + "]" * 50_000 + "\n", "nested", id="50000_deep_flow_yaml"),
        pytest.param("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                     "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n", "more than 100,000 values", id="alias_bomb"),
        pytest.param("# " + "x" * 2_000_000 + "\n", "the limit is 1,048,576 bytes", id="two_megabytes"),
    ],
)
def test_hostile_config_files_exit_2_with_one_message(tmp_path, text, expected):
    result = _run(["--config", str(_write(tmp_path, text)), "config", "check"])
    assert result.exit_code == 2, result.output
    assert expected in _one_error_line(result.output)


def test_an_inline_api_key_in_the_yaml_file_is_refused_without_showing_it(tmp_path):
    text = ("zulip: {site: 'https://z.example.org', email: bot@z.example.org, api_key: hunter2-key}\n"
            "discourse: {url: 'https://d.example.org', api_key: other-secret-key}\n")
    result = _run(["--config", str(_write(tmp_path, text)), "config", "check"])
    assert result.exit_code == 2
    assert "zulip.api_key: a secret does not belong in the configuration file" in result.output
    assert "ZULIP_API_KEY" in result.output and "discourse.api_key" in result.output
    assert "hunter2" not in result.output and "other-secret" not in result.output


@pytest.mark.parametrize(
    ("secrets", "expected"),
    [
        pytest.param("ZULIP_API_KEY=abc\nthis line has the-secret-value but no equals sign\n", "line 2 is not KEY=value",
                     id="no_equals"),
        pytest.param("ZULIP_API_KEY=abc\n9BAD KEY=the-secret-value\n", "line 2 is not KEY=value", id="bad_key"),
        pytest.param("X=" + "y" * 70_000 + "\n", "the limit is 65,536 bytes", id="too_big"),
    ],
)
def test_a_malformed_secrets_file_is_refused_clearly(tmp_path, secrets, expected):
    _write(tmp_path, secrets, "secrets.env")
    config = _write(tmp_path, "secrets_file: secrets.env\nzulip: {site: 'https://z.example.org', email: b@z.example.org}\n")
    result = _run(["--config", str(config), "config", "check"])
    assert result.exit_code == 2, result.output
    line = _one_error_line(result.output)
    assert expected in line and "the-secret-value" not in result.output


def test_a_good_secrets_file_still_works(tmp_path):
    _write(tmp_path, "# compass\nexport ZULIP_API_KEY='abc123'\n\nDISCOURSE_API_KEY = def456\n", "secrets.env")
    from chatops.config import load_config

    config = load_config(_write(tmp_path, "secrets_file: secrets.env\nzulip: {site: 'https://z.example.org', "
                                          "email: b@z.example.org}\ndiscourse: {url: 'https://d.example.org'}\n"))
    assert config.zulip is not None and config.zulip.api_key is not None
    assert config.zulip.api_key.get_secret_value() == "abc123"
    assert config.discourse is not None and config.discourse.api_key is not None
    assert config.discourse.api_key.get_secret_value() == "def456"


def test_check_tree_is_iterative_and_counts_aliases():
    deep: list = []
    node = deep
    for _ in range(100_000):
        node.append([])
        node = node[0]
    with pytest.raises(InputLimitError, match="nested more than 32 levels"):
        check_tree(deep, what="x", max_depth=32)
    shared = ["x"] * 10
    with pytest.raises(InputLimitError, match="more than 50 values"):
        check_tree([shared] * 10, what="x", max_depth=32, max_nodes=50)
    check_tree({"a": [1, {"b": 2}]}, what="x", max_depth=4)


# --- notes --------------------------------------------------------------------------------------------


def test_deep_notes_are_one_clear_error(tmp_path):
    notes = _write(tmp_path, "# Meeting 2025-01-01\n\n" + "- " * 30_000 + "x\n", "notes.md")
    result = _run(["notes", "parse", str(notes)])
    assert result.exit_code == 2, result.output
    assert "nested more than 256 levels deep" in _one_error_line(result.output)


def test_oversized_notes_are_refused(tmp_path, monkeypatch):
    import chatops.sources.notes as notes_source

    monkeypatch.setattr(notes_source, "MAX_NOTES_BYTES", 1000)
    notes = _write(tmp_path, "# Meeting 2025-01-01\n\n" + "- an item\n" * 200, "notes.md")
    result = _run(["notes", "parse", str(notes)])
    assert result.exit_code == 2, result.output
    assert "the limit is 1,000 bytes" in _one_error_line(result.output)


# --- a database that cannot be reached ----------------------------------------------------------------


def _config_with(tmp_path: Path) -> Path:
    return _write(tmp_path, yaml.safe_dump({
        "storage": {"url": DOWN},
        "digests": [{"name": "weekly", "kind": "celebratory", "schedule": "weekly monday 09:00"}],
    }))


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["db", "current"], None),
        (["db", "upgrade"], None),
        (["chat", "--as", "ann"], "help\n"),
        (["digest", "post", "weekly", "--period", "2025-01-10"], None),
        (["digest", "preview", "weekly", "--since", "2025-01-01", "--until", "2025-02-01"], None),
        (["run", "--once", "--at", "2025-07-02"], None),
        (["drafts", "list"], None),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_every_command_says_the_database_is_down_in_one_line_with_the_password_masked(tmp_path, args, stdin):
    result = _run(["--config", str(_config_with(tmp_path)), *args], stdin)
    assert "s3cret-pw" not in result.output
    line = _one_error_line(result.output)
    assert result.exit_code == 2, result.output
    assert line.startswith("Error: cannot use the database at postgresql+psycopg://compass:**********@127.0.0.1:1/compass: ")
    assert line.endswith("check storage.url (or --db) and that the server is running")
