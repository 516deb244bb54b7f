"""The chat ports: what a command may do in chat (reply, react), the message it answers, and the command
layer as the adapters see it.

Adapters (``chatops.chat.zulip``, ``chatops.chat.console``) turn platform payloads into ``IncomingMessage``
at the edge, keeping the payload in ``raw`` for debugging only, and hand them to a ``CommandHandler``
(``chatops.commands.dispatcher.Dispatcher``, usually through ``chatops.chat.inbox.Inbox``). Commands see
``ChatPort`` and nothing else; ``StubChat`` beside it records what a command did, for tests. Nothing here
imports an adapter or the command layer: both sides depend on these ports, never on each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chatops.config import Config

__all__ = ["ChatPort", "CommandHandler", "IncomingMessage", "MessageEdit", "StubChat"]


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


class CommandHandler(Protocol):
    """The command layer as adapters and the inbox see it: who the bot is, and what to do with messages.

    ``handle``/``handle_many`` claim, run and answer messages (each exactly once, whatever the replicas);
    ``prepare_many`` claims and runs a batch at once and leaves the replies to ``finish``, or answers
    ``None`` when the batch must go through ``handle`` instead. The prepared values are opaque here.
    """

    @property
    def bot_name(self) -> str:
        """The name the bot answers to (the configured one)."""
        ...

    def identify(self, bot_id: int, name: str) -> None:
        """The platform said who the bot is: its user id and display name (mentions of either count)."""
        ...

    def know_bots(self, bot_ids: frozenset[int]) -> None:
        """The platform's bot accounts (shout-outs to them are refused)."""
        ...

    def mentions_bot(self, text: str) -> bool:
        """Whether ``text`` mentions the bot (by any of its names, or its id)."""
        ...

    def refresh(self) -> Config | None:
        """The configuration in force now (after a reload)."""
        ...

    def newest_handled(self) -> int | None:
        """The id of the newest message already handled (``compass status`` shows it)."""
        ...

    def chat_cursor(self) -> int | None:
        """The catch-up cursor: every message addressed to compass up to this id was handled."""
        ...

    def save_cursor(self, message_id: int) -> None:
        """Move the catch-up cursor forward (never back)."""
        ...

    def handled_among(self, message_ids: Sequence[int]) -> set[int]:
        """Which of these messages were already handled (the ledger)."""
        ...

    def wants(self, message: IncomingMessage) -> bool:
        """Whether compass answers this message at all (a request to it, not a bot's)."""
        ...

    def confirm_owed(self, chat: ChatPort) -> int:
        """Post the confirmations owed for shout-outs recorded but not confirmed; how many were posted."""
        ...

    def flush_replies(self) -> None:
        """Record the ids of the replies sent so far (they are recorded in batches)."""
        ...

    def handle(self, message: IncomingMessage, chat: ChatPort) -> object | None: ...

    def handle_many(self, messages: list[IncomingMessage], chat: ChatPort) -> Sequence[object | None]: ...

    def prepare_many(self, messages: list[IncomingMessage], chat: ChatPort) -> Sequence[object | None] | None: ...

    def finish(self, prepared: Any, chat: ChatPort) -> object: ...

    def handle_edit(self, edit: MessageEdit) -> bool: ...


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
