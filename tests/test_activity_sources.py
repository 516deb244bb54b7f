"""GitHub and Discourse activity sources against the loopback fakes (tests/fakes/github.py, discourse.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from fakes.discourse import FakeDiscourse
from fakes.github import FakeGitHub

from chatops.config import parse_config
from chatops.sources.activity import collect_activity
from chatops.sources.activity_github import MAX_QUERY, GitHubActivity, GitHubActivitySpec
from chatops.sources.cache import MemoryCache
from chatops.sources.releases import RetryPolicy
from digests.activity import status_line
from digests.model import Window

UTC = dt.UTC
PARIS = ZoneInfo("Europe/Paris")
TOKEN = "ghp_activity-t0ken"
KEY = "discourse-test-key"


def june(day: int, hour: int = 12, minute: int = 0, tz: dt.tzinfo = UTC) -> dt.datetime:
    return dt.datetime(2025, 6, day, hour, minute, tzinfo=tz)


JUNE_PARIS = Window(since=dt.datetime(2025, 6, 1, tzinfo=PARIS), until=dt.datetime(2025, 7, 1, tzinfo=PARIS))
MAY_PARIS = Window(since=dt.datetime(2025, 5, 1, tzinfo=PARIS), until=dt.datetime(2025, 6, 1, tzinfo=PARIS))


class Clock:
    """The fake's and the client's time: sleeping advances it."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def github(clock: Clock):
    with FakeGitHub(tokens={TOKEN}, clock=clock) as fake:
        yield fake
        assert not fake.problems, "\n".join(fake.problems)


@pytest.fixture
def forum():
    fake = FakeDiscourse(categories=((5, "General"), (7, "Show and tell")), now=dt.datetime(2025, 7, 1, tzinfo=UTC))
    with fake:
        yield fake
        assert not fake.problems, "\n".join(fake.problems)


def client(github: FakeGitHub, clock: Clock, cache=None, **spec) -> GitHubActivity:
    spec.setdefault("repos", ("org/a",))
    return GitHubActivity(GitHubActivitySpec(api_url=github.url, **spec), token=TOKEN, cache=cache,
                          sleep=clock.sleep, clock=clock, policy=RetryPolicy(max_wait=30))


def config(github: FakeGitHub | None, forum: FakeDiscourse | None, **activity) -> object:
    data: dict = {"community": {"timezone": "Europe/Paris"}, "sources": {"activity": activity}}
    if github is not None:
        activity.setdefault("github", {"repos": ["org/a"], "api_url": github.url, "token": TOKEN, "max_wait": "10s"})
    if forum is not None:
        data["discourse"] = {"url": forum.url, "api_key": KEY}
        activity.setdefault("discourse", {"categories": ["general"], "show_and_tell": ["Show and tell"],
                                          "unanswered_after": "7d"})
    return parse_config(data)


# --- windows ---------------------------------------------------------------------------------------


def test_merged_pull_requests_fall_in_the_half_open_window_of_the_communitys_zone(github, clock):
    # Midnight in Paris on 1 June is 22:00 UTC on 31 May; midnight on 1 July is 22:00 UTC on 30 June.
    github.add_pull("org/a", title="At the first instant", user="ann", merged_at=dt.datetime(2025, 5, 31, 22, tzinfo=UTC))
    github.add_pull("org/a", title="Just before", user="bob", merged_at=dt.datetime(2025, 5, 31, 21, 59, tzinfo=UTC))
    github.add_pull("org/a", title="Last minute", user="cat", merged_at=dt.datetime(2025, 6, 30, 21, 59, tzinfo=UTC))
    github.add_pull("org/a", title="At the end, excluded", user="dan", merged_at=dt.datetime(2025, 6, 30, 22, tzinfo=UTC))
    with client(github, clock) as gh:
        activity = gh.fetch(JUNE_PARIS)
    assert [p.title for p in activity.merged] == ["At the first instant", "Last minute"]


