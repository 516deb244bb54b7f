"""The Zulip adapter: listen for mentions and direct messages, answer through the shared command layer.

``ZulipBot(config, database).run(stop)`` blocks until ``stop`` is set (``compass run`` runs it in a
thread). It drives ``register``/``get_events`` of the official ``zulip`` client itself instead of
``call_on_each_event``, which prints and retries every second:

- the queue is registered for ``message`` and ``update_message`` events with ``apply_markdown=False``,
  so commands see the raw Markdown people typed (``@**Jane Doe|8**``), not HTML;
- at start-up and after ``BAD_EVENT_QUEUE_ID`` (the server garbage-collected the queue, or restarted) it
  registers and then *catches up* from what was handled, not from a high-water mark: messages that
  mention the bot or are direct messages are searched for, paging back to the catch-up cursor (every
  message to compass up to it was handled) or to ``zulip.catch_up_horizon`` (7 days), and those the
  ledger does not hold are handed to the inbox; each search is retried with backoff until Zulip
  answers, and a catch-up that fails never moves the cursor (``Inbox.catch_up``). The first
  registration then confirms the shout-outs recorded before a restart and never confirmed;
- 429 waits for the server's ``retry-after``; 5xx, timeouts and refused connections back off
  exponentially (0.5 s doubling to 30 s) with jitter, and a success resets the delay;
- each message is claimed in the database before it is handled (``Dispatcher``), so a message delivered
  twice, or to several replicas, is handled once.

The adapter knows only the chat ports (``chatops.chat.ports``): it hands what it reads to an ``Inbox``
(``chatops.chat.inbox``: worker threads in order per sender, batching, back-pressure, retries, reactions
after the replies) in front of the ``CommandHandler`` it was given; ``chatops.wiring.zulip_bot`` builds
the whole stack. While the workers hold more than a couple of items each, the listener does not poll for
more: in a burst the rest waits in Zulip's queue and comes in fewer, larger batches.

Turn on ``-vv`` (or set the ``chatops.chat`` logger to DEBUG) to see every event.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chatops.chat.inbox import BACKLOG_PATIENCE, BACKLOG_PER_WORKER, BATCH, Inbox
from chatops.chat.ports import CommandHandler, IncomingMessage, MessageEdit
from chatops.errors import AuthError, ConfigError, PublishError, RateLimited
from chatops.retry import Backoff, RetryPolicy, Stopped, pause, retry_call
from chatops.zulip_errors import error_for

if TYPE_CHECKING:
    from chatops.config import Config

__all__ = [
    "BACKLOG_PATIENCE",
    "BACKLOG_PER_WORKER",
    "BATCH",
    "Backoff",
    "ZulipBot",
    "ZulipChat",
    "answers",
    "permalink",
    "reply_marker",
    "without_marker",
]

log = logging.getLogger(__name__)

EVENT_TYPES = ["message", "update_message"]
CATCH_UP_PAGE = 200  # messages per catch-up search request (paging back as far as needed)


def _get_messages(client: Any, request: dict[str, Any]) -> Mapping[str, Any]:
    return client.get_messages(request)  # type: ignore[no-any-return]


def _add_reaction(client: Any, reaction: dict[str, Any]) -> Mapping[str, Any]:
    return client.add_reaction(reaction)  # type: ignore[no-any-return]


def _settle_environment(session: Any, site: str) -> None:
    """Read the proxy and CA-bundle environment once, not on every request.

    ``requests`` re-reads them for each call when ``trust_env`` is on (about 2 ms of CPU per request,
    profiled); compass makes one or two calls per command, so they are resolved when the client is built.
    """
    import requests

    try:
        proxies = requests.utils.get_environ_proxies(site)
    except Exception:  # noqa: BLE001 - keep the library's per-request behaviour if this fails
        return
    session.proxies.update(proxies)
    if session.verify is True:
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            session.verify = bundle
    session.trust_env = False


def hash_encode(text: str) -> str:
    """Zulip's URL-fragment encoding of a channel or topic name (``%`` becomes ``.``)."""
    return quote(text, safe="").replace(".", "%2E").replace("%", ".")


