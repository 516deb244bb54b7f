"""Compiling one monthly digest must not read the whole history (issue 6).

A synthetic community: 10 years of monthly meeting notes (one Markdown file per month, read through
``chatops.pipeline.load_meetings`` and the notes cache with its date index, as a running bot does after
its first run), 100,000 shout-outs (one recipient each) and 2,000 releases in a SQLite file. The releases
sit in a bench table indexed by date, read by window the same way shout-outs are.

For the last month we time, for each kind of digest, the whole ``build_digest`` + Zulip rendering with
shout-outs read through ``chatops.pipeline.load_shoutouts`` (``list_shoutouts``, ``created_at`` index),
and count the rows the database returned and the SQLite virtual-machine steps it ran (a measure of the
rows it scanned). Then the history grows 10x (100 years: 1,000,000 shout-outs, 20,000 releases, 1,200
notes files) with the same density per month, and the same digest is measured again.

Baselines, measured in the same run: the naive approach that loads every shout-out and filters the
window in Python (10-year history); and, for the notes phase at both sizes, loading every document's
cached parse and filtering the dates afterwards (``collect_notes`` without ``between``: the reading
``load_meetings`` did before the date index, except that the parses now come from one cache entry per
year instead of one for the whole source). For the notes phase the run also counts the files stat-ed,
the documents loaded and left out and the cache entries read, and times the stat calls alone.

Each case runs several times, interleaved with the others; the table keeps the fastest run of each (wall
and CPU time), the least disturbed figure on a shared machine.

Target: under 200 ms on SQLite, flat when the history grows 10x.

Usage: python bench/digest.py [--runs 7] [--output bench/results/digest.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import platform
import random
import sqlite3
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
from chatops.periods import explicit as digest_window
from chatops.pipeline import (
    _meetings_between,
    build_digest,
    load_meetings,
    load_shoutouts,
    render_for_target,
    resolve_digest,
)
from chatops.sources.cache import CacheEntry, FileCache
from chatops.sources.notes import _markdown_files, collect_notes
from chatops.storage.db import Database
from digests.chart import attendance_chart, chart_window
from digests.compile import previous_window
from digests.model import Release, Shoutout, Window

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


def build_history(path: Path, years: int, shoutouts: int, releases: int) -> tuple[Database, Path]:
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
    notes = path.parent / f"notes-{years}y"
    notes.mkdir()
    for m in range(years * 12):  # one notes file per month, in the usual team-meeting shape
        y, mo = divmod(END.year * 12 + END.month - 1 - (m + 1), 12)
        day = dt.date(y, mo + 1, 15)
        names = rnd.sample(range(len(PEOPLE)), 12)
        (notes / f"team-meeting-{day}.md").write_text(
            f"# Team meeting {day}\n\n## Attendees\n\n"
            + "".join(f"- {PEOPLE[n]} / @person{n}\n" for n in names)
            + f"\n## Celebrations\n\n- Thanks to @person{names[1]} for the release\n- New docs site, please test!\n"
            + f"\n## Agenda\n\n- **{PEOPLE[names[2]]} (10 mins):** Release plan "
            + f"https://github.com/org/project/issues/{m}\n  - Decision: adopt the new release process\n"
            + f"  - Action: {PEOPLE[names[3]]} to write the docs, help wanted\n",
            encoding="utf-8")
    return Database.open(url, migrate=False), notes


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


PHASES = ("notes", "read", "compile", "render")
CHART_CASE = "attendance chart: 12 months of notes, then the drawing (in the compile column)"
JUNE = dt.date(2025, 6, 1), dt.date(2025, 7, 1)


def notes_between() -> tuple[dt.date, dt.date]:
    """The days ``build_digest`` asks the notes for: the previous window and this one, a day's margin each side."""
    config, digest_cfg = resolve_digest(CONFIG, "community")
    window = digest_window(config, digest_cfg, since=JUNE[0], until=JUNE[1])
    before = previous_window(window, "UTC")
    return (before.since - dt.timedelta(days=1)).date(), (window.until + dt.timedelta(days=1)).date()


