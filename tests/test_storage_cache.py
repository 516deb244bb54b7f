"""The source cache keeps validators and bodies in every implementation alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatops.sources.cache import (
    CacheEntry,
    FileCache,
    MemoryCache,
    conditional_headers,
    content_hash,
    validated_entry,
)


@pytest.fixture
def cache(any_cache: object) -> object:
    """Every SourceCache implementation (``any_cache`` in conftest.py)."""
    return any_cache


def test_put_then_get_round_trips_and_overwrites(cache: MemoryCache) -> None:
    assert cache.get("https://example.org/notes") is None
    cache.put("https://example.org/notes", CacheEntry(body=b"# Notes\n", etag='"abc"', last_modified="Tue, 01 Jul 2025 10:00:00 GMT", fetched_at=1.5))
    got = cache.get("https://example.org/notes")
    assert got == CacheEntry(body=b"# Notes\n", etag='"abc"', last_modified="Tue, 01 Jul 2025 10:00:00 GMT", fetched_at=1.5)
    cache.put("https://example.org/notes", CacheEntry(body=b"new"))
    got = cache.get("https://example.org/notes")
    assert got is not None and got.body == b"new" and got.etag is None
    assert got.content_hash == content_hash(b"new")


def test_file_cache_ignores_a_corrupt_entry(tmp_path: Path) -> None:
    cache = FileCache(tmp_path)
    cache.put("k", CacheEntry(body=b"x"))
    for path in tmp_path.rglob("*"):
        if path.is_file():
            path.write_bytes(b"not json\n")
    assert cache.get("k") is None


def test_a_cached_answers_validators_make_the_next_get_conditional() -> None:
    import httpx

    answer = httpx.Headers({"ETag": '"v1"', "Last-Modified": "Tue, 01 Jul 2025 10:00:00 GMT", "Content-Type": "text/plain"})
    entry = validated_entry(b"# Notes\n", answer, 7.0)
    assert entry == CacheEntry(body=b"# Notes\n", etag='"v1"', last_modified="Tue, 01 Jul 2025 10:00:00 GMT", fetched_at=7.0)
    assert conditional_headers(entry) == {"If-None-Match": '"v1"', "If-Modified-Since": "Tue, 01 Jul 2025 10:00:00 GMT"}
    assert conditional_headers(validated_entry(b"x", httpx.Headers({"etag": '"v2"'}), 8.0)) == {"If-None-Match": '"v2"'}
    assert conditional_headers(CacheEntry(body=b"no validators")) == {}
    assert conditional_headers(None) == {}
