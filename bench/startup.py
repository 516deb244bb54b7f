"""Start-up cost of the CLI: `compass --help` and `compass config check`, next to `import typer`.

Each command runs 10 times in a fresh interpreter; the script prints the median wall time and the peak
RSS of the child (from wait4), next to the baselines measured in the same run:

- `python -c "import typer"`: what a typical click/typer CLI pays before doing anything;
- `python -c "import <the whole stack>"`: what `compass --help` would cost if it imported everything eagerly.

Target (issue 3): `compass --help` at most 0.3 s here.

Usage: python bench/startup.py [--runs 10] [--output bench/results/startup.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EAGER = "import chatops.config, chatops.storage.db, sqlmodel, alembic.command, zulip, pydiscourse, apscheduler.schedulers.background, httpx, jinja2, rich"


def measure(argv: list[str], runs: int) -> tuple[float, float]:
    """Median wall seconds and max peak RSS (MiB) over ``runs`` runs."""
    times, rss = [], []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - start)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(argv)} failed with {os.waitstatus_to_exitcode(status)}")
        rss.append(usage.ru_maxrss / 1024)
    return statistics.median(times), max(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results" / "startup.md")
    args = parser.parse_args()

    compass = shutil.which("compass", path=str(Path(sys.executable).parent)) or "compass"
    cases = [
        ("compass --help", [compass, "--help"]),
        ("compass config check", [compass, "--config", "config/compass.yaml", "config", "check", "-q"]),
        ("baseline: python -c 'import typer'", [sys.executable, "-c", "import typer"]),
        ("baseline: import the whole stack eagerly", [sys.executable, "-c", EAGER]),
        ("baseline: python -c 'pass'", [sys.executable, "-c", "pass"]),
    ]
    for _, argv in cases:  # warm the page cache and .pyc files
        subprocess.run(argv, cwd=REPO, capture_output=True, check=False)
    rows = []
    for label, argv in cases:
        median, peak = measure(argv, args.runs)
        rows.append((label, median, peak))
        print(f"{label:45s} median {median * 1000:7.1f} ms   peak RSS {peak:6.1f} MiB", flush=True)

    help_time = rows[0][1]
    verdict = "met" if help_time <= 0.3 else "NOT met"
    lines = [
        "# Start-up benchmark (bench/startup.py)",
        "",
        (
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"{args.runs} runs each, median wall time; peak RSS of the child process."
        ),
        "",
        "| command | median wall time | peak RSS |",
        "| --- | ---: | ---: |",
        *[f"| {label} | {median * 1000:.1f} ms | {peak:.1f} MiB |" for label, median, peak in rows],
        "",
        f"Target: `compass --help` at most 300 ms: {verdict} ({help_time * 1000:.1f} ms).",
        "",
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.output.relative_to(REPO) if args.output.is_relative_to(REPO) else args.output}")


if __name__ == "__main__":
    main()
