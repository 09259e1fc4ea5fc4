"""`forge import`: a live database's schema -> forge.yaml.

The schema is read with SQLAlchemy's inspector (SQLite, PostgreSQL, MySQL/MariaDB) and
turned into the spec the current forge can express. What it cannot express is never
dropped silently: each such item becomes a `Note` (`table.column: what; what forge did
instead`), printed at the end of the command's output and written as comments into the
file. The written spec is validated by forge's own reader before anything is written.

| in the database                          | in forge.yaml                                     |
|------------------------------------------|---------------------------------------------------|
| a table                                  | an entity `<Singular>`, `table:` in any case      |
| a single-column key (int, smallint,      | `primary_key: {column, type}`; the attribute is   |
|   bigint, uuid, str)                     |   always `id`                                     |
| another key (composite, other types)     | `id` added; the columns kept as fields (note)     |
| a column named otherwise than snake_case | `column: AlbumId` (names that are not SQL: note)  |
| SMALLINT                                 | smallint                                          |
| TINYINT / MEDIUMINT (MySQL, signed)      | smallint / int with `storage: tinyint / mediumint`|
|                                          |   (on a key: `primary_key: {storage: ...}`)       |
| YEAR, UNSIGNED                           | the smallest spec integer that holds the values   |
|                                          |   (note)                                          |
| NUMERIC(p, s) / DECIMAL(p, s) in SQLite  | decimal with `storage: numeric` / `decimal`       |
| TINYTEXT, TEXT, LONGTEXT (MySQL)         | text with `storage:` tinytext / text / longtext   |
| TIMESTAMP (SQLite, MySQL)                | datetime with `storage: timestamp`                |
| NVARCHAR(n) in a SQLite file             | str with `national: true`                         |
| CHAR(n)                                  | str with `fixed: true`                            |
| TIMESTAMP WITHOUT TIME ZONE (PostgreSQL) | datetime with `timezone: false`                   |
| a PostgreSQL enum type of another name   | enum with `enum_type: name`                       |
| a plain server default (3, 'G', TRUE,    | `server_default:` (`now` for CURRENT_TIMESTAMP,   |
|   CURRENT_TIMESTAMP...)                  |   CURRENT_DATE, CURRENT_TIME)                     |
| MySQL DEFAULT CURRENT_TIMESTAMP ON       | `server_default: now` + `onupdate: now` (without  |
|   UPDATE CURRENT_TIMESTAMP               |   the DEFAULT: `onupdate: now` and a note)        |
| a one_to_one's unique constraint of a    | `unique: {name: [relation]}`                      |
|   name not the database's default        |                                                   |
| a single-column foreign key to an entity | many_to_one (one_to_one if unique), `column:`     |
| unique constraints and indexes (foreign  | `unique: true` / `index: true` under forge's      |
|   keys' too)                             |   names, else `unique:` / `indexes:` by name      |
| named CHECK constraints                  | `checks: {name: SQL}` (unnamed ones: note)        |
| two foreign keys that are the key, other | many_to_many with `link_table`, `link_columns`,   |
|   columns nullable or with a default     |   `link_on_delete`, `link_fields`                 |
| created_at + updated_at / deleted_at     | `timestamps: true` / `soft_delete: true`          |
| foreign key ON UPDATE CASCADE/SET NULL/  | `on_update` / `link_on_update`                    |
|   RESTRICT                               |                                                   |
| a foreign key without an index           | `index: false` on its relation                    |
| a link table's named indexes             | `link_indexes: {name: [column]}`                  |
| NVARCHAR (not SQLite), other types,      | notes                                             |
|   server defaults that are not literals, |                                                   |
|   key names, ..                          |                                                   |

`table_map` is the same naming applied to rows: `forge db load` uses it to copy the rows
of an imported database into the tables the imported spec generates.
"""

from __future__ import annotations

import datetime as dt
import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import naming
from generator.db import DatabaseError, Target, _engine, run
from generator.errors import ForgeError, SpecError

IGNORED_TABLES = frozenset({"alembic_version"})
_INTEGER_KINDS = ("int", "smallint", "bigint")
_NOW_WORDS = ("current_timestamp", "now()", "current_timestamp()", "localtimestamp")
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_ASYNC_DRIVERS |= {"mysql": "mysql+aiomysql", "mariadb": "mysql+aiomysql"}
_ON_DELETE = {"CASCADE": "cascade", "SET NULL": "set_null", "RESTRICT": "restrict"}
_LINK_ON_DELETE = {"CASCADE": "cascade", "RESTRICT": "restrict", "NO ACTION": "no_action"}


class ImportRefused(ForgeError):
    """The import would write a spec that does not load, or clash with the project."""

    exit_code = 1


@dataclass(frozen=True)
class Note:
    """Something the spec cannot express: where (table or table.column), what, and what
    forge did instead."""

    place: str
    what: str
    instead: str

    def __str__(self) -> str:
        return f"{self.place}: {self.what}; {self.instead}"


# ------------------------------------------------------------------------- reading


@dataclass
class Table:
    name: str
    columns: list[dict[str, Any]]
    primary_key: list[str]
    foreign_keys: list[dict[str, Any]]
    indexes: list[dict[str, Any]]
    uniques: list[dict[str, Any]]
    checks: list[dict[str, Any]]
    primary_key_name: str | None = None

    def column(self, name: str) -> dict[str, Any]:
        return next(c for c in self.columns if c["name"] == name)

    def unique_sets(self) -> list[tuple[str, ...]]:
        found = [tuple(u["column_names"]) for u in self.uniques]
        found += [tuple(i["column_names"]) for i in self.indexes if i.get("unique")]
        return found


@dataclass
class Schema:
    kind: str
    tables: dict[str, Table]
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)  # PostgreSQL types


def source_target(url_text: str) -> Target:
    """The database at `url_text`, through the async driver forge already has; a SQLite
    file is opened read-only (and must exist)."""
    from sqlalchemy.engine import make_url

    try:
        url = make_url(url_text)
    except Exception:
        raise ForgeError(
            f"{url_text!r} is not a database URL (e.g. sqlite:///file.db, "
            "postgresql://user@host/db, mysql://user@host/db)"
        ) from None
    backend = url.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ForgeError(
            f"{url_text!r}: unsupported database {backend!r} (allowed: sqlite, postgresql, "
            "mysql, mariadb)"
        )
    url = url.set(drivername=_ASYNC_DRIVERS[backend])
    if backend == "sqlite":
        path = Path(url.database or "")
        if not url.database or not path.is_file():
            raise ForgeError(f"no SQLite database file {str(path)!r}")
        url = url.set(database=f"file:{path.resolve()}", query={"mode": "ro", "uri": "true"})
    return Target(url)


def absolute(url_text: str) -> str:
    """The URL with a relative SQLite path made absolute (from the current folder), for
    commands that run inside the project folder."""
    from sqlalchemy.engine import make_url

    try:
        url = make_url(url_text)
    except Exception:
        return url_text  # source_target() words the error
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return url_text
    path = Path(url.database)
    if path.is_absolute():
        return url_text
    return url.set(database=str(path.resolve())).render_as_string(hide_password=False)


