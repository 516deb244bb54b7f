"""``compass db``: create or upgrade the database schema."""

from __future__ import annotations

import click

from chatops.cli import obj
from chatops.errors import UsageError


def _url(ctx: click.Context) -> str:
    app = obj(ctx)
    if app.db_url:
        return app.db_url
    cfg = app.load_config(required=False)
    if cfg is None:
        raise UsageError(f"no configuration at {app.config_path} and no --db URL; pass one of them")
    return cfg.database_url


@click.group()
def db() -> None:
    """Create or upgrade the database schema (SQLite or PostgreSQL)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.pass_context
def upgrade_cmd(ctx: click.Context, revision: str) -> None:
    """Apply the migrations up to REVISION; rows already recorded are kept."""
    from chatops.redact import mask_password
    from chatops.storage.db import current_revision, make_engine, upgrade

    url = _url(ctx)
    engine = make_engine(url)
    before = current_revision(engine)
    upgrade(engine, revision)
    after = current_revision(engine)
    engine.dispose()
    if before == after:
        click.echo(f"{mask_password(url)}: already at revision {after}")
    else:
        click.echo(f"{mask_password(url)}: upgraded from {before or 'an empty database'} to {after}")


@db.command("current")
@click.pass_context
def current_cmd(ctx: click.Context) -> None:
    """Show the schema revision of the database and the newest one this compass knows."""
    from chatops.redact import mask_password
    from chatops.storage.db import current_revision, head_revision, make_engine

    url = _url(ctx)
    engine = make_engine(url)
    rev = current_revision(engine)
    engine.dispose()
    click.echo(f"{mask_password(url)}: revision {rev or '(none)'}; newest known: {head_revision()}")
