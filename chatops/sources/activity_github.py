"""GitHub activity for a digest's window: merged pull requests, first-time contributors, the most
discussed issues and pull requests, open issues with the configured labels.

Endpoints (as in ``github-openapi.subset.json``):

- ``GET /repos/{owner}/{repo}/pulls?state=closed&sort=updated&direction=desc``: merged pull requests of
  each configured repository, paged until the pages are older than the window;
- ``GET /search/issues``: merged pull requests of configured organisations (``org:`` qualifier), issues
  and pull requests updated in the window by comments, open issues with the labels, and, per candidate
  first-time contributor, whether they had a pull request merged before the window;
- ``GET /repos/{owner}/{repo}/issues/{number}/comments?since=``: for the busiest candidates, the comments
  made in the window and how many people (bots excluded) made them.

HTTP behaviour, like ``chatops.sources.releases`` (the same ``RetryPolicy``; backoff and waits through
``chatops.retry``, so a stop request ends them at once):

- every answer is cached with its ``ETag``; the next request sends ``If-None-Match``, and GitHub answers an
  unchanged query with 304, which costs an authenticated client no rate-limit unit;
- ``x-ratelimit-remaining: 0`` / ``x-ratelimit-reset`` and ``retry-after`` are honoured per resource (core,
  search): a limit that resets within ``max_wait`` is waited out, a longer one blocks that resource until
  its reset, and the part that needed it answers from its cached copy or is reported unavailable;
- the search API serves at most 1,000 results per query; when a query matches more, the status notes
  say so ("search for ... matched 1,204; the first 1,000 are counted");
- a search query stays under GitHub's 256 characters: many repositories are split across queries.

Each part (merged work, first-timers, discussion, labelled issues) fails on its own: the others still count.
The cost (requests, rate-limit units, 304s) is counted per resource for ``compass sources check``.

Example usage::

    spec = GitHubActivitySpec(repos=("jupyterhub/jupyterhub",), labels=("good first issue",))
    with GitHubActivity(spec, cache=FileCache.default(), token=token_from_env()) as github:
        activity = github.fetch(window)       # an Activity with one SourceStatus
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, urlencode

import httpx

from chatops.errors import SourceError
from chatops.limits import InputLimitError, load_json
from chatops.retry import Backoff, pause
from chatops.sources.cache import SourceCache, conditional_headers, validated_entry
from chatops.sources.releases import (
    DEFAULT_GITHUB_URL,
    RetryPolicy,
    SourceUnavailableError,
    _error_message,
    _host,
    _is_rate_limited,
    _next_link,
    _number,
    _same_origin,
    rate_limit_wait,
)
from digests.activity import Activity, Contributor, MergedPull, SourceStatus, Thread, is_bot
from digests.model import Window

__all__ = ["GitHubActivity", "GitHubActivitySpec", "RateLimitedUntil", "SearchCapNote", "Usage"]

log = logging.getLogger(__name__)

USER_AGENT = "compass-chatops (activity digests)"
SOURCE = "GitHub activity"
SEARCH_CAP = 1000  # "the GitHub REST API provides up to 1,000 results for each search"
MAX_QUERY = 256  # GitHub rejects longer search queries


class RateLimitedUntil(SourceUnavailableError):
    """A rate limit that resets later than the caller may wait; ``until`` is when (aware UTC)."""

    def __init__(self, source: str, reason: str, until: dt.datetime | None) -> None:
        self.until = until
        super().__init__(source, reason)


@dataclass(frozen=True, slots=True)
class GitHubActivitySpec:
    repos: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    labels: tuple[str, ...] = ("good first issue", "help wanted")
    bots: tuple[str, ...] = ()  # logins to treat as bots besides '*[bot]' and accounts of type Bot
    api_url: str = DEFAULT_GITHUB_URL
    discussed: int = 5  # threads wanted for "Conversations to join"
    help_wanted: int = 5  # labelled issues wanted
    merged_pages: int = 10  # pages of closed pull requests read per repository at most
    first_time_checks: int = 100  # candidates checked per run at most (each costs up to one search per query chunk)

    @property
    def scope(self) -> list[str]:
        return [f"repo:{r}" for r in self.repos] + [f"org:{o}" for o in self.orgs]


@dataclass(slots=True)
class Usage:
    """What the run cost, per rate-limit resource (``core``, ``search``)."""

    requests: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    not_modified: dict[str, int] = field(default_factory=dict)

    def add(self, resource: str, *, units: int, not_modified: bool) -> None:
        self.requests[resource] = self.requests.get(resource, 0) + 1
        self.units[resource] = self.units.get(resource, 0) + units
        self.not_modified[resource] = self.not_modified.get(resource, 0) + int(not_modified)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def total_units(self) -> int:
        return sum(self.units.values())


@dataclass(frozen=True, slots=True)
class SearchCapNote:
    what: str
    total: int

    def __str__(self) -> str:
        return f"the GitHub search for {self.what} matched {self.total:,} results; only the first {SEARCH_CAP:,} are counted"


@dataclass(slots=True)
class _Answer:
    data: Any
    next_url: str | None
    cached_at: float | None = None  # set when the answer is a stale cached copy
    stale_reason: str | None = None
    until: dt.datetime | None = None


@dataclass(slots=True)
class _Run:
    """What one ``fetch`` gathered about its own health."""

    failures: list[tuple[str, SourceUnavailableError | SourceError]] = field(default_factory=list)
    stale: list[_Answer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text)


def _created(item: dict[str, Any]) -> dt.datetime:
    return _when(item.get("created_at")) or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _chunks(scope: list[str], fixed: str) -> list[str]:
    """The scope qualifiers split so that ``fixed + chunk`` stays within GitHub's query length."""
    out: list[str] = []
    current = ""
    for qualifier in scope:
        candidate = f"{current} {qualifier}".strip()
        if current and len(fixed) + 1 + len(candidate) > MAX_QUERY:
            out.append(current)
            candidate = qualifier
        current = candidate
    if current:
        out.append(current)
    return out