def test_discussion_counts_only_the_comments_made_in_the_window(github, clock):
    github.add_issue("org/a", title="Long debate", user="ann", created_at=dt.datetime(2025, 4, 1, tzinfo=UTC), comments=[
        ("bob", dt.datetime(2025, 5, 31, 21, 30, tzinfo=UTC)),  # 23:30 in Paris on 31 May: before
        ("cat", dt.datetime(2025, 5, 31, 22, 30, tzinfo=UTC)),  # 00:30 on 1 June: inside
        ("dan", june(10)), ("cat", june(11)),
        ("eve", dt.datetime(2025, 6, 30, 22, 0, tzinfo=UTC)),  # 1 July in Paris: after
    ])
    with client(github, clock) as gh:
        activity = gh.fetch(JUNE_PARIS)
    (thread,) = activity.discussed
    assert (thread.title, thread.comments, thread.participants) == ("Long debate", 3, 2)
    comment_requests = github.requests_to("/repos/org/a/issues/1/comments")
    assert comment_requests[0].query["since"] == "2025-05-31T22:00:00Z"


# --- first-time contributors --------------------------------------------------------------------------


def test_first_time_contributors_are_found_once_across_periods(github, clock):
    github.add_pull("org/a", title="Old work", user="bob", merged_at=dt.datetime(2024, 1, 5, tzinfo=UTC))
    github.add_pull("org/a", title="First fix", user="ann", merged_at=dt.datetime(2025, 5, 10, tzinfo=UTC))
    github.add_pull("org/a", title="Bob again", user="bob", merged_at=dt.datetime(2025, 5, 12, tzinfo=UTC))
    github.add_pull("org/a", title="Second fix", user="ann", merged_at=june(3))
    github.add_pull("org/a", title="Hello", user="Cat", merged_at=june(4))
    cfg = config(github, None)
    cache = MemoryCache()
    welcomed: list[str] = []
    may = collect_activity(cfg, MAY_PARIS, cache=cache, sleep=clock.sleep, clock=clock,
                           on_first_contribution=lambda c: welcomed.append(c.login))
    assert [c.login for c in may.first_timers] == ["ann"]
    assert may.first_timers[0].first.title == "First fix"
    searches = len(github.requests_to("/search/issues"))
    june_activity = collect_activity(cfg, JUNE_PARIS, cache=cache, sleep=clock.sleep, clock=clock,
                                     on_first_contribution=lambda c: welcomed.append(c.login))
    assert [c.login for c in june_activity.first_timers] == ["Cat"]
    assert welcomed == ["ann", "Cat"]
    # ann is known from May: June asked about Cat only.
    asked = [r.query["q"] for r in github.requests_to("/search/issues")[searches:] if "author:" in r.query["q"]]
    assert len(asked) == 1 and "author:Cat" in asked[0]
    # Asking for May again (a re-run) still names ann: the knowledge is per time, not per run.
    again = collect_activity(cfg, MAY_PARIS, cache=cache, sleep=clock.sleep, clock=clock)
    assert [c.login for c in again.first_timers] == ["ann"]


# --- bots ----------------------------------------------------------------------------------------


def test_bots_are_neither_credited_nor_counted(github, forum, clock):
    github.add_pull("org/a", title="Bump deps", user="dependabot[bot]", merged_at=june(3), bot=True)
    github.add_pull("org/a", title="Release", user="release-runner", merged_at=june(4))
    github.add_pull("org/a", title="Human work", user="ann", merged_at=june(5))
    github.add_issue("org/a", title="CI noise", user="ann", created_at=june(2), comments=[
        ("github-actions[bot]", june(3)), ("codecov[bot]", june(4)), ("release-runner", june(5)), ("bob", june(6))])
    forum.add_forum_topic(category=5, title="About the General category", author="system", created_at=june(1))
    forum.add_forum_topic(category=5, title="Question from a human", author="ann", created_at=june(2),
                          last_posted_at=june(9), replies=2, posters=("system", "bob"))
    activity = collect_activity(config(github, forum, bots=["release-runner"]), JUNE_PARIS, cache=None,
                                sleep=clock.sleep, clock=clock)
    assert [p.author for p in activity.merged] == ["ann"]
    assert [c.login for c in activity.first_timers] == ["ann"]
    issue = next(t for t in activity.discussed if t.title == "CI noise")
    assert (issue.comments, issue.participants) == (1, 1)
    assert [t.title for t in activity.topics] == ["Question from a human"]
    assert activity.topics[0].participants == 2  # ann and bob; system is not a person


# --- pagination and caps -----------------------------------------------------------------------------


