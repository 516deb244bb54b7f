"""Release sources: rate-limit cost of a refresh with ETags, and changelog parsing speed.

1. **Refresh cost.** 20 repositories with 250 releases each (3 pages of 100) are read twice from the
   fake GitHub in tests/fakes/releases.py (a real HTTP server on 127.0.0.1), authorized with a
   token. compass (ETag cache) is measured next to the baseline measured in the same run: the same
   client with no cache, which is what a naive poller pays. The figures are GitHub rate-limit units
   (requests that count), requests sent and wall time of the second, unchanged, refresh.
   Target (issue 5): an unchanged list costs no rate limit.
2. **Changelog parsing.** A 400-version github-activity changelog (about 0.5 MB) is parsed by
   ``digests.changelog.parse_changelog`` next to the baseline of only tokenizing the same text with
   markdown-it-py (a Markdown parser doing no release extraction). Median of 5 runs, and the peak
   traced memory.

Usage: python bench/releases.py [--output bench/results/releases.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from fakes.releases import FakeReleaseServer

from chatops.sources.cache import MemoryCache
from chatops.sources.releases import GitHubRepo, ReleaseFetcher, ReleaseSources, collect_releases
from digests.changelog import parse_changelog

TOKEN = "bench-token"
REPOS = 20
RELEASES = 250


def refresh_cost(use_cache: bool) -> tuple[int, int, int, float]:
    """(rate-limit units of refresh 1; units, requests and median wall seconds of an unchanged refresh)."""
    with FakeReleaseServer(tokens={TOKEN}) as server:
        repos = tuple(GitHubRepo("org", f"repo{i}") for i in range(REPOS))
        for repo in repos:
            server.add_github_releases(repo.slug, RELEASES)
        sources = ReleaseSources(github=repos)
        cache = MemoryCache() if use_cache else None
        with ReleaseFetcher(cache=cache, github_url=server.url, token=TOKEN) as fetcher:
            report = collect_releases(sources, fetcher)
            assert len(report.releases) == REPOS * RELEASES and not report.failures
            first = server.used["authenticated"]
            sent = len(server.requests)
            walls = []
            for _ in range(3):  # three unchanged refreshes; the machine is shared, so take the median
                start = time.perf_counter()
                again = collect_releases(sources, fetcher)
                walls.append(time.perf_counter() - start)
                assert again.releases == report.releases
            units = (server.used["authenticated"] - first) // 3
        return first, units, (len(server.requests) - sent) // 3, statistics.median(walls)


def changelog_text(versions: int = 400) -> str:
    parts = ["# Changelog\n"]
    for n in range(versions, 0, -1):
        major, minor = divmod(n, 20)
        parts.append(
            f"\n## {major}.{minor}\n\n### {major}.{minor}.0 - 2024-{1 + n % 12:02d}-{1 + n % 28:02d}\n"
        )
        parts.append(
            f"\n([full changelog](https://github.com/o/r/compare/{major}.{minor - 1}...{major}.{minor}))\n"
        )
        for section in (
            "New features added",
            "Enhancements made",
            "Bugs fixed",
            "Maintenance and upkeep improvements",
        ):
            parts.append(f"\n#### {section}\n\n")
            for k in range(4):
                parts.append(
                    f"- Change {k} of {n} in {section.lower()} [#{n * 10 + k}](https://github.com/o/r/pull/{n * 10 + k}) "
                    f"([@dev{k}](https://github.com/dev{k}), [@maint](https://github.com/maint))\n"
                )
        parts.append("\n#### Contributors to this release\n\n")
        parts.append(" | ".join(f"[@dev{k}](https://github.com/search?q=dev{k})" for k in range(6)) + "\n")
    return "".join(parts)


def timed(fn: Callable[[], object], runs: int = 5) -> tuple[float, float]:
    """Median seconds over ``runs`` and peak traced MiB of one more run."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results" / "releases.md")
    args = parser.parse_args()

    cached = refresh_cost(use_cache=True)
    baseline = refresh_cost(use_cache=False)

    from markdown_it import MarkdownIt

    text = changelog_text()
    releases = parse_changelog(text, project="p")
    md = MarkdownIt("commonmark")
    parse_s, parse_mib = timed(lambda: parse_changelog(text, project="p"))
    base_s, base_mib = timed(lambda: md.parse(text))

    lines = [
        "# Release sources benchmark (bench/releases.py)",
        "",
        (
            f"Machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores, Python {platform.python_version()} "
            "(shared with other work: wall times are indicative)."
        ),
        "",
        f"## Refresh cost: {REPOS} repositories x {RELEASES} releases (3 pages each), read, then refreshed unchanged 3 times, authorized",
        "",
        "| client | rate-limit units, 1st refresh | rate-limit units, 2nd (unchanged) refresh | requests, 2nd | median wall time, 2nd |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| compass (ETag cache, 304s) | {cached[0]} | {cached[1]} | {cached[2]} | {cached[3] * 1000:.0f} ms |",
        f"| baseline: same client, no cache | {baseline[0]} | {baseline[1]} | {baseline[2]} | {baseline[3] * 1000:.0f} ms |",
        "",
        (
            f"Target: an unchanged list costs no rate limit: {'met' if cached[1] == 0 else 'NOT met'} "
            f"({cached[1]} units against the baseline's {baseline[1]})."
        ),
        "",
        f"## Changelog parsing: {len(text) / 1024:.0f} KiB, {len(releases)} versions (github-activity style)",
        "",
        "| parser | median of 5 | peak traced memory |",
        "| --- | ---: | ---: |",
        f"| digests.changelog.parse_changelog (releases, highlights, contributors) | {parse_s * 1000:.0f} ms | {parse_mib:.1f} MiB |",
        f"| baseline: markdown-it-py tokenize only | {base_s * 1000:.0f} ms | {base_mib:.1f} MiB |",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)


if __name__ == "__main__":
    main()
