"""`forge db backup` and `forge db restore`: every row of the project's database in one
portable, verified file.

The file is gzip-compressed JSON lines (`.jsonl.gz`), readable with `zcat`:

    {"format": "forge-backup", "version": 1, "revision": [...], "tables": [...], ...}
    {"table": "artist"}                     one line opening each table, then its rows:
    [1, "AC/DC"]                            one JSON array per row, in the header's columns
    ...
    {"manifest": {"artist": {"rows": 275, "checksum": "..."}, ...}, "content": "..."}

Values are written in a canonical form decided by the column's kind, so that the same
data gives the same file on every database:

    kind      written as                      kind      written as
    int       JSON number                     date      "2009-01-01"
    float     JSON number                     time      "08:30:00"
    decimal   "0.99" (at the column's scale)  uuid      "0c6f...-..." (lower case)
    bool      true / false                    bytes     base64 text
    str       JSON string                     json      the JSON value itself
    char      JSON string without trailing spaces (a CHAR(n) column: PostgreSQL returns
              the value padded to n, MySQL strips the padding, SQLite keeps what was given)
    enum      the value stored in the database
    datetime  "2009-01-01T00:00:00", as a UTC instant (aware values are converted to UTC;
              naive ones are taken as UTC already)

A table's checksum is the sum (mod 2**256) of the SHA-256 of each row's line, so it does
not depend on the order in which a database returns rows; the manifest's "content" is the
SHA-256 of every line before it. The manifest comes last: a truncated file has none and
is refused. Restore checks the whole file before it touches the target, inserts in one
transaction, recomputes counts and checksums from the target before committing, and
advances PostgreSQL sequences / MySQL auto-increments after.

Column kinds come from the project's models where the table and column exist there, else
from the database's own (reflected) type; which tables and columns exist always comes
from the database, so a backup taken before `forge db upgrade` describes the old schema.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import gzip
import hashlib
import json
import os
import sys
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from generator.db import DatabaseError, Target, _engine, alembic, run


class Refused(DatabaseError):
    """A runtime refusal (exit code 1): the operation would lose or mix up data."""

    exit_code = 1


FORMAT = "forge-backup"
VERSION = 1
BATCH = 1000
BACKUP_DIR = "backups"
VERSION_TABLE = "alembic_version"
_MODULUS = 2**256


# ----------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    scale: int | None = None
    timezone: bool = False

    def header(self) -> list[Any]:
        return [self.name, self.kind, self.scale]


def kind_of(column_type: Any) -> str:
    """The canonical kind of an SQLAlchemy type (generic or dialect-specific)."""
    from sqlalchemy import types

    if isinstance(column_type, types.TypeDecorator):  # e.g. ExactDecimal: its NUMERIC
        column_type = column_type.impl_instance
    checks: tuple[tuple[type[Any], str], ...] = (
        (types.Enum, "enum"),
        (types.Boolean, "bool"),
        (types.Float, "float"),
        (types.Numeric, "decimal"),
        (types.Integer, "int"),
        (types.DateTime, "datetime"),
        (types.Date, "date"),
        (types.Time, "time"),
        (types.Uuid, "uuid"),
        (types.JSON, "json"),
        (types._Binary, "bytes"),
        (types.CHAR, "char"),
        (types.NCHAR, "char"),
    )
    for cls, kind in checks:
        if isinstance(column_type, cls):
            return kind
    return "str"


def describe_column(name: str, column_type: Any) -> Column:
    kind = kind_of(column_type)
    scale = getattr(column_type, "scale", None) if kind == "decimal" else None
    timezone = bool(getattr(column_type, "timezone", False)) if kind == "datetime" else False
    return Column(name, kind, scale, timezone)


def encode(column: Column, value: Any, column_type: Any = None) -> Any:
    """A database value in its canonical JSON form (see the module docstring)."""
    if value is None:
        return None
    kind = column.kind
    if kind == "int":
        return int(value)
    if kind == "bool":
        return bool(value)
    if kind == "float":
        return float(value)
    if kind == "decimal":
        exact = value if isinstance(value, Decimal) else Decimal(str(value))
        if column.scale is not None:
            exact = exact.quantize(Decimal(1).scaleb(-column.scale))
        return format(exact, "f")
    if kind == "datetime":
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return str(value.isoformat())
    if kind in ("date", "time"):
        if isinstance(value, dt.time):
            value = value.replace(tzinfo=None)
        return value if isinstance(value, str) else str(value.isoformat())
    if kind == "uuid":
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "json":
        return json.loads(value) if isinstance(value, (str, bytes)) else value
    if kind == "enum":
        if isinstance(value, enum.Enum):
            by_value = column_type is not None and getattr(column_type, "values_callable", None)
            return str(value.value if by_value else value.name)
        return str(value)
    if kind == "char":  # trailing spaces are padding in CHAR(n), not part of the value
        return str(value).rstrip(" ")
    return str(value)


def decode(column: Column, value: Any, timezone: bool) -> Any:
    """The Python value to insert for a canonical value (the inverse of `encode`)."""
    if value is None:
        return None
    kind = column.kind
    if kind == "decimal":
        return Decimal(value)
    if kind == "datetime":
        instant = dt.datetime.fromisoformat(value)
        return instant.replace(tzinfo=dt.UTC) if timezone else instant
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "time":
        return dt.time.fromisoformat(value)
    if kind == "uuid":
        return uuid.UUID(value)
    if kind == "bytes":
        return base64.b64decode(value)
    if kind == "float":
        return float(value)
    return value


def line(values: list[Any]) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class Checksum:
    """Order-independent checksum of a table's rows: the sum of their SHA-256 digests."""

    def __init__(self) -> None:
        self.rows = 0
        self.total = 0

    def add(self, text: str) -> None:
        self.rows += 1
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        self.total = (self.total + int.from_bytes(digest, "big")) % _MODULUS

    @property
    def hex(self) -> str:
        return f"{self.total:064x}"

    def as_manifest(self) -> dict[str, Any]:
        return {"rows": self.rows, "checksum": self.hex}