def permalink(site: str, raw: Mapping[str, Any]) -> str:
    message_id = raw.get("id")
    if raw.get("type") == "stream":
        channel = f"{raw.get('stream_id', '')}-{hash_encode(str(raw.get('display_recipient', '')))}"
        topic = hash_encode(str(raw.get("subject") or raw.get("topic") or ""))
        return f"{site}/#narrow/channel/{channel}/topic/{topic}/near/{message_id}"
    return f"{site}/#narrow/dm/{raw.get('sender_id')}-user/near/{message_id}"


def reply_marker(site: str, message: IncomingMessage) -> str:
    """The end of a reply to ``message``: a link to it (``.../near/<id>``), or nothing without an id."""
    if message.message_id is None:
        return ""
    link = message.permalink or f"{site}/#narrow/near/{message.message_id}"
    return f" ([re your message]({link}))"


_MARKER = re.compile(r" \(\[re your message\]\([^()\s]*/near/(\d+)\)\)$")


def answers(content: str, message_id: int) -> bool:
    """Whether a reply's raw Markdown ends with the link to message ``message_id`` (see ``reply_marker``)."""
    found = _MARKER.search(content.rstrip())
    return found is not None and int(found.group(1)) == message_id


def without_marker(content: str) -> str:
    """A reply's text without the link to the message it answers."""
    return _MARKER.sub("", content.rstrip())


class ZulipChat:
    """The ``ChatPort`` for Zulip: replies in the message's topic (or DM), reactions, reply lookup."""

    def __init__(self, bot: ZulipBot) -> None:
        self.bot = bot

    def send_reply(self, message: IncomingMessage, text: str) -> int | None:
        bot = self.bot
        # The link back to the message answered is how ``find_reply`` tells this reply from compass's
        # other replies to the same person in the same topic; it is kept when a long reply is cut.
        suffix = reply_marker(bot.site, message)
        if message.is_direct:
            others = [
                r["email"] for r in message.raw.get("display_recipient", []) or []
                if isinstance(r, Mapping) and r.get("id") != bot.user_id
            ] or ([message.sender_email] if message.sender_email else [message.sender_id])
            prefix = ""
            request: dict[str, Any] = {"type": "private", "to": others}
        else:
            # A silent mention says whom compass is answering in a busy topic, without a notification.
            prefix = f"@_**{message.sender_name}|{message.sender_id}** " if message.sender_id is not None else ""
            request = {"type": "stream", "to": message.stream, "topic": message.topic}
        room = bot.max_message_length - len(prefix) - len(suffix)
        if len(text) > room:
            text = text[: max(room - 1, 0)] + "\u2026"
        request["content"] = prefix + text + suffix
        uncertain = False

        def send(client: Any) -> Mapping[str, Any]:
            # A network error after the request left (a restart cutting the connection) leaves it unknown
            # whether Zulip posted the reply: look before posting again.
            nonlocal uncertain
            if uncertain:
                found = self.find_reply(message, attempts=1)
                if found is not None:
                    return {"result": "success", "msg": "", "id": found}
            try:
                return client.send_message(request)  # type: ignore[no-any-return]
            except Exception:
                uncertain = True
                raise

        result = bot.call("messages", send)
        message_id = result.get("id")
        return int(message_id) if message_id is not None else None

    def add_reaction(self, message: IncomingMessage, emoji: str) -> None:
        if message.message_id is not None:
            self.bot.inbox.later(functools.partial(self.bot.react, message.message_id, emoji))

    def find_reply(self, message: IncomingMessage, *, attempts: int | None = None) -> int | None:
        """compass's reply to ``message`` if one was posted (by a replica that died before recording it)."""
        bot = self.bot
        if message.message_id is None:
            return None
        if message.is_direct:
            # Zulip takes a list of user ids or a comma-separated string of emails, not a list of emails.
            who: Any = [message.sender_id] if message.sender_id is not None else message.sender_email
            narrow: list[dict[str, Any]] = [{"operator": "dm", "operand": who}]
        else:
            narrow = [{"operator": "channel", "operand": message.stream}, {"operator": "topic", "operand": message.topic}]
        result = bot.call(
            "messages",
            lambda c: c.get_messages({
                "anchor": message.message_id, "num_before": 0, "num_after": 100, "include_anchor": False,
                "narrow": narrow, "apply_markdown": False,
            }),
            attempts=attempts,
        )
        for found in result.get("messages", []):
            if found.get("sender_id") == bot.user_id and answers(str(found.get("content", "")), message.message_id):
                return int(found["id"])
        return None


