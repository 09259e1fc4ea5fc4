"""Schema changes that `forge db migrate` writes into migrations and Alembic cannot.

- renames of tables and columns that also rename the names built on them (indexes,
  unique and foreign-key constraints, the PostgreSQL sequence and enum types), so the
  database ends up exactly as a fresh `upgrade head` would create it;
- backfills of existing rows (a new required column, a column that becomes required,
  enum values that are removed);
- checks run at the top of `upgrade()`, before any DDL, that refuse when existing rows
  would not fit (a shorter max_length, a smaller decimal precision or scale, text that
  becomes a number, NULLs in a column that becomes required, rows using an enum value
  that is removed).

Each function works on SQLite, PostgreSQL and MySQL/MariaDB; the dialect is read from
the migration's connection.
"""

import datetime as dt
import re
import uuid
from typing import Any

import sqlalchemy as sa
from alembic import op


class SchemaChangeRefused(RuntimeError):
    """Existing rows do not fit the change; nothing was changed."""


def _bind() -> Any:
    return op.get_bind()


def _q(name: str) -> str:
    return str(_bind().dialect.identifier_preparer.quote(name))


def _count(table: str, condition: str, **params: Any) -> int:
    sql = f"SELECT count(*) FROM {_q(table)} WHERE {condition}"
    return int(_bind().execute(sa.text(sql), params).scalar() or 0)


def _refuse(table: str, column: str, count: int, problem: str, hint: str) -> None:
    if count:
        raise SchemaChangeRefused(
            f"{table}.{column}: {count} row(s) {problem}; nothing was changed ({hint})"
        )


# ------------------------------------------------------------------- checks (no DDL)


def refuse_longer(table: str, column: str, length: int, cast: bool = False) -> None:
    """Refuse when values are longer than the new max_length (`cast`: the column is not
    text yet, its values are measured as text)."""
    mysql = _bind().dialect.name == "mysql"
    size = "char_length" if mysql else "length"
    value = _q(column)
    if cast:
        value = f"CAST({value} AS {'CHAR' if mysql else 'VARCHAR(100)'})"
    count = _count(table, f"{size}({value}) > :length", length=length)
    _refuse(
        table,
        column,
        count,
        f"longer than {length} characters",
        "shorten them or keep the larger max_length",
    )


def refuse_numeric(table: str, column: str, precision: int, scale: int) -> None:
    """Refuse when values do not fit a smaller decimal precision or scale (too many
    digits before the point, or digits after it that would be rounded away)."""
    limit = 10 ** (precision - scale)
    value = _q(column)
    count = _count(
        table,
        f"abs({value}) >= :limit OR {value} <> round({value}, {int(scale)})",
        limit=limit,
    )
    _refuse(
        table,
        column,
        count,
        f"do not fit {precision} digits with {scale} after the point",
        "change them or keep the larger precision and scale",
    )


def refuse_scaled(
    table: str, column: str, precision: int, scale: int, stored_scale: int
) -> None:
    """SQLite: the decimal is stored as an integer scaled by 10**stored_scale (see
    app/core/types.py); refuse when values do not fit `precision` and `scale`."""
    value = _q(column)
    conditions = [f"abs({value}) >= :limit"]
    params: dict[str, Any] = {"limit": 10 ** (precision - scale + stored_scale)}
    if stored_scale > scale:
        conditions.append(f"{value} % :unit <> 0")
        params["unit"] = 10 ** (stored_scale - scale)
    count = _count(table, " OR ".join(conditions), **params)
    _refuse(
        table,
        column,
        count,
        f"do not fit {precision} digits with {scale} after the point",
        "change them or keep the larger precision and scale",
    )


def rescale(table: str, column: str, old_scale: int, new_scale: int) -> None:
    """SQLite: the stored integers of a decimal whose scale changed (checked before)."""
    if old_scale == new_scale:
        return
    operator = "*" if new_scale > old_scale else "/"
    factor = 10 ** abs(new_scale - old_scale)
    sql = f"UPDATE {_q(table)} SET {_q(column)} = {_q(column)} {operator} :factor"
    _bind().execute(sa.text(sql), {"factor": factor})


_INTEGER = re.compile(r"[-+]?[0-9]+")


