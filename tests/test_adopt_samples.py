"""Issue 14's Done-when: adopt Chinook and Sakila, on SQLite, PostgreSQL and MariaDB.

For each sample and database (tests/samples.py builds a faithful copy, schema and rows):
`forge import` it, `forge new` a project from the imported spec for that database,
`forge db baseline` against the ORIGINAL database, then:
- every difference `forge db check` finds is one the import named in a note (what the spec
  cannot express: NVARCHAR, TIMESTAMP WITHOUT TIME ZONE, server defaults, index names used
  on two tables...); baseline printed exactly those as kept; with no difference, check
  says the database matches the spec;
- `forge db migrate` finds nothing to do (or, when it writes a revision, the differences it
  acts on were all noted), and `forge db upgrade` runs no migration;
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
# the pairs whose imported spec says exactly what the database holds: check finds no
# difference and migrate writes no revision (the others: each difference is a noted one)
EXACT = {
    ("chinook", "sqlite"),
    ("chinook", "postgresql"),
    ("chinook", "mysql"),
    ("sakila", "postgresql"),
}
# (CRUD module, class, create arguments, table): a row the test inserts
INSERTS = {
    "chinook": ("artist", "Artist", "name='New'", "Artist"),
    "sakila": ("category", "Category", "name='New'", "category"),
}
_WORDS = {"index", "unique", "constraint", "key", "primary", "check", "foreign", "type"}

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


def _notes(output: str) -> list[str]:
    """The import's notes: the indented lines after its `not expressed` header."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("not expressed")), None)
    if start is None:
        return []
    return [line.strip() for line in lines[start + 1 :] if line.startswith("  ")]


def explained(difference: str, notes: list[str]) -> bool:
    """Whether a note of the import names this `forge db check` difference: a column's
    difference by its place (`Album.Title`), a table's by the table and one of the
    names it shows (index, constraint, key or column), an enum type by its name."""
    place, _, rest = difference.partition(": ")
    if place.startswith("enum type "):
        name = place.removeprefix("enum type ")
        return any(re.search(rf"\b{re.escape(name)}\b", note) for note in notes)
    if "." in place:
        return any(note.startswith((f"{place}:", f"{place},")) for note in notes)
    names: set[str] = set()
    for name, columns in re.findall(r"(\w+) \(([^)]*)\)", rest):
        names |= {c.strip() for c in columns.split(",")} | ({name} - _WORDS)
    return any(
        note.split(":")[0].split(".")[0] == place
        and any(re.search(rf"\b{re.escape(name)}\b", note) for name in names)
        for note in notes
    )


def test_explained_matches_places_and_names() -> None:
    notes = [
        "Album.Title: NVARCHAR(160); imported as str: VARCHAR(160)",
        "PlaylistTrack: index IFK_PlaylistTrackTrackId (TrackId); not kept (on a link table)",
        "film.rating: enum type mpaa_rating; forge names its type film_rating",
    ]
    assert explained("Album.Title: type NVARCHAR(160) in the database, the spec says X", notes)
    assert not explained("Album.Other: type NVARCHAR(160) in the database", notes)
    assert explained("PlaylistTrack: index TrackId (TrackId) missing from the database", notes)
    assert not explained("Track: index TrackId (TrackId) missing from the database", notes)
    assert explained("enum type mpaa_rating: in the database is not in the spec", notes)
    assert not explained("enum type other: in the database is not in the spec", notes)


@pytest.mark.parametrize(("sample", "kind"), CASES)
def test_adopt_sample_database(tmp_path: Path, sample: str, kind: str) -> None:
    with samples.sample_database(sample, kind, tmp_path) as url:
        counts = samples.expected_counts(sample)
        plain = re.sub(r"\+\w+://", "://", url, count=1)  # what a user types
        imported = forge("import", plain, "-o", "forge.yaml", cwd=tmp_path)
        notes = _notes(imported.stdout)
        project = tmp_path / "adopted"
        forge(
            "new",
            str(project),
            "--spec",
            "forge.yaml",
            "--database",
            kind,
            "--defaults",
            cwd=tmp_path,
        )
        env = {"DATABASE_URL": url}

        done = forge("db", "baseline", "--accept-differences", cwd=project, env=env)
        kept = [
            line[len("kept: ") :] for line in done.stdout.splitlines() if line.startswith("kept: ")
        ]
        assert [d for d in kept if not explained(d, notes)] == [], imported.stdout
        assert "is stamped at it (no migration ran, its data untouched)" in done.stdout
        if (sample, kind) in EXACT:
            assert kept == [], done.stdout

        check = forge("db", "check", cwd=project, env=env, check=False)
        if kept:
            assert check.returncode == 1
            assert check.stdout.splitlines()[:-1] == kept
        else:
            assert check.returncode == 0, check.stdout
            assert "matches the spec" in check.stdout

        versions = project / "alembic" / "versions"
        before = set(versions.glob("*.py"))
        migrate = forge("db", "migrate", "-m", "after baseline", cwd=project, env=env)
        written = set(versions.glob("*.py")) - before
        if written:  # the differences it acts on are the noted ones above
            assert (sample, kind) not in EXACT, [p.read_text() for p in written]
            assert kept, migrate.stdout
            for path in written:
                path.unlink()
                path.with_suffix(".forge.json").unlink(missing_ok=True)
        else:
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
