"""``compass config``: check, show and create the configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import yaml

from chatops.cli import obj


@click.group()
def config() -> None:
    """Validate, show or create the configuration."""


@config.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="Print nothing when the configuration is valid.")
@click.option("--online", is_flag=True, help="Also try every remote source once (what `compass sources check` does).")
@click.pass_context
def check(ctx: click.Context, file: Path | None, quiet: bool, online: bool) -> None:
    """Validate FILE (default: --config) and print the effective configuration, secrets masked.

    Local sources that do not exist (a notes path or glob, a changelog file) are warned about on
    standard error. With --online, every remote source is tried too.

    Exit code 0 when valid, 2 with every problem listed when not; with --online, 1 when a source failed.
    """
    from chatops.config import load_config

    app = obj(ctx)
    path = file or app.config_path
    cfg = load_config(path, db_url=app.db_url)
    for warning in missing_local_sources(cfg):
        click.echo(f"warning: {warning}", err=True)
    if not quiet:
        click.echo(f"# {path}: valid ({len(cfg.digests)} digest(s))")
        click.echo(yaml.safe_dump(cfg.masked(), sort_keys=False, allow_unicode=True).rstrip())
    if online:
        from chatops.cli.sources import check as check_sources

        app._config = cfg
        ctx.invoke(check_sources)


def missing_local_sources(cfg: Any) -> list[str]:
    """One line per configured local source that does not exist now (a scheduled run would fail)."""
    import glob

    from chatops.sources.notes import spec_of

    out = []
    for index, item in enumerate(cfg.sources.notes):
        spec = spec_of(item, base=cfg.base_dir)
        if spec.kind == "path":
            found = glob.glob(spec.location, recursive=True) if glob.has_magic(spec.location) else (
                [spec.location] if Path(spec.location).exists() else [])
            if not found:
                out.append(f"sources.notes[{index}]: {spec.name!r} matches no file ({spec.location}); a digest "
                           "run would fail until it exists. Fix the path (relative to the configuration file).")
        elif spec.kind == "git" and "://" not in spec.location and "@" not in spec.location \
                and not Path(spec.location).exists():
            out.append(f"sources.notes[{index}]: git repository {spec.location!r} does not exist")
    for index, location in enumerate(cfg.sources.releases.changelogs):
        if "://" not in location and not cfg.resolve(location).exists():
            out.append(f"sources.releases.changelogs[{index}]: {location!r} does not exist")
    return out


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
