"""``compass releases list`` through CliRunner against the fake GitHub/PyPI server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes.releases import FakeReleaseServer

from chatops.cli import cli
from chatops.periods import parse_bound as parse_when

CHANGELOGS = Path(__file__).parent / "fakes" / "data" / "changelogs"
TOKEN = "ghp_cli-t0ken"


@pytest.fixture
def server():
    with FakeReleaseServer(tokens={TOKEN}) as fake:
        yield fake
        assert not fake.problems, "\n".join(fake.problems)


@pytest.fixture(autouse=True)
def no_config_here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config/compass.yaml in the working directory


def run(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout, and the stderr lines the command itself wrote (log lines, which other tests'
    logger levels may let through, are left out)."""
    result = CliRunner().invoke(cli, list(args))
    said = [line for line in result.stderr.splitlines(keepends=True) if not line[:4].isdigit()]
    return result.exit_code, result.stdout, "".join(said)


def test_json_lists_releases_newest_first_without_a_config(server):
    code, out, err = run(
        "releases",
        "list",
        "--repo",
        "jupyterhub/jupyterhub",
        "--pypi",
        "sampleproject",
        "--github-url",
        server.url,
        "--pypi-url",
        server.url,
        "--format",
        "json",
    )
    assert (code, err) == (0, "")
    listed = json.loads(out)
    assert [(r["project"], r["version"]) for r in listed] == [
        ("jupyterhub", "6.0.0b2"),
        ("jupyterhub", "5.5.1"),
        ("jupyterhub", "5.5.0"),
        ("sampleproject", "4.0.0"),
        ("sampleproject", "1.2.0"),
        ("sampleproject", "1.0"),  # no upload: undated, listed last
    ]
    assert set(listed[0]) == {
        "project",
        "version",
        "date",
        "url",
        "prerelease",
        "yanked",
        "sources",
        "highlights",
        "contributors",
        "from_cache",
    }
    assert listed[0]["prerelease"] is True and listed[0]["date"] == "2026-08-14T16:48:46+00:00"
    assert listed[1]["sources"] == ["github"] and listed[1]["contributors"] == [
        "Tech-Abhang",
        "minrk",
        "manics",
    ]
    assert listed[5]["date"] is None


def test_since_and_until_select_a_period(server):
    code, out, _ = run(
        "releases",
        "list",
        "--repo",
        "jupyterhub/jupyterhub",
        "--github-url",
        server.url,
        "--since",
        "2026-08-01",
        "--until",
        "2026-08-10",
        "--format",
        "json",
    )
    assert code == 0
    assert [r["version"] for r in json.loads(out)] == ["5.5.1"]  # --until includes the 10th


def test_table_format_with_changelog(server):
    code, out, _ = run("releases", "list", "--changelog", f"widgets={CHANGELOGS / 'keep-a-changelog.md'}")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "2024-01-05  widgets 1.2.0  (changelog)"
    assert lines[1] == "    https://github.com/example/widgets/compare/v1.1.1...v1.2.0"
    assert "    - New `--verbose` flag [#42](https://github.com/example/widgets/pull/42)" in lines
    assert "    thanks: ada-l" in lines
    assert "2023-09-01  widgets 0.9.0  [yanked]  (changelog)" in lines
    assert "2023-10-01  widgets 1.0.0-0.dev.git.3002.h5f189ce  [pre-release]  (changelog)" in lines


def test_a_failing_source_is_reported_and_the_rest_listed(server):
    code, out, err = run(
        "releases",
        "list",
        "--repo",
        "jupyterhub/jupyterhub",
        "--pypi",
        "no-such-project",
        "--github-url",
        server.url,
        "--pypi-url",
        server.url,
        "--format",
        "json",
    )
    assert code == 0 and len(json.loads(out)) == 3
    host = server.url.removeprefix("http://")
    assert err == (
        f"warning: PyPI no-such-project: PyPI has no project named 'no-such-project' "
        f"({host} answered 404); check the name\n"
    )


def test_every_source_failing_exits_1(server):
    code, _, err = run("releases", "list", "--pypi", "nope", "--pypi-url", server.url)
    assert code == 1
    assert err.endswith("Error: releases: every source failed (1 of 1); see the warnings above\n")


