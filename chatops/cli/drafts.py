"""``compass drafts list|show|approve|hold|skip``: the review of drafted digests, for scripts and for
communities without Zulip. The same ``Compass`` methods answer the chat commands and the review page.

Without ``--as`` an action is recorded as the local login (``cli:NAME``): whoever runs compass on the
host holds its database anyway. With ``--as EMAIL`` (or a Zulip user id) it must be one of the digest's
reviewers.
"""

from __future__ import annotations

import datetime as dt
import getpass
from typing import TYPE_CHECKING

import click

from chatops.cli import obj
from chatops.periods import PERIOD_HELP

if TYPE_CHECKING:
    from chatops.review import ReviewAnswer, Reviewer
    from chatops.service import Compass

AS_HELP = "Act as this reviewer: a Zulip email or user id (default: the local login, recorded as cli:LOGIN)."


def _who(as_: str | None) -> Reviewer:
    from chatops.review import Reviewer

    if as_ is None:
        try:
            login = getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name: still recorded as the command line
            login = "operator"
        return Reviewer(local=login)
    text = as_.strip()
    return Reviewer(user_id=int(text)) if text.isdigit() else Reviewer(email=text)


def _compass(ctx: click.Context) -> Compass:
    from chatops.service import Compass

    app = obj(ctx)
    return Compass(app.config, db_url=app.db_url)


def _when(compass: Compass, name: str, moment: dt.datetime | None) -> str:
    if moment is None:
        return "-"
    zone = compass.config.digest_zone(compass.config.digest(name))
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M %Z}"


@click.group("drafts")
def drafts() -> None:
    """Review drafted digests: list, show, approve, hold or skip them.

    Example usage:

    \b
        compass drafts list
        compass drafts show community-monthly
        compass drafts approve community-monthly --as ann@example.org
    """


@drafts.command("list")
@click.argument("name", required=False)
@click.option("--open", "open_only", is_flag=True, help="Only drafts still waiting or held.")
@click.pass_context
def list_(ctx: click.Context, name: str | None, open_only: bool) -> None:
    """List drafts, newest period first."""
    compass = _compass(ctx)
    try:
        if name is not None:
            compass.digest(name)
        found = compass.drafts(name, open_only=open_only)
        if not found:
            click.echo("no drafts" + (" waiting" if open_only else "") + "; digests with `review:` are drafted when they fire")
            return
        for draft in found:
            zone = compass.config.digest_zone(compass.config.digest(draft.digest)) if any(
                d.name == draft.digest for d in compass.config.digests) else dt.UTC
            period = f"{draft.window.since.astimezone(zone):%Y-%m-%d} to {draft.window.until.astimezone(zone):%Y-%m-%d}"
            due = f"due {_when(compass, draft.digest, draft.due_at)}" if draft.open else f"by {draft.decided_by}"
            edited = ", edited" if draft.edited is not None else ""
            click.echo(f"#{draft.id}  {draft.digest}  {period}  {draft.state} ({draft.mode}{edited}), {due}")
    finally:
        compass.close()


@drafts.command("show")
@click.argument("name")
@click.option("--period", default=None, help=PERIOD_HELP)
@click.pass_context
def show(ctx: click.Context, name: str, period: str | None) -> None:
    """Show a draft: its state, targets, text (as it would be published) and history."""
    compass = _compass(ctx)
    try:
        draft = compass.find_draft(name, period)
        click.echo(f"#{draft.id} {draft.title}: {draft.state} ({draft.mode})")
        click.echo(f"  period: {_when(compass, name, draft.window.since)} to {_when(compass, name, draft.window.until)}")
        if draft.open:
            click.echo(f"  {'published' if draft.mode == 'veto' else 'expires'}: {_when(compass, name, draft.due_at)}")
        elif draft.decided_by:
            click.echo(f"  {draft.state} by {draft.decided_by} at {_when(compass, name, draft.decided_at)}"
                       + (f": {draft.reason}" if draft.reason else ""))
        for key, status, _ in draft.posts:
            click.echo(f"  {key}: {status}")
        for event in compass.history(draft.id):
            note = f": {event.note}" if event.note else ""
            click.echo(f"  {_when(compass, name, event.at)}  {event.who}  {event.action}{note}")
        click.echo("")
        click.echo(draft.text.rstrip())
    finally:
        compass.close()


def _act(ctx: click.Context, answer: ReviewAnswer) -> None:
    click.echo(answer.message)
    if answer.outcome is not None and answer.outcome.failed:
        ctx.exit(1)
    if not answer.changed and answer.message.startswith("Sorry"):
        ctx.exit(2)


@drafts.command("approve")
@click.argument("name")
@click.option("--period", default=None, help=PERIOD_HELP)
@click.option("--as", "as_", default=None, metavar="EMAIL", help=AS_HELP)
@click.pass_context
def approve(ctx: click.Context, name: str, period: str | None, as_: str | None) -> None:
    """Approve NAME's draft (the newest waiting one, or --period's) and publish it to every target."""
    compass = _compass(ctx)
    try:
        _act(ctx, compass.approve(name, _who(as_), period=period))
    finally:
        compass.close()


@drafts.command("hold")
@click.argument("name")
@click.option("--period", default=None, help=PERIOD_HELP)
@click.option("--as", "as_", default=None, metavar="EMAIL", help=AS_HELP)
@click.option("--reason", default=None, help="Why, for the history.")
@click.pass_context
def hold(ctx: click.Context, name: str, period: str | None, as_: str | None, reason: str | None) -> None:
    """Hold NAME's draft: a veto draft is then not published when its window ends."""
    compass = _compass(ctx)
    try:
        _act(ctx, compass.hold(name, _who(as_), period=period, reason=reason))
    finally:
        compass.close()


@drafts.command("skip")
@click.argument("name")
@click.option("--period", default=None, help=PERIOD_HELP)
@click.option("--as", "as_", default=None, metavar="EMAIL", help=AS_HELP)
@click.option("--reason", default=None, help="Why this period is skipped (recorded with who and when).")
@click.pass_context
def skip(ctx: click.Context, name: str, period: str | None, as_: str | None, reason: str | None) -> None:
    """Skip NAME's draft: nothing is published for that period."""
    compass = _compass(ctx)
    try:
        _act(ctx, compass.skip(name, _who(as_), period=period, reason=reason))
    finally:
        compass.close()
