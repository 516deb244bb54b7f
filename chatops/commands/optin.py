"""``optin``: undo ``optout``; the asker may be named in digests and replies again."""

from __future__ import annotations

from chatops.commands.base import Command, CommandContext, Reply

USAGE = "optin"


def run(ctx: CommandContext, args: str) -> Reply:
    from chatops.people import record_choice

    if not record_choice(ctx.session, ctx.config, message=ctx.message, name=ctx.giver, now=ctx.now, opted_out=False):
        return Reply("The admins' people.yaml lists you as opted out; ask an admin to remove that line.")
    return Reply("Done: digests and replies may name you again. Welcome back!")


COMMAND = Command(name="optin", usage=USAGE, summary="undo `optout`: digests may name you again", run=run,
                  aliases=("opt-in",), writes=True)
