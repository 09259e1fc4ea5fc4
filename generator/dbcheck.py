"""`forge db check`: does the live database have exactly the schema the spec describes?

Alembic's `check` compares the models with the database, but it is blind to enum values
(PostgreSQL types, MySQL ENUM columns), server defaults, constraint and index names,
foreign-key rules and CHECK constraints. `forge db check` compares like with like
instead: it builds the schema a fresh `upgrade head` of the current spec would create, in
a scratch place on the *same* server, reflects both through SQLAlchemy's inspector, and
lists every difference.

| database   | scratch place                                 | cleaned up by              |
|------------|-----------------------------------------------|----------------------------|
| SQLite     | a temporary file                              | deleting the folder        |
| PostgreSQL | a schema inside a transaction                 | rolling the transaction back |
| MySQL      | a database `forgecheck_<random>`              | DROP DATABASE (finally)    |

Because both sides are reflected by the same dialect from the same server, types, defaults
and names compare as text with no per-database normalisation. CHECK constraints (the
spec's `checks:`) compare by name and by the expression as the server reflects it.
Nothing in the user's database is changed. The result is one line per difference, empty
when they agree.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.db import DatabaseError, Target, _engine, run

IGNORED_TABLES = frozenset({"alembic_version"})


@dataclass
class Table:
    """What reflection tells about one table, as comparable text."""

    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    primary_key: tuple[tuple[str, ...], str] = ((), "")
    foreign_keys: set[str] = field(default_factory=set)
    indexes: set[str] = field(default_factory=set)
    uniques: set[str] = field(default_factory=set)
    checks: set[str] = field(default_factory=set)


@dataclass
class Schema:
    tables: dict[str, Table] = field(default_factory=dict)
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)  # PostgreSQL types


def check(db: Target, project: Path) -> list[str]:
    """One line per difference between the database and the spec's schema (empty: equal)."""
    from app.models import metadata

    async def work() -> list[str]:
        if db.kind == "sqlite":
            live, expected = await _sqlite(db, metadata)
        elif db.kind == "postgresql":
            live, expected = await _postgresql(db, metadata)
        else:
            live, expected = await _mysql(db, metadata)
        return differences(live, expected)

    return run(db, work)


# ------------------------------------------------------------------ scratch schemas


async def _sqlite(db: Target, metadata: Any) -> tuple[Schema, Schema]:
    live = await _reflect_url(db.url, None)
    with tempfile.TemporaryDirectory(prefix="forge-check-") as folder:
        url = db.url.set(database=str(Path(folder) / "expected.db"))
        engine = _engine(url)
        try:
            async with engine.begin() as connection:
                await connection.run_sync(metadata.create_all)
        finally:
            await engine.dispose()
        expected = await _reflect_url(url, None)
    return live, expected


async def _postgresql(db: Target, metadata: Any) -> tuple[Schema, Schema]:
    from sqlalchemy import text

    scratch = f"forgecheck_{uuid.uuid4().hex[:12]}"
    engine = _engine(db.url)
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            try:
                live = await connection.run_sync(lambda sync: reflect(sync, None))
                await connection.execute(text(f'CREATE SCHEMA "{scratch}"'))
                await connection.run_sync(lambda sync: _create_in(sync, metadata, scratch))
                expected = await connection.run_sync(lambda sync: reflect(sync, scratch))
            finally:
                await transaction.rollback()  # the scratch schema never existed
    finally:
        await engine.dispose()
    return live, expected


async def _mysql(db: Target, metadata: Any) -> tuple[Schema, Schema]:
    from sqlalchemy import text

    from generator.db import _server_url

    scratch = f"forgecheck_{uuid.uuid4().hex[:12]}"
    live = await _reflect_url(db.url, None)
    server = _engine(_server_url(db), isolation_level="AUTOCOMMIT")
    try:
        async with server.connect() as connection:
            try:
                await connection.execute(text(f"CREATE DATABASE `{scratch}` CHARACTER SET utf8mb4"))
            except Exception as exc:
                raise DatabaseError(
                    f"forge db check builds the expected schema in a scratch database and "
                    f"could not create one on {db.where} ({_first_line(exc)}); grant CREATE "
                    "and DROP on forgecheck_* to the user"
                ) from None
            try:
                engine = _engine(db.url)
                try:
                    async with engine.begin() as target:
                        await target.run_sync(lambda sync: _create_in(sync, metadata, scratch))
                        expected = await target.run_sync(lambda sync: reflect(sync, scratch))
                finally:
                    await engine.dispose()
            finally:
                await connection.execute(text(f"DROP DATABASE IF EXISTS `{scratch}`"))
    finally:
        await server.dispose()
    return live, expected


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    return (str(original).strip().splitlines() or [type(original).__name__])[0]


def _create_in(sync: Any, metadata: Any, schema: str) -> None:
    """Create the models' tables in `schema` (the same DDL a fresh upgrade would run)."""
    translated = sync.execution_options(schema_translate_map={None: schema})
    try:
        metadata.create_all(translated, checkfirst=False)
    finally:
        sync.execution_options(schema_translate_map=None)


async def _reflect_url(url: Any, schema: str | None) -> Schema:
    engine = _engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda sync: reflect(sync, schema))  # type: ignore[no-any-return]
    finally:
        await engine.dispose()


# ------------------------------------------------------------------ reflection


