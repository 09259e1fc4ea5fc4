"""Helpers shared by the tests: run forge and commands inside generated projects."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared"


def project_env(project: Path, **extra: str) -> dict[str, str]:
    """Environment for commands run inside a generated project (it imports `app`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PYTEST_"))}
    env["PYTHONPATH"] = str(project)
    env.update(extra)
    return env


def run(
    args: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    check: bool = True,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run a command; on an unexpected exit code, fail with its whole output."""
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {result.returncode} in {cwd}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


def forge(
    *args: str, cwd: Path, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `forge` command line (as `python -m generator`); `env` adds variables."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_URL")}
    environment["PYTHONPATH"] = str(ROOT)
    environment.update(env or {})
    return run([sys.executable, "-m", "generator", *args], cwd=cwd, env=environment, check=check)


def in_project(project: Path, *args: str, check: bool = True, **env: str):  # type: ignore[no-untyped-def]
    """Run a Python module (alembic, pytest, black, ruff...) inside a generated project.

    pytest loads only the plugins of the project's test dependencies (pytest-asyncio,
    pytest-alembic, anyio through httpx), as in the project's own environment, not the
    others installed for forge's tests (hypothesis, schemathesis, xdist...)."""
    if args[:1] == ("pytest",):
        env = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **env}
        args = ("pytest", *PROJECT_PYTEST_PLUGINS, *args[1:])
    return run(
        [sys.executable, "-m", *args], cwd=project, env=project_env(project, **env), check=check
    )


PROJECT_PYTEST_PLUGINS = ("-p", "asyncio", "-p", "pytest_alembic", "-p", "anyio")


KINDS = ("sqlite", "postgresql", "mysql")
ORMS = ("sqlmodel", "sqlalchemy")


def orm_kind_pairs(start: int, group: str) -> list[Any]:
    """The (ORM, database) pairs an end-to-end test of a spec feature runs, as pytest
    params: every database once, the ORMs taking turns from ORMS[start], so that two tests
    with starts 0 and 1 together cover all six pairs. FORGE_FULL_MATRIX=1 runs all six in
    every test (tests/scripts/full_matrix.sh). Each pair is one xdist group (`group-orm-kind`),
    so that its module-scoped project is generated on one worker only."""
    import pytest

    if os.environ.get("FORGE_FULL_MATRIX") == "1":
        pairs = [(orm, kind) for kind in KINDS for orm in ORMS]
    else:
        pairs = [(ORMS[(start + i) % len(ORMS)], kind) for i, kind in enumerate(KINDS)]
    return [
        pytest.param(
            (orm, kind), id=f"{orm}-{kind}", marks=pytest.mark.xdist_group(f"{group}-{orm}-{kind}")
        )
        for orm, kind in pairs
    ]


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root (relative path -> sha256), to prove a tree is unchanged."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    } | {
        str(path.relative_to(root)) + "/": "dir"
        for path in sorted(root.rglob("*"))
        if path.is_dir() and "__pycache__" not in path.parts
    }


def project_digest(root: Path) -> dict[str, str]:
    """tree_digest for comparing two projects built the same way: the stamp in
    .forge/cache.json (generator/stamp.py) records each file's stat (inode, times) in this
    tree, which no other tree shares, so only the hashes it records are compared."""
    import json

    digest = tree_digest(root)
    cache = root / ".forge" / "cache.json"
    if cache.is_file():
        data = json.loads(cache.read_text(encoding="utf-8"))
        stamp = data.get("stamp")
        if isinstance(stamp, dict) and isinstance(stamp.get("files"), dict):
            stamp["files"] = {path: entry[1] for path, entry in stamp["files"].items()}
        text = json.dumps(data, sort_keys=True)
        digest[".forge/cache.json"] = hashlib.sha256(text.encode()).hexdigest()
    return digest


def expected_generated_tests(project: Path) -> int:
    """How many tests a generated project's own suite has, from its spec: four per entity
    (CRUD, repository, refused criteria, routes), one more per entity whose create can be
    refused (a required reference or a unique field without default), the health test and
    the test of the user's own routes below the generated ones and the four migration
    tests (pytest-alembic).
    """
    from generator.spec import load_spec

    spec = load_spec(project / "forge.yaml")
    required_fk_owners = {
        entity.name
        for entity in spec.entities
        for relation in entity.relations
        if relation.kind in ("many_to_one", "one_to_one") and not relation.nullable
    } | {
        relation.target
        for entity in spec.entities
        for relation in entity.relations
        if relation.kind == "one_to_many" and not relation.nullable
    }
    conflicting = sum(
        1
        for entity in spec.entities
        if entity.name in required_fk_owners
        or any(field.unique and not field.has_default for field in entity.fields)
    )
    return 4 * len(spec.entities) + conflicting + 2 + 4


def sql(url: str, *statements: str) -> list[Any]:
    """Run statements; the rows of the last one (if it returns rows)."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    def work(connection: Any) -> list[Any]:
        rows: list[Any] = []
        for statement in statements:
            result = connection.execute(sa.text(statement))
            rows = [tuple(r) for r in result.all()] if result.returns_rows else []
        return rows

    async def main() -> list[Any]:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(main())


@contextmanager
def project_with_database(
    folder: Path, name: str, spec_text: str, kind: str
) -> Iterator[tuple[Path, str]]:
    """`forge new` a project from `spec_text` for database `kind`, with its DATABASE_URL: a
    SQLite file in the project, or a new database on the test server, dropped afterwards."""
    from tests.servers import server

    spec = folder / "forge.yaml"
    spec.write_text(spec_text)
    project = folder / name
    forge("new", str(project), "--spec", str(spec), "--database", kind, "--defaults", cwd=folder)
    if kind == "sqlite":
        yield project, f"sqlite+aiosqlite:///{project / f'{name}.db'}"
        return
    srv = server(kind)
    url = srv.database_url(srv.fresh_name(name))
    forge("db", "create", cwd=project, env={"DATABASE_URL": url})
    try:
        yield project, url
    finally:
        forge("db", "drop", "--yes", cwd=project, env={"DATABASE_URL": url}, check=False)


@contextmanager
def migrated_project(
    folder: Path, name: str, spec_text: str, kind: str
) -> Iterator[tuple[Path, str]]:
    """project_with_database, with its first revision made (`forge db migrate`) and
    applied (`forge db upgrade`): (project, DATABASE_URL)."""
    with project_with_database(folder, name, spec_text, kind) as (project, url):
        env = {"DATABASE_URL": url}
        forge("db", "migrate", "-m", "initial", cwd=project, env=env)
        forge("db", "upgrade", cwd=project, env=env)
        yield project, url


def migrate_refused(project: Path, env: dict[str, str], *expected: str) -> None:
    """`forge db migrate` refuses in one line (exit 1) holding each of `expected`, and
    writes no revision."""

    def revisions() -> list[str]:
        return sorted(p.name for p in (project / "alembic" / "versions").glob("*.py"))

    before = revisions()
    result = forge("db", "migrate", "-m", "x", "--no-input", cwd=project, env=env, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    for part in expected:
        assert part in message, message
    assert revisions() == before
