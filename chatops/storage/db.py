"""Engines, sessions and schema upgrades for SQLite (embedded default) and PostgreSQL (production, replicas).

SQLite runs in WAL mode with a busy timeout so the bot, the CLI and tests can share one file. Schema
upgrades run through Alembic; on PostgreSQL an advisory lock makes concurrent replicas upgrade one at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from chatops.errors import DatabaseUnreachable, StorageError
from chatops.redact import mask_password

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# Advisory lock for schema upgrades, per database and schema (advisory locks are database-wide).
_UPGRADE_LOCK_SQL = "hashtextextended('compass-upgrade:' || current_database() || '.' || coalesce(current_schema(), ''), 7402119)"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; creates the directory of a SQLite file if needed."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot create the directory for the database {path!r}: {exc.strerror}") from None
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _alembic_config(connection: sa.Connection) -> Any:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest), keeping every row."""
    from alembic import command

    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({_UPGRADE_LOCK_SQL})"))
            command.upgrade(_alembic_config(connection), revision)
    except sa.exc.OperationalError as exc:
        if is_connection_error(exc):
            raise unreachable(exc, engine.url.render_as_string(hide_password=False)) from None
        raise StorageError(f"cannot upgrade the database at {mask_password(str(engine.url))}: {' '.join(str(exc.orig).split())}") from None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    with sa.create_engine("sqlite://").connect() as connection:
        return ScriptDirectory.from_config(_alembic_config(connection)).get_current_head()


_CONNECTING = ("connect", "could not translate host", "unable to open database", "server closed", "authentication failed",
               "timeout expired", "no password supplied")


def is_connection_error(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached or opened (not a failed statement)."""
    if not isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        return False
    text = str(getattr(exc, "orig", None) or exc).lower()
    return isinstance(exc, sa.exc.InterfaceError) or any(word in text for word in _CONNECTING)


def unreachable(exc: BaseException, url: str | None) -> DatabaseUnreachable:
    """One line for a failed connection: the masked URL and the driver's first line, the password never shown."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    where = "the database"
    if url:
        where = f"the database at {mask_password(url)}"
        password = sa.engine.make_url(url).password
        if password:
            reason = reason.replace(str(password), "***")
    reason = mask_password(reason)
    return DatabaseUnreachable(
        f"cannot use {where}: {' '.join(reason.split())[:300]}; check storage.url (or --db) and that the server is running"
    )


class Database:
    """An engine plus a session factory; what commands and the bot pass around.

    Example usage::

        db = Database.open("sqlite:///var/compass.db")   # upgrades the schema
        with db.session() as session:
            ...
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Database:
        from sqlalchemy.orm import configure_mappers

        engine = make_engine(url)
        if migrate:
            upgrade(engine)
        # The ORM's mappers are set up by their first query otherwise: ~50-100 ms of CPU that the first reader of
        # the review page (or the first chat command) would wait for.
        configure_mappers()
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def close(self) -> None:
        self.engine.dispose()
