"""The connection manager: one async engine and session factory per application, with a
manager per database driver for what differs between them."""

import asyncio
from collections import deque
from contextvars import ContextVar
from typing import Any, ClassVar
from weakref import WeakKeyDictionary

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_only

from app.core.config import Settings, get_settings


class DriverManager:
    """What one database driver needs: engine options, connection set-up, a health check."""

    backend: ClassVar[str] = ""

    def engine_options(self, settings: Settings) -> dict[str, Any]:
        return {
            "echo": settings.ECHO,
            "pool_pre_ping": settings.POOL_PRE_PING,
            "pool_size": settings.POOL_SIZE,
            "max_overflow": settings.POOL_MAX_OVERFLOW,
            "pool_timeout": settings.POOL_TIMEOUT,
        }

    def prepare(self, engine: AsyncEngine) -> None:
        """Hook for per-connection set-up."""

    async def test_connections(self, engine: AsyncEngine) -> bool:
        """Run `SELECT 1`; raises if the database cannot be reached."""
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True


class PostgreSQLManager(DriverManager):
    backend = "postgresql"


class MySQLManager(DriverManager):
    backend = "mysql"

    def engine_options(self, settings: Settings) -> dict[str, Any]:
        # MySQL closes idle connections (wait_timeout); recycle them before it does.
        return {**super().engine_options(settings), "pool_recycle": 3600}

    def prepare(self, engine: AsyncEngine) -> None:
        utc_sessions(engine)


MYSQL_UTC = "SET time_zone = '+00:00'"


def utc_sessions(engine: AsyncEngine | Engine) -> None:
    """Every new MySQL/MariaDB connection of `engine` (async or sync) gets its session
    time zone set to UTC, whatever the server's: TIMESTAMP columns are converted from and
    to the session's zone, CURRENT_TIMESTAMP into a DATETIME is the session's local time,
    and a datetime server default is read in it; the application speaks UTC."""
    target = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    if not event.contains(target, "connect", _set_utc):
        event.listen(target, "connect", _set_utc)