def refuse_not_integer(table: str, column: str, bits: int) -> None:
    """Refuse when text values are not whole numbers that fit a `bits`-bit integer."""
    limit = 2 ** (bits - 1)
    sql = f"SELECT {_q(column)} FROM {_q(table)} WHERE {_q(column)} IS NOT NULL"
    count = 0
    for value in _bind().execute(sa.text(sql)).scalars():
        text = str(value)
        if not _INTEGER.fullmatch(text) or not -limit <= int(text) < limit:
            count += 1
    _refuse(
        table,
        column,
        count,
        f"are not whole numbers (from -{limit} to {limit - 1})",
        "change them or keep the text type",
    )


def refuse_nulls(table: str, column: str) -> None:
    """Refuse when a column that becomes required holds NULLs and no default is known."""
    count = _count(table, f"{_q(column)} IS NULL")
    _refuse(
        table,
        column,
        count,
        "are NULL",
        "give the field a default in forge.yaml or migrate with --default",
    )


def refuse_values(table: str, column: str, values: list[str]) -> None:
    """Refuse when rows use enum values that are removed."""
    names = ", ".join(f":v{i}" for i in range(len(values)))
    params = {f"v{i}": value for i, value in enumerate(values)}
    count = _count(table, f"{_q(column)} IN ({names})", **params)
    shown = ", ".join(repr(value) for value in values)
    _refuse(
        table,
        column,
        count,
        f"use the removed value(s) {shown}",
        "migrate with --default to map them to a kept value",
    )


# ------------------------------------------------------------------------- backfills


def _value(fill: Any) -> Any:
    if fill == "now":
        return dt.datetime.now(dt.UTC)
    return fill


def _key(table: str) -> str:
    """The primary key column of a table: `id`, or the spec's `primary_key: {column: ...}`."""
    return str(sa.inspect(_bind()).get_pk_constraint(table)["constrained_columns"][0])


def backfill(table: str, column: str, fill: Any, only_null: bool = True) -> None:
    """Give the column a value in existing rows: `now`, `uuid4` (one per row) or a literal."""
    bind = _bind()
    where = f" WHERE {_q(column)} IS NULL" if only_null else ""
    if fill == "uuid4":
        key = _q(_key(table))
        ids = (
            bind.execute(sa.text(f"SELECT {key} FROM {_q(table)}{where}"))
            .scalars()
            .all()
        )
        update = sa.text(
            f"UPDATE {_q(table)} SET {_q(column)} = :value WHERE {key} = :id"
        )
        for row_id in ids:
            value = uuid.uuid4()
            stored = value.hex if bind.dialect.name != "postgresql" else value
            bind.execute(update, {"value": stored, "id": row_id})
        return
    sql = f"UPDATE {_q(table)} SET {_q(column)} = :value{where}"
    bind.execute(sa.text(sql), {"value": _value(fill)})


def replace_values(
    table: str, column: str, values: list[str], replacement: str
) -> None:
    """Rows using removed enum values get the replacement value."""
    names = ", ".join(f":v{i}" for i in range(len(values)))
    params: dict[str, Any] = {f"v{i}": value for i, value in enumerate(values)}
    params["replacement"] = replacement
    sql = f"UPDATE {_q(table)} SET {_q(column)} = :replacement WHERE {_q(column)} IN ({names})"
    _bind().execute(sa.text(sql), params)


# --------------------------------------------------------------------------- renames


def _renamed(name: str | None, old: str, new: str) -> str | None:
    """The name a fresh create would give, or None when the name does not derive from old.

    `ix_post_title` -> `ix_post_headline`, `post_pkey` -> `article_pkey`,
    `post_author_id_fkey` -> `post_writer_id_fkey`.
    """
    if not name:
        return None
    for prefix in ("ix_", "uq_", "fk_", ""):
        if name == f"{prefix}{old}" or name.startswith(f"{prefix}{old}_"):
            return f"{prefix}{new}{name[len(prefix) + len(old):]}"
    return None


