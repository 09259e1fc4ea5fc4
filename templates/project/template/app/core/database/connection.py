"""The connection manager: one async engine and session factory per application, with a
manager per database driver for what differs between them."""

import os
import sqlite3
import threading
import time
from contextvars import ContextVar
from typing import Any, ClassVar

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

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

    def prepare(self, engine: AsyncEngine) -> None:
        utc_sessions(engine)


class MySQLManager(DriverManager):
    backend = "mysql"

    def engine_options(self, settings: Settings) -> dict[str, Any]:
        # MySQL closes idle connections (wait_timeout); recycle them before it does.
        return {**super().engine_options(settings), "pool_recycle": 3600}

    def prepare(self, engine: AsyncEngine) -> None:
        utc_sessions(engine)


# The pool's pre-ping checks a connection before handing it out: a round trip (a hop
# to the driver's thread on SQLite). A connection returned to the pool less than
# PING_AFTER_IDLE seconds ago answered a moment ago: it is handed out without the check
# (the "alive bypass" of HikariCP, whose window is 0.5 s too). Under load every request
# is then spared the round trip; a connection that sat idle is checked, and one the
# server dropped is replaced before a request uses it.
PING_AFTER_IDLE = 0.5
# id(DBAPI connection) -> when it came back to the pool (time.monotonic())
_RETURNED: dict[int, float] = {}


def ping_when_idle(engine: AsyncEngine) -> None:
    """Skip the pre-ping of a connection used within PING_AFTER_IDLE seconds."""
    target = engine.sync_engine
    if event.contains(target.pool, "checkin", _came_back):
        return
    event.listen(target.pool, "checkin", _came_back)
    event.listen(target.pool, "close", _closed)
    event.listen(target.pool, "close_detached", _closed_detached)
    dialect: Any = target.dialect
    dialect.do_ping = _pinging_when_idle(dialect.do_ping)


def _came_back(dbapi_connection: Any, _record: Any) -> None:
    if dbapi_connection is not None:
        _RETURNED[id(dbapi_connection)] = time.monotonic()


def _closed(dbapi_connection: Any, _record: Any) -> None:
    _RETURNED.pop(id(dbapi_connection), None)


def _closed_detached(dbapi_connection: Any) -> None:
    _RETURNED.pop(id(dbapi_connection), None)


def _pinging_when_idle(ping: Any) -> Any:
    def run(dbapi_connection: Any) -> Any:
        returned = _RETURNED.get(id(dbapi_connection))
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE:
            return True
        return ping(dbapi_connection)

    return run


MYSQL_UTC = "SET time_zone = '+00:00'"
POSTGRESQL_UTC = "SET TIME ZONE 'UTC'"


def utc_sessions(engine: AsyncEngine | Engine) -> None:
    """Every new MySQL/MariaDB or PostgreSQL connection of `engine` (async or sync) gets
    its session time zone set to UTC, whatever the server's: a datetime server default
    is read in it when its column is made, CURRENT_TIMESTAMP into a column without time
    zone is the session's local time, MySQL converts TIMESTAMP values from and to it and
    PostgreSQL answers timestamptz values in it; the application speaks UTC."""
    target = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    setter = _set_utc if target.dialect.name == "postgresql" else _set_mysql_utc
    if not event.contains(target, "connect", setter):
        event.listen(target, "connect", setter)


