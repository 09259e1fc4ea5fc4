"""`forge db baseline`, run as a user adopting a live database would, on SQLite,
PostgreSQL and MariaDB.

The live database is built without migrations (`forge db copy`) and filled with rows
carrying explicit ids; baseline writes the first revision and stamps the database, after
which `forge db migrate` has nothing to do, `upgrade` is a no-op, `check` agrees, an
insert without an id gets the next key (PostgreSQL sequences advanced), and the revision
builds the same schema in a fresh, empty database. Refusals write nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import forge, project_with_database, sql, tree_digest
from tests.servers import server

SPEC = """\
project:
  name: adopted
entities:
  Author:
    fields:
      name: {type: str, max_length: 80, unique: true}
      status: {type: enum, values: [new, known], default: new}
  Book:
    fields:
      title: {type: str, max_length: 200, index: true}
    relations:
      author: {kind: many_to_one, target: Author, inverse: books, on_delete: cascade}
      tags: {kind: many_to_many, target: Tag, inverse: books}
  Tag:
    fields:
      label: {type: str, max_length: 30, unique: true}
"""

ROWS = (
    "INSERT INTO author (id, name, status) VALUES (1, 'Ann', 'new'), (7, 'Bob', 'known')",
    "INSERT INTO book (id, title, author_id) VALUES (3, 'One', 1), (9, 'Two', 7)",
)


def _files(project: Path) -> dict[str, str]:
    """The project's files, its SQLite database left out."""
    return {k: v for k, v in tree_digest(project).items() if not k.endswith(".db")}


def _versions(project: Path) -> list[str]:
    return sorted(p.name for p in (project / "alembic" / "versions").glob("*.py"))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "mysql"])
def test_baseline_adopts_a_live_database(tmp_path: Path, kind: str) -> None:
    with project_with_database(tmp_path, "i14_base", SPEC, kind) as (project, url):
        env = {"DATABASE_URL": url}
        forge("db", "copy", cwd=project, env=env)  # the "existing" database: no migrations
        sql(url, *ROWS)

        done = forge("db", "baseline", cwd=project, env=env)
        [revision_file] = _versions(project)
        revision = revision_file.split("_", 1)[0]
        assert done.stdout.startswith(f"wrote baseline revision {revision} (alembic/versions/")
        assert "is stamped at it (no migration ran, its data untouched)" in done.stdout
        if kind == "postgresql":
            assert done.stdout.rstrip().endswith("2 key sequences advanced past the existing rows")
        assert sql(url, "SELECT version_num FROM alembic_version") == [(revision,)]

        migrate = forge("db", "migrate", "-m", "nothing", cwd=project, env=env)
        assert migrate.stdout.strip() == "No changes detected; no revision written"
        assert _versions(project) == [revision_file]
        upgrade = forge("db", "upgrade", cwd=project, env=env)
        assert "Running upgrade" not in upgrade.stdout + upgrade.stderr
        assert "matches the spec" in forge("db", "check", cwd=project, env=env).stdout
        sql(url, "INSERT INTO author (name, status) VALUES ('Cid', 'new')")
        assert sql(url, "SELECT max(id) FROM author") == [(8,)]

        again = forge("db", "baseline", cwd=project, env=env, check=False)
        assert again.returncode == 1
        assert again.stderr.strip() == (
            "error: the project already has 1 revision(s): a baseline is only the first "
            "revision of a project adopting a database; nothing was written"
        )

        # the baseline builds the schema in a fresh, empty database
        if kind == "sqlite":
            fresh = url.replace("i14_base.db", "fresh.db")
            forge("db", "upgrade", cwd=project, env={"DATABASE_URL": fresh})
            assert (
                "matches the spec"
                in forge("db", "check", cwd=project, env={"DATABASE_URL": fresh}).stdout
            )
            forge("db", "downgrade", "base", cwd=project, env={"DATABASE_URL": fresh})
        else:
            srv = server(kind)
            fresh = srv.database_url(srv.fresh_name("i14_fresh"))
            forge("db", "create", cwd=project, env={"DATABASE_URL": fresh})
            try:
                forge("db", "upgrade", cwd=project, env={"DATABASE_URL": fresh})
                assert (
                    "matches the spec"
                    in forge("db", "check", cwd=project, env={"DATABASE_URL": fresh}).stdout
                )
                forge("db", "downgrade", "base", cwd=project, env={"DATABASE_URL": fresh})
            finally:
                forge("db", "drop", "--yes", cwd=project, env={"DATABASE_URL": fresh}, check=False)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "mysql"])
def test_baseline_refusals_write_nothing(tmp_path: Path, kind: str) -> None:
    with project_with_database(tmp_path, "i14_nobase", SPEC, kind) as (project, url):
        env = {"DATABASE_URL": url}
        forge("db", "copy", cwd=project, env=env)
        sql(url, "ALTER TABLE tag ADD COLUMN extra INTEGER")
        before = _files(project)
        differs = forge("db", "baseline", cwd=project, env=env, check=False)
        assert differs.returncode == 1
        assert differs.stdout.splitlines() == [
            "tag.extra: column in the database is not in the spec"
        ]
        error = differs.stderr.strip()
        assert error.startswith("error: ") and "differs from the spec in 1 place(s)" in error
        assert error.endswith(
            "nothing was written: change forge.yaml until `forge db check` finds nothing, "
            "or keep them with --accept-differences"
        )
        assert _files(project) == before
        assert "alembic_version" not in [t for (t,) in sql(url, _TABLES[kind])]

        sql(url, "ALTER TABLE tag DROP COLUMN extra")
        sql(
            url,
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
            "INSERT INTO alembic_version VALUES ('abc123')",
        )
        stamped = forge("db", "baseline", cwd=project, env=env, check=False)
        assert stamped.returncode == 1
        assert stamped.stderr.strip().endswith(
            "already has an alembic_version row (abc123): it is managed by migrations "
            "already; nothing was written"
        )
        assert _files(project) == before


_TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    "mysql": "SHOW TABLES",
}
