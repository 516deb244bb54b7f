"""``help [COMMAND]``: what compass understands, or how to use one command."""

from __future__ import annotations

from chatops.commands.base import Command, CommandContext, CommandError, Reply
from digests.markdown import code_span

USAGE = "help [COMMAND]"


def run(ctx: CommandContext, args: str) -> Reply:
    catalog = ctx.catalog
    if catalog is None:
        raise CommandError("No list of commands is available here.")
    word = args.strip().split(" ", 1)[0].casefold() if args.strip() else ""
    bot = ctx.settings.bot_name
    if word:
        command = catalog.find(word)
        if command is None:
            hint = catalog.suggest(word)
            extra = f" Did you mean `{hint}`?" if hint else ""
            return Reply(f"I don't know the command {code_span(word, limit=30)}.{extra} Say `help` for the list.")
        admin = " (admins only)" if command.admin else ""
        return Reply(f"`{command.usage}`{admin}: {command.summary}.")
    lines = [f"Talk to me with `@{bot} COMMAND` in a channel, or in a direct message:"]
    for command in catalog.commands:
        if command.admin and not ctx.is_admin:
            continue
        admin = " *(admins)*" if command.admin else ""
        lines.append(f"- `{command.usage}`{admin}: {command.summary}")
    return Reply("\n".join(lines))


COMMAND = Command(name="help", usage=USAGE, summary="show this list, or how to use one command", run=run, aliases=("?", "commands"))
