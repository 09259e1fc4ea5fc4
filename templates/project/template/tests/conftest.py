"""Test fixtures.

The schema the tests run on is built by the migrations (`alembic upgrade head`), once per
run, so the tests check the migrations as well as the code (a project with no revision
yet falls back to `create_all`). With DATABASE_URL pointing at a server (PostgreSQL,
MySQL), that schema is a scratch database `tests_<random>` on the same server, dropped at
the end, and every test runs inside a transaction that is rolled back at its end (the
code under test commits to a SAVEPOINT); the project's own database is never touched.
Otherwise every test gets a fresh copy of a migrated SQLite file.
"""

import asyncio
import gc
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from app.core.config import Settings
from app.core.database import DatabaseConnectionManager, get_db
from app.main import app
from app.models import metadata

# The app's modules, classes and schemas live as long as the test run: freezing them keeps
# the garbage collector from walking them at every collection (pytest runs five at its end).
gc.freeze()


def server_url() -> str | None:
    url = os.environ.get("DATABASE_URL")
    if url and make_url(url).get_backend_name() != "sqlite":
        return url
    return None


PROJECT = Path(__file__).resolve().parent.parent


def has_revisions() -> bool:
    return any((PROJECT / "alembic" / "versions").glob("*.py"))


def build_schema(url: str) -> None:
    """`alembic upgrade head` on the database at `url` (create_all without a revision)."""

    async def create_all(engine: AsyncEngine) -> None:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)

    engine = create_async_engine(url, poolclass=NullPool)
    try:
        if has_revisions():
            from alembic import command
            from alembic.config import Config

            config = Config(str(PROJECT / "alembic.ini"))
            config.set_main_option("script_location", str(PROJECT / "alembic"))
            config.attributes["configure_logger"] = False
            config.attributes["connection"] = engine
            command.upgrade(config, "head")
        else:
            asyncio.run(create_all(engine))
    finally:
        asyncio.run(engine.dispose())


@pytest.fixture(scope="session")
def test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a database whose schema the migrations built, once per run: a SQLite
    file (copied for every test), or a scratch database on the DATABASE_URL server."""
    url = server_url()
    if url is None:
        path = tmp_path_factory.mktemp("schema") / "migrated.db"
        build_schema(f"sqlite+aiosqlite:///{path}")
        yield str(path)
        return
    scratch = make_url(url).set(database=f"tests_{uuid.uuid4().hex[:12]}")
    _on_server(scratch, "CREATE DATABASE {}")
    try:
        build_schema(scratch.render_as_string(hide_password=False))
        yield scratch.render_as_string(hide_password=False)
    finally:
        _on_server(scratch, "DROP DATABASE {}")


@pytest.fixture
async def session(test_database: str, tmp_path: Path) -> AsyncIterator[AsyncSession]:
    if server_url() is None:
        copy = tmp_path / "test.db"
        shutil.copyfile(test_database, copy)
        manager = DatabaseConnectionManager(
            Settings(DATABASE_URL=f"sqlite+aiosqlite:///{copy}")
        )
        manager.initialize()
        async with manager.sessionmaker() as db_session:
            yield db_session
        await manager.close()
        return
    manager = DatabaseConnectionManager(Settings(DATABASE_URL=test_database))
    manager.initialize()
    async with manager.engine.connect() as connection:
        transaction = await connection.begin()
        db_session = AsyncSession(
            bind=connection,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
        )
        try:
            yield db_session
        finally:
            await db_session.close()
            await transaction.rollback()
    await manager.close()


@pytest.fixture
async def client(session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app, whose requests use the test's session."""

    async def test_db() -> AsyncIterator[AsyncSession]:
        yield session

    app.dependency_overrides[get_db] = test_db
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test"
        ) as http:
            yield http
    finally:
        app.dependency_overrides.clear()


@pytest.fixture
def alembic_engine(tmp_path: Path) -> Iterator[AsyncEngine]:
    """The migration tests' own empty database (pytest-alembic migrates it from base to
    head and back): a fresh SQLite file, or a scratch database on the DATABASE_URL server,
    dropped afterwards. The project's database is never touched."""
    url = server_url()
    if url is None:
        engine = create_async_engine(
            f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}", poolclass=NullPool
        )
        yield engine
        asyncio.run(engine.dispose())
        return
    scratch = make_url(url).set(database=f"migrations_{uuid.uuid4().hex[:12]}")
    _on_server(scratch, "CREATE DATABASE {}")
    engine = create_async_engine(scratch, poolclass=NullPool)  # a new loop per command
    try:
        yield engine
    finally:
        asyncio.run(engine.dispose())
        _on_server(scratch, "DROP DATABASE {}")


def _on_server(database: URL, statement: str) -> None:
    """Run CREATE/DROP DATABASE for `database` from a connection to the server."""
    other = (
        "postgres"
        if database.get_backend_name() == "postgresql"
        else "information_schema"
    )

    async def run() -> None:
        engine = create_async_engine(
            database.set(database=other), isolation_level="AUTOCOMMIT"
        )
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement.format(database.database)))
        finally:
            await engine.dispose()

    asyncio.run(run())
