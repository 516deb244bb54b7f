"""Migrations: an older schema upgrades without losing rows; the tables match the newest revision."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from chatops.storage.db import Database, current_revision, head_revision, make_engine, upgrade


def test_upgrade_from_first_schema_keeps_rows(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    created = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO shoutouts (id, giver, text, message_id, created_at) "
                "VALUES (1, 'Min', 'for fixing CI', 42, :created)"
            ),
            {"created": created.replace(tzinfo=None) if engine.dialect.name == "sqlite" else created},
        )
        connection.execute(sa.text("INSERT INTO shoutout_recipients (shoutout_id, name, kind) VALUES (1, 'Jane Doe', 'user')"))
        connection.execute(
            sa.text(
                "INSERT INTO publications (digest, period_start, period_end, target, status, attempts, created_at) "
                "VALUES ('monthly', :s, :e, 'outbox:x', 'published', 1, :s)"
            ),
            {"s": created.replace(tzinfo=None), "e": created.replace(tzinfo=None)},
        )
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT giver, text, message_id FROM shoutouts")).all() == [("Min", "for fixing CI", 42)]
        assert connection.execute(sa.text("SELECT name FROM shoutout_recipients")).scalars().all() == ["Jane Doe"]
        assert connection.execute(sa.text("SELECT status FROM publications")).scalars().all() == ["published"]
        tables = set(sa.inspect(connection).get_table_names())
    assert {"source_cache", "digest_state"} <= tables
    engine.dispose()


def test_upgrade_is_idempotent(db_url: str) -> None:
    first = Database.open(db_url)
    first.close()
    second = Database.open(db_url)  # a second start-up finds nothing to do
    assert current_revision(second.engine) == head_revision()
    second.close()


def test_tables_match_the_migrations(database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import chatops.storage.tables  # noqa: F401

    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = [d for d in compare_metadata(context, SQLModel.metadata) if d[0] != "remove_table" or d[1].name != "alembic_version"]
    assert diff == [], f"tables.py and the migrations disagree; add a revision: {diff}"
