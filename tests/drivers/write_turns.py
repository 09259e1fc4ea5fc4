"""The SQLite write queue of a generated blog app (app.core.database.connection).

Run inside a generated blog project: PYTHONPATH=<project>, DATABASE_URL=<an empty SQLite
file>, with a scratch folder as the argument. The app's connections get `PRAGMA
busy_timeout = 0`, so a writer that SQLite finds locked fails at once ("database is
locked", a 500) instead of sleeping in the busy handler: the writes of the process pass
only if they take turns. Prints, last, a JSON list of the checks that held.
"""

import asyncio
import gc
import json
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from app import models
from app.core.database import connection_manager
from app.core.database.connection import SQLITE_BEGIN, WRITE_TURNS, TurnConnection
from app.main import app
from sqlalchemy import event, text
from sqlmodel import SQLModel

CHECKS: list[str] = []


def no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 0")
    cursor.close()


def idle() -> bool:
    """No connection holds a write turn."""
    return not any(turn.locked() for turn in WRITE_TURNS.values())


async def timed(call: Any) -> tuple[Any, float]:
    start = time.monotonic()
    answer = await call
    return answer, time.monotonic() - start


async def hold_write(started: asyncio.Event, seconds: float) -> None:
    """A write transaction (as a write request's) that stays open `seconds`."""
    token = SQLITE_BEGIN.set("IMMEDIATE")
    try:
        async with connection_manager.sessionmaker() as session:
            await session.execute(text("UPDATE post SET body = body"))
            started.set()
            await asyncio.sleep(seconds)
            await session.commit()
    finally:
        SQLITE_BEGIN.reset(token)


@contextmanager
def recorded_cursors() -> Iterator[list[str]]:
    """The class names of the cursors the app's SQLite connections make meanwhile."""
    made: list[str] = []
    plain = TurnConnection.cursor

    def cursor(self: TurnConnection, factory: Any = None) -> Any:
        new = plain(self, factory)
        made.append(type(new).__name__)
        return new

    TurnConnection.cursor = cursor
    try:
        yield made
    finally:
        TurnConnection.cursor = plain


async def api_checks(client: httpx.AsyncClient) -> None:
    user = (await client.post("/users", json={"username": "u", "email": "e"})).json()
    body = {"title": "Hello", "body": "text", "author_id": user["id"]}
    post = (await client.post("/posts", json=body)).json()
    comment = {"body": "hi", "post_id": post["id"], "created_at": post["created_at"]}
    notes = [(await client.post("/comments", json=comment)).json() for _ in range(10)]

    # Creates, updates, soft deletes (which read first) and refused creates at once.
    taken = {"username": "u", "email": "other"}
    writes = (
        [client.post("/posts", json=body) for _ in range(20)]
        + [client.patch(f"/posts/{post['id']}", json={"title": f"t{i}"}) for i in range(20)]
        + [client.delete(f"/comments/{n['id']}") for n in notes]
        + [client.post("/users", json=taken) for _ in range(5)]
    )
    answers = await asyncio.gather(*writes)
    statuses = sorted({a.status_code for a in answers})
    if statuses == [200, 201, 204, 409] and idle():
        CHECKS.append("concurrent writes all answered, in turn")

    # A read request's statements (the pool's pre-ping included) take no turn: the sqlite3
    # module's own cursor. A write request on a connection that reads have just used
    # takes them again: ten of each, one at a time, go round every pooled connection.
    requests: dict[str, Callable[[], Awaitable[httpx.Response]]] = {
        "get": lambda: client.get(f"/posts/{post['id']}"),
        "list": lambda: client.get("/posts?size=5"),
        "create": lambda: client.post("/posts", json=body),
        "update": lambda: client.patch(f"/posts/{post['id']}", json={"title": "again"}),
    }
    classes = {}
    for name, request in requests.items():
        with recorded_cursors() as made:
            for _ in range(10):
                await request()
        classes[name] = set(made)
    plain, turns = {"Cursor"}, {"TurnCursor"}
    if classes == {"get": plain, "list": plain, "create": turns, "update": turns}:
        CHECKS.append("reads use the plain cursor, writes the turn-taking one")

    # A refused write (IntegrityError, rolled back) hands its turn on.
    conflict = await client.post("/users", json=taken)
    created, seconds = await timed(client.post("/posts", json=body))
    if conflict.status_code == 409 and created.status_code == 201 and seconds < 1:
        if idle():
            CHECKS.append("a refused write releases its turn")

    # A request cancelled while it waits for its turn, and a write transaction cancelled
    # while it holds it: neither keeps it.
    started = asyncio.Event()
    holder = asyncio.create_task(hold_write(started, 30))
    await asyncio.wait_for(started.wait(), 10)
    waiting = asyncio.create_task(client.post("/posts", json=body))
    await asyncio.sleep(0.3)
    waited = not waiting.done()
    waiting.cancel()
    holder.cancel()
    await asyncio.gather(waiting, holder, return_exceptions=True)
    created, seconds = await timed(client.post("/posts", json=body))
    await asyncio.sleep(0.1)  # the cancelled request's connection closing in its thread
    if waited and created.status_code == 201 and seconds < 1 and idle():
        CHECKS.append("cancelled writes release their turn")


def same_thread_and_files(folder: str) -> list[str]:
    """Straight sqlite3 (one thread): a second writer of the same thread waits at most the
    busy timeout for its turn, then SQLite decides (no hang); another database file has a
    turn of its own; a connection dropped without close() gives its turn back."""
    held: list[str] = []
    path, other = f"{folder}/same.db", f"{folder}/other.db"
    first = sqlite3.connect(path, timeout=0.2, factory=TurnConnection)
    first.isolation_level = "IMMEDIATE"
    first.execute("CREATE TABLE IF NOT EXISTS t (x)")
    second = sqlite3.connect(path, timeout=0.2, factory=TurnConnection)
    second.isolation_level = "IMMEDIATE"
    first.execute("INSERT INTO t VALUES (1)")
    start = time.monotonic()
    try:
        second.execute("INSERT INTO t VALUES (2)")
    except sqlite3.OperationalError as error:
        if "locked" in str(error) and time.monotonic() - start < 2:
            held.append("a second writer of the same thread waits a bounded time")
    third = sqlite3.connect(other, timeout=0.2, factory=TurnConnection)
    third.isolation_level = "IMMEDIATE"
    third.execute("CREATE TABLE IF NOT EXISTS t (x)")
    third.execute("INSERT INTO t VALUES (3)")
    third.commit()
    first.execute("INSERT INTO t VALUES (4)")
    del first
    gc.collect()
    second.execute("INSERT INTO t VALUES (5)")
    second.commit()
    mine, theirs = (c.execute("SELECT x FROM t").fetchall() for c in (second, third))
    if mine == [(5,)] and theirs == [(3,)]:
        held.append("a turn per database file, given back by a dropped connection")
    second.close()
    third.close()
    return held


async def main() -> None:
    connection_manager.initialize()
    engine = connection_manager.engine
    event.listen(engine.sync_engine, "connect", no_busy_wait)
    metadata = getattr(models, "metadata", SQLModel.metadata)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await api_checks(client)
    finally:
        await connection_manager.close()


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(main(), 60))  # a test that hangs fails instead
    CHECKS.extend(same_thread_and_files(sys.argv[1]))
    print(json.dumps(CHECKS))