# ----------------------------------------------------------------------------- progress


class Progress:
    """A progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total: int, verb: str) -> None:
        self.total, self.verb, self.done = max(total, 1), verb, 0
        self.shown = sys.stderr.isatty()

    def advance(self, rows: int, table: str) -> None:
        self.done += rows
        if not self.shown:
            return
        width = 30
        filled = min(width, width * self.done // self.total)
        sys.stderr.write(
            f"\r{self.verb} [{'#' * filled}{'.' * (width - filled)}] "
            f"{self.done:,}/{self.total:,} rows  {table:<24.24}"
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 90 + "\r")
            sys.stderr.flush()


# ----------------------------------------------------------------------------- schema


@dataclass
class TableInfo:
    name: str
    columns: list[Column]
    types: dict[str, Any]  # column name -> SQLAlchemy type used to read and write it
    key: list[str]  # primary-key columns (every column when there is none)
    autoincrement: str | None = None  # the single integer key column, if any
    references: list[tuple[str, str]] = field(default_factory=list)  # (column, table)
    nullable: dict[str, bool] = field(default_factory=dict)

    def clause(self) -> Any:
        from sqlalchemy import column, table

        return table(self.name, *(column(c.name, self.types[c.name]) for c in self.columns))


def _schema(sync: Any) -> tuple[dict[str, TableInfo], list[str]]:
    """The database's tables (without alembic_version), typed from the models where they
    agree, and their names in foreign-key order (parents first)."""
    from sqlalchemy import Integer, MetaData
    from sqlalchemy.sql.ddl import sort_tables_and_constraints

    try:
        from app.models import metadata as models
    except Exception:  # a project whose models cannot be imported: the database types
        models = MetaData()
    reflected = MetaData()
    reflected.reflect(bind=sync)
    tables: dict[str, TableInfo] = {}
    for name, table in reflected.tables.items():
        if name == VERSION_TABLE:
            continue
        model = models.tables.get(name)
        columns, types = [], {}
        for col in table.columns:
            model_column = model.columns.get(col.name) if model is not None else None
            column_type = model_column.type if model_column is not None else col.type
            columns.append(describe_column(col.name, column_type))
            types[col.name] = column_type
        key = [c.name for c in table.primary_key.columns] or [c.name for c in table.columns]
        auto = None
        if len(table.primary_key.columns) == 1:
            only = next(iter(table.primary_key.columns))
            if isinstance(types[only.name], Integer) and only.autoincrement in (True, "auto"):
                auto = only.name
        references = [
            (fk.parent.name, fk.column.table.name)
            for fk in table.foreign_keys
            if fk.column.table.name != VERSION_TABLE
        ]
        nullable = {c.name: bool(c.nullable) for c in table.columns}
        tables[name] = TableInfo(name, columns, types, key, auto, references, nullable)
    # In a cycle of foreign keys only the nullable keys may be set aside (their columns go
    # in NULL and are filled in afterwards, see _deferred): a NOT NULL key always orders.
    pairs = sort_tables_and_constraints(  # type: ignore[no-untyped-call]
        [reflected.tables[name] for name in sorted(tables)],
        filter_fn=lambda key: False if any(not c.nullable for c in key.columns) else None,
    )
    ordered = [t.name for t, _ in pairs if t is not None]
    return tables, ordered


def _current_revision(sync: Any) -> list[str]:
    from alembic.runtime.migration import MigrationContext

    return sorted(MigrationContext.configure(sync).get_current_heads())


# ----------------------------------------------------------------------------- backup


@dataclass
class BackupResult:
    path: Path
    tables: int
    rows: int
    revision: list[str]
    size: int

    def summary(self, db: Target, root: Path) -> str:
        shown = self.path.relative_to(root) if self.path.is_relative_to(root) else self.path
        return (
            f"backed up {self.rows:,} rows of {self.tables} tables from {db.describe()} at "
            f"revision {_revision_text(self.revision)} to {shown} ({_size(self.size)})"
        )


def _revision_text(revision: list[str]) -> str:
    return ", ".join(revision) if revision else "none"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    return f"{size / 1024:.1f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def default_path(root: Path, db: Target) -> Path:
    """backups/<database>-<UTC timestamp>.jsonl.gz, never an existing file."""
    stem = Path(db.name).stem if db.kind == "sqlite" else db.name
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    path = root / BACKUP_DIR / f"{stem or 'database'}-{stamp}.jsonl.gz"
    counter = 1
    while path.exists():
        counter += 1
        path = root / BACKUP_DIR / f"{stem or 'database'}-{stamp}-{counter}.jsonl.gz"
    return path


Layout = dict[str, tuple[str, list[tuple[str, Column]]]]


def backup(
    db: Target, root: Path, output: Path | None = None, layout: Layout | None = None
) -> BackupResult:
    """Write every row of the database to `output` (default: a new file under backups/).

    With `layout` (`forge db load`), only its tables are written, each under its target
    name, with the target's columns (a source column -> the target's Column): the values are
    written in the canonical form of the column they are going to."""
    path = default_path(root, db) if output is None else output.resolve()
    if path.exists():
        raise Refused(f"{path} already exists; choose another file with -o or delete it")
    if not path.parent.is_dir():
        if output is not None:
            raise Refused(f"cannot write {path}: folder {path.parent} does not exist")
        path.parent.mkdir(parents=True)
    partial = path.with_name(path.name + ".partial")

    async def work() -> BackupResult:
        from sqlalchemy import column, func, select, table

        engine = _engine(db.url)
        try:
            async with engine.connect() as connection:
                if db.kind != "sqlite":
                    connection = await connection.execution_options(
                        isolation_level="REPEATABLE READ"
                    )
                await connection.begin()  # PostgreSQL, MySQL: one consistent snapshot
                revision = await connection.run_sync(_current_revision)
                tables, ordered = await connection.run_sync(_schema)
                if layout is not None:
                    tables = {name: _laid_out(tables[name], *layout[name]) for name in layout}
                    ordered = [name for name in ordered if name in layout]
                counts = {
                    name: int(
                        (
                            await connection.execute(
                                select(func.count()).select_from(
                                    table(name, *(column(c) for c in tables[name].types))
                                )
                            )
                        ).scalar_one()
                    )
                    for name in ordered
                }
                progress = Progress(sum(counts.values()), "backup ")
                header = {
                    "format": FORMAT,
                    "version": VERSION,
                    "revision": revision,
                    "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "source": db.kind,
                    "tables": [
                        {
                            "name": tables[name].name,
                            "columns": [c.header() for c in tables[name].columns],
                        }
                        for name in ordered
                    ],
                }
                content = hashlib.sha256()
                manifest: dict[str, Any] = {}
                with gzip.open(partial, "wt", encoding="utf-8", newline="\n") as out:

                    def put(text_line: str) -> None:
                        content.update(text_line.encode("utf-8") + b"\n")
                        out.write(text_line + "\n")

                    put(json.dumps(header, sort_keys=True))
                    for name in ordered:
                        info = tables[name]
                        put(json.dumps({"table": info.name}))
                        checksum = Checksum()
                        clause = table(name, *(column(c, info.types[c]) for c in info.types))
                        statement = select(*(clause.c[c] for c in info.types)).order_by(
                            *(clause.c[k] for k in info.key)
                        )
                        result = await connection.stream(
                            statement.execution_options(yield_per=BATCH)
                        )
                        async for rows in result.partitions(BATCH):
                            for row in rows:
                                values = line(_encode_row(info, row))
                                checksum.add(values)
                                put(values)
                            progress.advance(len(rows), name)
                        manifest[info.name] = checksum.as_manifest()
                    out.write(
                        json.dumps({"manifest": manifest, "content": content.hexdigest()}) + "\n"
                    )
                progress.close()
                await connection.rollback()
        finally:
            await engine.dispose()
        os.replace(partial, path)
        return BackupResult(
            path,
            len(ordered),
            sum(entry["rows"] for entry in manifest.values()),
            revision,
            path.stat().st_size,
        )

    try:
        return run(db, work)
    finally:
        partial.unlink(missing_ok=True)


def _laid_out(info: TableInfo, target: str, columns: list[tuple[str, Column]]) -> TableInfo:
    """A source table read for another table: named `target`, its `types` (source column ->
    type, in the target's column order) read from the source, its `columns` the target's."""
    types = {source: info.types[source] for source, _ in columns}
    return TableInfo(target, [c for _, c in columns], types, info.key, references=[])


def _encode_row(info: TableInfo, row: Any) -> list[Any]:
    types = list(info.types.values())
    return [
        encode(column, value, column_type)
        for column, column_type, value in zip(info.columns, types, row, strict=True)
    ]


# ----------------------------------------------------------------------------- reading


@dataclass
class Backup:
    """A backup file whose every line has been checked."""

    path: Path
    header: dict[str, Any]
    manifest: dict[str, dict[str, Any]]

    @property
    def revision(self) -> list[str]:
        return list(self.header["revision"])

    @property
    def tables(self) -> list[tuple[str, list[Column]]]:
        return [
            (
                entry["name"],
                [Column(name, kind, scale) for name, kind, scale in entry["columns"]],
            )
            for entry in self.header["tables"]
        ]

    @property
    def rows(self) -> int:
        return sum(int(entry["rows"]) for entry in self.manifest.values())

    def lines(self) -> Iterator[tuple[str, list[Any]]]:
        """(table, row) for every row, in the file's order (it was checked already)."""
        table = ""
        with gzip.open(self.path, "rt", encoding="utf-8") as source:
            next(source)
            for text_line in source:
                value = json.loads(text_line)
                if isinstance(value, list):
                    yield table, value
                elif "table" in value:
                    table = value["table"]


class Damaged(Exception):
    pass


def read(path: Path) -> Backup:
    """Check a backup file from end to end (format, content hash, every table's row count
    and checksum) without touching any database. One-line DatabaseError when it fails."""
    if not path.is_file():
        raise Refused(f"no backup file {path}")
    try:
        return _read(path)
    except Damaged as exc:
        raise Refused(f"{path} is not a usable backup: {exc}; nothing was restored") from None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError) as exc:
        reason = (
            "it is truncated"
            if isinstance(exc, EOFError)
            else str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        )
        raise Refused(f"{path} is not a usable backup ({reason}); nothing was restored") from None