def one_digest(database: Database, notes: Path, kind: str,
               read: Callable[[Database, Window], list[Shoutout]] = load_shoutouts) -> dict[str, Any]:
    """Build and render the last month's digest; per-phase wall and CPU seconds, shout-outs read, messages.

    The phases are the ones ``build_digest`` runs, timed apart: the notes of this window and the one before
    (through the parse cache), the window's shout-outs and releases, compiling, rendering for Zulip.
    """
    config, digest_cfg = resolve_digest(CONFIG, kind)
    window = digest_window(config, digest_cfg, since=JUNE[0], until=JUNE[1])
    marks = [(time.perf_counter(), time.process_time())]
    meetings = load_meetings(config, notes=[str(notes)], between=notes_between())
    marks.append((time.perf_counter(), time.process_time()))
    shoutouts = read(database, window)
    releases = releases_in(database, window)
    marks.append((time.perf_counter(), time.process_time()))
    # The attendance chart is measured apart (``one_chart``): drawing it is not part of the 200 ms target.
    digest = build_digest(config, digest_cfg, window, meetings=meetings, releases=releases, shoutouts=shoutouts,
                          chart=False)
    marks.append((time.perf_counter(), time.process_time()))
    rendered = render_for_target(config, digest_cfg, digest, "zulip")
    marks.append((time.perf_counter(), time.process_time()))
    out: dict[str, Any] = {"shoutouts": len(shoutouts), "meetings": len(meetings), "messages": len(rendered.messages)}
    for i, phase in enumerate(PHASES):
        out[phase] = (marks[i + 1][0] - marks[i][0], marks[i + 1][1] - marks[i][1])
    out["total"] = (marks[-1][0] - marks[0][0], marks[-1][1] - marks[0][1])
    return out


def notes_without_index(notes: Path) -> dict[str, Any]:
    """Baseline for the notes phase: every document's cached parse loaded, the window's dates filtered after."""
    first, last = notes_between()
    started = (time.perf_counter(), time.process_time())
    report = collect_notes([str(notes)], cache=FileCache.default())
    meetings = [m for document in report.documents for m in _meetings_between(document, first, last)]
    took = (time.perf_counter() - started[0], time.process_time() - started[1])
    return {"notes": took, "total": took, "meetings": len(meetings)}


class CountingCache(FileCache):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.reads = 0
        self.bytes = 0

    def get(self, key: str) -> CacheEntry | None:
        entry = super().get(key)
        self.reads += 1
        self.bytes += len(entry.body) if entry is not None else 0
        return entry


def notes_work(notes: Path, runs: int) -> dict[str, Any]:
    """What the windowed notes phase touches (untimed), and the stat calls alone timed (best of ``runs``)."""
    cache = CountingCache(FileCache.default().directory)
    report = collect_notes([str(notes)], cache=cache, between=notes_between())
    files = sorted(_markdown_files(str(notes)))
    stat_cpu = []
    for _ in range(runs):
        started = time.process_time()
        for file in files:
            os.stat(file)
        stat_cpu.append(time.process_time() - started)
    return {"files": len(files), "loaded": len(report.documents), "skipped": len(report.skipped),
            "cache_reads": cache.reads, "cache_bytes": cache.bytes, "stat": min(stat_cpu)}


def core_read(database: Database, window: Window) -> list[Shoutout]:
    """The window's shout-outs through the same join as ``list_shoutouts``, as plain SQL text with no column
    types, rows turned into values by hand: a comparison for ``list_shoutouts``'s typed Core query."""
    from digests.model import Recipient

    query = sa.text(
        "SELECT s.id, s.giver, s.giver_id, s.text, s.stream, s.topic, s.message_id, s.permalink, s.created_at, "
        "r.name, r.kind, r.user_id FROM shoutouts s JOIN shoutout_recipients r ON r.shoutout_id = s.id "
        "WHERE s.retracted_at IS NULL AND s.created_at >= :since AND s.created_at < :until "
        "ORDER BY s.created_at, s.id, r.id")
    params = {"since": window.since.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" "),
              "until": window.until.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")}
    with database.engine.connect() as connection:
        rows = connection.execute(query, params).all()
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    return [Shoutout(id=i, giver=r[0][1], giver_id=r[0][2], text=r[0][3], stream=r[0][4], topic=r[0][5],
                     message_id=r[0][6], permalink=r[0][7],
                     created_at=dt.datetime.fromisoformat(str(r[0][8])).replace(tzinfo=UTC),
                     recipients=tuple(Recipient(name=x[9], kind=x[10], user_id=x[11]) for x in r))
            for i, r in grouped.items()]


def naive(database: Database) -> int:
    """Baseline: read every shout-out, keep the window's; returns the rows read."""
    from chatops.storage.shoutouts import list_shoutouts

    window = Window(since=dt.datetime(2025, 6, 1, tzinfo=UTC), until=END)
    with database.session() as session:
        everything = list_shoutouts(session=session)
    kept: list[Shoutout] = [s for s in everything if window.contains(s.created_at)]
    assert kept
    return len(everything)


