"""A fake Discourse: a real HTTP server on 127.0.0.1 (port 0) for the publisher tests.

It serves what compass uses (``POST /posts`` and ``/posts.json``, ``GET /t/{id}.json``,
``GET /t/external_id/{id}.json``, ``GET /categories.json``, ``PUT /t/{id}/status``), checks every request
body and every response body against ``shared/api/discourse-openapi.json``, and enforces the real
limits listed in ``shared/api/README.md``:

- ``Api-Key`` + ``Api-Username`` authentication (403 ``invalid_access`` otherwise);
- topic titles of 15 to 255 characters, unique among topics; first posts of 20 to ``max_post_length``
  characters; external ids unique and at most 50 characters;
- 429 with ``extras.wait_seconds`` and a ``Retry-After`` header, when a test scripts one or when
  topics come faster than ``rate_limit_create_topic`` seconds;
- the exact ``application/json; charset=utf-8`` content type pydiscourse insists on, and a 301 from
  the external-id lookup (pydiscourse never follows redirects).

A schema mismatch answers 500 with the reason and is kept in ``problems``; the fixture fails the test
if any were recorded, saying what to fix.

Example usage::

    with FakeDiscourse(api_key="k") as fake:
        fake.fail_next(502)                   # the next POST /posts gets a 502 (after no side effect)
        ...
        assert len(fake.topics) == 1
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
from fakes.server import LoopbackServer

# The operations the fake serves, copied with every schema they reference from
# shared/api/discourse-openapi.json (discourse/discourse_api_docs @ 6737ac2) by
#   python tests/fakes/data/extract_openapi.py ../shared/api/discourse-openapi.json \
#       tests/fakes/data/discourse-openapi.subset.json "post /posts.json" "get /categories.json" \
#       "get /t/{id}.json" "get /t/external_id/{external_id}.json" "put /t/{id}/status.json"
# so the tests never read ../shared at run time.
SPEC_PATH = Path(__file__).resolve().parent / "data" / "discourse-openapi.subset.json"
JSON_TYPE = "application/json; charset=utf-8"

# Fields Discourse's PostsController accepts that the OpenAPI file leaves out of the request schema
# (which says additionalProperties: false). They are checked here by hand instead.
UNDOCUMENTED_POST_FIELDS = {"tags"}

_spec_cache: dict[str, Any] = {}


def spec() -> dict[str, Any]:
    if "spec" not in _spec_cache:
        _spec_cache["spec"] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return _spec_cache["spec"]


def _operation(path: str, method: str) -> dict[str, Any]:
    return spec()["paths"][path][method]


def _response_schema(path: str, method: str, status: str = "200") -> dict[str, Any]:
    return _operation(path, method)["responses"][status]["content"]["application/json"]["schema"]


def example_of(schema: dict[str, Any]) -> Any:
    """The smallest instance of a schema: required properties only, nulls where allowed."""
    kind = schema.get("type")
    if isinstance(kind, list):
        if "null" in kind:
            return None
        kind = kind[0]
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: example_of(props.get(name, {})) for name in schema.get("required", [])}
    return {"string": "", "integer": 0, "number": 0, "boolean": False, "array": []}.get(kind or "", None)


class SchemaMismatch(Exception):
    pass


def check(instance: Any, schema: dict[str, Any], what: str) -> None:
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "(top level)"
        raise SchemaMismatch(
            f"{what} does not match discourse-openapi.json at {where}: {first.message}; "
            "fix the request (or the fake's response) to follow the documented schema"
        )


@dataclass
class Topic:
    id: int
    title: str
    raw: str
    category_id: int | None
    external_id: str | None
    tags: list[str]
    created_at: dt.datetime
    username: str
    post_id: int
    pinned: bool = False
    pinned_until: str | None = None

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-") or "topic"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int = 0


@dataclass
class Category:
    id: int
    name: str
    slug: str


@dataclass
class _Script:
    status: int
    wait_seconds: int = 0
    after_create: bool = False  # create the topic, then answer with this status (a lost response)
    delay: float = 0.0  # do the work, then wait this long before answering
    paths: tuple[str, ...] = ("/posts",)


class FakeDiscourse(LoopbackServer):
    thread_name = "fake-discourse"

    def __init__(
        self,
        *,
        api_key: str = "discourse-test-key",
        usernames: tuple[str, ...] = ("system", "compass"),
        categories: tuple[tuple[int, str], ...] = ((5, "News"), (6, "Digests")),
        max_post_length: int = 32000,
        rate_limit_create_topic: float = 0.0,
    ) -> None:
        self.api_key = api_key
        self.usernames = set(usernames)
        self.categories = [Category(i, name, name.lower()) for i, name in categories]
        self.max_post_length = max_post_length
        self.rate_limit_create_topic = rate_limit_create_topic
        self.topics: dict[int, Topic] = {}
        self.requests: list[Recorded] = []
        self.problems: list[str] = []
        self._scripts: list[_Script] = []
        self._last_topic_at = 0.0
        self._next_id = 1000
        self._lock = threading.Lock()

    # -- scripting --

    def fail_next(self, status: int, times: int = 1, *, after_create: bool = False, paths: tuple[str, ...] = ("/posts",)) -> None:
        """Answer the next ``times`` matching requests with ``status`` (optionally after doing the work)."""
        with self._lock:
            self._scripts.extend(_Script(status, after_create=after_create, paths=paths) for _ in range(times))

    def delay_next(self, seconds: float, times: int = 1, *, paths: tuple[str, ...] = ("/posts",)) -> None:
        """Do the next matching request's work at once but answer only after ``seconds`` (a slow server)."""
        with self._lock:
            self._scripts.extend(_Script(200, delay=seconds, paths=paths) for _ in range(times))

    def rate_limit_next(self, wait_seconds: int, times: int = 1) -> None:
        with self._lock:
            self._scripts.extend(_Script(429, wait_seconds=wait_seconds) for _ in range(times))

    def posts_to(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    # -- lifecycle --

    @property
    def url(self) -> str:
        return self.base_url

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(_Handler):
            owner = fake

        return Handler

    # -- behaviour --

    def _take_script(self, path: str) -> _Script | None:
        with self._lock:
            for i, script in enumerate(self._scripts):
                if any(path.startswith(p) for p in script.paths):
                    return self._scripts.pop(i)
        return None

    def handle(self, method: str, path: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        if headers.get("api-key") != self.api_key or headers.get("api-username") not in self.usernames:
            return 403, {}, _error("You are not permitted to view the requested resource. The API username or key is invalid.", "invalid_access")
        script = self._take_script(path)
        if script is not None and script.status == 429:
            return 429, {"Retry-After": str(script.wait_seconds), "Discourse-Rate-Limit-Error-Code": "create_topic"}, {
                "errors": ["You’ve performed this action too many times. Please wait a few seconds before trying again."],
                "error_type": "rate_limit",
                "extras": {"wait_seconds": script.wait_seconds, "time_left": f"{script.wait_seconds} seconds"},
            }
        if script is not None and script.delay:
            status, extra, payload = self._route(method, path, headers, body)
            time.sleep(script.delay)
            return status, extra, payload
        if script is not None and not script.after_create:
            return script.status, {}, _error(f"scripted failure {script.status}", "server_error")
        status, extra, payload = self._route(method, path, headers, body)
        if script is not None:  # the work is done, but the client never hears of it
            return script.status, {}, _error(f"scripted failure {script.status} after the work was done", "server_error")
        return status, extra, payload

    def _route(self, method: str, path: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        if method == "POST" and path in ("/posts", "/posts.json"):
            return self._create(headers, body)
        if method == "GET" and path == "/categories.json":
            return self._categories()
        if method == "GET" and (m := re.fullmatch(r"/t/external_id/([^/]+)\.json", path)):
            for topic in self.topics.values():
                if topic.external_id == m.group(1):
                    return 301, {"Location": f"/t/{topic.id}.json"}, None
            return 404, {}, _error("The requested URL or resource could not be found.", "not_found")
        if method == "GET" and (m := re.fullmatch(r"/t/(?:[^/]+/)?(\d+)\.json", path)):
            topic = self.topics.get(int(m.group(1)))
            if topic is None:
                return 404, {}, _error("The requested URL or resource could not be found.", "not_found")
            return 200, {}, self._topic_json(topic)
        if method == "PUT" and (m := re.fullmatch(r"/t/(\d+)/status(?:\.json)?", path)):
            return self._status(int(m.group(1)), body)
        return 404, {}, _error("The requested URL or resource could not be found.", "not_found")

    def _create(self, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        documented = {k: v for k, v in body.items() if k not in UNDOCUMENTED_POST_FIELDS}
        check(documented, _operation("/posts.json", "post")["requestBody"]["content"]["application/json"]["schema"], "POST /posts body")
        tags = body.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            return 400, {}, _error("tags must be a list of tag names", "invalid_parameters")
        title = body.get("title") or ""
        raw = body.get("raw") or ""
        errors = []
        if body.get("topic_id") is None:
            if not 15 <= len(title) <= 255:
                errors.append(f"Title must be between 15 and 255 characters (it has {len(title)})")
            if any(t.title.lower() == title.lower() for t in self.topics.values()):
                errors.append("Title has already been used")
        if len(raw.strip()) < 20:
            errors.append("Body is too short (minimum is 20 characters)")
        if len(raw) > self.max_post_length:
            errors.append(f"Body is limited to {self.max_post_length} characters; you entered {len(raw)}.")
        external_id = body.get("external_id")
        if external_id is not None:
            if len(external_id) > 50:
                errors.append("External ID is too long (maximum is 50 characters)")
            if any(t.external_id == external_id for t in self.topics.values()):
                errors.append("External ID has already been taken")
        category = body.get("category")
        if category is not None and category not in {c.id for c in self.categories}:
            errors.append(f"Category {category} does not exist")
        if errors:
            return 422, {}, _error(errors, "invalid_parameters")
        now = time.monotonic()
        if self.rate_limit_create_topic and now - self._last_topic_at < self.rate_limit_create_topic:
            wait = max(1, int(self.rate_limit_create_topic - (now - self._last_topic_at)))
            return 429, {"Retry-After": str(wait)}, {
                "errors": ["You’ve performed this action too many times."],
                "error_type": "rate_limit",
                "extras": {"wait_seconds": wait, "time_left": f"{wait} seconds"},
            }
        with self._lock:
            self._last_topic_at = now
            self._next_id += 1
            topic = Topic(
                id=self._next_id, title=title, raw=raw, category_id=category, external_id=external_id, tags=tags,
                created_at=dt.datetime.now(dt.UTC), username=headers["api-username"], post_id=self._next_id + 50000,
            )
            self.topics[topic.id] = topic
        schema = _response_schema("/posts.json", "post")
        payload = example_of(schema)
        payload.update(
            id=topic.post_id, username=topic.username, created_at=topic.created_at.isoformat(), cooked=f"<p>{raw[:50]}</p>",
            post_number=1, topic_id=topic.id, topic_slug=topic.slug, post_url=f"/t/{topic.slug}/{topic.id}/1", yours=True,
        )
        return 200, {}, payload

    def _categories(self) -> tuple[int, dict[str, str], Any]:
        schema = _response_schema("/categories.json", "get")
        payload = example_of(schema)
        item_schema = schema["properties"]["category_list"]["properties"]["categories"]["items"]
        items = []
        for c in self.categories:
            item = example_of(item_schema)
            item.update(id=c.id, name=c.name, slug=c.slug)
            items.append(item)
        payload["category_list"]["categories"] = items
        return 200, {}, payload

    def _topic_json(self, topic: Topic) -> dict[str, Any]:
        schema = _response_schema("/t/{id}.json", "get")
        payload = example_of(schema)
        payload.update(id=topic.id, title=topic.title, fancy_title=topic.title, slug=topic.slug, posts_count=1,
                       created_at=topic.created_at.isoformat(), category_id=topic.category_id or 1,
                       pinned=topic.pinned, pinned_until=topic.pinned_until, archetype="regular", visible=True)
        payload["tags"] = list(topic.tags)
        post_schema = schema["properties"]["post_stream"]["properties"]["posts"]["items"]
        post = example_of(post_schema)
        post.update(id=topic.post_id, username=topic.username, post_number=1, topic_id=topic.id, topic_slug=topic.slug,
                    cooked=f"<p>{topic.raw[:50]}</p>")
        payload["post_stream"]["posts"] = [post]
        return payload

    def _status(self, topic_id: int, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        check(body, _operation("/t/{id}/status.json", "put")["requestBody"]["content"]["application/json"]["schema"],
              "PUT /t/{id}/status body")
        topic = self.topics.get(topic_id)
        if topic is None:
            return 404, {}, _error("The requested URL or resource could not be found.", "not_found")
        if body["status"] == "pinned":
            topic.pinned = body["enabled"] == "true"
            topic.pinned_until = body.get("until")
        return 200, {}, {"success": "OK", "topic_status_update": None}


def _error(errors: str | list[str], kind: str) -> dict[str, Any]:
    return {"errors": [errors] if isinstance(errors, str) else errors, "error_type": kind}


_INT_FIELDS = {"category", "topic_id", "reply_to_post_number"}
_BOOL_FIELDS = {"auto_track"}


def _form_to_json(form: dict[str, list[str]]) -> dict[str, Any]:
    """Form fields as Discourse's Rails params would read them: 'tags[]' lists, ints, booleans."""
    body: dict[str, Any] = {}
    for key, values in form.items():
        if key.endswith("[]"):
            body[key[:-2]] = values
            continue
        value: Any = values[-1]
        if key in _INT_FIELDS and re.fullmatch(r"-?\d+", value):
            value = int(value)
        elif key in _BOOL_FIELDS and value in ("true", "false"):
            value = value == "true"
        body[key] = value
    return body


class _Handler(BaseHTTPRequestHandler):
    owner: FakeDiscourse
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        body: dict[str, Any] = {}
        if raw and "application/json" in ctype:
            body = json.loads(raw)
        elif raw:
            body = _form_to_json(parse_qs(raw.decode(), keep_blank_values=True))
        if method == "GET" and parts.query:
            body = _form_to_json(parse_qs(parts.query))
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = Recorded(method, parts.path, headers, body)
        self.owner.requests.append(record)
        try:
            status, extra, payload = self.owner.handle(method, parts.path, headers, body)
            if status == 200:
                self._check_response(method, parts.path, payload)
        except SchemaMismatch as exc:
            self.owner.problems.append(str(exc))
            status, extra, payload = 500, {}, _error(str(exc), "schema_mismatch")
        record.status = status
        data = b"" if payload is None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            if payload is not None:
                self.send_header("Content-Type", JSON_TYPE)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (a replica killed while waiting): nothing to answer

    def _check_response(self, method: str, path: str, payload: Any) -> None:
        if method == "POST":
            check(payload, _response_schema("/posts.json", "post"), "POST /posts response")
        elif path == "/categories.json":
            check(payload, _response_schema("/categories.json", "get"), "GET /categories.json response")
        elif method == "GET" and path.startswith("/t/"):
            check(payload, _response_schema("/t/{id}.json", "get"), "GET /t/{id}.json response")

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")
