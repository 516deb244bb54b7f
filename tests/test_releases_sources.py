"""chatops.sources.releases against a real local HTTP server (tests/fakes/releases.py)."""

from __future__ import annotations

import copy
import datetime as dt
import logging
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fakes.releases import FakeReleaseServer, load

from chatops.errors import SourceError
from chatops.sources.cache import FileCache, MemoryCache
from chatops.sources.releases import (
    ChangelogSpec,
    GitHubRepo,
    ReleaseFetcher,
    ReleaseSources,
    RetryPolicy,
    SourceUnavailableError,
    collect_releases,
    token_from_env,
)
from digests.errors import ReleaseDataError

CHANGELOGS = Path(__file__).parent / "fakes" / "data" / "changelogs"
TOKEN = "ghp_s3cret-t0ken-value"
UTC = dt.UTC


class FakeClock:
    """Time that only moves when compass sleeps."""

    def __init__(self) -> None:
        self.now = 1_900_000_000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def server():
    with FakeReleaseServer(tokens={TOKEN}) as fake:
        yield fake
        assert not fake.problems, "the fake saw requests GitHub/PyPI would not accept:\n" + "\n".join(
            fake.problems
        )


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def make(server, clock):
    made: list[ReleaseFetcher] = []

    def make(*, cache=None, token=None, **policy) -> ReleaseFetcher:
        fetcher = ReleaseFetcher(
            cache=cache if cache is not None else MemoryCache(),
            github_url=server.url,
            pypi_url=server.url,
            token=token,
            policy=RetryPolicy(**policy),
            sleep=clock.sleep,
            clock=clock.time,
        )
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()


def host(server) -> str:
    return urlsplit(server.url).netloc


JUPYTERHUB = GitHubRepo("jupyterhub", "jupyterhub")


# --- GitHub: pagination, conditional requests -------------------------------------------------


def test_pagination_follows_the_link_header(server, make):
    server.add_github_releases("o/r", 5)
    result = make(per_page=2).github_releases(GitHubRepo("o", "r"))
    assert [r.version for r in result.releases] == ["1.5.0", "1.4.0", "1.3.0", "1.2.0", "1.1.0"]
    sent = server.requests_to("/repos/o/r/releases")
    assert [(r.query.get("per_page"), r.query.get("page")) for r in sent] == [
        (["2"], None),
        (["2"], ["2"]),
        (["2"], ["3"]),
    ]
    assert all(r.headers["accept"] == "application/vnd.github+json" for r in sent)
    assert all("authorization" not in r.headers for r in sent)  # no token configured
    assert result.releases[0].contributors == ("dev5",) and result.stale is None


def test_pagination_stops_at_max_pages(server, make, caplog):
    server.add_github_releases("o/r", 9)
    result = make(per_page=2, max_pages=2).github_releases(GitHubRepo("o", "r"))
    assert len(result.releases) == 4 and len(server.requests_to("/repos/o/r")) == 2
    assert 'Stopped reading "GitHub o/r" after 2 pages' in caplog.text


def test_pagination_stops_once_pages_are_older_than_since(server, make):
    items = server.add_github_releases("o/r", 6)
    since = dt.datetime.fromisoformat(items[1]["published_at"])  # newest two are on/after since
    result = make(per_page=2).github_releases(GitHubRepo("o", "r"), since=since)
    assert len(server.requests_to("/repos/o/r")) == 2  # page 2 is wholly older: page 3 is never asked for
    assert [r.version for r in result.releases] == ["1.6.0", "1.5.0", "1.4.0", "1.3.0"]


