"""`server_default:` and a one_to_one's unique constraint named by `unique:`, run for real.

One project per database (the ORMs taking turns, like tests/helpers.py orm_kind_pairs):
`forge db migrate` and `upgrade` build the tables; a row inserted with raw SQL that names
none of the columns reads back (through the generated models) with every server default;
a row created through the generated CRUD gets the application's defaults (the same values,
or `default:` where both are given); MySQL's ON UPDATE CURRENT_TIMESTAMP (`server_default:
now` with `onupdate: now`) moves the timestamp on a raw UPDATE; the named unique constraint
is the only one on the one_to_one's column and refuses a second row; and `alembic check`
and `forge db check` find nothing, and the project's own tests pass.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import (
    forge,
    in_project,
    migrated_project,
    orm_kind_pairs,
    project_env,
    project_with_database,
    run,
    sql,
)

SPEC = """\
project:
  name: defaults
entities:
  Staff:
    fields:
      name: str
  Store:
    fields:
      title: {type: str, max_length: 40, server_default: "it's \\"new\\" 100%"}
      visits: {type: int, server_default: 3}
      delta: {type: smallint, server_default: -2}
      ratio: {type: float, server_default: 0.5}
      rate: {type: decimal, precision: 4, scale: 2, server_default: '4.99'}
      cost: {type: decimal, precision: 5, scale: 2, storage: numeric, server_default: '19.99'}
      active: {type: bool, server_default: true}
      closed: {type: bool, server_default: false}
      rating: {type: enum, values: [G, PG-13], server_default: PG-13}
      opened_on: {type: date, server_default: now}
      first_day: {type: date, server_default: 2024-01-31}
      opens_at: {type: time, server_default: '09:30:00'}
      since: {type: datetime, server_default: '2024-01-31T12:00:00'}
      token: {type: uuid, server_default: 0b3e5b7e-8a4c-4f0e-9d7a-2f4f0c1d2e3f}
      address: {type: ipaddress, server_default: 192.0.2.1}
      note: {type: str, max_length: 10, nullable: true, server_default: server, default: app}
      last_update: {type: datetime, server_default: now, onupdate: now}
      naive_update: {type: datetime, timezone: false, server_default: now}
    relations:
      manager: {kind: one_to_one, target: Staff, nullable: true}
    unique: {idx_unique_manager: [manager]}
"""

# the values every row gets (JSON as the script below prints them)
EXPECTED = {
    "title": 'it\'s "new" 100%',
    "visits": 3,
    "delta": -2,
    "ratio": 0.5,
    "rate": "4.99",
    "cost": "19.99",
    "active": True,
    "closed": False,
    "rating": "PG-13",
    "first_day": "2024-01-31",
    "opens_at": "09:30:00",
    "token": "0b3e5b7e-8a4c-4f0e-9d7a-2f4f0c1d2e3f",
    "address": "192.0.2.1",
}

READ = """\
import asyncio, datetime as dt, json
from app.core.config import get_settings
from app.core.database import DatabaseConnectionManager
from app.core.repository import BaseRepository
from app.crud.store import StoreCRUD
from app.models.store import Store
from app.schemas.store import StoreCreate
async def main():
    manager = DatabaseConnectionManager(get_settings())
    manager.initialize()
    async with manager.sessionmaker() as session:
        await StoreCRUD(session).create(StoreCreate())
    async with manager.sessionmaker() as session:
        rows = await BaseRepository(session, Store).find_all(limit=None)
        out = []
        for row in sorted(rows, key=lambda r: r.id):
            values = {}
            for name in Store.__table__.columns.keys():
                value = getattr(row, name)
                if isinstance(value, (dt.date, dt.time)):
                    value = value.isoformat()
                elif hasattr(value, "value"):
                    value = value.value
                elif not isinstance(value, (bool, int, float, type(None))):
                    value = str(value)
                values[name] = value
            out.append(values)
        print(json.dumps(out))
    await manager.close()
