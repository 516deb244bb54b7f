"""``optout``: the asker is never named in digests or replies again; their shout-outs still count, anonymously."""

from __future__ import annotations

from chatops.commands.base import Command, CommandContext, Reply

USAGE = "optout"


def run(ctx: CommandContext, args: str) -> Reply:
    from chatops.people import record_choice

    record_choice(ctx.session, ctx.config, message=ctx.message, name=ctx.giver, now=ctx.now, opted_out=True)
    return Reply("Done: I will not name you in digests or replies from now on. Shout-outs you give still count, "
                 "from \u201csomeone\u201d. Say `optin` to undo it.")


COMMAND = Command(name="optout", usage=USAGE, summary="never be named in digests or replies (your shout-outs still count)",
                  run=run, aliases=("opt-out",), writes=True)
