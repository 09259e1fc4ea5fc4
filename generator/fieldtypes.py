"""Every field type forge knows, one record each: the one place to add a type.

A record says how the spec writes the type and which options it takes, how a default is
read from the spec and written back as code, the Python annotation, the column type (for
each ORM, with per-database variants), the API types, the factory sample of the generated
tests, the word in the diagram, the prompt's guess, and the limits that concern it.

Source text in a record is a `str.format` template over the field's `Options` (`{o.name}`,
`{o.max_length}`, `{o.enum}` ...; a literal brace is doubled), or a function of them. The
emitters (generator/emit/) and every other module ask this table; none names a type.
"""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from generator import naming
from generator.emit.source import DT, SA, Code, Import, literal
from generator.layout import Bracket, Item, Operation

SMALLINT_MIN, SMALLINT_MAX = -(2**15), 2**15 - 1
TINYINT_MIN, TINYINT_MAX = -(2**7), 2**7 - 1  # `storage: tinyint` (MySQL's TINYINT)
MEDIUMINT_MIN, MEDIUMINT_MAX = -(2**23), 2**23 - 1  # `storage: mediumint`
MAX_SCALED_PRECISION = 18  # ExactDecimal's scaled integers on SQLite (app/core/types.py)
MAX_JSON_DEPTH = 50  # a json default nested deeper is refused (and would not be readable)

TYPES_MODULE = "app.schemas.types"  # the API's value types in a generated project


@dataclass(frozen=True)
class Options:
    """What a type's templates may read about one field."""

    name: str
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    values: tuple[str, ...] = ()
    enum: str = ""  # the Python enum class of an enum field
    enum_type: str = ""  # the database's name of an enum type (a literal)
    module: str = ""  # the entity's module (app.models.<module>)

    @property
    def label(self) -> str:
        return literal(self.name)

    @property
    def whole_digits_bound(self) -> int:
        assert self.precision is not None and self.scale is not None
        return int(10 ** (self.precision - self.scale))


Text = str | Callable[[Options], str]


@dataclass(frozen=True)
class Source:
    """Source text and its imports; module and name of an import may be templates too."""

    text: Text
    imports: tuple[Import, ...] = ()
    # the same text as a generator.layout item, for an expression black may split
    shape: Callable[[Options], Item] | None = None

    def code(self, options: Options) -> Code:
        text = self.text(options) if callable(self.text) else self.text.format(o=options)
        imports = tuple(
            Import(item.module.format(o=options), item.name.format(o=options), item.alias)
            for item in self.imports
        )
        return Code(text, imports, self.shape(options) if self.shape else None)


def shaped(shape: Callable[[Options], Item], *imports: Import) -> Source:
    """A source given by its layout item (its text is the item's one-line text)."""
    return Source(lambda options: str(shape(options)), imports, shape)


@dataclass(frozen=True)
class Default:
    """A default as code: a value, or a callable that makes one (`factory`)."""

    code: Code
    factory: bool = False


class NotA(ValueError):
    """A default of the wrong kind; the message is what was expected ("an integer")."""


class Refused(ValueError):
    """A default refused for the reason given (the whole message)."""


@dataclass(frozen=True)
class Variant:
    """The column type used instead on some databases."""

    databases: tuple[str, ...]
    column: Source


@dataclass(frozen=True)
class Storage:
    """A `storage:` value of a type: the column type written instead of the type's own
    (the databases that lack it get the nearest one, see `databases`), and what the API
    and the generated tests use instead when the stored range is narrower."""

    column: Source
    databases: str  # what each database gets, for the README and the error messages
    api_input: Source | None = None
    sample: Source | None = None
    update_probe: Source | None = None


