"""The local chat adapter behind ``compass chat``: lines in, replies out, same commands and database.

A line may start with the bot's mention (``@compass``, ``@**compass**``) or not. Plain ``@name`` words are
read as mentions (``@**name**``) since a terminal has no typeahead.

Example usage::

    console = ConsoleChat(handler, user="ann")     # handler: a CommandHandler (chatops.wiring.chat_handler)
    console.feed("shoutout @bob for the release notes")   # -> "Recorded shout-out #1 for ..."
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from chatops.chat.ports import CommandHandler, IncomingMessage

__all__ = ["ConsoleChat"]

_PLAIN_MENTION = re.compile(r"(?<![\w@*])@(?![_*])([\w][\w.-]*)")


@dataclass
class ConsoleChat:
    """A ``ChatPort`` for one local user; replies and reactions are collected for the CLI to print."""

    handler: CommandHandler
    user: str
    email: str | None = None
    replies: list[str] = field(default_factory=list)
    reactions: list[str] = field(default_factory=list)

    def send_reply(self, message: IncomingMessage, text: str) -> int | None:
        self.replies.append(text)
        return None

    def add_reaction(self, message: IncomingMessage, emoji: str) -> None:
        self.reactions.append(emoji)

    def message(self, line: str, *, now: dt.datetime | None = None) -> IncomingMessage:
        bot = self.handler.bot_name
        text = line.strip()
        if re.match(rf"@{re.escape(bot)}\b", text, re.IGNORECASE):
            text = text[len(bot) + 1 :].lstrip(" :,")
        text = _PLAIN_MENTION.sub(lambda m: f"@**{m.group(1)}**", text)
        return IncomingMessage(
            sender_id=None,
            sender_email=self.email or f"{self.user}@localhost",
            sender_name=self.user,
            stream=None,
            topic=None,
            text=text,
            timestamp=now,
        )

    def feed(self, line: str) -> str | None:
        """Handle one line; the reply text, or ``None`` for a blank line."""
        if not line.strip():
            return None
        before = len(self.replies)
        self.handler.handle(self.message(line), self)
        return "\n".join(self.replies[before:]) or None