def _read(path: Path) -> Backup:
    content = hashlib.sha256()
    with gzip.open(path, "rt", encoding="utf-8") as source:
        first = source.readline()
        try:
            header = json.loads(first)
        except ValueError:
            raise Damaged("it is not a forge backup (no header line)") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise Damaged("it is not a forge backup (no header line)")
        if header.get("version") != VERSION:
            raise Damaged(f"format version {header.get('version')} (this forge reads {VERSION})")
        content.update(first.encode("utf-8"))
        columns = {entry["name"]: entry["columns"] for entry in header["tables"]}
        sums: dict[str, Checksum] = {}
        current: Checksum | None = None
        width = 0
        footer: dict[str, Any] | None = None
        for number, text_line in enumerate(source, start=2):
            if footer is not None:
                raise Damaged(f"line {number}: data after the manifest")
            value = json.loads(text_line)
            if isinstance(value, list):
                if current is None or len(value) != width:
                    raise Damaged(f"line {number}: a row that fits no table")
                content.update(text_line.encode("utf-8"))
                current.add(text_line.rstrip("\n"))
            elif isinstance(value, dict) and "table" in value:
                name = value["table"]
                if name not in columns or name in sums:
                    raise Damaged(f"line {number}: unexpected table {name!r}")
                content.update(text_line.encode("utf-8"))
                current = sums[name] = Checksum()
                width = len(columns[name])
            elif isinstance(value, dict) and "manifest" in value:
                footer = value
            else:
                raise Damaged(f"line {number}: not a row, a table or the manifest")
    if footer is None:
        raise Damaged("it is truncated (no manifest at the end)")
    if footer.get("content") != content.hexdigest():
        raise Damaged("its content does not match its checksum")
    manifest: dict[str, dict[str, Any]] = footer["manifest"]
    if set(manifest) != set(columns) or set(sums) != set(columns):
        raise Damaged("its tables do not match its manifest")
    for name, checksum in sums.items():
        if checksum.as_manifest() != manifest[name]:
            raise Damaged(f"table {name}: rows or checksum differ from the manifest")
    return Backup(path, header, manifest)