def reflect(db: Target) -> Schema:
    """Every table of the database (alembic_version left out), as the inspector sees it."""

    def read(sync: Any) -> Schema:
        from sqlalchemy import inspect

        inspector = inspect(sync)
        tables: dict[str, Table] = {}
        for name in inspector.get_table_names():
            if name in IGNORED_TABLES:
                continue
            try:
                checks = inspector.get_check_constraints(name)
            except NotImplementedError:
                checks = []
            foreign_keys = list(inspector.get_foreign_keys(name))
            if sync.dialect.name == "sqlite":
                _sqlite_rules(sync, name, foreign_keys)
            key = inspector.get_pk_constraint(name)
            tables[name] = Table(
                name=name,
                columns=list(inspector.get_columns(name)),
                primary_key=list(key.get("constrained_columns") or []),
                primary_key_name=key.get("name"),
                foreign_keys=foreign_keys,
                indexes=[
                    i for i in inspector.get_indexes(name) if not i.get("duplicates_constraint")
                ],
                uniques=list(inspector.get_unique_constraints(name)),
                checks=list(checks),
            )
        enums: dict[str, tuple[str, ...]] = {}
        if sync.dialect.name == "postgresql":
            enums = {e["name"]: tuple(e["labels"]) for e in inspector.get_enums()}
        return Schema(sync.dialect.name, tables, enums)

    async def work() -> Schema:
        engine = _engine(db.url)
        try:
            async with engine.connect() as connection:
                schema: Schema = await connection.run_sync(read)
                return schema
        finally:
            await engine.dispose()

    return run(db, work)


def _sqlite_rules(sync: Any, table: str, foreign_keys: list[dict[str, Any]]) -> None:
    """SQLAlchemy reads SQLite's ON DELETE / ON UPDATE only from table-level FOREIGN KEY
    clauses; `PRAGMA foreign_key_list` knows those of inline REFERENCES too."""
    quoted = sync.dialect.identifier_preparer.quote(table)
    rows = sync.exec_driver_sql(f"PRAGMA foreign_key_list({quoted})").all()
    rules: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows:
        found = {
            key: rule
            for key, rule in (("onupdate", row[5]), ("ondelete", row[6]))
            if rule and rule.upper() != "NO ACTION"
        }
        rules[(row[3], row[2])] = found
    for fk in foreign_keys:
        if len(fk["constrained_columns"]) == 1:
            found = rules.get((fk["constrained_columns"][0], fk["referred_table"]), {})
            fk["options"] = {**found, **(fk.get("options") or {})}


# ------------------------------------------------------------------------- naming


def attribute_name(column: str) -> str:
    """A snake_case attribute for a column: `AlbumId` -> `album_id`, `from` -> `from_`."""
    name = re.sub(r"[^0-9a-z_]+", "_", naming.snake_case(column).lower()).strip("_")
    name = re.sub(r"_+", "_", name) or "column"
    if not name[0].isalpha():
        name = f"c_{name}"
    from generator.spec import RESERVED_ATTRIBUTES

    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in RESERVED_ATTRIBUTES:
        name = f"{name}_"
    return name


def table_name(table: str) -> str:
    """A table name the spec accepts (lowercase letters, digits and _)."""
    if naming.SQL_NAME.match(table):
        return table
    return attribute_name(table).rstrip("_")


def class_name(table: str) -> str:
    """`invoice_lines` -> `InvoiceLine`, `MediaType` -> `MediaType`."""
    return naming.pascal_case(naming.singular(attribute_name(table).rstrip("_")))


def _relation_name(column: str) -> str:
    """`artist_id` / `ArtistId` -> `artist`, `ReportsTo` -> `reports_to`."""
    name = attribute_name(column).rstrip("_")
    return name[: -len("_id")] if name.endswith("_id") and len(name) > 3 else name


# ------------------------------------------------------------------------- types


def field_type(
    schema: Schema, table: Table, column: dict[str, Any], notes: list[Note]
) -> dict[str, Any] | None:
    """The spec type (with its options) of a column, or None (with a note) when forge has
    no type for it."""
    from sqlalchemy import types
    from sqlalchemy.dialects import mysql

    place = f"{table.name}.{column['name']}"
    kind = column["type"]
    shown = _shown(kind, schema.kind)

    def note(what: str, instead: str) -> None:
        notes.append(Note(place, what, instead))

    if isinstance(kind, types.Enum):
        values = list(kind.enums)
        expected = f"{table_name(table.name)}_{attribute_name(column['name'])}"
        if schema.kind == "postgresql" and kind.name and kind.name != expected:
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", kind.name) and len(kind.name) <= 63:
                return {"type": "enum", "values": values, "enum_type": str(kind.name)}
            note(f"enum type {kind.name}", f"forge names its type {expected}")
        return {"type": "enum", "values": values}
    if isinstance(kind, mysql.TINYINT) and getattr(kind, "display_width", None) == 1:
        return {"type": "bool"}
    if isinstance(kind, types.Boolean):
        return {"type": "bool"}
    if isinstance(kind, types.Float) or shown in ("REAL", "DOUBLE", "DOUBLE PRECISION"):
        if shown in ("REAL", "FLOAT") and schema.kind != "sqlite":
            note(f"{shown} (single precision)", "imported as float: DOUBLE PRECISION")
        return {"type": "float"}
    if isinstance(kind, types.Numeric) and not isinstance(kind, types.Integer):
        precision, scale = kind.precision, kind.scale
        if precision is None:
            note(f"{shown} without a precision", "imported as decimal(38, 10)")
            precision, scale = 38, 10
        found: dict[str, Any] = {"type": "decimal", "precision": precision, "scale": scale or 0}
        if schema.kind == "sqlite":  # forge's own SQLite decimal is a scaled BIGINT
            found["storage"] = "decimal" if shown.startswith("DECIMAL") else "numeric"
            if not shown.startswith(("NUMERIC", "DECIMAL")):
                note(
                    shown,
                    "imported as decimal with storage: numeric "
                    f"(NUMERIC({precision}, {scale or 0}))",
                )
        return found
    if isinstance(kind, (types.Integer, mysql.YEAR)):
        return _integer(kind, shown, note)
    if isinstance(kind, types.DateTime):
        if schema.kind == "postgresql" and not kind.timezone:
            return {"type": "datetime", "timezone": False}
        if schema.kind != "postgresql" and shown.startswith("TIMESTAMP"):
            if shown != "TIMESTAMP":  # a fractional-seconds precision, TIMESTAMP(6)
                note(shown, "imported as datetime with storage: timestamp (TIMESTAMP)")
            return {"type": "datetime", "storage": "timestamp"}
        return {"type": "datetime"}
    if isinstance(kind, types.Date):
        return {"type": "date"}
    if isinstance(kind, types.Time):
        return {"type": "time"}
    if isinstance(kind, types.Uuid):
        return {"type": "uuid"}
    if isinstance(kind, types.JSON):
        if shown == "JSONB":
            note("JSONB", "imported as json (JSON)")
        return {"type": "json"}
    if isinstance(kind, types._Binary):
        if shown not in ("BLOB", "BYTEA", "LONGBLOB"):
            note(shown, "imported as bytes (BLOB)")
        return {"type": "bytes"}
    if isinstance(kind, types.String):
        length = getattr(kind, "length", None)
        long_text = (types.Text, mysql.TINYTEXT, mysql.TEXT, mysql.MEDIUMTEXT, mysql.LONGTEXT)
        if isinstance(kind, long_text) or (length is None and schema.kind != "mysql"):
            if _json_checked(table, column["name"]) or _mariadb_json(kind):
                return {"type": "json"}
            storage = _text_storages().get(type(kind)) if schema.kind == "mysql" else None
            if storage is not None:
                return {"type": "text", "storage": storage}
            if schema.kind == "mysql" and shown != "MEDIUMTEXT":
                note(shown, "imported as text (MEDIUMTEXT)")
            elif not isinstance(kind, long_text):
                note(f"{shown} without a length", "imported as text")
            return {"type": "text"}
        if length is None:
            note(shown, "imported as text")
            return {"type": "text"}
        if isinstance(kind, types.CHAR) and length == 32 and schema.kind != "postgresql":
            note(
                "CHAR(32)",
                "imported as uuid (forge stores a uuid as CHAR(32) here); make it "
                "{type: str, max_length: 32} if it holds other text",
            )
            return {"type": "uuid"}
        if schema.kind == "sqlite" and shown.startswith("NVARCHAR"):
            return {"type": "str", "max_length": length, "national": True}
        if shown.startswith("CHAR(") and length:
            return {"type": "str", "max_length": length, "fixed": True}
        if not shown.startswith("VARCHAR"):
            note(shown, f"imported as str: VARCHAR({length})")
        return {"type": "str", "max_length": length}
    note(f"type {shown}", "forge has no type for it: the column is left out of the spec")
    return None


