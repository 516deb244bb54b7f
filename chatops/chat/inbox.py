"""The platform-neutral inbox: worker threads, batching and back-pressure between a chat adapter and the commands.

An adapter (``chatops.chat.zulip``) turns platform events into ``IncomingMessage`` / ``MessageEdit`` and hands
them to an ``Inbox``; the inbox gives them to the ``CommandHandler`` port (the command layer) on a few
worker threads:

- each sender is owned by one worker (by id), so one person's commands run in the order they were sent and
  different people's in parallel; a worker takes its senders' items round-robin (``_Lanes``), and
  back-pressure counts at most ``BACKLOG_PER_WORKER`` items per sender, so one person's flood neither
  stalls the others on that worker nor stops the adapter from fetching their messages;
- messages read together are handed over in slices of ``BATCH``: the handler may record a slice at once
  (``prepare_many``: one transaction, the workers only reply) or leave it to the workers, which take what
  is waiting and handle it as one batch (``handle_many``); whether claims are held while replying (the
  PostgreSQL take-over between replicas) is the handler's business, not the inbox's or the adapter's;
- a message whose handling fails (the database restarting, say) is tried again with backoff
  (``chatops.retry``), interruptibly, up to ``HANDLE_ATTEMPTS`` times;
- ``wait_for_room`` holds the adapter back from fetching more while the workers hold more than
  ``BACKLOG_PER_WORKER`` items each (at most ``BACKLOG_PATIENCE`` seconds), so a burst comes in fewer,
  larger batches;
- ``catch_up(found)`` takes what a catch-up search found after a restart or a lost queue: what the
  ledger does not hold is handed over, and the cursor moves over the prefix already handled (never over
  a message handed over now), so a catch-up that fails or is cut short is simply done again;
  ``confirm_owed()`` posts the confirmations of shout-outs recorded but not confirmed before a restart;
- ``later(action)`` runs decoration (reactions) on its own thread once no command is pending, so a
  :tada: never delays a confirmation.

Example usage::

    inbox = Inbox(handler, chat, workers=4)
    inbox.start(stop)
    inbox.add(message); inbox.flush()      # after each batch of events
    inbox.stop()
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from chatops.chat.ports import ChatPort, CommandHandler, IncomingMessage, MessageEdit
from chatops.retry import Backoff, RetryPolicy, retry_call

__all__ = [
    "BACKLOG_PATIENCE",
    "BACKLOG_PER_WORKER",
    "BATCH",
    "HANDLE_ATTEMPTS",
    "REACTION_IDLE",
    "REACTION_PATIENCE",
    "Inbox",
]

log = logging.getLogger(__name__)

BATCH = 50  # messages handed over, or handled, in one transaction when a burst queues them up
HANDLE_ATTEMPTS = 6  # tries per message when handling fails (the database restarting, say)
REACTION_PATIENCE = 30.0  # seconds decoration may wait for busy workers
REACTION_IDLE = 0.2  # seconds without a new command before decoration runs
BACKLOG_PER_WORKER = 2  # the adapter fetches again once the workers have at most this many items each left
BACKLOG_PATIENCE = 5.0  # seconds it waits for that at most (a platform queue must not go unpolled for long)

_STOP = object()


class _Lanes:
    """One worker's queue: a lane (FIFO) per sender, taken round-robin across senders.

    One person's items keep their order; another person's next item never waits behind more than one item
    of each other sender in the same worker, however many one of them sent (fair chat under load).
    ``get`` answers ``(sender, item)``; once ``close``d and empty, ``(0, _STOP)``.
    """

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._lanes: dict[int, collections.deque[Any]] = {}
        self._turns: collections.deque[int] = collections.deque()  # senders with items, in turn order
        self._closed = False

    def put(self, key: int, item: Any) -> None:
        with self._ready:
            lane = self._lanes.get(key)
            if lane is None:
                lane = self._lanes[key] = collections.deque()
                self._turns.append(key)
            lane.append(item)
            self._ready.notify()

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def _take(self) -> tuple[int, Any]:
        key = self._turns.popleft()
        lane = self._lanes[key]
        item = lane.popleft()
        if lane:
            self._turns.append(key)  # this sender's next item waits for everyone else's turn
        else:
            del self._lanes[key]
        return key, item

    def get(self) -> tuple[int, Any]:
        with self._ready:
            while not self._turns:
                if self._closed:
                    return 0, _STOP
                self._ready.wait()
            return self._take()

    def get_nowait(self) -> tuple[int, Any]:
        with self._ready:
            if not self._turns:
                if self._closed:
                    return 0, _STOP
                raise queue.Empty
            return self._take()


@dataclass(frozen=True, slots=True)
class _Recorded:
    """A message the handler already recorded; only its reply is left (``CommandHandler.finish``)."""

    message: IncomingMessage
    prepared: object


class Inbox:
    """Hands a chat's messages to the command layer on worker threads, in order per sender."""

    def __init__(self, handler: CommandHandler, chat: ChatPort, *, workers: int = 4,
                 backoff: Backoff | None = None) -> None:
        self.handler = handler
        self.chat = chat
        self.workers = max(1, workers)
        self.backoff = backoff or Backoff()
        self.handled = 0  # messages dispatched (read by /metrics)
        self._stop = threading.Event()
        self._queues: list[_Lanes] = []
        self._threads: list[threading.Thread] = []
        self._decorations: queue.Queue[Any] = queue.Queue()
        self._pending: list[IncomingMessage] = []
        self._last_submit = 0.0
        self._outstanding = 0  # items handed to the workers and not yet handled
        # Per sender, and counted at most BACKLOG_PER_WORKER per sender: what back-pressure looks at, so one
        # person's flood does not keep the adapter from fetching (and the workers from reaching) others.
        self._by_sender: dict[int, int] = {}
        self._backlog = 0
        self._room = threading.Condition()  # guards _outstanding; notified when the adapter may fetch again
        self._room_limit = 0

    # -- life cycle -------------------------------------------------------------------------

    def start(self, stop: threading.Event) -> None:
        """Start the workers and the decoration thread; ``stop`` cuts retries short."""
        self._stop = stop
        self._queues = [_Lanes() for _ in range(self.workers)]
        self._threads = [
            threading.Thread(target=self._work, args=(q,), name=f"compass-chat-{i}", daemon=True)
            for i, q in enumerate(self._queues)
        ]
        self._threads.append(threading.Thread(target=self._decorate, name="compass-chat-reactions", daemon=True))
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Finish what the workers hold, then stop them."""
        for q in self._queues:
            q.close()
        self._decorations.put(_STOP)
        for thread in self._threads:
            thread.join(timeout=30)
        flush = getattr(self.handler, "flush_replies", None)
        if flush is not None:
            flush()  # the reply ids still waiting to be recorded

    # -- what the adapter hands over --------------------------------------------------------

    def add(self, message: IncomingMessage) -> None:
        """Take one message of the batch being read; a long batch goes to the workers in slices as it is read."""
        self._pending.append(message)
        if len(self._pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Hand the messages read so far over (after each batch of events)."""
        pending, self._pending = self._pending, []
        # A long batch is handed over in slices, so the workers start replying to the first while the
        # adapter records the next.
        for start in range(0, len(pending), BATCH):
            self._hand_over(pending[start : start + BATCH])

    def edit(self, edit: MessageEdit) -> None:
        """An edit of a message: applied after the messages read before it."""
        self.flush()
        self._submit(edit.editor_id or 0, edit)

    def later(self, action: Callable[[], None]) -> None:
        """Run ``action`` (decoration, such as a reaction) once no command is pending, on its own thread."""
        self._decorations.put(action)

    def wait_for_room(self, stop: threading.Event) -> None:
        """Return once the workers are nearly through what they hold (or ``BACKLOG_PATIENCE`` has passed).

        In a burst the workers are the bottleneck: what they cannot answer yet may as well wait in the
        platform's queue as in ours, and fetching it in fewer, larger batches costs fewer requests (and
        transactions) per message.
        """
        limit = BACKLOG_PER_WORKER * len(self._queues)
        if not limit or self._backlog <= limit:
            return
        deadline = time.monotonic() + BACKLOG_PATIENCE
        with self._room:
            self._room_limit = limit
            while self._backlog > limit and not stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._room.wait(min(left, 0.1))  # a worker wakes it; the timeout only watches ``stop``

    # -- catching up after a restart or a lost queue ------------------------------------------

    def cursor(self) -> int | None:
        """The catch-up cursor: every message addressed to compass up to this id was handled."""
        return self.handler.chat_cursor()

    def catch_up(self, found: Sequence[tuple[int, IncomingMessage | None]]) -> None:
        """Hand over what a catch-up search found (``(id, message)`` in id order; ``None``: not for compass)
        that the ledger does not hold, then move the cursor over the prefix that was already settled.

        The cursor only moves over messages handled *before* this catch-up (or not addressed to compass),
        so one that is handed over now and then lost (a crash, a failure) is searched for again next time.
        """
        ids = [message_id for message_id, _ in found]
        handled = self.handler.handled_among(ids) if ids else set()
        settled: int | None = None
        gap = False
        for message_id, message in found:
            done = message_id in handled or message is None or not self.handler.wants(message)
            if not gap and done:
                settled = message_id
            gap = gap or not done
            if not done and message is not None:
                self.add(message)
        self.flush()
        if settled is not None:
            self.handler.save_cursor(settled)

    def confirm_owed(self) -> int:
        """Post the confirmations owed for shout-outs recorded but not (known to be) confirmed: the process
        died, or the reply failed, between recording and replying. Each is looked up first, so one that
        went out is never posted again; returns how many were posted now."""
        return self.handler.confirm_owed(self.chat)

    # -- workers ----------------------------------------------------------------------------

    def _hand_over(self, pending: list[IncomingMessage]) -> None:
        prepared: Sequence[object | None] | None = None
        if len(pending) > 1:
            try:
                prepared = self.handler.prepare_many(pending, self.chat)
            except Exception:
                log.warning("Recording a batch of %d messages failed; handling them one by one", len(pending),
                            exc_info=True)
        if prepared is None:
            for message in pending:
                self._submit(message.sender_id or 0, message)
            return
        for message, item in zip(pending, prepared, strict=True):
            if item is not None:
                self._submit(message.sender_id or 0, _Recorded(message, item))

    def _submit(self, key: int, item: IncomingMessage | MessageEdit | _Recorded) -> None:
        self._last_submit = time.monotonic()
        with self._room:
            self._outstanding += 1
            held = self._by_sender.get(key, 0)
            self._by_sender[key] = held + 1
            if held < BACKLOG_PER_WORKER:
                self._backlog += 1
        self._queues[key % len(self._queues)].put(key, item)

    def _work(self, items: _Lanes) -> None:
        while True:
            key, item = items.get()
            if item is _STOP:
                return
            taken = [key]  # senders of the items taken (counted as taken, so the backlog stays right if one raises)
            try:
                stop = self._work_on(items, item, taken)
            finally:
                with self._room:
                    self._outstanding -= len(taken)
                    for sender in taken:
                        held = self._by_sender.pop(sender, 1) - 1
                        if held > 0:
                            self._by_sender[sender] = held
                        if held < BACKLOG_PER_WORKER:
                            self._backlog -= 1
                    if self._backlog <= self._room_limit:
                        self._room.notify()
            if stop:
                return

    def _work_on(self, items: _Lanes, item: Any, taken: list[int]) -> bool:
        """Handle ``item`` and, for a message, whatever else is already waiting; ``True`` once told to stop.

        ``taken`` lists the senders of the items taken from ``items`` (``item``'s included).
        """
        if isinstance(item, MessageEdit):
            self._handle(item)
            return False
        if isinstance(item, _Recorded):
            self._finish(item)
            return False
        # Take what else is waiting (a burst): the handler handles a batch in one transaction.
        batch = [item]
        while len(batch) < BATCH:
            try:
                sender, more = items.get_nowait()
            except queue.Empty:
                break
            if more is _STOP:
                self._handle_batch(batch)
                return True
            taken.append(sender)
            if isinstance(more, IncomingMessage):
                batch.append(more)
                continue
            self._handle_batch(batch)  # keep the order: what came before goes first
            batch = []
            if isinstance(more, _Recorded):
                self._finish(more)
            else:
                self._handle(more)
        if batch:
            self._handle_batch(batch)
        return False

    def _finish(self, recorded: _Recorded) -> None:
        try:
            self.handler.finish(recorded.prepared, self.chat)
            self.handled += 1
        except Exception:  # the record is kept; only its confirmation failed
            log.exception("Replying to message %s failed", recorded.message.message_id)

    def _handle_batch(self, batch: list[IncomingMessage]) -> None:
        if not batch:
            return
        if len(batch) == 1:
            self._handle(batch[0])
            return
        try:
            outcomes = self.handler.handle_many(batch, self.chat)
            self.handled += sum(1 for o in outcomes if o is not None)
        except Exception:
            log.warning("Handling a batch of %d messages failed; handling them one by one", len(batch), exc_info=True)
            for message in batch:
                self._handle(message)

    def _handle(self, item: IncomingMessage | MessageEdit) -> None:
        """Handle one item; a failure (the database away, say) is retried with backoff, then logged."""
        backoff = self.backoff.fresh()

        def once(attempt: int) -> None:
            if isinstance(item, MessageEdit):
                self.handler.handle_edit(item)
            else:
                self.handler.handle(item, self.chat)
                self.handled += 1

        def note(error: BaseException, attempt: int, wait: float) -> None:
            # The claim rolled back with its transaction, so trying again cannot handle it twice.
            log.warning("Handling message %s failed; retrying in %.1f s", item.message_id, wait, exc_info=error)

        try:
            retry_call(once, policy=RetryPolicy(attempts=HANDLE_ATTEMPTS), stop=self._stop,
                       wait_for=lambda error, attempt: backoff.next(), on_retry=note)
        except Exception:
            log.exception("Handling message %s failed; giving up", item.message_id)

    def _decorate(self) -> None:
        while True:
            action = self._decorations.get()
            if action is _STOP:
                return
            # Decoration waits while commands are coming in (up to REACTION_PATIENCE): in a burst, every
            # confirmation goes out before the :tada:s, which would otherwise take turns with them.
            deadline = time.monotonic() + REACTION_PATIENCE
            while time.monotonic() < deadline and not self._stop.is_set() and (
                self._outstanding or time.monotonic() - self._last_submit < REACTION_IDLE
            ):
                time.sleep(0.02)
            try:
                action()
            except Exception:  # decoration is best effort
                log.warning("Decoration after a reply failed", exc_info=True)
