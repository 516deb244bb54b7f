"""What exactly-once publishing costs: publication rows, per-row locks and frozen posts, next to a bare file write.

For N periods of one weekly digest with one outbox target, the script measures, on SQLite and (when it
answers) PostgreSQL:

- baseline: writing the N Markdown files directly (no database, no lock);
- first publication: ``publish_digest`` for each period (rows, lock, 'posting', file, 'published');
- again: the same N calls when everything is published (the path every scheduled fire of every replica
  takes after the first one);
- race (PostgreSQL): 3 processes publishing the same N periods at once; each period must end up with
  one file and one published row.

Usage: python bench/publish.py [--periods 200] [--output bench/results/publish.md]
(PostgreSQL from COMPASS_TEST_PG_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test)
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import platform
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from chatops.config import parse_config
from chatops.publish.base import Post, external_id_for
from chatops.publishing import make_publisher, publish_digest
from chatops.storage.db import Database
from chatops.storage.publications import list_publications

REPO = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("COMPASS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FIRST = dt.datetime(2022, 1, 3, 9, tzinfo=dt.UTC)
BODY = "## This week\n\n" + "\n".join(f"- item {i}: something happened in the community" for i in range(40)) + "\n"


def periods(n: int) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(FIRST + dt.timedelta(weeks=i), FIRST + dt.timedelta(weeks=i + 1)) for i in range(n)]


def config_for(outbox: Path):
    return parse_config({"digests": [{"name": "weekly", "kind": "community", "schedule": "weekly monday 09:00",
                                      "targets": [{"outbox": {"directory": str(outbox)}}]}]},
                        path=outbox.parent / "compass.yaml")


def post_for(start: dt.datetime, end: dt.datetime) -> Post:
    return Post("weekly", start, end, external_id_for("weekly", start), f"Weekly digest {start:%Y-%m-%d}", BODY)


def publish_all(url: str, outbox: Path, n: int) -> float:
    config = config_for(outbox)
    digest = config.digests[0]
    database = Database.open(url)  # schema upgrades are not part of the figure
    publishers = {t.key: make_publisher(config, digest, t) for t in digest.targets}
    started = time.perf_counter()
    for start, end in periods(n):
        publish_digest(database=database, digest=digest, period=(start, end), publishers=publishers,
                       prepare=lambda target, s=start, e=end: post_for(s, e))
    elapsed = time.perf_counter() - started
    database.close()
    return elapsed


def baseline(outbox: Path, n: int) -> float:
    started = time.perf_counter()
    for start, end in periods(n):
        path = outbox / "weekly" / f"{start:%Y-%m-%d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(BODY)
            handle.flush()
            os.fsync(handle.fileno())
    return time.perf_counter() - started


def _racer(url: str, outbox: str, n: int, ready, go) -> None:
    ready.wait()
    go.wait()
    publish_all(url, Path(outbox), n)


def pg_schema_url() -> tuple[str, str] | None:
    try:
        engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with engine.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
    except Exception:  # noqa: BLE001 - no server: skip the PostgreSQL rows
        return None
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str) -> None:
    engine = sa.create_engine(PG_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--periods", type=int, default=200)
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results" / "publish.md")
    args = parser.parse_args()
    n = args.periods
    rows: list[tuple[str, str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        rows.append(("baseline: write the files directly", "-", baseline(base / "plain", n)))
        targets = [("SQLite", f"sqlite:///{base / 'compass.db'}", None)]
        pg = pg_schema_url()
        if pg is not None:
            targets.append(("PostgreSQL", pg[0], pg[1]))
        for label, url, _schema in targets:
            outbox = base / f"outbox-{label}"
            rows.append(("first publication", label, publish_all(url, outbox, n)))
            rows.append(("again (all published: no-op)", label, publish_all(url, outbox, n)))
        race_note = "PostgreSQL not reachable: race not measured"
        if pg is not None:
            race = pg_schema_url()
            assert race is not None
            outbox = base / "outbox-race"
            Database.open(race[0]).close()
            ctx = multiprocessing.get_context("fork")
            ready, go = ctx.Barrier(3 + 1), ctx.Event()
            procs = [ctx.Process(target=_racer, args=(race[0], str(outbox), n, ready, go)) for _ in range(3)]
            for p in procs:
                p.start()
            ready.wait()
            started = time.perf_counter()
            go.set()
            for p in procs:
                p.join()
            elapsed = time.perf_counter() - started
            database = Database.open(race[0], migrate=False)
            with database.session() as session:
                published = [r for r in list_publications(session=session) if r.status == "published"]
            database.close()
            files = list(outbox.rglob("*.md"))
            ok = len(published) == n and len(files) == n
            rows.append(("race: 3 processes, same periods", "PostgreSQL", elapsed))
            race_note = f"race: {len(files)} files and {len(published)} published rows for {n} periods ({'exactly once' if ok else 'WRONG'})"
            drop_schema(race[1])
            drop_schema(pg[1])
    lines = [
        "# Exactly-once publishing: cost per publication",
        "",
        (
            f"Measured by `python bench/publish.py --periods {n}` on {platform.node()} "
            f"({platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs), "
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC."
        ),
        "",
        "| case | database | total (s) | per period (ms) |",
        "| --- | --- | ---: | ---: |",
    ]
    for case, db, seconds in rows:
        lines.append(f"| {case} | {db} | {seconds:.3f} | {seconds / n * 1000:.2f} |")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines += ["", race_note, "", f"Load average when done (1, 5, 15 min): {load}; other work on the machine slows every row alike.", ""]
    text = "\n".join(lines)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
