"""`forge db ...`: manage the database of a generated project.

The commands run inside the project: its `app` package is put on the path and its own
settings give the URL (DATABASE_URL from the environment, then .env, then
config/orm.yaml), so forge and the application always agree on the database. Migrations
go through the project's Alembic setup. Every failure a user can cause (server down,
bad credentials, missing database) is one line, never a traceback.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from generator.errors import ForgeError

T = TypeVar("T")


class DatabaseError(ForgeError):
    """The database could not be reached or refused the operation."""


@dataclass
class Target:
    """The project's database, as its settings describe it."""

    url: Any  # sqlalchemy.engine.URL

    @property
    def kind(self) -> str:
        return str(self.url.get_backend_name())

    @property
    def name(self) -> str:
        return str(self.url.database or "")

    @property
    def where(self) -> str:
        if self.kind == "sqlite":
            return f"file {self.name}"
        return f"{self.url.host or 'localhost'}:{self.url.port or _DEFAULT_PORTS[self.kind]}"

    def describe(self) -> str:
        return f"{self.kind} database {self.name!r} ({self.where})"


_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}


@contextmanager
def inside(project: Path) -> Iterator[None]:
    """Run with the project's folder as working directory and its code importable."""
    previous = Path.cwd()
    os.chdir(project)
    sys.path.insert(0, str(project))
    try:
        yield
    finally:
        sys.path.remove(str(project))
        os.chdir(previous)


def target(project: Path) -> Target:
    from sqlalchemy.engine import make_url

    try:
        from app.core.config import get_settings
    except ImportError as exc:
        raise DatabaseError(
            f"cannot load the project's settings ({exc}); install its dependencies with "
            "`pip install -e .`"
        ) from None
    get_settings.cache_clear()
    try:
        url = get_settings().DATABASE_URL
    except Exception as exc:  # pydantic's ValidationError, a bad orm.yaml
        raise DatabaseError(f"invalid database settings: {_first_line(exc)}") from None
    try:
        return Target(make_url(url))
    except Exception:
        raise DatabaseError(
            "DATABASE_URL is not a valid database URL (special characters in the password, "
            "such as @ or %, must be URL-encoded: @ -> %40, % -> %25)"
        ) from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def explain(exc: BaseException, db: Target) -> str:
    """One line for a failure to reach or use the database."""
    original = getattr(exc, "orig", None) or exc.__cause__ or exc
    name = type(original.__cause__ or original).__name__
    code = original.args[0] if getattr(original, "args", None) else None
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    text = str(original)
    user = db.url.username or ""
    if sqlstate in ("28P01", "28000") or code in (1044, 1045):
        return f"the server at {db.where} refused user {user!r}: wrong user name or password"
    if sqlstate == "3D000" or name == "InvalidCatalogNameError" or code == 1049:
        return (
            f"database {db.name!r} does not exist on {db.where} (create it with `forge db create`)"
        )
    if (
        isinstance(original, OSError)
        or name in ("ConnectionRefusedError", "gaierror", "TimeoutError")
        or code in (2002, 2003, 2005, 2013)
        or "Connect call failed" in text
        or "Can't connect" in text
    ):
        reason = _first_line(original)
        return f"cannot reach the {db.kind} server at {db.where} (is it running?): {reason}"
    return f"{db.kind} error: {_first_line(original)}"


def run(db: Target, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        return asyncio.run(work())
    except ForgeError:
        raise
    except Exception as exc:
        raise DatabaseError(explain(exc, db)) from None


def _engine(url: Any, **options: Any) -> Any:
    """An async engine whose sessions are in UTC on MySQL/MariaDB and PostgreSQL, as the
    generated project's (app/core/database/connection.py): date-times are read and written
    as the UTC instants a backup holds, whatever the server's time zone."""
    from sqlalchemy import event
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, **options)
    backend = make_url(url).get_backend_name()
    if backend in ("mysql", "mariadb"):
        event.listen(engine.sync_engine, "connect", _utc_session)
    elif backend == "postgresql":
        event.listen(engine.sync_engine, "connect", _utc_postgresql_session)
    return engine