@dataclass(frozen=True)
class FieldType:
    name: str
    annotation: Source  # the Python type of the attribute (without `| None`)
    column: Source  # the SQLAlchemy column type
    api_input: Source  # what a client may send (app/schemas/types.py)
    sample: Source  # a valid value in the generated factories, unique per counter `n`
    diagram: str  # the Mermaid type word: one token
    read_default: Callable[[Any, Options], Any]  # spec value -> stored default, or raise
    emit_default: Callable[[Any, Options], Default]  # stored default -> code
    # Bytes in a MySQL/MariaDB row (variable-length types count their length prefix; text,
    # json and blob columns are stored off the row and count their pointer).
    row_bytes: Callable[[Options], int]
    options: tuple[str, ...] = ()  # the spec options of this type only
    api_output: Source | None = None  # what a stored value is returned as (default: input)
    # the default as code in the API's create schema, when its type is not the
    # annotation's (default: emit_default)
    api_default: Callable[[Any, Options], Default] | None = None
    variants: tuple[Variant, ...] = ()  # per-database column types
    sqlmodel_infers: bool = False  # SQLModel derives the column from the annotation
    constraints: tuple[str, ...] = ()  # Pydantic arguments of the table model's Field
    api_constraints: tuple[str, ...] = ()  # Pydantic arguments of the schemas' Field
    update_probe: Source | None = None  # a changed value for the generated update test
    diagram_note: Text | None = None
    indexable: bool = True  # may be unique or indexed
    searchable: bool = False  # `?search=` of the list route may look in it
    python_enum: bool = False  # the model module defines an enum class of its values
    guess: tuple[int, str] | None = None  # (rank, regex): a field name that suggests it
    aliases: tuple[str, ...] = ()  # what people type for it in the prompt
    # `storage: <name>`: the column types instead of `column` (see Storage)
    storages: dict[str, Storage] = field(default_factory=dict)
    # `national: true`: the column type instead of `column` (NVARCHAR on SQLite only)
    national_column: Source | None = None
    # `timezone: false`: the column type instead of `column` (a time zone-less timestamp)
    naive_column: Source | None = None
    # `fixed: true`: the column type instead of `column` (CHAR(n) on every database)
    fixed_column: Source | None = None
    # `server_default:` how a value is written as SQL: "quoted" (a string literal the
    # database converts), "number" or "boolean"; None: the type takes no server default
    # (MySQL refuses a literal DEFAULT on TEXT, BLOB and JSON columns)
    server_sql: str | None = "quoted"
    now_sql: str | None = None  # `server_default: now` as SQL (CURRENT_TIMESTAMP...)
    # a server default's SQL on SQLite when the column stores it otherwise there (an
    # ExactDecimal keeps a scaled integer); not used with `storage: numeric`
    sqlite_server_sql: Callable[[str, Options], str] | None = None
    # a server default's literal as the database reads it (raises Refused when it cannot)
    server_literal: Callable[[str], str] | None = None
    # the application's default for a server default without `default:` (None: the same)
    server_to_default: Callable[[Any], Any] | None = None

    def column_code(self, options: Options) -> Code:
        """The column type with its per-database variants."""
        code = self.column.code(options)
        if not self.variants:
            return code
        text, imports = code.text, list(code.imports)
        for variant in self.variants:
            other = variant.column.code(options)
            databases = ", ".join(literal(name) for name in variant.databases)
            text += f".with_variant({other.text}, {databases})"
            imports += other.imports
        return Code(text, tuple(imports))

    def output(self) -> Source:
        return self.api_output or self.api_input

    def storage(self, name: str | None) -> Storage | None:
        """The record of a field's `storage:` value (None: the type's own column)."""
        return self.storages.get(name) if name is not None else None


# ------------------------------------------------------------------- reading defaults


def show(value: Any) -> str:
    """A value as the user wrote it; YAML reads an unquoted 2024-01-31 as a date."""
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.isoformat()} (unquoted, so YAML read it as a date)"
    return repr(value)


def _read_text(value: Any, options: Options) -> Any:
    if not isinstance(value, str):
        raise NotA("a string")
    if options.max_length is not None and len(value) > options.max_length:
        raise Refused(f"longer than max_length {options.max_length}")
    return value


def _integer_reader(bits: int, name: str, wider: str = "bigint") -> Callable[[Any, Options], Any]:
    def read(value: Any, options: Options) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise NotA("an integer")
        if not -(2**bits) <= value < 2**bits:
            raise Refused(f"{value} does not fit a {bits + 1}-bit {name} column (use {wider})")
        return value

    return read


def _read_float(value: Any, options: Options) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise NotA("a number")
    if not math.isfinite(value):
        raise NotA("a finite number")
    return float(value)


