"""``compass sources check`` against the fake GitHub and Discourse servers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fakes.discourse import FakeDiscourse
from fakes.github import FakeGitHub

from chatops.cli import cli

TOKEN = "ghp_sources-t0ken"
UTC = dt.UTC


@pytest.fixture
def github():
    with FakeGitHub(tokens={TOKEN}) as fake:
        fake.add_pull("org/a", title="Fix the spawner", user="ann", merged_at=dt.datetime(2025, 6, 3, tzinfo=UTC),
                      comments=[("bob", dt.datetime(2025, 6, 3, tzinfo=UTC))])
        yield fake
        assert not fake.problems, "\n".join(fake.problems)


@pytest.fixture
def forum():
    with FakeDiscourse(categories=((5, "General"),)) as fake:
        fake.add_forum_topic(category=5, title="Unanswered question about X", author="dan",
                             created_at=dt.datetime(2025, 6, 2, tzinfo=UTC))
        yield fake
        assert not fake.problems, "\n".join(fake.problems)


def write_config(tmp_path: Path, github: FakeGitHub | None, forum: FakeDiscourse | None) -> Path:
    activity: dict = {}
    data: dict = {"sources": {"activity": activity}}
    if github is not None:
        activity["github"] = {"repos": ["org/a"], "api_url": github.url, "max_wait": "1s"}
    if forum is not None:
        data["discourse"] = {"url": forum.url}
        activity["discourse"] = {"categories": ["general"]}
    path = tmp_path / "compass.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def run(path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(path), "sources", "check", "--since", "2025-06-01",
                                      "--until", "2025-06-30", *args], env=env)
    said = [line for line in result.stderr.splitlines(keepends=True) if not line[:4].isdigit()]
    return result.exit_code, result.stdout, "".join(said)


def test_check_prints_what_each_source_returned_and_cost(tmp_path, github, forum):
    path = write_config(tmp_path, github, forum)
    env = {"GITHUB_TOKEN": TOKEN, "DISCOURSE_API_KEY": "discourse-test-key", "XDG_CACHE_HOME": str(tmp_path / "c")}
    code, out, err = run(path, env=env)
    assert (code, err) == (0, ""), out
    assert "ok      GitHub activity: 1 merged pull request, 1 first-time contributor, 1 discussed thread, " \
           "no labelled issues  [5 requests, 5 rate-limit units]" in out
    assert "ok      Discourse activity: no active topics, no show-and-tell topics, 1 unanswered topic  [3 requests" in out
    # The second check is answered with 304s: the same requests, no rate-limit units.
    code, out, _ = run(path, "--format", "json", env=env)
    assert code == 0
    rows = {row["source"]: row for row in json.loads(out)["sources"]}
    assert (rows["GitHub activity"]["requests"], rows["GitHub activity"]["units"]) == (5, 0)
    assert TOKEN not in out


def test_a_failing_source_is_named_and_the_exit_code_is_1(tmp_path, github, forum):
    path = write_config(tmp_path, github, forum)
    github.spend_all("core", authorized=False)
    github.spend_all("search", authorized=False)
    code, out, err = run(path, "--no-cache", env={"DISCOURSE_API_KEY": "discourse-test-key"})
    assert code == 1
    assert "FAILED  GitHub activity: nothing" in out
    assert "GitHub activity unavailable: rate limited until" in out
    assert "set GITHUB_TOKEN for GitHub's higher rate limit" in out
    assert "ok      Discourse activity" in out
    assert "Error: sources check: 1 of 2 sources failed: GitHub activity" in err


def test_nothing_configured_is_a_usage_error(tmp_path):
    path = tmp_path / "compass.yaml"
    path.write_text("community: {name: Test}\n", encoding="utf-8")
    code, _, err = run(path)
    assert code == 2
    assert "no sources are configured; add sources.notes, sources.releases or sources.activity" in err