asyncio.run(main())
"""


@pytest.fixture(
    scope="module",
    params=orm_kind_pairs(0, "server-defaults"),
    ids=lambda param: "-".join(param),
)
def migrated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str, str]]:
    """The spec generated for one ORM and database, migrated to head."""
    orm, kind = request.param
    folder = tmp_path_factory.mktemp(f"server_defaults_{orm}_{kind}")
    text = SPEC.replace("name: defaults", f"name: defaults\n  orm: {orm}")
    with migrated_project(folder, "defaults", text, kind) as (project, url):
        yield project, url, kind


def _rows(project: Path, url: str) -> list[dict[str, object]]:
    result = run([sys.executable, "-c", READ], project, project_env(project, DATABASE_URL=url))
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_server_defaults_fill_raw_inserts(migrated: tuple[Path, str, str]) -> None:
    project, url, kind = migrated
    migration = next((project / "alembic" / "versions").glob("*_initial.py")).read_text()
    assert "server_default=" in migration
    empty = (
        "INSERT INTO store () VALUES ()" if kind == "mysql" else "INSERT INTO store DEFAULT VALUES"
    )
    sql(url, empty)
    raw, created = _rows(project, url)  # the raw row, then one made through the CRUD
    for row in (raw, created):
        assert {k: row[k] for k in EXPECTED} == EXPECTED, row
        for name in ("opened_on", "last_update", "naive_update", "since"):
            assert row[name], (name, row)
    assert raw["since"].startswith("2024-01-31")  # type: ignore[union-attr]
    assert raw["note"] == "server"  # the DEFAULT clause
    assert created["note"] == "app"  # `default:` wins in the application
    assert raw["manager_id"] is None


def test_mysql_on_update_and_named_unique(migrated: tuple[Path, str, str]) -> None:
    project, url, kind = migrated
    sql(
        url,
        "INSERT INTO staff (name) VALUES ('a')",
        "INSERT INTO store (manager_id, visits) VALUES (1, 1)",
        "UPDATE store SET last_update = '2000-01-01 00:00:00' WHERE manager_id = 1",
        "UPDATE store SET visits = 2 WHERE manager_id = 1",
    )
    stamp = sql(url, "SELECT last_update FROM store WHERE manager_id = 1")[0][0]
    year = int(str(stamp)[:4])
    # the database moves it on MySQL only; elsewhere the application's onupdate does
    assert (year > 2000) == (kind == "mysql"), stamp
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        sql(url, "INSERT INTO store (manager_id) VALUES (1)")
    uniques = _unique_groups(url)
    assert uniques == [("idx_unique_manager", ["manager_id"])], uniques


def _unique_groups(url: str) -> list[tuple[str, list[str]]]:
    """The unique constraints and unique indexes of table store: (name, columns)."""
    import asyncio

    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    def work(connection: object) -> list[tuple[str, list[str]]]:
        inspector = sa.inspect(connection)
        found = {
            (u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints("store")
        }
        found |= {
            (i["name"], tuple(i["column_names"]))
            for i in inspector.get_indexes("store")
            if i.get("unique")
        }
        return sorted((str(name), list(columns)) for name, columns in found)

    async def main() -> list[tuple[str, list[str]]]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def test_checks_find_nothing(migrated: tuple[Path, str, str]) -> None:
    project, url, _ = migrated
    in_project(project, "alembic", "check", DATABASE_URL=url)
    result = forge("db", "check", cwd=project, env={"DATABASE_URL": url})
    assert "matches the spec" in result.stdout, result.stdout
    versions = project / "alembic" / "versions"
    before = set(versions.glob("*.py"))
    migrate = forge("db", "migrate", "-m", "again", cwd=project, env={"DATABASE_URL": url})
    assert set(versions.glob("*.py")) == before, migrate.stdout
    in_project(project, "pytest", "-q", "-x", "-p", "no:cacheprovider", DATABASE_URL=url)


def test_changed_server_default_is_migrated(migrated: tuple[Path, str, str]) -> None:
    """A server default changed in the spec gets a revision (forge writes it from the spec:
    autogenerate does not compare defaults); its downgrade puts the old one back."""
    project, url, kind = migrated
    env = {"DATABASE_URL": url}
    spec = project / "forge.yaml"
    text = spec.read_text()
    changed = text.replace("server_default: 3}", "server_default: 4}")
    changed = changed.replace(
        "last_update: {type: datetime, server_default: now, onupdate: now}",
        "last_update: {type: datetime, server_default: '2024-02-01T00:00:00'}",
    )
    assert changed.count("server_default: 4}") == 1 and "2024-02-01" in changed
    spec.write_text(changed)
    forge("generate", cwd=project)
    forge("db", "migrate", "-m", "defaults changed", cwd=project, env=env)
    revision = next((project / "alembic" / "versions").glob("*_defaults_changed.py")).read_text()
    assert revision.count("server_default=") == 4, revision  # two up, two down
    forge("db", "upgrade", cwd=project, env=env)
    assert "matches the spec" in forge("db", "check", cwd=project, env=env).stdout
    in_project(project, "alembic", "check", DATABASE_URL=url)
    insert = "INSERT INTO store (manager_id) VALUES (NULL)"
    query = "SELECT visits, last_update FROM store ORDER BY id DESC"
    visits, stamp = sql(url, insert, query)[0]
    assert visits == 4 and str(stamp).startswith("2024-02-01"), (visits, stamp)
    forge("db", "downgrade", cwd=project, env=env)  # -1, the last one
    visits, stamp = sql(url, insert, query)[0]
    assert visits == 3 and not str(stamp).startswith("2024-02-01"), (visits, stamp)
    if kind == "mysql":  # the ON UPDATE clause is back too
        sql(url, "UPDATE store SET last_update = '2000-01-01 00:00:00', visits = 5")
        stamps = sql(url, "UPDATE store SET visits = 6", "SELECT last_update FROM store")
        assert all(int(str(s[0])[:4]) > 2000 for s in stamps), stamps


LINKED = """\
project:
  name: linked
