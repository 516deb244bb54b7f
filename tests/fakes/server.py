"""The loopback HTTP server the fakes share: a real ``ThreadingHTTPServer`` on 127.0.0.1, on a free port
(port 0), served from a daemon thread, started and stopped with the fake (or as a context manager).

A fake subclasses ``LoopbackServer`` and says how to answer in ``handler()``, which returns the
``BaseHTTPRequestHandler`` class to serve with (usually one defined there, closing over the fake;
``get_handler`` makes the usual GET-only one). ``base_url`` is ``http://127.0.0.1:<port>``; each fake
keeps its own ``url`` on top of it.

Also shared by the fakes: ``send`` (one answer), ``Faults`` (``fail_next``: scripted answers for the next
requests under a path), ``etag_matches`` (``If-None-Match``) and ``page_links`` (GitHub's ``Link`` header).

Example usage::

    class FakeThing(LoopbackServer):
        thread_name = "fake-thing"

        def handler(self) -> type[BaseHTTPRequestHandler]:
            fake = self

            class Handler(BaseHTTPRequestHandler):
                def do_GET(self) -> None:
                    fake.answer(self)

            return Handler

    with FakeThing() as thing:
        httpx.get(thing.base_url + "/ping")
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import urlencode

JSON_TYPE = "application/json; charset=utf-8"


class LoopbackServer:
    """Starts and stops a fake's HTTP server; ``stop`` is safe to call again (a test may stop it early)."""

    # How often serve_forever looks for shutdown(): a smaller value stops the fake sooner.
    poll_interval: float = 0.05
    thread_name: str = "fake-server"
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _address: tuple[str, int] | None = None  # kept after stop(): a test may name the now closed port

    def handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError(f"{type(self).__name__} is already running at {self.base_url}")
        server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        server.daemon_threads = True  # a request still being served never holds up the test run
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": self.poll_interval},
                                  name=self.thread_name, daemon=True)
        self._server, self._thread = server, thread
        host, port = server.server_address[:2]
        self._address = (str(host), int(port))
        thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``; after ``stop()`` still the same address, where nothing answers now."""
        if self._address is None:
            raise RuntimeError(f"start() the {type(self).__name__} first")
        host, port = self._address
        return f"http://{host}:{port}"


def parse_multipart(content_type: str, raw: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes, str]]]:
    """A ``multipart/form-data`` body as (text fields, files): files map a field name to (file name, bytes,
    content type). ``ValueError`` when the body is not well-formed multipart."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw)
    if not message.is_multipart():
        raise ValueError("not a multipart body")
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes, str]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            raise ValueError("a part without a name")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files[str(name)] = (filename, payload, part.get_content_type())
        else:
            fields[str(name)] = payload.decode("utf-8")
    return fields, files


class QuietHandler(BaseHTTPRequestHandler):
    """A keep-alive (HTTP/1.1) handler that logs nothing. Headers and body go out in separate writes: with
    ``TCP_NODELAY``, Nagle's algorithm and the client's delayed ACK no longer add 40 ms to every answer."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def get_handler(serve: Callable[[BaseHTTPRequestHandler], None]) -> type[BaseHTTPRequestHandler]:
    """A ``QuietHandler`` class that answers every GET with ``serve(handler)`` (a fake's ``handler()``)."""

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            serve(self)

    return Handler


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str | None,
         headers: Mapping[str, str]) -> None:
    """Answer with ``status``, ``Content-Type`` (none when ``content_type`` is None: a 304, an empty body),
    ``headers``, ``Content-Length`` and ``body``; a client that went away meanwhile is no error."""
    try:
        handler.send_response(status)
        if content_type:
            handler.send_header("Content-Type", content_type)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if body:
            handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass


@dataclass
class Fault:
    """A scripted answer for the next ``times`` requests whose path starts with ``prefix``."""

    prefix: str
    status: int
    times: int
    headers: dict[str, str]
    body: Any  # as the fake sends it (bytes, or what it serialises)
    content_type: str = JSON_TYPE


class Faults:
    """The scripted answers of a fake (its ``fail_next``), taken first come, first served; thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, path: str) -> Fault | None:
        """The fault that answers a request for ``path`` now (one of its ``times`` used), if any."""
        with self._lock:
            fault = next((f for f in self._faults if f.times > 0 and path.startswith(f.prefix)), None)
            if fault is not None:
                fault.times -= 1
            return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header matches ``etag`` (weak comparison, ``*`` matches any)."""
    if not if_none_match:
        return False
    candidates = [c.strip().removeprefix("W/") for c in if_none_match.split(",")]
    return etag in candidates or "*" in candidates


def page_links(base: str, params: Mapping[str, str], per_page: int, page: int, pages: int) -> list[str]:
    """GitHub's ``Link`` header parts for ``page`` of ``pages``: next and last, then prev and first."""

    def link(n: int, rel: str) -> str:
        return f'<{base}?{urlencode({**params, "per_page": str(per_page), "page": str(n)})}>; rel="{rel}"'

    links = []
    if page < pages:
        links += [link(page + 1, "next"), link(pages, "last")]
    if page > 1:
        links += [link(page - 1, "prev"), link(1, "first")]
    return links
