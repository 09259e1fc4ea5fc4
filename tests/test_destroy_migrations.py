"""`forge destroy entity` of an entity that another one refers to, migrated on SQLite,
PostgreSQL and MariaDB (the ORMs taking turns: tests/helpers.py orm_kind_pairs).

SQLite keeps no name for a foreign key declared in CREATE TABLE, and alembic's batch mode
cannot drop or add an unnamed one: the revision that drops `book.author_id` (and its key)
failed with "Constraint must have a name", upgrading and downgrading. The generated
env.py now leaves such a key to go with its column and names a key it adds. Here: rows in
both tables, destroy Author, migrate with --allow-drop, upgrade; the books are still
there, `alembic check` finds nothing; downgrade brings the column and its key back (a
reference to a missing author is refused again), upgrade again, downgrade to base.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import forge, in_project, orm_kind_pairs, sql
from tests.servers import server

SPEC = """\
project: {{name: shelf, orm: {orm}}}
entities:
  Author:
    fields: {{name: {{type: str, max_length: 50}}}}
  Book:
    fields: {{title: {{type: str, max_length: 50}}}}
    relations:
      author: {{kind: many_to_one, target: Author, nullable: true, inverse: books}}
"""


@pytest.mark.parametrize("pair", orm_kind_pairs(0, "destroy"))
def test_destroy_a_referenced_entity(tmp_path: Path, pair: tuple[str, str]) -> None:
    orm, kind = pair
    (tmp_path / "forge.yaml").write_text(SPEC.format(orm=orm))
    project = tmp_path / "shelf"
    new = ["new", str(project), "--spec", "forge.yaml", "--database", kind, "--defaults"]
    forge(*new, cwd=tmp_path)
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'shelf.db'}"
    else:
        srv = server(kind)
        url = srv.database_url(srv.fresh_name("destroy"))
        forge("db", "create", cwd=project, env={"DATABASE_URL": url})
    env = {"DATABASE_URL": url}
    try:
        forge("db", "migrate", "-m", "initial", cwd=project, env=env)
        in_project(project, "alembic", "upgrade", "head", **env)
        sql(url, "INSERT INTO author (id, name) VALUES (1, 'Ann')")
        sql(url, "INSERT INTO book (id, title, author_id) VALUES (1, 'One', 1), (2, 'Two', NULL)")

        forge("destroy", "entity", "Author", cwd=project)
        forge("db", "migrate", "-m", "no authors", "--allow-drop", cwd=project, env=env)
        in_project(project, "alembic", "upgrade", "head", **env)
        assert sql(url, "SELECT id, title FROM book ORDER BY id") == [(1, "One"), (2, "Two")]
        in_project(project, "alembic", "check", **env)

        forge("db", "downgrade", "-1", cwd=project, env=env)  # "-1" is no option
        sql(url, "INSERT INTO author (id, name) VALUES (1, 'Ann')")
        sql(url, "UPDATE book SET author_id = 1 WHERE id = 1")
        pragma = ("PRAGMA foreign_keys=ON",) if kind == "sqlite" else ()
        with pytest.raises(Exception, match="(?i)foreign key"):
            sql(url, *pragma, "UPDATE book SET author_id = 99 WHERE id = 2")
        in_project(project, "alembic", "upgrade", "head", **env)
        in_project(project, "alembic", "downgrade", "base", **env)
    finally:
        if kind != "sqlite":
            forge("db", "drop", "--yes", cwd=project, env=env, check=False)
