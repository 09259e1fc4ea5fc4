"""A project with data through a dozen spec changes, on SQLite, PostgreSQL and MariaDB.

Each step is what a user does: `forge rename`, or an edit of forge.yaml + `forge
generate`; then `forge db migrate --no-input` and `forge db upgrade`. After each step
every value that existed before is still there under its new name (checksums per column),
`alembic check` and `forge db check` are clean, and the project's own tests pass (their
migration tests build the whole chain of revisions on a scratch database). Refusals are
one line, exit 1 or 2, and change nothing. At the end the database goes down step by step
to the start and every value is back (except what the step says it could not bring back).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    EXAMPLES,
    ROOT,
    expected_generated_tests,
    forge,
    in_project,
    project_env,
    run,
    tree_digest,
)
from tests.servers import server

Checksums = dict[tuple[str, str], str]


def checksums(url: str) -> Checksums:
    """sha256 of every column's values, in primary-key order."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    def read(connection: Any) -> Checksums:
        metadata = sa.MetaData()
        metadata.reflect(connection)
        result: Checksums = {}
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            rows = connection.execute(sa.select(table).order_by(*order)).mappings().all()
            for column in table.columns:
                values = [_normal(row[column.name]) for row in rows]
                result[(table.name, column.name)] = hashlib.sha256(
                    repr(values).encode()
                ).hexdigest()
        return result

    async def work() -> Checksums:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(read)
        finally:
            await engine.dispose()

    return asyncio.run(work())