def _utc_session(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SET time_zone = '+00:00'")
    cursor.close()


def _utc_postgresql_session(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SET TIME ZONE 'UTC'")
    cursor.close()
    dbapi_connection.commit()  # PostgreSQL's SET is undone with the transaction it ran in


def _server_url(db: Target) -> Any:
    """The same server, connected to no database of ours (to create or drop one)."""
    if db.kind == "postgresql":
        return db.url.set(database="postgres")
    return db.url._replace(database=None)  # URL.set() would read None as "unchanged"


def _quoted(db: Target) -> str:
    from sqlalchemy.dialects.mysql.base import MySQLDialect
    from sqlalchemy.dialects.postgresql.base import PGDialect

    dialect_class: Any = PGDialect if db.kind == "postgresql" else MySQLDialect  # untyped init
    dialect = dialect_class()
    return str(dialect.identifier_preparer.quote_identifier(db.name))


async def _scalar(url: Any, sql: str, **params: Any) -> Any:
    """Run one statement on its own connection (autocommit); its first value, if any."""
    from sqlalchemy import text

    engine = _engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            result = await connection.execute(text(sql), params)
            return result.scalar() if result.returns_rows else None
    finally:
        await engine.dispose()


_EXISTS = {
    "postgresql": "SELECT 1 FROM pg_database WHERE datname = :name",
    "mysql": "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :name",
}
_OTHER_SESSIONS = {
    "postgresql": "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = :name AND pid <> pg_backend_pid()",
    "mysql": "SELECT count(*) FROM information_schema.PROCESSLIST "
    "WHERE DB = :name AND ID <> CONNECTION_ID()",
}


def create(db: Target) -> str:
    if db.kind == "sqlite":
        return _create_sqlite(db)

    async def work() -> str:
        server = _server_url(db)
        if await _scalar(server, _EXISTS[db.kind], name=db.name):
            return f"{db.describe()} already exists"
        extra = " CHARACTER SET utf8mb4" if db.kind == "mysql" else ""
        await _scalar(server, f"CREATE DATABASE {_quoted(db)}{extra}")
        return f"created {db.describe()}"

    return run(db, work)


def _create_sqlite(db: Target) -> str:
    import sqlite3

    if db.name in ("", ":memory:"):
        return "an in-memory SQLite database has nothing to create"
    path = Path(db.name)
    if path.exists():
        return f"{db.describe()} already exists"
    path.parent.mkdir(parents=True, exist_ok=True)
    sqlite3.connect(path).close()
    return f"created {db.describe()}"


def drop(db: Target) -> str:
    if db.kind == "sqlite":
        path = Path(db.name)
        if db.name in ("", ":memory:") or not path.exists():
            return f"{db.describe()} does not exist; nothing to drop"
        path.unlink()
        return f"dropped {db.describe()}"

    async def work() -> str:
        server = _server_url(db)
        if not await _scalar(server, _EXISTS[db.kind], name=db.name):
            return f"{db.describe()} does not exist; nothing to drop"
        others = await _scalar(server, _OTHER_SESSIONS[db.kind], name=db.name)
        if others:
            raise DatabaseError(
                f"{db.describe()} is in use by {others} other session(s); close them "
                "(stop the application) and try again"
            )
        await _scalar(server, f"DROP DATABASE {_quoted(db)}")
        return f"dropped {db.describe()}"

    return run(db, work)


def copy(db: Target) -> int:
    """Create the tables straight from the models (no migration). Returns how many."""

    async def work() -> int:
        from app.models import metadata

        engine = _engine(db.url)
        try:
            async with engine.begin() as connection:
                await connection.run_sync(metadata.create_all)
        finally:
            await engine.dispose()
        return len(metadata.tables)

    return run(db, work)


# ----------------------------------------------------------------------------- Alembic


def _alembic_config(project: Path) -> Any:
    """The project's Alembic configuration; forge shows only what migrations ran."""
    import logging

    from alembic.config import Config

    if not (project / "alembic.ini").is_file():
        raise DatabaseError(f"{project} has no alembic.ini")
    config = Config(str(project / "alembic.ini"))
    config.attributes["configure_logger"] = False  # env.py leaves logging to forge
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    migration = logging.getLogger("alembic.runtime.migration")
    migration.setLevel(logging.INFO)
    if not migration.filters:
        migration.addFilter(lambda record: record.getMessage().startswith("Running "))
    return config


def alembic(db: Target, project: Path, action: Callable[[Any], T]) -> T:
    """Run an Alembic command; turn its failures into one line."""
    from alembic.util import CommandError

    config = _alembic_config(project)
    try:
        return action(config)
    except CommandError as exc:
        raise DatabaseError(f"alembic: {_first_line(exc)}") from None
    except ForgeError:
        raise
    except Exception as exc:
        if type(exc).__name__ == "SchemaChangeRefused":  # app/core/schema_changes.py
            raise DatabaseError(f"upgrade refused: {exc}") from None
        raise DatabaseError(explain(exc, db)) from None


def migrate(db: Target, project: Path, message: str) -> str:
    """Autogenerate a revision, or none when the models and the database agree."""
    from alembic import command
    from alembic.util import AutogenerateDiffsDetected, CommandError

    def action(config: Any) -> str:
        try:
            command.check(config)
        except AutogenerateDiffsDetected:
            pass
        except CommandError as exc:
            if "not up to date" in str(exc):
                raise DatabaseError(
                    "the database is not at the latest revision: run `forge db upgrade` first"
                ) from None
            raise
        else:
            return "No changes detected; no revision written"
        script = command.revision(config, message=message, autogenerate=True)
        scripts = script if isinstance(script, list) else [script]
        paths = ", ".join(str(Path(s.path).relative_to(project)) for s in scripts if s is not None)
        return f"created {paths}"

    return alembic(db, project, action)


@dataclass
class Revision:
    id: str
    message: str
    applied: bool
    current: bool
    head: bool


def status(db: Target, project: Path) -> list[Revision]:
    """Every revision, newest first, with whether the database has it."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    def action(config: Any) -> list[Revision]:
        scripts = ScriptDirectory.from_config(config)

        async def current_heads() -> tuple[str, ...]:
            engine = _engine(db.url)
            try:
                async with engine.connect() as connection:
                    return tuple(
                        await connection.run_sync(
                            lambda sync: MigrationContext.configure(sync).get_current_heads()
                        )
                    )
            finally:
                await engine.dispose()

        current = run(db, current_heads)
        applied = (
            {rev.revision for rev in scripts.iterate_revisions(current, "base") if rev is not None}
            if current
            else set()
        )
        heads = set(scripts.get_heads())
        return [
            Revision(
                id=rev.revision,
                message=(rev.doc or "").strip(),
                applied=rev.revision in applied,
                current=rev.revision in current,
                head=rev.revision in heads,
            )
            for rev in scripts.walk_revisions()
        ]

    return alembic(db, project, action)
