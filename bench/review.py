"""The review page's first view of a draft, with 10 years of history (issue 17).

A synthetic community (``bench/digest.py``'s: 10 years of monthly notes, 100,000 shout-outs, 2,000
releases in SQLite) whose three monthly digests were each drafted, reviewed and published for 10 years: 360
reviews with their history and 720 publication rows. The latest period of the celebratory digest (the
heaviest) is drafted by a fire, as ``compass run`` does.

Each round starts a fresh process that starts the server (``chatops.health.HealthServer`` with the review
page, uvicorn on a loopback port), signs in with a single-use link, then times the first ``GET
/review/drafts/{id}`` (cold: a fresh process, the draft's HTML read from what the fire stored with it) and
ten more views (warm) on the same kept-alive connection; then, off the request path, the rendering and
storing of the draft's HTML that the fire (or an edit) does (``chatops.review.store_html``, cold).

Baselines, measured in the same run: the first view of a draft whose HTML was not stored (the stored rows
deleted first: the page renders the Markdown, once per text shown, as it did before HTML was stored, and
stores it); the same digest rendered by the CLI (``compass digest preview``, a whole process, as an admin
would run it) and in-process by ``Compass.preview`` (compile and render).

Target: the first view under 300 ms.

Usage: python bench/review.py [--rounds 5] [--output bench/results/review.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

UTC = dt.UTC
END = dt.datetime(2025, 7, 1, tzinfo=UTC)  # bench/digest.py's history ends here
KINDS = ("community", "technical", "celebratory")
DIGESTS = ("community", "celebratory")  # a typical draft, and the largest (821 shout-outs in the month)
ANN = "ann@example.org"


def config_data(db: Path, notes: Path) -> dict[str, Any]:
    return {
        "community": {"name": "Bench", "timezone": "UTC"},
        "zulip": {"site": "https://chat.example.org", "email": "bot@example.org"},
        "discourse": {"url": "https://forum.example.org", "api_username": "compass", "category": "News"},
        "sources": {"notes": [str(notes)]},
        "server": {},  # the signing key comes from COMPASS_WEB_SECRET (main), never the file
        "storage": {"url": f"sqlite:///{db}"},
        "digests": [{"name": k, "kind": k, "schedule": "monthly 1 00:00",
                     "targets": [{"zulip": {"stream": "general"}}, {"discourse": {}}],
                     "review": {"mode": "approve", "reviewers": [ANN]}} for k in KINDS],
    }


def add_review_history(db: Path, years: int) -> None:
    """10 years of drafted, reviewed and published periods for each digest (rows as the real code writes them)."""
    raw = sqlite3.connect(db)
    body = "# A past digest\n\n" + "\n".join(f"- item {i}: thanks to someone for something" for i in range(40))
    review_id = 0
    for kind in KINDS:
        for m in range(1, years * 12 + 1):
            y, mo = divmod(END.year * 12 + END.month - 1 - m, 12)
            start = dt.datetime(y, mo + 1, 1)
            y2, mo2 = divmod(y * 12 + mo + 1, 12)
            end = dt.datetime(y2, mo2 + 1, 1)
            review_id += 1
            stamp = lambda d: d.isoformat(sep=" ")  # SQLite stores naive UTC
            raw.execute(
                "INSERT INTO reviews (id, digest, period_start, period_end, mode, state, created_at, due_at, "
                "remind_at, notified_at, decided_by, decided_at, original, edited, version) "
                "VALUES (?, ?, ?, ?, 'approve', 'approved', ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                (review_id, kind, stamp(start), stamp(end), stamp(end), stamp(end + dt.timedelta(days=3)),
                 stamp(end + dt.timedelta(days=1)), stamp(end), ANN, stamp(end + dt.timedelta(hours=5)), body,
                 body + "\nEdited.\n"))
            for action, text in (("drafted", body), ("edited", body + "\nEdited.\n"), ("approved", None)):
                raw.execute("INSERT INTO review_events (review_id, at, who, action, body) VALUES (?, ?, ?, ?, ?)",
                            (review_id, stamp(end), ANN if action != "drafted" else "compass", action, text))
            for target in ("zulip:general", "discourse:"):
                raw.execute(
                    "INSERT INTO publications (digest, period_start, period_end, target, status, attempts, "
                    "created_at, published_at, remote_ref) VALUES (?, ?, ?, ?, 'published', 1, ?, ?, ?)",
                    (kind, stamp(start), stamp(end), target, stamp(end), stamp(end + dt.timedelta(hours=5)),
                     json.dumps({"ref": {"id": m}, "url": None, "found": False})))
    raw.commit()
    raw.execute("ANALYZE")
    raw.close()


def build(tmp: Path) -> tuple[Path, dict[str, int]]:
    """The history, the config file, and the drafts of the latest period; the config path and the draft ids."""
    import yaml
    from digest import build_history  # bench/digest.py

    from chatops.config import load_config
    from chatops.service import Compass

    database, notes = build_history(tmp / "bench.db", 10, 100_000, 2_000)
    database.close()
    add_review_history(tmp / "bench.db", 10)
    path = tmp / "compass.yaml"
    path.write_text(yaml.safe_dump(config_data(tmp / "bench.db", notes)), encoding="utf-8")
    compass = Compass(load_config(path), clock=lambda: END + dt.timedelta(minutes=1), notifier=lambda *a: None)
    try:
        ids = {}
        for name in DIGESTS:
            outcome = compass.fire(name, END)
            assert outcome is not None and all(t.status == "draft" for t in outcome.targets), outcome
            ids[name] = compass.find_draft(name).id
        return path, ids
    finally:
        compass.close()


def child(config: Path, review_id: int, views: int, unstored: bool = False) -> dict[str, Any]:
    """In a fresh process: start the page, sign in, time the first and the following views of the draft
    (``unstored``: after deleting its stored HTML, so that the page renders it)."""
    started = time.perf_counter()
    import httpx
    import sqlalchemy as sa

    from chatops.config import load_config
    from chatops.health import HealthServer, Metrics
    from chatops.review import Reviewer, store_html
    from chatops.service import Compass
    from chatops.web.app import create_app

    compass = Compass(load_config(config))
    database = compass.open()
    with database.engine.begin() as connection:
        stored = connection.execute(sa.text("SELECT count(*) FROM review_html WHERE review_id = :id"),
                                    {"id": review_id}).scalar_one()
        if unstored:
            connection.execute(sa.text("DELETE FROM review_html WHERE review_id = :id"), {"id": review_id})
        else:
            assert stored > 0, "the fire stored no HTML for the draft"
    server = HealthServer(Metrics(), check=lambda: {"database": "ok"}, port=0, review=create_app(compass)).start()
    compass.page_url = server.url
    ready = time.perf_counter() - started
    try:
        with httpx.Client(follow_redirects=True, timeout=30) as client:
            signed = client.get(compass.sign_in_link(Reviewer(email=ANN)))
            assert signed.status_code == 200, signed.text
            url = f"{server.url}/review/drafts/{review_id}"
            t0, c0 = time.perf_counter(), time.process_time()
            first = client.get(url)
            first_ms = (time.perf_counter() - t0) * 1000
            first_cpu = (time.process_time() - c0) * 1000  # server and client share this process
            assert first.status_code == 200 and "As it will look" in first.text, first.status_code
            warm = []
            for _ in range(views):
                t0 = time.perf_counter()
                page = client.get(url)
                warm.append((time.perf_counter() - t0) * 1000)
                assert page.status_code == 200
            t0 = time.perf_counter()
            listing = client.get(f"{server.url}/review/")
            list_ms = (time.perf_counter() - t0) * 1000
            assert listing.status_code == 200
        draft = compass.get_draft(review_id)
        assert draft is not None
        store_ms = store_cpu = preview_ms = 0.0
        if not unstored:
            t0, c0 = time.perf_counter(), time.process_time()
            store_html(compass, draft)  # what the fire did (Markdown rendered afresh: nothing cached in this process)
            store_ms, store_cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
            t0 = time.perf_counter()
            post = compass.preview(draft.digest, draft.window)
            preview_ms = (time.perf_counter() - t0) * 1000
            assert post is not None
        return {"first": first_ms, "first_cpu": first_cpu, "warm": warm, "list": list_ms, "preview": preview_ms,
                "ready": ready * 1000, "bytes": len(first.content), "chars": len(draft.text), "store": store_ms,
                "store_cpu": store_cpu, "stored_rows": stored}
    finally:
        server.stop()
        compass.close()


def _machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine so far, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    return (after[0] - before[0]) / max(1, after[1] - before[1])


def cli_preview(config: Path, name: str) -> float:
    """Wall ms of `compass digest preview` for the same digest and period, a whole process."""
    exe = Path(sys.executable).parent / "compass"
    t0 = time.perf_counter()
    done = subprocess.run([str(exe), "--config", str(config), "digest", "preview", name, "--since", "2025-06-01",
                           "--until", "2025-07-01"], capture_output=True, text=True, check=False)
    wall = (time.perf_counter() - t0) * 1000
    assert done.returncode == 0, done.stderr
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--views", type=int, default=10)
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results" / "review.md")
    parser.add_argument("--child", nargs=2, metavar=("CONFIG", "REVIEW_ID"), help=argparse.SUPPRESS)
    parser.add_argument("--unstored", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # Secrets never go in the configuration file (it refuses them); the child processes inherit these.
    os.environ.setdefault("ZULIP_API_KEY", "unused")
    os.environ.setdefault("COMPASS_WEB_SECRET", "bench-signing-key")
    if args.child:
        print(json.dumps(child(Path(args.child[0]), int(args.child[1]), args.views, args.unstored)))
        return
    load_at_start = os.getloadavg()[0]
    cpu_at_start = _machine_cpu()
    pages: dict[str, list[dict[str, Any]]] = {name: [] for name in DIGESTS}
    unstored: dict[str, list[dict[str, Any]]] = {name: [] for name in DIGESTS}
    clis: dict[str, list[float]] = {name: [] for name in DIGESTS}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        print("building 10 years of history ...", file=sys.stderr)
        config, ids = build(tmp)
        for round_ in range(args.rounds):  # interleaved: a page process and a CLI process per digest
            for name in DIGESTS:
                # The baseline first (it stores the HTML again, as the page does when it finds none).
                out = subprocess.run([sys.executable, __file__, "--views", str(args.views), "--unstored", "--child",
                                      str(config), str(ids[name])], capture_output=True, text=True, check=True)
                unstored[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
                out = subprocess.run([sys.executable, __file__, "--views", str(args.views), "--child", str(config),
                                      str(ids[name])], capture_output=True, text=True, check=True)
                pages[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
                clis[name].append(cli_preview(config, name))
                print(f"round {round_ + 1} {name}: first view {pages[name][-1]['first']:.0f} ms "
                      f"(unstored {unstored[name][-1]['first']:.0f} ms), CLI {clis[name][-1]:.0f} ms", file=sys.stderr)
    load = os.getloadavg()[0]
    busy = _busy_share(cpu_at_start, _machine_cpu())
    rows = []
    for name in DIGESTS:
        runs = pages[name]

        def stats(values: list[float]) -> str:
            return f"{min(values):.0f} | {statistics.median(values):.0f} | {max(values):.0f}"

        label = f"{name} ({runs[0]['chars']:,} characters of Markdown, page {runs[0]['bytes']:,} bytes)"
        rows += [
            f"| {label} | **page: first view of the draft** (fresh process) | {stats([r['first'] for r in runs])} |",
            (f"| {label} | page: first view, CPU time (server and client, one process) | "
             f"{stats([r['first_cpu'] for r in runs])} |"),
            (f"| {label} | page: later views ({args.views} per round, same connection) | "
             f"{stats([w for r in runs for w in r['warm']])} |"),
            (f"| {label} | off the request path: rendering and storing the draft's HTML (the fire, an edit) | "
             f"{stats([r['store'] for r in runs])} |"),
            (f"| {label} | the same, CPU time | {stats([r['store_cpu'] for r in runs])} |"),
            (f"| {label} | baseline: first view with no stored HTML (rendered on demand, as before; fresh process) | "
             f"{stats([r['first'] for r in unstored[name]])} |"),
            (f"| {label} | baseline: the same, CPU time | {stats([r['first_cpu'] for r in unstored[name]])} |"),
            f"| {label} | page: list of drafts and recent publications | {stats([r['list'] for r in runs])} |",
            f"| {label} | baseline: `compass digest preview`, whole CLI process | {stats(clis[name])} |",
            (f"| {label} | baseline: `Compass.preview` in process (compile + render) | "
             f"{stats([r['preview'] for r in runs])} |"),
        ]
    verdicts = "; ".join(
        f"{name}: worst first view {max(r['first'] for r in pages[name]):.0f} ms wall "
        f"({'met' if max(r['first'] for r in pages[name]) < 300 else 'NOT met'}), median "
        f"{statistics.median(r['first'] for r in pages[name]):.0f} ms, worst CPU "
        f"{max(r['first_cpu'] for r in pages[name]):.0f} ms" for name in DIGESTS)
    lines = [
        "# Review page benchmark (issue 17)",
        "",
        (f"Python {platform.python_version()} on {platform.machine()} ({os.cpu_count()} CPUs, shared with other "
         f"work: 1-minute load average {load_at_start:.1f} at the start and {load:.1f} at the end, the CPUs "
         f"{busy:.0%} busy over the run (this benchmark included), so wall times vary and CPU times are shown too), "
         f"SQLite; {args.rounds} interleaved rounds, each page view a fresh process. Produced by "
         "`python bench/review.py`."),
        "",
        ("History: 10 years of monthly notes, 100,000 shout-outs, 2,000 releases (bench/digest.py's community), "
         "and three monthly digests drafted, reviewed and published for 10 years (360 reviews with 1,080 history "
         "events, 720 publication rows). The drafts are June 2025's community digest (a typical one) and "
         "celebratory digest (the largest: every shout-out of the month), each targeting Zulip and Discourse."),
        "",
        "| draft | what | min ms | median ms | max ms |",
        "| --- | --- | ---: | ---: | ---: |",
        *rows,
        "",
        (f"Target: first view under 300 ms. {verdicts}. The page reads the frozen draft and never compiles the "
         "digest, so the history's size does not reach it. Rendering the draft's Markdown (markdown-it-py, once "
         "per text shown) grows with the digest's own length; it is done when the draft is made or edited and "
         "stored with it, so the first view only reads the HTML (the baseline rows show the page rendering it "
         "on demand). The CLI compiles the digest from the notes and the database."),
        "",
    ]
    args.output.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
