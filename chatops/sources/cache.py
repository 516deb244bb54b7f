"""A small key -> entry cache shared by the notes and release sources.

Sources keep two kinds of entries here:

- HTTP validators and the last good body of a fetched URL (``etag``, ``last_modified``, ``body``), so an
  unchanged document costs a 304 and an API that is down can be answered from the last copy;
- derived results keyed by content hash, so an unchanged document is never parsed twice: the notes source keeps,
  per source, a date index (``notes-index:...``: each document's stat signature, SHA-256 and first and last
  meeting dates) and the parse results grouped by year (``notes-parsed:...:<year>``), so that a digest reads
  only the years of its window (see ``chatops.sources.notes``).

Implementations: ``MemoryCache`` (tests, one-off CLI runs), ``FileCache`` (a directory; the CLI's default
when no database is configured) and ``chatops.storage.cache.DatabaseCache`` (the ``source_cache`` table).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class CacheEntry:
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: float | None = None  # POSIX seconds, set by the caller (sources read the clock, not digests)

    @property
    def content_hash(self) -> str:
        return content_hash(self.body)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def conditional_headers(cached: CacheEntry | None) -> dict[str, str]:
    """The request headers that make a GET conditional on the cached copy: ``If-None-Match`` (its ETag) and
    ``If-Modified-Since`` (its Last-Modified), those it has; none without a copy. An unchanged resource is
    then answered ``304 Not Modified``, with no body (and, for GitHub, free of its rate limit)."""
    headers: dict[str, str] = {}
    if cached is not None:
        if cached.etag:
            headers["If-None-Match"] = cached.etag
        if cached.last_modified:
            headers["If-Modified-Since"] = cached.last_modified
    return headers


def validated_entry(body: bytes, response_headers: Mapping[str, str], fetched_at: float) -> CacheEntry:
    """The cache entry for a ``200`` answer: ``body`` (as the source keeps it) with the answer's validators
    (``ETag``, ``Last-Modified``; ``response_headers`` looked up case-insensitively, as httpx's are)."""
    return CacheEntry(body=body, etag=response_headers.get("etag"), last_modified=response_headers.get("last-modified"),
                      fetched_at=fetched_at)


class SourceCache(Protocol):
    def get(self, key: str) -> CacheEntry | None: ...

    def put(self, key: str, entry: CacheEntry) -> None: ...


class MemoryCache:
    def __init__(self) -> None:
        self._entries: dict[str, CacheEntry] = {}

    def get(self, key: str) -> CacheEntry | None:
        return self._entries.get(key)

    def put(self, key: str, entry: CacheEntry) -> None:
        self._entries[key] = entry


class FileCache:
    """One file per key under ``directory`` (written atomically); safe for several processes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def default(cls) -> FileCache:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return cls(Path(base) / "compass")

    def _path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.directory / digest[:2] / digest

    def get(self, key: str) -> CacheEntry | None:
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        header, _, body = raw.partition(b"\n")
        try:
            meta = json.loads(header)
        except ValueError:
            return None
        if meta.get("key") != key:
            return None
        return CacheEntry(body=body, etag=meta.get("etag"), last_modified=meta.get("last_modified"),
                          fetched_at=meta.get("fetched_at"))

    def put(self, key: str, entry: CacheEntry) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {k: v for k, v in asdict(entry).items() if k != "body"}
        meta["key"] = key
        header = json.dumps(meta).encode() + b"\n"
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(header)
                fh.write(entry.body)  # written as is: a body of megabytes is not copied to prepend the header
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def default_cache() -> SourceCache | None:
    """The file cache in the user's cache directory (``FileCache.default``), or None when it cannot be made:
    a cache is an optimisation, and the sources work without one."""
    try:
        return FileCache.default()
    except Exception:  # noqa: BLE001 - any trouble making the cache directory: run without one
        return None
