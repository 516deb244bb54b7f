"""``compass notes parse``: meeting notes -> structured meetings, as JSON or a readable table.

Works without a configuration file. With one, the config's extra heading phrases
(``sources.headings``) apply.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from chatops.cli import obj
from chatops.errors import UsageError


@click.group()
def notes() -> None:
    """Parse meeting notes into structured meetings."""


@notes.command("parse")
@click.argument("inputs", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table", show_default=True,
              help="json: the meeting.schema.json contract; table: a readable summary.")
@click.option("--no-cache", is_flag=True, help="Parse everything again; do not read or write the cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Cache directory (default $XDG_CACHE_HOME/compass).")
@click.pass_context
def parse(ctx: click.Context, inputs: tuple[str, ...], fmt: str, no_cache: bool, cache_dir: Path | None) -> None:
    """Parse notes documents (files, directories, globs, http(s) URLs) into meetings.

    \b
    Examples:
      compass notes parse notes/2023-01-17.md --format json
      compass notes parse 'notes/*.md' https://hackmd.io/abc123/download

    With one input, --format json prints a JSON array of meetings; with several, a JSON object
    mapping each input to its array. An input that cannot be read exits with status 2.
    """
    from chatops.sources.cache import FileCache
    from chatops.sources.notes import collect_notes, spec_of

    # Start sampling CPU use now, so the wait it needs overlaps reading the inputs (see _IdleCpus).
    idle_cpus = _IdleCpus()
    app = obj(ctx)
    headings = None
    # Without a config file, do not even import the configuration code (YAML, the scheduler's
    # trigger parsing): this command is used ad hoc, and start-up is part of every run.
    if app.config_explicit or app.config_path.exists():
        config = app.load_config(required=False)
        if config is not None:
            headings = config.sources.headings or None
    cache = None if no_cache else (FileCache(cache_dir) if cache_dir else FileCache.default())
    specs = [spec_of(i) for i in inputs]
    # Parsing allocates many small objects and creates no reference cycles; the cyclic collector
    # would only rescan them (about a sixth of the parse time), so it is paused for this one batch.
    gc.disable()
    try:
        report = collect_notes(specs, cache=cache, headings=headings, workers=idle_cpus)
    finally:
        gc.enable()
    grouped = report.by_source()
    failed = {p.source for p in report.problems}

    if fmt == "json":
        arrays = {spec.name: _splice([d.contract_json for d in grouped.get(spec.name, [])]) for spec in specs}
        if len(specs) == 1:
            out = arrays[specs[0].name]
        else:
            out = b"{" + b",".join(json.dumps(name, ensure_ascii=False).encode() + b":" + arr
                                   for name, arr in arrays.items()) + b"}"
        if any(spec.name in grouped for spec in specs) or not report.problems:
            _write_bytes(out + b"\n")
    else:
        for spec in specs:
            docs = grouped.get(spec.name, [])
            if not docs and spec.name in failed:
                continue
            _table(spec.name, [m for d in docs for m in d.contract()])

    if report.problems:
        lines = [str(p) for p in report.problems]
        if len(lines) == 1:
            raise UsageError(f"cannot read notes: {lines[0]}")
        raise UsageError("cannot read some notes:\n  " + "\n  ".join(lines))


class _IdleCpus:
    """Worker processes for parsing: one, plus one per CPU idle right now (extra processes on a busy
    machine only slow it down). Measured from /proc/stat over at least 50 ms where available, else
    from the load average.

    The first sample is taken when this object is made, at the start of the command; the second
    when ``collect_notes`` asks (only when there is much to parse), after reading the inputs, so the
    time it waits for is mostly time spent reading anyway.
    """

    WINDOW = 0.05

    def __init__(self) -> None:
        self.started = time.monotonic()
        try:
            self.first: tuple[int, int] | None = _cpu_times()
        except (OSError, ValueError, IndexError):
            self.first = None

    def __call__(self) -> int:
        cpus = os.cpu_count() or 1
        if cpus == 1:
            return 1
        try:
            if self.first is None:
                raise OSError("no /proc/stat")
            wait = self.WINDOW - (time.monotonic() - self.started)
            if wait > 0:
                time.sleep(wait)
            second = _cpu_times()
            busy = (second[0] - self.first[0]) / max(1, second[1] - self.first[1])
            idle = cpus * (1.0 - busy)
        except (OSError, ValueError, IndexError):
            try:
                idle = cpus - os.getloadavg()[0]
            except OSError:
                idle = 1.0
        # This process is one worker already; each further idle CPU takes another.
        return max(1, min(8, cpus, 1 + int(idle + 0.5)))


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs, from the first line of /proc/stat."""
    with open("/proc/stat", encoding="ascii") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    total = sum(fields[:8])
    return total - idle, total


def _splice(arrays: list[bytes]) -> bytes:
    """Concatenate JSON arrays (UTF-8) without re-parsing them (cached results go straight out)."""
    inner = [a.strip()[1:-1].strip() for a in arrays]
    return b"[" + b",".join(i for i in inner if i) + b"]"


def _write_bytes(data: bytes) -> None:
    """Write UTF-8 output as is, without decoding it to text and encoding it again."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    buffer.write(data)
    buffer.flush()


def _table(name: str, meetings: list[dict[str, Any]]) -> None:
    click.secho(f"{name}: {len(meetings)} meeting(s)", bold=True)
    if not meetings:
        click.echo("  (no meetings found)")
        return
    header = ("date", "attend", "new", "celebr", "updates", "agenda", "decis", "actions", "links", "title")
    rows = [header]
    for m in meetings:
        rows.append((
            m["date"] or "?", str(len(m["attendees"])), str(len(m["newcomers"])), str(len(m["celebrations"])),
            str(len(m["updates"])), str(len(m["agenda"])), str(len(m["decisions"])), str(len(m["action_items"])),
            str(len(m["links"])), _clip(m.get("title") or "", 48),
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        click.echo("  " + "  ".join(c.ljust(w) if i in (0, 9) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    for m in meetings:
        if m["decisions"] or m["action_items"]:
            click.echo(f"  {m['date'] or '?'}:")
            for d in m["decisions"]:
                click.echo(f"    decision: {_clip(d, 100)}")
            for a in m["action_items"]:
                click.echo(f"    action:   {_clip(a, 100)}")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
