"""Small Markdown pieces the commands share: how a person, a shout-out and a list look in a reply."""

from __future__ import annotations

from chatops.commands.base import CommandError
from digests.markdown import escape_inline, silent_mention
from digests.model import Recipient, Shoutout

__all__ = ["parse_id", "person", "recipients_text", "shoutout_line"]


ANONYMOUS = "someone"


def person(recipient: Recipient, hidden: frozenset[int] = frozenset()) -> str:
    """A recipient as a reply shows it: a silent mention for a person, plain text for a group or words;
    "someone" for a person who opted out (``hidden`` Zulip user ids)."""
    if recipient.kind == "user" and recipient.user_id is not None and recipient.user_id in hidden:
        return ANONYMOUS
    if recipient.kind == "user":
        return silent_mention(recipient.name, recipient.user_id)
    if recipient.kind == "group":
        return f"the {escape_inline(recipient.name, target='zulip')} group"
    return escape_inline(recipient.name, target="zulip")


def recipients_text(recipients: tuple[Recipient, ...] | list[Recipient], hidden: frozenset[int] = frozenset()) -> str:
    names = [person(r, hidden) for r in recipients]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def shoutout_line(shoutout: Shoutout, *, limit: int = 200, hidden: frozenset[int] = frozenset()) -> str:
    """``#12 Ann → Bob: thanks for ...`` with every piece escaped, linking to the original message; people
    who opted out (``hidden`` Zulip user ids) are "someone"."""
    giver = ANONYMOUS if shoutout.giver_id in hidden else silent_mention(shoutout.giver, shoutout.giver_id)
    ref = f"[#{shoutout.id}]({shoutout.permalink})" if shoutout.permalink else f"#{shoutout.id}"
    when = shoutout.created_at.strftime("%Y-%m-%d")
    return f"{ref} {when} {giver} \u2192 {recipients_text(shoutout.recipients, hidden)}: {escape_inline(shoutout.text, limit=limit, target='zulip')}"


def parse_id(word: str, usage: str) -> int:
    """A shout-out id as users type it (``12`` or ``#12``); ``CommandError`` with the usage otherwise."""
    token = word.strip().lstrip("#")
    if not (token.isascii() and token.isdigit()) or len(token) > 12:  # "²" is a digit to isdigit(), not to int()
        shown = escape_inline(word.strip(), limit=40, target="zulip") or "nothing"
        raise CommandError(f"I need a shout-out number, like `12` (got {shown}). Usage: `{usage}`")
    return int(token)
