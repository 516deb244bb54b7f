"""The one command layer every chat adapter shares: guard, parse, claim, run, reply safely.

``Dispatcher.handle(message, chat)`` takes an ``IncomingMessage`` already known to be addressed to
compass (a mention in a listened-to channel, a direct message, a console line) and:

1. ignores bots (compass included);
2. claims the message in the database (``handled_messages``), so each message is handled once even when
   several replicas receive it, and runs the command in that same transaction;
3. sends the reply through ``digests.mentions.for_zulip`` (no notifying mention can leave compass), then adds the
   command's reaction.

On PostgreSQL the claim's transaction stays open until the reply is posted: a replica that receives the
same message waits on the claim, then skips it (committed) or takes it over (the first replica died,
its claim rolled back). Before claiming, each replica also commits an *attempt mark*, which the claim's
transaction deletes; a replica that finds a mark already there is racing another one or taking over
from one that died (maybe after replying), so when its claim succeeds it first asks the chat whether a
reply already exists. A reply is never posted twice, and the search costs nothing when no replica died.
On SQLite (one process) the transaction is short and the reply follows the commit, so worker threads
never hold the database's single write lock while waiting on the network.

``handle_many`` does the same for a burst in one transaction with a few statements per batch (one
claim INSERT, one rate-limit count, one INSERT per table of shout-outs): on PostgreSQL the batch's
claims are held until all its replies are posted, and a replica taking over asks for each reply.

An expected failure (``CommandError``) is answered with its reason; an unexpected one is logged with its
traceback and answered briefly, without the exception's text (it can carry a URL or a token).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from sqlmodel import Session

from chatops.chat.ports import ChatPort, IncomingMessage, MessageEdit
from chatops.clock import Clock, utc_now
from chatops.commands import shoutout
from chatops.commands.base import CommandContext, CommandError, Reply, Settings
from chatops.commands.budget import Budget, refusal
from chatops.commands.mentions import (
    parse_recipients,
    split_at_bot_mention,
    starts_with_bot_mention,
    strip_bot_mention,
)
from chatops.commands.registry import CATALOG, find, split_command, suggest
from chatops.storage.shoutouts import (
    chat_cursor,
    claim_event,
    claim_events,
    clear_attempts,
    edit_shoutout,
    get_shoutout_by_message,
    handled_among,
    mark_attempts,
    newest_handled_message,
    record_event_replies,
    record_event_reply,
    save_chat_cursor,
    unconfirmed_shoutouts,
)
from digests.markdown import code_span, escape_inline
from digests.mentions import for_zulip

if TYPE_CHECKING:
    from chatops.commands.base import DigestService
    from chatops.config import Config
    from chatops.storage.db import Database

log = logging.getLogger(__name__)

REPLIES_BATCH = 100  # reply ids recorded in one statement (SQLite, after the transaction)
REPLIES_EVERY = 1.0  # seconds a reply id waits at most before it is recorded
SORRY = "Sorry, something went wrong on my side while handling that. The admins can find the details in the bot's log."


@runtime_checkable
class ReplyFinder(Protocol):
    """A chat that can look for compass's earlier reply to a message (used after a takeover)."""

    def find_reply(self, message: IncomingMessage) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Prepared:
    """A message whose command ran and committed; its reply is still to be sent."""

    message: IncomingMessage
    word: str
    reply: Reply


@dataclass(frozen=True, slots=True)
class Outcome:
    """What handling one message did; ``None`` from ``handle`` means it was not handled here."""

    reply: str
    reply_id: int | None
    reaction: str | None
    command: str | None


