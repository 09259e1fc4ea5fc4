"""Count the SQL statements of each request to a generated blog app.

Run inside a generated blog project: PYTHONPATH=<project>, DATABASE_URL=<an empty
database>. It creates the tables, sends requests through the app (httpx, in process) and
prints, last, a JSON object: for each request, the statements it sent (`INSERT RETURNING`,
`SELECT`, ... and `COMMIT`; the BEGIN of a transaction is left out, and on SQLite seen
apart, from SQLite's own trace), and the checks that
the answers hold what the database holds.
"""

import asyncio
import json
from typing import Any

import httpx
from app import models
from app.core.database import connection_manager
from app.core.database.connection import PING_AFTER_IDLE
from app.main import app
from app.repositories.post_repository import PostRepository
from sqlalchemy import event
from sqlmodel import SQLModel

LOG: list[str] = []
BEGINS: list[str] = []
RESULT: dict[str, Any] = {}
BEGUN: dict[str, Any] = {}  # on SQLite, how each request began its transaction
HOPS: list[str] = []  # SQLite: what the driver's thread ran; all: "ping" for a pre-ping
HOPPED: dict[str, list[str]] = {}


def count_hops() -> None:
    """Every call aiosqlite sends to its thread (a hop: a queue, a thread woken, the
    event loop woken with the answer), named by the function it runs there."""
    import aiosqlite

    send = aiosqlite.Connection._execute

    async def counted_send(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        HOPS.append(getattr(fn, "__name__", type(fn).__name__))
        return await send(self, fn, *args, **kwargs)

    aiosqlite.Connection._execute = counted_send  # type: ignore[method-assign]


def count_pings(backend: str) -> None:
    """Every pre-ping that reaches a PostgreSQL or MariaDB driver, as "ping" in HOPS."""
    if backend == "postgresql":
        from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

        adapter: Any = AsyncAdapt_asyncpg_connection
    else:
        from sqlalchemy.dialects.mysql.aiomysql import AsyncAdapt_aiomysql_connection

        adapter = AsyncAdapt_aiomysql_connection
    ping = adapter.ping

    def counted_ping(self: Any, *args: Any, **kwargs: Any) -> Any:
        HOPS.append("ping")
        return ping(self, *args, **kwargs)

    adapter.ping = counted_ping


def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
    words = sql.split()
    kind = words[0].upper()
    if "RETURNING" in (word.upper() for word in words):
        kind += " RETURNING"
    LOG.append(kind)


def began(sql: str) -> None:
    if sql.split()[0].upper() == "BEGIN":
        BEGINS.append(" ".join(sql.split()).upper())


def trace_begins(dbapi_connection: Any, _record: Any) -> None:
    """Every BEGIN that SQLite runs on this connection (the app sends it to the driver
    directly, past SQLAlchemy's cursor events)."""
    dbapi_connection.run_async(lambda driver: driver.set_trace_callback(began))


async def counted(name: str, call: Any) -> Any:
    LOG.clear()
    BEGINS.clear()
    HOPS.clear()
    response = await call
    RESULT[name] = list(LOG)
    BEGUN[name] = list(BEGINS)
    HOPPED[name] = list(HOPS)
    return response


async def fresh(client: httpx.AsyncClient, path: str) -> Any:
    """What a new request reads (the database, not a session's copy)."""
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return response.json()


def sqlite_hops() -> list[str]:
    """What the hops to the driver's thread show: a pre-ping of one hop (SELECT 1 run
    and fetched there, not a cursor's four), no ROLLBACK where no transaction is open (a
    read; a write after its COMMIT), and a ROLLBACK where one is (a refused INSERT)."""
    checks = []
    reads = [HOPPED[name] for name in ("get", "list")]
    if all(hops == ["cursor", "execute", "fetchall", "close"] for hops in reads):
        checks.append("SQLite: a read on a connection used a moment ago: its SELECT's hops")
    idle = HOPPED["get after idle"]
    if idle[0] == "_execute_fetchall" and idle.count("cursor") == 1:
        checks.append("SQLite: after an idle time, the pre-ping's one hop, then the SELECT's")
    ended = [HOPPED[name] for name in ("get", "list", "create", "update", "delete")]
    if all("rollback" not in hops for hops in ended):
        checks.append("SQLite: no ROLLBACK hop without a transaction to roll back")
    if "rollback" in HOPPED["create conflict"]:
        checks.append("SQLite: a refused INSERT is rolled back")
    return checks


async def replaced_behind_the_pools_back(engine: Any, transport: Any, user_id: int) -> bool:
    """The pool's only connection, closed under it: once it has been idle for
    PING_AFTER_IDLE, the next request's pre-ping finds it lost (on SQLite, its one hop
    fails and the dialect's own ping names the lost connection), the pool opens
    another, and the request is answered."""
    await engine.dispose()
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        await raw.driver_connection.close()
    await asyncio.sleep(PING_AFTER_IDLE + 0.05)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get(f"/users/{user_id}")
    return response.status_code == 200


async def main() -> None:
    connection_manager.initialize()
    engine = connection_manager.engine
    if engine.dialect.name == "sqlite":  # what SQLite itself runs, however it is sent
        event.listen(engine.sync_engine, "connect", trace_begins)
        count_hops()
    else:
        count_pings(engine.dialect.name)
    metadata = getattr(models, "metadata", SQLModel.metadata)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    event.listen(engine.sync_engine, "before_cursor_execute", statement)
    event.listen(engine.sync_engine, "commit", lambda _conn: LOG.append("COMMIT"))
    checks: list[str] = []
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            user = (await client.post("/users", json={"username": "u", "email": "e"})).json()
            body = {"title": "Hello", "body": "text", "author_id": user["id"]}
            created = await counted("create", client.post("/posts", json=body))
            assert created.status_code == 201, created.text
            post = created.json()
            if post == await fresh(client, f"/posts/{post['id']}"):
                checks.append("create answers the stored row")
            assert post["status"] == "draft" and post["created_at"]  # defaults

            read = await counted("get", client.get(f"/posts/{post['id']}"))
            assert read.status_code == 200
            for _ in range(3):
                await client.post("/posts", json=body)
            listing = await counted("list", client.get("/posts", params={"size": 2}))
            assert listing.json()["total"] == 4 and len(listing.json()["items"]) == 2
            past = await counted("list past the end", client.get("/posts?page=9"))
            assert past.json()["total"] == 4 and past.json()["items"] == []

            await asyncio.sleep(1.01 if engine.dialect.name == "mysql" else 0.01)  # DATETIME(0)
            patch = {"title": "Changed"}
            changed = await counted("update", client.patch(f"/posts/{post['id']}", json=patch))
            assert changed.status_code == 200, changed.text
            after = changed.json()
            if after == await fresh(client, f"/posts/{post['id']}"):
                checks.append("update answers the stored row")
            if after["updated_at"] != post["updated_at"] and after["title"] == "Changed":
                checks.append("update sets updated_at")
            missing = await counted("update missing", client.patch("/posts/999", json=patch))
            assert missing.status_code == 404

            taken = {"username": "u", "email": "other"}
            conflict = await counted("create conflict", client.post("/users", json=taken))
            if conflict.status_code == 409 and "username" in conflict.json()["detail"][0]["loc"]:
                checks.append("conflict names the field")

            comment = {"body": "hi", "post_id": post["id"], "created_at": post["created_at"]}
            note = (await client.post("/comments", json=comment)).json()
            await counted("soft delete", client.delete(f"/comments/{note['id']}"))
            # Writes at the same time, some reading first (a soft delete): on SQLite each
            # takes the write lock as it begins, and waits for it (no "locked" 500).
            notes = [(await client.post("/comments", json=comment)).json() for _ in range(8)]
            writes = [client.delete(f"/comments/{n['id']}") for n in notes] + [
                client.patch(f"/posts/{post['id']}", json={"title": f"t{i}"}) for i in range(8)
            ]
            answers = await asyncio.gather(*writes)
            if sorted({a.status_code for a in answers}) == [200, 204]:
                checks.append("concurrent writes all answered")

            deleted = await counted("delete", client.delete(f"/posts/{post['id']}"))
            assert deleted.status_code == 204
            gone = await counted("delete missing", client.delete(f"/posts/{post['id']}"))
            assert gone.status_code == 404
            # A connection idle longer than PING_AFTER_IDLE is pinged before it is used.
            await asyncio.sleep(PING_AFTER_IDLE + 0.05)
            idle = await counted("get after idle", client.get(f"/users/{user['id']}"))
            assert idle.status_code == 200

        # No N+1: the relations of many rows are loaded with one more query each.
        for _ in range(5):
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                await client.post("/posts", json=body)
        async with connection_manager.sessionmaker() as session:
            LOG.clear()
            posts = await PostRepository(session).find_all(load=["author", "comments"])
            assert len(posts) == 8 and all(p.author.id == user["id"] for p in posts)
            RESULT["find_all loading 2 relations of 8 rows"] = list(LOG)
        if engine.dialect.name == "sqlite":
            write, read = BEGUN["create"], BEGUN["get"]
            if write == ["BEGIN IMMEDIATE"] and read == []:
                checks.append("SQLite: writes begin immediate, reads send no BEGIN")
            checks += sqlite_hops()
        else:
            near, idle = HOPPED["get"], HOPPED["get after idle"]
            if "ping" not in near and idle == ["ping"]:
                checks.append("no pre-ping on a connection used a moment ago; one after idle")
        if engine.dialect.name != "mysql":  # (aiomysql closes without awaiting)
            if await replaced_behind_the_pools_back(engine, transport, post["author_id"]):
                checks.append("a connection closed behind the pool's back is replaced")
    finally:
        await connection_manager.close()
    print(json.dumps({"statements": RESULT, "checks": checks, "hops": HOPPED}))


if __name__ == "__main__":
    asyncio.run(main())
