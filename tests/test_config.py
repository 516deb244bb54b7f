"""Configuration: the starter file validates, every error names file, key path, value and fix, secrets stay masked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from chatops.config import load_config, parse_config
from chatops.errors import ConfigError
from chatops.starter import starter_text, write_starter

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "compass.yaml"
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return info.value.problems


def test_repository_config_is_the_starter_config() -> None:
    assert (REPO / "config" / "compass.yaml").read_text() == starter_text("../var")


def test_starter_config_validates_and_uses_embedded_defaults(tmp_path: Path) -> None:
    written = write_starter(tmp_path / "site")
    cfg = load_config(tmp_path / "site" / "compass.yaml")
    assert {p.name for p in written} >= {"compass.yaml", "collab-cafe-2025.md"}
    assert cfg.database_url == f"sqlite:///{tmp_path / 'site' / 'var' / 'compass.db'}"
    assert [d.kind for d in cfg.digests] == ["community", "technical", "celebratory"]
    assert all(t.kind == "outbox" for d in cfg.digests for t in d.targets)
    assert cfg.resolve(cfg.digests[0].targets[0].outbox.directory) == tmp_path / "site" / "var" / "outbox"  # type: ignore[union-attr]
    assert cfg.zulip is None and cfg.discourse is None


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    write_starter(tmp_path)
    with pytest.raises(Exception, match="already exists; pass --force"):
        write_starter(tmp_path)
    write_starter(tmp_path, force=True)
    assert (tmp_path / "compass.yaml.bak").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "digests:\n- {name: a, kind: community, schedule: every tuesday}\n",
            "digests[0].schedule: 'every tuesday' is neither a cron expression nor a preset; e.g. 'monthly first tuesday 17:00'",
            id="bad_schedule",
        ),
        pytest.param("community: {timezone: Mars/Olympus}\n", "community.timezone: 'Mars/Olympus' is not an IANA time zone", id="bad_zone"),
        pytest.param("comunity: {name: x}\n", "(top level): unknown key 'comunity'; check its spelling", id="typo_top_level"),
        pytest.param(
            "digests:\n- {name: a, kind: community, schedule: quarterly, skip_if_emtpy: true}\n",
            "digests[0]: unknown key 'skip_if_emtpy'",
            id="typo_nested",
        ),
        pytest.param(
            "digests:\n- {name: a, kind: technicall, schedule: quarterly}\n",
            "digests[0].kind: 'technicall': Input should be 'community', 'technical' or 'celebratory'",
            id="bad_kind",
        ),
        pytest.param(
            "digests:\n- {name: a, kind: community, schedule: quarterly, grace: soon}\n",
            "digests[0].grace: 'soon' is not a duration; e.g. '30m', '2h' or '1d'",
            id="bad_duration",
        ),
        pytest.param("storage: {url: 'mysql://x'}\n", "storage.url: 'mysql://x' is not a supported database URL", id="bad_db"),
        pytest.param(
            "digests:\n- {name: a, kind: community, schedule: quarterly, targets: [{zulip: {stream: s}}]}\n",
            "digests[0] posts to Zulip but there is no 'zulip' section",
            id="zulip_target_without_zulip",
        ),
        pytest.param(
            "digests:\n- {name: a, kind: celebratory, schedule: quarterly, sections: {include: [releases]}}\n",
            "'releases' is not a section of a celebratory digest; choose from summary, shoutouts, celebrations",
            id="bad_section",
        ),
        pytest.param(
            "digests:\n- {name: a, kind: community, schedule: quarterly}\n- {name: a, kind: technical, schedule: quarterly}\n",
            "'a' is used twice; digest names must be unique",
            id="duplicate_name",
        ),
        pytest.param("sources: {releases: {github: [jupyterhub]}}\n", "'jupyterhub' is not a GitHub repository; expected 'owner/name'", id="bad_repo"),
        pytest.param("zulip: {site: https://z.org, email: bot}\n", "zulip.email: 'bot' is not an email address", id="bad_email"),
    ],
)
def test_errors_name_key_value_and_fix(tmp_path: Path, text: str, expected: str) -> None:
    found = problems(tmp_path, text)
    assert any(expected in p for p in found), found


def test_error_message_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "community: {timezone: Nowhere}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path.absolute()}: community.timezone: 'Nowhere'")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    found = problems(tmp_path, "community: {timezone: Nowhere, colour: red}\nstorage: {url: 'x'}\n")
    assert len(found) == 3


def test_yaml_syntax_error_gives_line(tmp_path: Path) -> None:
    found = problems(tmp_path, "community:\n  name: [unclosed\n")
    assert found[0].startswith("line ") and "not valid YAML" in found[0]


def test_not_a_mapping(tmp_path: Path) -> None:
    assert "must hold a mapping" in problems(tmp_path, "- a\n- b\n")[0]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file; create one with 'compass config init'"):
        load_config(tmp_path / "absent.yaml")


ZULIP = "zulip: {site: 'https://chat.example.org', email: bot@example.org}\n"


def test_secret_from_environment_is_masked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZULIP_API_KEY", "s3cr3t-key-value")
    cfg = load_config(write(tmp_path, ZULIP))
    assert cfg.zulip is not None and cfg.zulip.api_key is not None
    assert cfg.zulip.api_key.get_secret_value() == "s3cr3t-key-value"
    shown = yaml.safe_dump(cfg.masked()) + repr(cfg) + str(cfg)
    assert "s3cr3t" not in shown
    assert "'**********'" in shown


def test_secret_precedence_env_then_file_then_zuliprc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "zuliprc").write_text("[api]\nkey=from-zuliprc\nemail=bot@example.org\n")
    (tmp_path / "secrets.env").write_text("# comment\nZULIP_API_KEY='from-file'\nDISCOURSE_API_KEY=disc\n")
    base = ZULIP.replace("}", ", zuliprc: zuliprc}")
    cfg = load_config(write(tmp_path, base))
    assert cfg.zulip.api_key.get_secret_value() == "from-zuliprc"  # type: ignore[union-attr]
    cfg = load_config(write(tmp_path, base + "secrets_file: secrets.env\n"))
    assert cfg.zulip.api_key.get_secret_value() == "from-file"  # type: ignore[union-attr]
    monkeypatch.setenv("ZULIP_API_KEY", "from-env")
    cfg = load_config(write(tmp_path, base + "secrets_file: secrets.env\n"))
    assert cfg.zulip.api_key.get_secret_value() == "from-env"  # type: ignore[union-attr]


def test_missing_zuliprc_is_explained(tmp_path: Path) -> None:
    found = problems(tmp_path, ZULIP.replace("}", ", zuliprc: nowhere/zuliprc}"))
    assert "zulip.zuliprc:" in found[0] and "does not exist" in found[0]


def test_database_password_is_masked(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "storage: {url: 'postgres://compass:hunter2@db:5432/compass'}\n"))
    assert cfg.database_url == "postgresql+psycopg://compass:hunter2@db:5432/compass"
    assert "hunter2" not in yaml.safe_dump(cfg.masked())


def test_db_override_replaces_storage_url(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, ""), db_url="sqlite:////tmp/elsewhere.db")
    assert cfg.database_url == "sqlite:////tmp/elsewhere.db"


def test_notes_sources_accept_plain_strings() -> None:
    cfg = parse_config({"sources": {"notes": ["notes/*.md", "https://hackmd.io/abc/download", {"git": "https://x/y.git"}]}})
    kinds = [type(s).__name__ for s in cfg.sources.notes]
    assert kinds == ["LocalNotes", "HttpNotes", "GitNotes"]


def test_durations_and_schedule_round_trip() -> None:
    cfg = parse_config({"digests": [{"name": "a", "kind": "technical", "schedule": "0 9 * * 1", "grace": "90m", "window": "2w"}]})
    digest = cfg.digests[0]
    assert digest.grace == dt.timedelta(minutes=90) and digest.window == dt.timedelta(days=14)
    dumped = cfg.masked()["digests"][0]
    assert dumped["schedule"] == "0 9 * * 1" and dumped["grace"] == "90m" and dumped["window"] == "2w"
    again = parse_config({"digests": [{k: v for k, v in dumped.items()}]})
    assert again.digests[0].schedule == digest.schedule


def test_heading_kinds_are_checked_against_the_notes_parser() -> None:
    from chatops.config import NOTE_SECTION_KINDS
    from digests.notes.sections import SECTION_KINDS

    assert NOTE_SECTION_KINDS == SECTION_KINDS
    cfg = parse_config({"sources": {"headings": {"celebrations": ["kudos corner"]}}})
    assert cfg.sources.headings == {"celebrations": ["kudos corner"]}
    with pytest.raises(ConfigError, match="sources.headings: 'kudos' is not a kind of notes section; choose from attendees"):
        parse_config({"sources": {"headings": {"kudos": ["kudos corner"]}}})


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("zulip: {site: 'https://z.org', email: b@z.org, api_key: 12345678}\n", id="wrong_type_inline_key"),
        pytest.param("discourse: {url: 'https://d.org', api_key: [hunter2-secret]}\n", id="list_as_key"),
        pytest.param("storage: {url: 'mysql://compass:hunter2-secret@db/compass'}\n", id="password_in_bad_url"),
        pytest.param("sources: {releases: {github_token: 12345678}}\n", id="github_token"),
    ],
)
def test_errors_never_show_secrets(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    message = str(info.value)
    assert "12345678" not in message and "hunter2" not in message
    assert message.count(":") >= 2  # it still names the key
