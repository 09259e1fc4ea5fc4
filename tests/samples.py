"""Sample databases for the tests: Chinook and Sakila, built on SQLite, PostgreSQL or MariaDB.

    counts = create_sample("sakila", "postgresql+asyncpg://postgres@127.0.0.1:5432/scratch")
    with sample_database("chinook", "mysql", tmp_path) as url: ...
    python -m tests.samples sakila sqlite+aiosqlite:///sakila.db

`create_sample` creates the sample's tables in an empty database (a SQLite file is created
when missing), loads every row in one transaction and returns the rows per table, counted in
the database afterwards; `expected_counts` gives the same numbers read from the data itself.
`sample_database` makes a scratch database (a SQLite file, or one on the test servers of
tests/servers.py, dropped afterwards) and builds a sample in it.

Each schema is described once below (tables, columns, keys, indexes) and spelled per
database the way its original does:
- Chinook (tests read /work/shared/data/chinook/Chinook_Sqlite.sqlite, never a copy) keeps
  its PascalCase names, IFK_* indexes, FK_* foreign keys and PK_* primary keys (MariaDB
  calls every primary key PRIMARY). On SQLite its tables and indexes are created from the
  file's own CREATE statements (NVARCHAR, unnamed foreign keys); on PostgreSQL and MariaDB
  from the original scripts' shape (VARCHAR, TIMESTAMP / DATETIME, NUMERIC(10,2)); its
  single-column keys auto-increment everywhere (INTEGER PRIMARY KEY on SQLite,
  AUTO_INCREMENT as MySQL's script, SERIAL on PostgreSQL, whose script has plain INT).
- Sakila (tests/data/sakila/, see its README for the source and every change) keeps MySQL's
  snake_case names, fk_* foreign keys, idx_* indexes, SMALLINT / TINYINT keys, the composite
  primary keys of film_actor and film_category, the composite unique of rental, ENUM rating
  (a type on PostgreSQL, a CHECK on SQLite), ON UPDATE CURRENT_TIMESTAMP (MariaDB) and the
  foreign-key cycle store.manager_staff_id <-> staff.store_id: its nullable side
  (store.manager_staff_id) is added by ALTER TABLE once both tables exist (PostgreSQL,
  MariaDB; SQLite declares it inline), and is loaded NULL first, then updated.
"""

from __future__ import annotations

import asyncio
import datetime
import gzip
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from tests.helpers import SHARED

CHINOOK_FILE = SHARED / "data" / "chinook" / "Chinook_Sqlite.sqlite"
SAKILA_FILE = Path(__file__).resolve().parent / "data" / "sakila" / "sakila.jsonl.gz"
SAMPLES = ("chinook", "sakila")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # int, smallint, tinyint, mediumint, varchar(n), nvarchar(n), char(n), text,
    # decimal(p,s), numeric(p,s), datetime, timestamp, date, bool, blob, enum
    nullable: bool = False
    default: str | None = None  # an SQL literal that every database reads alike
    auto: bool = False  # auto-increment primary key
    on_update_now: bool = False  # MySQL's ON UPDATE CURRENT_TIMESTAMP (MariaDB only)