def test_merged_pull_requests_are_read_page_by_page_until_older_than_the_window(github, clock):
    for n in range(250):
        github.add_pull("org/a", title=f"Change {n}", user=f"dev{n % 7}", merged_at=june(1 + n % 28, 10))
    for n in range(120):
        github.add_pull("org/a", title=f"Old {n}", user="old", merged_at=dt.datetime(2024, 3, 1, tzinfo=UTC))
    with client(github, clock, discussed=0, labels=()) as gh:
        activity = gh.fetch(JUNE_PARIS)
    assert len(activity.merged) == 250
    pages = [r.query.get("page", "1") for r in github.requests_to("/repos/org/a/pulls")]
    assert pages == ["1", "2", "3"]  # the third page reaches pull requests older than June: stop there


def test_a_search_over_the_cap_is_named_and_never_asked_past_1000(github, clock):
    for n in range(1204):
        github.add_pull(f"big/r{n % 3}", title=f"PR {n}", user=f"dev{n % 50}", merged_at=june(1 + n % 28))
    with client(github, clock, repos=(), orgs=("big",), discussed=0, labels=(), first_time_checks=0) as gh:
        activity = gh.fetch(JUNE_PARIS)
    assert len(activity.merged) == 1000
    (status,) = activity.statuses
    assert any("matched 1,204 results; only the first 1,000 are counted" in n for n in status.notes)
    assert all(r.status == 200 for r in github.requests_to("/search/issues"))
    assert len(github.requests_to("/search/issues")) == 10


def test_many_repositories_are_split_across_queries_within_githubs_length_limit(github, clock):
    repos = tuple(f"community-organisation/repository-number-{n}" for n in range(20))
    for repo in repos:
        github.add_issue(repo, title="Good first one", user="ann", created_at=june(2), labels=["good first issue"])
    with client(github, clock, repos=repos, discussed=0) as gh:
        activity = gh.fetch(JUNE_PARIS)
    assert len(activity.help_wanted) == 5  # the limit
    queries = [r.query["q"] for r in github.requests_to("/search/issues")]
    assert len(queries) > 1 and all(len(q) <= MAX_QUERY for q in queries)
    assert activity.help_wanted_total == 20 and activity.statuses[0].notes == ()


# --- conditional requests and rate limits ---------------------------------------------------------------


def test_an_unchanged_refresh_costs_no_rate_limit(github, clock):
    github.add_pull("org/a", title="Fix", user="ann", merged_at=june(3), comments=[("bob", june(3))])
    github.add_issue("org/a", title="Help", user="cat", created_at=june(2), labels=["help wanted"])
    cache = MemoryCache()
    with client(github, clock, cache) as gh:
        cold = gh.fetch(JUNE_PARIS)
    spent = github.units()
    assert spent > 0 and cold.statuses[0].units == spent
    with client(github, clock, cache) as gh:
        warm = gh.fetch(JUNE_PARIS)
    assert github.units() == spent  # the server counted nothing more
    assert warm.statuses[0].units == 0 and warm.statuses[0].requests == cold.statuses[0].requests
    assert warm.model_dump(exclude={"statuses"}) == cold.model_dump(exclude={"statuses"})
    assert all(r.status == 304 for r in github.requests[-warm.statuses[0].requests:])


def test_retry_after_is_honoured(github, clock):
    github.add_pull("org/a", title="Fix", user="ann", merged_at=june(3))
    github.fail_next("/repos/org/a/pulls", 429, headers={"retry-after": "7"},
                     body={"message": "You have exceeded a secondary rate limit", "documentation_url": "x"})
    with client(github, clock, discussed=0, labels=()) as gh:
        activity = gh.fetch(JUNE_PARIS)
    assert clock.slept == [7.0]
    assert [p.title for p in activity.merged] == ["Fix"]


def test_a_spent_limit_blocks_the_resource_and_answers_from_the_cache(github, clock):
    github.add_pull("org/a", title="Fix", user="ann", merged_at=june(3), comments=[("bob", june(3))])
    cache = MemoryCache()
    with client(github, clock, cache) as gh:
        gh.fetch(JUNE_PARIS)
    github.add_issue("org/a", title="Changed", user="cat", created_at=june(5), comments=[("dan", june(5))])
    github.spend_all("search")
    before = len(github.requests)
    with client(github, clock, cache) as gh:
        stale = gh.fetch(JUNE_PARIS)
    (status,) = stale.statuses
    assert status.state == "cached" and status.reason == "rate limited"
    assert status.until == dt.datetime.fromtimestamp(github._window(("search", True))[0] + 60, UTC)
    assert [c.login for c in stale.first_timers] == ["ann"]  # the cached search answered
    # The first search (unchanged) got a free 304 saying "remaining: 0"; the client then asked the search API
    # nothing more before the reset, and the other searches answered from the cache.
    searches = [r.status for r in github.requests[before:] if r.path == "/search/issues"]
    assert searches == [304]


