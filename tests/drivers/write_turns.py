"""The SQLite write queue of a generated blog app (app.core.database.connection).

Run inside a generated blog project: PYTHONPATH=<project>, DATABASE_URL=<an empty SQLite
file>. Every connection gets `PRAGMA busy_timeout = 0`, so a writer that SQLite finds
locked fails at once ("database is locked", a 500) instead of sleeping in the busy
handler: the writes of the process pass only if they take turns. Prints, last, a JSON
list of the checks that held.
"""

import asyncio
import json
import time
from typing import Any

import httpx
from app import models
from app.core.database import connection_manager
from app.core.database.connection import SQLITE_BEGIN, WriteQueue
from app.main import app
from sqlalchemy import event, text
from sqlalchemy.util import greenlet_spawn
from sqlmodel import SQLModel

CHECKS: list[str] = []


def no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 0")
    cursor.close()


def idle(queue: WriteQueue) -> bool:
    """No connection holds a turn and nobody waits for one."""
    turns = list(queue.turns.values())
    return not queue.holders and not any(t.held or t.waiters for t in turns)


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


async def api_checks(client: httpx.AsyncClient, queue: WriteQueue) -> None:
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
    if statuses == [200, 201, 204, 409] and idle(queue):
        CHECKS.append("concurrent writes all answered, in turn")

    # A refused write (IntegrityError, rolled back) hands its turn on.
    conflict = await client.post("/users", json=taken)
    created, seconds = await timed(client.post("/posts", json=body))
    if conflict.status_code == 409 and created.status_code == 201 and seconds < 1:
        if idle(queue):
            CHECKS.append("a refused write releases its turn")

    # A request cancelled while it waits for its turn, and a write transaction cancelled
    # while it holds it: neither keeps it.
    started = asyncio.Event()
    holder = asyncio.create_task(hold_write(started, 30))
    await asyncio.wait_for(started.wait(), 10)
    waiting = asyncio.create_task(client.post("/posts", json=body))
    await asyncio.sleep(0.2)
    waited = sum(len(turn.waiters) for turn in queue.turns.values())
    waiting.cancel()
    holder.cancel()
    await asyncio.gather(waiting, holder, return_exceptions=True)
    created, seconds = await timed(client.post("/posts", json=body))
    if waited == 1 and created.status_code == 201 and seconds < 1 and idle(queue):
        CHECKS.append("cancelled writes release their turn")


async def handed_then_cancelled() -> bool:
    """A waiter cancelled after the turn was handed to it, before it ran, passes it on."""
    queue = WriteQueue()
    first, second = object(), object()
    await greenlet_spawn(queue.acquire, first)
    waiter = asyncio.create_task(greenlet_spawn(queue.acquire, second))
    await asyncio.sleep(0.05)
    queue.release(first)  # hands the turn to `waiter`...
    waiter.cancel()  # ...which is cancelled before it takes it
    await asyncio.gather(waiter, return_exceptions=True)
    return waiter.cancelled() and idle(queue)


def other_loops_and_no_loop() -> bool:
    """The turn of one event loop is not waited for in another; no loop, no queue."""
    queue = WriteQueue()
    first, second = object(), object()
    queue.acquire(first)  # no event loop running (a sync path): nothing to queue on
    if queue.holders:
        return False

    async def take(connection: object) -> None:
        await greenlet_spawn(queue.acquire, connection)

    asyncio.run(take(first))  # held in that loop, never released
    start = time.monotonic()
    asyncio.run(take(second))
    return time.monotonic() - start < 1 and len(queue.holders) == 2


async def main() -> None:
    connection_manager.initialize()
    engine = connection_manager.engine
    sqlite = connection_manager.sqlite_manager
    assert sqlite is not None, "a SQLite database is needed"
    event.listen(engine.sync_engine, "connect", no_busy_wait)
    metadata = getattr(models, "metadata", SQLModel.metadata)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await api_checks(client, sqlite.writes)
        if await handed_then_cancelled():
            CHECKS.append("a turn handed to a cancelled waiter is passed on")
    finally:
        await connection_manager.close()


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(main(), 60))  # a test that hangs fails instead
    if other_loops_and_no_loop():
        CHECKS.append("one turn per event loop, none without a loop")
    print(json.dumps(CHECKS))
