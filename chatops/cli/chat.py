"""``compass chat [--as NAME]``: try compass's chat commands locally, without a Zulip server."""

from __future__ import annotations

import getpass
import sys

import click

from chatops.cli import obj


@click.command(name="chat")
@click.option("--as", "user", default=None, metavar="NAME", help="Who you are in the chat (default: your system user name).")
@click.pass_context
def chat(ctx: click.Context, user: str | None) -> None:
    """Talk to compass locally: shout-outs and commands, stored in the configured database.

    Type a command per line, with or without the leading @compass (for example
    `shoutout @jane for fixing CI`, `shoutouts this week`, `help`). When standard input is not a
    terminal, each line is one command and compass exits at the end of input:

        echo "shoutout @jane for fixing CI" | compass chat --as ann
    """
    from chatops.chat.console import ConsoleChat
    from chatops.config import DEFAULT_DB_URL
    from chatops.storage.db import Database
    from chatops.wiring import chat_handler

    app = obj(ctx)
    config = app.load_config(required=False)
    url = config.database_url if config is not None else (app.db_url or DEFAULT_DB_URL)
    database = Database.open(url)
    handler = None
    try:
        handler = chat_handler(config, database)
        name = (user or _system_user()).strip()
        if not name:
            raise click.BadParameter("must not be empty", param_hint="--as")
        console = ConsoleChat(handler, user=name)
        interactive = sys.stdin.isatty()
        if interactive:
            bot = handler.bot_name
            click.echo(f"Chatting with {bot} as {name}. Try 'help'; Ctrl-D to leave.", err=True)
        while True:
            if interactive:
                try:
                    line = input(f"{name}> ")
                except EOFError:
                    click.echo("", err=True)
                    break
            else:
                line = sys.stdin.readline()
                if not line:
                    break
            reply = console.feed(line)
            if reply is not None:
                click.echo(reply)
                if not interactive:
                    click.echo()
    finally:
        if handler is not None:
            handler.close()  # first: it records what it holds
        database.close()


def _system_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "me"
