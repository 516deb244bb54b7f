"""The chat port: what a command may do in chat (reply, react), and the message it answers.

Adapters (``chatops.chat.zulip``, ``chatops.chat.console``) turn platform payloads into ``IncomingMessage``
at the edge, keeping the payload in ``raw`` for debugging only. Commands see ``ChatPort`` and nothing else;
``StubChat`` beside it records what a command did, for tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["ChatPort", "IncomingMessage", "MessageEdit", "StubChat"]


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A message addressed to compass, in compass's vocabulary.

    ``stream`` and ``topic`` are ``None`` for a direct message. ``text`` is the raw Markdown the
    sender wrote (Zulip's ``apply_markdown=False`` content), mention of the bot included.
    """

    sender_id: int | None
    sender_email: str
    sender_name: str
    stream: str | None
    topic: str | None
    text: str
    message_id: int | None = None
    is_bot: bool = False
    timestamp: dt.datetime | None = None  # aware; when the platform says it was sent
    permalink: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_direct(self) -> bool:
        return self.stream is None


@dataclass(frozen=True, slots=True)
class MessageEdit:
    """An edit of a message compass may have acted on (Zulip's ``update_message`` event)."""

    message_id: int
    editor_id: int | None
    text: str
    edited_at: dt.datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


class ChatPort(Protocol):
    """Reply to and react on one platform's messages."""

    def send_reply(self, message: IncomingMessage, text: str) -> int | None:
        """Post ``text`` (already made safe) in the message's thread; return the reply's id if known."""
        ...

    def add_reaction(self, message: IncomingMessage, emoji: str) -> None:
        """Add an emoji reaction (a name such as ``tada``) to the message; best effort."""
        ...


@dataclass
class StubChat:
    """A ``ChatPort`` that records replies and reactions instead of sending them."""

    replies: list[tuple[IncomingMessage, str]] = field(default_factory=list)
    reactions: list[tuple[IncomingMessage, str]] = field(default_factory=list)

    def send_reply(self, message: IncomingMessage, text: str) -> int | None:
        self.replies.append((message, text))
        return len(self.replies)

    def add_reaction(self, message: IncomingMessage, emoji: str) -> None:
        self.reactions.append((message, emoji))

    @property
    def texts(self) -> list[str]:
        return [text for _, text in self.replies]