def test_cached_copy_is_used_and_said_when_the_api_is_down(server):
    args = (
        "releases",
        "list",
        "--repo",
        "jupyterhub/jupyterhub",
        "--github-url",
        server.url,
        "--format",
        "json",
    )
    assert run(*args)[0] == 0
    server.fail_next("/repos/", 503, times=20)
    code, out, err = run(*args, "--max-wait", "0")
    assert code == 0
    assert all(r["from_cache"] for r in json.loads(out)) and len(json.loads(out)) == 3
    assert err.startswith("note: GitHub jupyterhub/jupyterhub (page 1): ") and err.count("\n") == 1
    assert "answered HTTP 503 Service Unavailable 4 times" in err and "using the copy cached at" in err


def test_no_sources_is_a_usage_error():
    code, _, err = run("releases", "list")
    assert code == 2
    assert err == (
        "Error: no release sources: pass --repo OWNER/NAME, --pypi PROJECT or --changelog PATH, "
        "or list them under sources.releases in the configuration\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--since", "last week"),
            (
                "Error: --since: 'last week' is not a date; expected YYYY-MM-DD or an ISO 8601 "
                "timestamp, e.g. 2026-08-01 or 2026-08-01T12:00:00+02:00\n"
            ),
        ),
        (
            ("--since", "2026-09-01", "--until", "2026-08-01"),
            "Error: --since 2026-09-01 is not before --until 2026-08-01; swap them or widen the period\n",
        ),
        (
            ("--repo", "jupyterhub"),
            (
                "Error: 'jupyterhub' is not a GitHub repository; expected 'owner/name' "
                "(e.g. 'jupyterhub/jupyterhub'), optionally '=project' when the PyPI name differs\n"
            ),
        ),
        (
            ("--pypi", "x", "--pypi-url", "pypi.org"),
            "Error: --pypi-url: 'pypi.org' is not a URL; expected e.g. https://github.example.org/api/v3\n",
        ),
    ],
    ids=["bad_date", "reversed_period", "bad_repo", "bad_url"],
)
def test_bad_input_exits_2_with_the_fix(args, message):
    code, _, err = run("releases", "list", *args)
    assert (code, err) == (2, message)


def test_configured_sources_token_and_urls(server, tmp_path, monkeypatch):
    (tmp_path / "CHANGES.md").write_text((CHANGELOGS / "github-activity.md").read_text())
    config = tmp_path / "compass.yaml"
    config.write_text(
        "community: {name: Hub}\n"
        "sources:\n"
        "  releases:\n"
        "    github: [jupyterhub/jupyterhub]\n"
        "    changelogs: [CHANGES.md]\n"
        f"    github_url: {server.url}\n"
        "    max_wait: 0s\n"
    )
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    code, out, err = run("--config", str(config), "releases", "list", "--format", "json")
    assert (code, err) == (0, "")
    listed = {r["version"]: r for r in json.loads(out)}
    assert listed["5.5.1"]["sources"] == [
        "github",
        "changelog",
    ]  # the relative path resolved next to the config
    assert listed["5.4.6"]["sources"] == ["changelog"]
    assert server.requests_to("/repos/")[0].headers["authorization"] == f"Bearer {TOKEN}"
    # Command-line sources replace the configured ones.
    code, out, _ = run(
        "--config",
        str(config),
        "releases",
        "list",
        "--changelog",
        f"p={CHANGELOGS / 'dash-date.md'}",
        "--format",
        "json",
    )
    assert code == 0 and {r["project"] for r in json.loads(out)} == {"p"}


def test_env_token_without_config(server, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    code, _, _ = run("releases", "list", "--repo", "jupyterhub/jupyterhub", "--github-url", server.url)
    assert code == 0
    assert server.requests_to("/repos/")[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_help_lists_every_option():
    code, out, _ = run("releases", "list", "--help")
    assert code == 0
    for option in (
        "--repo",
        "--pypi",
        "--changelog",
        "--github-url",
        "--pypi-url",
        "--since",
        "--until",
        "--format",
    ):
        assert option in out


def test_parse_when_until_date_is_end_of_day():
    assert parse_when("2026-08-10", "--until", end=True).isoformat() == "2026-08-11T00:00:00+00:00"
    assert parse_when("2026-08-10T12:00:00+02:00", "--since").isoformat() == "2026-08-10T10:00:00+00:00"
    assert parse_when("2026-08-10T12:00:00", "--since").isoformat() == "2026-08-10T12:00:00+00:00"
