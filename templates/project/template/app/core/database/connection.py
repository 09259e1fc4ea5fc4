"""The connection manager: one async engine and session factory per application."""

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core.config import Settings, get_settings


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite enforces foreign keys (and so ON DELETE) only when asked, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class DatabaseConnectionManager:
    """Creates the engine from the settings, checks it, and closes it."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings
        self._engine: AsyncEngine | None = None
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None

    @property
    def settings(self) -> Settings:
        return self._settings or get_settings()

    def initialize(self) -> None:
        """Create the engine and session factory (connects lazily)."""
        if self._engine is not None:
            return
        settings = self.settings
        url = make_url(settings.DATABASE_URL)
        options: dict[str, Any] = {
            "echo": settings.ECHO,
            "pool_pre_ping": settings.POOL_PRE_PING,
        }
        if url.get_backend_name() != "sqlite":
            # SQLite has no connection pool worth sizing; the pool settings are ignored there.
            options.update(
                pool_size=settings.POOL_SIZE,
                max_overflow=settings.POOL_MAX_OVERFLOW,
                pool_timeout=settings.POOL_TIMEOUT,
            )
        engine = create_async_engine(url, **options)
        if url.get_backend_name() == "sqlite":
            event.listen(engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
        self._engine = engine
        self._sessionmaker = async_sessionmaker(engine, expire_on_commit=False)

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError(
                "DatabaseConnectionManager.initialize() has not been called"
            )
        return self._engine

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        if self._sessionmaker is None:
            raise RuntimeError(
                "DatabaseConnectionManager.initialize() has not been called"
            )
        return self._sessionmaker

    async def test_connections(self) -> bool:
        """Run `SELECT 1`; raises if the database cannot be reached."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
        self._engine = None
        self._sessionmaker = None


connection_manager = DatabaseConnectionManager()