def test_without_a_cache_a_rate_limited_source_is_unavailable_with_its_reset_time(github, clock):
    github.add_pull("org/a", title="Fix", user="ann", merged_at=june(3))
    github.spend_all("search")
    github.spend_all("core")
    with client(github, clock) as gh:
        activity = gh.fetch(JUNE_PARIS)
    (status,) = activity.statuses
    assert status.state == "unavailable" and status.until is not None
    line = status_line(status, "UTC")
    assert line == f"GitHub activity unavailable: rate limited until {status.until:%H:%M} UTC"


def test_the_token_goes_only_to_the_configured_api(github, clock):
    github.add_pull("org/a", title="Fix", user="ann", merged_at=june(3))
    with client(github, clock, discussed=0, labels=()) as gh:
        gh.fetch(JUNE_PARIS)
        assert TOKEN not in repr(gh)
    assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in github.requests)


# --- Discourse ---------------------------------------------------------------------------------------


def test_discourse_topics_deployments_and_unanswered_topics(forum, clock):
    forum.add_forum_topic(category=5, title="How do I configure the spawner?", author="ann", created_at=june(2),
                          last_posted_at=june(9), replies=4, views=90, likes=3, posters=("ben", "cat"))
    forum.add_forum_topic(category=5, title="Quiet since May", author="ben", created_at=dt.datetime(2025, 5, 2, tzinfo=UTC),
                          last_posted_at=dt.datetime(2025, 5, 3, tzinfo=UTC), replies=1, posters=("ann",))
    forum.add_forum_topic(category=5, title="Nobody answered me", author="dan", created_at=june(5), views=10)
    forum.add_forum_topic(category=5, title="Asked yesterday", author="dan", created_at=june(28), views=3)
    forum.add_forum_topic(category=7, title="We deployed JupyterHub for 3,000 students", author="eve",
                          created_at=june(12), replies=1, posters=("ann",))
    forum.add_forum_topic(category=7, title="Old deployment", author="eve", created_at=dt.datetime(2025, 5, 12, tzinfo=UTC))
    forum.add_forum_topic(category=7, title="At midnight in Paris, 1 July: next month", author="eve",
                          created_at=dt.datetime(2025, 6, 30, 22, tzinfo=UTC))
    forum.add_forum_topic(category=7, title="At midnight in Paris, 1 June", author="eve",
                          created_at=dt.datetime(2025, 5, 31, 22, tzinfo=UTC))
    activity = collect_activity(config(None, forum), JUNE_PARIS, cache=MemoryCache(), clock=clock)
    assert [(t.title, t.comments, t.participants, t.views, t.likes) for t in activity.topics] == [
        ("How do I configure the spawner?", 4, 3, 90, 3)]
    assert [t.title for t in activity.deployments] == ["At midnight in Paris, 1 June",
                                                       "We deployed JupyterHub for 3,000 students"]
    assert [t.title for t in activity.unanswered] == ["Nobody answered me"]
    assert activity.statuses[0].state == "ok" and activity.statuses[0].requests == 4
    paths = {r.path for r in forum.requests}
    assert paths == {"/categories.json", "/c/general/5.json", "/c/show-and-tell/7.json", "/top.json"}


def test_an_unknown_category_is_named_with_the_ones_that_exist(forum, clock):
    cfg = config(None, forum, discourse={"categories": ["genral"]})
    activity = collect_activity(cfg, JUNE_PARIS, cache=None, clock=clock)
    (status,) = activity.statuses
    assert status.state == "unavailable"
    assert "no category 'genral'" in status.reason and "general, show-and-tell" in status.reason