def once(fn: Callable[[], Any], counter: Counter) -> tuple[dict[str, Any], int, int]:
    """One timed run: per-phase (wall, CPU) seconds, and the SQLite VM steps and queries it caused."""
    counter.reset()
    started = (time.perf_counter(), time.process_time())
    result = fn()
    if not isinstance(result, dict):
        result = {"shoutouts": result, "total": (time.perf_counter() - started[0], time.process_time() - started[1])}
    return result, counter.steps, counter.queries


def best(runs: list[tuple[dict[str, Any], int, int]]) -> tuple[dict[str, Any], int, int]:
    """The fastest run of each phase (on a shared machine the minimum is the least disturbed figure)."""
    out: dict[str, Any] = dict(runs[-1][0])
    for key in ("total", *PHASES):
        if key in out:
            out[key] = (min(r[0][key][0] for r in runs), min(r[0][key][1] for r in runs))
    return out, runs[-1][1], runs[-1][2]


HISTORIES = (("10 years", 10, 100_000, 2_000), ("100 years (10x)", 100, 1_000_000, 20_000))


def one_chart(notes: Path) -> dict[str, Any]:
    """The community digest's attendance chart for June 2025: the 12 months of notes it shows (through the
    parse cache and its date index), then the drawing (matplotlib, Agg, already imported: a running bot)."""
    config, digest_cfg = resolve_digest(CONFIG, "community")
    window = digest_window(config, digest_cfg, since=JUNE[0], until=JUNE[1])
    span = chart_window(window, "UTC")
    marks = [(time.perf_counter(), time.process_time())]
    meetings = load_meetings(config, notes=[str(notes)], between=(span.since.date() - dt.timedelta(days=1),
                                                                  span.until.date() + dt.timedelta(days=1)))
    marks.append((time.perf_counter(), time.process_time()))
    chart = attendance_chart(meetings, window, "UTC")
    marks.append((time.perf_counter(), time.process_time()))
    assert chart is not None
    return {"meetings": len(meetings), "png_bytes": len(chart.png),
            "notes": (marks[1][0] - marks[0][0], marks[1][1] - marks[0][1]),
            "compile": (marks[2][0] - marks[1][0], marks[2][1] - marks[1][1]),
            "total": (marks[2][0] - marks[0][0], marks[2][1] - marks[0][1])}