def test_unchanged_pages_cost_a_304_and_no_rate_limit(server, make):
    server.add_github_releases("o/r", 3)
    cache = MemoryCache()
    fetcher = make(cache=cache, token=TOKEN, per_page=2)
    first = fetcher.github_releases(GitHubRepo("o", "r"))
    used = server.used["authenticated"]
    assert used == 2
    etags = [r for r in server.requests_to("/repos/o/r")]
    second = fetcher.github_releases(GitHubRepo("o", "r"))
    again = server.requests_to("/repos/o/r")[len(etags) :]
    assert [r.status for r in again] == [304, 304]
    assert all(r.headers["if-none-match"].startswith('"') for r in again)
    assert server.used["authenticated"] == used  # 304s were free
    assert second.releases == first.releases and not any(r.from_cache for r in second.releases)
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in again)


def test_a_changed_page_is_fetched_again(server, make):
    server.add_github_releases("o/r", 2)
    fetcher = make(token=TOKEN)
    fetcher.github_releases(GitHubRepo("o", "r"))
    server.add_github_releases("o/r", 3)
    result = fetcher.github_releases(GitHubRepo("o", "r"))
    assert server.requests_to("/repos/o/r")[-1].status == 200
    assert [r.version for r in result.releases] == ["1.3.0", "1.2.0", "1.1.0"]


def test_file_cache_survives_between_fetchers(server, make, tmp_path):
    make(cache=FileCache(tmp_path), token=TOKEN).github_releases(JUPYTERHUB)
    result = make(cache=FileCache(tmp_path), token=TOKEN).github_releases(JUPYTERHUB)
    assert server.requests_to("/repos/jupyterhub")[-1].status == 304
    assert [r.version for r in result.releases] == ["6.0.0b2", "5.5.1", "5.5.0"]
    assert TOKEN not in "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())


def test_github_enterprise_base_url_with_a_path(clock):
    with FakeReleaseServer(api_prefix="/api/v3", tokens={TOKEN}) as enterprise:
        enterprise.add_github_releases("o/r", 3)
        with ReleaseFetcher(
            github_url=f"{enterprise.url}/api/v3/",
            token=TOKEN,
            policy=RetryPolicy(per_page=2),
            sleep=clock.sleep,
            clock=clock.time,
        ) as fetcher:
            result = fetcher.github_releases(GitHubRepo("o", "r"))
        assert len(result.releases) == 3
        assert [r.path for r in enterprise.requests] == ["/api/v3/repos/o/r/releases"] * 2
        assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in enterprise.requests)
        assert not enterprise.problems


# --- rate limits ------------------------------------------------------------------------------


def test_primary_rate_limit_is_waited_out_until_the_reset(server, make, clock):
    server.rate_limited(reset=int(clock.now) + 30)
    result = make(max_wait=60).github_releases(JUPYTERHUB)
    assert clock.sleeps == [31.0]  # until x-ratelimit-reset, plus a second of margin
    assert [r.status for r in server.requests_to("/repos/")] == [403, 200]
    assert len(result.releases) == 3


def test_429_retry_after_is_honoured(server, make, clock):
    server.fail_next("/repos/", 429, headers={"retry-after": "7"}, body={"message": "slow down"})
    make().github_releases(JUPYTERHUB)
    assert clock.sleeps == [7.0]


def test_secondary_rate_limit_403_with_retry_after(server, make, clock):
    server.fail_next("/repos/", 403, headers={"retry-after": "12"}, body={"message": "secondary rate limit"})
    make().github_releases(JUPYTERHUB)
    assert clock.sleeps == [12.0]


def test_429_without_headers_waits_a_minute(server, make, clock):
    server.fail_next("/repos/", 429)
    make(max_wait=120).github_releases(JUPYTERHUB)
    assert clock.sleeps == [60.0]


def test_rate_limit_beyond_max_wait_gives_up_with_a_clear_message(server, make, clock):
    reset = int(clock.now) + 3600
    server.rate_limited(reset=reset, times=5)
    with pytest.raises(SourceError) as info:
        make(max_wait=60).github_releases(JUPYTERHUB)
    at = dt.datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert str(info.value) == (
        f"GitHub jupyterhub/jupyterhub (page 1): rate limit reached at {host(server)} (HTTP 403); it resets in "
        f"3601 s (at {at}), longer than the maximum wait of 60 s; set GITHUB_TOKEN for GitHub's higher "
        "authenticated limit, or raise sources.releases.max_wait or try again later"
    )
    assert clock.sleeps == []  # never waited for a reset it could not reach


