"""The FastAPI dependency that gives a request its own session."""

from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database.connection import connection_manager


async def get_db() -> AsyncIterator[AsyncSession]:
    async with connection_manager.sessionmaker() as session:
        yield session