class Dispatcher:
    """Run chat commands against one database.

    Example usage::

        dispatcher = Dispatcher(database=db, config=config)
        dispatcher.handle(message, chat)   # -> Outcome, or None for a duplicate or a bot
    """

    def __init__(
        self,
        *,
        database: Database,
        config: Config | None = None,
        settings: Settings | None = None,
        clock: Clock = utc_now,
        digests: DigestService | None = None,
        bot_id: int | None = None,
        config_source: Callable[[], Config | None] | None = None,
    ) -> None:
        self.database = database
        self.config = config
        self.settings = settings or Settings.from_config(config)
        # Where the current configuration lives (``compass run``: the runner, which a reload updates).
        self.config_source = config_source
        self.clock = clock
        self.digests = digests
        self.bot_id = bot_id
        self.bot_names = {self.settings.bot_name}  # the adapter adds the platform's display name
        self.known_bots: frozenset[int] = frozenset()  # the platform's bot accounts (the adapter fills it in)
        self.hold_claim = database.dialect == "postgresql"
        # SQLite has one writer at a time and its busy handler sleeps in steps of up to 100 ms: queue the
        # writers of this process on a lock instead.
        self._write_lock = threading.Lock() if database.dialect == "sqlite" else None
        self.started = clock()  # owed confirmations are those claimed before this (never one in flight here)
        self.budget = Budget(self.settings.command_budget, clock=lambda: self.clock().timestamp())  # per person, all commands (fair chat)
        # Ids of replies sent after the transaction (SQLite), recorded in batches: a shout-out whose
        # claim has no reply id is owed a confirmation (``confirm_owed``), looked up before it is posted.
        self._replies: dict[str, int] = {}
        self._replies_lock = threading.Lock()
        self._flushing = threading.Lock()  # one flush writes at a time; ``close`` waits for the timer's
        self._replies_at = time.monotonic()
        self._replies_timer: threading.Timer | None = None

    @property
    def bot_name(self) -> str:
        return self.settings.bot_name

    def identify(self, bot_id: int, name: str) -> None:
        """The platform's user id and display name for the bot (``CommandHandler``)."""
        self.bot_id = bot_id
        self.bot_names.add(name)

    def know_bots(self, bot_ids: frozenset[int]) -> None:
        """The platform's bot accounts (``CommandHandler``): the shout-out policy refuses to thank them."""
        self.known_bots = frozenset(bot_ids)

    def mentions_bot(self, text: str) -> bool:
        """Whether ``text`` mentions the bot by any of its names or its id (silent mentions do not count)."""
        shown = text.replace("@_**", "@\u200b**")
        return any(strip_bot_mention(shown, bot_name=name, bot_id=self.bot_id)[1] for name in sorted(self.bot_names))

    def newest_handled(self) -> int | None:
        """The newest chat message already handled here or by a replica (``handled_messages``)."""
        with self.database.session() as session:
            return newest_handled_message(session=session)

    def refresh(self) -> Config | None:
        """Pick up a reloaded configuration: admins, rate limit, length limit, bot name.

        Cheap when nothing changed (an identity check); called before each message or batch.
        """
        if self.config_source is None:
            return self.config
        config = self.config_source()
        if config is not None and config is not self.config:
            settings = Settings.from_config(config)
            self.settings, self.config = settings, config
            self.bot_names.add(settings.bot_name)
            self.budget.per_minute = settings.command_budget
            log.info("Chat commands now use the reloaded configuration")
        return self.config

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._write_lock or nullcontext(), self.database.session() as session:
            yield session

    # -- messages ---------------------------------------------------------------------------

    def command_text(self, message: IncomingMessage) -> str:
        """The message without its mention of compass (by any of its names, or its user id)."""
        return self._strip(message.text)

    def _strip(self, text: str) -> str:
        for name in sorted(self.bot_names):
            parts = split_at_bot_mention(text, bot_name=name, bot_id=self.bot_id)
            if parts is None:
                continue
            before, after = parts
            if not before or find(split_command(after)[0]) is not None:
                return after  # "@compass CMD ..." or "please @compass CMD ...": the command follows the mention
            return (before.rstrip(" ,:;") + " " + after).strip()
        return text.strip()

    def handle(self, message: IncomingMessage, chat: ChatPort) -> Outcome | None:
        """Handle one message addressed to compass; ``None`` if ignored or already handled elsewhere."""
        return self.handle_many([message], chat)[0]

    def _finish(
        self, message: IncomingMessage, chat: ChatPort, word: str, reply: Reply, text: str,
        reply_id: int | None = None, sent: bool = False,
    ) -> Outcome:
        """After the transaction: deferred work, the reply (unless already sent), the reaction."""
        if reply.later is not None:
            text = for_zulip(_run_later(reply.later, message))
        if not sent and text:  # an empty reply: silence (a member past the command budget)
            reply_id = self._send(chat, message, text)
        if reply.reaction:
            try:
                chat.add_reaction(message, reply.reaction)
            except Exception:  # a reaction is decoration; the reply already went out
                log.warning("Could not add :%s: to message %s", reply.reaction, message.message_id, exc_info=True)
        command = find(word)
        return Outcome(text, reply_id, reply.reaction, command.name if command else None)

    def handle_many(self, messages: list[IncomingMessage], chat: ChatPort) -> list[Outcome | None]:
        """Handle messages in one transaction, then reply to each in order (``handle`` is a batch of one).

        On SQLite the transaction is short and the replies follow its commit. On PostgreSQL it is held
        while the replies go out (see the module docstring): a replica receiving the same messages waits,
        then skips them or takes over. Either way a burst costs a few statements per batch, not several
        per message. If a command of a batch fails unexpectedly, the batch rolls back and each message is
        handled on its own; a message alone that fails is answered ``SORRY`` and stays claimed.
        """
        if self.hold_claim:
            outcomes = self._handle_held(messages, chat)
        else:
            prepared = self._prepare(messages, chat)
            outcomes = None if prepared is None else [None if p is None else self.finish(p, chat) for p in prepared]
        if outcomes is None:
            return [self.handle(m, chat) for m in messages]
        return outcomes

    def prepare_many(self, messages: list[IncomingMessage], chat: ChatPort) -> list[Prepared | None] | None:
        """Claim and run a batch of messages in one transaction now; ``finish`` each afterwards (the replies).

        Returns one entry per message (``None`` for those not handled here), or ``None`` when the batch
        should be handled message by message with ``handle`` instead: a command failed unexpectedly (the
        whole batch rolled back), or this database holds claims while replying (PostgreSQL replicas).
        """
        if self.hold_claim:
            return None
        return self._prepare(messages, chat)

    def _prepare(self, messages: list[IncomingMessage], chat: ChatPort) -> list[Prepared | None] | None:
        self.refresh()
        wanted = self._requests(messages)
        try:
            with self._session() as session:
                now = self.clock()
                keys = [_key(messages[i]) for i, _, _ in wanted if messages[i].message_id is not None]
                claimed = claim_events(session=session, event_keys=keys, at=now)
                return self._run_batch(session, messages, wanted, claimed, chat, now)
        except _BatchFailedError:
            log.info("A command failed inside a batch of %d messages; handling them one by one", len(messages))
            return None

    def _handle_held(self, messages: list[IncomingMessage], chat: ChatPort) -> list[Outcome | None] | None:
        """PostgreSQL: a batch whose claims are held in one transaction until the replies are out.

        ``None`` when a command failed unexpectedly before any reply went out (the batch rolled back).
        """
        self.refresh()
        wanted = self._requests(messages)
        # Claims are taken in one order by every replica, so two replicas' batches never deadlock.
        keys = sorted({_key(messages[i]) for i, _, _ in wanted if messages[i].message_id is not None})
        now = self.clock()
        marked: set[str] = set()
        if keys:
            with self.database.session() as own:
                marked = mark_attempts(session=own, event_keys=keys, at=now)
        contended = set(keys) - marked  # someone else's mark was there (see the module docstring)
        sent: dict[int, int | None] = {}  # index -> reply id, for the replies posted (or found) in the transaction
        try:
            with self._session() as session:
                claimed = claim_events(session=session, event_keys=keys, at=now)
                clear_attempts(session=session, event_keys=keys)  # committed with the claims
                done = self._run_batch(session, messages, wanted, claimed, chat, now)
                answered: dict[str, int] = {}
                for index, prepared in enumerate(done):
                    if prepared is None or prepared.reply.later is not None:
                        continue
                    message = prepared.message
                    key = _key(message) if message.message_id is not None else None
                    if not prepared.reply.text:
                        continue  # silence: a member past the command budget
                    reply_id = self._reply_once(chat, message, for_zulip(prepared.reply.text),
                                                taking_over=key in contended)
                    sent[index] = reply_id
                    if key is not None and reply_id is not None:
                        answered[key] = reply_id
                record_event_replies(session=session, replies=answered)
        except _BatchFailedError:
            # Nothing was sent: take this batch's own attempt marks back, then each message goes alone.
            with self.database.session() as own:
                clear_attempts(session=own, event_keys=[k for k in keys if k in marked])
            log.info("A command failed inside a batch of %d messages; handling them one by one", len(messages))
            return None
        return [
            None if p is None else self._finish(
                p.message, chat, p.word, p.reply, for_zulip(p.reply.text), sent.get(index), index in sent,
            )
            for index, p in enumerate(done)
        ]

    def _reply_once(self, chat: ChatPort, message: IncomingMessage, text: str, *, taking_over: bool) -> int | None:
        """Reply, unless this is a takeover and the chat already holds compass's reply (posted by a replica
        that died before recording it); the reply's id either way."""
        if taking_over and isinstance(chat, ReplyFinder):
            found = chat.find_reply(message)
            if found is not None:
                log.info("Message %s was answered before a takeover (reply %s); not answering again",
                         message.message_id, found)
                return found
        return self._send(chat, message, text)

    def _requests(self, messages: list[IncomingMessage]) -> list[tuple[int, str, str]]:
        """``(index, command word, arguments)`` of the messages that are requests to compass."""
        wanted: list[tuple[int, str, str]] = []
        for index, message in enumerate(messages):
            if message.is_bot or (self.bot_id is not None and message.sender_id == self.bot_id):
                continue
            word, args = split_command(self.command_text(message))
            if self._is_request(message, word):
                wanted.append((index, word, args))
        return wanted

    def _run_batch(
        self, session: Session, messages: list[IncomingMessage], wanted: list[tuple[int, str, str]],
        claimed: set[str], chat: ChatPort, now: dt.datetime,
    ) -> list[Prepared | None]:
        """Run the claimed requests of a batch in ``session``; ``_BatchFailedError`` if one fails unexpectedly.

        The batch costs a few statements, not a few per message: the shout-out givers' recent counts (the
        rate limit) are read with one query and the shout-outs recorded with one INSERT per table
        (``ShoutoutBatch``). Other commands run one by one, in order, after the shout-outs before them
        are recorded. A request alone runs its command directly; if that fails unexpectedly, its work is
        rolled back, its claim taken again and its answer is ``SORRY``.
        """
        done: list[Prepared | None] = [None] * len(messages)
        alone = len(wanted) <= 1
        givers = [
            (messages[i].sender_id, messages[i].sender_name or messages[i].sender_email)
            for i, word, _ in wanted if find(word) is shoutout.COMMAND and not alone
        ]
        batch = shoutout.ShoutoutBatch(session, now=now, givers=list(dict.fromkeys(givers)))
        waiting: list[tuple[int, str]] = []  # (index, word) of the shout-outs the batch holds

        def record() -> None:
            if not waiting:
                return
            try:
                replies = batch.record()
            except Exception:
                log.exception("Recording %d shout-outs of a batch failed", len(waiting))
                raise _BatchFailedError from None
            for (index, word), reply in zip(waiting, replies, strict=True):
                done[index] = Prepared(messages[index], word, reply)
            waiting.clear()

        for index, word, args in wanted:
            message = messages[index]
            if message.message_id is not None:
                key = _key(message)
                if key not in claimed:
                    continue  # handled before (or twice in this batch: the first one counts)
                claimed.discard(key)
            verdict = self.budget.take(message.sender_id or message.sender_email)
            if verdict != "ok":  # past the budget: one polite refusal, then silence until it refills
                text = refusal(self.budget.per_minute) if verdict == "refuse" else ""
                done[index] = Prepared(message, word, Reply(text))
                continue
            if find(word) is shoutout.COMMAND and not alone:
                reply = self._add_shoutout(batch, session, message, chat, args, now)
                if reply is None:
                    waiting.append((index, word))
                    continue
            else:
                record()  # the command may read the shout-outs before it
                reply = self._run(session, message, chat, word, args, now)
            if reply is None:  # failed unexpectedly: its work was rolled back
                if not alone:
                    raise _BatchFailedError
                reply = Reply(SORRY)
                if message.message_id is not None:
                    claim_event(session=session, event_key=_key(message), at=now)  # keep the claim
            done[index] = Prepared(message, word, reply)
        record()
        return done

    def _add_shoutout(
        self, batch: shoutout.ShoutoutBatch, session: Session, message: IncomingMessage, chat: ChatPort, args: str,
        now: dt.datetime,
    ) -> Reply | None:
        """Check a shout-out into ``batch``: ``None`` once it waits there, or the reply refusing it."""
        try:
            batch.add(self._context(session, message, chat, now), args)
        except CommandError as exc:
            return Reply(exc.reply)
        except Exception:
            log.exception('Command "shoutout" failed on message %s', message.message_id)
            raise _BatchFailedError from None
        return None

    def finish(self, prepared: Prepared, chat: ChatPort) -> Outcome:
        """Reply to (and react on) a message ``prepare_many`` recorded."""
        outcome = self._finish(prepared.message, chat, prepared.word, prepared.reply, for_zulip(prepared.reply.text))
        if prepared.message.message_id is not None and outcome.reply_id is not None:
            self._note_reply(_key(prepared.message), outcome.reply_id)
        return outcome

    # -- replies recorded in batches, owed confirmations, the catch-up ledger ----------------

    def _note_reply(self, key: str, reply_id: int) -> None:
        with self._replies_lock:
            self._replies[key] = reply_id
            due = len(self._replies) >= REPLIES_BATCH or time.monotonic() - self._replies_at >= REPLIES_EVERY
            if not due and self._replies_timer is None:
                self._replies_timer = threading.Timer(REPLIES_EVERY, self.flush_replies)
                self._replies_timer.daemon = True
                self._replies_timer.start()
        if due:
            self.flush_replies()

    def flush_replies(self) -> None:
        """Record the ids of the replies sent since the last flush, in one statement."""
        with self._flushing:
            with self._replies_lock:
                replies, self._replies = self._replies, {}
                self._replies_at = time.monotonic()
                if self._replies_timer is not None:
                    self._replies_timer.cancel()
                    self._replies_timer = None
            if not replies:
                return
            try:
                with self._session() as session:
                    record_event_replies(session=session, replies=replies)
            except Exception:  # they stay owed: confirm_owed looks them up before posting anything
                log.warning("Could not record %d reply ids", len(replies), exc_info=True)

    def close(self) -> None:
        """Record the reply ids still waiting for their batch, and stop its timer: call it before the
        database closes (a flush after that would fail, and leave those confirmations owed)."""
        self.flush_replies()

    def confirm_owed(self, chat: ChatPort, *, horizon: dt.timedelta = dt.timedelta(days=7)) -> int:
        """Confirm the shout-outs recorded whose confirmation is not known to have gone out (the process died,
        or the reply failed, between recording and replying). Each is first looked up in the chat, so a reply
        that went out is recorded, never posted again; the claim ``confirm:message:<id>`` keeps two replicas
        from confirming one twice. Returns how many confirmations were posted now."""
        self.flush_replies()
        now = self.clock()
        with self.database.session() as session:
            owed = unconfirmed_shoutouts(session=session, since=now - horizon, before=self.started)
        posted = 0
        for saved in owed:
            message = IncomingMessage(
                sender_id=saved.giver_id, sender_email="", sender_name=saved.giver, stream=saved.stream,
                topic=saved.topic, text="", message_id=saved.message_id, permalink=saved.permalink,
            )
            key = _key(message)
            with self._session() as session:
                if not claim_event(session=session, event_key=f"confirm:{key}", at=now):
                    continue  # another replica confirmed it (or is doing so)
                reply_id = chat.find_reply(message) if isinstance(chat, ReplyFinder) else None
                if reply_id is None:
                    reply_id = self._send(chat, message, for_zulip(shoutout.confirmation(saved).text))
                    if reply_id is None:
                        session.rollback()  # still owed: tried again at the next start or queue loss
                        continue
                    posted += 1
                record_event_reply(session=session, event_key=key, reply_message_id=reply_id)
        if owed:
            log.info("Confirmed %d shout-out(s) recorded before a restart (%d were already confirmed)",
                     posted, len(owed) - posted)
        return posted

    def chat_cursor(self) -> int | None:
        with self.database.session() as session:
            return chat_cursor(session=session)

    def save_cursor(self, message_id: int) -> None:
        with self._session() as session:
            save_chat_cursor(session=session, message_id=message_id, at=self.clock())

    def handled_among(self, message_ids: Sequence[int]) -> set[int]:
        with self.database.session() as session:
            return handled_among(session=session, message_ids=message_ids)

    def wants(self, message: IncomingMessage) -> bool:
        """Whether compass answers ``message`` at all: a request to it (``_is_request``), not a bot's."""
        if message.is_bot or (self.bot_id is not None and message.sender_id == self.bot_id):
            return False
        self.refresh()
        word, _ = split_command(self.command_text(message))
        return self._is_request(message, word)

    def _is_request(self, message: IncomingMessage, word: str) -> bool:
        """Never noisy: in a channel, a mention in passing ("I think @compass could...") is not a request.

        Direct messages, and channel messages that open with the mention, are always answered; other
        channel messages only when their first word is a command (or a near miss of one).
        """
        if message.is_direct or find(word) is not None or (word and suggest(word) is not None):
            return True
        return starts_with_bot_mention(message.text, bot_names=self.bot_names, bot_id=self.bot_id)

    def _run(
        self, session: Session, message: IncomingMessage, chat: ChatPort, word: str, args: str, now: dt.datetime
    ) -> Reply | None:
        if not word:
            return Reply(f"Hi {escape_inline(message.sender_name, target='zulip')}! Say `help` to see what I can do.")
        command = find(word)
        if command is None:
            hint = suggest(word)
            shown = code_span(word, limit=30)
            if hint:
                return Reply(f"I don't know {shown}. Did you mean `{hint}`? Say `help` for everything I can do.")
            return Reply(f"I don't know {shown}. Say `help` for everything I can do.")
        ctx = self._context(session, message, chat, now)
        if command.admin and not ctx.is_admin:
            return Reply(f"Sorry, `{command.name}` is for compass admins only. Nothing was changed.")
        try:
            return command.run(ctx, args)
        except CommandError as exc:
            # Commands refuse before they write, so the claim in this transaction stands.
            return Reply(exc.reply)
        except Exception:
            log.exception('Command "%s" failed on message %s', command.name, message.message_id)
            session.rollback()
            return None

    def _context(self, session: Session, message: IncomingMessage, chat: ChatPort, now: dt.datetime) -> CommandContext:
        return CommandContext(
            message=message, chat=chat, session=session, settings=self.settings, now=now,
            config=self.config, digests=self.digests, catalog=CATALOG,
            extras={"bot_id": self.bot_id, "bot_names": self.bot_names, "bot_ids": self.known_bots},
        )

    def _send(self, chat: ChatPort, message: IncomingMessage, text: str) -> int | None:
        try:
            return chat.send_reply(message, text)
        except Exception:
            # The command's effect is kept (a thank-you is never lost for want of a confirmation).
            log.exception("Could not reply to message %s", message.message_id)
            return None

    # -- edits ------------------------------------------------------------------------------

    def handle_edit(self, edit: MessageEdit) -> bool:
        """Apply an edit of a shout-out's message to its record; ``True`` if a record changed.

        Only the giver's own edits count, and only when the new text is still a valid shout-out; edits
        are otherwise ignored (quietly: an edit is not a conversation).
        """
        self.refresh()
        key = f"update:{edit.message_id}:{int(edit.edited_at.timestamp()) if edit.edited_at else 0}"
        with self._session() as session:
            now = self.clock()
            found = get_shoutout_by_message(session=session, message_id=edit.message_id)
            if found is None or found.id is None:
                return False
            if not claim_event(session=session, event_key=key, at=now):
                return False
            if edit.editor_id is not None and found.giver_id is not None and edit.editor_id != found.giver_id:
                log.info("Ignored an edit of shout-out #%s by user %s, who did not give it", found.id, edit.editor_id)
                return False
            word, args = split_command(self._strip(edit.text))
            command = find(word)
            recipients, text = parse_recipients(args)
            if command is None or command.name != "shoutout" or not recipients or not text:
                log.info("Edit of message %s is no longer a shout-out; record #%s kept as it was", edit.message_id, found.id)
                return False
            if len(text) > self.settings.max_length:
                log.info("Edit of shout-out #%s is over the length limit; kept as it was", found.id)
                return False
            if text == found.text and tuple(recipients) == found.recipients:
                return False
            edit_shoutout(session=session, shoutout_id=found.id, text=text, at=now, recipients=recipients)
            log.info("Shout-out #%s updated from an edit of message %s", found.id, edit.message_id)
            return True


class _BatchFailedError(Exception):
    pass


def _key(message: IncomingMessage) -> str:
    return f"message:{message.message_id}"


def _run_later(later: Callable[[], str], message: IncomingMessage) -> str:
    try:
        return later()
    except Exception:
        log.exception("Deferred work for message %s failed", message.message_id)
        return SORRY


