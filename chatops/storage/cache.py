"""``DatabaseCache``: the source cache kept in the ``source_cache`` table (shared by replicas)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from chatops.sources.cache import CacheEntry
from chatops.storage.db import Database
from chatops.storage.tables import SourceCacheRecord


class DatabaseCache:
    def __init__(self, database: Database) -> None:
        self.database = database

    def get(self, key: str) -> CacheEntry | None:
        with self.database.session() as session:
            row = session.get(SourceCacheRecord, key)
            if row is None:
                return None
            return CacheEntry(body=row.body, etag=row.etag, last_modified=row.last_modified, fetched_at=row.fetched_at)

    def put(self, key: str, entry: CacheEntry) -> None:
        # Two replicas may insert the same key at once; the loser updates the winner's row instead.
        for attempt in range(2):
            try:
                with self.database.session() as session:
                    row = session.get(SourceCacheRecord, key) or SourceCacheRecord(key=key, body=entry.body)
                    row.body = entry.body
                    row.etag = entry.etag
                    row.last_modified = entry.last_modified
                    row.fetched_at = entry.fetched_at
                    session.add(row)
                return
            except IntegrityError:
                if attempt:
                    raise