def test_repeated_rate_limits_stop_when_the_total_wait_is_spent(server, make, clock):
    server.fail_next("/repos/", 429, times=10, headers={"retry-after": "20"})
    with pytest.raises(SourceError, match="rate limit reached"):
        make(max_wait=50).github_releases(JUPYTERHUB)
    assert clock.sleeps == [20.0, 20.0]


# --- server errors, bad bodies ----------------------------------------------------------------


def test_5xx_is_retried_with_backoff(server, make, clock):
    server.fail_next("/repos/", 502, times=2, body=b"<html>Bad gateway</html>", content_type="text/html")
    result = make(backoff=0.5).github_releases(JUPYTERHUB)
    assert clock.sleeps == [0.5, 1.0]
    assert len(result.releases) == 3


def test_5xx_backoff_is_capped_then_fails(server, make, clock):
    server.fail_next("/repos/", 503, times=10)
    with pytest.raises(SourceUnavailableError) as info:
        make(retries=4, backoff=1, backoff_cap=3).github_releases(JUPYTERHUB)
    assert clock.sleeps == [1.0, 2.0, 3.0, 3.0]
    assert str(info.value) == (
        f"GitHub jupyterhub/jupyterhub (page 1): {host(server)} answered HTTP 503 Service Unavailable 5 times; "
        "the service is down, try again later"
    )


def test_connection_refused_is_retried_then_reported(make, clock):
    fetcher = ReleaseFetcher(
        github_url="http://127.0.0.1:9",
        sleep=clock.sleep,
        clock=clock.time,
        policy=RetryPolicy(retries=1, timeout=2),
    )
    with (
        fetcher,
        pytest.raises(
            SourceUnavailableError, match=r"could not reach 127\.0\.0\.1:9 \(ConnectError\) after 2 attempts"
        ),
    ):
        fetcher.github_releases(JUPYTERHUB)
    assert clock.sleeps == [0.5]


def test_malformed_json_is_a_clear_error(server, make):
    server.malformed("/repos/")
    with pytest.raises(SourceUnavailableError) as info:
        make().github_releases(JUPYTERHUB)
    message = str(info.value)
    assert message.startswith(
        f"GitHub jupyterhub/jupyterhub (page 1): {host(server)} answered HTTP 200 with a body "
        "that is not valid JSON ("
    )
    assert message.endswith("); the service may be degraded, try again later")


def test_unexpected_shape_is_a_clear_error(server, make):
    server.fail_next("/repos/", 200, body={"releases": []})
    with pytest.raises(ReleaseDataError) as info:
        make().github_releases(JUPYTERHUB)
    assert (
        str(info.value) == "GitHub jupyterhub/jupyterhub (page 1): expected a list of releases, got an object"
    )


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            404,
            None,
            (
                "GitHub no/such (page 1): not found at {host} (HTTP 404); check the owner/name spelling, "
                "or set GITHUB_TOKEN if it is private"
            ),
        ),
        (
            401,
            None,
            (
                "GitHub no/such (page 1): {host} refused the credentials (HTTP 401 Bad credentials); "
                "check the token in GITHUB_TOKEN"
            ),
        ),
        (
            403,
            {"message": "Resource not accessible by integration"},
            (
                "GitHub no/such (page 1): {host} refused access (HTTP 403: Resource not accessible by integration); "
                "check that the token may read it"
            ),
        ),
        (
            418,
            {"message": "I'm a teapot"},
            "GitHub no/such (page 1): {host} answered HTTP 418 I'm a Teapot: I'm a teapot",
        ),
    ],
    ids=["unknown_repo", "bad_token", "forbidden", "other_4xx"],
)
def test_client_errors_are_not_retried(server, make, clock, status, body, message):
    if body is not None:
        server.fail_next("/repos/", status, body=body)
    token = "wrong-token" if status == 401 else None
    with pytest.raises(SourceError) as info:
        make(token=token).github_releases(GitHubRepo("no", "such"))
    assert str(info.value) == message.format(host=host(server))
    assert clock.sleeps == [] and len(server.requests_to("/repos/")) == 1
    assert "wrong-token" not in str(info.value)