def matplotlib_import_seconds() -> float:
    """The one-off cost of importing matplotlib's Agg drawing in a fresh process (a bot pays it once)."""
    import subprocess

    code = ("import time; t = time.perf_counter(); import matplotlib; matplotlib.use('Agg'); "
            "from matplotlib.figure import Figure; print(time.perf_counter() - t)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results" / "digest.md")
    args = parser.parse_args()
    table: list[tuple[str, str, dict[str, Any], int, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")  # the notes parse cache, filled by the warm-up
        histories = []
        for label, years, shoutouts, releases in HISTORIES:
            started = time.perf_counter()
            database, meetings = build_history(Path(tmp) / f"h{years}.db", years, shoutouts, releases)
            print(f"built {label}: {shoutouts:,} shout-outs, {releases:,} releases, {years * 12} notes files "
                  f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            counter = Counter(database.engine)
            database.engine.dispose()  # reconnect so the progress handler is installed
            histories.append((label, database, meetings, counter))
        cases: list[tuple[str, str, Callable[[], Any], Counter]] = []
        for label, database, meetings, counter in histories:
            for kind in ("community", "technical", "celebratory"):
                cases.append((label, kind, functools.partial(one_digest, database, meetings, kind), counter))
            cases.append((label, "celebratory, plain-SQL read (comparison)",
                          functools.partial(one_digest, database, meetings, "celebratory", core_read), counter))
            cases.append((label, "baseline: notes without the date index",
                          functools.partial(notes_without_index, meetings), counter))
            cases.append((label, CHART_CASE, functools.partial(one_chart, meetings), counter))
        for _label, _kind, fn, _counter in cases:
            fn()  # warm up: parses every notes file once (the scheduler's first run does the same), templates
        runs: dict[int, list[tuple[dict[str, Any], int, int]]] = {i: [] for i in range(len(cases))}
        for _ in range(args.runs):  # interleaved, so a busy moment of the machine hits every case alike
            for i, (_label, _kind, fn, counter) in enumerate(cases):
                runs[i].append(once(fn, counter))
        for i, (label, kind, _fn, _counter) in enumerate(cases):
            table.append((label, kind, *best(runs[i])))
        work = {label: notes_work(meetings, args.runs) for label, _database, meetings, _counter in histories}
        label, database, _meetings, counter = histories[0]
        baseline = [once(functools.partial(naive, database), counter) for _ in range(max(1, args.runs // 3))]
        table.append((label, "baseline: read all shout-outs, filter in Python", *best(baseline)))
        for _label, database, _meetings, _counter in histories:
            database.close()
        imports = sorted(matplotlib_import_seconds() for _ in range(3))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = ["# Digest compile benchmark (issue 6)\n"]
    lines.append(f"Python {platform.python_version()} on {platform.machine()} ({os.cpu_count()} CPUs; load average "
                 f"{load:.1f} at the end of the run: the machine is shared with other work, so wall times vary and "
                 f"CPU times are shown too), SQLite {sqlite3.sqlite_version}; best of {args.runs} interleaved runs. "
                 "Produced by `python bench/digest.py`.\n")
    lines.append("One monthly digest (June 2025) read from the notes and the database, compiled and rendered for "
                 "Zulip. *notes* is `chatops.pipeline.load_meetings` for the window and the one before (the notes "
                 "cache with its date index, warm as in a running bot); *read* is `chatops.pipeline.load_shoutouts` "
                 "(`list_shoutouts`, through the `created_at` index) plus the window's releases; *compile* is "
                 "`build_digest`; *render* is `render_for_target(..., \"zulip\")`. *Shout-outs read* are the rows "
                 "returned; *SQLite VM steps* count the virtual-machine instructions SQLite ran for every query of "
                 "the build, a proxy for the rows it scanned.\n")
    lines.append("| history | digest | total ms (CPU ms) | notes | read | compile | render | meetings built | "
                 "shout-outs read | SQLite VM steps | queries |")
    lines.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")

    def ms(pair: tuple[float, float] | None) -> str:
        return "" if pair is None else f"{pair[0] * 1000:.0f} ({pair[1] * 1000:.0f})"

    def num(value: Any) -> str:
        return "" if value is None else f"{value:,}"

    for label, kind, row, steps, queries in table:
        lines.append(f"| {label} | {kind} | {ms(row['total'])} | {ms(row.get('notes'))} | {ms(row.get('read'))} | "
                     f"{ms(row.get('compile'))} | {ms(row.get('render'))} | {num(row.get('meetings'))} | "
                     f"{num(row.get('shoutouts'))} | {num(steps) if queries else ''} | {queries or ''} |")
    by = {(label, kind): row for label, kind, row, _s, _q in table}
    histories_labels = ("10 years", "100 years (10x)")
    kinds = ("community", "technical", "celebratory")
    small = max(by[("10 years", k)]["total"][0] for k in kinds)
    big = max(by[("100 years (10x)", k)]["total"][0] for k in kinds)
    small_cpu = max(by[("10 years", k)]["total"][1] for k in kinds)
    big_cpu = max(by[("100 years (10x)", k)]["total"][1] for k in kinds)
    base = by[("10 years", "baseline: read all shout-outs, filter in Python")]["total"][0]
    lines.append("")
    work_steps = {label: [st for lab, k, _r, st, _q in table if lab == label and k in kinds] for label in histories_labels}
    same_work = work_steps["10 years"] == work_steps["100 years (10x)"]
    flat = same_work and big_cpu / small_cpu < 1.5
    thanks = by[("10 years", "celebratory")]["shoutouts"]
    lines.append(f"- Slowest digest (celebratory, {thanks:,} thank-yous to merge and render): {small * 1000:.0f} ms "
                 f"({small_cpu * 1000:.0f} ms CPU) at 10 years, {big * 1000:.0f} ms ({big_cpu * 1000:.0f} ms CPU) at "
                 f"100 years: {big_cpu / small_cpu:.2f}x the CPU for 10x the history, with the same rows read and "
                 f"{'exactly the same' if same_work else 'different'} SQLite work. Flat: {'yes' if flat else 'NO'}.")
    verdicts = []
    for k in kinds:
        wall = max(by[(h, k)]["total"][0] for h in histories_labels)
        cpu = max(by[(h, k)]["total"][1] for h in histories_labels)
        verdicts.append(f"{k} {'yes' if wall < 0.2 else 'NO'} ({wall * 1000:.0f} ms wall, "
                        f"{'yes' if cpu < 0.2 else 'NO'} at {cpu * 1000:.0f} ms CPU)")
    lines.append("- Under 200 ms (the slower of the two histories): " + "; ".join(verdicts) + ".")
    notes_cpu = {h: min(by[(h, k)]["notes"][1] for k in kinds) for h in histories_labels}
    no_index = {h: by[(h, "baseline: notes without the date index")]["notes"][1] for h in histories_labels}
    w_small, w_big = work["10 years"], work["100 years (10x)"]
    growth = notes_cpu["100 years (10x)"] - notes_cpu["10 years"]
    stat_growth = w_big["stat"] - w_small["stat"]
    def pair(key: str, noun: str) -> str:
        a, b = f"{w_small[key]:,}", f"{w_big[key]:,}"
        return f"{a} {noun} at both sizes" if a == b else f"{a} {noun} at 10 years and {b} at 100 years"

    lines.append(
        f"- Notes phase (CPU, the fastest of the three digests): {notes_cpu['10 years'] * 1000:.1f} ms for "
        f"{w_small['files']:,} files, {notes_cpu['100 years (10x)'] * 1000:.1f} ms for {w_big['files']:,}. "
        f"`collect_notes` loaded {pair('loaded', 'documents')}, and left the other {w_small['skipped']:,} and "
        f"{w_big['skipped']:,} out, unread, with {pair('cache_reads', 'cache reads')} "
        f"({w_small['cache_bytes'] / 1000:.0f} kB and {w_big['cache_bytes'] / 1000:.0f} kB: the date index and the "
        "year group holding the windows). What "
        f"still grows with the history is the listing, a stat call per file and the date index, which has an entry "
        f"per file: {growth * 1000:.1f} ms more for {w_big['files'] - w_small['files']:,} more files, of which "
        f"{stat_growth * 1000:.1f} ms are the stat calls alone ({w_small['stat'] * 1000:.1f} ms and "
        f"{w_big['stat'] * 1000:.1f} ms, timed apart). Every file is stat-ed on every run so that an edited, new or "
        "deleted notes file shows up in the next digest: stat-ing only the documents of the window would miss, "
        "for instance, a meeting appended to a yearly archive whose indexed dates end before the window.")
    lines.append(
        f"- Baseline for the notes phase, `collect_notes` without a window (every document's cached parse loaded, "
        f"the dates filtered after): {no_index['10 years'] * 1000:.1f} ms CPU at 10 years, "
        f"{no_index['100 years (10x)'] * 1000:.1f} ms at 100 years, "
        f"{no_index['100 years (10x)'] / notes_cpu['100 years (10x)']:.1f}x the indexed figure.")
    chart_small, chart_big = by[("10 years", CHART_CASE)], by[("100 years (10x)", CHART_CASE)]
    lines.append(
        f"- Attendance chart of the community digest, measured apart (not part of the digest rows above, which build "
        f"with `chart=False`): reading the 12 months of notes it shows takes {chart_small['notes'][1] * 1000:.1f} ms "
        f"CPU at 10 years and {chart_big['notes'][1] * 1000:.1f} ms at 100 years; drawing the PNG "
        f"({chart_small['png_bytes'] / 1000:.0f} kB) with matplotlib takes {chart_small['compile'][0] * 1000:.0f} ms "
        f"({chart_small['compile'][1] * 1000:.0f} ms CPU) and {chart_big['compile'][0] * 1000:.0f} ms "
        f"({chart_big['compile'][1] * 1000:.0f} ms CPU): it does not depend on the history. Importing matplotlib "
        f"in a fresh process, once per process, takes {imports[1] * 1000:.0f} ms (median of 3). A digest with its "
        f"chart therefore costs the community row plus about {chart_small['total'][0] * 1000:.0f} ms once the "
        "library is loaded.")
    lines.append(f"- Baseline (read every shout-out, filter in Python): {base * 1000:.0f} ms at 10 years, "
                 f"{base / small:.0f}x the slowest windowed digest, and it grows with the history.")
    plain = by[("10 years", "celebratory, plain-SQL read (comparison)")]
    lines.append(f"- `list_shoutouts` reads the window with one typed SQLAlchemy Core query: "
                 f"{by[('10 years', 'celebratory')]['read'][0] * 1000:.0f} ms for the read phase of the celebratory "
                 f"digest at 10 years. The same join as plain SQL text, with no column types and the rows turned "
                 f"into values by hand, takes {plain['read'][0] * 1000:.0f} ms (a comparison, not a change made "
                 "here).")
    text = "\n".join(lines) + "\n"
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
