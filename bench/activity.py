"""Activity sources: what one month of GitHub and Discourse activity costs, cold and warm.

One month (June 2025) of activity for 20 repositories and 3 forum categories is read from the fakes in
tests/fakes/ (real HTTP servers on 127.0.0.1: github.py with GitHub's limits, discourse.py), authorized
with a token, by ``chatops.sources.activity_github.GitHubActivity`` and
``chatops.sources.activity_discourse.DiscourseActivity``:

- **cold**: an empty cache;
- **warm**: the same month again, nothing changed on the servers, with the cache of the cold run.

compass (ETag cache: each GET sends ``If-None-Match``) is measured next to the baseline measured in the same
run: the same client with ``conditional=False`` (it still caches answers and known contributors, but never
sends ``If-None-Match``). Figures: requests sent, GitHub rate-limit units spent (core and search, as counted
by the fake server; the client's own count is checked against it), answers that were 304, and the seconds
of rate-limit waiting the client honoured (search allows 30 requests a minute; time is simulated, so the
waits cost no wall time). Discourse has no conditional requests: its cost is requests (its admin API
allows 60 a minute), the same in both columns.

Target (issue 18): a warm refresh of unchanged data costs 0 rate-limit units.

Usage: python bench/activity.py [--output bench/results/activity.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from fakes.discourse import FakeDiscourse
from fakes.github import FakeGitHub

from chatops.sources.activity_discourse import DiscourseActivity, DiscourseActivitySpec
from chatops.sources.activity_github import GitHubActivity, GitHubActivitySpec
from chatops.sources.cache import MemoryCache
from chatops.sources.releases import RetryPolicy
from digests.model import Window

TOKEN = "bench-token"
KEY = "discourse-test-key"
UTC = dt.UTC
REPOS = tuple(f"bench-org/project-{n:02d}" for n in range(20))
CATEGORIES = ((5, "General"), (6, "Help"), (7, "Show and tell"))
WINDOW = Window(since=dt.datetime(2025, 6, 1, tzinfo=UTC), until=dt.datetime(2025, 7, 1, tzinfo=UTC))


class Clock:
    """Simulated time shared by the fake and the client: a rate-limit wait advances it."""

    def __init__(self) -> None:
        self.now = 1_751_328_000.0  # 1 July 2025
        self.waited = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waited += seconds
        self.now += seconds


def populate(github: FakeGitHub, forum: FakeDiscourse, seed: int = 18) -> dict[str, int]:
    rng = random.Random(seed)
    regulars = [f"dev{n:02d}" for n in range(40)]
    newcomers = [f"newcomer{n:02d}" for n in range(12)]
    counts = {"merged": 0, "issues": 0, "topics": 0}

    def moment(month_start: dt.datetime, days: int) -> dt.datetime:
        return month_start + dt.timedelta(seconds=rng.randrange(days * 86400))

    may, june = dt.datetime(2025, 5, 1, tzinfo=UTC), dt.datetime(2025, 6, 1, tzinfo=UTC)
    for repo in REPOS:
        for n in range(15):  # history: the regulars have contributed before
            github.add_pull(repo, title=f"Earlier change {n}", user=rng.choice(regulars),
                            merged_at=moment(dt.datetime(2024, 1, 1, tzinfo=UTC), 480))
        for n in range(25):  # June's merged pull requests, a few by bots and newcomers
            author = rng.choice(regulars) if rng.random() > 0.08 else rng.choice(newcomers)
            if rng.random() < 0.1:
                author = "dependabot[bot]"
            merged = moment(june, 30)
            comments = [(rng.choice(regulars), merged - dt.timedelta(hours=h)) for h in range(rng.randrange(4))]
            github.add_pull(repo, title=f"Change {n} in {repo}", user=author, merged_at=merged, comments=comments,
                            bot=author.endswith("[bot]"))
            counts["merged"] += 1
        for n in range(30):  # issues, some discussed in June, some labelled for newcomers
            created = moment(may, 61)
            comments = [(rng.choice(regulars), moment(june, 30)) for _ in range(rng.randrange(12))]
            labels = ["good first issue"] if n % 6 == 0 else ["help wanted"] if n % 9 == 0 else []
            github.add_issue(repo, title=f"Issue {n} of {repo}", user=rng.choice(regulars), created_at=created,
                             comments=comments, labels=labels)
            counts["issues"] += 1
    for category, _ in CATEGORIES:
        for n in range(25):
            created = moment(may, 55)
            replies = rng.randrange(6)
            forum.add_forum_topic(category=category, title=f"Topic {n} in category {category}",
                                  author=rng.choice(regulars), created_at=created,
                                  last_posted_at=created + dt.timedelta(days=rng.randrange(6)) if replies else created,
                                  replies=replies, views=rng.randrange(500), likes=rng.randrange(10),
                                  posters=tuple(rng.sample(regulars, k=min(replies, 3))))
            counts["topics"] += 1
    return counts


@dataclass
class Run:
    requests: int
    units: int
    client_units: int
    not_modified: int
    waited: float
    forum_requests: int
    merged: int
    first_timers: int
    wall: float


def measure(conditional: bool) -> tuple[Run, Run, dict[str, int]]:
    clock = Clock()
    with FakeGitHub(tokens={TOKEN}, clock=clock) as github, \
            FakeDiscourse(categories=CATEGORIES, now=WINDOW.until) as forum:
        counts = populate(github, forum)
        cache = MemoryCache()
        known: dict[str, dt.datetime] = {}
        spec = GitHubActivitySpec(repos=REPOS, api_url=github.url)
        forum_spec = DiscourseActivitySpec(url=forum.url, categories=("general", "help"),
                                           show_and_tell=("show-and-tell",))
        runs = []
        for _ in range(2):  # cold, then warm (unchanged)
            sent, spent, waited = len(github.requests), github.units(), clock.waited
            forum_sent = len(forum.requests)
            start = time.perf_counter()
            with GitHubActivity(spec, cache=cache, token=TOKEN, policy=RetryPolicy(max_wait=120),
                                sleep=clock.sleep, clock=clock, conditional=conditional) as client:
                activity = client.fetch(WINDOW, known_authors=known)
            found = DiscourseActivity(forum_spec, api_key=KEY, cache=cache).fetch(WINDOW)
            wall = time.perf_counter() - start
            (status,) = activity.statuses
            assert status.state == "ok", status
            assert found.statuses[0].state == "ok", found.statuses[0]
            requests = len(github.requests) - sent
            not_modified = sum(1 for r in github.requests[sent:] if r.status == 304)
            runs.append(Run(requests, github.units() - spent, status.units, not_modified, clock.waited - waited,
                            len(forum.requests) - forum_sent, len(activity.merged), len(activity.first_timers), wall))
        assert not github.problems, github.problems[:3]
        assert not forum.problems, forum.problems[:3]
        return runs[0], runs[1], counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    cold, warm, counts = measure(conditional=True)
    base_cold, base_warm, _ = measure(conditional=False)
    for run in (cold, warm, base_cold, base_warm):
        assert run.units == run.client_units, (run.units, run.client_units)  # the client's count is the server's
    assert (cold.merged, cold.first_timers) == (base_cold.merged, base_cold.first_timers)
    met = warm.units == 0
    lines = [
        "# Activity sources benchmark (bench/activity.py)",
        "",
        (f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()} "
         "(shared with other work: wall times are indicative)."),
        "",
        f"## One month (June 2025): {len(REPOS)} repositories, {len(CATEGORIES)} forum categories, authorized",
        "",
        (f"Data: {counts['merged']} pull requests merged in June (plus history), {counts['issues']} issues "
         f"(comments spread over June), {counts['topics']} forum topics. Found: {cold.merged} merged pull requests "
         f"by people (bots excluded), {cold.first_timers} first-time contributors."),
        "",
        "| client | run | GitHub requests | rate-limit units | 304 answers | rate-limit wait honoured | Discourse requests | wall time |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, runs in (("compass (ETag cache, If-None-Match)", (cold, warm)),
                        ("baseline: same client, no conditional requests", (base_cold, base_warm))):
        for name, run in zip(("cold", "warm, unchanged"), runs, strict=True):
            lines.append(f"| {label} | {name} | {run.requests} | {run.units} | {run.not_modified} | "
                         f"{run.waited:.0f} s (simulated) | {run.forum_requests} | {run.wall * 1000:.0f} ms |")
    lines += [
        "",
        (f"Target: a warm refresh of unchanged data costs 0 rate-limit units: {'met' if met else 'NOT met'} "
         f"({warm.units} units against the baseline's {base_warm.units})."),
        "",
        ("Rate-limit units are counted by the fake server (a 304 to an authorized request is free, as GitHub "
         "documents); the client's own count agreed in every run. Waits are the search API's 30-requests-a-minute "
         "limit, honoured from the x-ratelimit-reset header on simulated time."),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