# --- the cache stands in when the API is down ---------------------------------------------------


def test_api_down_uses_the_last_cached_copy(server, make, clock):
    fetcher = make(token=TOKEN)
    fresh = fetcher.github_releases(JUPYTERHUB)
    fetched_at = dt.datetime.fromtimestamp(clock.now, UTC).strftime("%Y-%m-%d %H:%M UTC")
    server.fail_next("/repos/", 503, times=10)
    result = fetcher.github_releases(JUPYTERHUB)
    assert [r.version for r in result.releases] == [r.version for r in fresh.releases]
    assert all(r.from_cache for r in result.releases)
    assert result.stale == (
        f"GitHub jupyterhub/jupyterhub (page 1): {host(server)} answered HTTP 503 Service Unavailable 4 times; "
        f"the service is down, try again later; using the copy cached at {fetched_at}"
    )


def test_rate_limited_with_a_cache_uses_the_cache(server, make, clock):
    fetcher = make(max_wait=0)
    fetcher.github_releases(JUPYTERHUB)
    server.rate_limited(reset=int(clock.now) + 600)
    result = fetcher.github_releases(JUPYTERHUB)
    assert all(r.from_cache for r in result.releases) and "rate limit reached" in (result.stale or "")


def test_a_bad_body_never_replaces_the_good_cached_copy(server, make):
    cache = MemoryCache()
    fetcher = make(cache=cache)
    fetcher.github_releases(JUPYTERHUB)
    server.fail_next("/repos/", 200, body=[{"no_tag": True}])
    result = fetcher.github_releases(JUPYTERHUB)
    assert "missing 'tag_name'" in (result.stale or "") and len(result.releases) == 3
    server.fail_next("/repos/", 503, times=10)
    assert len(fetcher.github_releases(JUPYTERHUB).releases) == 3


def test_an_unreadable_cache_entry_is_ignored(server, make):
    cache = MemoryCache()
    fetcher = make(cache=cache)
    fetcher.pypi_releases("sampleproject")
    (key,) = cache._entries
    cache.put(key, type(cache._entries[key])(body=b"garbage", etag=cache._entries[key].etag))
    assert len(fetcher.pypi_releases("sampleproject").releases) == 3
    last = server.requests_to("/pypi/")[-1]
    assert last.status == 200 and "if-none-match" not in last.headers


def test_redirect_loops_fail_without_retrying(server, make, clock):
    server.fail_next("/pypi/", 302, times=50, headers={"Location": "/pypi/sampleproject/json"})
    with pytest.raises(
        SourceUnavailableError, match=r"^PyPI sampleproject: request to .* failed \(TooManyRedirects\)$"
    ):
        make().pypi_releases("sampleproject")
    assert clock.sleeps == []


# --- secrets ----------------------------------------------------------------------------------


def test_token_goes_only_to_the_configured_api_and_never_to_logs(server, make, caplog):
    caplog.set_level(logging.DEBUG)
    with FakeReleaseServer() as other:
        first_page = load("github-release-items.official-example.json")
        server.fail_next(
            "/repos/octocat/",
            200,
            body=first_page,
            headers={"Link": f'<{other.url}/repos/octocat/hello-world/releases?page=2>; rel="next"'},
        )
        other.github["octocat/hello-world"] = []
        make(token=TOKEN).github_releases(GitHubRepo("octocat", "hello-world"))
        assert server.requests_to("/repos/")[0].headers["authorization"] == f"Bearer {TOKEN}"
        assert len(other.requests) == 1 and "authorization" not in other.requests[0].headers
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(make(token=TOKEN))