# ----------------------------------------------------------------------------- restore


@dataclass
class RestoreResult:
    tables: int
    rows: int
    revision: list[str]
    upgraded: bool
    advanced: int

    def summary(self, db: Target) -> str:
        upgraded = " (upgraded to it first)" if self.upgraded else ""
        advanced = f"; {self.advanced} key sequences advanced" if self.advanced else ""
        return (
            f"restored {self.rows:,} rows of {self.tables} tables into {db.describe()} at "
            f"revision {_revision_text(self.revision)}{upgraded}; row counts and checksums "
            f"verified for all {self.tables} tables{advanced}"
        )


@dataclass
class TargetState:
    revision: list[str]
    tables: dict[str, TableInfo]
    ordered: list[str]
    rows: dict[str, int]


def _inspect(db: Target) -> TargetState:
    async def work() -> TargetState:
        from sqlalchemy import func, select

        engine = _engine(db.url)
        try:
            async with engine.connect() as connection:
                revision = await connection.run_sync(_current_revision)
                tables, ordered = await connection.run_sync(_schema)
                rows = {
                    name: int(
                        (
                            await connection.execute(
                                select(func.count()).select_from(tables[name].clause())
                            )
                        ).scalar_one()
                    )
                    for name in ordered
                }
        finally:
            await engine.dispose()
        return TargetState(revision, tables, ordered, rows)

    return run(db, work)


