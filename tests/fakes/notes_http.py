"""A fake notes host (HackMD-like): a real HTTP server on 127.0.0.1, port 0, for the notes source tests.

It serves Markdown documents the test declares, the way HackMD's ``/download`` endpoint does
(``text/markdown; charset=UTF-8``, a strong ``ETag`` and a ``Last-Modified``), answers conditional
requests with 304 when the validators match, serves HackMD's HTML note page for ``/<id>`` (so a
client that forgets ``/download`` gets HTML, as it would for real), and records every request.

Example usage::

    with FakeNotesHost() as host:
        host.documents["/abc/download"] = "# Notes"
        url = host.url("/abc/download")
        ...
        assert host.requests[-1].headers.get("If-None-Match") == '"..."'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from typing import Any

from fakes.server import LoopbackServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    status: int


class FakeNotesHost(LoopbackServer):
    thread_name = "fake-notes-host"

    def __init__(self) -> None:
        self.documents: dict[str, str | bytes] = {}
        self.status: dict[str, int] = {}  # path -> forced status (404, 500 ...)
        self.content_type: dict[str, str] = {}
        self.requests: list[Seen] = []
        self.modified = formatdate(1_700_000_000, usegmt=True)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                status, body, headers = fake._answer(path, dict(self.headers.items()))
                fake.requests.append(Seen("GET", path, dict(self.headers.items()), status))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def _answer(self, path: str, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        if path in self.status:
            code = self.status[path]
            return code, f"error {code}".encode(), {"Content-Type": "text/plain"}
        if path not in self.documents:
            note = path.rstrip("/")
            if note + "/download" in self.documents:  # the note's HTML page
                return 200, b"<!DOCTYPE html><html><body>HackMD</body></html>", {"Content-Type": "text/html; charset=utf-8"}
            return 404, b"Not Found", {"Content-Type": "text/plain"}
        doc = self.documents[path]
        body = doc.encode("utf-8") if isinstance(doc, str) else doc
        etag = '"' + hashlib.sha1(body).hexdigest() + '"'
        lower = {k.lower(): v for k, v in headers.items()}
        if lower.get("if-none-match") == etag or (
            "if-none-match" not in lower and lower.get("if-modified-since") == self.modified
        ):
            return 304, b"", {"ETag": etag, "Last-Modified": self.modified}
        ctype = self.content_type.get(path, "text/markdown; charset=UTF-8")
        return 200, body, {"Content-Type": ctype, "ETag": etag, "Last-Modified": self.modified}

    def url(self, path: str) -> str:
        return self.base_url + path