@dataclass(frozen=True)
class ForeignKey:
    name: str | None
    column: str
    target: str
    target_column: str
    actions: str = ""  # e.g. "ON DELETE RESTRICT ON UPDATE CASCADE"
    later: bool = False  # a cycle's nullable side: ALTER TABLE after every table; loaded NULL


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    primary_key_name: str | None = None
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (name, columns)
    uniques: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (name, columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


# ----------------------------------------------------------------------------- Chinook


def _chinook_table(name: str, columns: str, *fks: str, pk: str = "") -> Table:
    """`columns`: "Name type [null]" comma-separated, the first one the auto key unless `pk`
    names a composite key; `fks`: "Column->Target" (the target's key has the same name)."""
    parsed = []
    for spec in columns.split(", "):
        column, kind, *null = spec.split()
        parsed.append(Column(column, kind, nullable=bool(null)))
    key = tuple(pk.split()) if pk else (parsed[0].name,)
    if not pk:
        parsed[0] = Column(parsed[0].name, parsed[0].type, auto=True)
    foreign_keys = []
    indexes = []
    for fk in fks:
        column, target = fk.split("->")
        target_column = "EmployeeId" if column in {"ReportsTo", "SupportRepId"} else column
        foreign_keys.append(ForeignKey(f"FK_{name}{column}", column, target, target_column,
                                       "ON DELETE NO ACTION ON UPDATE NO ACTION"))  # fmt: skip
        indexes.append((f"IFK_{name}{column}", (column,)))
    return Table(name, tuple(parsed), key, f"PK_{name}", tuple(foreign_keys), tuple(indexes))


_NAME = "Name nvarchar(120) null"
_PLACE = (
    "Address nvarchar(70) null, City nvarchar(40) null, State nvarchar(40) null, "
    "Country nvarchar(40) null, PostalCode nvarchar(10) null, Phone nvarchar(24) null, "
    "Fax nvarchar(24) null"
)
CHINOOK = (
    _chinook_table("Artist", f"ArtistId int, {_NAME}"),
    _chinook_table("Album", "AlbumId int, Title nvarchar(160), ArtistId int", "ArtistId->Artist"),
    _chinook_table("Genre", f"GenreId int, {_NAME}"),
    _chinook_table("MediaType", f"MediaTypeId int, {_NAME}"),
    _chinook_table(
        "Track",
        "TrackId int, Name nvarchar(200), AlbumId int null, MediaTypeId int, GenreId int null, "
        "Composer nvarchar(220) null, Milliseconds int, Bytes int null, UnitPrice numeric(10,2)",
        "AlbumId->Album", "GenreId->Genre", "MediaTypeId->MediaType",
    ),  # fmt: skip
    _chinook_table("Playlist", f"PlaylistId int, {_NAME}"),
    _chinook_table(
        "PlaylistTrack", "PlaylistId int, TrackId int", "PlaylistId->Playlist", "TrackId->Track",
        pk="PlaylistId TrackId",
    ),  # fmt: skip
    _chinook_table(
        "Employee",
        "EmployeeId int, LastName nvarchar(20), FirstName nvarchar(20), Title nvarchar(30) null, "
        f"ReportsTo int null, BirthDate datetime null, HireDate datetime null, {_PLACE}, "
        "Email nvarchar(60) null",
        "ReportsTo->Employee",
    ),
    _chinook_table(
        "Customer",
        "CustomerId int, FirstName nvarchar(40), LastName nvarchar(20), Company nvarchar(80) null, "
        f"{_PLACE}, Email nvarchar(60), SupportRepId int null",
        "SupportRepId->Employee",
    ),
    _chinook_table(
        "Invoice",
        "InvoiceId int, CustomerId int, InvoiceDate datetime, BillingAddress nvarchar(70) null, "
        "BillingCity nvarchar(40) null, BillingState nvarchar(40) null, "
        "BillingCountry nvarchar(40) null, BillingPostalCode nvarchar(10) null, "
        "Total numeric(10,2)",
        "CustomerId->Customer",
    ),
    _chinook_table(
        "InvoiceLine",
        "InvoiceLineId int, InvoiceId int, TrackId int, UnitPrice numeric(10,2), Quantity int",
        "InvoiceId->Invoice", "TrackId->Track",
    ),  # fmt: skip
)

# ------------------------------------------------------------------------------ Sakila

_RULES = "ON DELETE RESTRICT ON UPDATE CASCADE"
_RATINGS = ("G", "PG", "PG-13", "R", "NC-17")


def _last_update(nullable: bool = False) -> Column:
    return Column("last_update", "timestamp", nullable, "CURRENT_TIMESTAMP", on_update_now=True)


def _key(name: str, kind: str) -> Column:
    return Column(name, kind, auto=True)


def _fk(name: str, column: str, target: str, actions: str = _RULES) -> ForeignKey:
    """A foreign key to `target`'s key (`{target}_id`)."""
    return ForeignKey(name, column, target, f"{target}_id", actions)


def _v(name: str, length: int, nullable: bool = False) -> Column:
    return Column(name, f"varchar({length})", nullable)


SAKILA = (
    Table(
        "country", (_key("country_id", "smallint"), _v("country", 50), _last_update()),
        ("country_id",),
    ),  # fmt: skip
    Table(
        "city",
        (_key("city_id", "smallint"), _v("city", 50), Column("country_id", "smallint"),
         _last_update()),
        ("city_id",),
        foreign_keys=(_fk("fk_city_country", "country_id", "country"),),
        indexes=(("idx_fk_country_id", ("country_id",)),),
    ),  # fmt: skip
    Table(
        "address",
        (_key("address_id", "smallint"), _v("address", 50), _v("address2", 50, True),
         _v("district", 20), Column("city_id", "smallint"), _v("postal_code", 10, True),
         _v("phone", 20), _last_update()),
        ("address_id",),
        foreign_keys=(_fk("fk_address_city", "city_id", "city"),),
        indexes=(("idx_fk_city_id", ("city_id",)),),
    ),  # fmt: skip
    Table(
        "language",
        (_key("language_id", "tinyint"), Column("name", "char(20)"), _last_update()),
        ("language_id",),
    ),  # fmt: skip
    Table(
        "category",
        (_key("category_id", "tinyint"), _v("name", 25), _last_update()),
        ("category_id",),
    ),  # fmt: skip
    Table(
        "actor",
        (_key("actor_id", "smallint"), _v("first_name", 45), _v("last_name", 45), _last_update()),
        ("actor_id",),
        indexes=(("idx_actor_last_name", ("last_name",)),),
    ),  # fmt: skip
    Table(
        "film",
        (_key("film_id", "smallint"), _v("title", 255), Column("description", "text", True),
         Column("release_year", "smallint", True), Column("language_id", "tinyint"),
         Column("original_language_id", "tinyint", True),
         Column("rental_duration", "tinyint", default="3"),
         Column("rental_rate", "decimal(4,2)", default="4.99"),
         Column("length", "smallint", True),
         Column("replacement_cost", "decimal(5,2)", default="19.99"),
         Column("rating", "enum", True, "'G'"), _v("special_features", 54, True),
         _last_update()),
        ("film_id",),
        foreign_keys=(
            _fk("fk_film_language", "language_id", "language"),
            _fk("fk_film_language_original", "original_language_id", "language"),
        ),
        indexes=(("idx_title", ("title",)), ("idx_fk_language_id", ("language_id",)),
                 ("idx_fk_original_language_id", ("original_language_id",))),
    ),  # fmt: skip
    Table(
        "film_actor",
        (Column("actor_id", "smallint"), Column("film_id", "smallint"), _last_update()),
        ("actor_id", "film_id"),
        foreign_keys=(_fk("fk_film_actor_actor", "actor_id", "actor"),
                      _fk("fk_film_actor_film", "film_id", "film")),
        indexes=(("idx_fk_film_id", ("film_id",)),),
    ),  # fmt: skip
    Table(
        "film_category",
        (Column("film_id", "smallint"), Column("category_id", "tinyint"), _last_update()),
        ("film_id", "category_id"),
        foreign_keys=(_fk("fk_film_category_film", "film_id", "film"),
                      _fk("fk_film_category_category", "category_id", "category")),
    ),  # fmt: skip
    Table(
        "store",
        (_key("store_id", "tinyint"), Column("manager_staff_id", "tinyint", True),
         Column("address_id", "smallint"), _last_update()),
        ("store_id",),
        foreign_keys=(
            ForeignKey("fk_store_staff", "manager_staff_id", "staff", "staff_id", _RULES, True),
            _fk("fk_store_address", "address_id", "address"),
        ),
        indexes=(("idx_fk_address_id", ("address_id",)),),
        uniques=(("idx_unique_manager", ("manager_staff_id",)),),
    ),  # fmt: skip
    Table(
        "staff",
        (_key("staff_id", "tinyint"), _v("first_name", 45), _v("last_name", 45),
         Column("address_id", "smallint"), Column("picture", "blob", True),
         _v("email", 50, True), Column("store_id", "tinyint"),
         Column("active", "bool", default="TRUE"), _v("username", 16),
         _v("password", 40, True), _last_update()),
        ("staff_id",),
        foreign_keys=(_fk("fk_staff_store", "store_id", "store"),
                      _fk("fk_staff_address", "address_id", "address")),
        indexes=(("idx_fk_store_id", ("store_id",)), ("idx_fk_address_id", ("address_id",))),
    ),  # fmt: skip
    Table(
        "customer",
        (_key("customer_id", "smallint"), Column("store_id", "tinyint"),
         _v("first_name", 45), _v("last_name", 45), _v("email", 50, True),
         Column("address_id", "smallint"), Column("active", "bool", default="TRUE"),
         Column("create_date", "date"), _last_update(nullable=True)),
        ("customer_id",),
        foreign_keys=(_fk("fk_customer_address", "address_id", "address"),
                      _fk("fk_customer_store", "store_id", "store")),
        indexes=(("idx_fk_store_id", ("store_id",)), ("idx_fk_address_id", ("address_id",)),
                 ("idx_last_name", ("last_name",))),
    ),  # fmt: skip
    Table(
        "inventory",
        (_key("inventory_id", "mediumint"), Column("film_id", "smallint"),
         Column("store_id", "tinyint"), _last_update()),
        ("inventory_id",),
        foreign_keys=(_fk("fk_inventory_store", "store_id", "store"),
                      _fk("fk_inventory_film", "film_id", "film")),
        indexes=(("idx_fk_film_id", ("film_id",)),
                 ("idx_store_id_film_id", ("store_id", "film_id"))),
    ),  # fmt: skip
    Table(
        "rental",
        (_key("rental_id", "int"), Column("rental_date", "datetime"),
         Column("inventory_id", "mediumint"), Column("customer_id", "smallint"),
         Column("return_date", "datetime", True), Column("staff_id", "tinyint"),
         _last_update()),
        ("rental_id",),
        foreign_keys=(_fk("fk_rental_staff", "staff_id", "staff"),
                      _fk("fk_rental_inventory", "inventory_id", "inventory"),
                      _fk("fk_rental_customer", "customer_id", "customer")),
        indexes=(("idx_fk_inventory_id", ("inventory_id",)),
                 ("idx_fk_customer_id", ("customer_id",)), ("idx_fk_staff_id", ("staff_id",))),
        uniques=(("idx_unq_rental_rental_date_inventory_id_customer_id",
                  ("rental_date", "inventory_id", "customer_id")),),
    ),  # fmt: skip
    Table(
        "payment",
        (_key("payment_id", "smallint"), Column("customer_id", "smallint"),
         Column("staff_id", "tinyint"), Column("rental_id", "int", True),
         Column("amount", "decimal(5,2)"), Column("payment_date", "datetime"),
         _last_update(nullable=True)),
        ("payment_id",),
        foreign_keys=(_fk("fk_payment_rental", "rental_id", "rental",
                          actions="ON DELETE SET NULL ON UPDATE CASCADE"),
                      _fk("fk_payment_customer", "customer_id", "customer"),
                      _fk("fk_payment_staff", "staff_id", "staff")),
        indexes=(("idx_fk_staff_id", ("staff_id",)), ("idx_fk_customer_id", ("customer_id",))),
    ),  # fmt: skip
)
SCHEMAS = {"chinook": CHINOOK, "sakila": SAKILA}


# ------------------------------------------------------------------------------- DDL


def quote(dialect: str, name: str) -> str:
    return f"`{name}`" if dialect == "mysql" else f'"{name}"'


def _keys(table: Table) -> set[str]:
    return set(table.primary_key) | {fk.column for fk in table.foreign_keys}


def column_type(dialect: str, table: Table, column: Column) -> str:
    kind, _, size = column.type.partition("(")
    size = f"({size}" if size else ""
    if kind in {"int", "smallint", "tinyint", "mediumint"}:
        if dialect == "sqlite" and column.name in _keys(table):
            return "INTEGER"  # INTEGER PRIMARY KEY is SQLite's auto-increment key
        if dialect == "postgresql" and column.auto:
            return "SERIAL" if kind in {"int", "mediumint"} else "SMALLSERIAL"
        if dialect == "mysql":
            return {"int": "INT"}.get(kind, kind.upper())
        return {"int": "INTEGER", "tinyint": "SMALLINT", "mediumint": "INTEGER"}.get(
            kind, kind.upper()
        )
    if kind == "enum":
        if dialect == "postgresql":
            return "mpaa_rating"
        if dialect == "mysql":
            return "ENUM(" + ",".join(f"'{value}'" for value in _RATINGS) + ")"
        return f"VARCHAR({max(map(len, _RATINGS))})"
    if kind == "nvarchar":
        return f"{'NVARCHAR' if dialect == 'sqlite' else 'VARCHAR'}{size}"
    if kind == "datetime" and dialect == "postgresql":
        return "TIMESTAMP"
    if kind == "blob" and dialect == "postgresql":
        return "BYTEA"
    if kind == "bool":
        return "BOOLEAN"
    return f"{kind.upper()}{size}"


def _column_ddl(dialect: str, table: Table, column: Column) -> str:
    parts = [quote(dialect, column.name), column_type(dialect, table, column)]
    parts.append("NULL" if column.nullable else "NOT NULL")
    if column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    if dialect == "mysql" and column.on_update_now:
        parts.append("ON UPDATE CURRENT_TIMESTAMP")
    if dialect == "mysql" and column.auto:
        parts.append("AUTO_INCREMENT")
    return " ".join(parts)


def _fk_ddl(dialect: str, fk: ForeignKey) -> str:
    named = f"CONSTRAINT {quote(dialect, fk.name)} " if fk.name else ""
    return (
        f"{named}FOREIGN KEY ({quote(dialect, fk.column)}) REFERENCES "
        f"{quote(dialect, fk.target)} ({quote(dialect, fk.target_column)}) {fk.actions}"
    ).rstrip()


def index_name(dialect: str, schema: tuple[Table, ...], table: Table, name: str) -> str:
    """MySQL names indexes per table; PostgreSQL and SQLite per schema, so a name that
    several Sakila tables use gets the table's name: idx_fk_store_id -> idx_staff_fk_store_id."""
    users = [t for t in schema for index, _ in t.indexes if index == name]
    if dialect == "mysql" or len(users) < 2:
        return name
    return name.replace("idx_", f"idx_{table.name}_", 1)


def create_statements(dialect: str, sample: str) -> list[str]:
    """The DDL of `sample` on `dialect` (sqlite, postgresql, mysql), in order."""
    if sample == "chinook" and dialect == "sqlite":
        return _chinook_sqlite_ddl()
    schema = SCHEMAS[sample]
    q = lambda name: quote(dialect, name)  # noqa: E731
    statements = []
    if sample == "sakila" and dialect == "postgresql":
        values = ", ".join(f"'{value}'" for value in _RATINGS)
        statements.append(f"CREATE TYPE mpaa_rating AS ENUM ({values})")
    later = []
    for table in schema:
        lines = [_column_ddl(dialect, table, column) for column in table.columns]
        named = f"CONSTRAINT {q(table.primary_key_name)} " if table.primary_key_name else ""
        lines.append(f"{named}PRIMARY KEY ({', '.join(map(q, table.primary_key))})")
        for name, columns in table.uniques:
            lines.append(f"CONSTRAINT {q(name)} UNIQUE ({', '.join(map(q, columns))})")
        if dialect == "mysql":
            lines += [f"KEY {q(name)} ({', '.join(map(q, cols))})" for name, cols in table.indexes]
        if dialect == "sqlite" and any(c.type == "enum" for c in table.columns):
            values = ", ".join(f"'{value}'" for value in _RATINGS)
            lines.append(f"CONSTRAINT check_special_rating CHECK (rating IN ({values}))")
        for fk in table.foreign_keys:
            if fk.later and dialect != "sqlite":
                later.append(f"ALTER TABLE {q(table.name)} ADD {_fk_ddl(dialect, fk)}")
            else:
                lines.append(_fk_ddl(dialect, fk))
        options = " DEFAULT CHARSET=utf8mb4" if dialect == "mysql" else ""
        body = ",\n  ".join(lines)
        statements.append(f"CREATE TABLE {q(table.name)} (\n  {body}\n){options}")
        if dialect != "mysql":
            statements += [
                f"CREATE INDEX {q(index_name(dialect, schema, table, name))} "
                f"ON {q(table.name)} ({', '.join(map(q, cols))})"
                for name, cols in table.indexes
            ]
    return statements + later


def _chinook_sqlite_ddl() -> list[str]:
    with closing(_read_only(CHINOOK_FILE)) as chinook:
        ddl = dict(chinook.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"))
    tables = [ddl.pop(table.name) for table in CHINOOK]
    return tables + [ddl[name] for name in sorted(ddl)]


# ------------------------------------------------------------------------------ rows


def _read_only(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise FileNotFoundError(f"sample data not found: {path}")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


@cache
def _sakila_rows() -> dict[str, tuple[tuple[str, ...], tuple[tuple[Any, ...], ...]]]:
    out = {}
    with gzip.open(SAKILA_FILE, "rt", encoding="utf-8") as lines:
        for line in lines:
            block = json.loads(line)
            out[block["table"]] = (tuple(block["columns"]), tuple(map(tuple, block["rows"])))
    return out


def rows(sample: str, table: Table) -> tuple[tuple[str, ...], Iterator[tuple[Any, ...]]]:
    """The columns and rows of `table`, as the data holds them (dates as text)."""
    if sample == "sakila":
        columns, data = _sakila_rows()[table.name]
        return columns, iter(data)
    columns = tuple(column.name for column in table.columns)
    with closing(_read_only(CHINOOK_FILE)) as chinook:
        selected = ", ".join(f'"{name}"' for name in columns)
        order = ", ".join(f'"{name}"' for name in table.primary_key)
        data = chinook.execute(f'SELECT {selected} FROM "{table.name}" ORDER BY {order}')
        return columns, iter(data.fetchall())


def expected_counts(sample: str) -> dict[str, int]:
    """Rows per table, counted in the sample's data (the Chinook file, Sakila's data file)."""
    if sample == "sakila":
        return {name: len(data) for name, (_, data) in _sakila_rows().items()}
    with closing(_read_only(CHINOOK_FILE)) as chinook:
        return {
            table.name: int(chinook.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0])
            for table in CHINOOK
        }


def tables(sample: str) -> list[str]:
    """The sample's tables, in creation order (a table after those it refers to)."""
    return [table.name for table in SCHEMAS[sample]]


def _convert(dialect: str, column: Column, value: Any) -> Any:
    """A data value as the driver wants it: the servers' drivers take Python dates and
    decimals; SQLite keeps the text of the original (how both samples store dates there)."""
    if value is None:
        return None
    kind = column.type.partition("(")[0]
    if kind == "bool":
        return bool(value)
    if dialect == "sqlite":
        return value
    if kind in {"datetime", "timestamp"}:
        return datetime.datetime.fromisoformat(value)
    if kind == "date":
        return datetime.date.fromisoformat(value)
    if kind in {"decimal", "numeric"}:
        return Decimal(str(value))
    return value


# ---------------------------------------------------------------------------- loading

BATCH = 5000


Row = tuple[Any, ...]


def _inserter(
    connection: Any, dialect: str, table: str, columns: tuple[str, ...]
) -> Callable[[list[Row]], None]:
    """A function inserting a batch of rows through the driver: an executemany (aiomysql
    makes it one multi-row INSERT; SQLite needs no round trips), on PostgreSQL a COPY
    (asyncpg's executemany costs the server a statement per row: 3 times slower)."""
    if dialect == "postgresql":
        from sqlalchemy.util import await_only

        driver = connection.connection.driver_connection  # asyncpg's connection
        return lambda batch: await_only(
            driver.copy_records_to_table(table, records=batch, columns=columns)
        )
    mark = "%s" if dialect == "mysql" else "?"
    names = ", ".join(quote(dialect, c) for c in columns)
    insert = (
        f"INSERT INTO {quote(dialect, table)} ({names}) VALUES ({', '.join([mark] * len(columns))})"
    )
    return lambda batch: connection.exec_driver_sql(insert, batch) and None


def _load(connection: Any, dialect: str, sample: str) -> dict[str, int]:
    import sqlalchemy as sa

    q = lambda name: quote(dialect, name)  # noqa: E731
    execute = connection.exec_driver_sql
    for statement in create_statements(dialect, sample):
        execute(statement)
    schema = SCHEMAS[sample]
    later: list[tuple[Table, ForeignKey, list[dict[str, Any]]]] = []  # loaded NULL, set later
    for table in schema:
        columns, data = rows(sample, table)
        insert = _inserter(connection, dialect, table.name, columns)
        kinds = [table.column(name) for name in columns]
        key = columns.index(table.primary_key[0])
        cycle = [(columns.index(fk.column), fk, []) for fk in table.foreign_keys if fk.later]
        batch: list[Row] = []
        for row in data:
            values = [_convert(dialect, c, value) for c, value in zip(kinds, row, strict=True)]
            for at, _, updates in cycle:
                if values[at] is not None:
                    updates.append({"v": values[at], "k": values[key]})
                    values[at] = None
            batch.append(tuple(values))
            if len(batch) == BATCH:
                insert(batch)
                batch = []
        if batch:
            insert(batch)
        later += [(table, fk, updates) for _, fk, updates in cycle if updates]
        for other, fk, updates in [entry for entry in later if entry[1].target == table.name]:
            where = q(other.primary_key[0])
            update = f"UPDATE {q(other.name)} SET {q(fk.column)} = :v WHERE {where} = :k"
            connection.execute(sa.text(update), updates)
        later = [entry for entry in later if entry[1].target != table.name]
    assert not later, f"{sample}: foreign keys to tables not loaded: {later}"
    if dialect == "postgresql":  # the serial columns continue after the loaded keys
        for table in schema:
            for column in (c for c in table.columns if c.auto):
                execute(
                    f"SELECT setval(pg_get_serial_sequence('{q(table.name)}', '{column.name}'), "
                    f"max({q(column.name)})) FROM {q(table.name)}"
                )
    return {
        table.name: int(execute(f"SELECT count(*) FROM {q(table.name)}").scalar_one())
        for table in schema
    }


@contextmanager
def sample_database(name: str, kind: str, folder: Path) -> Iterator[str]:
    """A new database holding sample `name`; its URL. `kind`: sqlite (a file in `folder`),
    postgresql or mysql (a new database on the test server, dropped afterwards; the test is
    skipped when the server is not reachable, or fails under FORGE_REQUIRE_DATABASES=1)."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / f'{name}.db'}"
        create_sample(name, url)
        yield url
        return
    from tests.servers import server

    srv = server(kind)
    database = srv.fresh_name(name)
    charset = " CHARACTER SET utf8mb4" if kind == "mysql" else ""
    _admin(srv.url, f"CREATE DATABASE {quote(kind, database)}{charset}")
    try:
        url = srv.database_url(database)
        create_sample(name, url)
        yield url
    finally:
        _admin(srv.url, f"DROP DATABASE IF EXISTS {quote(kind, database)}")


def _admin(url: str, statement: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    async def main() -> None:
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.exec_driver_sql(statement)
        finally:
            await engine.dispose()

    asyncio.run(main())


def create_sample(name: str, url: str) -> dict[str, int]:
    """Create sample `name` (chinook, sakila) in the empty database at `url` (an async
    SQLAlchemy URL: sqlite+aiosqlite, postgresql+asyncpg, mysql+aiomysql) with all its rows,
    in one transaction; the rows per table, counted in the database."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    if name not in SAMPLES:
        raise ValueError(f"unknown sample {name!r} (known: {', '.join(SAMPLES)})")
    parsed = make_url(url)
    dialect = parsed.get_backend_name()
    if dialect == "mysql" and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})

    async def main() -> dict[str, int]:
        engine = create_async_engine(parsed)
        if dialect == "sqlite":

            @sa.event.listens_for(engine.sync_engine, "connect")
            def enforce(dbapi_connection: Any, _: Any) -> None:
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys = ON")
                cursor.close()

        try:
            async with engine.begin() as connection:
                return await connection.run_sync(_load, dialect, name)
        finally:
            await engine.dispose()

    return asyncio.run(main())


if __name__ == "__main__":  # python -m tests.samples sakila sqlite+aiosqlite:///sakila.db
    import sys

    if len(sys.argv) != 3 or sys.argv[1] not in SAMPLES:
        sys.exit(f"usage: python -m tests.samples {{{','.join(SAMPLES)}}} ASYNC_DATABASE_URL")
    counts = create_sample(sys.argv[1], sys.argv[2])
    print(f"{sum(counts.values()):,} rows in {len(counts)} tables: {counts}")