def check_target(db: Target, root: Path, source: Backup) -> tuple[TargetState, bool]:
    """Refuse a target that has rows or another revision; upgrade an empty one that is
    behind the backup's revision. Returns its state and whether it was upgraded."""
    from alembic import command
    from alembic.script import ScriptDirectory

    state = _inspect(db)
    filled = {name: count for name, count in state.rows.items() if count}
    if filled:
        name, count = next(iter(filled.items()))
        raise Refused(
            f"{db.describe()} is not empty (table {name} has {count:,} rows): restore only "
            "into an empty database (`forge db drop --yes && forge db create`, or point "
            "DATABASE_URL at a new one)"
        )
    wanted = source.revision
    upgraded = False
    if state.revision != wanted:
        scripts = alembic(db, root, ScriptDirectory.from_config)
        known = {rev.revision for rev in scripts.walk_revisions()}
        missing = [rev for rev in wanted if rev not in known]
        if missing or not wanted:
            raise Refused(
                f"the backup was taken at revision {_revision_text(wanted)}, which this "
                f"project's migrations do not have; restore it in the project it came from "
                f"(or at a commit that has that revision)"
            )
        below = {
            rev.revision
            for rev in scripts.iterate_revisions(tuple(wanted), "base")
            if rev is not None and rev.revision not in wanted
        }
        if not all(rev in below for rev in state.revision):
            raise Refused(
                f"{db.describe()} is at revision {_revision_text(state.revision)} but the "
                f"backup was taken at {_revision_text(wanted)}: run `forge db downgrade "
                f"{wanted[0]}` on the empty database first, or restore into a new database"
            )
        alembic(db, root, lambda config: command.upgrade(config, wanted[0]))
        upgraded = True
        state = _inspect(db)
    for name, columns in source.tables:
        info = state.tables.get(name)
        if info is None:
            raise Refused(
                f"{db.describe()} has no table {name!r}, which the backup holds; the "
                "schema does not match the backup's revision"
            )
        have = {c.name for c in info.columns}
        lacking = [c.name for c in columns if c.name not in have]
        if lacking:
            raise Refused(
                f"{db.describe()}: table {name} has no column {lacking[0]!r}, which the "
                "backup holds"
            )
    return state, upgraded


