"""``compass notes parse`` through click's CliRunner: output formats, the contract, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from chatops.cli import cli

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "chatops" / "data" / "example-notes"
SCHEMA = json.loads((ROOT / "tests" / "contracts" / "meeting.schema.json").read_text())


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config/compass.yaml here: the command must work without one

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["notes", "parse", *args], catch_exceptions=False)

    return invoke


def test_one_input_prints_an_array_that_follows_the_contract(run):
    result = run(str(FIXTURES / "community-2023-01-17.md"), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    jsonschema.validate(data, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert [m["date"] for m in data] == ["2023-01-17"]
    # contract v2: a decision carries the topic it was taken under
    assert data[0]["decisions"] == [{"text": "Agreed to switch to monthly dependabots updates",
                                     "topic": "Lower Dependabot's frequency to update GitHub actions"}]


def test_several_inputs_print_an_object_keyed_by_input(run):
    a = str(FIXTURES / "collab-cafe-2025.md")
    b = str(FIXTURES / "community-2020-11-19.md")
    result = run(a, b, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == [a, b]
    assert len(data[a]) == 6 and len(data[b]) == 1
    for arr in data.values():
        jsonschema.validate(arr, SCHEMA, format_checker=jsonschema.FormatChecker())


def test_warm_run_prints_the_same_json_from_the_cache(run, tmp_path):
    path = str(FIXTURES / "community-2022-09-20.md")
    cold = run(path, "--format", "json", "--cache-dir", str(tmp_path / "c"))
    warm = run(path, "--format", "json", "--cache-dir", str(tmp_path / "c"))
    assert cold.stdout == warm.stdout
    assert any((tmp_path / "c").rglob("*"))
    fresh = run(path, "--format", "json", "--no-cache")
    assert fresh.stdout == cold.stdout


def test_directory_input_is_one_array_of_all_its_meetings(run):
    result = run(str(FIXTURES), "--format", "json", "--no-cache")
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)) == 9


def test_table_is_a_readable_summary(run):
    result = run(str(FIXTURES / "community-2023-01-17.md"))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].endswith("community-2023-01-17.md: 1 meeting(s)")
    assert lines[1].split() == ["date", "attend", "new", "celebr", "updates", "agenda", "decis", "actions",
                                "links", "title"]
    assert lines[2].split()[:9] == ["2023-01-17", "9", "2", "2", "1", "8", "1", "3", "19"]
    assert "    decision: Agreed to switch to monthly dependabots updates" in lines


def test_unreadable_input_exits_2_with_path_and_reason(run, tmp_path):
    missing = str(tmp_path / "nope.md")
    result = run(missing, "--format", "json")
    assert result.exit_code == 2
    assert f"Error: cannot read notes: {missing}: no such file or directory" in result.stderr
    assert result.stdout == ""


def test_bad_input_among_good_ones_still_prints_the_good_ones(run, tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"\xff\xfe notes")
    good = str(FIXTURES / "community-2020-11-19.md")
    result = run(good, str(bad), "--format", "json", "--no-cache")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert len(data[good]) == 1 and data[str(bad)] == []
    assert f"{bad}: not UTF-8 text (invalid byte at offset 0); save the file as UTF-8" in result.stderr


def test_config_heading_phrases_apply_when_a_config_is_given(tmp_path):
    notes = tmp_path / "n.md"
    notes.write_text("## Hall of fame\n- @ana for the release\n")
    config = tmp_path / "compass.yaml"
    config.write_text("sources:\n  headings:\n    celebrations: [Hall of fame]\n")
    result = CliRunner().invoke(cli, ["--config", str(config), "notes", "parse", str(notes), "--format", "json",
                                      "--no-cache"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["celebrations"][0]["people"] == ["ana"]


def test_no_input_is_a_usage_error(run):
    result = run()
    assert result.exit_code == 2
    assert "Missing argument 'PATH_OR_URL...'" in result.stderr


def test_url_input_through_a_loopback_notes_host(run, tmp_path):
    from fakes.notes_http import FakeNotesHost

    with FakeNotesHost() as host:
        host.documents["/team/download"] = "# Sync 2024-04-02\n\n## Agenda\n- **Ana** (5m): CI\n"
        host.status["/missing"] = 404
        ok = run(host.url("/team/download"), "--format", "json", "--cache-dir", str(tmp_path / "c"))
        again = run(host.url("/team/download"), "--format", "json", "--cache-dir", str(tmp_path / "c"))
        bad = run(host.url("/missing"), "--format", "json")
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert data[0]["agenda"][0] == {"title": "CI", "owner": "Ana", "minutes": 5, "discussion": [], "links": []}
    assert data[0]["source"]["url"] == host.url("/team") + "#sync-2024-04-02"
    assert again.stdout == ok.stdout
    assert [r.status for r in host.requests[:2]] == [200, 304]
    assert bad.exit_code == 2
    assert f"Error: cannot read notes: {host.url('/missing')}: not found (HTTP 404)" in bad.stderr


def test_default_config_file_in_the_working_directory_still_applies(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "compass.yaml").write_text("sources:\n  headings:\n    celebrations: [Hall of fame]\n")
    (tmp_path / "n.md").write_text("## Hall of fame\n- @ana for the release\n")
    result = CliRunner().invoke(cli, ["notes", "parse", "n.md", "--format", "json", "--no-cache"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["celebrations"][0]["people"] == ["ana"]


def test_without_a_config_file_the_configuration_code_is_not_imported(tmp_path):
    # Start-up is part of every ad hoc run: no YAML loader, no scheduler trigger parsing.
    import subprocess
    import sys

    notes = tmp_path / "n.md"
    notes.write_text("# Sync 2024-04-02\n\n## Agenda\n- **Ana** (5m): CI\n")
    probe = (
        "import sys\n"
        "from chatops.cli import main\n"
        "try:\n"
        f"    main(['notes', 'parse', {str(notes)!r}, '--format', 'json', '--no-cache'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "loaded = [m for m in ('chatops.config', 'yaml', 'apscheduler', 'sqlalchemy', 'jinja2') if m in sys.modules]\n"
        "print('LOADED', loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[0])[0]["agenda"][0]["owner"] == "Ana"
    assert done.stdout.splitlines()[-1] == "LOADED []"


def test_workers_default_to_the_available_cpus_and_can_be_set(run, monkeypatch):
    import os

    import chatops.sources.notes as sources
    from chatops.cli import notes as notes_cli

    asked: list[object] = []
    real = sources.collect_notes

    def spy(*args, **kwargs):
        asked.append(kwargs["workers"])
        return real(*args, **kwargs)

    monkeypatch.setattr(sources, "collect_notes", spy)
    path = str(FIXTURES / "community-2020-11-19.md")
    assert run(path, "--format", "json", "--no-cache").exit_code == 0
    assert run(path, "--format", "json", "--no-cache", "--workers", "3").exit_code == 0
    assert asked[0] is notes_cli._available_cpus and asked[1] == 3
    assert 1 <= notes_cli._available_cpus() <= min(8, os.cpu_count() or 1)
    bad = run(path, "--workers", "0")
    assert bad.exit_code == 2 and "--workers" in bad.stderr
