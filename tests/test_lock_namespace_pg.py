"""PostgreSQL advisory locks are database-wide: compass's are namespaced per database and schema.

Two deployments, or two test runs, with their own schemas in one database have publications with the same
row ids; neither may ever find the other's lock taken (before, 17 of 18 publishing tests failed when two
runs shared a database).
"""

from __future__ import annotations

import pytest

from chatops.storage.db import Database
from chatops.storage.publications import publication_lock

pytestmark = pytest.mark.postgresql


def test_the_same_row_id_in_two_schemas_locks_separately(pg_url, tmp_path):
    import uuid

    import sqlalchemy as sa
    from conftest import PG_URL

    other = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{other}"'))
    sep = "&" if "?" in PG_URL else "?"
    first, second = Database.open(pg_url), Database.open(f"{PG_URL}{sep}options=-csearch_path%3D{other}")
    try:
        with publication_lock(first, 1) as held_first, publication_lock(second, 1) as held_second:
            assert held_first and held_second, "one schema's lock on row 1 blocked the other's"
            with publication_lock(first, 1) as again:
                assert not again, "the lock must still exclude a second worker in the same schema"
    finally:
        first.close()
        second.close()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{other}" CASCADE'))
        admin.dispose()