def _deferred(state: TargetState) -> dict[str, list[str]]:
    """Foreign-key columns to insert as NULL and fill in afterwards: the ones that point to
    their own table or to a table inserted later (a cycle)."""
    position = {name: index for index, name in enumerate(state.ordered)}
    deferred: dict[str, list[str]] = {}
    for name in state.ordered:
        info = state.tables[name]
        for column, parent in info.references:
            if parent in position and position[parent] >= position[name]:
                if not info.nullable.get(column, True):
                    raise Refused(
                        f"cannot restore table {name}: its NOT NULL foreign key {column} "
                        f"points to {parent}, in a cycle of foreign keys"
                    )
                deferred.setdefault(name, []).append(column)
    return deferred


def restore(db: Target, root: Path, source: Backup) -> RestoreResult:
    """Restore a checked backup into an empty database (see the module docstring)."""
    state, upgraded = check_target(db, root, source)
    advanced = fill(db, state, source)
    order = [name for name in state.ordered if name in source.manifest]
    return RestoreResult(len(order), source.rows, source.revision, upgraded, advanced)


def fill(db: Target, state: TargetState, source: Backup, append: bool = False) -> int:
    """Insert the backup's rows in foreign-key order and batches, in one transaction that is
    committed only when every table's count and checksum match (with `append`, the rows
    already there are counted in); then advance the key sequences. Returns how many."""
    deferred = _deferred(state)
    order = [name for name in state.ordered if name in source.manifest]
    columns = dict(source.tables)

    async def insert(connection: Any) -> None:
        from sqlalchemy import bindparam

        progress = Progress(source.rows, "restore")
        pending: dict[str, list[dict[str, Any]]] = {}
        later: dict[str, list[dict[str, Any]]] = {}
        flushed: set[str] = set()

        async def flush(name: str) -> None:
            rows = pending.pop(name, [])
            if rows:
                await connection.execute(state.tables[name].clause().insert(), rows)
                progress.advance(len(rows), name)

        # The file holds each table's rows together, parents first (in the source's
        # foreign-key order): a table's rows go in by batches once its parents are all in;
        # if the target orders tables differently, they wait until the end.
        def ready(name: str) -> bool:
            return all(
                parent in flushed or parent == name or parent not in source.manifest
                for _, parent in state.tables[name].references
            )

        previous = ""
        for name, values in source.lines():
            if name != previous:
                if previous and ready(previous):
                    await flush(previous)
                    flushed.add(previous)
                previous = name
            info = state.tables[name]
            row = {
                column.name: decode(column, value, _timezone(info, column.name))
                for column, value in zip(columns[name], values, strict=True)
            }
            for column_name in deferred.get(name, []):
                if row[column_name] is not None:
                    later.setdefault(name, []).append(
                        {**{f"k_{k}": row[k] for k in info.key}, column_name: row[column_name]}
                    )
                    row[column_name] = None
            pending.setdefault(name, []).append(row)
            if len(pending[name]) >= BATCH and ready(name):
                await flush(name)
        for name in order:
            await flush(name)
            flushed.add(name)
        for name, updates in later.items():
            info = state.tables[name]
            clause = info.clause()
            for column_name in deferred[name]:
                subset = [u for u in updates if column_name in u]
                if not subset:
                    continue
                statement = (
                    clause.update()
                    .where(*(clause.c[k] == bindparam(f"k_{k}") for k in info.key))
                    .values({column_name: bindparam(column_name)})
                )
                await connection.execute(statement, subset)
        progress.close()

    async def work() -> int:
        from sqlalchemy import text

        engine = _engine(db.url)
        try:
            async with engine.connect() as connection:
                if db.kind == "sqlite":
                    await connection.execute(text("PRAGMA foreign_keys = ON"))
                    await connection.commit()
                async with connection.begin() as transaction:
                    before = await _sums(connection, state, source) if append else {}
                    await insert(connection)
                    problem = await _verify(connection, state, source, before)
                    if problem:
                        await transaction.rollback()
                        raise Refused(
                            f"restore verification failed ({problem}); the transaction "
                            "was rolled back and nothing was restored"
                        )
                return await _advance(connection, db, state)
        finally:
            await engine.dispose()

    return run(db, work)


