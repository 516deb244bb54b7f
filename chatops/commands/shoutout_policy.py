"""Which shout-outs compass records: thanks meant for someone, once.

Refused, each with a reply that says what to do instead (all configurable in ``zulip.shoutout_policy``):

- thanking oneself (``self_thanks: false``): by user id on Zulip, by name in ``compass chat``;
- thanking a bot (``bots: false``): compass itself (by its names or id) and any Zulip bot account;
- thanking a crowd (``crowds: false``): ``all``, ``everyone``, ``here`` and the other wildcards, typed as a
  mention or as words; the reply asks whom to thank;
- the same text to the same people from the same giver again within ``repeat_window`` (a day): answered
  "already recorded as #N" instead of recording it twice.

Groups stay groups: a ``@*group*`` recipient is recorded as a group, never as a person of that name, and a
group and a person with the same name are two recipients.

Example usage::

    check_policy(ctx, recipients, text, earlier=[...])   # CommandError for a refusal
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from chatops.commands.base import CommandContext, CommandError
from chatops.storage.shoutouts import list_shoutouts_for_person
from digests.mentions import WILDCARDS
from digests.model import Recipient, Shoutout

__all__ = ["CROWDS", "check_policy", "repeat_of"]

# Words that mean "everybody" rather than someone: the mention wildcards and their plain spellings.
CROWDS = WILDCARDS | {"everybody", "all of you", "you all", "y'all", "yall", "every one", "the channel", "the stream"}


def _crowd(recipient: Recipient) -> bool:
    if recipient.kind == "group":
        return False
    words = " ".join(recipient.name.casefold().replace("@", " ").split())
    return words in CROWDS or words.removeprefix("the ") in CROWDS


def _is_self(ctx: CommandContext, recipient: Recipient) -> bool:
    if recipient.kind != "user":
        return False
    sender = ctx.message.sender_id
    if recipient.user_id is not None and sender is not None:
        return recipient.user_id == sender
    return recipient.name.casefold() == ctx.giver.casefold()


def _is_bot(ctx: CommandContext, recipient: Recipient) -> bool:
    if recipient.kind != "user":
        return False
    bots = ctx.extras.get("bot_ids") or set()
    bot_id = ctx.extras.get("bot_id")
    if recipient.user_id is not None and (recipient.user_id == bot_id or recipient.user_id in bots):  # type: ignore[operator]
        return True
    names = {n.casefold() for n in (ctx.extras.get("bot_names") or {ctx.settings.bot_name})}  # type: ignore[attr-defined]
    return recipient.name.casefold() in names


def _key(giver_id: int | None, giver: str, recipients: Iterable[Recipient], text: str) -> tuple[object, ...]:
    people = frozenset((r.kind, r.user_id if r.user_id is not None else r.name.casefold()) for r in recipients)
    return (giver_id if giver_id is not None else giver.casefold(), people, " ".join(text.casefold().split()))


def repeat_of(ctx: CommandContext, recipients: list[Recipient], text: str, earlier: Iterable[Shoutout]) -> Shoutout | None:
    """The shout-out among ``earlier`` that this one repeats (same giver, people and text), if any."""
    key = _key(ctx.message.sender_id, ctx.giver, recipients, text)
    for shoutout in earlier:
        if _key(shoutout.giver_id, shoutout.giver, shoutout.recipients, shoutout.text) == key:
            return shoutout
    return None


def check_policy(ctx: CommandContext, recipients: list[Recipient], text: str, *, waiting: Iterable[Shoutout] = ()) -> None:
    """Refuse a shout-out the policy does not allow (``CommandError`` with the reply); ``waiting``: the batch's."""
    policy = ctx.settings.policy
    if not policy.crowds and any(_crowd(r) for r in recipients):
        raise CommandError(
            "Whom would you like to thank? A shout-out goes to people or groups by name, not to everyone at once: "
            "try `shoutout @Jane Doe @Bob for the release` (pick the names from the @ list)."
        )
    if not policy.bots and any(_is_bot(ctx, r) for r in recipients):
        raise CommandError("Bots do their work without thanks; whom would you like to thank instead?")
    if not policy.self_thanks and any(_is_self(ctx, r) for r in recipients):
        raise CommandError("Thanking yourself is not something compass records; whom would you like to thank?")
    window = policy.repeat_window
    if window is None or window <= dt.timedelta(0):
        return
    now = ctx.message.timestamp or ctx.now
    earlier = list_shoutouts_for_person(session=ctx.session, user_id=ctx.message.sender_id, name=ctx.giver, giver=True,
                                        since=now - window, limit=100)
    found = repeat_of(ctx, recipients, text, [*earlier, *waiting])
    if found is not None:
        number = f"#{found.id}" if found.id is not None else "a moment ago"
        raise CommandError(f"That shout-out is already recorded as {number}. Thank you! (`shoutouts mine` lists yours.)")
