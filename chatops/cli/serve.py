"""``compass serve``: the review page (and ``/healthz``) alone, without the scheduler or the chat bot.

For a host that reviews drafts while another process (or replica) runs ``compass run``: both read the same
database. Set ``server.secret`` (``COMPASS_WEB_SECRET``) to the same value everywhere, so a sign-in link
made by the bot works on this page.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import click

from chatops.cli import obj


@click.command("serve")
@click.option("--host", default=None, help="Bind address (default: server.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default: server.port; 0 picks one).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the review page under /review (and /healthz) until SIGTERM or Ctrl-C.

    Example usage:

    \b
        COMPASS_WEB_SECRET=... compass serve --port 9464
    """
    import sqlalchemy as sa

    from chatops.health import HealthServer
    from chatops.service import Compass
    from chatops.web.app import create_app

    app = obj(ctx)
    config = app.config
    if app.verbose == 0:
        logging.getLogger("chatops").setLevel(logging.INFO)
    compass = Compass(config, db_url=app.db_url)
    database = compass.open()

    def check() -> dict[str, Any]:
        try:
            with database.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            return {"database": "ok"}
        except Exception as exc:  # noqa: BLE001 - report, never raise, from a health check
            return {"database": f"error: {type(exc).__name__}"}

    server = config.server
    health = HealthServer(compass.metrics, check=check, host=host or server.host,
                          port=server.port if port is None else port, review=create_app(compass)).start()
    if not server.public_url:
        compass.page_url = health.url
    click.echo(f"Review page: {compass.page_url}/review/ (sign in with a link from `review` in Zulip)")
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        health.stop()
        compass.close()
