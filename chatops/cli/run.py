"""``compass run``, ``compass schedule`` and ``compass reload``.

``compass reload`` finds the running bot through its health server: it sends ``POST /-/reload`` to
``server.host``:``server.port`` (the port ``compass run --port`` was given, if any), which answers from
loopback only. ``--pid PID`` sends SIGHUP to that process instead (for a bot run with the server off).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from chatops.cli import obj
from chatops.errors import UsageError
from chatops.periods import parse_moment

if TYPE_CHECKING:
    from chatops.config import Config
    from chatops.publishing import DigestOutcome
    from chatops.runner import Runner


class MomentType(click.ParamType):  # type: ignore[type-arg]
    """An ISO date or date-time; without a zone it is read in the community's time zone."""

    name = "DATETIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        try:
            dt.datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{text!r} is not a date or date-time; use e.g. 2025-06-03 or 2025-06-03T17:30 or 2025-06-03T16:30Z", param, ctx)
        return text


MOMENT = MomentType()


def community_zone(config: Config) -> ZoneInfo:
    return ZoneInfo(config.community.timezone)


def echo_outcome(outcome: DigestOutcome, zone: dt.tzinfo) -> None:
    for line in outcome.lines(zone):
        click.echo(line)


def echo_outbox_files(outcome: DigestOutcome) -> None:
    """Print the digests this run wrote to a file outbox, so a new user sees them on screen too."""
    from pathlib import Path

    for target in outcome.published:
        path = target.publication.ref.get("path") if target.publication is not None else None
        if not path or not target.target.startswith("outbox:"):
            continue
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError:
            continue
        click.echo(f"\n{'─' * 30} {path} {'─' * 30}\n")
        click.echo(text.rstrip())


@click.command("run")
@click.option("--once", is_flag=True, help="Publish every digest for its latest complete period, then exit.")
@click.option("--at", "at", type=MOMENT, default=None,
              help="Act as if now were DATETIME (ISO; community time zone unless it has one). For back-filling.")
@click.option("--host", default=None, help="Bind /healthz and /metrics to this address (default: server.host).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port of /healthz and /metrics (default: server.port; 0 picks a free one).")
@click.option("--sweep-interval", type=click.FloatRange(0.1, 86400), default=60.0, show_default=True,
              help="Seconds between looks for publications a stopped replica left unfinished.")
@click.option("--show/--no-show", default=True, show_default=True,
              help="With --once, also print each digest newly written to a file outbox.")
@click.pass_context
def run(ctx: click.Context, once: bool, at: str | None, host: str | None, port: int | None,
        sweep_interval: float, show: bool) -> None:
    """Run the bot: publish each digest on its schedule, exactly once, and answer chat commands.

    Send SIGHUP (or run `compass reload`) to reload the configuration; SIGTERM or Ctrl-C stops it.
    Several `compass run` processes may share one PostgreSQL database: each digest is still posted
    once and each chat command answered once.

    Example usage:

    \b
        compass run --once --at 2025-07-01     # publish the periods complete on 1 July 2025, then exit
    """
    from chatops.runner import Runner

    app = obj(ctx)
    config = app.config
    zone = community_zone(config)
    if at is not None and not once:
        raise UsageError("--at only makes sense with --once (a long-running bot lives in the present)")
    runner = Runner(config, db_url=app.db_url)
    if once:
        try:
            outcomes = runner.run_once(parse_moment(at, zone) if at else None)
        finally:
            runner.close()
        for outcome in outcomes:
            echo_outcome(outcome, config.digest_zone(config.digest(outcome.digest)))
        if show:
            for outcome in outcomes:
                echo_outbox_files(outcome)
        if not config.digests:
            click.echo("no digests are configured; add some under 'digests:'", err=True)
        failed = sum(len(o.failed) for o in outcomes)
        if failed:
            click.echo(f"Error: {failed} publication(s) failed; see above", err=True)
            ctx.exit(1)
        return

    if app.verbose == 0:
        logging.getLogger("chatops").setLevel(logging.INFO)  # a long-running bot reports what it does
    stop = threading.Event()
    from chatops.runner import install_signal_handlers

    install_signal_handlers(runner, stop)
    chat = _chat_runner(config, runner)
    try:
        runner.serve(stop, chat=chat, sweep_interval=sweep_interval, host=host, port=port)
    finally:
        runner.close()


def _chat_runner(config: Config, runner: Runner) -> Any:
    if config.zulip is None:
        return None
    from chatops.wiring import zulip_bot

    bot = zulip_bot(config, runner.open(), compass=runner.compass)
    runner.metrics.watch_bot(bot)
    return bot.run