# the spec's integers by size: the smallest holding a column's values is chosen
_INTEGER_BITS = (
    ("smallint", 16),
    ("int", 32),
    ("bigint", 64),
)


def _integer(kind: Any, shown: str, note: Any) -> dict[str, Any]:
    """smallint, int or bigint: the smallest that holds every value of the column (MySQL's
    signed TINYINT and MEDIUMINT are smallint and int with their `storage:`; YEAR and
    UNSIGNED integers are widened, with a note)."""
    from sqlalchemy import types
    from sqlalchemy.dialects import mysql

    if not getattr(kind, "unsigned", False) and not getattr(kind, "zerofill", False):
        if isinstance(kind, mysql.TINYINT):
            return {"type": "smallint", "storage": "tinyint"}
        if isinstance(kind, mysql.MEDIUMINT):
            return {"type": "int", "storage": "mediumint"}

    if isinstance(kind, mysql.YEAR):
        bits = 12  # 1901..2155
    elif isinstance(kind, mysql.TINYINT):
        bits = 8
    elif isinstance(kind, types.SmallInteger):
        bits = 16
    elif isinstance(kind, mysql.MEDIUMINT):
        bits = 24
    elif isinstance(kind, types.BigInteger):
        bits = 64
    else:
        bits = 32
    unsigned = bool(getattr(kind, "unsigned", False))
    needed = bits + 1 if unsigned else bits
    for name, size in _INTEGER_BITS:
        if needed <= size:
            exact = {"smallint": 16, "int": 32, "bigint": 64}[name] == bits and not unsigned
            if not exact:
                word = name.upper() if name != "int" else "INTEGER"
                note(
                    shown, f"imported as {name} ({word}), the smallest spec type holding its values"
                )
            return {"type": name}
    note(shown, "imported as bigint (BIGINT): values above 2**63 - 1 do not fit")
    return {"type": "bigint"}


def _text_storages() -> dict[type, str]:
    from sqlalchemy.dialects import mysql

    return {mysql.TINYTEXT: "tinytext", mysql.TEXT: "text", mysql.LONGTEXT: "longtext"}


def _shown(kind: Any, dialect: str) -> str:
    from sqlalchemy.dialects import mysql, postgresql, sqlite

    modules: dict[str, Any] = {"sqlite": sqlite, "postgresql": postgresql, "mysql": mysql}
    try:
        return str(kind.compile(dialect=modules[dialect].dialect()))
    except Exception:  # a type the dialect cannot compile: its class name
        return type(kind).__name__.upper()


def _mariadb_json(kind: Any) -> bool:
    """MariaDB's JSON is an alias of LONGTEXT in utf8mb4_bin (its json_valid CHECK is not
    reflected)."""
    from sqlalchemy.dialects import mysql

    return isinstance(kind, mysql.LONGTEXT) and getattr(kind, "collation", None) == "utf8mb4_bin"


def _json_checked(table: Table, column: str) -> bool:
    """MariaDB's JSON is LONGTEXT with a CHECK (json_valid(column))."""
    return any(
        re.search(rf"json_valid\(`?{re.escape(column)}`?\)", str(c.get("sqltext", "")))
        for c in table.checks
    )


_NOW_SPELLINGS = {  # how each database shows the SQL forge writes for `server_default: now`
    "CURRENT_TIMESTAMP": ("current_timestamp", "current_timestamp()"),
    "CURRENT_DATE": ("current_date", "curdate()"),
    "CURRENT_TIME": ("current_time", "curtime()"),
}
_NOW_OF_TYPE = {"datetime": _NOW_WORDS, "date": ("current_date", "curdate()")}
_NOW_OF_TYPE |= {"time": ("current_time", "curtime()")}


def _default(
    raw: Any, spec_type: dict[str, Any], place: str, notes: list[Note], kind: str = ""
) -> tuple[str | None, Any]:
    """The spec option for a column's server default, and its value: `server_default`
    (the generated table has the same DEFAULT clause), `default` where the type takes no
    server default (applied by the application), None when there is no plain one."""
    from generator import fieldtypes

    if raw is None:
        return None, None
    text = str(raw).strip()
    update = None
    if re.search(r"on update", text, re.IGNORECASE):
        update = re.split(r"(?i)\s+on update", text)[1].strip()
        text = re.split(r"(?i)\s+on update", text)[0].strip()
    if text.upper() == "NULL":
        value: Any = None
    else:
        value = _default_value(text, spec_type["type"])
    ftype = spec_type["type"]
    record = fieldtypes.get(ftype) if ftype in fieldtypes.NAMES else None
    if update is not None:
        now = record.now_sql if record is not None else None
        if ftype not in ("date", "datetime", "time"):
            notes.append(Note(place, f"ON UPDATE {update}", "not kept"))
        elif not (now == "CURRENT_TIMESTAMP" and value == "now"):
            instead = "kept as `onupdate: now` (set by the application; the generated table "
            notes.append(Note(place, f"ON UPDATE {update}", instead + "has no ON UPDATE clause)"))
        # else: `server_default: now` with `onupdate: now` writes it on MySQL too
    if text.upper() == "NULL":
        return None, None
    if value is None:
        notes.append(
            Note(place, f"server default {text}", "not kept: the spec has no such default")
        )
        return None, None
    if record is None or record.server_sql is None:
        notes.append(
            Note(
                place,
                f"server default {text}",
                f"kept as `default: {value}` (applied by the application; forge writes no "
                f"DEFAULT clause on a {ftype} column)",
            )
        )
        return "default", value
    if value == "now" and record.now_sql is not None:
        plain = _unwrapped(text).lower()
        if plain not in _NOW_SPELLINGS.get(record.now_sql, ()):
            notes.append(
                Note(place, f"server default {text}", f"forge writes {record.now_sql} (the same)")
            )
    elif record.server_sql == "boolean" and kind == "sqlite":
        written = "TRUE" if value else "FALSE"
        if _unwrapped(text).upper() != written:  # SQLite shows the SQL as it was written
            notes.append(
                Note(place, f"server default {text}", f"forge writes {written} (the same)")
            )
    return "server_default", value


