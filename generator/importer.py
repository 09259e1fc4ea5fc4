"""`forge import`: a live database's schema -> forge.yaml.

The schema is read with SQLAlchemy's inspector (SQLite, PostgreSQL, MySQL/MariaDB) and
turned into the spec the current forge can express. What it cannot express is never
dropped silently: each such item becomes a `Note` (`table.column: what; what forge did
instead`), printed at the end of the command's output and written as comments into the
file. The written spec is validated by forge's own reader before anything is written.

| in the database                              | in forge.yaml                                  |
|----------------------------------------------|------------------------------------------------|
| a table                                      | an entity `<Singular>` (table kept)            |
| its single integer primary key               | the automatic `id` (any other name: a note)    |
| another primary key (text, composite)        | `id` added; the columns kept as fields (note)  |
| a single-column foreign key to an entity     | many_to_one (one_to_one if unique) + inverse   |
| a table of exactly two such keys             | a many_to_many on the first key's entity       |
| created_at + updated_at / deleted_at         | `timestamps: true` / `soft_delete: true`       |
| composite unique/index, CHECK, ON UPDATE, .. | notes                                          |

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
_INTEGER_KINDS = ("int", "bigint")
_NOW_WORDS = ("current_timestamp", "now()", "current_timestamp()", "localtimestamp")
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_ASYNC_DRIVERS |= {"mysql": "mysql+aiomysql", "mariadb": "mysql+aiomysql"}
_ON_DELETE = {"CASCADE": "cascade", "SET NULL": "set_null", "RESTRICT": "restrict"}


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
            tables[name] = Table(
                name=name,
                columns=list(inspector.get_columns(name)),
                primary_key=list(
                    inspector.get_pk_constraint(name).get("constrained_columns") or []
                ),
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
        if schema.kind == "sqlite":
            note(
                f"{shown} on SQLite",
                "forge stores decimals on SQLite as scaled integers (BIGINT), so the "
                "generated models cannot read these values in place: copy them into a new "
                "database with `forge db load`",
            )
        return {"type": "decimal", "precision": precision, "scale": scale or 0}
    if isinstance(kind, types.BigInteger):
        return {"type": "bigint"}
    if isinstance(kind, (types.SmallInteger, mysql.TINYINT, mysql.MEDIUMINT, mysql.YEAR)):
        note(shown, "imported as int (INTEGER); the spec has no smaller integer type yet")
        return {"type": "int"}
    if isinstance(kind, types.Integer):
        return {"type": "int"}
    if isinstance(kind, types.DateTime):
        if schema.kind == "postgresql" and not kind.timezone:
            note(f"{shown} (without time zone)", "forge's datetime is TIMESTAMP WITH TIME ZONE")
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
        if not shown.startswith("VARCHAR"):
            note(shown, f"imported as str: VARCHAR({length})")
        return {"type": "str", "max_length": length}
    note(f"type {shown}", "forge has no type for it: the column is left out of the spec")
    return None


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


def _default(
    raw: Any, spec_type: dict[str, Any], place: str, notes: list[Note]
) -> tuple[bool, Any]:
    """The spec default for a server default, when there is a plain one."""
    if raw is None:
        return False, None
    text = str(raw).strip()
    if re.search(r"on update", text, re.IGNORECASE):
        notes.append(Note(place, f"ON UPDATE ({text})", "not kept: the spec has no onupdate yet"))
        text = re.split(r"(?i)\s+on update", text)[0].strip()
    if text.upper() == "NULL":
        return False, None
    value: Any = None
    plain = re.sub(r"::[\w .\"]+(\[\])?$", "", text).strip()
    while plain.startswith("(") and plain.endswith(")"):
        plain = plain[1:-1].strip()
    ftype = spec_type["type"]
    if plain.lower() in _NOW_WORDS and ftype in ("date", "datetime", "time"):
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
    if value is None:
        notes.append(
            Note(place, f"server default {text}", "not kept: the spec has no such default")
        )
        return False, None
    notes.append(
        Note(
            place,
            f"server default {text}",
            f"kept as `default: {value}` (applied by the application; the generated table "
            "has no DEFAULT clause)",
        )
    )
    return True, value


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


def _is_link(schema: Schema, table: Table, entities: set[str]) -> bool:
    """Exactly two columns, each a single-column foreign key to an imported entity's
    primary key, and together the primary key (or unique)."""
    if len(table.columns) != 2 or len(table.foreign_keys) != 2:
        return False
    names = {c["name"] for c in table.columns}
    for fk in table.foreign_keys:
        if len(fk["constrained_columns"]) != 1 or fk["referred_table"] not in entities:
            return False
        if fk["referred_columns"] != schema.tables[fk["referred_table"]].primary_key:
            return False
    covered = {fk["constrained_columns"][0] for fk in table.foreign_keys}
    keyed = set(table.primary_key) == names or any(set(u) == names for u in table.unique_sets())
    return covered == names and keyed


def _integer_key(schema: Schema, table: Table) -> bool:
    if len(table.primary_key) != 1:
        return False
    spec = field_type(schema, table, table.column(table.primary_key[0]), [])
    return spec is not None and spec["type"] in _INTEGER_KINDS


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
    existing_tables: dict[str, str] = {}
    taken_classes: set[str] = set()
    attributes: dict[str, set[str]] = {}
    if existing is not None:
        for entity in existing.entities:
            existing_tables[entity.table] = entity.name
            taken_classes.add(entity.name)
            attributes[entity.name] = _attributes_of(entity)
        clash = [t for t in (only or []) if table_name(t) in existing_tables]
        if clash:
            raise ImportRefused(
                f"table {clash[0]} is already described by entity "
                f"{existing_tables[table_name(clash[0])]} in forge.yaml; nothing was written "
                "(leave it out of --tables)"
            )
        kept = [t for t in chosen if table_name(t) in existing_tables]
        for t in kept:
            notes.append(
                Note(t, "already in forge.yaml", f"kept as entity {existing_tables[table_name(t)]}")
            )
        chosen = [t for t in chosen if table_name(t) not in existing_tables]

    existing_classes = set(taken_classes)
    # entities: every chosen table but the pure link tables
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
    linkable = entity_tables | {t for t in schema.tables if table_name(t) in existing_tables}
    links = [
        t
        for t in chosen
        if _is_link(schema, schema.tables[t], linkable)
        and any(fk["referred_table"] in entity_tables for fk in schema.tables[t].foreign_keys)
    ]
    for t in links:
        taken_classes.discard(classes.pop(t))
    # targets of relations: imported entities with an integer key, and existing entities
    targets: dict[str, str] = {
        t: c for t, c in classes.items() if _integer_key(schema, schema.tables[t])
    }
    for t in schema.tables:
        if t not in classes and table_name(t) in existing_tables:
            targets[t] = existing_tables[table_name(t)]

    entities: dict[str, dict[str, Any]] = {}
    mapped: dict[str, Mapped] = {}
    pending_relations: list[tuple[str, str, dict[str, Any], str]] = []
    for t, cls in classes.items():
        table = schema.tables[t]
        data, columns = _entity(schema, table, cls, targets, notes, pending_relations)
        entities[cls] = data
        source_columns = [c["name"] for c in table.columns]
        mapped[t] = Mapped(data.get("table", naming.table_name(cls)), columns, source_columns)
        attributes[cls] = set(data.get("fields", {})) | set(columns.values())
        if data.get("timestamps"):
            attributes[cls] |= {"created_at", "updated_at"}
        if data.get("soft_delete"):
            attributes[cls].add("deleted_at")
    # relations (from foreign keys), with inverses chosen once every entity's names are known
    for cls, relation, options, source in pending_relations:
        relations = entities[cls].setdefault("relations", {})
        taken = attributes[cls]
        name = relation
        if name in taken:
            name = f"{relation}_ref"
            notes.append(Note(source, f"relation name {relation!r} is taken", f"named it {name!r}"))
        relations[name] = options
        taken.add(name)
        target = options["target"]
        inverse = naming.snake_case(cls)
        if options["kind"] == "many_to_one":
            inverse = naming.plural(inverse)
        options["inverse"] = _free(inverse, name, attributes.setdefault(target, set()))
    for t in links:
        _link(schema, schema.tables[t], classes | targets, entities, attributes, mapped, notes)
    for t in schema.tables:  # an existing entity's foreign key to a new table
        owner = existing_tables.get(table_name(t)) if t not in classes else None
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
    _cycles(entities, notes)
    order = {t: i for i, t in enumerate(known)}
    notes.sort(key=lambda n: (order.get(n.place.split(".")[0], -1), n.place))
    sources = {cls: t for t, cls in classes.items()}
    return Imported(entities, sources, notes, mapped, links)


def _attributes_of(entity: Any) -> set[str]:
    names = {f.name for f in entity.fields} | {r.name for r in entity.relations}
    names |= {naming.fk_column(r.name) for r in entity.relations}
    return names | {"created_at", "updated_at", "deleted_at"}


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
    relations: list[tuple[str, str, dict[str, Any], str]],
) -> tuple[dict[str, Any], dict[str, str]]:
    data: dict[str, Any] = {}
    columns: dict[str, str] = {}
    spec_table = table_name(table.name)
    if spec_table != table.name:
        notes.append(
            Note(
                table.name,
                f"table name {table.name}",
                f"named {spec_table} (no table: option keeps case yet)",
            )
        )
    if spec_table != naming.table_name(cls):
        data["table"] = spec_table
    key = table.primary_key
    if _integer_key(schema, table):
        columns[key[0]] = "id"
        if key[0] != "id":
            notes.append(
                Note(
                    f"{table.name}.{key[0]}",
                    "primary key not named id",
                    "forge names it id (no primary-key option yet)",
                )
            )
        column = table.column(key[0])
        described = field_type(schema, table, column, [])
        if described is not None and described["type"] == "bigint":
            notes.append(
                Note(f"{table.name}.{key[0]}", "BIGINT primary key", "forge's id is INTEGER")
            )
        if schema.kind != "sqlite" and not column.get("autoincrement", True):
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
                "(no primary-key option yet)",
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
                    f"foreign key to {referred}, which is not imported or has no integer key",
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
        relation_columns[constrained[0]] = fk

    # A unique index is forge's `unique: true, index: true` only under forge's index name;
    # otherwise it is a unique constraint (MySQL reports those as indexes too).
    uniques = {u[0] for u in table.unique_sets() if len(u) == 1}
    indexed = {
        i["column_names"][0]
        for i in table.indexes
        if len(i["column_names"]) == 1
        and (not i.get("unique") or i["name"] == f"ix_{table.name}_{i['column_names'][0]}")
    }
    names = {c["name"] for c in table.columns}
    timestamps = _has_timestamps(schema, table)
    if timestamps:
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
                notes.append(Note(place, f"foreign key ON UPDATE {update}", "not kept"))
            fk_column = naming.fk_column(relation)
            if fk_column != name:
                notes.append(
                    Note(
                        place,
                        f"column name {name}",
                        f"forge names the column {fk_column} (no column: option yet)",
                    )
                )
            if name not in uniques and name not in indexed:
                notes.append(
                    Note(place, "foreign key without an index", f"forge indexes {fk_column}")
                )
            columns[name] = fk_column
            relations.append((cls, relation, options, place))
            continue
        spec_type = field_type(schema, table, column, notes)
        if spec_type is None:
            continue
        attribute = attribute_name(name)
        if attribute in fields or attribute in columns.values():
            attribute = f"{attribute}_{len(fields)}"
        if attribute != name:
            notes.append(
                Note(place, f"column name {name}", f"named {attribute} (no column: option yet)")
            )
        values = dict(spec_type)
        natural_key = key == [name]  # a key forge cannot keep: a unique, required field
        if column["nullable"] and not natural_key:
            values["nullable"] = True
        if name in uniques or natural_key:
            values["unique"] = True
        if name in indexed and values["type"] not in ("json", "bytes", "text"):
            values["index"] = True
        elif name in indexed or (name in uniques and values["type"] in ("json", "bytes", "text")):
            values.pop("unique", None)
            notes.append(Note(place, f"index or unique on a {values['type']} column", "not kept"))
        has, default = _default(column.get("default"), spec_type, place, notes)
        if has:
            values["default"] = default
        comment = column.get("comment")
        if comment:
            values["description"] = str(comment)
        fields[attribute] = values
        columns[name] = attribute
    if fields:
        data["fields"] = fields
    for group in table.unique_sets():
        if len(group) > 1 and set(group) != set(key):
            notes.append(
                Note(
                    table.name, f"unique ({', '.join(group)})", "not kept (no composite unique yet)"
                )
            )
    for index in table.indexes:
        group = tuple(index["column_names"])
        if len(group) > 1 and not index.get("unique"):
            notes.append(
                Note(
                    table.name,
                    f"index {index['name']} ({', '.join(str(c) for c in group)})",
                    "not kept (no composite index yet)",
                )
            )
        elif len(group) == 1 and group[0] in columns and not index.get("unique"):
            expected = f"ix_{spec_table}_{columns[group[0]]}"
            if index["name"] != expected:
                notes.append(
                    Note(
                        f"{table.name}.{group[0]}",
                        f"index name {index['name']}",
                        f"forge names it {expected}",
                    )
                )
    for check in table.checks:
        text = str(check.get("sqltext", ""))
        if "json_valid" in text:
            continue
        notes.append(
            Note(
                table.name,
                f"CHECK {check.get('name') or ''} ({text})".replace("CHECK  ", "CHECK "),
                "not kept (no checks yet)",
            )
        )
    return data, columns


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
    """A pure link table: a many_to_many on the entity of its first column."""
    by_column = {fk["constrained_columns"][0]: fk for fk in table.foreign_keys}
    first, second = (by_column[c["name"]] for c in table.columns)
    left, right = classes[first["referred_table"]], classes[second["referred_table"]]
    if left not in entities:  # declared on an existing entity: use the other side
        first, second, left, right = second, first, right, left
    left_table = entities[left].get("table", naming.table_name(left))
    right_table = (  # an existing entity's table is the snake_case of the source table
        entities[right].get("table", naming.table_name(right))
        if right in entities
        else table_name(second["referred_table"])
    )
    relation = naming.plural(_relation_name(second["constrained_columns"][0]))
    relation = _free(relation, "with", attributes.setdefault(left, set()))
    options: dict[str, Any] = {"kind": "many_to_many", "target": right}
    if left != right:
        options["inverse"] = _free(
            naming.plural(naming.snake_case(left)), relation, attributes.setdefault(right, set())
        )
    spec_table = table_name(table.name)
    if spec_table != naming.link_table(left_table, right_table):
        options["link_table"] = spec_table
    if spec_table != table.name:
        notes.append(Note(table.name, f"table name {table.name}", f"named {spec_table}"))
    left_column, right_column = naming.link_columns(left_table, right_table, relation)
    columns = {
        first["constrained_columns"][0]: left_column,
        second["constrained_columns"][0]: right_column,
    }
    for source, target in columns.items():
        if source != target:
            notes.append(
                Note(
                    f"{table.name}.{source}",
                    f"column name {source}",
                    f"forge names the column {target}",
                )
            )
    for fk in (first, second):
        rule = (fk.get("options") or {}).get("ondelete")
        if (rule or "").upper() != "CASCADE":
            notes.append(
                Note(
                    f"{table.name}.{fk['constrained_columns'][0]}",
                    f"ON DELETE {rule or 'NO ACTION'}",
                    "forge deletes link rows with either side (CASCADE)",
                )
            )
    entities[left].setdefault("relations", {})[relation] = options
    mapped[table.name] = Mapped(spec_table, columns, list(columns))
    notes.append(Note(table.name, "link table", f"imported as {left}.{relation} (many_to_many)"))


def _cycles(entities: dict[str, dict[str, Any]], notes: list[Note]) -> None:
    """Foreign keys that form a cycle: forge's first migration creates the tables in an
    order that cannot work on PostgreSQL and MariaDB yet (no use_alter)."""
    edges: dict[str, set[str]] = {name: set() for name in entities}
    for name, data in entities.items():
        for options in (data.get("relations") or {}).values():
            if options["kind"] in ("many_to_one", "one_to_one") and options["target"] != name:
                if options["target"] in edges:
                    edges[name].add(options["target"])
    seen: set[frozenset[str]] = set()

    def reach(start: str) -> set[str]:
        found: set[str] = set()
        stack = [start]
        while stack:
            for nxt in edges[stack.pop()]:
                if nxt not in found:
                    found.add(nxt)
                    stack.append(nxt)
        return found

    closure = {name: reach(name) for name in edges}
    for name in edges:
        if name in closure[name]:
            group = frozenset(n for n in edges if n in closure[name] and name in closure[n])
            if group not in seen:
                seen.add(group)
                notes.append(
                    Note(
                        " <-> ".join(sorted(group)),
                        "foreign keys form a cycle",
                        "kept as relations, but the generated first migration cannot create "
                        "these tables on PostgreSQL or MariaDB yet (no use_alter)",
                    )
                )


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
    for cls, data in imported.entities.items():
        entry = CommentedMap()
        for key in ("table", "timestamps", "soft_delete"):
            if key in data:
                entry[key] = data[key]
        if data.get("fields"):
            fields = CommentedMap()
            for name, values in data["fields"].items():
                fields[name] = _entry(canonical(values, FIELD_ORDER))
            entry["fields"] = fields
        if data.get("relations"):
            relations = CommentedMap()
            for name, values in data["relations"].items():
                relations[name] = _flow(canonical(values, RELATION_ORDER))
            entry["relations"] = relations
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
    if len(parts) != 5 or parts[0] != "entities" or parts[2] != "fields" or parts[4] != "default":
        return False
    fields = imported.entities.get(parts[1], {}).get("fields", {})
    if parts[3] not in fields or "default" not in fields[parts[3]]:
        return False
    value = fields[parts[3]].pop("default")
    source = imported.sources[parts[1]]
    imported.notes.append(
        Note(f"{source}.{parts[3]}", f"default {value!r}", f"left out ({error.message})")
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
