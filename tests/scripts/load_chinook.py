"""Load every row of the Chinook sample database into a project generated from
examples/shop/forge.yaml, then check it through the generated ORM layer.

Run INSIDE the generated project (PYTHONPATH=<project>, DATABASE_URL=<an upgraded database>):

    python load_chinook.py <Chinook_Sqlite.sqlite>

Chinook is opened read-only. Rows go in through the generated SQLModel classes and the
project's DatabaseConnectionManager (which turns SQLite foreign keys on), parents before
children, one commit per table. The script asserts what it checks and prints one JSON line
(the counts it loaded and what it verified) for the calling test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.core.config import get_settings
from app.core.database import DatabaseConnectionManager
from app.models import (
    Album,
    Artist,
    Customer,
    Employee,
    Genre,
    Invoice,
    InvoiceLine,
    MediaType,
    Playlist,
    Track,
)
from app.models.links import PlaylistTrackLink
from app.repositories.customer_repository import CustomerRepository
from app.repositories.employee_repository import EmployeeRepository
from app.repositories.invoice_repository import InvoiceRepository
from app.repositories.playlist_repository import PlaylistRepository
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

CENT = Decimal("0.01")
Convert = Callable[[Any], Any]


def same(value: Any) -> Any:
    return value


def money(value: Any) -> Decimal:
    """Chinook's NUMERIC(10,2) values come back from sqlite3 as floats (0.99)."""
    exact = Decimal(str(value))
    quantized = exact.quantize(CENT)
    assert quantized == exact, f"{value!r} does not fit decimal(10, 2)"
    return quantized


def timestamp(value: Any) -> dt.datetime | None:
    """Chinook's DATETIME columns are text such as '2021-01-01 00:00:00'."""
    return None if value is None else dt.datetime.fromisoformat(value)


@dataclass(frozen=True)
class Table:
    """How one Chinook table maps onto one generated model: (column, attribute, convert)
    for each column; the first `key` columns are the primary key."""

    chinook: str
    model: type[SQLModel]
    columns: tuple[tuple[str, str, Convert], ...]
    key: int = 1

    @property
    def attributes(self) -> list[str]:
        return [attribute for _, attribute, _ in self.columns]

    def rows(self, chinook: sqlite3.Connection) -> list[dict[str, Any]]:
        """The table's rows, converted and in primary-key order."""
        names = [f'"{column}"' for column, _, _ in self.columns]
        query = (
            f"SELECT {', '.join(names)} FROM \"{self.chinook}\" "
            f"ORDER BY {', '.join(names[: self.key])}"
        )
        return [
            {
                attribute: convert(value)
                for (_, attribute, convert), value in zip(self.columns, row, strict=True)
            }
            for row in chinook.execute(query)
        ]


def _table(chinook: str, model: type[SQLModel], *columns: tuple[str, str, Convert]) -> Table:
    return Table(chinook, model, ((f"{chinook}Id", "id", same), *columns))


# Parents before children.
TABLES: tuple[Table, ...] = (
    _table("Artist", Artist, ("Name", "name", same)),
    _table("Genre", Genre, ("Name", "name", same)),
    _table("MediaType", MediaType, ("Name", "name", same)),
    _table("Album", Album, ("Title", "title", same), ("ArtistId", "artist_id", same)),
    _table(
        "Track",
        Track,
        ("Name", "name", same),
        ("AlbumId", "album_id", same),
        ("MediaTypeId", "media_type_id", same),
        ("GenreId", "genre_id", same),
        ("Composer", "composer", same),
        ("Milliseconds", "milliseconds", same),
        ("Bytes", "bytes", same),
        ("UnitPrice", "unit_price", money),
    ),
    _table("Playlist", Playlist, ("Name", "name", same)),
    Table(
        "PlaylistTrack",
        PlaylistTrackLink,
        (("PlaylistId", "playlist_id", same), ("TrackId", "track_id", same)),
        key=2,
    ),
    _table(
        "Employee",
        Employee,
        ("LastName", "last_name", same),
        ("FirstName", "first_name", same),
        ("Title", "title", same),
        ("ReportsTo", "reports_to_id", same),
        ("BirthDate", "birth_date", timestamp),
        ("HireDate", "hire_date", timestamp),
        ("Address", "address", same),
        ("City", "city", same),
        ("State", "state", same),
        ("Country", "country", same),
        ("PostalCode", "postal_code", same),
        ("Phone", "phone", same),
        ("Fax", "fax", same),
        ("Email", "email", same),
    ),
    _table(
        "Customer",
        Customer,
        ("FirstName", "first_name", same),
        ("LastName", "last_name", same),
        ("Company", "company", same),
        ("Address", "address", same),
        ("City", "city", same),
        ("State", "state", same),
        ("Country", "country", same),
        ("PostalCode", "postal_code", same),
        ("Phone", "phone", same),
        ("Fax", "fax", same),
        ("Email", "email", same),
        ("SupportRepId", "support_rep_id", same),
    ),
    _table(
        "Invoice",
        Invoice,
        ("CustomerId", "customer_id", same),
        ("InvoiceDate", "invoice_date", timestamp),
        ("BillingAddress", "billing_address", same),
        ("BillingCity", "billing_city", same),
        ("BillingState", "billing_state", same),
        ("BillingCountry", "billing_country", same),
        ("BillingPostalCode", "billing_postal_code", same),
        ("Total", "total", money),
    ),
    _table(
        "InvoiceLine",
        InvoiceLine,
        ("InvoiceId", "invoice_id", same),
        ("TrackId", "track_id", same),
        ("UnitPrice", "unit_price", money),
        ("Quantity", "quantity", same),
    ),
)