def _unwrapped(text: str) -> str:
    """A default's SQL without PostgreSQL's cast and outer parentheses."""
    plain = re.sub(r"::[\w .\"]+(\[\])?$", "", text).strip()
    while plain.startswith("(") and plain.endswith(")"):
        plain = plain[1:-1].strip()
    return plain


def _default_value(text: str, ftype: str) -> Any:
    """The spec value of a plain server default (None: not a plain one)."""
    plain = _unwrapped(text)
    value: Any = None
    if plain.lower() in _NOW_OF_TYPE.get(ftype, ()):
        value = "now"
    elif re.fullmatch(r"'(?:[^']|'')*'", plain):
        value = plain[1:-1].replace("''", "'")
    elif re.fullmatch(r"-?\d+(\.\d+)?", plain) or plain.lower() in ("true", "false"):
        value = plain
    if value is not None:
        try:
            value = _typed_default(value, ftype)
        except ValueError:
            value = None
    return value


def _typed_default(value: str, ftype: str) -> Any:
    if value == "now":
        return value
    if ftype in _INTEGER_KINDS:
        return int(value)
    if ftype == "float":
        return float(value)
    if ftype == "bool":
        if value.lower() in ("1", "true", "t"):
            return True
        if value.lower() in ("0", "false", "f"):
            return False
        raise ValueError(value)
    if ftype in ("decimal", "str", "text", "enum", "date", "datetime", "time", "uuid"):
        return value
    raise ValueError(value)


# ------------------------------------------------------------------------- the import


@dataclass
class Mapped:
    """Where one source table's rows go: the target table and, per source column, the
    target column (columns left out of the spec are absent)."""

    table: str
    columns: dict[str, str]
    source_columns: list[str] = field(default_factory=list)  # every column, in order


@dataclass
class Imported:
    entities: dict[str, dict[str, Any]]  # class name -> entity mapping (plain data)
    sources: dict[str, str]  # class name -> source table
    notes: list[Note]
    tables: dict[str, Mapped]  # source table -> target
    links: list[str]  # source tables imported as many_to_many

    def notes_for(self, table: str) -> list[Note]:
        return [n for n in self.notes if n.place == table or n.place.startswith(f"{table}.")]


_KEY_TYPES = ("int", "smallint", "bigint", "uuid", "str")
_SQL_IDENTIFIER = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z")
_UNINDEXABLE = ("json", "bytes", "text")


def keeps(name: str) -> bool:
    """Whether the spec can name this table or column as it is (`table:`, `column:`)."""
    return bool(_SQL_IDENTIFIER.match(name)) and len(name) <= 63


def _key_type(schema: Schema, table: Table) -> dict[str, Any] | None:
    """The spec type of a single-column primary key forge keeps (`primary_key:`), else
    None (composite, another type, or a name the spec cannot keep)."""
    if len(table.primary_key) != 1 or not keeps(table.primary_key[0]):
        return None
    spec = field_type(schema, table, table.column(table.primary_key[0]), [])
    if spec is None or spec["type"] not in _KEY_TYPES:
        return None
    return spec


def _link_extras(schema: Schema, table: Table) -> list[dict[str, Any]] | None:
    """The columns of a link table besides its two keys, when each can be a link field
    (a type forge has, nullable or with a server default); None when one cannot."""
    keys = {fk["constrained_columns"][0] for fk in table.foreign_keys}
    extras = [c for c in table.columns if c["name"] not in keys]
    for column in extras:
        if not keeps(column["name"]) or field_type(schema, table, column, []) is None:
            return None
        if not column["nullable"] and column.get("default") is None:
            return None
    return extras


def _is_link(schema: Schema, table: Table, entities: set[str]) -> bool:
    """Two single-column foreign keys to imported entities' primary keys that together are
    the primary key (or unique), and any other column a possible link field."""
    if len(table.foreign_keys) != 2:
        return False
    for fk in table.foreign_keys:
        if len(fk["constrained_columns"]) != 1 or fk["referred_table"] not in entities:
            return False
        if fk["referred_columns"] != schema.tables[fk["referred_table"]].primary_key:
            return False
    covered = {fk["constrained_columns"][0] for fk in table.foreign_keys}
    if len(covered) != 2 or not all(keeps(c) for c in covered):
        return False
    keyed = set(table.primary_key) == covered or any(set(u) == covered for u in table.unique_sets())
    if not keyed:
        return False
    if set(table.primary_key) not in (covered, set()):
        return False
    return _link_extras(schema, table) is not None


