"""Compiling one monthly digest must not read the whole history (issue 6).

A synthetic community: 10 years of monthly meetings (pre-parsed ``Meeting`` values, as the notes cache
hands them over), 100,000 shout-outs (one recipient each) and 2,000 releases, all in a SQLite file. The
releases sit in a bench table indexed by date, read by window the same way shout-outs are.

For the last month we time, for each kind of digest, the whole ``build_digest`` + Zulip rendering with
shout-outs read through ``chatops.pipeline.load_shoutouts`` (``list_shoutouts``, ``created_at`` index),
and count the rows the database returned and the SQLite virtual-machine steps it ran (a measure of the
rows it scanned). Then the history grows 10x (100 years: 1,000,000 shout-outs, 20,000 releases, 1,200
meetings) with the same density per month, and the same digest is measured again.

Baseline, measured in the same run on the 10-year history: the naive approach that loads every shout-out
and filters the window in Python.

Target: under 200 ms on SQLite, flat when the history grows 10x.

Usage: python bench/digest.py [--runs 5] [--output bench/results/digest.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlalchemy as sa

from chatops.config import parse_config
from chatops.pipeline import build_digest, digest_window, load_shoutouts, render_for_target, resolve_digest
from chatops.storage.db import Database
from digests.model import Attendee, Celebration, Meeting, Release, Shoutout, Statement, Window

UTC = dt.UTC
END = dt.datetime(2025, 7, 1, tzinfo=UTC)
PEOPLE = [f"Person {i}" for i in range(400)]
WORDS = ("fixing", "the", "CI", "docs", "release", "review", "mentoring", "talk", "helm", "chart", "tests",
         "triage", "issues", "outreachy", "binder", "proxy", "spawner", "migration", "security", "patch")


class Counter:
    """Rows returned and SQLite VM steps (progress-handler ticks of 100 instructions) per query."""

    def __init__(self, engine: sa.Engine) -> None:
        self.steps = 0
        self.queries = 0

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi: sqlite3.Connection, _record: Any) -> None:
            dbapi.set_progress_handler(self._tick, 100)

        @sa.event.listens_for(engine, "after_cursor_execute")
        def _after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
            self.queries += 1

    def _tick(self) -> int:
        self.steps += 100
        return 0

    def reset(self) -> None:
        self.steps = self.queries = 0


def build_history(path: Path, years: int, shoutouts: int, releases: int) -> tuple[Database, list[Meeting]]:
    url = f"sqlite:///{path}"
    Database.open(url).close()  # schema through the real migrations
    rnd = random.Random(years)
    start = END - dt.timedelta(days=365.25 * years)
    span = (END - start).total_seconds()
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE bench_releases (id INTEGER PRIMARY KEY, project TEXT, version TEXT, "
                "published_at TIMESTAMP, prerelease BOOLEAN, url TEXT)")
    raw.execute("CREATE INDEX ix_bench_releases_published_at ON bench_releases (published_at)")
    batch = 50_000
    for first in range(0, shoutouts, batch):
        rows, recipients = [], []
        for i in range(first, min(first + batch, shoutouts)):
            when = start + dt.timedelta(seconds=span * (i + rnd.random()) / shoutouts)
            text = "for " + " ".join(rnd.choice(WORDS) for _ in range(8))
            rows.append((i + 1, f"Giver {rnd.randrange(300)}", text, "general", "thanks", 10_000_000 + i,
                         f"https://chat.example.org/#narrow/near/{10_000_000 + i}",
                         when.replace(tzinfo=None).isoformat(sep=" ")))
            recipients.append((i + 1, rnd.choice(PEOPLE), "user"))
        raw.executemany("INSERT INTO shoutouts (id, giver, text, stream, topic, message_id, permalink, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        raw.executemany("INSERT INTO shoutout_recipients (shoutout_id, name, kind) VALUES (?, ?, ?)", recipients)
    raw.executemany(
        "INSERT INTO bench_releases (project, version, published_at, prerelease, url) VALUES (?, ?, ?, ?, ?)",
        [(f"project-{i % 40}", f"{i // 40}.{i % 7}.0", (start + dt.timedelta(seconds=span * (i + 0.5) / releases))
          .replace(tzinfo=None).isoformat(sep=" "), i % 9 == 0, f"https://github.com/org/project-{i % 40}/releases/{i}")
         for i in range(releases)])
    raw.commit()
    raw.execute("ANALYZE")
    raw.close()
    meetings = []
    month = dt.date(END.year, END.month, 1)
    for m in range(years * 12):
        y, mo = divmod(month.year * 12 + month.month - 1 - (m + 1), 12)
        day = dt.date(y, mo + 1, 15)
        names = rnd.sample(PEOPLE, 12)
        meetings.append(Meeting(
            date=day, title=f"Team meeting {day}", document=f"https://notes.example.org/{day}.md",
            attendees=tuple(Attendee(name=n) for n in names), newcomers=(names[0],),
            celebrations=(Celebration(text="thanks for the release", people=(names[1],)),),
            decisions=(Statement(text="Adopt the new release process"),),
            action_items=(Statement(text=f"{names[2]} to write the docs, help wanted", owner=names[2]),)))
    return Database.open(url, migrate=False), meetings


def releases_in(database: Database, window: Window) -> list[Release]:
    query = sa.text("SELECT project, version, published_at, prerelease, url FROM bench_releases "
                    "WHERE published_at >= :since AND published_at < :until")
    params = {"since": window.since.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" "),
              "until": window.until.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")}
    with database.engine.connect() as connection:
        rows = connection.execute(query, params).all()
    return [Release(project=p, version=v, date=dt.datetime.fromisoformat(d).replace(tzinfo=UTC), prerelease=bool(pre),
                    url=u) for p, v, d, pre, u in rows]


CONFIG = parse_config({
    "community": {"name": "Bench", "timezone": "UTC"},
    "zulip": {"site": "https://chat.example.org", "email": "bot@example.org"},
    "digests": [{"name": k, "kind": k, "schedule": "monthly 1 00:00", "targets": [{"zulip": {"stream": "general"}}]}
                for k in ("community", "technical", "celebratory")],
})


def one_digest(database: Database, meetings: list[Meeting], kind: str) -> tuple[int, int]:
    """Build and render the last month's digest; (shout-outs read, Zulip messages)."""
    config, digest_cfg = resolve_digest(CONFIG, kind)
    window = digest_window(config, digest_cfg, since=dt.date(2025, 6, 1), until=dt.date(2025, 7, 1))
    shoutouts = load_shoutouts(database, window)
    digest = build_digest(config, digest_cfg, window, meetings=meetings, releases=releases_in(database, window),
                          shoutouts=shoutouts)
    rendered = render_for_target(config, digest_cfg, digest, "zulip")
    return len(shoutouts), len(rendered.messages)