def _read_bool(value: Any, options: Options) -> Any:
    if not isinstance(value, bool):
        raise NotA("true or false")
    return value


def _read_decimal(value: Any, options: Options) -> Any:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise NotA('a decimal number such as "0.00"')
    try:
        number = decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        raise NotA('a decimal number such as "0.00"') from None
    if not number.is_finite():
        raise NotA("a finite decimal number")
    precision, scale = options.precision, options.scale
    assert precision is not None and scale is not None
    quantized = number.quantize(decimal.Decimal(1).scaleb(-scale))
    if quantized != number or len(quantized.as_tuple().digits) > precision:
        raise Refused(f"{value!r} does not fit decimal({precision}, {scale})")
    return str(quantized)


def _read_enum(value: Any, options: Options) -> Any:
    if value not in options.values:
        raise Refused(f"{show(value)} is not one of the values ({', '.join(options.values)})")
    return value


def _temporal_reader(kind: str, expected: str) -> Callable[[Any, Options], Any]:
    parse: Callable[[str], dt.date | dt.time] = getattr(dt, kind).fromisoformat

    def read(value: Any, options: Options) -> Any:
        if value == "now":
            return "now"
        if kind == "datetime" and isinstance(value, dt.datetime):
            return value.isoformat()
        if kind == "date" and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return parse(value).isoformat()
            except ValueError:
                pass
        raise NotA(f"{expected} or now")

    return read


def _read_uuid(value: Any, options: Options) -> Any:
    if value == "uuid4":
        return "uuid4"
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise NotA("a UUID or uuid4") from None


def _read_bytes(value: Any, options: Options) -> Any:
    if not isinstance(value, str):
        raise NotA("a string (stored as its UTF-8 bytes)")
    return value


def _read_ip(value: Any, options: Options) -> Any:
    try:
        return str(ipaddress.ip_address(value if isinstance(value, str) else ""))
    except ValueError:
        raise NotA('an IPv4 or IPv6 address such as "192.0.2.1" or "2001:db8::1"') from None


def _read_json(value: Any, options: Options) -> Any:
    _check_json(value)
    return value


def _check_json(value: Any, parents: tuple[int, ...] = ()) -> None:
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Refused(f"{value!r} cannot be stored as JSON (not a finite number)")
        return
    if isinstance(value, (list, dict)):
        if id(value) in parents:
            raise Refused(
                "contains itself (a recursive YAML alias), so it cannot be stored as JSON"
            )
        if len(parents) >= MAX_JSON_DEPTH:
            raise Refused(f"nested more than {MAX_JSON_DEPTH} levels deep")
        inner = (*parents, id(value))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(value, dict) and not isinstance(key, str):
                raise Refused(f"JSON object keys must be strings, got {key!r}")
            _check_json(item, inner)
        return
    raise Refused(f"{show(value)} cannot be stored as JSON")


# ------------------------------------------------------------------- emitting defaults

_CORE_TYPES = "app.core.types"  # the runtime's column types and helpers
UTCNOW = Code("utcnow", (Import(_CORE_TYPES, "utcnow"),))
_DECIMAL = Import("decimal", "Decimal")
_UUID = Import("uuid", "UUID")
_UUID4 = Import("uuid", "uuid4")
_ANY = Import("typing", "Any")


def _plain(value: Any, options: Options) -> Default:
    return Default(Code(literal(value)))


def _decimal_default(value: Any, options: Options) -> Default:
    return Default(Code(f"Decimal({literal(value)})", (_DECIMAL,)))


def _enum_default(value: Any, options: Options) -> Default:
    return Default(Code(f"{options.enum}.{naming.enum_member(value)}"))


def _temporal_default(kind: str, now: Code) -> Callable[[Any, Options], Default]:
    def emit(value: Any, options: Options) -> Default:
        if value == "now":
            return Default(now, factory=True)
        if kind == "datetime" and dt.datetime.fromisoformat(value).tzinfo is None:
            value = _utc_default(value)  # the API takes no naive datetime: this is UTC
        return Default(Code(f"dt.{kind}.fromisoformat({literal(value)})", (DT,)))

    return emit


