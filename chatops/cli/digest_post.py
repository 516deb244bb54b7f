"""``compass digest post NAME``: publish a digest now, idempotent with the scheduled run.

Without ``--period`` it publishes the latest complete period, the very (digest, period, target)
publications the scheduler would make, so posting by hand and the scheduled fire never both post.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from chatops.cli import obj
from chatops.cli.run import MOMENT, echo_outcome, parse_moment
from chatops.errors import UsageError

if TYPE_CHECKING:
    from chatops.config import Config, DigestConfig

PERIOD_HELP = (
    "Which period: 'latest' (default: the latest complete one), a date or date-time inside it "
    "(e.g. 2025-06-10: the period containing it), or an explicit 'START..END' (dates or date-times)."
)


def resolve_period(
    config: Config, digest: DigestConfig, spec: str, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """Turn ``--period`` into the [start, end) a publication is keyed by."""
    from chatops.schedules import latest_period, next_fires, period_ending

    zone = config.digest_zone(digest)
    spec = spec.strip()
    try:
        if spec == "latest":
            return latest_period(digest.schedule, zone, now, digest.window)
        if ".." in spec:
            first, _, last = spec.partition("..")
            start, end = parse_moment(first, zone), parse_moment(last, zone)
            if end <= start:
                raise UsageError(f"--period {spec!r}: the end must be after the start")
            return start, end
        inside = parse_moment(spec, zone)
    except ValueError:
        raise UsageError(f"--period {spec!r} is not understood. {PERIOD_HELP}") from None
    (until,) = next_fires(digest.schedule, zone, inside, 1)
    start, end = period_ending(digest.schedule, zone, until, digest.window)
    if end > now:
        raise UsageError(
            f"--period {spec!r}: that period ends {end.astimezone(zone):%Y-%m-%d %H:%M %Z}, which is not over yet "
            "(or give --at to act as if it were)"
        )
    return start, end


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
    from chatops.runner import Runner

    app = obj(ctx)
    config = app.config
    digest = config.digest(name)
    zone = config.digest_zone(digest)
    now = parse_moment(at, zone) if at else dt.datetime.now(dt.UTC)
    start, end = resolve_period(config, digest, period, now)
    runner = Runner(config, db_url=app.db_url)
    try:
        outcome = runner.publish(name, (start, end), dry_run=dry_run)
    finally:
        runner.close()
    echo_outcome(outcome, zone)
    if dry_run:
        for preview in outcome.preview:
            click.echo(f"\n--- {preview.title}" + (f"  (topic: {preview.topic})" if preview.topic else ""))
            click.echo(preview.body if not preview.topic else "\n\n".join(preview.messages))
        return
    if outcome.failed:
        click.echo(f"Error: {len(outcome.failed)} target(s) failed; see above", err=True)
        ctx.exit(1)