entities:
  Tag:
    fields:
      name: {type: str, max_length: 20}
  Post:
    fields:
      title: {type: str, max_length: 40, server_default: draft}
    relations:
      tags:
        kind: many_to_many
        target: Tag
        link_fields:
          weight: {type: int, server_default: 1}
"""


def test_changed_server_default_of_link_field_and_renamed_field(tmp_path: Path) -> None:
    """The server default of a link_fields field, and of a field renamed in the same
    migration, changed in the spec: the revision alters both (after the rename, under the
    new name) and its downgrade puts the old ones back. SQLite only: what is compared
    does not depend on the database."""
    with project_with_database(tmp_path, "linked", LINKED, "sqlite") as (project, url):
        env = {"DATABASE_URL": url}
        forge("db", "migrate", "-m", "initial", cwd=project, env=env)
        forge("db", "upgrade", cwd=project, env=env)
        forge("rename", "field", "Post", "title", "headline", cwd=project)
        spec = project / "forge.yaml"
        text = spec.read_text()
        changed = text.replace("server_default: draft}", "server_default: new}")
        changed = changed.replace("server_default: 1}", "server_default: 2}")
        assert changed.count("server_default: new}") == changed.count("default: 2}") == 1
        spec.write_text(changed)
        forge("generate", cwd=project)
        migrate = forge("db", "migrate", "-m", "changed", cwd=project, env=env)
        assert "post.headline: server default changed" in migrate.stdout, migrate.stdout
        assert "post_tag.weight: server default changed" in migrate.stdout, migrate.stdout
        forge("db", "upgrade", cwd=project, env=env)
        assert "matches the spec" in forge("db", "check", cwd=project, env=env).stdout
        rows = (
            "INSERT INTO post DEFAULT VALUES",
            "INSERT INTO tag (name) VALUES ('t')",
            "INSERT INTO post_tag (post_id, tag_id) SELECT max(id), 1 FROM post",
            "SELECT headline, weight FROM post JOIN post_tag ON post_id = post.id",
        )
        assert sql(url, *rows) == [("new", 2)]
        sql(url, "DELETE FROM post_tag", "DELETE FROM post")
        forge("db", "downgrade", cwd=project, env=env)
        rows = (rows[0], rows[2], rows[3].replace("headline", "title"))
        assert sql(url, *rows) == [("draft", 1)]
