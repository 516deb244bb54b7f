"""``status`` (admins): what ``compass status`` shows, in chat: each digest's next run, its newest periods
per target, the failed or late periods with the command that republishes them, and the chat cursor."""

from __future__ import annotations

from chatops.commands.base import Command, CommandContext, Reply

USAGE = "status"


def run(ctx: CommandContext, args: str) -> Reply:
    status = getattr(ctx.digests, "status", None)
    if status is None:
        return Reply("Status is not available here (no digest service is connected).")
    lines = status(ctx.now)
    head, *rest = lines
    return Reply("\n".join([f"**{head}**", "```text", *rest, "```"]))


COMMAND = Command(name="status", usage=USAGE,
                  summary="digests' last outcomes, failed or late periods and how to republish them, the chat cursor",
                  run=run, admin=True)
