"""Test fixtures.

With DATABASE_URL pointing at a server (PostgreSQL, MySQL), every test runs inside a
transaction that is rolled back at its end (the code under test commits to a SAVEPOINT),
so tests leave the database as they found it. Otherwise every test gets a fresh SQLite
file in a temporary folder.
"""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

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
