"""What a command is, what it sees, and what it answers.

A command module exposes one ``Command``: its name, aliases, usage line and a ``run(ctx, args)`` that
returns a ``Reply`` or raises ``CommandError`` (an expected failure whose message is the reply).
``ctx`` carries the message, the database session of the message's transaction, the configuration and
the time; a command reaches chat only through ``ctx.chat`` (the ``ChatPort``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from sqlmodel import Session

from chatops.chat.ports import ChatPort, IncomingMessage
from chatops.config import ShoutoutPolicy
from chatops.identity import Identities

if TYPE_CHECKING:
    from chatops.config import Config

__all__ = ["Catalog", "Command", "CommandContext", "CommandError", "DigestService", "Reply", "ReviewService", "Settings"]


class CommandError(Exception):
    """An expected failure; its text is the reply (already user-safe, no internals)."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        super().__init__(reply)


@dataclass(frozen=True, slots=True)
class Reply:
    """What a command answers. ``later`` is slow work (building a digest) run after the message's
    transaction commits, outside any database lock; its result replaces ``text``."""

    text: str
    reaction: str | None = None  # e.g. "tada" after a recorded shout-out
    later: Callable[[], str] | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """The chat settings commands need, from ``zulip:`` in the configuration (defaults without one)."""

    bot_name: str = "compass"
    admins: Identities = field(default_factory=Identities)  # by Zulip email or user id, never by display name
    rate_limit_per_hour: int = 10
    max_length: int = 1000
    site: str | None = None
    command_budget: int = 30  # commands one person may send per minute (chatops.commands.budget)
    policy: ShoutoutPolicy = field(default_factory=ShoutoutPolicy)

    @classmethod
    def from_config(cls, config: Config | None) -> Settings:
        zulip = config.zulip if config is not None else None
        if zulip is None:
            return cls()
        return cls(
            bot_name=zulip.bot_name,
            admins=Identities.of(zulip.admins),
            rate_limit_per_hour=zulip.shoutout_rate_limit,
            max_length=zulip.shoutout_max_length,
            site=zulip.site,
            command_budget=zulip.command_budget,
            policy=zulip.shoutout_policy,
        )


class DigestService(Protocol):
    """What the digest commands ask of the service (``chatops.service.CompassChat`` over a ``Compass``)."""

    def preview(self, name: str, now: dt.datetime) -> str:
        """The digest's Markdown for its latest complete period."""
        ...

    def post(self, name: str, now: dt.datetime) -> str:
        """Publish the digest for its latest complete period; a one-line outcome."""
        ...


@runtime_checkable
class ReviewService(Protocol):
    """What the review commands ask of the service (``chatops.service.CompassChat``). The reviewer is the
    sender's Zulip email and user id; each answer is the reply, saying what happens next and when."""

    def approve(self, name: str, email: str, user_id: int | None, *, period: str | None = None) -> str: ...

    def hold(self, name: str, email: str, user_id: int | None, *, reason: str | None = None) -> str: ...

    def skip(self, name: str, email: str, user_id: int | None, *, reason: str | None = None) -> str: ...

    def show_draft(self, name: str, email: str, user_id: int | None) -> str: ...

    def sign_in(self, email: str, user_id: int | None, *, direct: bool) -> str: ...


class Catalog(Protocol):
    """The commands compass understands (``chatops.commands.registry.CATALOG``), for ``help``."""

    @property
    def commands(self) -> tuple[Command, ...]: ...

    def find(self, word: str) -> Command | None: ...

    def suggest(self, word: str) -> str | None: ...


@dataclass
class CommandContext:
    message: IncomingMessage
    chat: ChatPort
    session: Session
    settings: Settings
    now: dt.datetime
    config: Config | None = None
    digests: DigestService | None = None
    catalog: Catalog | None = None
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def is_admin(self) -> bool:
        # Identity only: a display name (anyone can take an admin's name, or their id number) never counts.
        return self.settings.admins.matches(email=self.message.sender_email, user_id=self.message.sender_id)

    @property
    def giver(self) -> str:
        return self.message.sender_name or self.message.sender_email


class Runner(Protocol):
    def __call__(self, ctx: CommandContext, args: str) -> Reply: ...


@dataclass(frozen=True)
class Command:
    name: str
    usage: str  # e.g. "shoutout @**Name** [@**Other** ...] [for] TEXT"
    summary: str
    run: Runner | Callable[[CommandContext, str], Reply]
    aliases: tuple[str, ...] = ()
    admin: bool = False
    writes: bool = False  # changes shout-outs or state (and so is subject to the exactly-once claim)
