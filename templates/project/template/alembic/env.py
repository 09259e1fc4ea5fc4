"""Alembic environment: async engine, URL from the settings, metadata from app.models."""

import asyncio
from logging.config import fileConfig
from typing import Any

from sqlalchemy import ForeignKeyConstraint, pool
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from alembic import context
from alembic.operations import ops
from app.core.config import get_settings
from app.core.database.connection import MYSQL_UTC, POSTGRESQL_UTC
from app.models import metadata

config = context.config
if config.config_file_name is not None and config.attributes.get(
    "configure_logger", True
):
    fileConfig(config.config_file_name)

target_metadata = metadata
# The statement that puts a session in UTC, by backend (utc_session below).
UTC_SESSION = {"mysql": MYSQL_UTC, "mariadb": MYSQL_UTC, "postgresql": POSTGRESQL_UTC}

if make_url(get_settings().DATABASE_URL).get_backend_name() == "postgresql":
    # enum types in autogenerate and `alembic check`: values added, removed, renamed
    import alembic_postgresql_enum  # noqa: F401


def database_url() -> str:
    """DATABASE_URL from the environment or .env; never written into the ini file, so
    URL-encoded passwords (with % or @) are passed through untouched."""
    return get_settings().DATABASE_URL


def tidy_downgrade(context_: Any, _revision: Any, directives: list[Any]) -> None:
    """Make autogenerate's upgrade and downgrade run on every database (`tidy`), then
    `keys_after_tables`, and on SQLite `sqlite_keys`. (PostgreSQL's enum types are created before their table and
    dropped after it by alembic-postgresql-enum, imported above.)"""
    if not directives:
        return
    script = directives[0]
    script.upgrade_ops.ops = tidy(script.upgrade_ops.ops)
    script.downgrade_ops.ops = tidy(script.downgrade_ops.ops)
    keys_after_tables(context_, script)
    if context_.dialect.name == "sqlite":
        for operations in (script.upgrade_ops, script.downgrade_ops):
            sqlite_keys(operations.ops)


def tidy(operations: list[Any]) -> list[Any]:
    """- a dropped table's indexes go with the table; dropping them first fails on MySQL
      when a foreign key needs the index;
    - new tables (with their indexes) come first and dropped tables last, so that the
      changes to the other tables, in between, can add foreign keys to the new ones and
      drop those pointing at the dropped ones (`forge destroy entity`); ops of no table
      (enum types) stay with the table after which (dropped) or before which they come;
      without such changes, alembic's order is kept;
    - in between, foreign keys are dropped first (see _keys_first)."""
    dropped = {op.table_name for op in operations if isinstance(op, ops.DropTableOp)}
    created = {op.table_name for op in operations if isinstance(op, ops.CreateTableOp)}
    groups: list[tuple[str, list[Any]]] = []  # ("first" | "between" | "last", ops)
    pending: list[Any] = []  # ops of no table (enum types) go with the next table's ops
    for operation in operations:
        table = getattr(operation, "table_name", None)
        if isinstance(operation, ops.DropIndexOp) and table in dropped:
            continue
        if isinstance(operation, ops.ModifyTableOps) and table in dropped:
            operation.ops = [
                o for o in operation.ops if not isinstance(o, ops.DropIndexOp)
            ]
            if not operation.ops:
                continue
        if table is None:
            if groups and groups[-1][0] == "last" and not pending:
                groups[-1][1].append(operation)  # after a dropped table: its enum type
            else:
                pending.append(operation)
            continue
        place = (
            "first" if table in created else "last" if table in dropped else "between"
        )
        groups.append((place, [*pending, operation]))
        pending = []
    if not any(place == "between" for place, _ in groups):
        return [o for _, group in groups for o in group] + pending  # alembic's order
    first = [o for place, group in groups if place == "first" for o in group]
    between = [o for place, group in groups if place == "between" for o in group]
    last = [o for place, group in groups if place == "last" for o in group]
    between += pending
    for operation in between:
        if isinstance(operation, ops.ModifyTableOps):
            operation.ops.sort(key=_keys_first)
    between.sort(key=_keys_first)
    return first + between + last


