"""The FastAPI dependency that gives a request its own session."""

from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database.connection import SQLITE_BEGIN, connection_manager

READS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session. On SQLite a write request (POST, PATCH, DELETE...) is a
    BEGIN IMMEDIATE transaction (app.core.database.connection): sent inside its first
    write's own call, or before its first read when it reads first, so that it waits
    for another writer (the busy timeout) where, having read first, it would fail with
    "database is locked". A read request (GET, HEAD, OPTIONS) sends no BEGIN on SQLite:
    each of its statements is a transaction of its own (as with the sqlite3 module's
    default), which saves a round trip to the driver's thread per request; a route that
    writes must not be a GET (its writes are rolled back)."""
    token = SQLITE_BEGIN.set("NONE" if request.method in READS else "IMMEDIATE")
    try:
        async with connection_manager.sessionmaker() as session:
            yield session
    finally:
        SQLITE_BEGIN.reset(token)
