"""A fake GitHub REST API for activity: issues, pull requests, comments and issue search, on 127.0.0.1 (port 0).

Serves the operations of ``tests/fakes/data/github-openapi.subset.json`` (a copy of the shared subset):

- ``GET /search/issues?q=&sort=&order=&per_page=&page=``: the qualifiers compass uses (``repo:``, ``org:``,
  ``is:``/``type:``/``state:``, ``label:"a","b"`` (any of), ``author:``, ``merged:``/``updated:``/``created:``
  with ``a..b``, ``>=``, ``>``, ``<=``, ``<`` on ISO 8601 times or dates, ``comments:>N``); sorted by
  ``comments``, ``created`` or ``updated``. Like GitHub, it serves only the first 1,000 results: a page past
  them is a 422 "Only the first 1000 search results are available"; a query over 256 characters is a 422.
- ``GET /repos/{owner}/{repo}/pulls``, ``/issues``, ``/issues/{issue_number}/comments``: the list endpoints,
  with their filters, sorting and ``since``.
- ``GET /rate_limit``: the buckets, free of charge as documented.

Every list and search answer is paginated with a ``Link`` header, carries a strong ``ETag`` (a matching
``If-None-Match`` gets a 304, free for an authorized request as GitHub documents) and the ``x-ratelimit-*``
headers (``x-ratelimit-resource`` ``core`` or ``search``). Limits per hour (core: 60 anonymous, 5,000 with a
token) and per minute (search: 10 anonymous, 30 with a token) are counted on the fake's clock; a spent
limit answers 403 with ``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset``. ``fail_next`` scripts other
answers (a 429 with ``retry-after``, a 502...).

Requests and responses are validated against the OpenAPI subset (query parameters, response bodies); any
mismatch is kept in ``problems`` and the ``github_server`` fixture fails the test on it. Items are built from
GitHub's official examples with the fields that matter replaced.

Example usage::

    with FakeGitHub(tokens={"t0k"}) as gh:
        gh.add_pull("org/repo", title="Fix CI", user="alice", merged_at=when, comments=[("bob", when)])
        client = GitHubActivity(spec, api_url=gh.url, token="t0k")
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes.openapi import OpenAPISpec
from fakes.server import JSON_TYPE, Fault, Faults, LoopbackServer, etag_matches, get_handler, page_links, send

DATA = Path(__file__).resolve().parent / "data"
SEARCH_CAP = 1000
DOCS = "https://docs.github.com/rest"


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


SPEC = OpenAPISpec.load(DATA / "github-openapi.subset.json")
ISSUE = _load("github-issues.official-example.json")[0]
PULL = _load("github-pulls.official-example.json")[0]
PULL["requested_teams"] = []  # the official example's team lacks the required 'type' (upstream fault)
SEARCH_PAGE = _load("github-search-issues.official-example.json")
SEARCH = SEARCH_PAGE["items"][0]
COMMENT = SPEC.document["components"]["examples"]["issue-comment-items"]["value"][0]


def _iso(when: dt.datetime | None) -> str | None:
    return None if when is None else when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Comment:
    user: str
    created_at: dt.datetime
    bot: bool = False
    id: int = 0


@dataclass
class Item:
    """An issue or a pull request."""

    repo: str
    number: int
    title: str
    user: str
    created_at: dt.datetime
    pull: bool = False
    merged_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    labels: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    bot: bool = False  # the author's account type is Bot
    updated: dt.datetime | None = None

    @property
    def state(self) -> str:
        return "closed" if self.closed_at is not None or self.merged_at is not None else "open"

    @property
    def updated_at(self) -> dt.datetime:
        times = [self.created_at, *(c.created_at for c in self.comments)]
        times += [t for t in (self.merged_at, self.closed_at, self.updated) if t is not None]
        return max(times)


@dataclass
class Recorded:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int = 0


class FakeGitHub(LoopbackServer):
    thread_name = "fake-github"
    poll_interval = 0.02

    def __init__(self, *, tokens: set[str] | None = None, clock: Callable[[], float] = time.time,
                 core_limit: int = 60, core_limit_authenticated: int = 5000, search_limit: int = 10,
                 search_limit_authenticated: int = 30, validate: bool = True, api_prefix: str = "") -> None:
        self.tokens = set(tokens or ())
        self.clock = clock
        self.limits = {("core", False): core_limit, ("core", True): core_limit_authenticated,
                       ("search", False): search_limit, ("search", True): search_limit_authenticated}
        self.periods = {"core": 3600, "search": 60}
        self.validate = validate
        self.api_prefix = api_prefix
        self.items: dict[str, list[Item]] = {}
        self.orgs: dict[str, list[str]] = {}
        self.requests: list[Recorded] = []
        self.problems: list[str] = []
        self.spent: dict[tuple[str, bool], int] = {}  # units spent since the start (never reset)
        self._used: dict[tuple[str, bool], tuple[float, int]] = {}  # bucket -> (window start, used)
        self._faults = Faults()
        self._lock = threading.Lock()
        self._ids = 1000

    @property
    def url(self) -> str:
        return self.base_url + self.api_prefix

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return get_handler(self._handle)

    # -- data --------------------------------------------------------------------------------

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def add_repo(self, repo: str) -> None:
        self.items.setdefault(repo.lower(), [])
        owner = repo.split("/")[0].lower()
        self.orgs.setdefault(owner, [])
        if repo.lower() not in self.orgs[owner]:
            self.orgs[owner].append(repo.lower())

    def _add(self, repo: str, **kwargs: Any) -> Item:
        self.add_repo(repo)
        items = self.items[repo.lower()]
        comments = [c if isinstance(c, Comment) else Comment(c[0], c[1], bot=c[0].endswith("[bot]"))
                    for c in kwargs.pop("comments", [])]
        for c in comments:
            c.id = self._next_id()
        item = Item(repo=repo, number=len(items) + 1, comments=comments, **kwargs)
        items.append(item)
        return item

    def add_issue(self, repo: str, *, title: str, user: str, created_at: dt.datetime, **kwargs: Any) -> Item:
        return self._add(repo, title=title, user=user, created_at=created_at, **kwargs)

    def add_pull(self, repo: str, *, title: str, user: str, created_at: dt.datetime | None = None,
                 merged_at: dt.datetime | None = None, **kwargs: Any) -> Item:
        created = created_at or (merged_at - dt.timedelta(days=1) if merged_at else dt.datetime.now(dt.UTC))
        return self._add(repo, title=title, user=user, created_at=created, pull=True, merged_at=merged_at, **kwargs)

    def requests_to(self, prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith(self.api_prefix + prefix)]

    # -- scripting ---------------------------------------------------------------------------

    def fail_next(self, prefix: str, status: int, *, times: int = 1, headers: dict[str, str] | None = None,
                  body: dict[str, Any] | None = None) -> None:
        self._faults.add(Fault(prefix, status, times, dict(headers or {}),
                               body or {"message": f"scripted {status}", "documentation_url": DOCS}))

    def clear_faults(self) -> None:
        self._faults.clear()

    def spend_all(self, resource: str, *, authorized: bool = True) -> None:
        """Use up a bucket now (the next request of that kind is refused until the reset)."""
        with self._lock:
            key = (resource, authorized)
            start, _ = self._window(key)
            self._used[key] = (start, self.limits[key])

    # -- serving -----------------------------------------------------------------------------

    def _problem(self, text: str) -> None:
        with self._lock:
            self.problems.append(text)

    def _window(self, key: tuple[str, bool]) -> tuple[float, int]:
        now = self.clock()
        start, used = self._used.get(key, (now, 0))
        if now >= start + self.periods[key[0]]:
            start, used = now, 0
        return start, used

    def _rate_headers(self, key: tuple[str, bool]) -> dict[str, str]:
        start, used = self._window(key)
        limit = self.limits[key]
        return {"x-ratelimit-limit": str(limit), "x-ratelimit-remaining": str(max(limit - used, 0)),
                "x-ratelimit-reset": str(int(start + self.periods[key[0]])), "x-ratelimit-used": str(used),
                "x-ratelimit-resource": key[0]}

    def _spend(self, key: tuple[str, bool]) -> bool:
        """Take one unit; False when the bucket is empty."""
        with self._lock:
            start, used = self._window(key)
            if used >= self.limits[key]:
                self._used[key] = (start, used)
                return False
            self._used[key] = (start, used + 1)
            self.spent[key] = self.spent.get(key, 0) + 1
            return True

    def units(self, resource: str | None = None) -> int:
        return sum(v for (r, _), v in self.spent.items() if resource is None or r == resource)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        raw_query = parse_qs(parts.query, keep_blank_values=True)
        query = {k: v[-1] for k, v in raw_query.items()}
        headers = {k.lower(): v for k, v in handler.headers.items()}
        record = Recorded(parts.path, query, headers)
        with self._lock:
            self.requests.append(record)
        path = parts.path
        if self.api_prefix:
            if not path.startswith(self.api_prefix + "/"):
                self._send(handler, record, 404, {"message": "Not Found", "documentation_url": DOCS}, {})
                return
            path = path.removeprefix(self.api_prefix)
        for name, values in raw_query.items():
            if len(values) > 1:
                self._problem(f"GET {path}: query parameter {name!r} given {len(values)} times")
        if self.validate:
            for problem in SPEC.request_problems("GET", path, query=query):
                self._problem(problem)
        if "user-agent" not in headers:
            self._send(handler, record, 403, {"message": "Request forbidden by administrative rules. Please make "
                                                          "sure your request has a User-Agent header",
                                              "documentation_url": DOCS}, {})
            return
        accept = headers.get("accept", "")
        if "application/vnd.github" not in accept and "application/json" not in accept:
            self._problem(f"GET {path}: Accept is {accept!r}; GitHub recommends 'application/vnd.github+json'")
        fault = self._faults.take(path)
        if fault is not None:
            self._send(handler, record, fault.status, fault.body, fault.headers)
            return
        authorized = False
        auth = headers.get("authorization")
        if auth is not None:
            scheme, _, token = auth.partition(" ")
            if scheme not in ("Bearer", "token") or token not in self.tokens:
                self._send(handler, record, 401, {"message": "Bad credentials", "documentation_url": DOCS,
                                                  "status": "401"}, {})
                return
            authorized = True
        if path == "/rate_limit":
            self._send(handler, record, 200, self._rate_limit(authorized), {})
            return
        resource = "search" if path.startswith("/search/") else "core"
        key = (resource, authorized)
        try:
            status, body, links = self._route(path, query, headers)
        except _Refused as exc:
            status, body, links = exc.status, {"message": exc.message, "documentation_url": DOCS}, []
        payload = json.dumps(body, sort_keys=True).encode()
        etag = '"' + hashlib.sha256(payload + "|".join(links).encode()).hexdigest()[:40] + '"'
        extra: dict[str, str] = {}
        if links:
            extra["Link"] = ", ".join(links)
        if status == 200:
            extra["ETag"] = etag
            if etag_matches(headers.get("if-none-match"), etag):
                if not authorized and not self._spend(key):  # a 304 is free only for an authorized request
                    self._limited(handler, record, key)
                    return
                extra.update(self._rate_headers(key))
                self._send(handler, record, 304, None, extra)
                return
        if not self._spend(key):
            self._limited(handler, record, key)
            return
        extra.update(self._rate_headers(key))
        if status == 200 and self.validate:
            for problem in SPEC.response_problems("GET", path, 200, body):
                self._problem(problem)
        self._send(handler, record, status, body, extra)

    def _limited(self, handler: BaseHTTPRequestHandler, record: Recorded, key: tuple[str, bool]) -> None:
        message = "API rate limit exceeded" + ("" if key[1] else " for 127.0.0.1. (But here's the good news: "
                                                "Authenticated requests get a higher rate limit.)")
        self._send(handler, record, 403, {"message": message, "documentation_url": DOCS + "/overview/rate-limits-for-the-rest-api"},
                   self._rate_headers(key))

    def _send(self, handler: BaseHTTPRequestHandler, record: Recorded, status: int, body: Any,
              headers: dict[str, str]) -> None:
        record.status = status
        send(handler, status, b"" if body is None else json.dumps(body).encode(), None if body is None else JSON_TYPE,
             headers)

    # -- routes ------------------------------------------------------------------------------

    def _route(self, path: str, query: dict[str, str], headers: dict[str, str]) -> tuple[int, Any, list[str]]:
        base = f"http://{headers.get('host', '127.0.0.1')}{self.api_prefix}{path}"
        per_page, page = _int(query, "per_page", 30), _int(query, "page", 1)
        if per_page < 1 or page < 1:
            raise _Refused(422, "per_page and page must be positive integers")
        if per_page > 100:
            self._problem(f"GET {path}: per_page={per_page} is over GitHub's maximum of 100")
            per_page = 100
        if path == "/search/issues":
            return self._search(query, base, per_page, page)
        m = re.fullmatch(r"/repos/([\w.-]+)/([\w.-]+)/(pulls|issues)(?:/(\d+)/comments)?", path)
        if not m:
            raise _Refused(404, "Not Found")
        repo = f"{m.group(1)}/{m.group(2)}".lower()
        if repo not in self.items:
            raise _Refused(404, "Not Found")
        items = self.items[repo]
        if m.group(4) is not None:
            number = int(m.group(4))
            item = next((i for i in items if i.number == number), None)
            if item is None:
                raise _Refused(404, "Not Found")
            since = _time(query["since"]) if "since" in query else None
            comments = [c for c in item.comments if since is None or c.created_at >= since]
            comments.sort(key=lambda c: c.created_at)
            chunk, links = _paginate(comments, base, query, per_page, page, len(comments))
            return 200, [self._comment_json(item, c) for c in chunk], links
        state = query.get("state", "open")
        if m.group(3) == "pulls":
            chosen = [i for i in items if i.pull and (state == "all" or i.state == state)]
            sort = query.get("sort", "created")
            direction = query.get("direction", "desc" if sort in ("updated", "created") else "asc")
            chosen.sort(key=lambda i: i.updated_at if sort == "updated" else i.created_at,
                        reverse=direction == "desc")
            chunk, links = _paginate(chosen, base, query, per_page, page, len(chosen))
            return 200, [self._pull_json(i) for i in chunk], links
        labels = [lb for lb in query.get("labels", "").split(",") if lb]
        since = _time(query["since"]) if "since" in query else None
        chosen = [i for i in items if (state == "all" or i.state == state)
                  and all(lb in i.labels for lb in labels) and (since is None or i.updated_at >= since)]
        sort = query.get("sort", "created")
        key: Callable[[Item], Any] = {"updated": lambda i: i.updated_at, "comments": lambda i: len(i.comments)}.get(
            sort, lambda i: i.created_at)
        chosen.sort(key=key, reverse=query.get("direction", "desc") == "desc")
        chunk, links = _paginate(chosen, base, query, per_page, page, len(chosen))
        return 200, [self._issue_json(i) for i in chunk], links

    def _search(self, query: dict[str, str], base: str, per_page: int, page: int) -> tuple[int, Any, list[str]]:
        q = query.get("q", "")
        if len(q) > 256:
            raise _Refused(422, "The search is longer than 256 characters.")
        try:
            predicate = _parse_query(q, self.orgs)
        except ValueError as exc:
            self._problem(f"GET /search/issues: {exc}")
            raise _Refused(422, "Validation Failed") from None
        found = [i for items in self.items.values() for i in items if predicate(i)]
        sort = query.get("sort")
        reverse = query.get("order", "desc") == "desc"
        if sort == "comments":
            found.sort(key=lambda i: (len(i.comments), i.number), reverse=reverse)
        elif sort in ("created", "updated"):
            found.sort(key=lambda i: i.created_at if sort == "created" else i.updated_at, reverse=reverse)
        else:
            found.sort(key=lambda i: (i.repo, i.number))
        if (page - 1) * per_page >= SEARCH_CAP:
            raise _Refused(422, "Only the first 1000 search results are available")
        served = found[:SEARCH_CAP]
        chunk, links = _paginate(served, base, query, per_page, page, len(served))
        body = {"total_count": len(found), "incomplete_results": False, "search_type": SEARCH_PAGE["search_type"],
                "items": [self._search_json(i) for i in chunk]}
        return 200, body, links

    def _rate_limit(self, authorized: bool) -> dict[str, Any]:
        resources = {}
        for resource in ("core", "search"):
            h = self._rate_headers((resource, authorized))
            resources[resource] = {"limit": int(h["x-ratelimit-limit"]), "used": int(h["x-ratelimit-used"]),
                                   "remaining": int(h["x-ratelimit-remaining"]), "reset": int(h["x-ratelimit-reset"])}
        return {"resources": resources, "rate": resources["core"]}

    # -- payloads ----------------------------------------------------------------------------

    def _user(self, template: dict[str, Any], login: str, bot: bool) -> dict[str, Any]:
        user = copy.deepcopy(template)
        user.update(login=login, id=zlib.crc32(login.encode()) % 10_000_000, html_url=f"https://github.com/{login}",
                    url=f"https://api.github.com/users/{login}", type="Bot" if bot else "User", site_admin=False)
        return user

    def _labels(self, template: list[dict[str, Any]], item: Item) -> list[dict[str, Any]]:
        out = []
        for n, name in enumerate(item.labels):
            label = copy.deepcopy(template[0])
            label.update(id=n + 1, name=name, url=f"https://api.github.com/repos/{item.repo}/labels/{name}")
            out.append(label)
        return out

    def _common(self, out: dict[str, Any], item: Item) -> None:
        api = f"https://api.github.com/repos/{item.repo}"
        kind = "pull" if item.pull else "issues"
        out.update(id=zlib.crc32(f"{item.repo}#{item.number}".encode()) % 10_000_000, number=item.number, title=item.title,
                   html_url=f"https://github.com/{item.repo}/{kind}/{item.number}",
                   url=f"{api}/issues/{item.number}", state=item.state, created_at=_iso(item.created_at),
                   updated_at=_iso(item.updated_at), closed_at=_iso(item.closed_at or item.merged_at))

    def _issue_json(self, item: Item) -> dict[str, Any]:
        out = copy.deepcopy(ISSUE)
        self._common(out, item)
        out.update(user=self._user(ISSUE["user"], item.user, item.bot), labels=self._labels(ISSUE["labels"], item),
                   comments=len(item.comments), repository_url=f"https://api.github.com/repos/{item.repo}")
        if item.pull:
            out["pull_request"] = {**ISSUE.get("pull_request", {}), "merged_at": _iso(item.merged_at),
                                   "html_url": out["html_url"],
                                   "url": f"https://api.github.com/repos/{item.repo}/pulls/{item.number}",
                                   "diff_url": out["html_url"] + ".diff", "patch_url": out["html_url"] + ".patch"}
        else:
            out.pop("pull_request", None)
        return out

    def _pull_json(self, item: Item) -> dict[str, Any]:
        out = copy.deepcopy(PULL)
        self._common(out, item)
        out.update(user=self._user(PULL["user"], item.user, item.bot), labels=self._labels(PULL["labels"], item),
                   merged_at=_iso(item.merged_at),
                   url=f"https://api.github.com/repos/{item.repo}/pulls/{item.number}")
        return out

    def _search_json(self, item: Item) -> dict[str, Any]:
        out = copy.deepcopy(SEARCH)
        self._common(out, item)
        out.update(user=self._user(SEARCH["user"], item.user, item.bot), labels=self._labels(SEARCH["labels"], item),
                   comments=len(item.comments), repository_url=f"https://api.github.com/repos/{item.repo}",
                   score=1.0)
        if item.pull:
            out["pull_request"] = {"merged_at": _iso(item.merged_at), "html_url": out["html_url"],
                                   "url": f"https://api.github.com/repos/{item.repo}/pulls/{item.number}",
                                   "diff_url": out["html_url"] + ".diff", "patch_url": out["html_url"] + ".patch"}
        else:
            out.pop("pull_request", None)
        return out

    def _comment_json(self, item: Item, comment: Comment) -> dict[str, Any]:
        out = copy.deepcopy(COMMENT)
        out.update(id=comment.id, user=self._user(COMMENT["user"], comment.user, comment.bot),
                   created_at=_iso(comment.created_at), updated_at=_iso(comment.created_at), body="a comment",
                   html_url=f"https://github.com/{item.repo}/issues/{item.number}#issuecomment-{comment.id}",
                   issue_url=f"https://api.github.com/repos/{item.repo}/issues/{item.number}",
                   url=f"https://api.github.com/repos/{item.repo}/issues/comments/{comment.id}")
        return out


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


def _int(query: dict[str, str], name: str, default: int) -> int:
    try:
        return int(query.get(name, default))
    except ValueError:
        raise _Refused(422, f"{name} must be an integer") from None


def _paginate(items: list[Any], base: str, query: dict[str, str], per_page: int, page: int,
              total: int) -> tuple[list[Any], list[str]]:
    pages = max(1, -(-total // per_page))
    return items[(page - 1) * per_page: page * per_page], page_links(base, query, per_page, page, pages)


def _time(text: str) -> dt.datetime:
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(0), tzinfo=dt.UTC)
    when = dt.datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when


def _compare(spec: str, parse: Callable[[str], Any], value: Any) -> bool:
    if value is None:
        return False
    if ".." in spec:
        low, high = spec.split("..", 1)
        return (low == "*" or value >= parse(low)) and (high == "*" or value <= parse(high))
    for op, test in ((">=", lambda a, b: a >= b), ("<=", lambda a, b: a <= b), (">", lambda a, b: a > b),
                     ("<", lambda a, b: a < b)):
        if spec.startswith(op):
            return bool(test(value, parse(spec[len(op):])))
    return bool(value == parse(spec))


_TOKEN = re.compile(r'(\w+):("[^"]*"(?:,"[^"]*")*|\S+)|(\S+)')


def _parse_query(q: str, orgs: dict[str, list[str]]) -> Callable[[Item], bool]:
    """The search qualifiers compass uses, ANDed; repo:/org: qualifiers are ORed together as on GitHub."""
    tests: list[Callable[[Item], bool]] = []
    scopes: list[str] = []
    for m in _TOKEN.finditer(q):
        if m.group(3):
            raise ValueError(f"free text {m.group(3)!r} is not supported by the fake; use qualifiers")
        name, value = m.group(1), m.group(2)
        if name == "repo":
            scopes.append(value.lower())
        elif name == "org":
            scopes += orgs.get(value.lower(), [f"{value.lower()}/\0none"])
        elif name in ("is", "type", "state"):
            want = value.lower()
            checks: dict[str, Callable[[Item], bool]] = {
                "pr": lambda i: i.pull, "issue": lambda i: not i.pull, "open": lambda i: i.state == "open",
                "closed": lambda i: i.state == "closed", "merged": lambda i: i.merged_at is not None,
                "unmerged": lambda i: i.pull and i.merged_at is None}
            if want not in checks:
                raise ValueError(f"{name}:{value} is not a qualifier the fake knows")
            tests.append(checks[want])
        elif name == "label":
            wanted = {v.strip('"').lower() for v in re.findall(r'"[^"]*"|[^,]+', value)}
            tests.append(lambda i, w=wanted: any(lb.lower() in w for lb in i.labels))
        elif name == "author":
            author = value.lower()
            tests.append(lambda i, a=author: i.user.lower() == a)
        elif name in ("merged", "updated", "created", "closed"):
            attr = {"merged": "merged_at", "updated": "updated_at", "created": "created_at", "closed": "closed_at"}[name]
            tests.append(lambda i, s=value, a=attr: _compare(s, _time, getattr(i, a)))
        elif name == "comments":
            tests.append(lambda i, s=value: _compare(s, int, len(i.comments)))
        else:
            raise ValueError(f"qualifier {name}: is not supported by the fake")
    if scopes:
        tests.append(lambda i, s=frozenset(scopes): i.repo.lower() in s)
    return lambda item: all(t(item) for t in tests)
