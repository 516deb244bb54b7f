"""``compass notes parse``: meeting notes -> structured meetings, as JSON or a readable table.

Works without a configuration file. With one, the config's extra heading phrases
(``sources.headings``) apply.
"""

from __future__ import annotations

import gc
import json
import os
import sys
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
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Processes that parse a large batch of notes (default: one per available CPU, at most 8).")
@click.pass_context
def parse(ctx: click.Context, inputs: tuple[str, ...], fmt: str, no_cache: bool, cache_dir: Path | None,
          workers: int | None) -> None:
    """Parse notes documents (files, directories, globs, http(s) URLs) into meetings.

    \b
    Examples:
      compass notes parse notes/2023-01-17.md --format json
      compass notes parse 'notes/*.md' https://hackmd.io/abc123/download

    With one input, --format json prints a JSON array of meetings; with several, a JSON object
    mapping each input to its array. An input that cannot be read exits with status 2.
    """
    # Reading notes allocates many small objects and creates no reference cycles: the cyclic collector
    # would only rescan them (about a sixth of the parse time, and again for every object the imports,
    # the decoded JSON and the merge make), so it is paused for this one command.
    gc.disable()
    try:
        _parse(ctx, inputs, fmt, no_cache, cache_dir, workers)
    finally:
        gc.enable()


def _parse(ctx: click.Context, inputs: tuple[str, ...], fmt: str, no_cache: bool, cache_dir: Path | None,
           workers: int | None) -> None:
    from chatops.sources.cache import FileCache
    from chatops.sources.notes import collect_notes, spec_of
    from digests.notes import read_source

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
    report = collect_notes(specs, cache=cache, headings=headings, workers=workers or _available_cpus)
    grouped = report.by_source()
    failed = {p.source for p in report.problems}

    # A source of several documents is read together (merged meetings, its template text taken out), in
    # contract form: decoding the contract JSON is much cheaper than rebuilding the Meeting values. Each
    # document's JSON is decoded once, for the reading and the warnings alike.
    contracts = {name: [(d.document, d.contract()) for d in docs] for name, docs in grouped.items()}
    readings = {name: read_source(documents) for name, documents in contracts.items() if len(documents) > 1}
    for documents in contracts.values():
        for _, meetings in documents:
            for warning in _warnings(meetings):
                click.echo(f"warning: {warning}", err=True)

    if fmt == "json":
        # A source of several documents is read together (merged meetings, its template text taken out);
        # a single document's JSON goes out as parsed (or as cached).
        arrays = {spec.name: (_dump(readings[spec.name].meetings)
                              if spec.name in readings else
                              _splice([d.contract_json for d in grouped.get(spec.name, [])]))
                  for spec in specs}
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
            reading = readings.get(spec.name)
            if reading is not None:
                _table(spec.name, reading.meetings, reading.template)
            else:
                _table(spec.name, [m for _, meetings in contracts.get(spec.name, []) for m in meetings], [])

    if report.problems:
        lines = [str(p) for p in report.problems]
        if len(lines) == 1:
            raise UsageError(f"cannot read notes: {lines[0]}")
        raise UsageError("cannot read some notes:\n  " + "\n  ".join(lines))


def _available_cpus() -> int:
    """Worker processes for a large parse: one per CPU this process may run on, at most 8.

    Parsing is CPU-bound, and on a shared machine the kernel gives each runnable process its share:
    measured on 2 cores with 1 and with 2 other busy processes, 2 workers finished in 56% and 67% of
    the time 1 took. (Counting only the CPUs idle at start-up chose 1 worker there.)
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(8, cpus))


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


def _dump(meetings: list[dict[str, Any]]) -> bytes:
    from pydantic_core import to_json  # loaded already by the parser

    return to_json(meetings)  # compact UTF-8, as the parser's own JSON (pydantic-core: 3x json.dumps)


def _warnings(meetings: list[dict[str, Any]]) -> list[str]:
    """The parser's warnings for a document's meetings (dates that disagree), once each."""
    out: list[str] = []
    for meeting in meetings:
        for warning in meeting.get("warnings") or ():
            if warning not in out:
                out.append(warning)
    return out


def _table(name: str, meetings: list[dict[str, Any]], template: list[str]) -> None:
    click.secho(f"{name}: {len(meetings)} meeting(s)", bold=True)
    if template:
        click.echo(f"  template text recognised ({len(template)}), left out of every meeting:")
        for line in template:
            click.echo(f"    {_clip(line, 100)}")
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
        documents = m.get("documents") or []
        if len(documents) > 1:
            click.echo(f"  {m['date'] or '?'}: one meeting kept in {len(documents)} documents, merged: "
                       + ", ".join(documents))
        if m.get("cancelled"):
            click.echo(f"  {m['date'] or '?'}: cancelled (the notes say it did not take place)")
    for m in meetings:
        if m["decisions"] or m["action_items"]:
            click.echo(f"  {m['date'] or '?'}:")
            for d in m["decisions"]:
                click.echo(f"    decision: {_clip(d['text'], 100)}")
                if d.get("topic"):
                    click.echo(f"      topic:  {_clip(d['topic'], 98)}")
            for a in m["action_items"]:
                mark = "[x] " if a.get("done") else ""
                owner = f" ({a['owner']})" if a.get("owner") else ""
                click.echo(f"    action:   {mark}{_clip(a['text'], 100)}{owner}")
                if a.get("topic"):
                    click.echo(f"      topic:  {_clip(a['topic'], 98)}")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