def _uuid_default(value: Any, options: Options) -> Default:
    if value == "uuid4":
        return Default(Code("uuid4", (_UUID4,)), factory=True)
    return Default(Code(f"UUID({literal(value)})", (_UUID,)))


def _bytes_default(value: Any, options: Options) -> Default:
    return Default(Code(literal(value.encode("utf-8"))))


def _ip_default(value: Any, options: Options) -> Default:
    """An address as the API's IPvAnyAddress holds it (the model keeps its text)."""
    return Default(Code(f"ip_address({literal(value)})", (Import("ipaddress", "ip_address"),)))


def _json_default(value: Any, options: Options) -> Default:
    if isinstance(value, (list, dict)):  # a fresh copy for every row
        return Default(Code(f"lambda: {literal(value)}"), factory=True)
    return Default(Code(literal(value)))


def _scaled_sql(value: str, options: Options) -> str:
    """A decimal server default as ExactDecimal stores it on SQLite: a scaled integer, or
    text beyond MAX_SCALED_PRECISION digits (app/core/types.py)."""
    assert options.precision is not None and options.scale is not None
    number = decimal.Decimal(value)
    if options.precision <= MAX_SCALED_PRECISION:
        return str(int(number.scaleb(options.scale)))
    return "'" + str(number) + "'"


def _uuid_hex_sql(value: str, options: Options) -> str:
    """A UUID as sa.Uuid stores it on SQLite: 32 hex digits, no dashes."""
    return "'" + uuid.UUID(value).hex + "'"


def _server_datetime(value: str) -> str:
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        raise Refused(
            "a datetime server default is written without an offset (the database reads "
            "it in its session's time zone)"
        )
    return parsed.isoformat(sep=" ")


def _utc_default(value: Any) -> Any:
    """A datetime server default (no offset) as the application's default: in UTC, the
    time zone the API speaks (and the one the database session should be in)."""
    if value == "now":
        return value
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC).isoformat()


_SERVER_DEFAULT = Import(_CORE_TYPES, "ServerDefault")


def server_default_code(
    record: FieldType, value: Any, options: Options, onupdate: bool, numeric_storage: bool
) -> Code:
    """`server_default=` of a column: the value as SQL, the same on every database where
    it can be (sa.text, or a string SQLAlchemy quotes), else app.core.types.ServerDefault
    with the SQL per database. `onupdate` (with `now` on a timestamp) adds MySQL's
    ON UPDATE CURRENT_TIMESTAMP: the database keeps the column current on updates made
    outside the application too (the other databases have no such clause)."""
    if value == "now" and record.now_sql is not None:
        now = record.now_sql
        if onupdate and now == "CURRENT_TIMESTAMP":
            on_update = f"{now} ON UPDATE {now}"
            return _by_database(literal(now), f"mysql={literal(on_update)}")
        return Code(f"sa.text({literal(now)})", (SA,))
    if record.server_sql == "boolean":
        return Code(f"sa.text({literal('TRUE' if value else 'FALSE')})", (SA,))
    text = str(value) if record.server_literal is None else record.server_literal(str(value))
    if record.sqlite_server_sql is not None and not numeric_storage:
        sql = text if record.server_sql == "number" else "'" + text.replace("'", "''") + "'"
        sqlite = record.sqlite_server_sql(text, options)
        return _by_database(literal(sql), f"sqlite={literal(sqlite)}")
    if record.server_sql == "number":
        return Code(f"sa.text({literal(text)})", (SA,))
    return Code(literal(text))


def _by_database(*arguments: str) -> Code:
    shape = Bracket("ServerDefault", arguments)
    return Code(str(shape), (_SERVER_DEFAULT,), shape)


def _fixed(size: int) -> Callable[[Options], int]:
    return lambda options: size


def _types(name: str) -> Import:
    return Import(TYPES_MODULE, name)


def _api(name: str) -> Source:
    return Source(name, (_types(name),))


_MYSQL = Import("sqlalchemy.dialects", "mysql")


def _mysql_variant(base: str, mysql_type: str) -> Source:
    """`base` everywhere, `mysql_type` (a sqlalchemy.dialects.mysql type) on MySQL/MariaDB."""
    return Source(f'{base}.with_variant(mysql.{mysql_type}(), "mysql", "mariadb")', (SA, _MYSQL))