def import_schema(
    schema: Schema,
    only: list[str] | None = None,
    exclude: list[str] | None = None,
    existing: Any = None,
) -> Imported:
    """The spec entities for the schema's tables (all, or `only`, minus `exclude`);
    `existing` is the project's Spec, whose tables are kept and whose entities relations
    may point to."""
    known = sorted(schema.tables)
    for name in [*(only or []), *(exclude or [])]:
        if name not in schema.tables:
            raise ForgeError(f"no table {name!r} in the database (tables: {', '.join(known)})")
    chosen = [t for t in known if (not only or t in only) and t not in (exclude or [])]
    notes: list[Note] = []
    existing_tables: dict[str, str] = {}  # lowercased table -> entity
    taken_classes: set[str] = set()
    attributes: dict[str, set[str]] = {}

    def existing_entity(table: str) -> str | None:
        return existing_tables.get(table.lower()) or existing_tables.get(table_name(table))

    if existing is not None:
        for entity in existing.entities:
            existing_tables[entity.table.lower()] = entity.name
            taken_classes.add(entity.name)
            attributes[entity.name] = _attributes_of(entity)
        clash = [t for t in (only or []) if existing_entity(t)]
        if clash:
            raise ImportRefused(
                f"table {clash[0]} is already described by entity "
                f"{existing_entity(clash[0])} in forge.yaml; nothing was written "
                "(leave it out of --tables)"
            )
        kept = [t for t in chosen if existing_entity(t)]
        for t in kept:
            notes.append(Note(t, "already in forge.yaml", f"kept as entity {existing_entity(t)}"))
        chosen = [t for t in chosen if not existing_entity(t)]

    existing_classes = set(taken_classes)
    # entities: every chosen table but the link tables
    classes: dict[str, str] = {}  # source table -> class
    for t in chosen:
        name = class_name(t)
        if existing is not None and name in existing_classes:
            raise ImportRefused(
                f"table {t} would become entity {name}, which forge.yaml already has (table "
                f"{existing.entity(name).table}); nothing was written (leave {t} out with "
                "--exclude, or rename the entity)"
            )
        while name in taken_classes:
            name = f"{name}Table"
        classes[t] = name
        taken_classes.add(name)
    entity_tables = set(classes)
    linkable = entity_tables | {t for t in schema.tables if existing_entity(t)}
    links = [
        t
        for t in chosen
        if _is_link(schema, schema.tables[t], linkable)
        and any(fk["referred_table"] in entity_tables for fk in schema.tables[t].foreign_keys)
    ]
    for t in links:
        taken_classes.discard(classes.pop(t))
    # targets of relations: imported entities with a key forge keeps, and existing entities
    targets: dict[str, str] = {
        t: c for t, c in classes.items() if _key_type(schema, schema.tables[t]) is not None
    }
    for t in schema.tables:
        if t not in classes and existing_entity(t):
            targets[t] = existing_entity(t) or ""

    entities: dict[str, dict[str, Any]] = {}
    mapped: dict[str, Mapped] = {}
    pending: list[_Pending] = []
    named: dict[str, dict[str, str]] = {}  # class -> database column -> attribute
    for t, cls in classes.items():
        table = schema.tables[t]
        data, columns, fields_of = _entity(schema, table, cls, targets, notes, pending)
        entities[cls] = data
        source_columns = [c["name"] for c in table.columns]
        mapped[t] = Mapped(data.get("table", naming.table_name(cls)), columns, source_columns)
        named[cls] = fields_of
        attributes[cls] = set(fields_of.values())
        if data.get("timestamps"):
            attributes[cls] |= {"created_at", "updated_at"}
        if data.get("soft_delete"):
            attributes[cls].add("deleted_at")
    # relations (from foreign keys), with inverses chosen once every entity's names are known
    for item in pending:
        relations = entities[item.cls].setdefault("relations", {})
        taken = attributes[item.cls]
        name = item.relation
        if name in taken:
            name = f"{item.relation}_ref"
            notes.append(
                Note(item.place, f"relation name {item.relation!r} is taken", f"named it {name!r}")
            )
        options = item.options
        if "column" not in options and naming.fk_column(name) != item.column:
            options["column"] = item.column  # a renamed relation keeps its column
        relations[name] = options
        taken.add(name)
        named[item.cls][item.column] = name
        inverse = naming.snake_case(item.cls)
        if options["kind"] == "many_to_one":
            inverse = naming.plural(inverse)
        options["inverse"] = _free(inverse, name, attributes.setdefault(options["target"], set()))
    used: dict[str, str] = {}  # constraint and index names (lowercased) -> table
    for t, cls in classes.items():
        _constraints(schema, schema.tables[t], entities[cls], named[cls], notes, used)
    for t in links:
        _link(schema, schema.tables[t], classes | targets, entities, attributes, mapped, notes)
    for t in schema.tables:  # an existing entity's foreign key to a new table
        owner = existing_entity(t) if t not in classes else None
        for fk in schema.tables[t].foreign_keys if owner else ():
            if fk["referred_table"] in classes:
                notes.append(
                    Note(
                        f"{t}.{', '.join(fk['constrained_columns'])}",
                        f"foreign key to the new table {fk['referred_table']}",
                        f"not added to entity {owner}, which forge.yaml already has (add the "
                        "relation with `forge make entity`)",
                    )
                )
    notes[:] = list(dict.fromkeys(notes))  # the same item read twice (MySQL's unique indexes)
    order = {t: i for i, t in enumerate(known)}
    notes.sort(key=lambda n: (order.get(n.place.split(".")[0], -1), n.place))
    sources = {cls: t for t, cls in classes.items()}
    return Imported(entities, sources, notes, mapped, links)


@dataclass
class _Pending:
    """A relation read from a foreign key, named once every entity's fields are known."""

    cls: str
    relation: str
    options: dict[str, Any]
    place: str
    column: str  # the foreign-key column in the database


def _attributes_of(entity: Any) -> set[str]:
    names = {f.name for f in entity.fields} | {r.name for r in entity.relations}
    names |= {naming.fk_column(r.name) for r in entity.relations}
    return names | {"id", "created_at", "updated_at", "deleted_at"}


def _free(name: str, relation: str, taken: set[str]) -> str:
    """An attribute name not yet taken on an entity: `albums`, `artist_albums`, `albums_2`."""
    candidate = name
    if candidate in taken:
        candidate = f"{relation}_{name}"
    counter = 2
    while candidate in taken:
        candidate = f"{name}_{counter}"
        counter += 1
    taken.add(candidate)
    return candidate


def _entity(
    schema: Schema,
    table: Table,
    cls: str,
    targets: dict[str, str],
    notes: list[Note],
    relations: list[_Pending],
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The entity's data, the target column of each source column, and the attribute of
    each field's database column (relations are added to it later)."""
    data: dict[str, Any] = {}
    columns: dict[str, str] = {}
    fields_of: dict[str, str] = {}
    spec_table = table.name if keeps(table.name) else table_name(table.name)
    if spec_table != table.name:
        notes.append(
            Note(table.name, f"table name {table.name}", f"named {spec_table} (not an SQL name)")
        )
    if spec_table != naming.table_name(cls):
        data["table"] = spec_table
    key = table.primary_key
    key_type = _key_type(schema, table)
    if key_type is not None:
        key_name = _key_name(schema, table, spec_table, notes)
        column = table.column(key[0])
        columns[key[0]] = key[0]
        fields_of[key[0]] = "id"
        primary: dict[str, Any] = {}
        if key[0] != "id":
            primary["column"] = key[0]
        if key_type["type"] != "int":
            primary["type"] = key_type["type"]
        if key_type["type"] == "str":
            primary["max_length"] = key_type["max_length"]
        if "storage" in key_type:
            primary["storage"] = key_type["storage"]
        if key_name is not None:
            primary["name"] = key_name
        if primary:
            data["primary_key"] = primary
        field_type(schema, table, column, notes)  # its notes (a widened type...)
        serial = key_type["type"] in ("int", "smallint", "bigint")
        if serial and schema.kind != "sqlite" and not column.get("autoincrement", True):
            notes.append(
                Note(
                    f"{table.name}.{key[0]}", "primary key without a sequence", "forge's id has one"
                )
            )
    elif key:
        notes.append(
            Note(
                table.name,
                f"primary key ({', '.join(key)})",
                "forge adds an integer id primary key and keeps these columns as fields "
                "(a composite key is not expressible yet)",
            )
        )
    else:
        notes.append(Note(table.name, "no primary key", "forge adds an integer id primary key"))

    relation_columns: dict[str, dict[str, Any]] = {}
    for fk in table.foreign_keys:
        constrained = fk["constrained_columns"]
        place = f"{table.name}.{', '.join(constrained)}"
        referred = fk["referred_table"]
        if len(constrained) != 1:
            notes.append(
                Note(
                    place, f"composite foreign key to {referred}", "its columns are kept as fields"
                )
            )
            continue
        if referred not in targets:
            notes.append(
                Note(
                    place,
                    f"foreign key to {referred}, which is not imported or has a key forge "
                    "cannot keep",
                    "kept as a plain field",
                )
            )
            continue
        if fk["referred_columns"] != schema.tables[referred].primary_key:
            notes.append(
                Note(
                    place,
                    f"foreign key to {referred}.{fk['referred_columns'][0]}",
                    "kept as a plain field",
                )
            )
            continue
        if constrained[0] in columns:
            notes.append(Note(place, f"the primary key is a foreign key to {referred}", "not kept"))
            continue
        relation_columns[constrained[0]] = fk

    uniques = {u[0] for u in table.unique_sets() if len(u) == 1}
    names = {c["name"] for c in table.columns}
    if _has_timestamps(schema, table):
        data["timestamps"] = True
        columns |= {"created_at": "created_at", "updated_at": "updated_at"}
    soft = (
        "deleted_at" in names
        and table.column("deleted_at")["nullable"]
        and isinstance(table.column("deleted_at")["type"], _datetime_type())
    )
    if soft:
        data["soft_delete"] = True
        columns["deleted_at"] = "deleted_at"
    fields: dict[str, Any] = {}
    for column in table.columns:
        name = column["name"]
        place = f"{table.name}.{name}"
        if name in columns:
            continue
        if name in relation_columns:
            fk = relation_columns[name]
            relation = _relation_name(name)
            field_type(schema, table, column, notes)  # its notes (a widened type...)
            options: dict[str, Any] = {
                "kind": "one_to_one" if name in uniques else "many_to_one",
                "target": targets[fk["referred_table"]],
            }
            if column["nullable"]:
                options["nullable"] = True
            rule = (fk.get("options") or {}).get("ondelete")
            if rule:
                chosen = _ON_DELETE.get(rule.upper())
                if chosen == "set_null" and not column["nullable"]:
                    chosen = None
                if chosen is None:
                    notes.append(Note(place, f"ON DELETE {rule}", "not kept (no database default)"))
                else:
                    options["on_delete"] = chosen
            update = (fk.get("options") or {}).get("onupdate")
            if update:
                chosen = _ON_DELETE.get(update.upper())
                if chosen == "set_null" and not column["nullable"]:
                    chosen = None
                if chosen is None:
                    notes.append(Note(place, f"foreign key ON UPDATE {update}", "not kept"))
                else:
                    options["on_update"] = chosen
            fk_column = naming.fk_column(relation)
            if keeps(name):
                if fk_column != name:
                    options["column"] = name
                fk_column = name
            else:
                notes.append(
                    Note(place, f"column name {name}", f"named {fk_column} (not an SQL name)")
                )
            columns[name] = fk_column
            relations.append(_Pending(cls, relation, options, place, fk_column))
            continue
        spec_type = field_type(schema, table, column, notes)
        if spec_type is None:
            continue
        attribute = attribute_name(name)
        if attribute in fields or attribute in fields_of.values() or attribute == "id":
            attribute = f"{attribute}_{len(fields)}"
        values = dict(spec_type)
        target_column = attribute
        if keeps(name):
            target_column = name
            if attribute != name:
                values["column"] = name
        else:
            notes.append(Note(place, f"column name {name}", f"named {attribute} (not an SQL name)"))
        natural_key = key == [name]  # a key forge cannot keep: a unique, required field
        if column["nullable"] and not natural_key:
            values["nullable"] = True
        if natural_key:
            values["unique"] = True
        option, default = _default(column.get("default"), spec_type, place, notes, schema.kind)
        if option is not None:
            values[option] = default
        if _on_update(column.get("default")) and values["type"] in ("date", "datetime", "time"):
            values["onupdate"] = "now"
        comment = column.get("comment")
        if comment:
            values["description"] = str(comment)
        fields[attribute] = values
        columns[name] = target_column
        fields_of[target_column] = attribute
    if fields:
        data["fields"] = fields
    return data, columns, fields_of


def _key_name(schema: Schema, table: Table, spec_table: str, notes: list[Note]) -> str | None:
    """The primary key constraint's name, when it is not the one the database gives: kept
    (returned) on PostgreSQL, a note elsewhere."""
    expected = {"postgresql": f"{spec_table}_pkey", "mysql": "PRIMARY"}.get(schema.kind)
    name = table.primary_key_name
    if expected is None or not name or name == expected:
        return None
    if (
        schema.kind == "postgresql"
        and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)
        and len(name) <= 63
    ):
        return name
    notes.append(Note(table.name, f"primary key name {name}", f"forge's is {expected}"))
    return None


