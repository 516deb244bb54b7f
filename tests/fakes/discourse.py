"""A fake Discourse: a real HTTP server on 127.0.0.1 (port 0) for the publisher tests.

It serves what compass uses (``POST /posts`` and ``/posts.json``, ``GET /t/{id}.json``,
``GET /t/external_id/{id}.json``, ``GET /categories.json``, ``PUT /t/{id}/status``, and for the activity
source ``GET /c/{slug}/{id}.json``, ``GET /latest.json`` and ``GET /top.json`` over the forum topics a test
adds with ``add_forum_topic``), checks every request
body and every response body against ``shared/api/discourse-openapi.json``, and enforces the real
limits listed in ``shared/api/README.md``:

- ``Api-Key`` + ``Api-Username`` authentication (403 ``invalid_access`` otherwise);
- topic titles of 15 to 255 characters, unique among topics; first posts of 20 to ``max_post_length``
  characters; external ids unique and at most 50 characters;
- 429 with ``extras.wait_seconds`` and a ``Retry-After`` header, when a test scripts one or when
  topics come faster than ``rate_limit_create_topic`` seconds;
- at most ``read_rate_limit`` topic-list reads per minute (the admin API's 60 by default), then a 429 with
  ``Retry-After`` and ``Discourse-Rate-Limit-Error-Code``;
- topic lists of at most 30 topics (``/latest.json`` and ``/top.json``: ``per_page`` 1 to 100), the
  ``/c/{slug}/{id}.json`` slug matching the category's;
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

from fakes.openapi import OpenAPISpec
from fakes.server import JSON_TYPE, LoopbackServer, QuietHandler, parse_multipart, send

# The operations the fake serves, copied with every schema they reference from
# shared/api/discourse-openapi.json (discourse/discourse_api_docs @ 6737ac2) by
#   python tests/fakes/data/extract_openapi.py ../shared/api/discourse-openapi.json \
#       tests/fakes/data/discourse-openapi.subset.json "post /posts.json" "get /categories.json" \
#       "get /t/{id}.json" "get /t/external_id/{external_id}.json" "put /t/{id}/status.json" \
#       "get /c/{slug}/{id}.json" "get /latest.json" "get /top.json" "post /uploads.json"
# so the tests never read ../shared at run time.
SPEC_PATH = Path(__file__).resolve().parent / "data" / "discourse-openapi.subset.json"
SPEC = OpenAPISpec.load(SPEC_PATH)

# Fields Discourse's PostsController accepts that the OpenAPI file leaves out of the request schema
# (which says additionalProperties: false). They are checked here by hand instead.
UNDOCUMENTED_POST_FIELDS = {"tags"}



def spec() -> dict[str, Any]:
    return SPEC.document


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


def check(problems: list[str]) -> None:
    """Raise ``SchemaMismatch`` with the first problems ``SPEC`` found in a request or response, if any."""
    if problems:
        raise SchemaMismatch("; ".join(problems[:3]) + " - fix the request (or the fake's response) to follow "
                             "the documented schema (discourse-openapi.json)")


def _slug(text: str) -> str:
    """The slug Discourse makes of a title or a category name: lower case ASCII letters and digits, dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


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
        return _slug(self.title) or "topic"