def test_token_from_env():
    assert token_from_env(environ={"GITHUB_TOKEN": " abc "}) == "abc"
    assert token_from_env(environ={"GITHUB_TOKEN": ""}) is None
    assert token_from_env("GH_ENTERPRISE_TOKEN", environ={"GH_ENTERPRISE_TOKEN": "x"}) == "x"


# --- PyPI and changelog files -------------------------------------------------------------------


def test_pypi_project_with_etag(server, make):
    fetcher = make()
    result = fetcher.pypi_releases("sampleproject")
    assert sorted(r.version for r in result.releases) == ["1.0", "1.2.0", "4.0.0"]
    again = fetcher.pypi_releases("sampleproject")
    assert server.requests_to("/pypi/")[-1].status == 304
    assert again.releases == result.releases
    assert server.requests_to("/pypi/")[0].headers["accept"] == "application/json"


def test_pypi_name_is_redirected_to_the_normalized_one(server, make):
    result = make().pypi_releases("SampleProject")
    assert len(result.releases) == 3
    assert [r.status for r in server.requests_to("/pypi/")] == [301, 200]


def test_pypi_unknown_project(server, make):
    with pytest.raises(SourceError) as info:
        make().pypi_releases("no-such-project")
    assert str(info.value) == (
        f"PyPI no-such-project: PyPI has no project named 'no-such-project' ({host(server)} answered 404); "
        "check the name"
    )


def test_pypi_unexpected_shape(server, make):
    server.fail_next("/pypi/", 200, body=b"[1, 2]")
    with pytest.raises(
        ReleaseDataError, match=r"^PyPI sampleproject: expected a project object, got a list$"
    ):
        make().pypi_releases("sampleproject")


def test_changelog_over_http_and_local(server, make, tmp_path):
    server.files["CHANGELOG.md"] = (CHANGELOGS / "keep-a-changelog.md").read_bytes()
    fetcher = make()
    remote = fetcher.changelog_releases(ChangelogSpec(f"{server.url}/files/CHANGELOG.md"), project="widgets")
    assert remote.releases[0].version == "1.2.0"
    fetcher.changelog_releases(ChangelogSpec(f"{server.url}/files/CHANGELOG.md"), project="widgets")
    assert server.requests_to("/files/")[-1].status == 304
    local = fetcher.changelog_releases(ChangelogSpec(str(CHANGELOGS / "dash-date.md")), project="p")
    assert local.releases[0].version == "5.3.0"
    with pytest.raises(SourceError) as info:
        fetcher.changelog_releases(ChangelogSpec(str(tmp_path / "CHANGES.md")), project="p")
    assert str(info.value) == (
        f"changelog {tmp_path / 'CHANGES.md'}: file not found; pass the path of a Markdown changelog (e.g. CHANGELOG.md)"
    )


# --- collecting: merge, isolate failures, window ------------------------------------------------


def jupyterhub_on_pypi() -> dict:
    payload = load("pypi-project.json")
    template = payload["releases"]["4.0.0"][0]
    payload["info"].update(name="jupyterhub", package_url="https://pypi.org/project/jupyterhub/")

    def files(stamp: str, yanked: bool = False) -> list[dict]:
        return [copy.deepcopy(template) | {"upload_time_iso_8601": stamp, "yanked": yanked}]

    payload["releases"] = {
        "5.5.0": files("2026-06-10T21:30:00Z"),
        "5.5.1": files("2026-08-10T21:40:00Z", yanked=True),
        "6.0.0b2": files("2026-08-14T17:00:00Z"),
    }
    return payload


