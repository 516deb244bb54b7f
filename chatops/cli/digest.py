"""``compass digest``: preview a digest exactly as it would be posted (``post`` is added when available)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from chatops.cli import obj
from chatops.errors import UsageError

if TYPE_CHECKING:
    from chatops.config import Config
    from chatops.storage.db import Database


@click.group()
def digest() -> None:
    """Preview or post digests."""


def _open_database(url: str) -> Database | None:
    """The database to read shout-outs from, opened read-only in spirit: no schema upgrade, no new file."""
    from chatops.storage.db import Database

    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not Path(path).exists():
            click.echo(f"note: no database at {path}; the digest has no shout-outs", err=True)
            return None
    return Database.open(url, migrate=False)


def _database_url(config: Config | None, explicit: str | None) -> str | None:
    if explicit:
        return explicit
    if config is not None:
        return config.database_url
    return None


@digest.command("preview")
@click.argument("name_or_kind")
@click.option("--notes", "notes", multiple=True, metavar="PATH_OR_URL",
              help="Notes file, directory, glob or URL; replaces the configured note sources (repeatable).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First day of the window (YYYY-MM-DD, in the digest's time zone).")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Day after the window (YYYY-MM-DD, exclusive). Default: the latest complete period.")
@click.option("--target", type=click.Choice(["zulip", "discourse", "plain"]), default="plain", show_default=True,
              help="Render for this platform (its limits, mentions and emoji).")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True,
              help="markdown: the text; json: exactly what would be sent.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE instead of standard output.")
@click.pass_context
def preview(
    ctx: click.Context,
    name_or_kind: str,
    notes: tuple[str, ...],
    since: dt.datetime | None,
    until: dt.datetime | None,
    target: str,
    fmt: str,
    output: Path | None,
) -> None:
    """Compile and render the digest NAME_OR_KIND (a configured digest name, or community / technical /
    celebratory) without posting it anywhere.

    Shout-outs come from the database (--db or storage.url); nothing is written to a chat, a forum or the
    publication records.

    Example usage:

        compass digest preview community --notes notes/ --since 2025-01-01 --until 2025-07-01 --target zulip --format json
    """
    from chatops.periods import explicit
    from chatops.pipeline import build_digest, render_for_target, resolve_digest
    from chatops.publish.base import has_images, place_images
    from chatops.publish.outbox import picture_path

    app = obj(ctx)
    config = app.load_config(required=False)
    config, digest_cfg = resolve_digest(config, name_or_kind)
    window = explicit(
        config,
        digest_cfg,
        since=since.date() if since else None,
        until=until.date() if until else None,
        now=dt.datetime.now(dt.UTC),
    )
    url = _database_url(app._config, app.db_url)
    database = _open_database(url) if url else None
    try:
        compiled = build_digest(config, digest_cfg, window, database=database, notes=list(notes) if notes else None)
    finally:
        if database is not None:
            database.close()
    rendered = render_for_target(config, digest_cfg, compiled, target)  # type: ignore[arg-type]
    if compiled.empty:
        click.echo(
            f"note: the {digest_cfg.name} digest for {compiled.period} is empty"
            + ("; publishing would skip it (skip_if_empty)" if digest_cfg.skip_if_empty else ""),
            err=True,
        )
    if fmt == "json":
        text = json.dumps(rendered.payload(), ensure_ascii=False, indent=2) + "\n"
    elif rendered.target == "zulip":
        text = "\n\n".join(rendered.messages) + "\n"
    elif rendered.target == "discourse":
        text = (rendered.raw or "") + "\n"
    else:
        text = rendered.text or ""
    chart = compiled.chart
    picture = None
    if fmt == "markdown" and chart is not None and has_images(text):
        # The chart's place holds a placeholder until a publisher uploads it: beside --output the picture is
        # written as a file and the text points to it; on the terminal the line is left out, with a note.
        picture = picture_path(output, chart.name) if output is not None else None
        text = place_images(text, {chart.name: picture.name if picture is not None else None})
        if picture is None:
            click.echo("note: the attendance chart is left out here; with --output FILE it is written beside FILE",
                       err=True)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
            if picture is not None and chart is not None:
                picture.write_bytes(chart.png)
        except OSError as exc:
            raise UsageError(f"cannot write {str(exc.filename or output)!r}: {exc.strerror}") from None
        click.echo(f"wrote {output}" + (f" and {picture}" if picture is not None else ""), err=True)
        return
    if fmt == "markdown" and sys.stdout.isatty():
        _show(rendered)
        return
    click.echo(text, nl=False)


def _show(rendered: object) -> None:
    """Render in the terminal with rich: a rule per message, so Zulip splits are visible."""
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.rule import Rule

    from digests.render import Rendered

    assert isinstance(rendered, Rendered)
    console = Console()
    if rendered.target == "zulip":
        total = len(rendered.messages)
        for index, message in enumerate(rendered.messages, 1):
            label = f"#{rendered.stream or '(no stream)'} > {rendered.topic}"
            console.print(Rule(label + (f"  message {index}/{total}" if total > 1 else "")))
            console.print(Markdown(message))
        return
    console.print(Rule(rendered.title))
    console.print(Markdown((rendered.raw if rendered.target == "discourse" else rendered.text) or ""))


try:
    from chatops.cli.digest_post import post

    digest.add_command(post)
except ImportError:
    pass
