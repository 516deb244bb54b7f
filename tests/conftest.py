"""Shared fixtures: a clean environment for every test, and storage on SQLite and PostgreSQL.

The PostgreSQL cases use ``COMPASS_TEST_PG_URL`` (default: the local server's ``test`` database) and give
each test its own schema (those of the ``database`` fixture are emptied and reused by later tests: see
``pg_url``). Without a server they skip, saying why; under CI (``CI=true``) a missing server is an error
instead, so that these tests never silently stop running there.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# The mention-safety property tests (tests/test_mentions.py): 10,000 hostile examples each, in CI too.
settings.register_profile("mentions", max_examples=10_000, deadline=None)

PG_URL = os.environ.get("COMPASS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FIXTURES = Path(__file__).resolve().parent.parent / "chatops" / "data" / "example-notes"
_ENV_PREFIXES = ("COMPASS_", "ZULIP_", "DISCOURSE_", "GITHUB_")
_pg_state: dict[str, str | None] = {}


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for key in list(os.environ):
        if key.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


def _pg_problem() -> str | None:
    if "problem" not in _pg_state:
        import sqlalchemy as sa

        try:
            engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            engine.dispose()
            _pg_state["problem"] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
            _pg_state["problem"] = f"no PostgreSQL at {PG_URL.split('@')[-1]} ({type(exc).__name__}); set COMPASS_TEST_PG_URL"
    return _pg_state["problem"]


# Migrated schemas emptied after their test, ready for the next test that asks for ``database`` (per process).
_pg_pool: list[str] = []


@pytest.fixture(scope="session")
def _pg_admin() -> Iterator[object]:
    """An engine on the test database for creating, emptying and dropping schemas; at the end of the session
    it drops the pooled schemas."""
    import sqlalchemy as sa

    admin = sa.create_engine(PG_URL)
    yield admin
    try:
        with admin.begin() as connection:
            for schema in _pg_pool:
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        _pg_pool.clear()
    finally:
        admin.dispose()


def _empty_for_reuse(admin: object, schema: str) -> bool:
    """Empty every table of a migrated ``schema`` (ids restart at 1), leaving it at the newest revision, as
    migrating a new schema would; False (left to be dropped) when it is not at the newest revision or its
    tables are still locked by a connection the test left behind."""
    import sqlalchemy as sa

    from chatops.storage.db import head_revision

    try:
        with admin.begin() as connection:  # type: ignore[attr-defined]
            connection.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
            tables = [row[0] for row in connection.execute(sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = :schema"), {"schema": schema})]
            if "alembic_version" not in tables:
                return False
            revision = connection.execute(sa.text(f'SELECT version_num FROM "{schema}".alembic_version')).scalar()
            if revision != head_revision():
                return False
            data = [f'"{schema}"."{table}"' for table in tables if table != "alembic_version"]
            if data:
                connection.execute(sa.text(f"TRUNCATE {', '.join(data)} RESTART IDENTITY CASCADE"))
        return True
    except sa.exc.DBAPIError:
        return False


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a schema of this test's own.

    A test that asks for ``database`` may get a schema an earlier test had, migrated and emptied since
    (``TRUNCATE ... RESTART IDENTITY``: 40 ms, where creating and migrating a schema takes 350 ms); any
    other test gets a new, empty schema, dropped afterwards.
    """
    problem = _pg_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem + " - CI must run the PostgreSQL tests")
        pytest.skip(problem)
    import sqlalchemy as sa

    admin = request.getfixturevalue("_pg_admin")
    reuse = "database" in request.fixturenames
    if reuse and _pg_pool:
        schema = _pg_pool.pop()
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        if reuse and _empty_for_reuse(admin, schema):
            _pg_pool.append(schema)
        else:
            with admin.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'compass.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database at the newest schema, migrated once per session (per worker under xdist):
    ``database`` and the mention tests start from a copy of it instead of migrating a new one each."""
    from chatops.storage.db import Database

    path = tmp_path_factory.mktemp("migrated") / "compass.db"
    Database.open(f"sqlite:///{path}").close()  # the last connection closed: the WAL is folded into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def database(request: pytest.FixtureRequest, db_url: str) -> Iterator[object]:
    """An empty database at the newest schema: on SQLite a copy of ``migrated_sqlite`` (a file copy instead
    of the migrations, the same schema), on PostgreSQL the schema of ``pg_url``, migrated (one reused from
    an earlier test is at the newest revision already: migrating it only checks that)."""
    from chatops.storage.db import Database

    if db_url.startswith("sqlite:///"):
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), db_url.removeprefix("sqlite:///"))
        db = Database.open(db_url, migrate=False)
    else:
        db = Database.open(db_url)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def notes_dir() -> Path:
    """The bundled example notes (copies of shared/fixtures/notes)."""
    return FIXTURES


@pytest.fixture(params=["memory", "file", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def any_cache(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    """Each SourceCache implementation in turn: memory, file, SQLite and PostgreSQL tables."""
    from chatops.sources.cache import FileCache, MemoryCache
    from chatops.storage.cache import DatabaseCache
    from chatops.storage.db import Database

    if request.param == "memory":
        return MemoryCache()
    if request.param == "file":
        return FileCache(tmp_path / "cache")
    url = f"sqlite:///{tmp_path / 'c.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    database = Database.open(url)
    request.addfinalizer(database.close)
    return DatabaseCache(database)