@click.command("schedule")
@click.option("--count", "-n", type=click.IntRange(1, 100), default=3, show_default=True, help="Fire times per digest.")
@click.option("--at", "at", type=MOMENT, default=None, help="List the fires after DATETIME instead of now.")
@click.pass_context
def schedule(ctx: click.Context, count: int, at: str | None) -> None:
    """Show each digest's next fire times, in its time zone and in UTC, and the period each publishes.

    Example usage:

    \b
        compass schedule -n 5
    """
    from chatops.config import format_duration
    from chatops.periods import ending
    from chatops.scheduler import upcoming
    from digests.calendar import period_label

    config = obj(ctx).config
    now = parse_moment(at, community_zone(config)) if at else dt.datetime.now(dt.UTC)
    if not config.digests:
        click.echo("no digests are configured; add some under 'digests:'")
        return
    fires = upcoming(config, now, count)
    for digest in config.digests:
        zone = config.digest_zone(digest)
        click.echo(f"{digest.name} ({digest.kind}): {digest.schedule.expression}, {zone}, grace {format_duration(digest.grace)}")
        for fire in fires[digest.name]:
            window = ending(config, digest, fire)
            local = fire.astimezone(zone)
            click.echo(
                f"  {local:%a %Y-%m-%d %H:%M %Z}  =  {fire.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
                f"   publishes {period_label(window, str(zone))} ({window.since.astimezone(zone):%Y-%m-%d %H:%M}"
                f" to {window.until.astimezone(zone):%Y-%m-%d %H:%M})"
            )


@click.command("status")
@click.option("--at", "at", type=MOMENT, default=None, help="Report as if now were DATETIME.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def status(ctx: click.Context, at: str | None, fmt: str) -> None:
    """Show, per digest, the next run and the last outcome of each period and target; the periods that
    failed or are late, each with the exact command that republishes it; and the chat cursor.

    Exit code 1 when a period failed or is late, so a cron job or a monitor can alert on it.

    Example usage:

    \b
        compass status
    """
    import json

    from chatops.service import Compass

    app = obj(ctx)
    config = app.config
    compass = Compass(config, db_url=app.db_url)
    try:
        report = compass.status(parse_moment(at, community_zone(config)) if at else None)
    finally:
        compass.close()
    if fmt == "json":
        problems = [{"digest": p.digest, "kind": p.kind, "since": p.since.isoformat(), "until": p.until.isoformat(),
                     "reason": p.reason, "command": p.command} for p in report.problems]
        chat = None if report.chat is None else {"cursor": report.chat.cursor, "newest_handled": report.chat.newest_handled,
                                                  "unconfirmed": report.chat.unconfirmed}
        digests = [{"name": d.name, "paused": d.paused, "next_run": d.next_fire.isoformat() if d.next_fire else None,
                    "periods": [{"since": p.since.isoformat(), "until": p.until.isoformat(),
                                 "targets": [{"target": t, "status": st, "error": err} for t, st, err in p.targets]}
                                for p in d.periods]} for d in report.digests]
        click.echo(json.dumps({"digests": digests, "problems": problems, "chat": chat}, indent=2))
    else:
        for line in report.lines():
            click.echo(line)
    if report.problems:
        ctx.exit(1)


@click.command("reload")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port of the running bot (default: server.port).")
@click.option("--pid", type=int, default=None, help="Send SIGHUP to this process instead of calling its health server.")
@click.pass_context
def reload(ctx: click.Context, port: int | None, pid: int | None) -> None:
    """Ask a running `compass run` to reload its configuration.

    The bot validates the new files first; an invalid configuration is rejected with its error and the
    running one stays in force.
    """
    if pid is not None:
        try:
            os.kill(pid, signal.SIGHUP)
        except ProcessLookupError:
            raise UsageError(f"no process {pid}; give the pid of a running `compass run`") from None
        except PermissionError:
            raise UsageError(f"not allowed to signal process {pid}") from None
        click.echo(f"sent SIGHUP to {pid}; the bot logs whether the new configuration was accepted")
        return
    import httpx

    url = _reload_url(obj(ctx), port)
    try:
        response = httpx.post(url, timeout=30)
    except httpx.HTTPError as exc:
        raise UsageError(
            f"no running compass answers at {url} ({type(exc).__name__}); start `compass run`, "
            "or give --port, or --pid PID to send SIGHUP"
        ) from None
    try:
        data = response.json()
    except ValueError:
        data = {}
    message = str(data.get("message") or data.get("error") or f"HTTP {response.status_code}")
    if response.status_code == 200:
        click.echo(message)
        return
    click.echo(f"Error: {message}", err=True)
    ctx.exit(1)


def _reload_url(app: Any, port: int | None) -> str:
    """Where the running bot listens. The file may be the broken config being reloaded, so when it does
    not validate, only its ``server`` section (or the defaults) is read."""
    from chatops.config import Server
    from chatops.errors import ConfigError

    try:
        server = app.config.server
    except ConfigError:
        import yaml

        try:
            data = yaml.safe_load(app.config_path.read_text(encoding="utf-8")) or {}
            server = Server.model_validate(data.get("server") or {})
        except Exception:  # noqa: BLE001 - any trouble: the defaults
            server = Server.model_validate({})
    host = server.host if server.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return f"http://{host}:{server.port if port is None else port}/-/reload"
