"""A fake GitHub REST API and PyPI JSON API: a real HTTP server on 127.0.0.1 (port 0).

Serves the payload shapes in ``tests/fakes/data/`` (copies of ``shared/api/examples/``):

- ``GET /repos/{owner}/{repo}/releases?per_page=&page=``: GitHub's list-releases, paginated with a
  ``Link`` header (``next``/``last``/``first``/``prev``), ``per_page`` 1..100 (default 30), a strong
  ``ETag`` per page, 304 on a matching ``If-None-Match``, and the ``x-ratelimit-*`` headers. The primary
  rate limit (60 anonymous, 5000 with a token) is spent per request; a 304 to an authorized request
  is free, as GitHub documents. A spent limit answers 403 with ``x-ratelimit-remaining: 0`` and
  ``x-ratelimit-reset``. A request without ``User-Agent`` gets GitHub's 403.
- ``GET /pypi/{project}/json``: PyPI's project JSON, with ``ETag``; a non-normalized name is redirected
  (301) to the normalized one, an unknown project is a 404 ``{"message": "Not Found"}``.
- ``GET /files/{name}``: a text file (a changelog served over HTTP), with ``ETag``.

Scripted behaviours (``fail_next``): 5xx, 429 with ``retry-after``, 403 with a reset time, malformed
JSON, or any status/body/headers, for the next N requests whose path starts with a prefix.

Every request is recorded (``requests``) so tests assert on what crossed the wire. Requests and
responses are checked: a query parameter GitHub does not take, a ``per_page`` over 100, a bad
``Authorization`` form, a missing ``Accept``, or a release item whose keys differ from GitHub's
official example are kept in ``problems`` with how to fix them; the ``release_server`` fixture
fails the test if any were recorded.

Example usage::

    with FakeReleaseServer() as fake:
        fake.fail_next("/repos/", 503, times=2)
        fetcher = ReleaseFetcher(github_url=fake.url, pypi_url=fake.url, sleep=lambda s: None)
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes.server import JSON_TYPE, Fault, Faults, LoopbackServer, etag_matches, get_handler, page_links, send

DATA = Path(__file__).resolve().parent / "data"
GITHUB_DOCS = "https://docs.github.com/rest/releases/releases#list-releases"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


OFFICIAL_KEYS = list(load("github-release-items.official-example.json")[0])


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    status: int = 0


@dataclass
class FakeReleaseServer(LoopbackServer):
    github: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pypi: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)  # accepted tokens; others get 401 Bad credentials
    rate_limit: int = 60
    rate_limit_authenticated: int = 5000
    rate_reset: int = 1_900_000_000  # POSIX seconds sent in x-ratelimit-reset
    api_prefix: str = ""  # GitHub Enterprise serves the API under "/api/v3"
    requests: list[Recorded] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.github:
            self.github = {
                "jupyterhub/jupyterhub": load("github-releases.json"),
                "octocat/hello-world": load("github-release-items.official-example.json"),
            }
        if not self.pypi:
            self.pypi = {"sampleproject": load("pypi-project.json")}
        self.used: dict[str, int] = {"anonymous": 0, "authenticated": 0}
        self._faults = Faults()
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------

    poll_interval = 0.02
    thread_name = "fake-releases"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return get_handler(self._handle)

    @property
    def url(self) -> str:
        return self.base_url

    # -- scripting ---------------------------------------------------------------------------

    def fail_next(
        self,
        prefix: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: bytes | str | dict[str, Any] | list[Any] = b"",
        content_type: str = JSON_TYPE,
    ) -> None:
        """Answer the next ``times`` requests whose path starts with ``prefix`` with this response."""
        if isinstance(body, dict | list):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        self._faults.add(Fault(prefix, status, times, dict(headers or {}), body, content_type))

    def rate_limited(self, prefix: str = "/repos/", *, reset: int, times: int = 1) -> None:
        """GitHub's primary rate limit: 403, remaining 0, reset at ``reset`` (POSIX seconds)."""
        self.fail_next(
            prefix,
            403,
            times=times,
            headers={
                "x-ratelimit-limit": "60",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(reset),
            },
            body={
                "message": "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated "
                "requests get a higher rate limit. Check out the documentation for more details.)",
                "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
            },
        )

    def malformed(self, prefix: str, *, times: int = 1) -> None:
        self.fail_next(prefix, 200, times=times, body=b'[{"tag_name": "v1.0", "draft": fal')

    def add_github_releases(self, repo: str, count: int, *, start: int = 1) -> list[dict[str, Any]]:
        """``count`` synthetic releases (newest first) shaped exactly like the official example."""
        template = load("github-release-items.official-example.json")[0]
        items = []
        for n in range(start + count - 1, start - 1, -1):
            item = copy.deepcopy(template)
            item.update(
                id=n,
                tag_name=f"v1.{n}.0",
                name=f"v1.{n}.0",
                html_url=f"https://github.com/{repo}/releases/v1.{n}.0",
                body=f"### Bugs fixed\n\n- Fix number {n} ([@dev{n}](https://github.com/dev{n}))\n",
                published_at=f"2025-{1 + n // 28 % 12:02d}-{1 + n % 28:02d}T12:00:00Z",
                assets=[],
            )
            items.append(item)
        self.github[repo.lower()] = items
        return items

    def requests_to(self, prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith(prefix)]

    # -- serving -----------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        record = Recorded("GET", parts.path, query, headers)
        with self._lock:
            self.requests.append(record)
        fault = self._faults.take(parts.path)
        if fault is not None:
            self._send(handler, record, fault.status, fault.body, fault.content_type, fault.headers)
            return
        if self.api_prefix and parts.path.startswith(self.api_prefix + "/repos/"):
            self._github(handler, record, parts.path.removeprefix(self.api_prefix), query, headers)
        elif parts.path.startswith("/repos/") and not self.api_prefix:
            self._github(handler, record, parts.path, query, headers)
        elif parts.path.startswith("/pypi/"):
            self._pypi(handler, record, parts.path, headers)
        elif parts.path.startswith("/files/"):
            name = parts.path.removeprefix("/files/")
            if name in self.files:
                self._send_cached(
                    handler, record, self.files[name], "text/markdown; charset=utf-8", headers, {}
                )
            else:
                self._send(handler, record, 404, b"Not Found", "text/plain", {})
        else:
            self._problem(
                f"GET {parts.path}: no such endpoint in the fake; compass should call "
                "/repos/{owner}/{repo}/releases or /pypi/{project}/json"
            )
            self._send(handler, record, 404, b'{"message": "Not Found"}', JSON_TYPE, {})

    def _problem(self, text: str) -> None:
        with self._lock:
            self.problems.append(text)

    def _github(
        self,
        handler: BaseHTTPRequestHandler,
        record: Recorded,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
    ) -> None:
        match = re.fullmatch(r"/repos/([\w.-]+)/([\w.-]+)/releases", path)
        if not match:
            self._problem(f"GET {path}: not a list-releases path; use /repos/{{owner}}/{{repo}}/releases")
            self._send(handler, record, 404, json.dumps({"message": "Not Found"}).encode(), JSON_TYPE, {})
            return
        if "user-agent" not in headers:
            body = b"Request forbidden by administrative rules. Please make sure your request has a User-Agent header"
            self._send(handler, record, 403, body, "text/plain", {})
            return
        accept = headers.get("accept", "")
        if "application/vnd.github" not in accept and "application/json" not in accept:
            self._problem(
                f"GET {path}: Accept is {accept!r}; GitHub recommends 'application/vnd.github+json'"
            )
        unknown = set(query) - {"per_page", "page"}
        if unknown:
            self._problem(
                f"GET {path}: unknown query parameters {sorted(unknown)}; list-releases takes per_page and page"
            )
        per_page = _int(query, "per_page", 30)
        page = _int(query, "page", 1)
        if per_page is None or page is None or page < 1 or per_page < 1:
            self._problem(f"GET {path}: per_page/page must be positive integers ({GITHUB_DOCS})")
            self._send(
                handler, record, 422, json.dumps({"message": "Validation Failed"}).encode(), JSON_TYPE, {}
            )
            return
        if per_page > 100:
            self._problem(
                f"GET {path}: per_page={per_page} is over GitHub's maximum of 100; ask for at most 100"
            )
            per_page = 100
        authorized = False
        auth = headers.get("authorization")
        if auth is not None:
            scheme, _, token = auth.partition(" ")
            if scheme not in ("Bearer", "token") or not token:
                self._problem("Authorization must be 'Bearer <token>' (or 'token <token>')")
            if token not in self.tokens:
                denied = {
                    "message": "Bad credentials",
                    "documentation_url": "https://docs.github.com/rest",
                    "status": "401",
                }
                self._send(handler, record, 401, json.dumps(denied).encode(), JSON_TYPE, {})
                return
            authorized = True
        bucket = "authenticated" if authorized else "anonymous"
        limit = self.rate_limit_authenticated if authorized else self.rate_limit
        repo = f"{match.group(1)}/{match.group(2)}".lower()
        if repo not in self.github:
            self._spend(bucket)
            missing = {"message": "Not Found", "documentation_url": GITHUB_DOCS, "status": "404"}
            self._send(
                handler,
                record,
                404,
                json.dumps(missing).encode(),
                JSON_TYPE,
                self._rate_headers(bucket, limit),
            )
            return
        items = self.github[repo]
        for item in items:
            if list(item) != OFFICIAL_KEYS:
                self._problem(
                    f"release {item.get('tag_name')!r} of {repo}: keys differ from GitHub's official example"
                )
        pages = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        body = json.dumps(chunk).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
        base = f"http://{headers.get('host', '127.0.0.1')}{self.api_prefix}{path}"
        links = page_links(base, {}, per_page, page, pages)
        extra = {"ETag": etag}
        if links:
            extra["Link"] = ", ".join(links)
        if etag_matches(headers.get("if-none-match"), etag):
            if not authorized:
                self._spend(bucket)  # GitHub: a 304 is free only for an authorized request
            extra.update(self._rate_headers(bucket, limit))
            self._send(handler, record, 304, b"", None, extra)
            return
        if self.used[bucket] >= limit:
            self._send(
                handler,
                record,
                403,
                json.dumps({"message": "API rate limit exceeded"}).encode(),
                JSON_TYPE,
                self._rate_headers(bucket, limit),
            )
            return
        self._spend(bucket)
        extra.update(self._rate_headers(bucket, limit))
        self._send(handler, record, 200, body, JSON_TYPE, extra)

    def _spend(self, bucket: str) -> None:
        with self._lock:
            self.used[bucket] += 1

    def _rate_headers(self, bucket: str, limit: int) -> dict[str, str]:
        used = self.used[bucket]
        return {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(max(limit - used, 0)),
            "x-ratelimit-reset": str(self.rate_reset),
            "x-ratelimit-used": str(used),
            "x-ratelimit-resource": "core",
        }

    def _pypi(
        self, handler: BaseHTTPRequestHandler, record: Recorded, path: str, headers: dict[str, str]
    ) -> None:
        match = re.fullmatch(r"/pypi/([^/]+)/json", path)
        if not match:
            self._problem(f"GET {path}: not a PyPI project JSON path; use /pypi/{{project}}/json")
            self._send(handler, record, 404, b'{"message": "Not Found"}', JSON_TYPE, {})
            return
        name = match.group(1)
        normalized = re.sub(r"[-_.]+", "-", name).lower()
        if normalized != name:
            self._send(handler, record, 301, b"", None, {"Location": f"/pypi/{normalized}/json"})
            return
        project = self.pypi.get(normalized)
        if project is None:
            self._send(handler, record, 404, b'{"message": "Not Found"}', JSON_TYPE, {})
            return
        for key in ("info", "releases", "urls"):
            if key not in project:
                self._problem(f"PyPI project {name!r} lacks {key!r}; the JSON API always sends it")
        self._send_cached(handler, record, json.dumps(project).encode(), JSON_TYPE, headers, {})

    def _send_cached(
        self,
        handler: BaseHTTPRequestHandler,
        record: Recorded,
        body: bytes,
        content_type: str,
        headers: dict[str, str],
        extra: dict[str, str],
    ) -> None:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if etag_matches(headers.get("if-none-match"), etag):
            self._send(handler, record, 304, b"", None, {"ETag": etag, **extra})
        else:
            self._send(handler, record, 200, body, content_type, {"ETag": etag, **extra})

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        record: Recorded,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str],
    ) -> None:
        record.status = status
        if status == 304:
            body, content_type = b"", None
        send(handler, status, body, content_type, headers)


def _int(query: dict[str, list[str]], name: str, default: int) -> int | None:
    values = query.get(name)
    if not values:
        return default
    try:
        return int(values[-1])
    except ValueError:
        return None