@dataclass
class ForumTopic:
    """A topic of the forum's history (for the activity source), as the topic lists show it."""

    id: int
    title: str
    category_id: int
    author: str
    created_at: dt.datetime
    last_posted_at: dt.datetime
    replies: int = 0
    views: int = 0
    likes: int = 0
    posters: tuple[str, ...] = ()  # other people who replied
    closed: bool = False
    pinned: bool = False

    @property
    def slug(self) -> str:
        return _slug(self.title) or "topic"


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
        read_rate_limit: int = 60,
        now: dt.datetime | None = None,
    ) -> None:
        self.api_key = api_key
        self.usernames = set(usernames)
        self.categories = [Category(i, name, _slug(name)) for i, name in categories]
        self.max_post_length = max_post_length
        self.rate_limit_create_topic = rate_limit_create_topic
        self.topics: dict[int, Topic] = {}
        self.forum_topics: dict[int, ForumTopic] = {}
        self.forum_users: dict[str, int] = {}
        self.read_rate_limit = read_rate_limit
        self.now = now  # what /top.json's periods end at (default: the real time)
        self._reads: list[float] = []
        self.requests: list[Recorded] = []
        self.problems: list[str] = []
        self.uploads: list[tuple[str, bytes, str]] = []  # (file name, bytes, upload_type)
        self.max_upload_bytes = 4096 * 1024  # Discourse's default max_image_size_kb
        self._scripts: list[_Script] = []
        self.down = False  # while True every request gets a 503 (an outage)
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

    def clear_scripts(self) -> None:
        """Forget the scripted answers not used yet: from now on every request is served normally."""
        with self._lock:
            self._scripts.clear()

    def rate_limit_next(self, wait_seconds: int, times: int = 1) -> None:
        with self._lock:
            self._scripts.extend(_Script(429, wait_seconds=wait_seconds) for _ in range(times))

    def add_category(self, category_id: int, name: str, slug: str | None = None) -> None:
        self.categories.append(Category(category_id, name, slug or _slug(name)))

    def add_forum_topic(self, *, category: int, title: str, author: str, created_at: dt.datetime,
                        last_posted_at: dt.datetime | None = None, replies: int = 0, views: int = 0, likes: int = 0,
                        posters: tuple[str, ...] = (), closed: bool = False, pinned: bool = False) -> ForumTopic:
        with self._lock:
            self._next_id += 1
            topic = ForumTopic(self._next_id, title, category, author, created_at, last_posted_at or created_at,
                               replies, views, likes, posters, closed, pinned)
            self.forum_topics[topic.id] = topic
            for name in (author, *posters):
                self.forum_users.setdefault(name, len(self.forum_users) + 1)
        return topic

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

    def handle(self, method: str, path: str, headers: dict[str, str], body: dict[str, Any],
               query: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
        if self.down:
            return 503, {}, _error("Discourse is down (an outage the test set)", "server_error")
        if headers.get("api-key") != self.api_key or headers.get("api-username") not in self.usernames:
            return 403, {}, _error("You are not permitted to view the requested resource. The API username or key is invalid.", "invalid_access")
        if method == "GET" and _LISTS.match(path):
            return self._topic_list(path, query or {})
        script = self._take_script(path)
        if script is not None and script.status == 429:
            return _rate_limited(script.wait_seconds, "create_topic")
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
        if method == "POST" and path == "/uploads.json":
            return self._upload(body)
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

    def _upload(self, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        """``POST /uploads.json`` (multipart): the fields are checked against the documented request schema
        (``upload_type`` required, nothing undocumented); the answer carries every documented field."""
        file = body.get("file")
        fields = {k: str(v) for k, v in body.items() if k != "file"}
        check(SPEC.request_problems("POST", "/uploads.json", query={},
                                    form=dict(fields, **({"file": "(binary)"} if file is not None else {}))))
        if not isinstance(file, dict) or not file["bytes"]:
            return 422, {}, _error("No file was uploaded", "invalid_parameters")
        if len(file["bytes"]) > self.max_upload_bytes:
            return 422, {}, _error(f"Sorry, the file you are trying to upload is too big (maximum size is "
                                   f"{self.max_upload_bytes // 1024} KB).", "invalid_parameters")
        with self._lock:
            self.uploads.append((file["filename"], file["bytes"], str(fields.get("upload_type"))))
            number = len(self.uploads)
        name = str(file["filename"])
        sha = f"{number:040x}"
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        return 200, {}, {
            "id": number, "url": f"/uploads/default/original/1X/{sha}.{extension}", "original_filename": name,
            "filesize": len(file["bytes"]), "width": 800, "height": 340, "thumbnail_width": 690,
            "thumbnail_height": 293, "extension": extension, "short_url": f"upload://{sha[:27]}.{extension}",
            "short_path": f"/uploads/short-url/{sha[:27]}.{extension}", "retain_hours": None,
            "human_filesize": f"{max(1, len(file['bytes']) // 1024)} KB", "dominant_color": None, "thumbnail": None,
        }

    def _create(self, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        documented = {k: v for k, v in body.items() if k not in UNDOCUMENTED_POST_FIELDS}
        check(SPEC.request_problems("POST", "/posts.json", query={}, body=documented))
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
            return _rate_limited(max(1, int(self.rate_limit_create_topic - (now - self._last_topic_at))))
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

    # -- topic lists (the activity source) --

    def _topic_list(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        script = self._take_script(path)
        if script is not None and script.status != 200:
            return script.status, {}, _error(f"scripted failure {script.status}", "server_error")
        for problem in SPEC.request_problems("GET", path, query=query):
            self.problems.append(problem)
        now = time.monotonic()
        with self._lock:
            self._reads = [t for t in self._reads if now - t < 60]
            if len(self._reads) >= self.read_rate_limit:
                return _rate_limited(max(1, int(60 - (now - self._reads[0]))) if self._reads else 60, "admin_api")
            self._reads.append(now)
        topics = sorted(self.forum_topics.values(), key=lambda t: t.last_posted_at, reverse=True)
        per_page = 30
        if path in ("/latest.json", "/top.json") and "per_page" in query:
            per_page = int(query["per_page"])
            if not 1 <= per_page <= 100:
                self.problems.append(f"GET {path}: per_page={per_page} is outside 1-100")
                per_page = max(1, min(per_page, 100))
        if (m := re.fullmatch(r"/c/([^/]+)/(\d+)\.json", path)) is not None:
            category = next((c for c in self.categories if c.id == int(m.group(2))), None)
            if category is None or category.slug != m.group(1):
                return 404, {}, _error("The requested URL or resource could not be found.", "not_found")
            topics = [t for t in topics if t.category_id == category.id]
            payload = self._list_payload("/c/{slug}/{id}.json", topics[:per_page], per_page)
        elif path == "/latest.json":
            if query.get("order") == "created":
                topics.sort(key=lambda t: t.created_at, reverse=query.get("ascending") != "true")
            payload = self._list_payload("/latest.json", topics[:per_page], per_page)
        else:
            days = {"daily": 1, "weekly": 7, "monthly": 30, "quarterly": 91, "yearly": 365, "all": 100000}
            period = query.get("period", "all")
            if period not in days:
                self.problems.append(f"GET /top.json: period {period!r} is not one of {sorted(days)}")
                return 400, {}, _error("invalid period", "invalid_parameters")
            end = self.now or dt.datetime.now(dt.UTC)
            recent = [t for t in topics if end - dt.timedelta(days=days[period]) <= t.last_posted_at <= end]
            recent.sort(key=lambda t: (t.likes + t.replies, t.views), reverse=True)
            payload = self._list_payload("/top.json", recent[:per_page], per_page)
            payload["topic_list"]["for_period"] = period
        check(SPEC.response_problems("GET", path, 200, payload))
        return 200, {}, payload

    def _list_payload(self, template: str, topics: list[ForumTopic], per_page: int) -> dict[str, Any]:
        users = sorted({name for t in topics for name in (t.author, *t.posters)})
        topic_list: dict[str, Any] = {"can_create_topic": True, "per_page": per_page, "topics": []}
        if template == "/c/{slug}/{id}.json":
            topic_list.update(filter="latest", top_tags=[])
        else:
            topic_list.update(draft=None, draft_key="new_topic", draft_sequence=0)
        for topic in topics:
            posters = [{"extras": "latest" if not topic.posters else "", "description": "Original Poster",
                        "user_id": self.forum_users[topic.author], "primary_group_id": None}]
            for n, name in enumerate(topic.posters):
                last = n == len(topic.posters) - 1
                posters.append({"extras": "latest" if last else "", "description": "Most Recent Poster" if last
                                else "Frequent Poster", "user_id": self.forum_users[name], "primary_group_id": None})
            item = {
                "id": topic.id, "title": topic.title, "fancy_title": topic.title, "slug": topic.slug,
                "posts_count": topic.replies + 1, "reply_count": topic.replies, "highest_post_number": topic.replies + 1,
                "image_url": None, "created_at": topic.created_at.isoformat().replace("+00:00", "Z"),
                "last_posted_at": topic.last_posted_at.isoformat().replace("+00:00", "Z"), "bumped": True,
                "bumped_at": topic.last_posted_at.isoformat().replace("+00:00", "Z"), "archetype": "regular",
                "unseen": False, "pinned": topic.pinned, "unpinned": None, "visible": True, "closed": topic.closed,
                "archived": False, "bookmarked": None, "liked": None, "views": topic.views, "like_count": topic.likes,
                "has_summary": False, "last_poster_username": (topic.posters or (topic.author,))[-1],
                "category_id": topic.category_id, "pinned_globally": False, "featured_link": None, "posters": posters,
            }
            if template == "/c/{slug}/{id}.json":
                item["excerpt"] = topic.title
            else:
                item.update(bookmarked=False, liked=False, op_like_count=0)
            if template == "/top.json":
                item["unpinned"] = False  # documented as a boolean here, "string or null" elsewhere
            topic_list["topics"].append(item)
        return {"users": [{"id": self.forum_users[u], "username": u, "name": u.title(),
                           "avatar_template": f"/user_avatar/forum/{u}/{{size}}/1.png"} for u in users],
                "primary_groups": [], "topic_list": topic_list}

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
        check(SPEC.request_problems("PUT", "/t/{id}/status.json", query={}, body=body))
        topic = self.topics.get(topic_id)
        if topic is None:
            return 404, {}, _error("The requested URL or resource could not be found.", "not_found")
        if body["status"] == "pinned":
            topic.pinned = body["enabled"] == "true"
            topic.pinned_until = body.get("until")
        return 200, {}, {"success": "OK", "topic_status_update": None}


_LISTS = re.compile(r"^/(?:c/[^/]+/\d+|latest|top)\.json$")


def _error(errors: str | list[str], kind: str) -> dict[str, Any]:
    return {"errors": [errors] if isinstance(errors, str) else errors, "error_type": kind}


def _rate_limited(wait: int, code: str | None = None) -> tuple[int, dict[str, str], Any]:
    """Discourse's 429: ``Retry-After`` (and the limit's ``Discourse-Rate-Limit-Error-Code``), the wait in
    ``extras``."""
    headers = {"Retry-After": str(wait)} | ({"Discourse-Rate-Limit-Error-Code": code} if code else {})
    return 429, headers, {
        "errors": ["You’ve performed this action too many times. Please wait a few seconds before trying again."],
        "error_type": "rate_limit", "extras": {"wait_seconds": wait, "time_left": f"{wait} seconds"}}


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


class _Handler(QuietHandler):
    owner: FakeDiscourse

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        body: dict[str, Any] = {}
        if raw and "application/json" in ctype:
            body = json.loads(raw)
        elif raw and ctype.startswith("multipart/form-data"):
            fields, files = parse_multipart(ctype, raw)
            body = dict(fields)
            for name, (filename, data, content_type) in files.items():
                body[name] = {"filename": filename, "bytes": data, "content_type": content_type}
        elif raw:
            body = _form_to_json(parse_qs(raw.decode(), keep_blank_values=True))
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if method == "GET" and parts.query:
            body = _form_to_json(parse_qs(parts.query))
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = Recorded(method, parts.path, headers, {k: v for k, v in body.items() if not isinstance(v, dict)}
                          if ctype.startswith("multipart/form-data") else body)
        self.owner.requests.append(record)
        try:
            status, extra, payload = self.owner.handle(method, parts.path, headers, body, query)
            if status == 200:
                self._check_response(method, parts.path, payload)
        except SchemaMismatch as exc:
            self.owner.problems.append(str(exc))
            status, extra, payload = 500, {}, _error(str(exc), "schema_mismatch")
        record.status = status
        # A client that went away (a replica killed while waiting) is no error: nothing to answer.
        send(self, status, b"" if payload is None else json.dumps(payload).encode(),
             None if payload is None else JSON_TYPE, extra)

    def _check_response(self, method: str, path: str, payload: Any) -> None:
        # By the operation's template: compass posts to /posts, and reads /t/{slug}/{id}.json too.
        if method == "POST" and path == "/uploads.json":
            check(SPEC.response_problems("POST", "/uploads.json", 200, payload))
        elif method == "POST":
            check(SPEC.response_problems("POST", "/posts.json", 200, payload))
        elif path == "/categories.json":
            check(SPEC.response_problems("GET", "/categories.json", 200, payload))
        elif method == "GET" and path.startswith("/t/"):
            check(SPEC.response_problems("GET", "/t/{id}.json", 200, payload))

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")