def _normal(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(timespec="seconds")
    return str(value) if value is not None else None


def fill(url: str) -> int:
    """Rows in every table of the blog example: 1,250 in all."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    now = dt.datetime(2024, 5, 1, 12, 0, 0)

    def write(connection: Any) -> int:
        metadata = sa.MetaData()
        metadata.reflect(connection)
        t = metadata.tables
        users = [
            {"id": i, "username": f"user{i}", "email": f"u{i}@example.com",
             "bio": None if i % 3 else f"bio {i}", "is_active": i % 2 == 0, "joined_at": now}
            for i in range(1, 201)
        ]  # fmt: skip
        statuses = ["draft", "published", "archived"]
        posts = [
            {"id": i, "title": f"post {i} " + "x" * (i % 50), "body": f"body {i}",
             "status": statuses[i % 3], "published_at": now if i % 2 else None,
             "author_id": 1 + i % 200, "created_at": now, "updated_at": now}
            for i in range(1, 401)
        ]  # fmt: skip
        tags = [
            {"id": i, "name": f"tag-{i}", "description": None if i % 2 else f"about {i}"}
            for i in range(1, 51)
        ]
        comments = [
            {"id": i, "body": f"comment {i}", "created_at": now, "post_id": 1 + i % 400,
             "author_id": None if i % 5 == 0 else 1 + i % 200, "deleted_at": None}
            for i in range(1, 301)
        ]  # fmt: skip
        links = [{"post_id": 1 + i % 400, "tag_id": 1 + (i * 7) % 50} for i in range(300)]
        links = list({(r["post_id"], r["tag_id"]): r for r in links}.values())
        for table, rows in (
            ("user", users), ("post", posts), ("tag", tags), ("comment", comments),
            ("post_tag", links),
        ):  # fmt: skip
            connection.execute(t[table].insert(), rows)
            if connection.dialect.name == "postgresql" and table != "post_tag":
                sequence = f"pg_get_serial_sequence('\"{table}\"', 'id')"
                connection.execute(sa.text(f"SELECT setval({sequence}, {len(rows)})"))
        return len(users) + len(posts) + len(tags) + len(comments) + len(links)

    async def work() -> int:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                return await connection.run_sync(write)
        finally:
            await engine.dispose()

    return asyncio.run(work())


@dataclass
class Step:
    """One spec change. `renames` maps old (table, column) to new; `changed` are columns
    whose values the step changes on purpose; `lost` those the downgrade cannot restore."""

    name: str
    act: Callable[[Path], None]
    renames: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    changed: set[tuple[str, str]] = field(default_factory=set)
    lost: set[tuple[str, str]] = field(default_factory=set)
    migrate: tuple[str, ...] = ()
    refused_migrate: tuple[str, ...] | None = None  # a migrate refused first
    refused_upgrade: bool = False  # the revision is refused at upgrade (and thrown away)


def edit(project: Path, old: str, new: str) -> None:
    spec = project / "forge.yaml"
    text = spec.read_text()
    assert old in text, old
    spec.write_text(text.replace(old, new, 1))
    here("generate", "--project", str(project))


def change(old: str, new: str) -> Callable[[Path], None]:
    return lambda project: edit(project, old, new)


def rename(*args: str) -> Callable[[Path], None]:
    return lambda project: here("rename", *args, "--project", str(project))


def here(*args: str) -> None:
    """forge in this process: for the commands that do not import the project's code
    (rename, generate), which saves an interpreter start per step."""
    from typer.testing import CliRunner

    from generator.cli import app

    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output)


def column_map(columns: dict[str, str], table: str) -> dict[tuple[str, str], tuple[str, str]]:
    return {(table, old): (table, new) for old, new in columns.items()}


POST_COLUMNS = ["id", "headline", "body", "status", "published_at", "author_id"]
POST_COLUMNS += ["created_at", "updated_at"]

STEPS = [
    Step(
        "rename a field",
        rename("field", "Post", "title", "headline"),
        renames={("post", "title"): ("post", "headline")},
    ),
    Step(
        "rename an entity with a many_to_many and incoming foreign keys",
        rename("entity", "Post", "Article"),
        renames={
            **{("post", c): ("article", c) for c in POST_COLUMNS},
            ("post_tag", "post_id"): ("article_tag", "article_id"),
            ("post_tag", "tag_id"): ("article_tag", "tag_id"),
        },
    ),
    Step(
        "rename a relation",
        rename("relation", "Article", "author", "writer"),
        renames={("article", "author_id"): ("article", "writer_id")},
    ),
    Step(
        "add a required field with a default",
        change("      body: text\n", "      body: text\n      views: {type: int, default: 0}\n"),
    ),
    Step(
        "add a required field without a default (refused, then --default)",
        lambda p: edit(p, "      bio: {type: text", "      score: int\n      bio: {type: text"),
        refused_migrate=(),
        migrate=("--default", "User.score=5"),
    ),
    Step(
        "nullable -> required (NULLs backfilled from the default)",
        lambda p: edit(
            p,
            "description: {type: str, max_length: 200, nullable: true,",
            "description: {type: str, max_length: 200, default: none given,",
        ),
        changed={("tag", "description")},
        lost={("tag", "description")},
    ),
    Step(
        "add an enum value",
        change("archived]", "archived, scheduled]"),
    ),
    Step(
        "remove an enum value (refused: rows use it; then --default)",
        change("archived, scheduled]", "scheduled]"),
        refused_migrate=(),
        migrate=("--default", "Article.status=draft"),
        changed={("article", "status")},
        lost={("article", "status")},
    ),
    Step(
        "a shorter max_length the values fit",
        change("max_length: 40", "max_length: 30"),
    ),
    Step(
        "a shorter max_length the values do not fit (refused at upgrade)",
        lambda p: edit(p, "name: {type: str, max_length: 50", "name: {type: str, max_length: 5"),
        refused_upgrade=True,
    ),
    Step(
        "drop a field (refused, then --allow-drop)",
        lambda p: edit(p, "      published_at: {type: datetime, nullable: true}\n", ""),
        refused_migrate=(),
        migrate=("--allow-drop",),
        lost={("article", "published_at")},
    ),
    Step(
        "change an on_delete rule",
        change("on_delete: set_null", "on_delete: cascade"),
    ),
]  # fmt: skip


def renamed(sums: Checksums, renames: dict[tuple[str, str], tuple[str, str]]) -> Checksums:
    return {renames.get(key, key): value for key, value in sums.items()}


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def evolving(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    kind = request.param
    project = tmp_path / "blog"
    spec = EXAMPLES / "blog" / "forge.yaml"
    forge("new", str(project), "--spec", str(spec), "--database", kind, "--defaults", cwd=tmp_path)
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{project / 'evolve.db'}"
        yield project, url
        return
    srv = server(kind)
    url = srv.database_url(srv.fresh_name("evolve"))
    yield project, url
    forge("db", "drop", "--yes", cwd=project, env={"DATABASE_URL": url}, check=False)


def test_evolution_keeps_every_value(evolving: tuple[Path, str]) -> None:
    project, url = evolving
    env = {"DATABASE_URL": url}

    def db(*args: str, check: bool = True) -> Any:
        return forge("db", *args, cwd=project, env=env, check=check)

    def schema_clean() -> None:
        """`alembic check` and `forge db check` (one interpreter for both)."""
        result = run(
            [sys.executable, str(ROOT / "tests" / "drivers" / "schema_clean.py")],
            cwd=project,
            env={**project_env(project), "PYTHONPATH": f"{ROOT}:{project}", **env},
            check=False,
        )
        assert result.returncode == 0 and result.stdout.split()[-1] == "clean", (
            result.stdout + result.stderr
        )

    def refused(result: Any) -> None:
        assert result.returncode in (1, 2), result.stdout + result.stderr
        lines = [x for x in result.stderr.splitlines() if not x.startswith("Running ")]
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr

    db("create")
    db("migrate", "-m", "initial", "--no-input")
    db("upgrade")
    assert fill(url) >= 1000
    history = [checksums(url)]
    for number, step in enumerate(STEPS, 1):
        step.act(project)
        message = f"step {number}"
        if step.refused_migrate is not None:
            files, before = tree_digest(project), checksums(url)
            refused(db("migrate", "-m", message, "--no-input", *step.refused_migrate, check=False))
            assert tree_digest(project) == files and checksums(url) == before, step.name
        out = db("migrate", "-m", message, "--no-input", *step.migrate).stdout
        assert re.search(r"created alembic/versions/\w+_step_\d+\.py", out), (step.name, out)
        if step.refused_upgrade:
            before = checksums(url)
            refused(db("upgrade", check=False))
            assert checksums(url) == before
            for path in (project / "alembic" / "versions").glob(f"*_step_{number}.*"):
                path.unlink()
            edit(project, "name: {type: str, max_length: 5", "name: {type: str, max_length: 50")
            history.append(history[-1])
            continue
        db("upgrade")
        now = checksums(url)
        expected = renamed(history[-1], step.renames)
        for key, value in expected.items():
            if key in step.changed or key in step.lost and key not in now:
                continue
            assert now.get(key) == value, (step.name, key)
        schema_clean()
        # The project's own tests after every step: on a server they run on this database
        # with its rows (in transactions rolled back), and its migration tests build the
        # whole chain of revisions from base on a scratch database, on every kind.
        tests = in_project(project, "pytest", "-q", "-p", "no:cacheprovider", DATABASE_URL=url)
        assert f"{expected_generated_tests(project)} passed" in tests.stdout, tests.stdout
        assert checksums(url) == now, step.name
        history.append(now)

    lost: set[tuple[str, str]] = set()  # values a downgrade cannot bring back, in its names
    for number in range(len(STEPS), 0, -1):
        step = STEPS[number - 1]
        if step.refused_upgrade:
            continue
        db("downgrade")
        back = {new: old for old, new in step.renames.items()}
        lost = {back.get(key, key) for key in lost | step.lost}
        now, expected = checksums(url), history[number - 1]
        for key, value in expected.items():
            if key not in lost:
                assert now.get(key) == value, (step.name, "downgrade", key)
        assert set(now) == set(expected), (step.name, set(now) ^ set(expected))


def test_half_failed_mariadb_upgrade_is_reported(tmp_path: Path) -> None:
    srv = server("mysql")
    project = tmp_path / "blog"
    spec = EXAMPLES / "blog" / "forge.yaml"
    forge(
        "new", str(project), "--spec", str(spec), "--database", "mysql", "--defaults", cwd=tmp_path
    )
    url = srv.database_url(srv.fresh_name("halfway"))
    env = {"DATABASE_URL": url}
    try:
        forge("db", "create", cwd=project, env=env)
        forge("db", "migrate", "-m", "initial", "--no-input", cwd=project, env=env)
        forge("db", "upgrade", cwd=project, env=env)
        head = next((project / "alembic" / "versions").glob("*_initial.py")).name.split("_")[0]
        (project / "alembic" / "versions" / "deadbeef0001_broken.py").write_text(
            f'''"""broken on purpose"""
from alembic import op
import sqlalchemy as sa

revision = "deadbeef0001"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tag", sa.Column("color", sa.String(20), nullable=True))
    op.add_column("tag", sa.Column("name", sa.String(20), nullable=True))  # exists: fails


def downgrade() -> None:
    op.drop_column("tag", "color")
'''
        )
        result = forge("db", "upgrade", cwd=project, env=env, check=False)
        lines = [x for x in result.stderr.splitlines() if not x.startswith("Running ")]
        assert result.returncode == 2 and len(lines) == 1, result.stderr
        line = lines[0]
        assert "revision " in line and "deadbeef0001, broken on purpose failed half-way" in line
        assert "1 operation(s) stay applied: ALTER TABLE tag ADD COLUMN color" in line, line
        assert "Duplicate column name 'name'" in line and "forge db upgrade" in line, line
        status = forge("db", "status", cwd=project, env=env).stdout
        assert "deadbeef0001  pending" in status, status
    finally:
        forge("db", "drop", "--yes", cwd=project, env=env, check=False)