def _bounded_int(low: int, high: int) -> Source:
    """Int32 narrowed to a column's range (the bounds after Int32's own, so that they win)."""
    return Source(
        f"Annotated[Int32, Field(ge={low}, le={high})]",
        (Import("typing", "Annotated"), Import("pydantic", "Field"), _types("Int32")),
    )


def _text_storage(mysql_type: str, api: str | None) -> Storage:
    return Storage(
        column=_mysql_variant("sa.Text()", mysql_type),
        databases=f"{mysql_type} on MySQL/MariaDB, TEXT on SQLite and PostgreSQL",
        api_input=_api(api) if api is not None else None,
    )


_VARIABLE = 12  # a TEXT/BLOB/JSON column's bytes in a MySQL row (the rest is stored apart)
_DT_TYPE = Source("sa.DateTime(timezone=True)", (SA,))

# ----------------------------------------------------------------------------- the table

TYPES: tuple[FieldType, ...] = (
    FieldType(
        name="str",
        options=("max_length", "national", "fixed"),
        annotation=Source("str"),
        column=Source("sa.String({o.max_length})", (SA,)),
        fixed_column=Source("sa.CHAR({o.max_length})", (SA,)),
        national_column=Source(
            'sa.String({o.max_length}).with_variant(sa.NVARCHAR({o.max_length}), "sqlite")',
            (SA,),
        ),
        sqlmodel_infers=True,
        constraints=("max_length={o.max_length}",),
        api_constraints=("max_length={o.max_length}",),
        api_input=_api("Str"),
        read_default=_read_text,
        emit_default=_plain,
        sample=shaped(
            lambda o: Bracket("text", (o.label, "n", str(o.max_length))),
            Import("tests.factories._support", "text"),
        ),
        update_probe=Source(lambda o: literal("changed"[: o.max_length])),
        diagram="varchar",
        diagram_note="max {o.max_length}",
        row_bytes=lambda o: 4 * (o.max_length or 0) + 2,
        searchable=True,
        guess=(5, r"^(email|name|title)$|_(name|title|email)$"),
        aliases=("string", "varchar", "char", "str_"),
    ),
    FieldType(
        name="text",
        options=("storage",),
        storages={
            "tinytext": _text_storage("TINYTEXT", "TinyText"),
            "text": _text_storage("TEXT", "Text64K"),
            "mediumtext": _text_storage("MEDIUMTEXT", None),
            "longtext": _text_storage("LONGTEXT", None),
        },
        annotation=Source("str"),
        column=Source("sa.Text()", (SA,)),
        variants=(
            Variant(
                ("mysql", "mariadb"),
                Source("mysql.MEDIUMTEXT()", (Import("sqlalchemy.dialects", "mysql"),)),
            ),
        ),
        api_input=_api("Text"),
        api_output=_api("Str"),
        read_default=_read_text,
        emit_default=_plain,
        sample=Source('f"{o.name} {{n}}"'),
        update_probe=Source(literal("changed")),
        diagram="text",
        row_bytes=_fixed(_VARIABLE),
        indexable=False,
        searchable=True,
        server_sql=None,
    ),
    FieldType(
        name="int",
        options=("storage",),
        storages={
            "mediumint": Storage(
                column=_mysql_variant("sa.Integer()", "MEDIUMINT"),
                databases="MEDIUMINT on MySQL/MariaDB, INTEGER on SQLite and PostgreSQL",
                api_input=_bounded_int(MEDIUMINT_MIN, MEDIUMINT_MAX),
            ),
        },
        annotation=Source("int"),
        column=Source("sa.Integer", (SA,)),
        sqlmodel_infers=True,
        api_input=_api("Int32"),
        api_output=_api("StoredInt32"),
        read_default=_integer_reader(31, "int"),
        emit_default=_plain,
        sample=Source("n"),
        update_probe=Source("424242"),
        diagram="int",
        row_bytes=_fixed(4),
        guess=(4, r"(_id|_count)$"),
        aliases=("integer",),
        server_sql="number",
    ),
    FieldType(
        name="smallint",
        options=("storage",),
        storages={
            "tinyint": Storage(
                column=_mysql_variant("sa.SmallInteger()", "TINYINT"),
                databases="TINYINT on MySQL/MariaDB, SMALLINT on SQLite and PostgreSQL",
                api_input=_bounded_int(TINYINT_MIN, TINYINT_MAX),
                sample=Source(f"n % {TINYINT_MAX}"),
                update_probe=Source("42"),
            ),
        },
        annotation=Source("int"),
        column=Source("sa.SmallInteger", (SA,)),
        # Int32's own bounds come first in the Annotated metadata: these narrower ones
        # must come after them to win (a Field(ge=...) default would not)
        api_input=Source(
            f"Annotated[Int32, Field(ge={SMALLINT_MIN}, le={SMALLINT_MAX})]",
            (Import("typing", "Annotated"), Import("pydantic", "Field"), _types("Int32")),
        ),
        api_output=Source("int"),  # a row written by other code is within SMALLINT anyway
        read_default=_integer_reader(15, "smallint", "int"),
        emit_default=_plain,
        sample=Source(f"n % {SMALLINT_MAX}"),
        update_probe=Source("4242"),
        diagram="smallint",
        row_bytes=_fixed(2),
        aliases=("short", "int2"),
        server_sql="number",
    ),
    FieldType(
        name="bigint",
        annotation=Source("int"),
        column=Source("sa.BigInteger", (SA,)),
        api_input=_api("Int64"),
        api_output=Source("int"),  # a row written by other code may hold any 64-bit value
        read_default=_integer_reader(63, "bigint"),
        emit_default=_plain,
        sample=Source("n"),
        update_probe=Source("424242"),
        diagram="bigint",
        row_bytes=_fixed(8),
        aliases=("long",),
        server_sql="number",
    ),
    FieldType(
        name="float",
        annotation=Source("float"),
        column=Source("sa.Double", (SA,)),
        api_input=_api("Float"),
        api_output=_api("StoredFloat"),
        read_default=_read_float,
        emit_default=_plain,
        sample=Source("n + 0.5"),
        diagram="float",
        row_bytes=_fixed(8),
        aliases=("double", "real"),
        server_sql="number",
    ),
    FieldType(
        name="decimal",
        options=("precision", "scale", "storage"),
        annotation=Source("Decimal", (_DECIMAL,)),
        column=Source(
            "ExactDecimal({o.precision}, {o.scale})", (Import(_CORE_TYPES, "ExactDecimal"),)
        ),
        storages={
            "numeric": Storage(
                column=Source("sa.Numeric({o.precision}, {o.scale})", (SA,)),
                databases="NUMERIC(p, s) on every database (MySQL/MariaDB say DECIMAL)",
            ),
            "decimal": Storage(
                column=Source("sa.DECIMAL({o.precision}, {o.scale})", (SA,)),
                databases="DECIMAL(p, s) on every database (PostgreSQL says NUMERIC)",
            ),
        },
        constraints=("max_digits={o.precision}", "decimal_places={o.scale}"),
        api_input=Source(
            "Annotated[Decimal, Exact({o.precision}, {o.scale})]",
            (Import("typing", "Annotated"), _DECIMAL, _types("Exact")),
        ),
        read_default=_read_decimal,
        emit_default=_decimal_default,
        sample=Source("Decimal(n % {o.whole_digits_bound})", (_DECIMAL,)),
        diagram="decimal",
        diagram_note="precision {o.precision}, scale {o.scale}",
        row_bytes=lambda o: (o.precision or 0) // 2 + 1,
        aliases=("numeric",),
        server_sql="number",
        sqlite_server_sql=_scaled_sql,
    ),
    FieldType(
        name="bool",
        annotation=Source("bool"),
        column=Source("sa.Boolean", (SA,)),
        sqlmodel_infers=True,
        api_input=_api("Bool"),
        api_output=Source("bool"),  # as stored: JSON's true/false need not be checked
        read_default=_read_bool,
        emit_default=_plain,
        sample=Source("n % 2 == 0"),
        diagram="boolean",
        row_bytes=_fixed(1),
        guess=(3, r"^(is|has)_"),
        aliases=("boolean",),
        server_sql="boolean",
    ),
    FieldType(
        name="date",
        options=("onupdate",),
        annotation=Source("dt.date", (DT,)),
        column=Source("sa.Date", (SA,)),
        sqlmodel_infers=True,
        api_input=_api("Date"),
        read_default=_temporal_reader("date", "an ISO date (2024-01-31)"),
        emit_default=_temporal_default("date", Code("dt.date.today", (DT,))),
        sample=shaped(lambda o: Operation("dt.date(2024, 1, 1)", ("+ dt.timedelta(days=n)",)), DT),
        diagram="date",
        row_bytes=_fixed(3),
        guess=(2, r"(_on|_date)$"),
        now_sql="CURRENT_DATE",
    ),
    FieldType(
        name="datetime",
        options=("onupdate", "timezone", "storage"),
        storages={
            "timestamp": Storage(
                column=Source("sa.TIMESTAMP(timezone=True)", (SA,)),
                databases=(
                    "TIMESTAMP on SQLite and MySQL/MariaDB, TIMESTAMP WITH TIME ZONE on "
                    "PostgreSQL"
                ),
                api_input=_api("UTCTimestamp"),
            ),
        },
        annotation=Source("dt.datetime", (DT,)),
        column=_DT_TYPE,
        naive_column=Source("NaiveUTCDateTime()", (Import(_CORE_TYPES, "NaiveUTCDateTime"),)),
        api_input=_api("UTCDateTime"),
        api_output=_api("StoredDateTime"),
        read_default=_temporal_reader("datetime", "an ISO datetime (2024-01-31T12:00:00)"),
        emit_default=_temporal_default("datetime", UTCNOW),
        sample=shaped(
            lambda o: Operation(
                "dt.datetime(2024, 1, 1, tzinfo=dt.UTC)", ("+ dt.timedelta(minutes=n)",)
            ),
            DT,
        ),
        diagram="datetime",
        row_bytes=_fixed(8),
        guess=(1, r"_at$"),
        aliases=("timestamp",),
        now_sql="CURRENT_TIMESTAMP",
        server_literal=_server_datetime,
        server_to_default=_utc_default,
    ),
    FieldType(
        name="time",
        options=("onupdate",),
        annotation=Source("dt.time", (DT,)),
        column=Source("sa.Time", (SA,)),
        sqlmodel_infers=True,
        api_input=_api("UTCTime"),
        api_output=_api("StoredTime"),
        read_default=_temporal_reader("time", "an ISO time (12:30:00)"),
        emit_default=_temporal_default(
            "time", Code("utcnow_time", (Import(_CORE_TYPES, "utcnow_time"),))
        ),
        sample=Source("dt.time(n % 24, n % 60)", (DT,)),
        diagram="time",
        row_bytes=_fixed(6),
        now_sql="CURRENT_TIME",
    ),
    FieldType(
        name="uuid",
        annotation=Source("UUID", (_UUID,)),
        column=Source("sa.Uuid", (SA,)),
        sqlmodel_infers=True,
        api_input=_api("Uuid"),
        read_default=_read_uuid,
        emit_default=_uuid_default,
        sample=Source("uuid4()", (_UUID4,)),
        diagram="uuid",
        row_bytes=_fixed(32 * 4 + 1),
        sqlite_server_sql=_uuid_hex_sql,
    ),
    FieldType(
        name="ipaddress",
        annotation=Source("str"),  # stored as text, in its compressed form (str(address))
        column=Source("sa.String(45)", (SA,)),  # the longest: an IPv4-mapped IPv6 address
        api_input=Source(
            "Annotated[IPvAnyAddress, PlainSerializer(str, return_type=str)]",
            (
                Import("typing", "Annotated"),
                Import("pydantic", "IPvAnyAddress"),
                Import("pydantic", "PlainSerializer"),
            ),
        ),
        api_output=_api("Str"),
        read_default=_read_ip,
        emit_default=_plain,
        api_default=_ip_default,
        sample=Source('f"10.{{n // 65536 % 256}}.{{n // 256 % 256}}.{{n % 256}}"'),
        diagram="ipaddress",
        row_bytes=_fixed(4 * 45 + 2),
        guess=(6, r"(^|_)ip(_address)?$"),
        aliases=("ip", "inet", "ip_address"),
    ),
    FieldType(
        name="json",
        annotation=Source("dict[str, Any] | list[Any]", (_ANY,)),
        column=Source("sa.JSON(none_as_null=True)", (SA,)),
        api_input=_api("Json"),
        api_output=Source("dict[str, Any] | list[Any]", (_ANY,)),
        read_default=_read_json,
        emit_default=_json_default,
        sample=Source('{{"n": n}}'),
        diagram="json",
        row_bytes=_fixed(_VARIABLE),
        indexable=False,
        aliases=("dict", "list"),
        server_sql=None,
    ),
    FieldType(
        name="bytes",
        annotation=Source("bytes"),
        column=Source("sa.LargeBinary", (SA,)),
        sqlmodel_infers=True,
        api_input=_api("Base64"),
        read_default=_read_bytes,
        emit_default=_bytes_default,
        sample=Source('f"bytes-{{n}}".encode()'),
        diagram="blob",
        row_bytes=_fixed(_VARIABLE),
        indexable=False,
        aliases=("bytea", "blob", "binary"),
        server_sql=None,
    ),
    FieldType(
        name="enum",
        options=("values", "enum_type"),
        annotation=Source("{o.enum}"),
        column=shaped(
            lambda o: Bracket(
                "sa.Enum",
                (
                    o.enum,
                    f"name={o.enum_type}",
                    "values_callable=lambda members: [member.value for member in members]",
                ),
            ),
            SA,
        ),
        python_enum=True,
        api_input=Source("{o.enum}", (Import("app.models.{o.module}", "{o.enum}"),)),
        read_default=_read_enum,
        emit_default=_enum_default,
        sample=Source(
            lambda o: f"list({o.enum})[n % {len(o.values)}]",
            (Import("app.models.{o.module}", "{o.enum}"),),
        ),
        diagram="enum",
        diagram_note=lambda o: "one of " + " | ".join(o.values),
        row_bytes=_fixed(2),
    ),
)