def managers_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Employees ordered so that everyone comes after the employee they report to."""
    by_id = {row["id"]: row for row in rows}

    def depth(row: dict[str, Any]) -> int:
        level, boss = 0, row["reports_to_id"]
        while boss is not None:
            level, boss = level + 1, by_id[boss]["reports_to_id"]
            assert level <= len(rows), "reports_to forms a cycle"
        return level

    return sorted(rows, key=lambda row: (depth(row), row["id"]))


def chain(reports_to: dict[int, int | None], employee: int) -> list[int]:
    """The managers above an employee, nearest first."""
    above: list[int] = []
    boss = reports_to[employee]
    while boss is not None:
        above.append(boss)
        boss = reports_to[boss]
    return above


# --------------------------------------------------------------------------- loading


async def load(manager: DatabaseConnectionManager, source: dict[str, list[dict[str, Any]]]) -> None:
    for table in TABLES:
        rows = source[table.chinook]
        if table.model is Employee:
            rows = managers_first(rows)
        async with manager.sessionmaker() as session:
            session.add_all([table.model(**row) for row in rows])
            await session.commit()


async def count(session: AsyncSession, model: type[SQLModel]) -> int:
    return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


# --------------------------------------------------------------------------- checks


async def check_round_trip(
    session: AsyncSession, table: Table, expected: list[dict[str, Any]]
) -> None:
    """Every column of every row reads back exactly as Chinook has it."""
    columns = [getattr(table.model, attribute) for attribute in table.attributes]
    statement = select(*columns).order_by(*columns[: table.key])
    result = await session.execute(statement)
    loaded = [dict(zip(table.attributes, row, strict=True)) for row in result]
    assert len(loaded) == len(expected), (table.chinook, len(loaded), len(expected))
    for got, want in zip(loaded, expected, strict=True):
        assert got == want, f"{table.chinook}: loaded {got} but Chinook has {want}"


async def check_foreign_keys(session: AsyncSession) -> None:
    assert (await session.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
    problems = (await session.execute(text("PRAGMA foreign_key_check"))).all()
    assert not problems, f"foreign_key_check: {problems[:10]}"


async def check_support_reps(session: AsyncSession, source: dict[str, list[dict[str, Any]]]) -> int:
    """Customer.support_rep, loaded through the generated repository, is Chinook's rep."""
    employees = {row["id"]: row for row in source["Employee"]}
    repository = CustomerRepository(session)
    for row in source["Customer"]:
        customer = await repository.find(row["id"], load=["support_rep"])
        assert customer is not None, row["id"]
        assert customer.email == row["email"]
        rep_id = row["support_rep_id"]
        if rep_id is None:
            assert customer.support_rep is None
        else:
            assert customer.support_rep is not None, row["id"]
            assert customer.support_rep.id == rep_id
            assert customer.support_rep.email == employees[rep_id]["email"]
    return len(source["Customer"])


async def check_reports_to(session: AsyncSession, source: dict[str, list[dict[str, Any]]]) -> int:
    """Every employee's chain of managers (Employee.reports_to, followed through the ORM)
    and every manager's direct reports (the inverse Employee.reports) match Chinook."""
    reports_to: dict[int, int | None] = {
        row["id"]: row["reports_to_id"] for row in source["Employee"]
    }
    reports: dict[int, set[int]] = defaultdict(set)
    for employee, boss in reports_to.items():
        if boss is not None:
            reports[boss].add(employee)
    repository = EmployeeRepository(session)
    longest = 0
    for employee_id in reports_to:
        walked: list[int] = []
        current = await repository.find(employee_id, load=["reports_to", "reports"])
        assert current is not None
        assert {report.id for report in current.reports} == reports[employee_id]
        while current.reports_to is not None:
            boss_id = current.reports_to.id
            assert boss_id is not None
            walked.append(boss_id)
            current = await repository.find(boss_id, load=["reports_to", "reports"])
            assert current is not None
        assert walked == chain(reports_to, employee_id), (employee_id, walked)
        longest = max(longest, len(walked))
    roots = [employee for employee, boss in reports_to.items() if boss is None]
    assert len(roots) >= 1
    return longest


