"""GitHub and Discourse activity in the community and technical digests: the pure sections, and the whole
pipeline against the fakes with one source failing."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from fakes.discourse import FakeDiscourse
from fakes.github import FakeGitHub

from chatops.config import parse_config
from chatops.pipeline import build_digest, render_for_target
from digests.activity import Activity, Contributor, Limits, MergedPull, SourceStatus, Thread
from digests.compile import compile_digest
from digests.digest import CommunityInfo
from digests.model import Window
from digests.render import render

UTC = dt.UTC
PARIS = ZoneInfo("Europe/Paris")
JUNE = Window(since=dt.datetime(2025, 6, 1, tzinfo=PARIS), until=dt.datetime(2025, 7, 1, tzinfo=PARIS))
COMMUNITY = CommunityInfo(name="Jupyter", timezone="Europe/Paris")
TOKEN = "ghp_digest-t0ken"


def june(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2025, 6, day, hour, tzinfo=UTC)


def pull(repo: str, number: int, title: str, author: str, when: dt.datetime) -> MergedPull:
    return MergedPull(repo=repo, number=number, title=title, url=f"https://github.com/{repo}/pull/{number}",
                      author=author, merged_at=when)


def issue(title: str, number: int, comments: int, participants: int, active: dt.datetime, **kw) -> Thread:
    return Thread(platform="github", kind="issue", title=title, url=f"https://github.com/org/a/issues/{number}",
                  place="org/a", number=number, created_at=june(1), active_at=active, comments=comments,
                  participants=participants, **kw)


def topic(title: str, number: int, **kw) -> Thread:
    kw.setdefault("created_at", june(2))
    return Thread(platform="discourse", kind="topic", title=title, url=f"https://forum.example.org/t/x/{number}",
                  place="General", number=number, **kw)


ACTIVITY = Activity(
    merged=(pull("org/a", 12, "Fix the spawner", "ann", june(3)), pull("org/a", 14, "Faster start", "bob", june(9)),
            pull("org/b", 3, "Docs for @all", "ann", june(5)),
            pull("org/a", 20, "Merged at the end", "cat", dt.datetime(2025, 6, 30, 22, tzinfo=UTC))),
    first_timers=(Contributor(login="Ann", first=pull("org/a", 12, "Fix the spawner", "Ann", june(3))),),
    discussed=(issue("Flaky CI on Windows", 7, 14, 6, june(20)), issue("Quiet issue", 8, 1, 1, june(21)),
               issue("Busy before June", 9, 40, 9, dt.datetime(2025, 5, 31, 21, tzinfo=UTC))),
    help_wanted=(issue("Translate the docs", 30, 0, 0, june(4), labels=("good first issue",)),),
    help_wanted_total=12,
    topics=(topic("How do I configure the spawner?", 101, comments=9, participants=5, views=120, likes=4,
                  active_at=june(25)),),
    deployments=(topic("We deployed JupyterHub for 3,000 students @here", 102, author="eve", created_at=june(12)),),
    unanswered=(topic("Anyone using GPUs with the kubespawner?", 103, author="dan", created_at=june(5)),),
)


def test_the_technical_digest_lists_conversations_to_join_and_merged_work_per_repository():
    digest = compile_digest("technical", JUNE, meetings=[], releases=[], shoutouts=[], community=COMMUNITY,
                            activity=ACTIVITY, activity_limits=Limits(conversations=2, merged_per_repo=1))
    conversations = digest.section("conversations")
    assert [(e.title, e.text) for e in conversations.entries] == [
        ("Flaky CI on Windows", "14 comments, 6 participants"),
        ("How do I configure the spawner?", "9 replies, 5 participants, 120 views, 4 likes"),
    ]  # "Busy before June" was last active on 31 May in Paris: outside the window
    merged = digest.section("merged_work")
    assert [(e.title, e.text) for e in merged.entries] == [
        ("org/a", "2 pull requests merged by 2 people, the latest 1:"),  # the one merged at 00:00 on 1 July is out
        ("org/b", "1 pull request merged by 1 person"),
    ]
    assert [c.text for c in merged.entries[0].children] == ["Faster start"]
    assert not digest.empty and digest.section("activity_status") is None
    text = render(digest, target="plain").text
    assert "Conversations to join" in text and "[org/a#7](https://github.com/org/a/issues/7)" in text


def test_the_community_digest_invites_contributions_and_welcomes_first_contributors():
    digest = compile_digest("community", JUNE, meetings=[], releases=[], shoutouts=[], community=COMMUNITY,
                            activity=ACTIVITY)
    ways = digest.section("calls_for_help")
    assert ways.heading == "Ways to help"
    assert [(e.text, e.links[0].label) for e in ways.entries] == [
        ("Translate the docs", "org/a#30, good first issue"),
        ("Anyone using GPUs with the kubespawner?", "General forum, unanswered for 25 days"),
    ]
    assert "12 open issues carry these labels; here is the most recently updated" in ways.intro
    (deployment,) = digest.section("deployments").entries
    assert (deployment.text, deployment.credits[0].name, str(deployment.date)) == (
        "We deployed JupyterHub for 3,000 students @here", "eve", "2025-06-12")
    (welcome,) = digest.section("newcomers").entries
    assert [p.handle for p in welcome.people] == ["ann"] and welcome.links[0].label == "org/a#12"


@pytest.mark.parametrize("target", ["zulip", "discourse"])
def test_titles_from_github_and_the_forum_can_never_ping(target):
    digest = compile_digest("community", JUNE, meetings=[], releases=[], shoutouts=[], community=COMMUNITY,
                            activity=ACTIVITY)
    markdown = render(digest, target=target).markdown
    assert "3,000 students" in markdown
    assert "@here" not in markdown and "@all" not in markdown


def test_a_failed_source_is_named_in_the_digest():
    limited = SourceStatus(source="GitHub activity", state="unavailable", reason="rate limited",
                           until=dt.datetime(2025, 7, 1, 12, 10, tzinfo=UTC))
    cached = SourceStatus(source="Discourse activity", state="cached", reason="the forum answered HTTP 502",
                          cached_at=dt.datetime(2025, 6, 30, 16, 0, tzinfo=UTC))
    activity = Activity(deployments=ACTIVITY.deployments, statuses=(limited, cached))
    digest = compile_digest("community", JUNE, meetings=[], releases=[], shoutouts=[],
                            community=CommunityInfo(name="Jupyter", timezone="UTC"), activity=activity)
    assert [e.text for e in digest.section("activity_status").entries] == [
        "GitHub activity unavailable: rate limited until 12:10 UTC",
        "Discourse activity from the copy cached on 30 June 2025 at 16:00 UTC (the forum answered HTTP 502)",
    ]
    assert digest.section("deployments") is not None


# --- the pipeline against the fakes -----------------------------------------------------------------


@pytest.fixture
def github():
    with FakeGitHub(tokens={TOKEN}) as fake:
        yield fake
        assert not fake.problems, "\n".join(fake.problems)


@pytest.fixture
def forum():
    with FakeDiscourse(categories=((5, "General"), (7, "Show and tell")), now=dt.datetime(2025, 7, 1, tzinfo=UTC)) as fake:
        yield fake
        assert not fake.problems, "\n".join(fake.problems)


def _config(github: FakeGitHub, forum: FakeDiscourse, kind: str):
    return parse_config({
        "community": {"name": "Jupyter", "timezone": "Europe/Paris"},
        "discourse": {"url": forum.url, "api_key": "discourse-test-key"},
        "sources": {"activity": {
            "github": {"repos": ["org/a"], "api_url": github.url, "token": TOKEN, "max_wait": "5s"},
            "discourse": {"categories": ["general"], "show_and_tell": ["show-and-tell"]},
        }},
        "digests": [{"name": "monthly", "kind": kind, "schedule": "monthly 1 09:00"}],
    })


def test_a_rate_limited_github_is_named_while_the_forum_publishes(github, forum, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    # The fake's clock stands still 20 s into a minute: the reset (plus compass's one second of margin)
    # then names the same minute however long the run takes.
    now = (int(time.time()) // 60) * 60 + 20
    github.clock = lambda: float(now)
    github.add_pull("org/a", title="Fix the spawner", user="ann", merged_at=june(3))
    github.spend_all("core")
    github.spend_all("search")
    forum.add_forum_topic(category=7, title="Our JupyterHub at the lab", author="eve", created_at=june(12))
    forum.add_forum_topic(category=5, title="GPU question nobody answered", author="dan", created_at=june(3))
    config = _config(github, forum, "community")
    digest = build_digest(config, config.digest("monthly"), JUNE, meetings=[], shoutouts=[], releases=[])
    text = render_for_target(config, config.digest("monthly"), digest, "discourse").raw
    # The core limit resets last (hourly; search every minute): that is when GitHub can answer in full.
    reset = dt.datetime.fromtimestamp(now + 3600, UTC).astimezone(PARIS)
    assert f"GitHub activity unavailable: rate limited until {reset:%H:%M} Europe/Paris" in text
    assert "Our JupyterHub at the lab" in text and "GPU question nobody answered" in text
    assert "Fix the spawner" not in text


def test_a_failing_forum_is_named_while_github_publishes(github, forum, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    github.add_pull("org/a", title="Fix the spawner", user="ann", merged_at=june(3), comments=[("bob", june(3))])
    forum.fail_next(500, paths=("/categories.json",))
    config = _config(github, forum, "technical")
    digest = build_digest(config, config.digest("monthly"), JUNE, meetings=[], shoutouts=[], releases=[])
    text = render_for_target(config, config.digest("monthly"), digest, "plain").text
    assert "Discourse activity unavailable: the forum answered HTTP 500" in text
    assert "Fix the spawner" in text and "Conversations to join" in text


def test_first_time_contributors_feed_the_people_registry_and_are_welcomed_once(github, forum, database,
                                                                                monkeypatch, tmp_path):
    from chatops.storage.people import load_registry

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    github.add_pull("org/a", title="Fix the spawner", user="ann", merged_at=dt.datetime(2025, 5, 20, tzinfo=UTC))
    github.add_pull("org/a", title="Second fix", user="ann", merged_at=june(10))
    config = _config(github, forum, "community")
    may = Window(since=dt.datetime(2025, 5, 1, tzinfo=PARIS), until=dt.datetime(2025, 6, 1, tzinfo=PARIS))
    first = build_digest(config, config.digest("monthly"), may, database=database, shoutouts=[], releases=[])
    (welcome,) = first.section("newcomers").entries
    assert [p.handle for p in welcome.people] == ["ann"] and welcome.links[0].label == "org/a#1"
    with database.session() as session:
        (known,) = load_registry(session=session).find("@ann")
    assert (known.first_role, known.first_label) == ("github", "first merged pull request, org/a#1")
    later = build_digest(config, config.digest("monthly"), JUNE, database=database, shoutouts=[], releases=[])
    assert later.section("newcomers") is None  # ann's June pull request is not a first one
    with database.session() as session:
        assert len(load_registry(session=session).find("@ann")) == 1


def test_someone_welcomed_at_a_meeting_is_not_welcomed_again_for_their_first_pull_request():
    from digests.model import Attendee, Meeting

    meeting = Meeting(date=dt.date(2025, 6, 5), title="Community call", document="notes.md",
                      attendees=(Attendee(name="Ann Lee", handle="ann"),), newcomers=("@ann",))
    digest = compile_digest("community", JUNE, meetings=[meeting], releases=[], shoutouts=[], community=COMMUNITY,
                            activity=ACTIVITY)
    entries = digest.section("newcomers").entries
    handles = [p.handle for e in entries for p in e.people]
    assert handles.count("ann") == 1 and all("first_contribution" not in e.marks for e in entries)