def _on_update(raw: Any) -> bool:
    return raw is not None and re.search(r"(?i)on update", str(raw)) is not None


def _default_unique_name(kind: str, table: str, column: str) -> str | None:
    """The name the database gives a column's unnamed UNIQUE (forge's `unique: true`)."""
    return {"postgresql": f"{table}_{column}_key", "mysql": column}.get(kind)


def _constraints(
    schema: Schema,
    table: Table,
    data: dict[str, Any],
    named: dict[str, str],
    notes: list[Note],
    used: dict[str, str],
) -> None:
    """`unique: true` / `index: true` on fields, and the entity's `unique:`, `indexes:`
    and `checks:`, under the database's names (so that none is renamed). The spec's
    names are unique in the database (PostgreSQL's and SQLite's rule), except the index
    and unique names of a MySQL project, which are unique per table (MySQL's rule): a
    name `used` by another table already is replaced by forge's, with a note."""

    def free(name: str, place: str, what: str, kind: str, group: tuple[str, ...]) -> str:
        scoped = schema.kind == "mysql" and kind in ("ix", "uq")
        key = f"{table.name}.{name.lower()}" if scoped else name.lower()
        other = used.get(key)
        if other is not None and other != table.name:
            name = naming.constraint_name(kind, spec_table, group)
            notes.append(
                Note(
                    place,
                    what,
                    f"the name is used on {other} too (the spec's names are "
                    f"unique in the database): named {name}",
                )
            )
        used[f"{table.name}.{name.lower()}" if scoped else name.lower()] = table.name
        return name

    fields: dict[str, dict[str, Any]] = data.get("fields", {})
    relations: dict[str, dict[str, Any]] = data.get("relations", {})
    spec_table = data.get("table", table.name)
    key = tuple(table.primary_key)
    unique: dict[str, list[str]] = {}
    unnamed: list[list[str]] = []
    indexes: dict[str, list[str]] = {}
    kept_fk_index: set[str] = set()  # relation columns with an index of their own

    def attributes(group: tuple[str, ...], place: str, what: str) -> list[str] | None:
        found = [named.get(c) for c in group]
        if None in found:
            missing = [c for c, a in zip(group, found, strict=True) if a is None]
            notes.append(Note(place, what, f"not kept ({', '.join(missing)} is not in the spec)"))
            return None
        kinds = [fields[a]["type"] for a in found if a in fields]
        if any(k in _UNINDEXABLE for k in kinds):
            notes.append(Note(place, what, "not kept (on a json, bytes or text column)"))
            return None
        return [a for a in found if a is not None]

    constraint_names = {u.get("name") for u in table.uniques}
    for group_info in [*table.uniques, *(i for i in table.indexes if i.get("unique"))]:
        group = tuple(group_info["column_names"])
        name = group_info.get("name")
        is_index = "unique" in group_info and group_info.get("name") not in constraint_names
        if set(group) == set(key):
            continue
        place = f"{table.name}.{group[0]}" if len(group) == 1 else table.name
        what = f"unique {'index ' if is_index else ''}{name or ''} ({', '.join(group)})"
        what = what.replace("  ", " ")
        found = attributes(group, place, what)
        if found is None:
            continue
        if len(group) == 1:
            attribute = found[0]
            if attribute in relations:  # a one_to_one (forge's unnamed unique)
                expected = _default_unique_name(schema.kind, spec_table, group[0])
                if name and name != expected:  # named in `unique:` (it replaces forge's)
                    unique[free(name, place, what, "uq", group)] = found
                continue
            if is_index and name == f"ix_{spec_table}_{group[0]}":
                fields[attribute] |= {"unique": True, "index": True}
                continue
            if name == _default_unique_name(schema.kind, spec_table, group[0]):
                fields[attribute]["unique"] = True
                continue
        if is_index and schema.kind != "mysql":
            notes.append(
                Note(place, what, "forge writes a unique constraint of that name (not an index)")
            )
        if name:
            unique[free(name, place, what, "uq", group)] = found
        else:
            unnamed.append(found)
            forge_name = naming.constraint_name("uq", spec_table, group)
            if len(group) > 1:
                notes.append(Note(place, what, f"forge names it {forge_name}"))
    for index in table.indexes:
        if index.get("unique"):
            continue
        group = tuple(str(c) for c in index["column_names"])
        name = index["name"]
        place = f"{table.name}.{group[0]}" if len(group) == 1 else table.name
        what = f"index {name} ({', '.join(group)})"
        found = attributes(group, place, what)
        if found is None:
            continue
        if len(group) == 1 and name == f"ix_{spec_table}_{group[0]}":
            if found[0] in relations:
                kept_fk_index.add(found[0])
            else:
                fields[found[0]]["index"] = True
            continue
        if len(group) == 1 and found[0] in relations:
            kept_fk_index.add(found[0])
        indexes[free(name, place, what, "ix", group)] = found
    for relation, options in relations.items():
        if options["kind"] == "many_to_one" and relation not in kept_fk_index:
            options["index"] = False  # forge would index it (ix_<table>_<column>)
    checks: dict[str, str] = {}
    for check in table.checks:
        text = " ".join(str(check.get("sqltext", "")).split())
        if "json_valid" in text:
            continue
        name = check.get("name")
        if name and keeps(name) and ";" not in text:
            checks[free(name, table.name, f"CHECK {name}", "ck", (name,))] = text
        else:
            notes.append(
                Note(
                    table.name,
                    f"CHECK {name or ''} ({text})".replace("CHECK  ", "CHECK "),
                    "not kept (the spec's checks are named)",
                )
            )
    if unique or unnamed:
        data["unique"] = unique if not unnamed else [*unnamed, *unique.values()]
        if unique and unnamed:
            notes.append(
                Note(table.name, "named and unnamed unique constraints", "all written unnamed")
            )
    if indexes:
        data["indexes"] = indexes
    if checks:
        data["checks"] = checks