async def check_invoices(session: AsyncSession, source: dict[str, list[dict[str, Any]]]) -> int:
    """For every invoice, its lines (Invoice.lines) add up to its total, as in Chinook."""
    sums: dict[int, Decimal] = defaultdict(Decimal)
    line_ids: dict[int, set[int]] = defaultdict(set)
    for line in source["InvoiceLine"]:
        sums[line["invoice_id"]] += line["unit_price"] * line["quantity"]
        line_ids[line["invoice_id"]].add(line["id"])
    totals = {row["id"]: row["total"] for row in source["Invoice"]}
    assert all(
        sums[invoice] == total for invoice, total in totals.items()
    ), "Chinook itself: lines do not add up to the totals"
    invoices = await InvoiceRepository(session).find_all(limit=None, load=["lines"])
    assert len(invoices) == len(totals)
    for invoice in invoices:
        assert invoice.id is not None
        assert invoice.total == totals[invoice.id]
        assert {line.id for line in invoice.lines} == line_ids[invoice.id]
        assert sum((line.unit_price * line.quantity for line in invoice.lines), Decimal(0)) == (
            invoice.total
        )
        assert invoice.status == "paid"
    return len(invoices)


async def check_playlists(session: AsyncSession, source: dict[str, list[dict[str, Any]]]) -> int:
    """Playlist.tracks (through the link table) holds exactly Chinook's PlaylistTrack rows."""
    expected: dict[int, set[int]] = defaultdict(set)
    for row in source["PlaylistTrack"]:
        expected[row["playlist_id"]].add(row["track_id"])
    playlists = await PlaylistRepository(session).find_all(limit=None, load=["tracks"])
    assert len(playlists) == len(source["Playlist"])
    for playlist in playlists:
        assert playlist.id is not None
        assert {track.id for track in playlist.tracks} == expected[playlist.id], playlist.id
    return sum(len(tracks) for tracks in expected.values())


async def check_foreign_keys_enforced(manager: DatabaseConnectionManager) -> str:
    """An invoice line of an invoice that does not exist is refused."""
    async with manager.sessionmaker() as session:
        missing = int((await session.execute(select(func.max(Invoice.id)))).scalar_one()) + 1
        track_id = (await session.execute(select(func.min(Track.id)))).scalar_one()
        before = await count(session, InvoiceLine)
        session.add(InvoiceLine(invoice_id=missing, track_id=track_id, unit_price=CENT, quantity=1))
        try:
            await session.commit()
        except IntegrityError as error:
            await session.rollback()
            message = str(error.orig)
        else:
            raise AssertionError(f"an invoice line of missing invoice {missing} was accepted")
        assert await count(session, InvoiceLine) == before
    assert "FOREIGN KEY" in message.upper(), message
    return message


# --------------------------------------------------------------------------- main


def read_chinook(path: Path) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:
    chinook = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = sorted(
            name
            for (name,) in chinook.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        )
        assert names == sorted(table.chinook for table in TABLES), names
        counts = {
            name: int(chinook.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
            for name in names
        }
        return {table.chinook: table.rows(chinook) for table in TABLES}, counts
    finally:
        chinook.close()


async def main(path: Path) -> dict[str, Any]:
    source, chinook_counts = read_chinook(path)
    url = get_settings().DATABASE_URL
    assert url.startswith("sqlite"), url
    manager = DatabaseConnectionManager()
    manager.initialize()
    try:
        await load(manager, source)
        async with manager.sessionmaker() as session:
            counts = {table.chinook: await count(session, table.model) for table in TABLES}
            assert counts == chinook_counts, (counts, chinook_counts)
            for table in TABLES:
                await check_round_trip(session, table, source[table.chinook])
            await check_foreign_keys(session)
        checks: dict[str, int] = {}
        async with manager.sessionmaker() as session:
            checks["customers_checked"] = await check_support_reps(session, source)
        async with manager.sessionmaker() as session:
            checks["longest_reports_to_chain"] = await check_reports_to(session, source)
        async with manager.sessionmaker() as session:
            checks["invoices_adding_up"] = await check_invoices(session, source)
        async with manager.sessionmaker() as session:
            checks["playlist_tracks"] = await check_playlists(session, source)
        refused = await check_foreign_keys_enforced(manager)
    finally:
        await manager.close()
    return {"database": url, "counts": counts, "checks": checks, "refused": refused}


def run(argv: Sequence[str]) -> None:
    if len(argv) != 1:
        raise SystemExit("usage: load_chinook.py <Chinook_Sqlite.sqlite>")
    print(json.dumps(asyncio.run(main(Path(argv[0])))))


if __name__ == "__main__":
    run(sys.argv[1:])