def _timezone(info: TableInfo, name: str) -> bool:
    return bool(getattr(info.types[name], "timezone", False))


async def _checksum(connection: Any, info: TableInfo, columns: list[Column]) -> Checksum:
    """The count and checksum of a table's rows over `columns`, read from the database."""
    from sqlalchemy import select

    clause = info.clause()
    checksum = Checksum()
    statement = select(*(clause.c[c.name] for c in columns))
    result = await connection.stream(statement.execution_options(yield_per=BATCH))
    async for rows in result.partitions(BATCH):
        for row in rows:
            checksum.add(
                line(
                    [
                        encode(column, value, info.types[column.name])
                        for column, value in zip(columns, row, strict=True)
                    ]
                )
            )
    return checksum


async def _sums(connection: Any, state: TargetState, source: Backup) -> dict[str, Checksum]:
    return {
        name: await _checksum(connection, state.tables[name], columns)
        for name, columns in source.tables
    }


async def _verify(
    connection: Any, state: TargetState, source: Backup, before: dict[str, Checksum]
) -> str | None:
    """Recompute every table's count and checksum from the target; the first mismatch.
    `before`: the rows the tables held already (appending), counted in the expectation."""
    for name, columns in source.tables:
        checksum = await _checksum(connection, state.tables[name], columns)
        expected = dict(source.manifest[name])
        if name in before:
            expected["rows"] += before[name].rows
            total = int(expected["checksum"], 16) + before[name].total
            expected["checksum"] = f"{total % _MODULUS:064x}"
        if checksum.as_manifest() != expected:
            return (
                f"table {name}: {checksum.rows} rows, checksum {checksum.hex[:12]} after "
                f"restoring, but the backup has {expected['rows']} rows, checksum "
                f"{expected['checksum'][:12]}"
            )
    if state.tables and connection.dialect.name == "sqlite":
        from sqlalchemy import text

        problems = (await connection.execute(text("PRAGMA foreign_key_check"))).all()
        if problems:
            return f"foreign key check: {len(problems)} rows point to missing rows"
    return None


async def _advance(connection: Any, db: Target, state: TargetState) -> int:
    """Move PostgreSQL sequences / MySQL auto-increment counters past the restored keys."""
    from sqlalchemy import text

    if db.kind not in ("postgresql", "mysql"):
        return 0
    preparer = connection.dialect.identifier_preparer
    advanced = 0
    for name in state.ordered:
        column = state.tables[name].autoincrement
        if column is None:
            continue
        table_sql, column_sql = preparer.quote(name), preparer.quote(column)
        if db.kind == "postgresql":
            sequence = (
                await connection.execute(
                    text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table_sql, "c": column}
                )
            ).scalar()
            if sequence is None:
                continue
            await connection.execute(
                text(
                    f"SELECT setval(:s, (SELECT COALESCE(MAX({column_sql}), 0) + 1 "
                    f"FROM {table_sql}), false)"
                ),
                {"s": sequence},
            )
        else:
            top = (
                await connection.execute(text(f"SELECT MAX({column_sql}) FROM {table_sql}"))
            ).scalar()
            await connection.execute(
                text(f"ALTER TABLE {table_sql} AUTO_INCREMENT = {int(top or 0) + 1}")
            )
        advanced += 1
    await connection.commit()
    return advanced