class ZulipBot:
    """compass's Zulip listener.

    Example usage::

        stop = threading.Event()
        bot = ZulipBot(config, handler)        # chatops.wiring.zulip_bot(config, database) builds it all
        threading.Thread(target=bot.run, args=(stop,), daemon=True).start()
        ...
        stop.set()
    """

    def __init__(
        self,
        config: Config,
        handler: CommandHandler,
        *,
        client_factory: Callable[[], Any] | None = None,
        workers: int = 4,
        backoff: Backoff | None = None,
        call_attempts: int = 8,
    ) -> None:
        if config.zulip is None:
            raise ConfigError(str(config.path or "<config>"), "zulip: the section is required to run the Zulip bot")
        self.config = config
        self.zulip = config.zulip
        self.site = self.zulip.site
        self.streams = {s.casefold() for s in self.zulip.streams}
        self._streams_from: Config = config
        self._client_factory = client_factory or self._default_client
        self._local = threading.local()
        self.backoff = backoff or Backoff()
        self.call_attempts = call_attempts
        self.handler = handler
        self.chat = ZulipChat(self)
        self.inbox = Inbox(handler, self.chat, workers=workers, backoff=self.backoff)
        self.user_id: int | None = None
        self.full_name: str = self.zulip.bot_name
        self.max_message_length = 10000
        self.last_message_id: int | None = None
        self._bots: dict[int, bool] = {}
        self._users_loaded_at = -1e9
        self._seen: collections.OrderedDict[int, None] = collections.OrderedDict()
        self._confirmed = False  # owed confirmations are posted once, after the first catch-up
        self._stop = threading.Event()
        self.event_lag_seconds: float | None = None  # how old the last message was when its event arrived

    @property
    def handled(self) -> int:
        """Messages dispatched (read by /metrics)."""
        return self.inbox.handled

    # -- client and calls -------------------------------------------------------------------

    def _default_client(self) -> Any:
        import zulip

        key = self.zulip.api_key
        if key is None:
            raise ConfigError(
                str(self.config.path or "<config>"),
                f"zulip.api_key: no API key; set {self.zulip.api_key_env}, the secrets file or zulip.zuliprc",
            )
        # The key is unwrapped only here, where the client is built; the client never logs it.
        client = zulip.Client(
            email=self.zulip.email, api_key=key.get_secret_value(), site=self.site,
            client="compass", retry_on_errors=False, verbose=False,
        )
        _settle_environment(client.session, self.site)
        return client

    @property
    def client(self) -> Any:
        """This thread's client (``requests`` sessions are not shared between threads)."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._client_factory()
            session = getattr(client, "session", None)
            if session is not None:
                # The client hides the HTTP status of a JSON error; a 5xx is retried, a 4xx is not.
                session.hooks.setdefault("response", []).append(self._remember_status)
        return client

    def _remember_status(self, response: Any, *args: Any, **kwargs: Any) -> None:
        self._local.status = getattr(response, "status_code", None)

    def call(self, endpoint: str, do: Callable[[Any], Mapping[str, Any]], *, attempts: int | None = None) -> Mapping[str, Any]:
        """One API call with retries (``chatops.retry``): 429 waits ``retry-after``, 5xx and network errors
        back off; stopping the bot ends a wait at once."""
        backoff = self.backoff.fresh()
        tries = attempts or self.call_attempts

        def once(attempt: int) -> Mapping[str, Any]:
            self._local.status = None
            try:
                result = do(self.client)
            except Exception as exc:  # noqa: BLE001 - requests' ConnectionError/Timeout, zulip's network errors
                raise PublishError(f"zulip {endpoint}", f"network error ({type(exc).__name__})") from None
            if result.get("result") == "success":
                return result
            raise self._error(endpoint, result)

        def wait_for(error: BaseException, attempt: int) -> float:
            return min(error.retry_after if isinstance(error, RateLimited) else backoff.next(), 60.0)

        def note(error: BaseException, attempt: int, wait: float) -> None:
            reason = error.reason if isinstance(error, PublishError) else str(error)
            log.info("Zulip %s failed (%s); retry %d/%d in %.1f s", endpoint, reason, attempt, tries - 1, wait)

        try:
            return retry_call(once, policy=RetryPolicy(attempts=tries), stop=self._stop, wait_for=wait_for,
                              retryable=lambda error: isinstance(error, PublishError) and error.retryable,
                              on_retry=note)
        except Stopped as stopped:
            if isinstance(stopped.last, PublishError):
                raise stopped.last from None
            raise

    def _error(self, endpoint: str, result: Mapping[str, Any]) -> PublishError:
        status = getattr(self._local, "status", None)
        return error_for(result, where=f"zulip {endpoint}", what=endpoint, status=status)

    # -- the loop ---------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Listen and answer until ``stop`` is set; returns after finishing the messages in hand."""
        self._stop = stop
        self.inbox.start(stop)
        queue_id: str | None = None
        last_event_id = -1
        backoff = self.backoff
        try:
            while not stop.is_set():
                try:
                    if self.user_id is None:
                        self._load_profile()
                    if queue_id is None:
                        queue_id, last_event_id = self._register()
                        backoff.reset()
                    self.inbox.wait_for_room(stop)
                    result = self.client.get_events(queue_id=queue_id, last_event_id=last_event_id)
                except AuthError:
                    raise
                except Exception as exc:  # noqa: BLE001 - any failure to reach Zulip is retried
                    delay = backoff.next()
                    log.warning("Zulip is unreachable (%s); retrying in %.1f s", type(exc).__name__, delay)
                    stop.wait(delay)
                    continue
                if result.get("result") == "success":
                    backoff.reset()
                    for event in result.get("events", []):
                        last_event_id = max(last_event_id, int(event.get("id", last_event_id)))
                        self._on_event(event)
                    self._flush()
                    continue
                code = str(result.get("code") or "")
                if code == "BAD_EVENT_QUEUE_ID":
                    # The server dropped our queue (expired, or restarted): register again, then catch up.
                    log.info("Zulip event queue %s expired; registering a new one", queue_id)
                    queue_id = None
                    continue
                error = self._error("events", result)
                if isinstance(error, AuthError):
                    raise error
                delay = error.retry_after if isinstance(error, RateLimited) else backoff.next()
                log.warning("Zulip events failed (%s); retrying in %.1f s", error.reason, delay)
                stop.wait(delay)
        finally:
            self.inbox.stop()
            if queue_id is not None:
                try:
                    self.client.deregister(queue_id, timeout=2.0)
                except Exception:  # best effort: the server expires idle queues anyway
                    log.debug("Could not delete event queue %s", queue_id, exc_info=True)

    def _load_profile(self) -> None:
        me = self.call("users/me", lambda c: c.get_profile())
        self.user_id = int(me["user_id"])
        self.full_name = str(me.get("full_name") or self.zulip.bot_name)
        self.handler.identify(self.user_id, self.full_name)
        self._load_users(force=True)
        log.info('Zulip bot "%s" (user %s) connected to %s', self.full_name, self.user_id, self.site)

    def _load_users(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._users_loaded_at < 30:
            return
        self._users_loaded_at = now
        try:
            result = self.call("users", lambda c: c.get_members({"client_gravatar": True}), attempts=2)
        except PublishError as exc:
            log.warning("Could not list Zulip users (%s); bots are recognised by id only", exc.reason)
            return
        self._bots = {int(u["user_id"]): bool(u.get("is_bot")) for u in result.get("members", [])}
        self.handler.know_bots(frozenset(uid for uid, bot in self._bots.items() if bot))  # no thanks to bots

    def _register(self) -> tuple[str, int]:
        result = self.call(
            "register",
            lambda c: c.register(event_types=EVENT_TYPES, apply_markdown=False, client_gravatar=True),
        )
        queue_id = str(result["queue_id"])
        last_event_id = int(result.get("last_event_id", -1))
        self.max_message_length = int(result.get("max_message_length") or 10000)
        # At start-up and after any lost queue: everything addressed to compass since the cursor (the
        # oldest message not yet handled), retried until Zulip answers. A catch-up that fails raises
        # here, before the cursor moves: the next registration starts from the same place.
        newest = result.get("max_message_id")
        self._catch_up(int(newest) if newest is not None else None)
        if not self._confirmed:
            self._confirmed = True
            self.inbox.confirm_owed()  # shout-outs recorded before a restart and never confirmed
        log.info("Registered Zulip event queue %s", queue_id)
        return queue_id, last_event_id

    def _catch_up(self, newest: int | None = None) -> None:
        """Fetch everything addressed to compass since the catch-up cursor and hand what was not handled
        to the inbox (``Inbox.catch_up`` moves the cursor).

        The cursor is the newest message such that every message to compass up to it was handled
        (the ledger, ``handled_messages``, says which were), not the newest one handled: workers handle
        senders in parallel, so a message below the newest handled one may still have been in flight.
        On a first start (nothing ever handled) the cursor is set to the newest message and nothing older is
        answered. Without a cursor (after an upgrade) or after a long outage, it pages back as far as the horizon
        (``zulip.catch_up_horizon``, 7 days by default). Each page is searched with backoff until it
        answers (or the bot stops): a failed catch-up raises before the cursor moves, and the next
        registration starts again from the same cursor.
        """
        cursor = self.inbox.cursor()
        if cursor is None and newest is not None and self.handler.newest_handled() is None:
            # A first start (nothing handled, ever): what was said before compass existed is not for it.
            self.inbox.handler.save_cursor(newest)
            log.info("First start: catching up from message %s on", newest)
            return
        horizon = time.time() - self.zulip.catch_up_horizon.total_seconds()
        found: dict[int, Mapping[str, Any]] = {}
        for narrow in ([{"operator": "is", "operand": "mentioned"}], [{"operator": "is", "operand": "dm"}]):
            anchor: int | str = "newest"
            while True:
                request = {
                    "anchor": anchor, "num_before": CATCH_UP_PAGE, "num_after": 0,
                    "include_anchor": anchor == "newest", "narrow": narrow, "apply_markdown": False,
                }
                result = self._search(request)
                page = result.get("messages", [])
                for raw in page:
                    if (cursor is None or int(raw["id"]) > cursor) and float(raw.get("timestamp") or 0) >= horizon:
                        found[int(raw["id"])] = raw
                if not page or result.get("found_oldest", False):
                    break
                oldest = page[0]
                if (cursor is not None and int(oldest["id"]) <= cursor) or float(oldest.get("timestamp") or 0) < horizon:
                    break
                anchor = int(oldest["id"])
        entries = []
        for message_id in sorted(found):
            raw = found[message_id]
            if self.last_message_id is None or message_id > self.last_message_id:
                self.last_message_id = message_id
            self._seen[message_id] = None  # the same message arriving as an event is not handed over twice
            entries.append((message_id, self._addressed(raw, raw.get("flags", []))))
        self.inbox.catch_up(entries)
        log.info("Caught up: %d message(s) to compass since %s", len(entries),
                 f"message {cursor}" if cursor is not None else "the horizon")

    def _search(self, request: dict[str, Any]) -> Mapping[str, Any]:
        """One page of a catch-up search, retried with backoff until Zulip answers; ``Stopped`` on stop."""
        backoff = self.backoff.fresh()
        while True:
            try:
                return self.call("messages", functools.partial(_get_messages, request=request))
            except AuthError:
                raise
            except PublishError as exc:
                delay = backoff.next()
                log.warning("Catching up: the search failed (%s); trying again in %.1f s (the cursor stays)",
                            exc.reason, delay)
                if pause(delay, self._stop):
                    raise Stopped(exc) from exc

    # -- events -----------------------------------------------------------------------------

    def _on_event(self, event: Mapping[str, Any]) -> None:
        kind = event.get("type")
        log.debug("Zulip event %s (%s)", event.get("id"), kind)
        if kind == "message":
            self._on_message(event["message"], event.get("flags", []))
        elif kind == "update_message" and not event.get("rendering_only") and "content" in event:
            edited = event.get("edit_timestamp")
            edit = MessageEdit(
                message_id=int(event["message_id"]),
                editor_id=event.get("user_id"),
                text=str(event["content"]),
                edited_at=dt.datetime.fromtimestamp(edited, dt.UTC) if edited else None,
                raw=event,
            )
            self.inbox.edit(edit)  # after the messages before it

    def _on_message(self, raw: Mapping[str, Any], flags: Iterable[str], *, caught_up: bool = False) -> None:
        message_id = int(raw["id"])
        if self.last_message_id is None or message_id > self.last_message_id:
            self.last_message_id = message_id
        sent = raw.get("timestamp")
        if not caught_up and isinstance(sent, int | float):
            self.event_lag_seconds = max(0.0, time.time() - float(sent))
        if message_id in self._seen:
            return
        self._seen[message_id] = None
        if len(self._seen) > 20000:
            self._seen.popitem(last=False)
        message = self._addressed(raw, flags)
        if message is not None:
            self.inbox.add(message)  # a long events batch goes to the workers in slices as it is read

    def _addressed(self, raw: Mapping[str, Any], flags: Iterable[str]) -> IncomingMessage | None:
        """The message as compass sees it, or ``None`` when it is not for compass (its own, a bot's, a
        channel compass does not listen to, no mention)."""
        sender_id = int(raw.get("sender_id", 0))
        if sender_id == self.user_id:
            return None
        if sender_id not in self._bots:
            self._load_users()
        if self._bots.get(sender_id, False):
            return None
        return self._incoming(raw, flags)

    def _incoming(self, raw: Mapping[str, Any], flags: Iterable[str]) -> IncomingMessage | None:
        content = str(raw.get("content", ""))
        direct = raw.get("type") == "private"
        if not direct:
            stream = str(raw.get("display_recipient", ""))
            self._follow_config()
            if self.streams and stream.casefold() not in self.streams:
                return None
            if "mentioned" not in set(flags) and not self._mentions_me(content):
                return None
        timestamp = raw.get("timestamp")
        return IncomingMessage(
            sender_id=int(raw.get("sender_id", 0)) or None,
            sender_email=str(raw.get("sender_email", "")),
            sender_name=str(raw.get("sender_full_name", "")),
            stream=None if direct else str(raw.get("display_recipient", "")),
            topic=None if direct else str(raw.get("subject") or raw.get("topic") or ""),
            text=content,
            message_id=int(raw["id"]),
            is_bot=False,
            timestamp=dt.datetime.fromtimestamp(timestamp, dt.UTC) if timestamp else None,
            permalink=permalink(self.site, raw),
            raw=raw,
        )

    def _follow_config(self) -> None:
        """After a reload, listen to the channels the new configuration names.

        The site, account and key stay those the bot started with (a restart changes them).
        """
        config = self.handler.refresh()
        if config is not None and config is not self._streams_from and config.zulip is not None:
            self._streams_from = config
            self.streams = {s.casefold() for s in config.zulip.streams}

    def _mentions_me(self, content: str) -> bool:
        return self.handler.mentions_bot(content)

    def _flush(self) -> None:
        """Hand the messages of one event batch over to the inbox."""
        self.inbox.flush()

    # -- reactions --------------------------------------------------------------------------

    def react(self, message_id: int, emoji: str) -> None:
        """Add a reaction now (the inbox calls it once the replies of a burst are out)."""
        try:
            reaction = {"message_id": message_id, "emoji_name": emoji}
            self.call("reactions", functools.partial(_add_reaction, reaction=reaction))
        except PublishError as exc:
            if "REACTION_ALREADY_EXISTS" not in exc.reason:
                log.warning("Could not add :%s: to message %s (%s)", emoji, message_id, exc.reason)
