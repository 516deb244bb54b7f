"""A fake Zulip server: real HTTP on 127.0.0.1 (port 0) for the chat tests and the chat benchmark.

It serves what compass's bot and publisher use: ``GET /api/v1/server_settings`` (the ``zulip`` client
asks for it when built), ``POST /api/v1/register``, ``GET``/``DELETE
/api/v1/events`` (long-polling, heartbeats), ``GET``/``POST /api/v1/messages`` (narrow search by channel,
topic, sender, dm, ``is:mentioned``, ``is:dm``, ``search``), ``POST /api/v1/messages/{id}/reactions``,
``GET /api/v1/users`` and ``GET /api/v1/users/me``. Every request and every response is checked against
``data/zulip-openapi.subset.json`` (the operations above, copied with their schemas from the upstream
``zulip-openapi.yaml``); a mismatch answers 500 with the reason and is kept in ``problems``, which the
fixture asserts empty.

The real limits (shared/api/README.md) are enforced: HTTP Basic auth with the API key; content over
``max_message_length`` (10000) truncated with ``"\\n[message truncated]"``; topics over 60 code points cut
to end in ``"..."``; empty messages and channel names over 60 refused; 200 requests a minute per user
(429 ``RATE_LIMIT_HIT`` with ``retry-after`` in the body and the header; ``X-RateLimit-*`` on every
answer); ``BAD_EVENT_QUEUE_ID`` for a queue that expired.

Tests script failures on demand: ``expire_queues()``, ``fail_next(n, status=500|429, path=...)``,
``drop_next(n, path=...)`` (close the connection without answering), ``answer_late(path=...)`` (do the work,
hold the answer back until released: a client can be killed meanwhile), and ``restart(downtime)`` (stop
listening, cut open connections, forget every event queue as a crashed server would, listen again on the
same port).

Example usage::

    with FakeZulip() as fake:
        bot = fake.add_user("compass", bot=True)
        ann = fake.add_user("Ann Lee")
        fake.send(ann, "@**compass** shoutout @**Bob** for CI", stream="general", topic="kudos")
        fake.wait_for(lambda: fake.messages_by(bot))
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from fakes.openapi import OpenAPISpec
from fakes.server import QuietHandler, parse_multipart

SPEC = Path(__file__).parent / "data" / "zulip-openapi.subset.json"
MAX_MESSAGE_LENGTH = 10000
MAX_TOPIC_LENGTH = 60
MAX_STREAM_NAME_LENGTH = 60
WILDCARDS = {"all", "everyone", "channel", "stream", "topic"}
_MENTION = re.compile(r"@(_?)\*\*(?P<name>[^*]+)\*\*")


@dataclass
class User:
    user_id: int
    email: str
    full_name: str
    api_key: str
    is_bot: bool = False

    def as_member(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id, "email": self.email, "full_name": self.full_name, "is_bot": self.is_bot,
            "is_active": True, "is_admin": False, "is_owner": False, "is_guest": False, "is_billing_admin": False,
            "role": 400, "bot_type": 1 if self.is_bot else None, "avatar_url": None, "avatar_version": 1,
            "timezone": "", "date_joined": "2024-01-01T00:00:00+00:00", "delivery_email": None,
            "profile_data": {},
        } | ({"bot_owner_id": None} if self.is_bot else {})


@dataclass
class Queue:
    queue_id: str
    user_id: int
    event_types: set[str] | None
    apply_markdown: bool
    events: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 0


@dataclass
class Failure:
    status: int
    path: str | None
    retry_after: float = 0.5
    drop: bool = False
    method: str | None = None  # only requests with this method (None: any)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FakeZulip:
    """The fake; see the module docstring. ``url`` is ``http://127.0.0.1:<port>``."""

    def __init__(
        self,
        *,
        heartbeat: float = 1.0,
        rate_limit: int | None = 200,
        rate_window: float = 60.0,
        validate: bool = True,
        port: int = 0,
    ) -> None:
        self.heartbeat = heartbeat
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.validate = validate
        self.spec = OpenAPISpec.load(SPEC, prefix="/api/v1") if validate else None
        self.uploads: list[tuple[str, bytes, str, int]] = []  # (file name, bytes, content type, uploader)
        self.max_upload_bytes = 25 * 2**20  # Zulip's default max_file_upload_size_mib
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.users: dict[int, User] = {}
        self.streams: dict[str, int] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self._by_sender: dict[int, list[dict[str, Any]]] = {}
        self.flags: dict[tuple[int, int], list[str]] = {}  # (user, message) -> flags
        self.reactions: dict[int, list[tuple[int, str]]] = {}
        self.queues: dict[str, Queue] = {}
        self.problems: list[str] = []
        self.ignored: list[str] = []  # undocumented parameters received (Zulip ignores them too)
        self.requests: list[tuple[str, str, int | None]] = []  # (method, path, user id)
        self.delivered_at: dict[tuple[int, int], float] = {}  # (user, message) -> perf_counter
        self.posted_at: dict[int, float] = {}
        self.failures: deque[Failure] = deque()
        self.late: list[tuple[str, str, threading.Event]] = []  # (method, path, released): see answer_late
        self.stalled: list[threading.Event] = []  # answers held back now (released by stop())
        self.statuses: list[int] = []  # every status answered, in order
        self.duplicate_deliveries = False  # put every message event in each queue twice (a redelivery)
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._calls: dict[int, deque[float]] = {}
        self._connections: set[socket.socket] = set()
        self._down = False
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> Self:
        self._server = _Server(("127.0.0.1", self._port), _handler(self))
        self._port = self._server.server_address[1]
        self._down = False
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self.lock:
            self._down = True
            self.changed.notify_all()
            for released in [*self.stalled, *(entry[2] for entry in self.late)]:
                released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._cut_connections()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def restart(self, downtime: float = 0.3, *, keep_queues: bool = False) -> None:
        """Go away for ``downtime`` seconds, as a crashed server would, then listen on the same port."""
        self.stop()
        if not keep_queues:
            with self.lock:
                self.queues.clear()
        time.sleep(downtime)
        self.start()

    def _cut_connections(self) -> None:
        with self.lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # -- scripting --------------------------------------------------------------------------

    def add_user(self, full_name: str, *, bot: bool = False, email: str | None = None, api_key: str | None = None) -> User:
        with self.lock:
            user_id = 10 + len(self.users)
            slug = re.sub(r"\W+", "-", full_name.lower()).strip("-") or f"user{user_id}"
            user = User(
                user_id, email or f"{slug}{'-bot' if bot else ''}@zulip.example.org", full_name,
                api_key or uuid.uuid4().hex, bot,
            )
            self.users[user_id] = user
            return user

    def expire_queues(self) -> None:
        """Garbage-collect every event queue (its owner gets ``BAD_EVENT_QUEUE_ID``)."""
        with self.lock:
            self.queues.clear()
            self.changed.notify_all()

    def fail_next(self, n: int = 1, *, status: int = 500, path: str | None = None, retry_after: float = 0.5,
                  method: str | None = None) -> None:
        """The next ``n`` requests (to ``path`` if given, e.g. ``"/api/v1/messages"``) get ``status``."""
        with self.lock:
            self.failures.extend(Failure(status, path, retry_after, method=method) for _ in range(n))

    def answer_late(self, *, path: str = "/api/v1/messages", method: str = "POST") -> threading.Event:
        """The next ``method path`` request is done at once (a message is stored and delivered) but answered only
        once the returned event is set: a server that stalls after committing, while its client may die."""
        released = threading.Event()
        with self.lock:
            self.late.append((method, path, released))
        return released

    def drop_next(self, n: int = 1, *, path: str | None = None) -> None:
        """The next ``n`` requests (to ``path``) have their connection closed without an answer."""
        with self.lock:
            self.failures.extend(Failure(0, path, drop=True) for _ in range(n))

    def send(
        self, sender: User, content: str, *, stream: str | None = None, topic: str = "general chat",
        to: list[User] | None = None,
    ) -> int:
        """Post a message as ``sender`` (as if from the web app); returns its id."""
        with self.lock:
            if stream is not None:
                return self._post_stream(sender, stream, topic, content)
            return self._post_direct(sender, to or [], content)

    def edit(self, message_id: int, content: str, *, editor: User | None = None) -> None:
        """Edit a message's content, sending ``update_message`` events."""
        with self.lock:
            message = self.messages[message_id]
            orig = message["content"]
            message["content"] = content
            now = time.time()
            message["last_edit_timestamp"] = int(now)
            event = {
                "type": "update_message", "user_id": editor.user_id if editor else message["sender_id"],
                "edit_timestamp": int(now), "message_id": message_id, "message_ids": [message_id],
                "flags": [], "rendering_only": False, "orig_content": orig, "orig_rendered_content": _render(orig),
                "content": content, "rendered_content": _render(content), "is_me_message": False,
            }
            if message["type"] == "stream":
                event |= {"stream_name": message["display_recipient"], "stream_id": message["stream_id"]}
            for user_id in self._audience(message):
                self._push(user_id, event, None)

    def messages_by(self, user: User) -> list[dict[str, Any]]:
        with self.lock:
            return list(self._by_sender.get(user.user_id, []))

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.01)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")

    # -- state changes (lock held) ----------------------------------------------------------

    def _stream_id(self, name: str) -> int:
        if name not in self.streams:
            self.streams[name] = 100 + len(self.streams)
        return self.streams[name]

    def _new_message(self, sender: User, content: str, **fields: Any) -> dict[str, Any]:
        content = content.strip()
        if len(content) > MAX_MESSAGE_LENGTH:
            suffix = "\n[message truncated]"
            content = content[: MAX_MESSAGE_LENGTH - len(suffix)] + suffix
        message_id = next(self._message_ids)
        message = {
            "id": message_id, "sender_id": sender.user_id, "sender_email": sender.email,
            "sender_full_name": sender.full_name, "sender_realm_str": "zulip", "content": content,
            "content_type": "text/x-markdown", "timestamp": int(time.time()), "client": "website",
            "avatar_url": None, "is_me_message": False, "reactions": [], "submessages": [], "topic_links": [],
            **fields,
        }
        self.messages[message_id] = message
        self._by_sender.setdefault(sender.user_id, []).append(message)
        self.posted_at[message_id] = time.perf_counter()
        return message

    def _post_stream(self, sender: User, stream: str, topic: str, content: str) -> int:
        topic = " ".join(topic.split())
        if len(topic) > MAX_TOPIC_LENGTH:
            topic = topic[: MAX_TOPIC_LENGTH - 3] + "..."
        stream_id = self._stream_id(stream)
        message = self._new_message(
            sender, content, type="stream", display_recipient=stream, stream_id=stream_id, subject=topic,
            recipient_id=1000 + stream_id,
        )
        self._deliver(message)
        return int(message["id"])

    def _post_direct(self, sender: User, to: list[User], content: str) -> int:
        people = {sender.user_id: sender, **{u.user_id: u for u in to}}
        recipients = [
            {"id": u.user_id, "email": u.email, "full_name": u.full_name, "is_mirror_dummy": False}
            for u in sorted(people.values(), key=lambda u: u.user_id)
        ]
        message = self._new_message(sender, content, type="private", display_recipient=recipients, subject="", recipient_id=2000)
        self._deliver(message)
        return int(message["id"])

    def _audience(self, message: dict[str, Any]) -> list[int]:
        if message["type"] == "stream":
            return list(self.users)  # everyone is subscribed to every channel here
        return [r["id"] for r in message["display_recipient"]]

    def _flags_for(self, user: User, message: dict[str, Any]) -> list[str]:
        flags = []
        if message["sender_id"] == user.user_id:
            flags.append("read")
        for match in _MENTION.finditer(message["content"]):
            if match.group(1):  # silent mentions notify no one
                continue
            name, _, uid = match.group("name").partition("|")
            if uid.strip() == str(user.user_id) or (not uid and name.strip() == user.full_name):
                flags.append("mentioned")
            elif name.strip().lower() in WILDCARDS and message["type"] == "stream":
                flags.append("stream_wildcard_mentioned")
        return sorted(set(flags))

    def _deliver(self, message: dict[str, Any]) -> None:
        for user_id in self._audience(message):
            user = self.users[user_id]
            flags = self._flags_for(user, message)
            self.flags[(user_id, message["id"])] = flags
            self._push(user_id, {"type": "message", "flags": flags}, message)

    def _push(self, user_id: int, event: dict[str, Any], message: dict[str, Any] | None) -> None:
        for q in self.queues.values():
            if q.user_id != user_id or (q.event_types is not None and event["type"] not in q.event_types):
                continue
            for _ in range(2 if self.duplicate_deliveries and message is not None else 1):
                item = dict(event, id=q.next_id)
                q.next_id += 1
                if message is not None:
                    item["message"] = _shown(message, q.apply_markdown)
                q.events.append(item)
        self.changed.notify_all()

    # -- HTTP -------------------------------------------------------------------------------

    def _auth(self, header: str | None) -> User | None:
        if not header or not header.startswith("Basic "):
            return None
        try:
            email, _, key = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        with self.lock:
            for user in self.users.values():
                if user.email == email and user.api_key == key:
                    return user
        return None

    def _rate(self, user: User) -> tuple[bool, int, float]:
        if self.rate_limit is None:
            return True, 10**6, 0.0
        now = time.monotonic()
        with self.lock:
            calls = self._calls.setdefault(user.user_id, deque())
            while calls and calls[0] <= now - self.rate_window:
                calls.popleft()
            if len(calls) >= self.rate_limit:
                return False, 0, calls[0] + self.rate_window - now
            calls.append(now)
            return True, self.rate_limit - len(calls), (calls[0] + self.rate_window - now)

    def _failure(self, path: str, method: str | None = None) -> Failure | None:
        with self.lock:
            for failure in list(self.failures):
                if (failure.path is None or failure.path == path) and (failure.method in (None, method)):
                    self.failures.remove(failure)
                    return failure
        return None

    def handle(self, method: str, path: str, query: dict[str, str], form: dict[str, str], user: User) -> tuple[int, dict[str, Any]]:
        """Route one authenticated request; returns (status, JSON body)."""
        if method == "POST" and path == "/api/v1/register":
            return self._register(form, user)
        if path == "/api/v1/events":
            if method == "GET":
                return self._events(query, user)
            if method == "DELETE":
                with self.lock:
                    removed = self.queues.pop(form.get("queue_id", ""), None)
                if removed is None:
                    return 400, _bad_queue(form.get("queue_id", ""))
                return 200, {"result": "success", "msg": ""}
        if path == "/api/v1/messages":
            if method == "POST":
                return self._send_api(form, user)
            if method == "GET":
                return self._get_messages(query, user)
        match = re.fullmatch(r"/api/v1/messages/(\d+)/reactions", path)
        if match and method == "POST":
            return self._react(int(match.group(1)), form, user)
        if method == "GET" and path == "/api/v1/users/me":
            member = user.as_member()
            keep = ("avatar_url", "avatar_version", "email", "full_name", "is_admin", "is_owner", "is_billing_admin",
                    "role", "is_guest", "is_bot", "is_active", "timezone", "date_joined", "delivery_email",
                    "profile_data", "user_id")
            me = {k: member[k] for k in keep} | {"avatar_url": "https://example.org/avatar.png", "delivery_email": user.email}
            return 200, {"result": "success", "msg": ""} | me
        if method == "GET" and path == "/api/v1/users":
            with self.lock:
                members = [u.as_member() for u in self.users.values()]
            return 200, {"result": "success", "msg": "", "members": members}
        return 404, {"result": "error", "msg": "Endpoint not found", "code": "BAD_REQUEST"}

    def _upload(self, files: dict[str, tuple[str, bytes, str]], user: User) -> tuple[int, dict[str, Any]]:
        """``POST /user_uploads``: one file per request, at most ``max_upload_bytes``; answered with its URL."""
        if len(files) != 1:
            self.problems.append(f"POST /user_uploads: expected exactly one file, got {len(files)}")
            return 400, {"result": "error", "msg": "You must specify a file to upload", "code": "BAD_REQUEST"}
        ((filename, data, content_type),) = files.values()
        if not data:
            return 400, {"result": "error", "msg": "Uploaded file is empty", "code": "BAD_REQUEST"}
        if len(data) > self.max_upload_bytes:
            return 400, {"result": "error", "code": "BAD_REQUEST",
                         "msg": f"File is larger than this server's configured maximum upload size ({self.max_upload_bytes // 2**20} MiB)."}
        with self.lock:
            self.uploads.append((filename, data, content_type, user.user_id))
            number = len(self.uploads)
        url = f"/user_uploads/2/{number:02x}/{secrets.token_hex(8)}/{filename}"
        return 200, {"result": "success", "msg": "", "uri": url, "url": url, "filename": filename}

    def _register(self, form: dict[str, str], user: User) -> tuple[int, dict[str, Any]]:
        types = json.loads(form["event_types"]) if "event_types" in form else None
        apply_markdown = json.loads(form.get("apply_markdown", "false"))
        queue_id = f"{int(time.time())}:{next(self._ids)}"
        with self.lock:
            self.queues[queue_id] = Queue(queue_id, user.user_id, set(types) if types is not None else None, apply_markdown)
            max_id = max(self.messages, default=-1)
        return 200, {
            "result": "success", "msg": "", "queue_id": queue_id, "last_event_id": -1,
            "zulip_version": "10.0", "zulip_feature_level": 330, "zulip_merge_base": "10.0",
            "max_message_id": max_id, "max_message_length": MAX_MESSAGE_LENGTH, "max_topic_length": MAX_TOPIC_LENGTH,
            "max_stream_name_length": MAX_STREAM_NAME_LENGTH, "event_queue_longpoll_timeout_seconds": 90,
        }

    def _events(self, query: dict[str, str], user: User) -> tuple[int, dict[str, Any]]:
        queue_id = query.get("queue_id", "")
        last = int(query.get("last_event_id", "-1"))
        dont_block = json.loads(query.get("dont_block", "false"))
        deadline = time.monotonic() + self.heartbeat
        with self.lock:
            while True:
                if self._down:
                    raise ConnectionAbortedError("server going down")
                q = self.queues.get(queue_id)
                if q is None or q.user_id != user.user_id:
                    return 400, _bad_queue(queue_id)
                q.events = [e for e in q.events if e["id"] > last]
                if q.events or dont_block:
                    events = list(q.events)
                    now = time.perf_counter()
                    for e in events:
                        if e["type"] == "message":
                            self.delivered_at.setdefault((user.user_id, e["message"]["id"]), now)
                    return 200, {"result": "success", "msg": "", "events": events, "queue_id": queue_id}
                left = deadline - time.monotonic()
                if left <= 0:
                    beat = {"type": "heartbeat", "id": q.next_id}
                    q.next_id += 1
                    q.events.append(beat)
                    return 200, {"result": "success", "msg": "", "events": [beat], "queue_id": queue_id}
                self.changed.wait(left)

    def _send_api(self, form: dict[str, str], user: User) -> tuple[int, dict[str, Any]]:
        kind = form.get("type", "")
        content = form.get("content", "")
        if not content.strip():
            return 400, {"result": "error", "msg": "Message must not be empty", "code": "BAD_REQUEST"}
        to_raw = form.get("to", "")
        try:
            to: Any = json.loads(to_raw)
        except ValueError:
            to = to_raw
        with self.lock:
            if kind in ("stream", "channel"):
                stream = to if isinstance(to, str) else next((n for n, i in self.streams.items() if i == to), None)
                if not isinstance(stream, str) or not stream.strip():
                    return 400, {"result": "error", "msg": "Invalid channel name", "code": "BAD_REQUEST"}
                if len(stream) > MAX_STREAM_NAME_LENGTH:
                    return 400, {"result": "error", "msg": f"Channel name too long (limit: {MAX_STREAM_NAME_LENGTH} characters).", "code": "BAD_REQUEST"}
                if "topic" not in form:
                    return 400, {"result": "error", "msg": "Missing topic", "code": "BAD_REQUEST"}
                return 200, {"result": "success", "msg": "", "id": self._post_stream(user, stream, form["topic"], content)}
            names = to if isinstance(to, list) else [p.strip() for p in str(to).split(",") if p.strip()]
            people = []
            for name in names:
                found = next((u for u in self.users.values() if u.email == name or u.user_id == name), None)
                if found is None:
                    return 400, {"result": "error", "msg": f"Invalid email '{name}'", "code": "BAD_REQUEST"}
                people.append(found)
            if not people:
                return 400, {"result": "error", "msg": "Message must have recipients", "code": "BAD_REQUEST"}
            return 200, {"result": "success", "msg": "", "id": self._post_direct(user, people, content)}

    def _react(self, message_id: int, form: dict[str, str], user: User) -> tuple[int, dict[str, Any]]:
        emoji = form.get("emoji_name", "")
        with self.lock:
            if message_id not in self.messages:
                return 400, {"result": "error", "msg": "Invalid message(s)", "code": "BAD_REQUEST"}
            existing = self.reactions.setdefault(message_id, [])
            if (user.user_id, emoji) in existing:
                return 400, {"result": "error", "msg": "Reaction already exists.", "code": "REACTION_ALREADY_EXISTS"}
            existing.append((user.user_id, emoji))
        return 200, {"result": "success", "msg": ""}

    def _get_messages(self, query: dict[str, str], user: User) -> tuple[int, dict[str, Any]]:
        narrow = json.loads(query.get("narrow", "[]"))
        anchor_raw = query.get("anchor", "newest")
        num_before = int(query.get("num_before", "0"))
        num_after = int(query.get("num_after", "0"))
        include_anchor = json.loads(query.get("include_anchor", "true"))
        apply_markdown = json.loads(query.get("apply_markdown", "true"))
        with self.lock:
            visible = [m for i, m in sorted(self.messages.items()) if user.user_id in self._audience(m)]
            matching = [m for m in visible if all(self._matches(m, term, user) for term in narrow)]
            ids = [m["id"] for m in matching]
            if anchor_raw in ("newest", "first_unread"):
                anchor = 10**15
            elif anchor_raw == "oldest":
                anchor = 0
            else:
                anchor = int(anchor_raw)
            before = [m for m in matching if m["id"] < anchor][-num_before:] if num_before else []
            after = [m for m in matching if m["id"] > anchor][:num_after] if num_after else []
            at = [m for m in matching if m["id"] == anchor] if include_anchor else []
            chosen = before + at + after
            out = [
                _shown(m, apply_markdown) | {"flags": self.flags.get((user.user_id, m["id"]), [])} for m in chosen
            ]
            found_newest = not ids or not after and num_after >= 0 or (bool(after) and after[-1]["id"] == ids[-1])
            if num_after and len(after) == num_after and after[-1]["id"] != ids[-1]:
                found_newest = False
            return 200, {
                "result": "success", "msg": "", "messages": out,
                "anchor": anchor if anchor_raw not in ("newest", "oldest", "first_unread") else (ids[-1] if ids else 0),
                "found_anchor": any(m["id"] == anchor for m in matching),
                "found_oldest": not before or (bool(ids) and before[0]["id"] == ids[0]),
                "found_newest": found_newest,
                "history_limited": False,
            }

    def _matches(self, message: dict[str, Any], term: Any, user: User) -> bool:
        if isinstance(term, list):
            operator, operand = term[0], term[1]
            negated = False
        else:
            operator, operand, negated = term["operator"], term.get("operand"), term.get("negated", False)
        result = self._match(message, operator, operand, user)
        return not result if negated else result

    def _match(self, message: dict[str, Any], operator: str, operand: Any, user: User) -> bool:
        if operator in ("channel", "stream"):
            return message["type"] == "stream" and (message["display_recipient"] == operand or message["stream_id"] == operand)
        if operator == "topic":
            return message["type"] == "stream" and message["subject"].lower() == str(operand).lower()
        if operator == "sender":
            return message["sender_email"] == operand or message["sender_id"] == operand
        if operator == "is":
            if operand in ("dm", "private"):
                return message["type"] == "private"
            if operand == "mentioned":
                return "mentioned" in self.flags.get((user.user_id, message["id"]), [])
            return False
        if operator in ("dm", "pm-with"):
            wanted = operand if isinstance(operand, list) else [p.strip() for p in str(operand).split(",")]
            if message["type"] != "private":
                return False
            people = {r["email"] for r in message["display_recipient"]} | {r["id"] for r in message["display_recipient"]}
            return all(w in people for w in wanted) and len(message["display_recipient"]) <= len(wanted) + 1
        if operator == "search":
            return str(operand).lower() in message["content"].lower()
        if operator == "id":
            return message["id"] == int(operand)
        return False