def naive(database: Database) -> int:
    """Baseline: read every shout-out, keep the window's."""
    from chatops.storage.shoutouts import list_shoutouts

    window = Window(since=dt.datetime(2025, 6, 1, tzinfo=UTC), until=END)
    with database.session() as session:
        everything = list_shoutouts(session=session)
    kept: list[Shoutout] = [s for s in everything if window.contains(s.created_at)]
    return len(everything) + len(kept) * 0


def measure(fn: Callable[[], Any], counter: Counter, runs: int) -> tuple[float, int, int, Any]:
    times = []
    result = None
    for _ in range(runs):
        counter.reset()
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, counter.steps, counter.queries, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results" / "digest.md")
    args = parser.parse_args()
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        results: dict[str, dict[str, tuple[float, int, int, Any]]] = {}
        for label, years, shoutouts, releases in (("10 years", 10, 100_000, 2_000),
                                                  ("100 years (10x)", 100, 1_000_000, 20_000)):
            started = time.perf_counter()
            database, meetings = build_history(Path(tmp) / f"h{years}.db", years, shoutouts, releases)
            print(f"built {label}: {shoutouts:,} shout-outs, {releases:,} releases, {len(meetings)} meetings "
                  f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            counter = Counter(database.engine)
            database.engine.dispose()  # reconnect so the progress handler is installed
            row: dict[str, tuple[float, int, int, Any]] = {}
            for kind in ("community", "technical", "celebratory"):
                one_digest(database, meetings, kind)  # warm up templates and caches
                row[kind] = measure(functools.partial(one_digest, database, meetings, kind), counter, args.runs)
            if years == 10:
                row["baseline"] = measure(functools.partial(naive, database), counter, max(1, args.runs // 2))
            results[label] = row
            database.close()
    lines.append("# Digest compile benchmark (issue 6)\n")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines.append(f"Python {platform.python_version()} on {platform.machine()} ({os.cpu_count()} CPUs, load average "
                 f"{load:.1f} at the end of the run: the machine is shared, so absolute times vary), "
                 f"SQLite {sqlite3.sqlite_version}; median of {args.runs} runs. Produced by `python bench/digest.py`.\n")
    lines.append("One monthly digest (June 2025) built from the database and rendered for Zulip. "
                 "*Shout-outs read* are the rows `list_shoutouts` returned; *SQLite VM steps* count the "
                 "virtual-machine instructions SQLite ran for every query of the build (a proxy for rows scanned).\n")
    lines.append("| history | digest | time (ms) | shout-outs read | SQLite VM steps | queries |")
    lines.append("| --- | --- | ---: | ---: | ---: | ---: |")
    for label, row in results.items():
        for kind, (ms, steps, queries, result) in row.items():
            read = result[0] if isinstance(result, tuple) else result
            name = "baseline: load all, filter in Python" if kind == "baseline" else kind
            lines.append(f"| {label} | {name} | {ms:.1f} | {read:,} | {steps:,} | {queries} |")
    worst = {label: max(v[0] for k, v in row.items() if k != "baseline") for label, row in results.items()}
    small, big = worst["10 years"], worst["100 years (10x)"]
    lines.append("")
    lines.append(f"Slowest digest: {small:.1f} ms at 10 years, {big:.1f} ms at 100 years "
                 f"({big / small:.2f}x for 10x the history). Target: under 200 ms, flat with history: "
                 f"{'met' if max(small, big) < 200 and big / small < 1.5 else 'NOT met'}.")
    base = results["10 years"]["baseline"][0]
    lines.append(f"The baseline that reads the whole history takes {base:.0f} ms at 10 years, "
                 f"{base / small:.0f}x the slowest windowed digest.")
    text = "\n".join(lines) + "\n"
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
