"""Test fixtures: a fresh database for every test.

The database is TEST_DATABASE_URL when set, otherwise a SQLite file in a temporary folder.
"""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from app import models  # noqa: F401  (registers every table)
from app.core.config import Settings
from app.core.database import DatabaseConnectionManager


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[AsyncSession]:
    url = (
        os.environ.get("TEST_DATABASE_URL")
        or f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    )
    manager = DatabaseConnectionManager(Settings(DATABASE_URL=url))
    manager.initialize()
    async with manager.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.drop_all)
        await connection.run_sync(SQLModel.metadata.create_all)
    async with manager.sessionmaker() as db_session:
        yield db_session
    await manager.close()