def _datetime_type() -> type[Any]:
    from sqlalchemy import types

    return types.DateTime


def _has_timestamps(schema: Schema, table: Table) -> bool:
    names = {c["name"] for c in table.columns}
    if not {"created_at", "updated_at"} <= names:
        return False
    return all(
        isinstance(table.column(n)["type"], _datetime_type()) and not table.column(n)["nullable"]
        for n in ("created_at", "updated_at")
    )


def _link(
    schema: Schema,
    table: Table,
    classes: dict[str, str],
    entities: dict[str, dict[str, Any]],
    attributes: dict[str, set[str]],
    mapped: dict[str, Mapped],
    notes: list[Note],
) -> None:
    """A link table: a many_to_many on the entity of its first key column, its other
    columns as `link_fields`."""
    keys = {fk["constrained_columns"][0]: fk for fk in table.foreign_keys}
    first, second = (keys[c["name"]] for c in table.columns if c["name"] in keys)
    left, right = classes[first["referred_table"]], classes[second["referred_table"]]
    if left not in entities:  # declared on an existing entity: use the other side
        first, second, left, right = second, first, right, left
    left_table = entities[left].get("table", naming.table_name(left))
    right_table = (  # an existing entity's table is the source table
        entities[right].get("table", naming.table_name(right))
        if right in entities
        else second["referred_table"]
    )
    relation = naming.plural(_relation_name(second["constrained_columns"][0]))
    relation = _free(relation, "with", attributes.setdefault(left, set()))
    options: dict[str, Any] = {"kind": "many_to_many", "target": right}
    if left != right:
        options["inverse"] = _free(
            naming.plural(naming.snake_case(left)), relation, attributes.setdefault(right, set())
        )
    spec_table = table.name if keeps(table.name) else table_name(table.name)
    if spec_table != naming.link_table(left_table, right_table):
        options["link_table"] = spec_table
    if spec_table != table.name:
        notes.append(Note(table.name, f"table name {table.name}", f"named {spec_table}"))
    pair = (first["constrained_columns"][0], second["constrained_columns"][0])
    if list(pair) == list(table.primary_key):
        link_key_name = _key_name(schema, table, spec_table, notes)
        if link_key_name is not None:
            options["link_key_name"] = link_key_name
    else:
        _key_name(schema, table, spec_table, notes)
    if pair != naming.link_columns(left_table, right_table, relation):
        options["link_columns"] = list(pair)
    columns = {pair[0]: pair[0], pair[1]: pair[1]}
    rules = [
        ((fk.get("options") or {}).get("ondelete") or "NO ACTION").upper() for fk in (first, second)
    ]
    chosen = _LINK_ON_DELETE.get(rules[0]) if rules[0] == rules[1] else None
    if chosen is None:
        notes.append(
            Note(
                table.name,
                f"ON DELETE {rules[0]} / {rules[1]} on its two keys",
                "forge gives both the same rule: CASCADE",
            )
        )
    elif chosen != "cascade":
        options["link_on_delete"] = chosen
    updates = [((fk.get("options") or {}).get("onupdate") or "").upper() for fk in (first, second)]
    link_update = {"CASCADE": "cascade", "RESTRICT": "restrict"}.get(updates[0])
    if updates[0] == updates[1] and link_update is not None:
        options["link_on_update"] = link_update
    for fk, update in zip((first, second), updates, strict=True):
        field_type(schema, table, table.column(fk["constrained_columns"][0]), notes)
        if update and "link_on_update" not in options:
            notes.append(
                Note(
                    f"{table.name}.{fk['constrained_columns'][0]}",
                    f"foreign key ON UPDATE {update}",
                    "not kept",
                )
            )
    link_fields: dict[str, Any] = {}
    for column in _link_extras(schema, table) or []:
        name = column["name"]
        place = f"{table.name}.{name}"
        spec_type = field_type(schema, table, column, notes)
        assert spec_type is not None  # _is_link checked it
        attribute = attribute_name(name)
        values = dict(spec_type)
        if attribute != name:
            values["column"] = name
        if column["nullable"]:
            values["nullable"] = True
        option, default = _default(column.get("default"), spec_type, place, notes, schema.kind)
        if option is not None:
            values[option] = default
        elif not column["nullable"]:
            values["nullable"] = True
            notes.append(
                Note(place, f"server default {column.get('default')}", "imported as nullable")
            )
        if _on_update(column.get("default")) and values["type"] in ("date", "datetime", "time"):
            values["onupdate"] = "now"
        link_fields[attribute] = values
        columns[name] = name
    if link_fields:
        options["link_fields"] = link_fields
    link_indexes: dict[str, list[str]] = {}
    for index in table.indexes:
        group = ", ".join(str(c) for c in index["column_names"])
        known = all(c in columns for c in index["column_names"])
        if index.get("unique") or not index["name"] or not known:
            notes.append(
                Note(table.name, f"index {index['name']} ({group})", "not kept (on a link table)")
            )
            continue
        link_indexes[index["name"]] = [str(c) for c in index["column_names"]]
    if link_indexes:
        options["link_columns"] = list(pair)  # the indexes name them
        options["link_indexes"] = link_indexes
    entities[left].setdefault("relations", {})[relation] = options
    mapped[table.name] = Mapped(spec_table, columns, [c["name"] for c in table.columns])
    notes.append(Note(table.name, "link table", f"imported as {left}.{relation} (many_to_many)"))


# ------------------------------------------------------------------------- writing