def _set_mysql_utc(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(MYSQL_UTC)
    cursor.close()


def _set_utc(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(POSTGRESQL_UTC)
    cursor.close()
    dbapi_connection.commit()  # PostgreSQL's SET is undone with the transaction it ran in


class SQLiteManager(DriverManager):
    backend = "sqlite"

    def engine_options(self, settings: Settings) -> dict[str, Any]:
        # SQLite has no connection pool worth sizing; the pool settings are ignored.
        return {
            "echo": settings.ECHO,
            "pool_pre_ping": settings.POOL_PRE_PING,
            "connect_args": {"factory": TurnConnection},
        }

    def prepare(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
        # What `begin` and `before_cursor_execute` events would do, without their cost:
        # with any connection event listened to, SQLAlchemy dispatches events around
        # every statement.
        dialect: Any = engine.sync_engine.dialect
        dialect.do_begin = _begin_sqlite_transaction
        dialect.do_ping = _pinging(dialect.do_ping)
        dialect.do_rollback = _rolling_back(dialect.do_rollback)
        for name in ("do_execute", "do_execute_no_params", "do_executemany"):
            setattr(dialect, name, _beginning(getattr(dialect, name)))


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
    _mark_reading(connection.driver_connection)
    if begin == "DEFERRED":
        connection.dbapi_connection.run_async(
            lambda driver: driver.execute_fetchall("BEGIN")
        )


def _pinging(ping: Any) -> Any:
    """The pool's pre-ping (before the transaction begins), marking the connection first
    as _begin_sqlite_transaction does. `SELECT 1` goes to the driver's thread in one hop
    (executed and fetched there), where the dialect's ping takes four (a cursor, the
    statement, its rows, closing the cursor). When that fails, the dialect's own ping
    runs: it raises the error the pool knows a lost connection by."""

    def run(dbapi_connection: Any) -> Any:
        _mark_reading(dbapi_connection.driver_connection)
        try:
            dbapi_connection.run_async(
                lambda driver: driver.execute_fetchall("SELECT 1")
            )
        except Exception:
            return ping(dbapi_connection)
        return True

    return run


def _rolling_back(rollback: Any) -> Any:
    """The dialect's rollback, skipped when the connection has no transaction open (a
    read request's statements, each a transaction of its own; a session that ended
    with a commit): the sqlite3 module would do nothing, after a hop to the driver's
    thread. The driver's thread is idle here (SQLAlchemy awaits every statement; a
    statement cancelled midway invalidates its connection)."""

    def run(dbapi_connection: Any) -> None:
        sqlite = getattr(dbapi_connection.driver_connection, "_connection", None)
        if isinstance(sqlite, TurnConnection) and not (
            sqlite.in_transaction or sqlite.holding
        ):
            return
        rollback(dbapi_connection)

    return run


def _mark_reading(driver_connection: Any) -> None:
    """Tell the sqlite3 connection behind aiosqlite's (the attribute SQLAlchemy's own
    adapter reads) whether the request only reads: its statements then take no turn
    (TurnConnection.cursor)."""
    sqlite = getattr(driver_connection, "_connection", None)
    if isinstance(sqlite, TurnConnection):
        sqlite.reading = SQLITE_BEGIN.get() == "NONE"


def _beginning(execute: Any) -> Any:
    """The dialect's execute method, sending BEGIN IMMEDIATE first when a write
    request's transaction starts with a read or a SAVEPOINT (so that what it read holds
    until its write, and the savepoint is nested in the transaction). When it starts
    with a write, the sqlite3 module begins in that write's own call."""

    def run(cursor: Any, statement: str, *args: Any, **kwargs: Any) -> Any:
        context = kwargs.get("context", args[-1] if args else None)
        info = getattr(getattr(context, "root_connection", None), "info", None)
        if info and info.pop(_PENDING, False):
            if not statement.lstrip()[:7].upper().startswith(_WRITES):
                cursor.execute("BEGIN IMMEDIATE")
        return execute(cursor, statement, *args, **kwargs)

    return run


# The writers of the process take turns on a lock per database file, taken in the
# driver's thread as a write transaction begins (the BEGIN IMMEDIATE, or the first
# write that the sqlite3 module begins) and released as it ends (COMMIT, ROLLBACK,
# close). SQLite lets one connection write at a time and makes the others sleep in its
# busy handler (1, 2, 5, 10 ... ms, then retry), so a waiting writer starts late; here
# it starts the moment the lock is free, and no hop to the event loop is added. A
# writer waits at most the busy timeout for its turn, then goes on without it (SQLite's
# busy handler decides, as before): two connections of one task writing at once wait,
# they do not hang.
WRITE_TURNS: dict[str, threading.Lock] = {}
_TURN_STARTS = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")


class TurnConnection(sqlite3.Connection):
    """A sqlite3 connection whose write transactions take turns (WRITE_TURNS)."""

    def __init__(
        self, database: Any, timeout: float = 5.0, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(database, timeout, *args, **kwargs)
        self.wait = timeout
        name = os.fsdecode(database)
        if name == ":memory:" or "mode=memory" in name:  # a database of its own
            self.turn = threading.Lock()
        else:
            self.turn = WRITE_TURNS.setdefault(os.path.realpath(name), threading.Lock())
        self.holding = False
        self.reading = False  # set per request, from the main thread: _mark_reading

    def cursor(self, factory: Any = None) -> Any:
        # A read request's statements are SELECTs, which take no turn: they get the
        # sqlite3 module's own cursor, without TurnCursor.execute in Python (1.5-3 % of
        # a read request's time in the benchmark).
        return super().cursor(
            factory or (sqlite3.Cursor if self.reading else TurnCursor)
        )

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)  # the C method skips TurnCursor

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        return self.cursor().executemany(sql, parameters)

    def take_turn(self, statement: str) -> None:
        if self.holding or self.in_transaction:
            return
        start = statement.lstrip()[:15].upper()
        if start.startswith(_TURN_STARTS) or (
            self.isolation_level is not None and start.startswith(_WRITES)
        ):
            self.holding = self.turn.acquire(timeout=self.wait)

    def end_turn(self) -> None:
        if self.holding and not self.in_transaction:
            self.holding = False
            self.turn.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.holding:
                self.holding = False
                self.turn.release()

    def __del__(self) -> None:  # garbage collected without close()
        if getattr(self, "holding", False):
            self.holding = False
            self.turn.release()


class TurnCursor(sqlite3.Cursor):
    connection: TurnConnection

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        self.connection.take_turn(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection.end_turn()  # a write that failed to begin

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        self.connection.take_turn(sql)
        try:
            return super().executemany(sql, parameters)
        finally:
            self.connection.end_turn()


MANAGERS: dict[str, type[DriverManager]] = {
    manager.backend: manager
    for manager in (PostgreSQLManager, MySQLManager, SQLiteManager)
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
            raise ValueError(
                f"unsupported database {backend!r} (supported: {supported})"
            )
        self.driver = MANAGERS[backend]()
        engine = create_async_engine(url, **self.driver.engine_options(settings))
        self.driver.prepare(engine)
        if settings.POOL_PRE_PING:
            ping_when_idle(engine)
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
