"""The constraints branch's options, run for real: tests/data/constraints.yaml (composite
unique in both shapes, indexes, checks, smallint, onupdate: now, storage: numeric) with
both ORMs on SQLite, PostgreSQL and MariaDB: `forge db migrate` and `upgrade`, `alembic
check` and `forge db check` clean, the project's own tests, then the API driven by
tests/drivers/constraint_checks.py (violations answered 409/422, onupdate moving the
timestamp). `forge db check` also sees a CHECK constraint dropped behind its back."""

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
    sql,
)

SPEC = ROOT / "tests" / "data" / "constraints.yaml"
DRIVER = ROOT / "tests" / "drivers" / "constraint_checks.py"
EXPECTED = [
    "numeric storage exact",
    "composite unique refused with 409",
    "check positive_price refused with 409",
    "check track_range refused with 409",
    "smallint 32768 refused with 422",
    "smallint -32769 refused with 422",
    "smallint refused on update",
    "onupdate now changes the timestamp",
    "onupdate on a date",
    "named composite unique refused with 409",
    "null in a composite unique is allowed twice",
]


@pytest.fixture(
    scope="module",
    params=orm_kind_pairs(1, "constraints"),  # with test_keys.py's: all six pairs
    ids=lambda param: "-".join(param),
)
def migrated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str]]:
    """The spec generated for one ORM and database, migrated to head (shared by the tests)."""
    orm, kind = request.param
    folder = tmp_path_factory.mktemp(f"constraints_{orm}_{kind}")
    text = SPEC.read_text().replace("name: records", f"name: records\n  orm: {orm}")
    with migrated_project(folder, "records", text, kind) as (project, url):
        yield project, url


def test_schema_matches_and_project_tests_pass(migrated: tuple[Path, str]) -> None:
    project, url = migrated
    in_project(project, "alembic", "check", DATABASE_URL=url)
    result = forge("db", "check", cwd=project, env={"DATABASE_URL": url})
    assert "difference" not in result.stdout, result.stdout
    migration = next((project / "alembic" / "versions").glob("*_initial.py")).read_text()
    for name in ("uq_album_title_artist_id", "IFK_AlbumArtistId", "positive_price"):
        assert name in migration
    assert "ix_album_artist_id" not in migration  # IFK_AlbumArtistId replaces it
    in_project(project, "pytest", "-q", "-x", "-p", "no:cacheprovider", DATABASE_URL=url)


def test_api_answers_violations(migrated: tuple[Path, str]) -> None:
    project, url = migrated
    result = run(
        [sys.executable, str(DRIVER)],
        cwd=project,
        env={**project_env(project), "DATABASE_URL": url},
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == EXPECTED


def test_db_check_sees_a_dropped_check(migrated: tuple[Path, str]) -> None:
    project, url = migrated
    if url.startswith("sqlite"):
        pytest.skip("SQLite cannot drop a constraint (the table would be rebuilt)")
    sql(url, "ALTER TABLE album DROP CONSTRAINT track_range")
    result = forge("db", "check", cwd=project, env={"DATABASE_URL": url}, check=False)
    assert "album: check track_range" in result.stdout, result.stdout
    assert "missing from the database" in result.stdout
