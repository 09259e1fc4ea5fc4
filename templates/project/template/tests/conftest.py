"""Test fixtures.

With DATABASE_URL pointing at a server (PostgreSQL, MySQL), every test runs inside a
transaction that is rolled back at its end (the code under test commits to a SAVEPOINT),
so tests leave the database as they found it. Otherwise every test gets a fresh SQLite
file in a temporary folder.
"""

import asyncio
import os
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


def server_url() -> str | None:
    url = os.environ.get("DATABASE_URL")
    if url and make_url(url).get_backend_name() != "sqlite":
        return url
    return None


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[AsyncSession]:
    url = server_url()
    if url is None:
        manager = DatabaseConnectionManager(
            Settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
        )
        manager.initialize()
        async with manager.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with manager.sessionmaker() as db_session:
            yield db_session
        await manager.close()
        return
    manager = DatabaseConnectionManager(Settings(DATABASE_URL=url))
    manager.initialize()
    async with manager.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)  # no-op once migrated
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
