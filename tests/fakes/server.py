"""The loopback HTTP server the fakes share: a real ``ThreadingHTTPServer`` on 127.0.0.1, on a free port
(port 0), served from a daemon thread, started and stopped with the fake (or as a context manager).

A fake subclasses ``LoopbackServer`` and says how to answer in ``handler()``, which returns the
``BaseHTTPRequestHandler`` class to serve with (usually one defined there, closing over the fake).
``base_url`` is ``http://127.0.0.1:<port>``; each fake keeps its own ``url`` on top of it.

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

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


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