def reflect(sync: Any, schema: str | None) -> Schema:
    """Read one schema through SQLAlchemy's inspector into comparable text."""
    from sqlalchemy import inspect

    inspector = inspect(sync)
    dialect = sync.dialect
    result = Schema()
    for name in inspector.get_table_names(schema=schema):
        if name in IGNORED_TABLES:
            continue
        table = Table()
        for column in inspector.get_columns(name, schema=schema):
            table.columns[column["name"]] = {
                "type": _type_text(column["type"], dialect),
                "nullable": "NULL allowed" if column["nullable"] else "NOT NULL",
                "default": str(column.get("default") or ""),
            }
        pk = inspector.get_pk_constraint(name, schema=schema)
        table.primary_key = (tuple(pk.get("constrained_columns") or ()), pk.get("name") or "")
        for fk in inspector.get_foreign_keys(name, schema=schema):
            options = fk.get("options") or {}
            rule = str(options.get("ondelete") or "NO ACTION").upper()
            table.foreign_keys.add(
                f"({', '.join(fk['constrained_columns'])}) -> {fk['referred_table']}"
                f"({', '.join(fk['referred_columns'])}) ON DELETE {rule}"
            )
        for index in inspector.get_indexes(name, schema=schema):
            if index.get("duplicates_constraint"):
                continue  # MySQL lists a unique constraint's index again
            kind = "unique index" if index.get("unique") else "index"
            columns = ", ".join(str(c) for c in index["column_names"])
            table.indexes.add(f"{kind} {index['name']} ({columns})")
        for unique in inspector.get_unique_constraints(name, schema=schema):
            label = f"{unique['name']} " if unique.get("name") else ""
            table.uniques.add(f"unique constraint {label}({', '.join(unique['column_names'])})")
        try:
            checks = inspector.get_check_constraints(name, schema=schema)
        except NotImplementedError:
            checks = []
        for check_ in checks:
            label = f"{check_['name']} " if check_.get("name") else ""
            table.checks.add(f"check {label}({' '.join(str(check_['sqltext']).split())})")
        result.tables[name] = table
    if dialect.name == "postgresql":
        for enum in inspector.get_enums(schema=schema or "public"):
            result.enums[enum["name"]] = tuple(enum["labels"])
    if schema is not None:
        return _without_schema(result, schema)
    return result


def _type_text(type_: Any, dialect: Any) -> str:
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:  # a type this dialect reflects but cannot render
        return repr(type_)


def _without_schema(schema_: Schema, name: str) -> Schema:
    """Forget the scratch schema's name where reflection wrote it (enum types, sequences)."""

    def clean(text: str) -> str:
        return text.replace(f'"{name}".', "").replace(f"{name}.", "").replace(f"`{name}`.", "")

    for table in schema_.tables.values():
        for column in table.columns.values():
            for key, value in column.items():
                column[key] = clean(value)
        table.foreign_keys = {clean(fk) for fk in table.foreign_keys}
        table.checks = {clean(check_) for check_ in table.checks}
    return schema_


# ------------------------------------------------------------------ comparison


def differences(live: Schema, expected: Schema) -> list[str]:
    """Lines naming each difference: what the database has, and what the spec says."""
    lines: list[str] = []
    for name in sorted(expected.tables.keys() - live.tables.keys()):
        lines.append(f"{name}: table missing from the database (the spec has it)")
    for name in sorted(live.tables.keys() - expected.tables.keys()):
        lines.append(f"{name}: table in the database is not in the spec")
    for name in sorted(expected.tables.keys() & live.tables.keys()):
        lines.extend(_table_differences(name, live.tables[name], expected.tables[name]))
    for name in sorted(expected.enums.keys() | live.enums.keys()):
        have, want = live.enums.get(name), expected.enums.get(name)
        if have == want:
            continue
        if have is None:
            lines.append(f"enum type {name}: missing from the database (the spec has it)")
        elif want is None:
            lines.append(f"enum type {name}: in the database is not in the spec")
        else:
            lines.append(
                f"enum type {name}: values {_list(have)} in the database, the spec says "
                f"{_list(want)}"
            )
    return lines


def _table_differences(name: str, live: Table, expected: Table) -> Iterable[str]:
    for column in sorted(expected.columns.keys() - live.columns.keys()):
        yield f"{name}.{column}: column missing from the database (the spec has it)"
    for column in sorted(live.columns.keys() - expected.columns.keys()):
        yield f"{name}.{column}: column in the database is not in the spec"
    for column in sorted(expected.columns.keys() & live.columns.keys()):
        have, want = live.columns[column], expected.columns[column]
        for aspect in ("type", "nullable", "default"):
            if have[aspect] != want[aspect]:
                label = {"type": "type ", "nullable": "", "default": "server default "}[aspect]
                yield (
                    f"{name}.{column}: {label}{have[aspect] or 'none'} in the database, "
                    f"the spec says {want[aspect] or 'none'}"
                )
    if live.primary_key != expected.primary_key:
        yield (
            f"{name}: primary key {_pk(live.primary_key)} in the database, the spec says "
            f"{_pk(expected.primary_key)}"
        )
    for label, have_set, want_set in (
        ("foreign key", live.foreign_keys, expected.foreign_keys),
        ("index", live.indexes, expected.indexes),
        ("unique", live.uniques, expected.uniques),
        ("check", live.checks, expected.checks),
    ):
        for item in sorted(want_set - have_set):
            yield f"{name}: {_prefixed(label, item)} missing from the database (the spec has it)"
        for item in sorted(have_set - want_set):
            yield f"{name}: {_prefixed(label, item)} in the database is not in the spec"


def _prefixed(label: str, item: str) -> str:
    return item if item.startswith(("unique", "index", "check")) else f"{label} {item}"


def _pk(key: tuple[tuple[str, ...], str]) -> str:
    columns, name = key
    return f"{name + ' ' if name else ''}({', '.join(columns)})"


def _list(values: Iterable[str]) -> str:
    return "[" + ", ".join(values) + "]"
