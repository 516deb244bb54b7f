"""Fetch release data from GitHub, PyPI and changelog files, and hand it to ``digests``.

Example usage::

    sources = ReleaseSources(github=(GitHubRepo.parse("jupyterhub/jupyterhub"),), pypi=("jupyterhub",))
    with ReleaseFetcher(cache=FileCache.default(), token=token_from_env()) as fetcher:
        report = collect_releases(sources, fetcher, since=since)
    for problem in report.failures: ...          # a failing source is reported, the others still count
    for release in report.releases: ...          # merged across sources, newest first

How the HTTP side behaves:

- **Conditional requests.** Each page is cached (``SourceCache``) with its ``ETag``/``Last-Modified``;
  the next fetch sends ``If-None-Match``/``If-Modified-Since``. GitHub answers an unchanged page with
  304, which does not count against the rate limit of an authenticated client.
- **Rate limits.** A 429, or a 403 whose headers say the limit is spent (``x-ratelimit-remaining: 0``,
  ``retry-after``), is waited out, honouring ``retry-after`` or ``x-ratelimit-reset``, as long as the
  total wait stays within ``max_wait``; beyond that the source fails with a message saying when the
  limit resets and how to raise it.
- **Server errors.** 5xx answers and connection failures are retried with capped exponential backoff.
- **Down means cached.** When an API stays unavailable (or answers with a body that is not the JSON
  it should be), the last good copy from the cache is used and those releases are marked
  ``from_cache=True``; the source's result says why.
- **Secrets.** The GitHub token is sent only to the configured GitHub base URL, in a header, and
  never appears in a log line, an error or the cache.

The clock and ``sleep`` are injectable so tests never really wait.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from chatops.errors import SourceError, UsageError
from chatops.limits import InputLimitError, load_json
from chatops.retry import exponential
from chatops.sources.cache import SourceCache, conditional_headers, validated_entry
from digests.changelog import parse_changelog
from digests.errors import CompassError, ReleaseDataError
from digests.model import Release
from digests.releases import (
    merge_releases,
    normalize_project,
    releases_from_github,
    releases_from_pypi,
    sort_newest_first,
)

__all__ = [
    "DEFAULT_GITHUB_URL",
    "DEFAULT_PYPI_URL",
    "ChangelogSpec",
    "GitHubRepo",
    "ReleaseFetcher",
    "ReleaseReport",
    "ReleaseSources",
    "RetryPolicy",
    "SourceResult",
    "SourceUnavailableError",
    "collect_releases",
    "token_from_env",
]

log = logging.getLogger(__name__)

DEFAULT_GITHUB_URL = "https://api.github.com"
DEFAULT_PYPI_URL = "https://pypi.org"
USER_AGENT = "compass-chatops (release digests)"
T = TypeVar("T")


# --- what to fetch ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GitHubRepo:
    """A GitHub repository; ``project`` names the project its releases belong to (default: the repo name)."""

    owner: str
    name: str
    project: str | None = None

    @classmethod
    def parse(cls, text: str) -> GitHubRepo:
        """``"owner/name"`` or ``"owner/name=project"`` (when the PyPI name differs from the repository's)."""
        spec, _, project = text.strip().partition("=")
        owner, slash, name = spec.strip().partition("/")
        valid = (
            slash
            and owner
            and name
            and "/" not in name
            and all(c.isalnum() or c in "-_." for c in owner + name)
        )
        if not valid:
            raise UsageError(
                f"{text!r} is not a GitHub repository; expected 'owner/name' (e.g. 'jupyterhub/jupyterhub'), "
                "optionally '=project' when the PyPI name differs"
            )
        return cls(owner, name, project.strip() or None)

    @property
    def slug(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def project_name(self) -> str:
        return self.project or self.name


@dataclass(frozen=True, slots=True)
class ChangelogSpec:
    """A Markdown changelog: a local path or an http(s) URL, and the project it describes."""

    location: str
    project: str | None = None

    @classmethod
    def parse(cls, text: str) -> ChangelogSpec:
        """``"PATH"`` or ``"PROJECT=PATH"`` (a URL works in place of a path)."""
        project, sep, location = text.partition("=")
        if sep and project and "/" not in project and "://" not in project and project.strip():
            return cls(location.strip(), project.strip())
        return cls(text.strip())

    @property
    def is_url(self) -> bool:
        return self.location.startswith(("http://", "https://"))


@dataclass(frozen=True, slots=True)
class ReleaseSources:
    """Everything ``collect_releases`` should look at, with the base URLs to reach it."""

    github: tuple[GitHubRepo, ...] = ()
    pypi: tuple[str, ...] = ()
    changelogs: tuple[ChangelogSpec, ...] = ()
    github_url: str = DEFAULT_GITHUB_URL
    pypi_url: str = DEFAULT_PYPI_URL

    @property
    def is_empty(self) -> bool:
        return not (self.github or self.pypi or self.changelogs)

    @classmethod
    def from_config(cls, releases: Any, *, resolve: Callable[[Path], Path] | None = None) -> ReleaseSources:
        """From ``config.sources.releases``; relative changelog paths go through ``resolve``."""
        changelogs = []
        for text in releases.changelogs:
            spec = ChangelogSpec.parse(text)
            if not spec.is_url and resolve is not None:
                spec = ChangelogSpec(str(resolve(Path(spec.location))), spec.project)
            changelogs.append(spec)
        return cls(
            github=tuple(GitHubRepo.parse(r) for r in releases.github),
            pypi=tuple(releases.pypi),
            changelogs=tuple(changelogs),
            github_url=releases.github_url,
            pypi_url=releases.pypi_url,
        )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try: rate-limit waiting, 5xx retries, timeouts and page limits."""

    max_wait: float = 60.0  # seconds a rate limit may be waited out in total, per request
    retries: int = 3  # extra attempts after a 5xx or a connection failure
    backoff: float = 0.5  # first backoff in seconds; doubles each attempt
    backoff_cap: float = 8.0
    timeout: float = 10.0
    per_page: int = 100  # GitHub's maximum
    max_pages: int = 10

    def delay(self, attempt: int) -> float:
        """The backoff before retry ``attempt`` + 1 (``chatops.retry.exponential``)."""
        return exponential(attempt, base=self.backoff, cap=self.backoff_cap)


def token_from_env(name: str = "GITHUB_TOKEN", environ: Mapping[str, str] | None = None) -> str | None:
    """The GitHub token from the environment, or ``None``; an empty value counts as unset."""
    value = (environ if environ is not None else os.environ).get(name, "").strip()
    return value or None


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceResult:
    """What one source gave: its releases, or why it failed; ``stale`` says why a cached copy was used."""

    source: str
    releases: tuple[Release, ...] = ()
    error: str | None = None
    stale: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class ReleaseReport:
    releases: tuple[Release, ...]
    results: tuple[SourceResult, ...]

    @property
    def failures(self) -> list[SourceResult]:
        return [r for r in self.results if r.error is not None]

    @property
    def stale(self) -> list[SourceResult]:
        return [r for r in self.results if r.stale is not None]

    @property
    def all_failed(self) -> bool:
        return bool(self.results) and all(r.error is not None for r in self.results)


class SourceUnavailableError(SourceError):
    """The source could not be reached or answered nonsense; a cached copy may stand in for it."""


class RateLimitedSourceError(SourceUnavailableError):
    """The rate limit would not reset within the maximum wait."""


@dataclass(slots=True)
class _Page:
    data: Any
    link: str | None
    from_cache: bool = False
    stale: str | None = None
    next_url: str | None = field(default=None)


# --- the fetcher ------------------------------------------------------------------------------


class ReleaseFetcher:
    """An HTTP client for GitHub and PyPI release data (plus changelog files), with cache and retries."""

    def __init__(
        self,
        *,
        cache: SourceCache | None = None,
        github_url: str = DEFAULT_GITHUB_URL,
        pypi_url: str = DEFAULT_PYPI_URL,
        token: str | None = None,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        token_env: str = "GITHUB_TOKEN",
    ) -> None:
        self.cache = cache
        self.github_url = github_url.rstrip("/")
        self.pypi_url = pypi_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self._token = token
        self._token_env = token_env
        self._sleep = sleep
        self._clock = clock
        self._client = httpx.Client(
            timeout=self.policy.timeout,
            transport=transport,
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
        )

    def __repr__(self) -> str:  # never show the token
        return f"ReleaseFetcher(github_url={self.github_url!r}, pypi_url={self.pypi_url!r}, token={'set' if self._token else 'unset'})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # -- GitHub --------------------------------------------------------------------------------

    def github_releases(self, repo: GitHubRepo, *, since: dt.datetime | None = None) -> SourceResult:
        """Every page of the repository's releases (newest first), stopping early before ``since``."""
        source = f"GitHub {repo.slug}"
        url: str | None = (
            f"{self.github_url}/repos/{quote(repo.owner, safe='')}/{quote(repo.name, safe='')}/releases"
            f"?per_page={self.policy.per_page}"
        )
        releases: list[Release] = []
        stale: str | None = None
        pages = 0
        while url is not None:
            if pages >= self.policy.max_pages:
                log.warning('Stopped reading "%s" after %d pages; older releases are left out', source, pages)
                break
            pages += 1
            where = f"{source} (page {pages})"

            def parse(data: Any, where: str = where) -> list[Release]:
                return releases_from_github(data, project=repo.project_name, source=where)

            page, items = self._get_json(
                url,
                source=where,
                key=f"releases:github:{url}",
                parse=parse,
                headers=self._github_headers(url),
            )
            stale = stale or page.stale
            releases += (
                [r.model_copy(update={"from_cache": True}) for r in items] if page.from_cache else items
            )
            url = page.next_url
            if since is not None and items and all(r.date is not None and r.date < since for r in items):
                break  # pages are newest first: the rest is older still
        return SourceResult(source, tuple(releases), stale=stale)

    def _github_headers(self, url: str) -> dict[str, str]:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        # The token only ever goes to the configured GitHub API, never to a host a Link header names.
        if self._token and _same_origin(url, self.github_url):
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    # -- PyPI ----------------------------------------------------------------------------------

    def pypi_releases(self, project: str) -> SourceResult:
        """Every version of a PyPI project, with upload dates and yanked flags."""
        source = f"PyPI {project}"
        url = f"{self.pypi_url}/pypi/{quote(project, safe='')}/json"

        def parse(data: Any) -> list[Release]:
            return releases_from_pypi(data, source=source)

        page, items = self._get_json(
            url,
            source=source,
            key=f"releases:pypi:{url}",
            parse=parse,
            headers={"Accept": "application/json"},
            not_found=f"PyPI has no project named {project!r}",
        )
        if page.from_cache:
            items = [r.model_copy(update={"from_cache": True}) for r in items]
        return SourceResult(source, tuple(items), stale=page.stale)

    # -- changelogs ----------------------------------------------------------------------------

    def changelog_releases(self, spec: ChangelogSpec, *, project: str) -> SourceResult:
        """The releases a Markdown changelog lists (a local file, or a URL fetched with the cache)."""
        source = f"changelog {spec.location}"
        if spec.is_url:

            def parse(data: Any) -> list[Release]:
                return parse_changelog(data, project=project, document=spec.location, url=spec.location)

            page, items = self._get_json(
                spec.location,
                source=source,
                key=f"releases:changelog:{spec.location}",
                parse=parse,
                headers={"Accept": "text/markdown, text/plain;q=0.9, */*;q=0.1"},
                text=True,
            )
            if page.from_cache:
                items = [r.model_copy(update={"from_cache": True}) for r in items]
            return SourceResult(source, tuple(items), stale=page.stale)
        path = Path(spec.location).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SourceError(
                source, "file not found; pass the path of a Markdown changelog (e.g. CHANGELOG.md)"
            ) from None
        except IsADirectoryError:
            raise SourceError(
                source, "is a directory; pass the changelog file inside it (e.g. CHANGELOG.md)"
            ) from None
        except UnicodeDecodeError:
            raise SourceError(source, "is not UTF-8 text; save the changelog as UTF-8 Markdown") from None
        except OSError as exc:
            raise SourceError(source, f"cannot be read ({exc.strerror})") from None
        return SourceResult(source, tuple(parse_changelog(text, project=project, document=str(path))))

    # -- HTTP ----------------------------------------------------------------------------------

    def _get_json(
        self,
        url: str,
        *,
        source: str,
        key: str,
        parse: Callable[[Any], list[T]],
        headers: dict[str, str],
        not_found: str | None = None,
        text: bool = False,
    ) -> tuple[_Page, list[T]]:
        """GET ``url`` conditionally, parse it, cache the good copy; fall back to the cache when down."""
        cached = self.cache.get(key) if self.cache is not None else None
        if cached is not None:
            try:
                _decode_envelope(cached.body, source)
            except SourceUnavailableError:
                log.info('Cached copy of "%s" is unreadable; fetching it afresh', source)
                cached = None  # not a validator worth sending, nor a fallback
        request_headers = dict(headers) | conditional_headers(cached)
        try:
            response = self._request(url, request_headers, source)
            if response.status_code == 304:
                if cached is None:
                    raise SourceUnavailableError(
                        source, "answered 304 Not Modified to a request that had no cached copy"
                    )
                page = _decode_envelope(cached.body, source)
                log.debug('"%s" not modified; using the cached copy', source)
                return page, parse(page.data)
            if response.status_code != 200:
                raise self._status_error(response, source, not_found)
            if text:
                data: Any = response.text
            else:
                try:
                    data = load_json(response.content, what=f"the answer of {_host(url)}")
                except InputLimitError as exc:
                    raise SourceUnavailableError(source, f"{exc}; skipped") from None
                except ValueError as exc:
                    raise SourceUnavailableError(
                        source,
                        f"{_host(url)} answered HTTP 200 with a body that is not valid JSON ({_short(str(exc))}); "
                        "the service may be degraded, try again later",
                    ) from None
            items = parse(data)
            link = response.headers.get("link")
            if self.cache is not None:
                body = json.dumps({"link": link, "data": data}).encode()
                self.cache.put(key, validated_entry(body, response.headers, self._clock()))
            return _Page(data, link, next_url=_next_link(response)), items
        except (SourceUnavailableError, ReleaseDataError) as exc:
            if cached is None:
                raise
            page = _decode_envelope(cached.body, source)
            when = _format_time(cached.fetched_at)
            reason = f"{exc}; using the copy cached {when}"
            log.info('Release source "%s" unavailable; using the copy cached %s', source, when)
            page.from_cache = True
            page.stale = reason
            return page, parse(page.data)

    def _request(self, url: str, headers: dict[str, str], source: str) -> httpx.Response:
        waited = 0.0
        attempt = 0
        while True:
            try:
                response = self._client.get(url, headers=headers)
            except httpx.TransportError as exc:
                if attempt < self.policy.retries:
                    self._backoff(source, attempt, f"{type(exc).__name__}")
                    attempt += 1
                    continue
                raise SourceUnavailableError(
                    source,
                    f"could not reach {_host(url)} ({type(exc).__name__}) after {attempt + 1} attempts",
                ) from None
            except (
                httpx.RequestError
            ) as exc:  # too many redirects, an undecodable body: retrying will not help
                raise SourceUnavailableError(
                    source, f"request to {_host(url)} failed ({type(exc).__name__})"
                ) from None
            status = response.status_code
            if status >= 500:
                if attempt < self.policy.retries:
                    self._backoff(source, attempt, f"HTTP {status}")
                    attempt += 1
                    continue
                raise SourceUnavailableError(
                    source,
                    f"{_host(url)} answered HTTP {status} {response.reason_phrase} {attempt + 1} times; "
                    "the service is down, try again later",
                )
            if status in (403, 429) and _is_rate_limited(response):
                wait = self._rate_limit_wait(response)
                if waited + wait <= self.policy.max_wait:
                    log.warning('Rate limited by %s for "%s"; waiting %.0f s', _host(url), source, wait)
                    self._sleep(wait)
                    waited += wait
                    continue
                raise RateLimitedSourceError(source, self._rate_limit_message(response, url, wait))
            return response

    def _backoff(self, source: str, attempt: int, what: str) -> None:
        delay = self.policy.delay(attempt)
        log.info('"%s" failed (%s); retrying in %.1f s', source, what, delay)
        self._sleep(delay)

    def _rate_limit_wait(self, response: httpx.Response) -> float:
        return rate_limit_wait(response, self._clock())

    def _rate_limit_message(self, response: httpx.Response, url: str, wait: float) -> str:
        reset = _number(response.headers.get("x-ratelimit-reset"))
        at = (
            f" ({_format_time(reset)})" if reset is not None and "retry-after" not in response.headers else ""
        )
        advice = "raise sources.releases.max_wait or try again later"
        if _same_origin(url, self.github_url) and not self._token:
            advice = f"set {self._token_env} for GitHub's higher authenticated limit, or " + advice
        return (
            f"rate limit reached at {_host(url)} (HTTP {response.status_code}); it resets in {wait:.0f} s{at}, "
            f"longer than the maximum wait of {self.policy.max_wait:g} s; {advice}"
        )

    def _status_error(self, response: httpx.Response, source: str, not_found: str | None) -> SourceError:
        status = response.status_code
        message = _error_message(response)
        host = _host(str(response.request.url))
        if status == 404:
            if not_found:
                return SourceError(source, f"{not_found} ({host} answered 404); check the name")
            hint = f", or set {self._token_env} if it is private" if not self._token else ""
            return SourceError(source, f"not found at {host} (HTTP 404); check the owner/name spelling{hint}")
        if status == 401:
            return SourceError(
                source,
                f"{host} refused the credentials (HTTP 401 {message}); check the token in {self._token_env}",
            )
        if status == 403:
            return SourceError(
                source, f"{host} refused access (HTTP 403: {message}); check that the token may read it"
            )
        return SourceError(source, f"{host} answered HTTP {status} {response.reason_phrase}: {message}")


# --- collecting -------------------------------------------------------------------------------


def _run(source: str, fetch: Callable[[], SourceResult]) -> SourceResult:
    try:
        return fetch()
    except CompassError as exc:
        # INFO, not WARNING: the failure travels in the report and the caller presents it once.
        log.info('Release source "%s" failed: %s', source, exc)
        return SourceResult(source, error=str(exc))
    except Exception:
        log.exception('Release source "%s" failed unexpectedly', source)
        return SourceResult(source, error=f"{source}: unexpected error (details in the log)")


def collect_releases(
    sources: ReleaseSources,
    fetcher: ReleaseFetcher,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> ReleaseReport:
    """Fetch every source, isolating failures; merge, keep those in [since, until), newest first.

    A changelog without a project of its own belongs to the only project the other sources name;
    failing that, to the name of the directory that holds it.
    """
    projects = {normalize_project(r.project_name): r.project_name for r in sources.github}
    projects.update({normalize_project(p): p for p in sources.pypi})
    sole = next(iter(projects.values())) if len(projects) == 1 else None
    results: list[SourceResult] = []
    for repo in sources.github:
        results.append(_run(f"GitHub {repo.slug}", partial(fetcher.github_releases, repo, since=since)))
    for name in sources.pypi:
        results.append(_run(f"PyPI {name}", partial(fetcher.pypi_releases, name)))
    for spec in sources.changelogs:
        project = spec.project or sole or _project_from_path(spec.location)
        results.append(
            _run(f"changelog {spec.location}", partial(fetcher.changelog_releases, spec, project=project))
        )
    merged = merge_releases(r for result in results for r in result.releases)
    kept = [r for r in merged if _inside(r, since, until)]
    return ReleaseReport(tuple(sort_newest_first(kept)), tuple(results))


def _inside(release: Release, since: dt.datetime | None, until: dt.datetime | None) -> bool:
    if since is None and until is None:
        return True
    if release.date is None:
        return False  # an undated release cannot be placed in a window
    return (since is None or release.date >= since) and (until is None or release.date < until)


def _project_from_path(location: str) -> str:
    path = Path(urlsplit(location).path if "://" in location else location)
    parent = path.parent.name
    while (
        parent.lower() in {"docs", "doc", "source", "reference", "changelog", "changes", ""}
        and path.parent != path
    ):
        path = path.parent
        parent = path.parent.name
        if not parent:
            break
    return parent or path.stem


# --- helpers ----------------------------------------------------------------------------------


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc) and a.path.startswith(b.path.rstrip("/") + "/")


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def rate_limit_wait(response: httpx.Response, now: float) -> float:
    """Seconds to wait after a rate-limited answer: ``retry-after``, else until ``x-ratelimit-reset``."""
    retry_after = _number(response.headers.get("retry-after"))
    if retry_after is not None:
        return max(retry_after, 1.0)
    reset = _number(response.headers.get("x-ratelimit-reset"))
    if reset is not None and response.headers.get("x-ratelimit-remaining") == "0":
        return max(reset - now, 0.0) + 1.0  # one second of margin past the reset
    return 60.0  # GitHub: "wait for at least one minute" when no header says how long


def _is_rate_limited(response: httpx.Response) -> bool:
    if response.status_code == 429:
        return True
    headers = response.headers
    if headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers:
        return True
    return "rate limit" in _error_message(response).lower()


def _error_message(response: httpx.Response) -> str:
    """The service's own short explanation (GitHub/PyPI ``message``), never a header."""
    try:
        data = load_json(response.content, what="the error answer")
    except ValueError:  # not JSON, or over the limits (InputLimitError)
        return (
            _short(response.text.strip().splitlines()[0]) if response.text.strip() else response.reason_phrase
        )
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return _short(data["message"])
    return response.reason_phrase


def _next_link(response: httpx.Response) -> str | None:
    nxt = response.links.get("next")
    return nxt.get("url") if nxt else None


def _decode_envelope(body: bytes, source: str) -> _Page:
    try:
        envelope = json.loads(body)
        link = envelope["link"]
        data = envelope["data"]
    except (ValueError, KeyError, TypeError):
        raise SourceUnavailableError(
            source, "the cached copy is unreadable; it will be replaced on the next good fetch"
        ) from None
    next_url = None
    if link:
        # Rebuild the rel="next" target from the stored Link header.
        for part in str(link).split(","):
            section = part.split(";")
            if len(section) > 1 and any(p.strip() in ('rel="next"', "rel=next") for p in section[1:]):
                next_url = section[0].strip().strip("<>")
    return _Page(data, link, next_url=next_url)


def _format_time(stamp: float | None) -> str:
    if stamp is None:
        return "earlier"
    return "at " + dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
