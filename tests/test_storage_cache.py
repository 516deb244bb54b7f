"""The source cache keeps validators and bodies in every implementation alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatops.sources.cache import CacheEntry, FileCache, MemoryCache, content_hash


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
