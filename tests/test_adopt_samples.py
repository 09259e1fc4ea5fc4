"""Issue 14's Done-when: adopt Chinook and Sakila, on SQLite, PostgreSQL and MariaDB.

For each sample and database (tests/samples.py builds a faithful copy, schema and rows):
`forge import` it, `forge new` a project from the imported spec for that database, then
against the ORIGINAL database:
- `forge db baseline` (without --accept-differences) finds no difference between the
  database and the spec, writes the first revision and stamps the database at it;
- `forge db check` says the database matches the spec;
- `forge db migrate` finds nothing to do and `forge db upgrade` runs no migration;
- the generated repositories read every original row (per table, the link tables too);
- an insert through the generated CRUD gets the next key (PostgreSQL sequences behind
  the rows are advanced by baseline).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.helpers import forge, project_env, run

samples = pytest.importorskip("tests.samples")

CASES = [(s, k) for s in ("chinook", "sakila") for k in ("sqlite", "postgresql", "mysql")]
# (CRUD module, class, create arguments, table): a row the test inserts
INSERTS = {
    "chinook": ("artist", "Artist", "name='New'", "Artist"),
    "sakila": ("category", "Category", "name='New'", "category"),
}

READ_ALL = """\
import asyncio, inspect
import app.models as models
from app.core.config import get_settings
from app.core.database import DatabaseConnectionManager
from app.core.repository import BaseRepository
try:
    import app.models.links as links
except ImportError:
    links = None
classes = {
    obj for module in (models, links) if module is not None
    for obj in vars(module).values()
    if inspect.isclass(obj) and hasattr(obj, "__table__")
}
async def main():
    manager = DatabaseConnectionManager(get_settings())
    manager.initialize()
    async with manager.sessionmaker() as session:
        for cls in sorted(classes, key=lambda c: c.__table__.name):
            rows = await BaseRepository(session, cls).find_all(limit=None)
            print(cls.__table__.name, len(rows))
    await manager.close()
asyncio.run(main())
"""

INSERT = """\
import asyncio
from app.core.config import get_settings
from app.core.database import DatabaseConnectionManager
from app.crud.{module} import {cls}CRUD
from app.schemas.{module} import {cls}Create
async def main():
    manager = DatabaseConnectionManager(get_settings())
    manager.initialize()
    async with manager.sessionmaker() as session:
        row = await {cls}CRUD(session).create({cls}Create({args}))
        print(row.id)
    await manager.close()
asyncio.run(main())
"""


@pytest.mark.parametrize(("sample", "kind"), CASES)
def test_adopt_sample_database(tmp_path: Path, sample: str, kind: str) -> None:
    with samples.sample_database(sample, kind, tmp_path) as url:
        counts = samples.expected_counts(sample)
        plain = re.sub(r"\+\w+://", "://", url, count=1)  # what a user types
        forge("import", plain, "-o", "forge.yaml", cwd=tmp_path)
        project = tmp_path / "adopted"
        new = ["new", str(project), "--spec", "forge.yaml", "--database", kind, "--defaults"]
        forge(*new, cwd=tmp_path)
        env = {"DATABASE_URL": url}

        done = forge("db", "baseline", cwd=project, env=env, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "matches the spec and is stamped at it" in done.stdout, done.stdout

        check = forge("db", "check", cwd=project, env=env, check=False)
        assert check.returncode == 0, check.stdout
        assert "matches the spec" in check.stdout

        versions = project / "alembic" / "versions"
        before = set(versions.glob("*.py"))
        migrate = forge("db", "migrate", "-m", "after baseline", cwd=project, env=env)
        written = set(versions.glob("*.py")) - before
        assert not written, [path.read_text() for path in written]
        assert migrate.stdout.strip() == "No changes detected; no revision written"
        upgrade = forge("db", "upgrade", cwd=project, env=env)
        assert "Running upgrade" not in upgrade.stdout + upgrade.stderr

        read = run([sys.executable, "-c", READ_ALL], project, project_env(project, **env))
        found = dict(line.rsplit(" ", 1) for line in read.stdout.splitlines())
        assert {table: int(n) for table, n in found.items()} == counts

        module, cls, args, table = INSERTS[sample]
        code = INSERT.format(module=module, cls=cls, args=args)
        created = run([sys.executable, "-c", code], project, project_env(project, **env))
        assert created.stdout.split() == [str(counts[table] + 1)]