def _keys_first(operation: Any) -> bool:
    """Foreign keys are dropped before anything else (a stable sort: False comes first);
    MySQL refuses to drop an index that a foreign key still needs."""
    return not (
        isinstance(operation, ops.DropConstraintOp)
        and operation.constraint_type == "foreignkey"
    )


def keys_after_tables(context_: Any, script: Any) -> None:
    """Foreign keys with use_alter=True (forge marks one key of each cycle of foreign keys,
    such as store.manager_id <-> staff.store_id): no order of CREATE TABLE can hold them.
    Where the database has ALTER TABLE ... ADD CONSTRAINT, such a key leaves its table's
    op.create_table and is added once every table exists; the downgrade drops it before
    any table. SQLite keeps it inline (it accepts a reference to a table yet to come).
    """
    if context_.dialect.name == "sqlite":
        return
    later: list[Any] = []
    for operation in script.upgrade_ops.ops:
        if not isinstance(operation, ops.CreateTableOp):
            continue
        keys = [
            item
            for item in operation.columns
            if isinstance(item, ForeignKeyConstraint) and item.use_alter
        ]
        operation.columns = [
            item for item in operation.columns if all(item is not k for k in keys)
        ]
        later += keys
    if not later:
        return
    script.upgrade_ops.ops += [ops.CreateForeignKeyOp.from_constraint(k) for k in later]
    dropped = {
        operation.table_name
        for operation in script.downgrade_ops.ops
        if isinstance(operation, ops.DropTableOp)
    }
    script.downgrade_ops.ops[:0] = [
        ops.DropConstraintOp.from_constraint(key)
        for key in later
        if key.table.name in dropped
    ]


def sqlite_keys(operations: list[Any]) -> None:
    """SQLite keeps no name for a foreign key declared in CREATE TABLE, and the batch
    mode that alters its tables (a copy of the table) cannot drop or add a key without
    one: a key whose columns the same batch drops goes with them (the copy has no such
    column; `forge destroy entity`), and a key added gets forge's name for it."""
    for table_ops in operations:
        if not isinstance(table_ops, ops.ModifyTableOps):
            continue
        dropped = {
            o.column_name for o in table_ops.ops if isinstance(o, ops.DropColumnOp)
        }
        kept = []
        for operation in table_ops.ops:
            if (
                isinstance(operation, ops.CreateForeignKeyOp)
                and not operation.constraint_name
            ):
                columns = "_".join(operation.local_cols)
                operation.constraint_name = (
                    f"fk_{operation.source_table}_{columns}_{operation.referent_table}"
                )
            elif (
                isinstance(operation, ops.DropConstraintOp)
                and operation.constraint_type == "foreignkey"
                and not operation.constraint_name
                and set(operation.to_constraint().column_keys) <= dropped
            ):
                continue
            kept.append(operation)
        table_ops.ops = kept


def run_migrations_offline() -> None:
    url = database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=make_url(url).get_backend_name() == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        backend = make_url(url).get_backend_name()
        if backend in UTC_SESSION:
            context.execute(UTC_SESSION[backend])
        context.run_migrations()


def utc_session(connection: Connection) -> None:
    """On MySQL/MariaDB and PostgreSQL, the session's time zone is UTC, as in the
    application (app/core/database/connection.py): a datetime server default is read in it
    when its column is made, and CURRENT_TIMESTAMP is the session's time. Session-level
    only; a transaction begun here for it is ended at once."""
    if connection.dialect.name not in UTC_SESSION:
        return
    begun = connection.in_transaction()
    connection.exec_driver_sql(UTC_SESSION[connection.dialect.name])
    if not begun:
        connection.commit()


def do_run_migrations(connection: Connection) -> None:
    utc_session(connection)
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        process_revision_directives=tidy_downgrade,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online(engine: AsyncEngine | None = None) -> None:
    """Migrate through `engine` (one a caller handed over, such as the migration tests'
    scratch database), or through the project's own database."""
    own = engine is None
    engine = engine or create_async_engine(database_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    if own:
        await engine.dispose()


given = config.attributes.get("connection")
if context.is_offline_mode():
    run_migrations_offline()
elif isinstance(given, Connection):
    do_run_migrations(given)
else:
    asyncio.run(run_migrations_online(given))