class GitHubActivity:
    def __init__(
        self,
        spec: GitHubActivitySpec,
        *,
        cache: SourceCache | None = None,
        token: str | None = None,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.time,
        conditional: bool = True,
        token_env: str = "GITHUB_TOKEN",
        stop: threading.Event | None = None,
    ) -> None:
        self.spec = spec
        self.api_url = spec.api_url.rstrip("/")
        self.cache = cache
        self.policy = policy or RetryPolicy()
        self.conditional = conditional  # False: never send If-None-Match (the benchmark's baseline)
        self.usage = Usage()
        self._token = token
        self._token_env = token_env
        self._sleep = sleep
        self._stop = stop  # set it (compass run stopping) and every wait ends at once
        self._clock = clock
        self._labelled_total = 0
        self._blocked: dict[str, tuple[float, str]] = {}  # resource -> (reset POSIX time, reason)
        self._client = httpx.Client(timeout=self.policy.timeout, transport=transport, follow_redirects=True,
                                    headers={"User-Agent": USER_AGENT})

    def __repr__(self) -> str:  # never the token
        return f"GitHubActivity(api_url={self.api_url!r}, token={'set' if self._token else 'unset'})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # -- the parts -----------------------------------------------------------------------------

    def fetch(self, window: Window, *, known_authors: dict[str, dt.datetime] | None = None) -> Activity:
        """Everything for ``window``; each part that fails is named in the returned status."""
        run = _Run()
        merged = self._part(run, "merged pull requests", lambda: self.merged_pulls(window, run), [])
        first = self._part(run, "first-time contributors",
                           lambda: self.first_timers(window, merged, run, known_authors), [])
        discussed = self._part(run, "most discussed issues and pull requests",
                               lambda: self.discussed(window, run), [])
        labelled = self._part(run, "labelled issues", lambda: self.labelled_issues(run), [])
        return Activity(merged=tuple(merged), first_timers=tuple(first), discussed=tuple(discussed),
                        help_wanted=tuple(labelled), help_wanted_total=max(self._labelled_total, len(labelled)),
                        statuses=(self._status(run, parts=4),))

    def _part(self, run: _Run, name: str, work: Callable[[], list[Any]], empty: list[Any]) -> list[Any]:
        try:
            return work()
        except (SourceUnavailableError, SourceError) as exc:
            log.info("%s: %s failed: %s", SOURCE, name, exc)
            run.failures.append((name, exc))
            return empty

    def _status(self, run: _Run, *, parts: int) -> SourceStatus:
        requests, units = self.usage.total_requests, self.usage.total_units
        limited = any(isinstance(e, RateLimitedUntil) for _, e in run.failures) or any(
            a.until is not None for a in run.stale)
        if limited and not self._token:
            run.notes.append(f"set {self._token_env} for GitHub's higher rate limit (5,000 requests an hour)")
        notes = tuple(dict.fromkeys(run.notes))
        if run.failures:
            resets = [e.until for _, e in run.failures if isinstance(e, RateLimitedUntil) and e.until is not None]
            until = max(resets) if resets else None  # when every part can be asked again
            first = run.failures[0][1]
            reason = "rate limited" if isinstance(first, RateLimitedUntil) else first.reason
            if len(run.failures) < parts:
                missing = ", ".join(name for name, _ in run.failures)
                notes = (f"not shown: {missing}", *notes)
            return SourceStatus(source=SOURCE, state="unavailable", reason=reason, until=until, notes=notes,
                                requests=requests, units=units)
        if run.stale:
            oldest = min(a.cached_at or 0.0 for a in run.stale)
            first_stale = run.stale[0]
            return SourceStatus(source=SOURCE, state="cached", reason=first_stale.stale_reason, until=first_stale.until,
                                cached_at=dt.datetime.fromtimestamp(oldest, dt.UTC), notes=notes,
                                requests=requests, units=units)
        return SourceStatus(source=SOURCE, notes=notes, requests=requests, units=units)

    def merged_pulls(self, window: Window, run: _Run) -> list[MergedPull]:
        """Pull requests merged in ``[since, until)`` (bots excluded), per repository, then per organisation."""
        found: list[MergedPull] = []
        for repo in self.spec.repos:
            owner, name = repo.split("/", 1)
            url: str | None = (f"{self.api_url}/repos/{quote(owner, safe='')}/{quote(name, safe='')}/pulls?"
                               + urlencode({"state": "closed", "sort": "updated", "direction": "desc",
                                            "per_page": self.policy.per_page}))
            pages = 0
            while url is not None and pages < self.spec.merged_pages:
                pages += 1
                answer = self._get(url, "core", run)
                items = answer.data if isinstance(answer.data, list) else []
                for item in items:
                    pull = self._merged(item, repo, window)
                    if pull is not None:
                        found.append(pull)
                oldest = _when(items[-1].get("updated_at")) if items else None
                url = answer.next_url if oldest is not None and oldest >= window.since else None
        if self.spec.orgs:
            scope = [f"org:{o}" for o in self.spec.orgs]
            fixed = f"is:pr is:merged merged:{_iso(window.since)}..{_iso(window.until)}"
            for item in self._search_all(fixed, scope, "merged pull requests", run, sort="updated"):
                repo = _repo_of(item)
                pull = self._merged_search(item, repo, window)
                if pull is not None and repo not in self.spec.repos:
                    found.append(pull)
        return sorted(found, key=lambda p: (p.repo, p.merged_at, p.number))

    def _is_bot(self, user: Any) -> bool:
        if not isinstance(user, dict):
            return True  # a deleted account ("ghost") has no user object worth crediting
        return user.get("type") == "Bot" or is_bot(user.get("login"), self.spec.bots)

    def _merged(self, item: Any, repo: str, window: Window) -> MergedPull | None:
        merged_at = _when(item.get("merged_at"))
        if merged_at is None or not window.contains(merged_at) or self._is_bot(item.get("user")):
            return None
        return MergedPull(repo=repo, number=item["number"], title=item["title"], url=item["html_url"],
                          author=item["user"]["login"], merged_at=merged_at)

    def _merged_search(self, item: Any, repo: str, window: Window) -> MergedPull | None:
        merged_at = _when((item.get("pull_request") or {}).get("merged_at"))
        if merged_at is None or not window.contains(merged_at) or self._is_bot(item.get("user")):
            return None
        return MergedPull(repo=repo, number=item["number"], title=item["title"], url=item["html_url"],
                          author=item["user"]["login"], merged_at=merged_at)

    def first_timers(self, window: Window, merged: list[MergedPull], run: _Run,
                     known: dict[str, dt.datetime] | None = None) -> list[Contributor]:
        """Authors of pull requests merged in the window who had none merged before it, in the configured scope.

        ``known`` maps logins to a time before which they are known to have had a pull request merged
        (updated in place): such authors cost no request.
        """
        known = known if known is not None else {}
        by_author: dict[str, list[MergedPull]] = {}
        for pull in merged:
            by_author.setdefault(pull.author.lower(), []).append(pull)
        out: list[Contributor] = []
        checked = 0
        for login, pulls in sorted(by_author.items()):
            first = min(pulls, key=lambda p: (p.merged_at, p.repo, p.number))
            if login in known and known[login] <= window.since:
                continue  # merged something before this window: not new
            if checked >= self.spec.first_time_checks:
                run.notes.append(f"first-time contributors: only {checked} of {len(by_author)} authors were checked")
                break
            checked += 1
            fixed = f"is:pr is:merged author:{first.author} merged:<{_iso(window.since)}"
            earlier = 0
            theirs = {f"repo:{p.repo}" for p in pulls}
            # The repositories they contributed to this window first: earlier work is most likely there.
            chunks = sorted(_chunks(self.spec.scope, fixed), key=lambda c: not theirs & set(c.split()))
            for chunk in chunks:
                answer = self._get(self._search_url(f"{fixed} {chunk}", per_page=1), "search", run)
                earlier += int(answer.data.get("total_count", 0)) if isinstance(answer.data, dict) else 0
                if earlier:
                    break
            if earlier:
                known[login] = window.since
            else:
                known.setdefault(login, first.merged_at)
                out.append(Contributor(login=first.author, first=first))
        return out

    def discussed(self, window: Window, run: _Run) -> list[Thread]:
        """Issues and pull requests updated in the window, ranked by the comments made in it."""
        want = self.spec.discussed
        if want <= 0:
            return []
        fixed = f"updated:{_iso(window.since)}..{_iso(window.until)} comments:>0"
        candidates: list[Any] = []
        for chunk in _chunks(self.spec.scope, fixed):
            url = self._search_url(f"{fixed} {chunk}", sort="comments", per_page=min(100, want * 4))
            answer = self._get(url, "search", run)
            data = answer.data if isinstance(answer.data, dict) else {}
            candidates += data.get("items", [])
        candidates.sort(key=lambda i: -int(i.get("comments", 0)))
        threads = []
        for item in candidates[: want * 2]:
            thread = self._thread(item, window, run)
            if thread is not None and thread.comments > 0:
                threads.append(thread)
        return threads

    def _thread(self, item: Any, window: Window, run: _Run) -> Thread | None:
        repo = _repo_of(item)
        owner, name = repo.split("/", 1)
        url: str | None = (f"{self.api_url}/repos/{quote(owner, safe='')}/{quote(name, safe='')}/issues/"
                           f"{int(item['number'])}/comments?"
                           + urlencode({"since": _iso(window.since), "per_page": self.policy.per_page}))
        comments = 0
        people: set[str] = set()
        last: dt.datetime | None = None
        pages = 0
        while url is not None and pages < self.policy.max_pages:
            pages += 1
            answer = self._get(url, "core", run)
            for comment in answer.data if isinstance(answer.data, list) else []:
                created = _when(comment.get("created_at"))
                if created is None or not window.contains(created) or self._is_bot(comment.get("user")):
                    continue
                comments += 1
                people.add(comment["user"]["login"].lower())
                last = created if last is None or created > last else last
            url = answer.next_url
        return Thread(platform="github", kind="pull" if item.get("pull_request") else "issue",
                      title=item["title"], url=item["html_url"], place=repo, number=item["number"],
                      author=(item.get("user") or {}).get("login"), created_at=_created(item),
                      active_at=last, comments=comments, participants=len(people),
                      labels=tuple(label.get("name", "") for label in item.get("labels", []) if isinstance(label, dict)))

    def labelled_issues(self, run: _Run) -> list[Thread]:
        """Open issues carrying any of the configured labels, most recently updated first."""
        if not self.spec.labels or self.spec.help_wanted <= 0:
            return []
        labels = ",".join(f'"{label}"' for label in self.spec.labels)
        fixed = f"is:issue is:open label:{labels}"
        out: list[Thread] = []
        total = 0
        for chunk in _chunks(self.spec.scope, fixed):
            url = self._search_url(f"{fixed} {chunk}", sort="updated", per_page=min(100, self.spec.help_wanted))
            answer = self._get(url, "search", run)
            data = answer.data if isinstance(answer.data, dict) else {}
            total += int(data.get("total_count", 0))
            for item in data.get("items", []):
                if self._is_bot(item.get("user")) and item.get("user") is not None:
                    continue
                out.append(Thread(platform="github", kind="issue", title=item["title"], url=item["html_url"],
                                  place=_repo_of(item), number=item["number"],
                                  author=(item.get("user") or {}).get("login"), created_at=_created(item),
                                  active_at=_when(item.get("updated_at")), comments=int(item.get("comments", 0)),
                                  labels=tuple(lb.get("name", "") for lb in item.get("labels", [])
                                               if isinstance(lb, dict))))
        out.sort(key=lambda t: t.active_at or t.created_at, reverse=True)
        self._labelled_total = total
        return out[: self.spec.help_wanted]

    # -- search --------------------------------------------------------------------------------

    def _search_url(self, q: str, *, sort: str | None = None, per_page: int = 100, page: int | None = None) -> str:
        params: dict[str, Any] = {"q": q}
        if sort:
            params.update(sort=sort, order="desc")
        params["per_page"] = per_page
        if page:
            params["page"] = page
        return f"{self.api_url}/search/issues?{urlencode(params)}"

    def _search_all(self, fixed: str, scope: list[str], what: str, run: _Run, *, sort: str) -> Iterable[Any]:
        """Every result of the query (up to the search cap), page by page; a capped search is noted."""
        for chunk in _chunks(scope, fixed):
            url: str | None = self._search_url(f"{fixed} {chunk}", sort=sort, per_page=self.policy.per_page)
            seen = 0
            while url is not None:
                answer = self._get(url, "search", run)
                data = answer.data if isinstance(answer.data, dict) else {}
                items = data.get("items", [])
                total = int(data.get("total_count", 0))
                if total > SEARCH_CAP and seen == 0:
                    run.notes.append(str(SearchCapNote(f"{what} ({chunk})", total)))
                elif data.get("incomplete_results") and seen == 0:
                    run.notes.append(f"GitHub reported incomplete results for {what} ({chunk})")
                yield from items
                seen += len(items)
                url = answer.next_url if seen < SEARCH_CAP else None

    # -- HTTP ----------------------------------------------------------------------------------

    def _headers(self, url: str) -> dict[str, str]:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if self._token and _same_origin(url, self.api_url):
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def _get(self, url: str, resource: str, run: _Run) -> _Answer:
        """GET ``url`` conditionally; a failure falls back to the cached copy (recorded in ``run.stale``)."""
        key = f"activity:github:{url}"
        cached = self.cache.get(key) if self.cache is not None else None
        envelope = _decode(cached.body) if cached is not None else None
        headers = self._headers(url)
        if envelope is not None and self.conditional:
            headers.update(conditional_headers(cached))
        try:
            response = self._request(url, headers, resource)
            if response.status_code == 304 and envelope is not None:
                return _Answer(envelope["data"], envelope.get("next"))
            if response.status_code != 200:
                raise self._status_error(response)
            try:
                data = load_json(response.content, what=f"the answer of {_host(url)}")
            except InputLimitError as exc:
                raise SourceUnavailableError(SOURCE, f"{exc}; skipped") from None
            except ValueError:
                raise SourceUnavailableError(SOURCE, f"{_host(url)} answered HTTP 200 with a body that is not JSON") from None
            next_url = _next_link(response)
            if self.cache is not None:
                body = json.dumps({"data": data, "next": next_url}).encode()
                self.cache.put(key, validated_entry(body, response.headers, self._clock()))
            return _Answer(data, next_url)
        except SourceUnavailableError as exc:
            if envelope is None or cached is None:
                raise
            answer = _Answer(envelope["data"], envelope.get("next"), cached_at=cached.fetched_at,
                             stale_reason="rate limited" if isinstance(exc, RateLimitedUntil) else exc.reason,
                             until=exc.until if isinstance(exc, RateLimitedUntil) else None)
            run.stale.append(answer)
            return answer

    def _request(self, url: str, headers: dict[str, str], resource: str) -> httpx.Response:
        waited = 0.0
        blocked = self._blocked.pop(resource, None)
        if blocked is not None and blocked[0] > self._clock():
            reset, reason = blocked
            wait = reset - self._clock() + 1.0  # a second of margin past the reset
            if wait > self.policy.max_wait:
                self._blocked[resource] = blocked
                raise RateLimitedUntil(SOURCE, reason, dt.datetime.fromtimestamp(reset, dt.UTC))
            log.info("The %s rate limit is spent; waiting %.0f s for its reset", resource, wait)
            self._pause(wait)
            waited = wait
        attempt = 0
        backoff = Backoff(base=self.policy.backoff, cap=self.policy.backoff_cap)
        authorized = "Authorization" in headers
        while True:
            try:
                response = self._client.get(url, headers=headers)
            except httpx.TransportError as exc:
                if attempt < self.policy.retries:
                    self._pause(backoff.next())
                    attempt += 1
                    continue
                raise SourceUnavailableError(
                    SOURCE, f"could not reach {_host(url)} ({type(exc).__name__}) after {attempt + 1} attempts") from None
            status = response.status_code
            limited = status in (403, 429) and _is_rate_limited(response)
            self.usage.add(resource, units=0 if limited or (status == 304 and authorized) else 1,
                           not_modified=status == 304)
            if status >= 500:
                if attempt < self.policy.retries:
                    self._pause(backoff.next())
                    attempt += 1
                    continue
                raise SourceUnavailableError(
                    SOURCE, f"{_host(url)} answered HTTP {status} {response.reason_phrase} {attempt + 1} times")
            if limited:
                wait = rate_limit_wait(response, self._clock())
                if waited + wait <= self.policy.max_wait:
                    log.warning("Rate limited by %s (%s); waiting %.0f s", _host(url), resource, wait)
                    self._pause(wait)
                    waited += wait
                    continue
                reset = self._clock() + wait
                self._blocked[resource] = (reset, "rate limited")
                raise RateLimitedUntil(SOURCE, "rate limited", dt.datetime.fromtimestamp(reset, dt.UTC))
            if response.headers.get("x-ratelimit-remaining") == "0":
                reset_at = _number(response.headers.get("x-ratelimit-reset"))
                if reset_at is not None:  # the last unit is spent: do not ask again before the reset
                    self._blocked[resource] = (reset_at, "rate limited")
            return response

    def _pause(self, seconds: float) -> None:
        """Wait (rate limit, backoff); a stop request ends the wait and the fetch at once."""
        if pause(seconds, self._stop, sleep=self._sleep):
            raise SourceUnavailableError(SOURCE, "stopped while waiting (compass is shutting down)")

    def _status_error(self, response: httpx.Response) -> SourceError:
        status = response.status_code
        host = _host(str(response.request.url))
        message = _error_message(response)
        if status == 401:
            return SourceError(SOURCE, f"{host} refused the token (HTTP 401 {message}); check {self._token_env}")
        if status == 404:
            return SourceError(SOURCE, f"{response.request.url.path} not found at {host} (HTTP 404); "
                                       "check the repository names in sources.activity.github.repos")
        if status == 422:
            return SourceError(SOURCE, f"{host} refused the query (HTTP 422: {message})")
        return SourceError(SOURCE, f"{host} answered HTTP {status}: {message}")


def _repo_of(item: dict[str, Any]) -> str:
    url = str(item.get("repository_url", ""))
    parts = url.rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else "?"


def _decode(body: bytes) -> dict[str, Any] | None:
    try:
        envelope = json.loads(body)
    except ValueError:
        return None
    return envelope if isinstance(envelope, dict) and "data" in envelope else None
