"""Run INSIDE a project generated from examples/shop/forge.yaml (PYTHONPATH=<project>,
DATABASE_URL=<its database>), through the generated models and CRUD classes:

    python restored_shop.py extras   # give Chinook's rows values of the types it lacks
    python restored_shop.py check    # read those values and a few facts back, then insert
                                     # new rows through the generated CRUD classes

`extras` runs once on the Chinook database before it is backed up: bytes, json, a float,
a time, a date, a uuid, a non-default enum value and a datetime given with an offset.
`check` prints one JSON line: the facts read back (to compare between databases) and the
ids the CRUD inserts received (to prove the key sequences were advanced by the restore).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import sys
from decimal import Decimal
from typing import Any

from app.core.database import DatabaseConnectionManager
from app.crud.artist import ArtistCRUD
from app.crud.invoice import InvoiceCRUD
from app.crud.playlist import PlaylistCRUD
from app.models import (
    Album,
    Artist,
    Customer,
    Employee,
    Genre,
    Invoice,
    InvoiceLine,
    LoyaltyCard,
    MediaType,
    Playlist,
    Track,
)
from app.models.invoice import InvoiceStatus
from app.models.links import PlaylistTrackLink
from app.schemas.artist import ArtistCreate
from app.schemas.invoice import InvoiceCreate
from app.schemas.playlist import PlaylistCreate
from sqlalchemy import func, select

MODELS = (
    Album,
    Artist,
    Customer,
    Employee,
    Genre,
    Invoice,
    InvoiceLine,
    LoyaltyCard,
    MediaType,
    Playlist,
    PlaylistTrackLink,
    Track,
)
COVER = bytes(range(256)) * 4
PREFERENCES = {"newsletter": True, "genres": ["Rock", "Jazz"], "ratio": 0.5, "nested": {"ü": None}}
DESCRIPTION = "Rock 'n' roll\n— «ß» \\ \"quoted\" \t end"
PARIS = dt.timezone(dt.timedelta(hours=2))


async def extras(manager: DatabaseConnectionManager) -> dict[str, Any]:
    async with manager.sessionmaker() as session:
        card = LoyaltyCard(
            number="LC-0001", points=120, issued_on=dt.date(2024, 2, 29), expires_on=None
        )
        session.add(card)
        await session.flush()
        customer = await session.get(Customer, 1)
        assert customer is not None
        customer.preferences = PREFERENCES
        customer.is_vip = True
        customer.loyalty_card_id = card.id
        album = await session.get(Album, 1)
        assert album is not None
        album.cover = COVER
        track = await session.get(Track, 1)
        assert track is not None
        track.rating = 4.5
        employee = await session.get(Employee, 1)
        assert employee is not None
        employee.shift_start = dt.time(8, 30)
        genre = await session.get(Genre, 1)
        assert genre is not None
        genre.description = DESCRIPTION
        invoice = await session.get(Invoice, 1)
        assert invoice is not None
        invoice.status = InvoiceStatus.REFUNDED
        # 10:00 in Paris is 08:00 UTC.
        invoice.invoice_date = dt.datetime(2021, 1, 1, 10, 0, tzinfo=PARIS)
        await session.commit()
    return {"extras": "added"}


def instant(value: dt.datetime) -> str:
    """A datetime as a UTC instant (naive values are UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat()


async def check(manager: DatabaseConnectionManager) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    async with manager.sessionmaker() as session:
        facts["counts"] = {
            model.__tablename__: int(
                (await session.execute(select(func.count()).select_from(model))).scalar_one()
            )
            for model in MODELS
        }
        facts["total"] = str((await session.execute(select(func.sum(Invoice.total)))).scalar())
        employees = (await session.execute(select(Employee).order_by(Employee.id))).scalars()
        facts["reports_to"] = {str(e.id): e.reports_to_id for e in employees}
        customer = await session.get(Customer, 1)
        assert customer is not None
        facts["preferences"] = customer.preferences
        facts["is_vip"] = customer.is_vip
        card = await session.get(LoyaltyCard, customer.loyalty_card_id)
        assert card is not None
        facts["card"] = [card.number, card.points, card.issued_on.isoformat(), card.expires_on]
        album = await session.get(Album, 1)
        assert album is not None and album.cover is not None
        facts["cover"] = [len(album.cover), hashlib.sha256(album.cover).hexdigest()]
        track = await session.get(Track, 1)
        assert track is not None
        facts["track"] = [track.rating, str(track.unit_price), track.bytes]
        employee = await session.get(Employee, 1)
        assert employee is not None and employee.shift_start is not None
        facts["employee"] = [
            employee.shift_start.isoformat(),
            str(employee.badge),
            instant(employee.birth_date) if employee.birth_date else None,
        ]
        genre = await session.get(Genre, 1)
        assert genre is not None
        facts["description"] = genre.description
        invoice = await session.get(Invoice, 1)
        assert invoice is not None
        facts["invoice"] = [
            str(invoice.status.value),
            instant(invoice.invoice_date),
            str(invoice.total),
        ]
        top = {
            model.__tablename__: (await session.execute(select(func.max(model.id)))).scalar()
            for model in (Artist, Invoice, Playlist)
        }
    # New rows through the generated CRUD classes, each in its own session: their ids come
    # from the database's key sequence / auto-increment, which the restore must have moved.
    created: dict[str, list[int]] = {}
    async with manager.sessionmaker() as session:
        artist = await ArtistCRUD(session).create(ArtistCreate(name="Restored Artist"))
        created["artist"] = [artist.id, top["artist"] + 1]
    async with manager.sessionmaker() as session:
        invoice = await InvoiceCRUD(session).create(
            InvoiceCreate(
                customer_id=1,
                invoice_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                total=Decimal("9.99"),
            )
        )
        created["invoice"] = [invoice.id, top["invoice"] + 1]
    async with manager.sessionmaker() as session:
        playlist = await PlaylistCRUD(session).create(PlaylistCreate(name="After restore"))
        created["playlist"] = [playlist.id, top["playlist"] + 1]
    return {"facts": facts, "created": created}


async def main(mode: str) -> dict[str, Any]:
    manager = DatabaseConnectionManager()
    manager.initialize()
    try:
        return await (extras(manager) if mode == "extras" else check(manager))
    finally:
        await manager.close()


if __name__ == "__main__":
    if sys.argv[1:] not in (["extras"], ["check"]):
        raise SystemExit("usage: restored_shop.py extras|check")
    print(json.dumps(asyncio.run(main(sys.argv[1])), sort_keys=True))
