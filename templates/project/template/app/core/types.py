"""Column types that behave the same on every database, and the clock the models use.

`ExactDecimal(precision, scale)` is NUMERIC(precision, scale) on PostgreSQL and MySQL.
SQLite has no exact decimal type (it would store a float: 9999999999999999.99 reads back
as 10000000000000000.00), so there the value is stored as a scaled integer (cents for a
scale of 2): exact, and compared and ordered as numbers. That holds up to 18 digits (a
64-bit integer); a decimal with a larger precision is stored on SQLite as text: exact,
compared for equality, but ordered as text.

`NaiveUTCDateTime()` is a timestamp without time zone (`timezone: false` in forge.yaml,
TIMESTAMP WITHOUT TIME ZONE on PostgreSQL): it stores the UTC time without offset and reads
it back as an aware UTC datetime, so the API speaks offset datetimes either way.

`ServerDefault(sql, mysql=..., sqlite=...)` is a column's DEFAULT clause (forge.yaml's
`server_default:`) where its SQL differs per database: MySQL's `ON UPDATE
CURRENT_TIMESTAMP`, or a decimal that ExactDecimal stores scaled on SQLite.
"""

import datetime as dt
from decimal import Context, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeDecorator, TypeEngine

MAX_SCALED_PRECISION = 18


def utcnow() -> dt.datetime:
    """The current time in UTC: the default of `created_at`, `updated_at` and of datetime
    fields with `default: now`."""
    return dt.datetime.now(dt.UTC)


def utcnow_time() -> dt.time:
    """The current time of day in UTC: the default of time fields with `default: now`."""
    return utcnow().time()


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC(precision, scale); a scaled integer on SQLite (see the module docstring)."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision, scale)
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name != "sqlite":
            return dialect.type_descriptor(sa.Numeric(self.precision, self.scale))
        if self.precision <= MAX_SCALED_PRECISION:
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.String())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        number = self._exact(Decimal(value))
        if self.precision <= MAX_SCALED_PRECISION:
            return int(number.scaleb(self.scale))
        return str(number)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite" and self.precision <= MAX_SCALED_PRECISION:
            return Decimal(int(value)).scaleb(-self.scale)
        return self._exact(Decimal(value))

    def _exact(self, number: Decimal) -> Decimal:
        """`number` at the column's scale (with enough digits: Python's default context
        holds 28, a NUMERIC(65, 30) needs more)."""
        digits = Context(prec=max(28, self.precision))
        return number.quantize(Decimal(1).scaleb(-self.scale), context=digits)

    def __repr__(self) -> str:
        return f"ExactDecimal({self.precision}, {self.scale})"


class NaiveUTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp without time zone holding UTC (see the module docstring)."""

    impl = sa.DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=False)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return "NaiveUTCDateTime()"


class ServerDefault(sa.ColumnElement[Any]):
    """A server default written as `sql`, or as the SQL given for the database in use
    (`mysql=` also serves MariaDB)."""

    inherit_cache = False  # used in DDL only

    def __init__(self, sql: str, **by_database: str) -> None:
        self.sql = sql
        self.by_database = by_database

    def for_dialect(self, name: str) -> str:
        return self.by_database.get("mysql" if name == "mariadb" else name, self.sql)


@compiles(ServerDefault)
def _server_default_sql(element: ServerDefault, compiler: SQLCompiler, **_: Any) -> str:
    return element.for_dialect(compiler.dialect.name)
