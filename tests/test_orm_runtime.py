"""The ORM runtime of generated projects: app/core/orm (EntityManager, QueryBuilder, the
request's EntityManager, soft delete), BaseRepository and BaseCRUD.

The shop example is generated once per session (tests/conftest.py); the driver
tests/drivers/orm_runtime.py then runs inside it (PYTHONPATH=<project>, DATABASE_URL=<an
empty database>) and raises on the first failed check: on SQLite (SQLModel and SQLAlchemy
models), and on PostgreSQL and MySQL/MariaDB when a server is reachable (tests/servers.py:
skipped when absent, failing when FORGE_REQUIRE_DATABASES=1).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT, project_env, run
from tests.servers import Server, server

DRIVER = ROOT / "tests" / "drivers" / "orm_runtime.py"

CHECKS = [
    "repository_registry",
    "identity_map",
    "dirty_tracking",
    "transaction_commits_or_rolls_back",
    "nested_transaction_is_a_savepoint",
    "savepoint_first_on_sqlite_needs_begin",
    "request_entity_manager",
    "query_builder_every_method",
    "hostile_input",
    "soft_delete",
    "timestamps",
    "plain_sqlalchemy_model",
]


@pytest.fixture
def shop(shop_project: Path) -> Path:
    """The shop example with SQLModel, generated once per session (tests/conftest.py)."""
    return shop_project


@pytest.fixture
def shop_sqlalchemy(shop_sqlalchemy_project: Path) -> Path:
    """The shop example with SQLAlchemy models, generated once per session."""
    return shop_sqlalchemy_project


def drive(project: Path, url: str) -> dict[str, object]:
    """Run the driver in the project; its last line is the JSON summary."""
    result = run(
        [sys.executable, str(DRIVER)],
        cwd=project,
        env=project_env(project, DATABASE_URL=url),
        timeout=120,
    )
    summary: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def test_runtime_is_static_and_independent(shop: Path) -> None:
    """Skeleton files (the same in every project), for any mapped class, without forge."""
    core = shop / "app" / "core"
    names = {"__init__.py", "dependencies.py", "entity_manager.py", "query.py"}
    assert names <= {path.name for path in (core / "orm").glob("*.py")}
    required = [core / "entity.py", core / "repository.py", core / "crud.py"]
    for path in [*(core / "orm").glob("*.py"), *required]:
        imports = [
            line for line in path.read_text().splitlines() if line.startswith(("import", "from"))
        ]
        assert not [line for line in imports if "sqlmodel" in line or "generator" in line], path
        assert "forge" not in path.read_text().lower(), path


def test_on_sqlite(shop: Path, tmp_path: Path) -> None:
    summary = drive(shop, f"sqlite+aiosqlite:///{tmp_path / 'orm.db'}")
    assert summary == {"backend": "sqlite", "passed": CHECKS, "savepoint_first_safe": True}


def test_on_sqlite_with_sqlalchemy_models(shop_sqlalchemy: Path, tmp_path: Path) -> None:
    summary = drive(shop_sqlalchemy, f"sqlite+aiosqlite:///{tmp_path / 'orm.db'}")
    assert summary == {"backend": "sqlite", "passed": CHECKS, "savepoint_first_safe": True}


def _admin(srv: Server, statement: str) -> None:
    """Run CREATE or DROP DATABASE on the server (outside a transaction)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def go() -> None:
        engine = create_async_engine(srv.url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(go())


@pytest.fixture
def server_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty database on the parametrized server, dropped afterwards."""
    srv = server(request.param)
    name = srv.fresh_name("orm")
    quote = '"' if srv.kind == "postgresql" else "`"
    _admin(srv, f"CREATE DATABASE {quote}{name}{quote}")
    try:
        yield srv.database_url(name)
    finally:
        force = " WITH (FORCE)" if srv.kind == "postgresql" else ""
        _admin(srv, f"DROP DATABASE IF EXISTS {quote}{name}{quote}{force}")


@pytest.mark.parametrize("server_url", ["postgresql", "mysql"], indirect=True)
def test_on_a_server(shop: Path, server_url: str) -> None:
    summary = drive(shop, server_url)
    backend = server_url.split("+", 1)[0]
    assert summary == {"backend": backend, "passed": CHECKS, "savepoint_first_safe": True}
