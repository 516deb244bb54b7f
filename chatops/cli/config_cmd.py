"""``compass config``: check, show and create the configuration."""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from chatops.cli import obj


@click.group()
def config() -> None:
    """Validate, show or create the configuration."""


@config.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="Print nothing when the configuration is valid.")
@click.pass_context
def check(ctx: click.Context, file: Path | None, quiet: bool) -> None:
    """Validate FILE (default: --config) and print the effective configuration, secrets masked.

    Exit code 0 when valid, 2 with every problem listed when not.
    """
    from chatops.config import load_config

    app = obj(ctx)
    path = file or app.config_path
    cfg = load_config(path, db_url=app.db_url)
    if quiet:
        return
    click.echo(f"# {path}: valid ({len(cfg.digests)} digest(s))")
    click.echo(yaml.safe_dump(cfg.masked(), sort_keys=False, allow_unicode=True).rstrip())


@config.command("init")
@click.argument("directory", required=False, default="config", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing compass.yaml (keeping a .bak copy).")
def init(directory: Path, force: bool) -> None:
    """Write a commented starter configuration (DIRECTORY/compass.yaml, default config/).

    It validates as written and runs on the embedded defaults: SQLite and a file outbox under
    DIRECTORY/var, and the bundled example notes copied to DIRECTORY/notes.
    """
    from chatops.starter import write_starter

    written = write_starter(directory, force=force)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"Next: compass --config {directory / 'compass.yaml'} config check")