_SERVER_SETTINGS = {
    "result": "success", "msg": "", "zulip_version": "10.0", "zulip_feature_level": 330, "zulip_merge_base": "10.0",
    "push_notifications_enabled": False, "is_incompatible": False, "email_auth_enabled": True,
    "require_email_format_usernames": True, "realm_uri": "http://127.0.0.1", "realm_url": "http://127.0.0.1",
    "realm_name": "Fake", "realm_icon": "", "realm_description": "", "realm_web_public_access_enabled": False,
    "authentication_methods": {"password": True}, "external_authentication_methods": [],
}


def _bad_queue(queue_id: str) -> dict[str, Any]:
    return {"result": "error", "msg": f"Bad event queue ID: {queue_id}", "code": "BAD_EVENT_QUEUE_ID", "queue_id": queue_id}


def _render(content: str) -> str:
    text = content.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<p>{text}</p>"


def _shown(message: dict[str, Any], apply_markdown: bool) -> dict[str, Any]:
    shown = dict(message)
    if apply_markdown:
        shown["content"] = _render(message["content"])
        shown["content_type"] = "text/html"
    return shown


def _handler(fake: FakeZulip) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def setup(self) -> None:
            super().setup()  # keep-alive, TCP_NODELAY
            with fake.lock:
                fake._connections.add(self.connection)

        def finish(self) -> None:
            with fake.lock:
                fake._connections.discard(self.connection)
            try:
                super().finish()
            except OSError:
                pass

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def do_PATCH(self) -> None:
            self._serve("PATCH")

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if len(raw) < length:  # the connection was cut mid-request (a restart): nothing to answer
                self.close_connection = True
                return
            files: dict[str, tuple[str, bytes, str]] = {}
            if raw and self.headers.get("Content-Type", "").startswith("multipart/form-data"):
                try:
                    form, files = parse_multipart(self.headers["Content-Type"], raw)
                except ValueError as exc:
                    with fake.lock:
                        fake.problems.append(f"{method} {path}: malformed multipart body ({exc})")
                    return self._reply(400, {"result": "error", "msg": "Bad multipart body", "code": "BAD_REQUEST"},
                                       method, path, check=False)
            else:
                form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True)) if raw else {}
            user = fake._auth(self.headers.get("Authorization"))
            if method == "GET" and path == "/api/v1/server_settings":  # the one unauthenticated endpoint
                return self._reply(200, _SERVER_SETTINGS, method, path)
            with fake.lock:
                fake.requests.append((method, path, user.user_id if user else None))
            failure = fake._failure(path, method)
            if failure is not None and failure.drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if user is None:
                return self._reply(401, {"result": "error", "msg": "Invalid API key", "code": "INVALID_API_KEY"}, method, path)
            allowed, remaining, reset = fake._rate(user)
            headers = {"X-RateLimit-Limit": str(fake.rate_limit or 0), "X-RateLimit-Remaining": str(remaining),
                       "X-RateLimit-Reset": str(int(time.time() + reset))}
            if not allowed:
                body = {"result": "error", "msg": "API usage exceeded rate limit", "code": "RATE_LIMIT_HIT", "retry-after": reset}
                return self._reply(429, body, method, path, headers | {"Retry-After": f"{reset:.3f}"})
            if failure is not None:
                if failure.status == 429:
                    body = {"result": "error", "msg": "API usage exceeded rate limit", "code": "RATE_LIMIT_HIT",
                            "retry-after": failure.retry_after}
                    return self._reply(429, body, method, path, headers | {"Retry-After": str(failure.retry_after)})
                return self._reply(failure.status, {"result": "error", "msg": "Internal server error", "code": "BAD_REQUEST"},
                                   method, path, headers, check=False)
            ignored: list[str] = []
            if fake.spec is not None:
                problems = fake.spec.request_problems(method, path, query=query, form=form, unknown=ignored)
                if ignored:
                    with fake.lock:
                        fake.ignored.extend(f"{method} {path}: {name}" for name in ignored)
                if problems:
                    with fake.lock:
                        fake.problems.extend(problems)
                    return self._reply(500, {"result": "error", "msg": "; ".join(problems), "code": "BAD_REQUEST"},
                                       method, path, check=False)
            try:
                if method == "POST" and path == "/api/v1/user_uploads":
                    status, body = fake._upload(files, user)
                else:
                    status, body = fake.handle(method, path, query, form, user)
            except ConnectionAbortedError:
                self.close_connection = True
                return
            with fake.lock:
                late = next((entry for entry in fake.late if entry[:2] == (method, path)), None)
                if late is not None:
                    fake.late.remove(late)
                    fake.stalled.append(late[2])
            if late is not None:
                late[2].wait(60)  # the work is done; the answer waits (its client may be gone by then)
            if ignored and body.get("result") == "success":
                # Zulip >= 7.0 accepts unknown parameters and names them in the answer.
                body["ignored_parameters_unsupported"] = ignored
            self._reply(status, body, method, path, headers)

        def _reply(self, status: int, body: dict[str, Any], method: str, path: str,
                   headers: dict[str, str] | None = None, *, check: bool = True) -> None:
            if check and fake.spec is not None and status == 429:
                # 429 is documented once, under /rest-error-handling. The server sends retry-after as a
                # float while the schema says integer (shared/api/README.md): check the rest of the shape.
                shape = dict(body, **{"retry-after": int(body.get("retry-after", 0))})
                problems = fake.spec.response_problems("POST", "/api/v1/rest-error-handling", 429, shape)
                if problems:
                    with fake.lock:
                        fake.problems.extend(problems)
            elif check and fake.spec is not None and fake.spec.operation(method, path) is not None and status != 401:
                problems = fake.spec.response_problems(method, path, status, body)
                if problems:
                    with fake.lock:
                        fake.problems.extend(problems)
            data = json.dumps(body).encode()
            with fake.lock:
                fake.statuses.append(status)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                self.close_connection = True

    return Handler