def _set_utc(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(MYSQL_UTC)
    cursor.close()


class SQLiteManager(DriverManager):
    backend = "sqlite"
    writes: "WriteQueue"  # the engine's writers in turn (set by prepare)

    def engine_options(self, settings: Settings) -> dict[str, Any]:
        # SQLite has no connection pool worth sizing; the pool settings are ignored.
        return {"echo": settings.ECHO, "pool_pre_ping": settings.POOL_PRE_PING}

    def prepare(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
        # What `begin` and `before_cursor_execute` events would do, without their cost:
        # with any connection event listened to, SQLAlchemy dispatches events around
        # every statement.
        dialect: Any = engine.sync_engine.dialect
        dialect.do_begin = _begin_sqlite_transaction
        queue = self.writes = WriteQueue()
        for name in ("do_execute", "do_execute_no_params", "do_executemany"):
            setattr(dialect, name, _beginning(getattr(dialect, name), queue))
        import os
        early = ("do_commit",) if os.environ.get("FORGE_TURN_EARLY") else ()
        for name in ("do_commit", "do_rollback", "do_close", "do_terminate"):
            setattr(dialect, name, (_ending_early if name in early else _ending)(getattr(dialect, name), queue))


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 module sends BEGIN IMMEDIATE itself, inside the call of a write that
    # comes first in a write request (see below), so the write lock is taken no earlier.
    dbapi_connection.isolation_level = "IMMEDIATE"
    # SQLite enforces foreign keys (and so ON DELETE) only when asked, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


# How a SQLite transaction begins; app.core.database.session sets it per request.
# "IMMEDIATE" (a write request) takes the write lock, "NONE" (a read request) sends no
# BEGIN: each statement is a transaction of its own, and a write is rolled back at the
# end; "DEFERRED" (sessions outside requests) sends a plain BEGIN.
SQLITE_BEGIN: ContextVar[str] = ContextVar("sqlite_begin", default="DEFERRED")
_PENDING = "forge_begin_immediate"  # in the connection's info: the BEGIN still to come
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _begin_sqlite_transaction(connection: Any) -> None:
    # SQLAlchemy, not the sqlite3 module, decides how each transaction begins. A plain
    # BEGIN goes straight to the driver (one hop to its thread; a cursor takes three).
    begin = SQLITE_BEGIN.get()
    connection.info[_PENDING] = begin == "IMMEDIATE"
    if begin == "DEFERRED":
        connection.dbapi_connection.run_async(lambda driver: driver.execute_fetchall("BEGIN"))


def _beginning(execute: Any, queue: "WriteQueue") -> Any:
    """The dialect's execute method, sending BEGIN IMMEDIATE first when a write
    request's transaction starts with a read or a SAVEPOINT (so that what it read holds
    until its write, and the savepoint is nested in the transaction). When it starts
    with a write, the sqlite3 module begins in that write's own call. Either way the
    write transaction first waits its turn in the process's queue of writers."""

    def run(cursor: Any, statement: str, *args: Any, **kwargs: Any) -> Any:
        context = kwargs.get("context", args[-1] if args else None)
        connection = getattr(context, "root_connection", None)
        info = getattr(connection, "info", None)
        if info and info.pop(_PENDING, False):
            queue.acquire(connection.connection.dbapi_connection)
            if not statement.lstrip()[:7].upper().startswith(_WRITES):
                cursor.execute("BEGIN IMMEDIATE")
        return execute(cursor, statement, *args, **kwargs)

    return run


def _ending(method: Any, queue: "WriteQueue") -> Any:
    """The dialect's commit, rollback, close or terminate, which ends the connection's
    write transaction, if it has one, and so lets the next writer of the process go."""

    def run(connection: Any) -> Any:
        if not queue.holders:
            return method(connection)
        # Commit and rollback get the pool's proxy, close and terminate the connection.
        dbapi_connection = getattr(connection, "dbapi_connection", connection)
        try:
            return method(connection)
        finally:
            queue.release(dbapi_connection)

    return run


def _ending_early(method: Any, queue: "WriteQueue") -> Any:
    def run(connection: Any) -> Any:
        if queue.holders:
            queue.release(getattr(connection, "dbapi_connection", connection))
        return method(connection)

    return run


# How long a writer waits for its turn before it goes on without it (SQLite's busy
# handler then waits as before): the sqlite3 module's default busy timeout.
WRITE_WAIT = 5.0


class WriteQueue:
    """The write transactions of one engine, one at a time per event loop. SQLite lets
    one connection write at a time; the others wait in its busy handler, which sleeps
    1, 2, 5, 10 ... ms and retries, so that a waiting writer starts late. Here a write
    transaction waits for its turn from the moment it begins (its BEGIN IMMEDIATE) and
    hands the turn on at its COMMIT or ROLLBACK (or when its connection is closed), so
    the next one starts at once. The wait is bounded (WRITE_WAIT), and a writer whose
    task already holds the turn on another connection does not wait for itself."""

    def __init__(self) -> None:
        self.turns: WeakKeyDictionary[asyncio.AbstractEventLoop, _Turn] = WeakKeyDictionary()
        self.holders: dict[Any, _Turn] = {}

    def acquire(self, dbapi_connection: Any) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not in an event loop: nothing to queue on
            return
        turn = self.turns.get(loop)
        if turn is None:
            turn = self.turns[loop] = _Turn()
        task = asyncio.current_task(loop)
        if turn.held:
            if turn.task is task or dbapi_connection in self.holders:
                return
            if not turn.wait(loop):
                return
        else:
            turn.held = True
        turn.task = task
        self.holders[dbapi_connection] = turn

    def release(self, dbapi_connection: Any) -> None:
        turn = self.holders.pop(dbapi_connection, None)
        if turn is not None:
            turn.release()


class _Turn:
    """The write turn in one event loop: held or not, and the writers waiting for it,
    first come first served."""

    __slots__ = ("held", "task", "waiters")

    def __init__(self) -> None:
        self.held = False
        self.task: asyncio.Task[Any] | None = None
        self.waiters: deque[asyncio.Future[bool]] = deque()

    def wait(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Wait for the turn (in SQLAlchemy's greenlet); False when WRITE_WAIT passed."""
        waiter: asyncio.Future[bool] = loop.create_future()
        self.waiters.append(waiter)
        timer = loop.call_later(WRITE_WAIT, _give_up, waiter)
        try:
            return await_only(waiter)
        except BaseException:
            # Cancelled (the request was) after the turn was handed over: pass it on.
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self.release()
            raise
        finally:
            timer.cancel()

    def release(self) -> None:
        self.task = None
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(True)  # the turn goes to it, still held
                return
        self.held = False


def _give_up(waiter: "asyncio.Future[bool]") -> None:
    if not waiter.done():
        waiter.set_result(False)


MANAGERS: dict[str, type[DriverManager]] = {
    manager.backend: manager for manager in (PostgreSQLManager, MySQLManager, SQLiteManager)
}


class DatabaseConnectionManager:
    """Creates the engine from the settings, checks it, and closes it."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings
        self._engine: AsyncEngine | None = None
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None
        self.driver: DriverManager | None = None

    @property
    def settings(self) -> Settings:
        return self._settings or get_settings()

    def initialize(self) -> None:
        """Create the engine and session factory (connects lazily)."""
        if self._engine is not None:
            return
        settings = self.settings
        url = make_url(settings.DATABASE_URL)
        backend = url.get_backend_name()
        if backend not in MANAGERS:
            supported = ", ".join(sorted(MANAGERS))
            raise ValueError(f"unsupported database {backend!r} (supported: {supported})")
        self.driver = MANAGERS[backend]()
        engine = create_async_engine(url, **self.driver.engine_options(settings))
        self.driver.prepare(engine)
        self._engine = engine
        self._sessionmaker = async_sessionmaker(engine, expire_on_commit=False)

    @property
    def postgresql_manager(self) -> PostgreSQLManager | None:
        return self.driver if isinstance(self.driver, PostgreSQLManager) else None

    @property
    def mysql_manager(self) -> MySQLManager | None:
        return self.driver if isinstance(self.driver, MySQLManager) else None

    @property
    def sqlite_manager(self) -> SQLiteManager | None:
        return self.driver if isinstance(self.driver, SQLiteManager) else None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("DatabaseConnectionManager.initialize() has not been called")
        return self._engine

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        if self._sessionmaker is None:
            raise RuntimeError("DatabaseConnectionManager.initialize() has not been called")
        return self._sessionmaker

    async def test_connections(self) -> bool:
        """Run `SELECT 1` through the driver's manager; raises if unreachable."""
        if self.driver is None:
            self.initialize()
        assert self.driver is not None
        return await self.driver.test_connections(self.engine)

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
        self._engine = None
        self._sessionmaker = None
        self.driver = None


connection_manager = DatabaseConnectionManager()
