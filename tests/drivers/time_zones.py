"""The session time zone of a generated `zones` project (tests/test_*_time_zone.py).

Run inside the project: PYTHONPATH=<project>, DATABASE_URL=<its database>, with the
arguments ZONE_QUERY (the statement that shows the session's time zone) and, optionally,
RAW_INSERT (an INSERT whose columns the server's defaults fill, in the project's session).
Through the project's own engine, it creates an Event at 2024-01-31T12:00Z with the
generated CRUD, runs RAW_INSERT, and prints JSON: [the session's zone, [at, since] of
every row as the repository reads them, the largest `noted` after RAW_INSERT or null].
"""

import asyncio
import datetime as dt
import json
import sys

from app.core.config import get_settings
from app.core.database import DatabaseConnectionManager
from app.core.repository import BaseRepository
from app.crud.event import EventCRUD
from app.models.event import Event
from app.schemas.event import EventCreate
from sqlalchemy import text


async def main(zone_query: str, raw_insert: str | None) -> None:
    manager = DatabaseConnectionManager(get_settings())
    manager.initialize()
    noon = dt.datetime(2024, 1, 31, 12, tzinfo=dt.UTC)
    noted = None
    async with manager.sessionmaker() as session:
        zone = (await session.execute(text(zone_query))).scalar_one()
        await EventCRUD(session).create(EventCreate(at=noon))
        if raw_insert is not None:
            await session.execute(text(raw_insert))
            await session.commit()
            found = (await session.execute(text("SELECT max(noted) FROM event"))).scalar_one()
            noted = found.isoformat()
    async with manager.sessionmaker() as session:
        rows = await BaseRepository(session, Event).find_all(limit=None)
        read = [(r.at.isoformat(), r.since.isoformat()) for r in rows]
    await manager.close()
    print(json.dumps([zone, read, noted]))


asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