def test_a_failing_source_never_holds_up_the_other(github, forum, clock):
    github.add_pull("org/a", title="Fix", user="ann", merged_at=june(3))
    forum.add_forum_topic(category=7, title="Our deployment at the lab", author="eve", created_at=june(12))
    cfg = config(github, forum)
    cache = MemoryCache()
    collect_activity(cfg, JUNE_PARIS, cache=cache, sleep=clock.sleep, clock=clock)
    forum.fail_next(502, times=10, paths=("/c/", "/top.json"))
    github.fail_next("/", 502, times=100)
    later = collect_activity(cfg, JUNE_PARIS, cache=cache, sleep=clock.sleep, clock=clock)
    by = {s.source: s for s in later.statuses}
    assert by["Discourse activity"].state == "cached" and "HTTP 502" in by["Discourse activity"].reason
    assert [t.title for t in later.deployments] == ["Our deployment at the lab"]
    assert by["GitHub activity"].state == "cached"
    assert [p.title for p in later.merged] == ["Fix"]
    # Without a cached copy the forum is named as unavailable and GitHub still answers.
    forum.fail_next(502, times=1, paths=("/categories.json",))
    github.clear_faults()
    fresh = collect_activity(cfg, JUNE_PARIS, cache=MemoryCache(), sleep=clock.sleep, clock=clock)
    by = {s.source: s for s in fresh.statuses}
    assert by["Discourse activity"].state == "unavailable" and by["Discourse activity"].reason == "the forum answered HTTP 502"
    assert by["GitHub activity"].state == "ok" and [p.title for p in fresh.merged] == ["Fix"]


def test_a_spent_search_limit_that_resets_soon_is_waited_out(clock):
    with FakeGitHub(tokens={TOKEN}, clock=clock, search_limit_authenticated=2) as github:
        github.add_pull("org/a", title="Fix", user="ann", merged_at=june(3), comments=[("bob", june(3))])
        github.add_issue("org/a", title="Help", user="cat", created_at=june(2), labels=["help wanted"])
        spec = GitHubActivitySpec(repos=("org/a",), api_url=github.url)
        with GitHubActivity(spec, token=TOKEN, sleep=clock.sleep, clock=clock, policy=RetryPolicy(max_wait=90)) as gh:
            activity = gh.fetch(JUNE_PARIS)
        assert not github.problems
    assert activity.statuses[0].state == "ok"
    assert [c.login for c in activity.first_timers] == ["ann"] and [t.title for t in activity.help_wanted] == ["Help"]
    # Two searches spent the minute's limit ("remaining: 0"); the third waited for the reset instead of failing.
    assert len(clock.slept) == 1 and 55 <= clock.slept[0] <= 62
    assert [r.status for r in github.requests_to("/search/issues")] == [200, 200, 200]


def test_a_stop_request_ends_a_rate_limit_wait_at_once(github, clock):
    import threading

    github.add_pull("org/a", title="Fix", user="ann", merged_at=june(3))
    github.fail_next("/repos/org/a/pulls", 429, headers={"retry-after": "20"},
                     body={"message": "You have exceeded a secondary rate limit", "documentation_url": "x"})
    stop = threading.Event()
    stop.set()
    spec = GitHubActivitySpec(repos=("org/a",), api_url=github.url, discussed=0, labels=())
    with GitHubActivity(spec, token=TOKEN, sleep=clock.sleep, clock=clock, stop=stop) as gh:
        activity = gh.fetch(JUNE_PARIS)
    assert clock.slept == []
    (status,) = activity.statuses
    assert status.state == "unavailable" and "stopped while waiting" in status.reason


def test_github_enterprise_serves_the_api_under_a_path(clock):
    with FakeGitHub(tokens={TOKEN}, clock=clock, api_prefix="/api/v3") as github:
        github.add_pull("org/a", title="Fix", user="ann", merged_at=june(3))
        with client(github, clock) as gh:
            activity = gh.fetch(JUNE_PARIS)
        assert not github.problems
    assert [p.title for p in activity.merged] == ["Fix"] and activity.statuses[0].state == "ok"
    assert all(r.path.startswith("/api/v3/") and r.headers.get("authorization") == f"Bearer {TOKEN}"
               for r in github.requests)


def test_a_rate_limited_forum_is_named_after_pydiscourse_waited_as_told(clock, monkeypatch):
    import pydiscourse.client

    waits: list[float] = []
    monkeypatch.setattr(pydiscourse.client.time, "sleep", waits.append)  # pydiscourse's own retry waits
    with FakeDiscourse(categories=((5, "General"),), read_rate_limit=0) as forum:
        forum.add_forum_topic(category=5, title="A question", author="ann", created_at=june(2))
        activity = collect_activity(config(None, forum, discourse={"categories": ["general"]}), JUNE_PARIS,
                                    cache=None, clock=clock)
        limited = [r for r in forum.requests if r.status == 429]
    (status,) = activity.statuses
    assert (status.state, status.reason) == ("unavailable", "rate limited")
    assert len(limited) == 4 and waits == [61, 61, 61]  # wait_seconds + 1, then pydiscourse gives up
