"""``compass digest post NAME``: publish a digest now, idempotent with the scheduled run.

Without ``--period`` it publishes the latest complete period, the very (digest, period, target)
publications the scheduler would make, so posting by hand and the scheduled fire never both post.
"""

from __future__ import annotations

import datetime as dt

import click

from chatops.cli import obj
from chatops.cli.run import MOMENT, echo_outcome
from chatops.periods import PERIOD_HELP, parse_moment


@click.command("post")
@click.argument("name")
@click.option("--period", "period", default="latest", show_default=True, help=PERIOD_HELP)
@click.option("--dry-run", is_flag=True, help="Show what would be posted where; post and record nothing.")
@click.option("--at", "at", type=MOMENT, default=None, help="Act as if now were DATETIME (for back-filling).")
@click.pass_context
def post(ctx: click.Context, name: str, period: str, dry_run: bool, at: str | None) -> None:
    """Publish digest NAME to all its targets now, exactly once per period and target.

    Running it twice, or while `compass run` fires the same period, publishes once: a target already
    published is reported as such. A target that failed before is tried again.

    Example usage:

    \b
        compass digest post community-monthly --period 2025-06-10 --dry-run
    """
    from chatops.service import Compass

    app = obj(ctx)
    config = app.config
    zone = config.digest_zone(config.digest(name))
    now = parse_moment(at, zone) if at else dt.datetime.now(dt.UTC)
    compass = Compass(config, db_url=app.db_url)
    try:
        window = compass.window(name, now, period=period)
        assert window is not None  # a --period always names a window
        outcome = compass.publish(name, window, dry_run=dry_run)
    finally:
        compass.close()
    echo_outcome(outcome, zone)
    if dry_run:
        for preview in outcome.preview:
            click.echo(f"\n--- {preview.title}" + (f"  (topic: {preview.topic})" if preview.topic else ""))
            click.echo(preview.body if not preview.topic else "\n\n".join(preview.messages))
        return
    if outcome.failed:
        click.echo(f"Error: {len(outcome.failed)} target(s) failed; see above", err=True)
        ctx.exit(1)
