"""``compass sources check``: try every configured source once and say what each returned and what it cost.

While it works, a spinner on stderr names the source being asked (not when piped or with ``--format json``).
For each notes, release and activity source it prints one line: ok / cached / FAILED, what came back
(documents, releases, merged pull requests, threads, topics...) and the cost (HTTP requests and, for
GitHub, rate-limit units: a 304 to an authenticated request costs none). Notes that explain a partial
answer (a search capped at 1,000 results, a rate limit and when it resets) follow on indented lines.

Exit codes: 0 every source answered (possibly from its cache), 1 at least one source failed, 2 no source
is configured or the configuration is invalid.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import click

from chatops.cli import obj
from chatops.errors import SourceError, UsageError


@click.group()
def sources() -> None:
    """Check the configured notes, release and activity sources."""


@dataclass
class Checked:
    source: str
    state: str  # ok, cached, failed
    returned: str
    requests: int | None = None
    units: int | None = None
    notes: list[str] = field(default_factory=list)


def _window(config: Any, since: str | None, until: str | None, days: int) -> Any:
    from zoneinfo import ZoneInfo

    from chatops.periods import span
    from digests.model import Window

    start, end = span(since, until, days=days, zone=ZoneInfo(config.community.timezone), now=dt.datetime.now(dt.UTC))
    assert start is not None and end is not None  # with days, both ends are known
    return Window(since=start, until=end)


def _activity_rows(activity: Any, timezone: str) -> list[Checked]:
    from digests.activity import status_line
    from digests.sections.common import plural

    rows = []
    for status in activity.statuses:
        if status.source.startswith("GitHub"):
            returned = ", ".join((plural(len(activity.merged), "merged pull request"),
                                  plural(len(activity.first_timers), "first-time contributor"),
                                  plural(len(activity.discussed), "discussed thread"),
                                  plural(len(activity.help_wanted), "labelled issue")))
        else:
            returned = ", ".join((plural(len(activity.topics), "active topic"),
                                  plural(len(activity.deployments), "show-and-tell topic"),
                                  plural(len(activity.unanswered), "unanswered topic")))
        line = status_line(status, timezone)
        notes = ([line] if line else []) + list(status.notes)
        state = {"ok": "ok", "cached": "cached", "unavailable": "failed"}[status.state]
        rows.append(Checked(status.source, state, returned if state != "failed" else "nothing",
                            status.requests, status.units, notes))
    return rows


@sources.command("check")
@click.option("--since", default=None, metavar="DATE", help="Start of the period to ask for (default: 30 days before --until).")
@click.option("--until", default=None, metavar="DATE", help="End of the period; a bare date includes that day (default: today).")
@click.option("--days", type=click.IntRange(1, 3660), default=30, show_default=True, help="Length of the default period.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--no-cache", is_flag=True, help="Ask every source afresh (no conditional requests, no cached answers).")
@click.pass_context
def check(ctx: click.Context, since: str | None, until: str | None, days: int, fmt: str, no_cache: bool) -> None:
    """Try every configured source once; print what each returned and what it cost.

    \b
    Examples:
      compass sources check
      compass sources check --since 2026-06-01 --until 2026-06-30 --format json
    """
    config = obj(ctx).config
    cfg = config.sources
    if not (cfg.notes or cfg.releases.github or cfg.releases.pypi or cfg.releases.changelogs or cfg.activity.configured):
        raise UsageError("no sources are configured; add sources.notes, sources.releases or sources.activity "
                         "to the configuration (see docs/configuration.md)")
    window = _window(config, since, until, days)
    from chatops.sources.cache import default_cache

    cache = None if no_cache else default_cache()
    rows: list[Checked] = []
    with _progress(fmt) as step:
        if cfg.notes:
            step("Reading the notes sources")
            rows.append(_check_notes(config, cache))
        if cfg.releases.github or cfg.releases.pypi or cfg.releases.changelogs:
            step("Asking the release sources")
            rows += _check_releases(config, window, cache)
        if cfg.activity.configured:
            from chatops.sources.activity import collect_activity

            step("Asking GitHub and Discourse for their activity (a rate limit may make this wait)")
            rows += _activity_rows(collect_activity(config, window, cache=cache), config.community.timezone)
    failed = [r for r in rows if r.state == "failed"]
    if fmt == "json":
        click.echo(json.dumps({"window": {"since": window.since.isoformat(), "until": window.until.isoformat()},
                               "sources": [asdict(r) for r in rows]}, indent=2, ensure_ascii=False))
    else:
        click.echo(f"Sources for {window.since:%Y-%m-%d %H:%M} to {window.until:%Y-%m-%d %H:%M} ({config.community.timezone}):")
        for row in rows:
            cost = "" if row.requests is None else f"  [{row.requests} requests, {row.units} rate-limit units]"
            click.echo(f"  {row.state.upper() if row.state == 'failed' else row.state:7} {row.source}: {row.returned}{cost}")
            for note in row.notes:
                click.echo(f"          {note}")
    if failed:
        raise SourceError("sources check", f"{len(failed)} of {len(rows)} sources failed: "
                                           + ", ".join(r.source for r in failed))


@contextmanager
def _progress(fmt: str) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr naming the source being asked; nothing when piped or with --format json."""
    if fmt != "table" or not sys.stderr.isatty():
        yield lambda text: None
        return
    from rich.console import Console

    with Console(stderr=True).status("Checking sources") as status:
        yield lambda text: status.update(text + "…")


def _check_notes(config: Any, cache: Any) -> Checked:
    from chatops.sources.notes import collect_notes, spec_of

    specs = [spec_of(item, base=config.base_dir) for item in config.sources.notes]
    try:
        report = collect_notes(specs, cache=cache, headings=config.sources.headings or None)
    except Exception as exc:  # noqa: BLE001 - a check reports every failure, it never stops at one
        return Checked("notes", "failed", "nothing", notes=[str(exc)])
    problems = [str(p) for p in report.problems]
    state = "failed" if problems and not report.documents else "ok"
    count = len(report.documents)
    return Checked("notes", state, f"{count} document{'' if count == 1 else 's'}", notes=problems)


def _check_releases(config: Any, window: Any, cache: Any) -> list[Checked]:
    from chatops.sources.releases import ReleaseFetcher, ReleaseSources, RetryPolicy, collect_releases

    releases_cfg = config.sources.releases
    spec = ReleaseSources.from_config(releases_cfg, resolve=config.resolve)
    token = releases_cfg.github_token.get_secret_value() if releases_cfg.github_token else None
    with ReleaseFetcher(cache=cache, github_url=spec.github_url, pypi_url=spec.pypi_url, token=token,
                        policy=RetryPolicy(max_wait=releases_cfg.max_wait.total_seconds())) as fetcher:
        report = collect_releases(spec, fetcher, since=window.since, until=window.until)
    rows = []
    for result in report.results:
        if result.error is not None:
            rows.append(Checked(f"releases: {result.source}", "failed", "nothing", notes=[result.error]))
        else:
            inside = [r for r in result.releases if r.date is not None and window.contains(r.date)]
            rows.append(Checked(f"releases: {result.source}", "cached" if result.stale else "ok",
                                f"{len(inside)} release{'' if len(inside) == 1 else 's'} in the period",
                                notes=[result.stale] if result.stale else []))
    return rows