def test_collect_merges_sources_isolates_failures_and_filters(server, make):
    server.pypi["jupyterhub"] = jupyterhub_on_pypi()
    sources = ReleaseSources(
        github=(JUPYTERHUB, GitHubRepo("nobody", "missing")),
        pypi=("jupyterhub",),
        changelogs=(ChangelogSpec(str(CHANGELOGS / "github-activity.md"), project="jupyterhub"),),
    )
    report = collect_releases(sources, make(), since=dt.datetime(2026, 6, 1, tzinfo=UTC))
    assert [f.source for f in report.failures] == ["GitHub nobody/missing"]
    assert not report.all_failed
    listed = [(r.version, r.sources) for r in report.releases]
    assert listed == [
        ("6.0.0b2", ("github", "pypi")),
        ("5.5.1", ("github", "pypi", "changelog")),
        ("5.5.0", ("github", "pypi", "changelog")),
    ]  # 5.4.6 (changelog only, May) is before --since
    patch = report.releases[1]
    assert patch.yanked and patch.date == dt.datetime(2026, 8, 10, 21, 40, tzinfo=UTC)  # PyPI's upload
    assert patch.url == "https://github.com/jupyterhub/jupyterhub/releases/5.5.1"
    assert patch.contributors == ("Tech-Abhang", "minrk", "manics")
    assert report.releases[0].prerelease


def test_repo_with_another_pypi_name_merges_with_pypi(server, make):
    repo = GitHubRepo.parse("octocat/Hello-World=sampleproject")
    report = collect_releases(ReleaseSources(github=(repo,), pypi=("sampleproject",)), make())
    merged = {r.version: r for r in report.releases}
    assert set(merged) == {"4.0.0", "1.2.0", "1.0"}  # GitHub's v1.0.0 and PyPI's 1.0 are one release
    assert merged["1.0"].sources == ("github", "pypi")
    assert merged["1.0"].url == "https://github.com/octocat/Hello-World/releases/v1.0.0"
    assert merged["1.0"].date == dt.datetime(
        2013, 2, 27, 19, 35, 32, tzinfo=UTC
    )  # PyPI has no upload for 1.0


def test_collect_reports_every_failure_and_all_failed(server, make):
    sources = ReleaseSources(
        github=(GitHubRepo("a", "b"),), pypi=("nope",), changelogs=(ChangelogSpec("/nonexistent.md"),)
    )
    report = collect_releases(sources, make())
    assert report.all_failed and report.releases == ()
    assert [f.source for f in report.failures] == ["GitHub a/b", "PyPI nope", "changelog /nonexistent.md"]


def test_collect_survives_an_unexpected_exception(server, make, monkeypatch, caplog):
    fetcher = make()

    def boom(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(fetcher, "pypi_releases", boom)
    report = collect_releases(ReleaseSources(pypi=("x",), github=(JUPYTERHUB,)), fetcher)
    assert report.failures[0].error == "PyPI x: unexpected error (details in the log)"
    assert len(report.releases) == 3
    assert "secret detail" in caplog.text  # logged with its traceback, not echoed


def test_changelog_project_defaults(tmp_path):
    from chatops.sources.releases import _project_from_path

    assert _project_from_path("/src/jupyterhub/docs/source/reference/changelog.md") == "jupyterhub"
    assert _project_from_path("/src/widgets/CHANGELOG.md") == "widgets"
    assert ChangelogSpec.parse("widgets=/a/CHANGELOG.md") == ChangelogSpec("/a/CHANGELOG.md", "widgets")
    assert ChangelogSpec.parse("https://x/CHANGES.md?a=b") == ChangelogSpec("https://x/CHANGES.md?a=b")


@pytest.mark.parametrize("text", ["jupyterhub", "a/b/c", "/b", "a/", "a b/c"])
def test_bad_repo_names(text):
    with pytest.raises(Exception, match="is not a GitHub repository; expected 'owner/name'"):
        GitHubRepo.parse(text)
