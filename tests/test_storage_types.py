"""Branch sakila-b's `storage:` options, run for real: tests/data/storage_types.yaml
(tinyint / mediumint on fields and on integer keys, tinytext / text / mediumtext /
longtext, timestamp, decimal) with both ORMs taking turns on SQLite, PostgreSQL and
MariaDB: `forge db migrate` and `upgrade`, the column types each database got, the
project's own tests, rows at the edges of every range through the generated API (read back
as sent) and one past them refused with 422 (tests/drivers/storage_checks.py), a backup
restored into the re-created tables with the same rows, and `alembic check` and
`forge db check` finding nothing."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import (
    ROOT,
    forge,
    in_project,
    migrated_project,
    orm_kind_pairs,
    project_env,
    run,
)

SPEC = ROOT / "tests" / "data" / "storage_types.yaml"
DRIVER = ROOT / "tests" / "drivers" / "storage_checks.py"
EXPECTED = [
    "tinyint -128 stored",
    "tinyint 127 stored",
    "tinyint 128 refused with 422",
    "tinyint -129 refused with 422",
    "mediumint -8388608 stored",
    "mediumint 8388607 stored",
    "mediumint 8388608 refused with 422",
    "mediumint -8388609 refused with 422",
    "tinytext 255 bytes stored",
    "tinytext 256 bytes refused with 422",
    "tinytext 256 characters refused with 422",
    "text 65535 bytes stored",
    "text 65536 bytes refused with 422",
    "mediumtext 200000 bytes stored",
    "longtext 300000 bytes stored",
    "timestamp 1970-01-01T00:00:01Z stored",
    "timestamp 2038-01-19T03:14:07Z stored",
    "timestamp 1970-01-01T00:00:00Z refused with 422",
    "timestamp 2038-01-19T03:14:08Z refused with 422",
    "timestamp 2038-01-19T05:00:00+01:00 refused with 422",
    "decimal 99.99 stored",
    "decimal 100.00 refused with 422",
    "tinyint key 128 refused with 422",
    "mediumint key 8388608 refused with 422",
    "tinyint foreign key 128 refused with 422",
    "timestamp default now",
]
# the column types each database reflects (the storages without a type of their own
# there get the nearest one)
TYPES = {
    "sqlite": {
        ("language", "language_id"): "INTEGER",
        ("film", "film_id"): "INTEGER",
        ("film", "language_id"): "INTEGER",
        ("film", "rental_duration"): "SMALLINT",
        ("film", "stock"): "INTEGER",
        ("film", "blurb"): "TEXT",
        ("film", "description"): "TEXT",
        ("film", "script"): "TEXT",
        ("film", "shown_at"): "TIMESTAMP",
        ("film", "rental_rate"): "DECIMAL(4, 2)",
        ("film_language", "language_id"): "INTEGER",
    },
    "postgresql": {
        ("language", "language_id"): "SMALLINT",
        ("film", "film_id"): "INTEGER",
        ("film", "language_id"): "SMALLINT",
        ("film", "rental_duration"): "SMALLINT",
        ("film", "stock"): "INTEGER",
        ("film", "blurb"): "TEXT",
        ("film", "description"): "TEXT",
        ("film", "script"): "TEXT",
        ("film", "shown_at"): "TIMESTAMP WITH TIME ZONE",
        ("film", "rental_rate"): "NUMERIC(4, 2)",
        ("film_language", "language_id"): "SMALLINT",
    },
    "mysql": {
        ("language", "language_id"): "TINYINT(4)",
        ("film", "film_id"): "MEDIUMINT(9)",
        ("film", "language_id"): "TINYINT(4)",
        ("film", "rental_duration"): "TINYINT(4)",
        ("film", "stock"): "MEDIUMINT(9)",
        ("film", "blurb"): "TINYTEXT",
        ("film", "description"): "TEXT",
        ("film", "notes"): "MEDIUMTEXT",
        ("film", "script"): "LONGTEXT",
        ("film", "shown_at"): "TIMESTAMP",
        ("film", "rental_rate"): "DECIMAL(4, 2)",
        ("film_language", "language_id"): "TINYINT(4)",
        ("film_language", "film_id"): "MEDIUMINT(9)",
    },
}

COLUMN_TYPES = """\
import asyncio, json, sys
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
async def main():
    engine = create_async_engine(sys.argv[1])
    async with engine.connect() as connection:
        def read(sync):
            inspector = inspect(sync)
            return {
                f"{table}.{column['name']}": str(column["type"].compile(dialect=sync.dialect))
                for table in inspector.get_table_names()
                for column in inspector.get_columns(table)
            }
        print(json.dumps(await connection.run_sync(read)))
    await engine.dispose()
asyncio.run(main())
"""


@pytest.fixture(
    scope="module",
    params=orm_kind_pairs(0, "storage"),
    ids=lambda param: "-".join(param),
)
def migrated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str, str]]:
    """The spec generated for one ORM and database, migrated to head."""
    orm, kind = request.param
    folder = tmp_path_factory.mktemp(f"storage_{orm}_{kind}")
    text = SPEC.read_text().replace("name: reels", f"name: reels\n  orm: {orm}")
    with migrated_project(folder, "reels", text, kind) as (project, url):
        yield project, url, kind


def _clean(project: Path, url: str) -> None:
    in_project(project, "alembic", "check", DATABASE_URL=url)
    result = forge("db", "check", cwd=project, env={"DATABASE_URL": url})
    assert "matches the spec" in result.stdout, result.stdout


def test_column_types_and_project_tests(migrated: tuple[Path, str, str]) -> None:
    project, url, kind = migrated
    found = run([sys.executable, "-c", COLUMN_TYPES, url], project, project_env(project))
    types = json.loads(found.stdout)
    for (table, column), expected in TYPES[kind].items():
        assert types[f"{table}.{column}"] == expected, (table, column, types)
    _clean(project, url)
    in_project(project, "pytest", "-q", "-x", "-p", "no:cacheprovider", DATABASE_URL=url)


def test_api_edges_and_backup_restore(migrated: tuple[Path, str, str], tmp_path: Path) -> None:
    project, url, _ = migrated
    env = {**project_env(project), "DATABASE_URL": url}
    result = run([sys.executable, str(DRIVER)], cwd=project, env=env)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == EXPECTED
    before = run([sys.executable, str(DRIVER), "rows"], cwd=project, env=env).stdout
    assert json.loads(before)["films"]["total"] > 10

    backup = tmp_path / "reels.jsonl.gz"
    db_env = {"DATABASE_URL": url}
    forge("db", "backup", "-o", str(backup), cwd=project, env=db_env)
    forge("db", "downgrade", "base", cwd=project, env=db_env)
    forge("db", "upgrade", cwd=project, env=db_env)
    forge("db", "restore", "--yes", str(backup), cwd=project, env=db_env)
    after = run([sys.executable, str(DRIVER), "rows"], cwd=project, env=env).stdout
    assert json.loads(after) == json.loads(before)
    _clean(project, url)
