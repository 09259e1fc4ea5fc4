"""`forge db check` on SQLite, PostgreSQL and MariaDB: clean right after `upgrade head`, then
one exact line per difference made behind forge's back with plain SQL (the kinds of drift
Alembic's own `check` does not see: enum values, server defaults, index names, foreign-key
rules), and nothing left behind by the check itself."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from tests.helpers import forge, sql
from tests.servers import Server, server

SUMMARY = "difference(s) from the spec"

# Plain SQL that changes the blog's schema behind forge's back, per database, and the lines
# `forge db check` must print for it (sorted as it prints them: tables, then enum types).
DRIFT = {
    "sqlite": (
        [
            "DROP INDEX ix_post_author_id",
            "CREATE INDEX ix_old ON post (author_id)",
            "ALTER TABLE post ADD COLUMN extra INTEGER",
            "CREATE TABLE junk (x INTEGER)",
        ],
        [
            "junk: table in the database is not in the spec",
            "post.extra: column in the database is not in the spec",
            "post: index ix_post_author_id (author_id) missing from the database (the spec has it)",
            "post: index ix_old (author_id) in the database is not in the spec",
        ],
    ),
    "postgresql": (
        [
            "ALTER TYPE post_status ADD VALUE 'scheduled'",
            "ALTER TABLE post ALTER COLUMN title TYPE VARCHAR(50)",
            "ALTER TABLE post ALTER COLUMN title SET DEFAULT 'untitled'",
            "ALTER TABLE post ALTER COLUMN body DROP NOT NULL",
            "ALTER INDEX ix_post_author_id RENAME TO ix_old",
            "ALTER TABLE comment DROP CONSTRAINT comment_post_id_fkey",
            "ALTER TABLE comment ADD FOREIGN KEY (post_id) REFERENCES post (id) ON DELETE SET NULL",
            "ALTER TABLE tag DROP COLUMN name",
        ],
        [
            "comment: foreign key (post_id) -> post(id) ON DELETE CASCADE missing from the "
            "database (the spec has it)",
            "comment: foreign key (post_id) -> post(id) ON DELETE SET NULL in the database is "
            "not in the spec",
            "post.body: NULL allowed in the database, the spec says NOT NULL",
            "post.title: type VARCHAR(50) in the database, the spec says VARCHAR(200)",
            "post.title: server default 'untitled'::character varying in the database, the spec "
            "says none",
            "post: index ix_post_author_id (author_id) missing from the database (the spec has it)",
            "post: index ix_old (author_id) in the database is not in the spec",
            "tag.name: column missing from the database (the spec has it)",
            "tag: unique constraint tag_name_key (name) missing from the database (the spec has "
            "it)",
            "enum type post_status: values [draft, published, archived, scheduled] in the "
            "database, the spec says [draft, published, archived]",
        ],
    ),
    "mysql": (
        [
            "ALTER TABLE post MODIFY status ENUM('draft','published','archived','scheduled') "
            "NOT NULL",
            "ALTER TABLE post MODIFY title VARCHAR(50) NOT NULL",
            "ALTER TABLE post MODIFY body MEDIUMTEXT NULL",
            "ALTER TABLE post RENAME INDEX ix_post_author_id TO ix_old",
            "ALTER TABLE comment DROP FOREIGN KEY comment_ibfk_2",
            "ALTER TABLE comment ADD CONSTRAINT comment_ibfk_2 FOREIGN KEY (post_id) "
            "REFERENCES post (id) ON DELETE RESTRICT",
        ],
        [
            "comment: foreign key (post_id) -> post(id) ON DELETE CASCADE missing from the "
            "database (the spec has it)",
            "comment: foreign key (post_id) -> post(id) ON DELETE NO ACTION in the database is "
            "not in the spec",
            "post.body: NULL allowed in the database, the spec says NOT NULL",
            "post.status: type ENUM('draft','published','archived','scheduled') in the "
            "database, the spec says ENUM('draft','published','archived')",
            "post.title: type VARCHAR(50) in the database, the spec says VARCHAR(200)",
            "post: index ix_post_author_id (author_id) missing from the database (the spec has it)",
            "post: index ix_old (author_id) in the database is not in the spec",
        ],
    ),
}


async def _scratch_left(url: str, kind: str) -> list[str]:
    """Scratch schemas or databases named forgecheck_* still on the server."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    query = {
        "postgresql": "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'forgecheck_%'",
        "mysql": "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA "
        "WHERE SCHEMA_NAME LIKE 'forgecheck_%'",
    }[kind]
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return [row[0] for row in await connection.execute(text(query))]
    finally:
        await engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "mysql"])
def test_db_check_sees_every_kind_of_drift(kind: str, blog_project: Path, tmp_path: Path) -> None:
    project = tmp_path / "blog"
    shutil.copytree(blog_project, project, ignore=shutil.ignore_patterns("*.db", "__pycache__"))
    for revision in (project / "alembic" / "versions").glob("*.py"):
        revision.unlink()  # migrations made on this database's own dialect
    srv: Server | None = None
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{project / 'check.db'}"
    else:
        srv = server(kind)
        url = srv.database_url(srv.fresh_name("drift"))
    env = {"DATABASE_URL": url}

    def db(*args: str, code: int = 0) -> str:
        result = forge("db", *args, cwd=project, env=env, check=False)
        assert result.returncode == code, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        return result.stdout

    try:
        db("create")
        db("migrate", "-m", "initial")
        db("upgrade")
        assert db("check").strip().endswith("matches the spec")
        assert "schema: matches the spec" in db("status")

        statements, expected = DRIFT[kind]
        sql(url, *statements)
        lines = db("check", code=1).strip().splitlines()
        assert lines[:-1] == expected
        assert lines[-1].endswith(f": {len(expected)} {SUMMARY}")
        assert f"schema: {len(expected)} {SUMMARY}: see forge db check" in db("status")
        if srv is not None:
            assert asyncio.run(_scratch_left(url, kind)) == []
    finally:
        if srv is not None:
            db("drop", "--yes")
