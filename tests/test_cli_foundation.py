"""The CLI: exit codes (0 ok, 1 runtime failure, 2 usage/config error), lazy imports, config and db commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from chatops.cli import cli


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_help_everywhere() -> None:
    code, out = run("--help")
    assert code == 0 and "config" in out and "digest" in out
    for group in ("config", "db"):
        code, out = run(group, "--help")
        assert code == 0 and "Usage:" in out


def test_unknown_command_is_a_usage_error() -> None:
    code, out = run("frobnicate")
    assert code == 2 and "No such command 'frobnicate'" in out


def test_config_check_ok_and_bad(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("community: {name: Hub}\n")
    code, out = run("--config", str(good), "config", "check")
    assert code == 0 and "valid (0 digest(s))" in out and "name: Hub" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("community: {timezone: Nowhere}\n")
    code, out = run("config", "check", str(bad))
    assert code == 2
    assert "community.timezone: 'Nowhere' is not an IANA time zone" in out


def test_config_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("community: {name: FromEnv}\n")
    monkeypatch.setenv("COMPASS_CONFIG", str(path))
    code, out = run("config", "check")
    assert code == 0 and "FromEnv" in out


def test_config_init_then_check_then_db_upgrade(tmp_path: Path) -> None:
    site = tmp_path / "site"
    code, out = run("config", "init", str(site))
    assert code == 0 and "compass.yaml" in out
    code, _ = run("config", "init", str(site))
    assert code == 2
    cfg = str(site / "compass.yaml")
    assert run("--config", cfg, "config", "check", "-q") == (0, "")
    code, out = run("--config", cfg, "db", "upgrade")
    assert code == 0 and "upgraded from an empty database to" in out
    assert (site / "var" / "compass.db").exists()
    code, out = run("--config", cfg, "db", "upgrade")
    assert code == 0 and "already at revision" in out


def test_db_override_wins(tmp_path: Path) -> None:
    code, out = run("--db", f"sqlite:///{tmp_path / 'other.db'}", "db", "current")
    assert code == 0 and "revision (none)" in out


def test_runtime_failure_is_exit_1(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, out = run("--db", f"sqlite:///{blocker}/sub/compass.db", "db", "upgrade")
    assert code == 1 and "cannot create the directory for the database" in out


def test_help_imports_no_heavy_modules() -> None:
    code = (
        "import sys; from chatops.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('sqlmodel', 'sqlalchemy', 'alembic', 'zulip', 'pydiscourse', 'pydantic', 'httpx', 'apscheduler') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_config_check_imports_no_storage_or_clients() -> None:
    repo = Path(__file__).resolve().parent.parent
    code = (
        "import sys; from chatops.cli import main\n"
        "try:\n    main(['--config', 'config/compass.yaml', 'config', 'check', '-q'])\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "print([m for m in ('sqlmodel', 'sqlalchemy', 'alembic', 'zulip', 'pydiscourse', 'httpx') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo).stdout
    assert out.strip().splitlines()[-1] == "[]"