def spec_text(
    imported: Imported, described: str, project: dict[str, Any] | None, existing_text: str | None
) -> str:
    """forge.yaml: a new one (with `project`), or `existing_text` with the new entities."""
    from ruamel.yaml.comments import CommentedMap

    from generator.spec.editor import FIELD_ORDER, RELATION_ORDER, _entry, _flow, _yaml, canonical

    yaml = _yaml()
    if existing_text is None:
        document = CommentedMap()
        document["project"] = CommentedMap(project or {})
        document["entities"] = CommentedMap()
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        document.yaml_set_start_comment(
            f"imported by `forge import` from {described} on {stamp}\n"
            "what forge.yaml cannot express yet is in the `not expressed` comments"
        )
    else:
        document = yaml.load(existing_text)
        if document.get("entities") is None:
            document["entities"] = CommentedMap()
    entities = document["entities"]

    def field_entry(values: dict[str, Any]) -> Any:
        return _entry(canonical(values, FIELD_ORDER))

    def relation_entry(values: dict[str, Any]) -> Any:
        if "link_fields" not in values:
            return _flow(canonical(values, RELATION_ORDER))
        block = CommentedMap(canonical(values, RELATION_ORDER))
        if "link_columns" in block:
            block["link_columns"] = _flow({"x": block["link_columns"]})["x"]
        block["link_fields"] = CommentedMap(
            (name, field_entry(field_values))
            for name, field_values in values["link_fields"].items()
        )
        return block

    def groups(value: Any) -> Any:
        if isinstance(value, dict):
            return _flow(value)
        return [_flow({"x": item})["x"] for item in value]

    for cls, data in imported.entities.items():
        entry = CommentedMap()
        for key in ("table", "primary_key", "timestamps", "soft_delete"):
            if key in data:
                entry[key] = _flow(data[key]) if isinstance(data[key], dict) else data[key]
        if data.get("fields"):
            fields = CommentedMap()
            for name, values in data["fields"].items():
                fields[name] = field_entry(values)
            entry["fields"] = fields
        if data.get("relations"):
            relations = CommentedMap()
            for name, values in data["relations"].items():
                relations[name] = relation_entry(values)
            entry["relations"] = relations
        for key in ("unique", "indexes"):
            if data.get(key):
                entry[key] = groups(data[key])
        if data.get("checks"):
            entry["checks"] = CommentedMap(data["checks"])
        entities[cls] = entry
        source = imported.sources[cls]
        lines = [f"from table {source}"] + [
            f"not expressed: {note}" for note in imported.notes_for(source)
        ]
        entities.yaml_set_comment_before_after_key(cls, before="\n".join(lines), indent=2)
    import io

    out = io.StringIO()
    yaml.dump(document, out)
    text = out.getvalue()
    shown = {id(n) for cls in imported.entities for n in imported.notes_for(imported.sources[cls])}
    rest = [note for note in imported.notes if id(note) not in shown]
    if rest:
        text += "\n# not expressed by forge.yaml yet (forge import):\n"
        text += "".join(f"#   {note}\n" for note in rest)
    return text


def validate(text: str, default_name: str, source: str = "forge.yaml") -> Any:
    """The spec the text describes, read by forge's own reader."""
    from generator.spec import parse_spec, read_yaml

    return parse_spec(read_yaml(text, source), source=source, default_name=default_name)


def _drop_default(imported: Imported, error: SpecError) -> bool:
    """When the reader refuses an imported default, leave it out (with a note)."""
    parts = error.where.split(".")
    options = ("default", "server_default")
    if len(parts) != 5 or parts[0] != "entities" or parts[2] != "fields" or parts[4] not in options:
        return False
    fields = imported.entities.get(parts[1], {}).get("fields", {})
    if parts[3] not in fields or parts[4] not in fields[parts[3]]:
        return False
    value = fields[parts[3]].pop(parts[4])
    source = imported.sources[parts[1]]
    imported.notes.append(
        Note(f"{source}.{parts[3]}", f"{parts[4]} {value!r}", f"left out ({error.message})")
    )
    return True


@dataclass
class ImportResult:
    path: Path
    imported: Imported
    spec: Any
    added: bool  # into an existing project's forge.yaml
    described: str  # the source database, for messages

    def summary(self) -> list[str]:
        entities = len(self.imported.entities)
        relations = sum(len(d.get("relations", {})) for d in self.imported.entities.values())
        verb = "added to" if self.added else "wrote"
        shown = (
            self.path.relative_to(Path.cwd()) if self.path.is_relative_to(Path.cwd()) else self.path
        )
        lines = [
            f"{verb} {shown}: {_count(entities, 'entity', 'entities')}, "
            f"{_count(relations, 'relation', 'relations')} "
            f"({len(self.imported.links)} many_to_many) from {self.described}; "
            "the spec loads with forge's reader"
        ]
        if self.imported.notes:
            lines.append(
                f"not expressed by forge.yaml yet ({len(self.imported.notes)}; also written "
                "as comments in the file):"
            )
            lines += [f"  {note}" for note in self.imported.notes]
        return lines


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def import_database(
    url_text: str,
    output: Path,
    only: list[str] | None = None,
    exclude: list[str] | None = None,
    project: Path | None = None,
) -> ImportResult:
    """Read the database and write the spec (all or nothing)."""
    from generator.spec import load_spec
    from generator.write import write_files

    existing = None
    existing_text = None
    if project is not None:
        path = project / "forge.yaml"
        if not path.is_file():
            raise ForgeError(f"no forge.yaml in {project} (--project names a forge project)")
        existing = load_spec(path)
        existing_text = path.read_text(encoding="utf-8")
        output = path
    elif output.exists():
        raise ForgeError(
            f"{output} already exists; choose another file with -o, or add the tables to a "
            "project with --project"
        )
    db = source_target(url_text)
    schema = reflect(db)
    if not schema.tables:
        raise ForgeError(f"{_described(db)} has no tables to import")
    imported = import_schema(schema, only, exclude, existing)
    if not imported.entities:
        raise ImportRefused(f"no new table to import from {_described(db)}; nothing was written")
    name = _project_name(db)
    project_values = {"name": name, "database": "mysql" if db.kind == "mysql" else db.kind}
    for _ in range(100):
        text = spec_text(imported, _described(db), project_values, existing_text)
        try:
            spec = validate(text, name, output.name)
        except SpecError as error:
            if _drop_default(imported, error):
                continue
            raise ImportRefused(
                f"the imported spec would not load ({error}); nothing was written"
            ) from None
        break
    write_files(output.parent, {output.name: text})
    return ImportResult(output, imported, spec, existing is not None, _described(db))


def _described(db: Target) -> str:
    if db.kind == "sqlite":
        return f"sqlite database {Path(db.name.removeprefix('file:')).name!r}"
    return db.describe()


def _project_name(db: Target) -> str:
    raw = Path(db.name.removeprefix("file:")).stem if db.kind == "sqlite" else db.name
    name = attribute_name(raw or "imported").rstrip("_")
    return name if naming.PACKAGE_NAME.match(name) else "imported"


def table_map(db: Target) -> dict[str, Mapped]:
    """Source table -> target table and columns, as `forge import` names them."""
    return import_schema(reflect(db)).tables


__all__ = [
    "DatabaseError",
    "ImportRefused",
    "ImportResult",
    "Note",
    "import_database",
    "table_map",
]