BY_NAME: dict[str, FieldType] = {record.name: record for record in TYPES}
NAMES: tuple[str, ...] = tuple(BY_NAME)
DATETIME = BY_NAME["datetime"]  # the bookkeeping columns (created_at, ...) are datetimes


# the narrower ranges of some storages, which a default must fit too
_STORAGE_INTEGERS = {
    "tinyint": (TINYINT_MIN, TINYINT_MAX),
    "mediumint": (MEDIUMINT_MIN, MEDIUMINT_MAX),
}
_STORAGE_BYTES = {"tinytext": 255, "text": 65_535}
TIMESTAMP_MIN = dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC)
TIMESTAMP_MAX = dt.datetime(2038, 1, 19, 3, 14, 7, tzinfo=dt.UTC)


def storage_refuses(storage: str, default: Any) -> str | None:
    """Why a field's (already read) default does not fit its `storage:`, or None."""
    if storage in _STORAGE_INTEGERS and isinstance(default, int):
        low, high = _STORAGE_INTEGERS[storage]
        if not low <= default <= high:
            return f"{default} does not fit a {storage.upper()} column ({low}..{high})"
    if storage in _STORAGE_BYTES and isinstance(default, str):
        limit = _STORAGE_BYTES[storage]
        if len(default.encode("utf-8")) > limit:
            return f"longer than a {storage.upper()} column holds ({limit} bytes in UTF-8)"
    if storage == "timestamp" and isinstance(default, str) and default != "now":
        moment = dt.datetime.fromisoformat(default)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        if not TIMESTAMP_MIN <= moment <= TIMESTAMP_MAX:
            return (
                f"{default} is outside a TIMESTAMP column's range "
                f"({TIMESTAMP_MIN.isoformat()} to {TIMESTAMP_MAX.isoformat()})"
            )
    return None


def get(name: str) -> FieldType:
    return BY_NAME[name]


@cache
def taking(option: str) -> tuple[str, ...]:
    """The types that accept a type-specific option (`max_length` -> ("str",))."""
    return tuple(record.name for record in TYPES if option in record.options)


def render(text: Text, options: Options) -> str:
    return text(options) if callable(text) else text.format(o=options)
