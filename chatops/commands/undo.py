"""``undo ID``: the giver (or an admin) takes a shout-out back; it leaves future digests."""

from __future__ import annotations

from chatops.commands.base import Command, CommandContext, CommandError, Reply
from chatops.commands.format import parse_id
from chatops.storage.shoutouts import ShoutoutNotFoundError, get_shoutout, retract_shoutout
from digests.model import Shoutout

USAGE = "undo ID"


def is_giver(ctx: CommandContext, shoutout: Shoutout) -> bool:
    """By identity: a Zulip shout-out (with the giver's id) only to that id; one given in ``compass chat``
    (no id) only to a console user of that name. A console user never acts on a Zulip user's shout-out."""
    message = ctx.message
    if shoutout.giver_id is not None:
        return message.sender_id == shoutout.giver_id
    return message.sender_id is None and shoutout.giver.casefold() == ctx.giver.casefold()


def load(ctx: CommandContext, shoutout_id: int) -> Shoutout:
    try:
        shoutout, retracted_at = get_shoutout(session=ctx.session, shoutout_id=shoutout_id)
    except ShoutoutNotFoundError:
        raise CommandError(f"There is no shout-out #{shoutout_id}. `shoutouts mine` lists yours.") from None
    if retracted_at is not None:
        raise CommandError(f"Shout-out #{shoutout_id} was already taken back.")
    return shoutout


def run(ctx: CommandContext, args: str) -> Reply:
    words = args.split()
    if len(words) != 1:
        raise CommandError(f"Which shout-out? Usage: `{USAGE}`, e.g. `undo 12`.")
    shoutout_id = parse_id(words[0], USAGE)
    shoutout = load(ctx, shoutout_id)
    console_on_zulip = ctx.message.sender_id is None and shoutout.giver_id is not None
    if console_on_zulip or not (is_giver(ctx, shoutout) or ctx.is_admin):
        raise CommandError(f"Only the person who gave shout-out #{shoutout_id}, or an admin, can take it back.")
    retract_shoutout(session=ctx.session, shoutout_id=shoutout_id, by=ctx.giver, at=ctx.now)
    return Reply(f"Took back shout-out #{shoutout_id}; it will not appear in future digests.")


COMMAND = Command(
    name="undo",
    usage=USAGE,
    summary="take back a shout-out you gave",
    run=run,
    aliases=("retract", "delete", "remove"),
    writes=True,
)