def _rename_index(table: str, old: str, new: str) -> None:
    bind = _bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER INDEX {_q(old)} RENAME TO {_q(new)}")
    elif bind.dialect.name == "mysql":
        op.execute(f"ALTER TABLE {_q(table)} RENAME INDEX {_q(old)} TO {_q(new)}")
    else:  # SQLite cannot rename an index: create the same one under the new name
        index = next(i for i in sa.inspect(bind).get_indexes(table) if i["name"] == old)
        op.drop_index(old, table_name=table)
        op.create_index(new, table, index["column_names"], unique=bool(index["unique"]))


def _rename_constraint(table: str, old: str, new: str) -> None:
    op.execute(f"ALTER TABLE {_q(table)} RENAME CONSTRAINT {_q(old)} TO {_q(new)}")


def _rename_derived(table: str, old: str, new: str, columns: set[str] | None) -> None:
    """Rename the indexes, constraints (and, on PostgreSQL, sequence and enum types) of
    `table` whose names derive from `old` (a table name, or `table_column`)."""
    bind = _bind()
    inspector = sa.inspect(bind)
    postgresql = bind.dialect.name == "postgresql"
    unique_names = {c["name"] for c in inspector.get_unique_constraints(table)}
    for index in inspector.get_indexes(table):
        renamed = _renamed(index["name"], old, new)
        if renamed and index["name"] not in unique_names:
            _rename_index(table, index["name"], renamed)
    if not postgresql:
        return  # MySQL names its keys after the column or `<table>_ibfk_N` (renamed with it)
    constraints = [
        *inspector.get_unique_constraints(table),
        *inspector.get_foreign_keys(table),
        inspector.get_pk_constraint(table),
    ]
    for constraint in constraints:
        renamed = _renamed(constraint.get("name"), old, new)
        if renamed:
            _rename_constraint(table, constraint["name"], renamed)
    for column in inspector.get_columns(table):
        if columns is not None and column["name"] not in columns:
            continue
        kind = column["type"]
        renamed = _renamed(getattr(kind, "name", None), old, new)
        if isinstance(kind, sa.Enum) and kind.name and renamed:
            op.execute(f"ALTER TYPE {_q(kind.name)} RENAME TO {_q(renamed)}")
        default = str(column.get("default") or "")
        sequence = f"{old}_{column['name']}_seq"
        if columns is None and f"'{sequence}'" in default:
            new_sequence = f"{new}_{column['name']}_seq"
            op.execute(f"ALTER SEQUENCE {_q(sequence)} RENAME TO {_q(new_sequence)}")


def rename_table(old: str, new: str) -> None:
    """Rename a table with its rows, and the names that carry its name."""
    op.rename_table(old, new)
    _rename_derived(new, old, new, None)


def rename_column(table: str, old: str, new: str) -> None:
    """Rename a column with its values, and the names that carry its name."""
    op.execute(f"ALTER TABLE {_q(table)} RENAME COLUMN {_q(old)} TO {_q(new)}")
    _rename_derived(table, f"{table}_{old}", f"{table}_{new}", {new})


def rename_type(old: str, new: str) -> None:
    """Rename a PostgreSQL enum type: a renamed field's whose name follows the field while
    rename_column renamed it after the column (a field with `column:`)."""
    op.execute(f"ALTER TYPE {_q(old)} RENAME TO {_q(new)}")


def replace_foreign_key(
    table: str,
    column: str,
    referent: str,
    ondelete: str | None,
    old_ondelete: str | None,
) -> None:
    """Change a foreign key's ON DELETE rule (SQLite: by copying the table, whose foreign
    keys have no names to drop them by)."""
    bind = _bind()
    convention = {"fk": "fk_%(table_name)s_%(column_0_name)s"}
    name = f"fk_{table}_{column}"
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table(table, naming_convention=convention) as batch:
            batch.drop_constraint(name, type_="foreignkey")
            batch.create_foreign_key(
                name, referent, [column], [_key(referent)], ondelete=ondelete
            )
        return
    inspector = sa.inspect(bind)
    for key in inspector.get_foreign_keys(table):
        if key["constrained_columns"] == [column] and key["name"]:
            op.drop_constraint(key["name"], table, type_="foreignkey")
            name = key["name"]
    referred = [_key(referent)]
    op.create_foreign_key(name, table, referent, [column], referred, ondelete=ondelete)
