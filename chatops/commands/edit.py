"""``edit ID TEXT``: the giver corrects a shout-out's text (leading mentions replace its recipients)."""

from __future__ import annotations

from chatops.commands.base import Command, CommandContext, CommandError, Reply
from chatops.commands.format import parse_id, recipients_text
from chatops.commands.mentions import parse_recipients
from chatops.commands.shoutout import check_text
from chatops.commands.undo import is_giver, load
from chatops.storage.shoutouts import edit_shoutout

USAGE = "edit ID TEXT"


def run(ctx: CommandContext, args: str) -> Reply:
    head, _, rest = args.strip().partition(" ")
    if not head:
        raise CommandError(f"Which shout-out, and what should it say? Usage: `{USAGE}`, e.g. `edit 12 for fixing CI`.")
    shoutout_id = parse_id(head, USAGE)
    shoutout = load(ctx, shoutout_id)
    if not is_giver(ctx, shoutout):
        raise CommandError(f"Only the person who gave shout-out #{shoutout_id} can edit it.")
    recipients, text = parse_recipients(rest)
    if recipients and recipients[0].kind == "text":
        recipients, text = [], rest.strip()  # "for X" words stay text when editing
    check_text(ctx, recipients or list(shoutout.recipients), text)
    saved = edit_shoutout(
        session=ctx.session, shoutout_id=shoutout_id, text=text, at=ctx.now, recipients=recipients or None
    )
    return Reply(f"Updated shout-out #{shoutout_id} for {recipients_text(saved.recipients)}.")


COMMAND = Command(
    name="edit",
    usage=USAGE,
    summary="correct the text of a shout-out you gave",
    run=run,
    aliases=("fix", "correct"),
    writes=True,
)
