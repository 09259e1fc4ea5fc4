"""Foreign-key cycles with a nullable side, run end to end on SQLite, PostgreSQL and MariaDB,
the ORMs taking turns (tests/helpers.py orm_kind_pairs; tests/scripts/full_matrix.sh runs
every pair): store.manager_id <-> staff.store_id, a 3-cycle a -> b -> c -> a through a
one_to_one, and a self-reference.

Each ORM's project is generated once and copied per database. On each: `forge db migrate`,
`upgrade head`, `alembic check` and `forge db check` clean; rows inserted through the
generated CRUD (a store, its staff, then the manager set; the same around the 3-cycle);
the project's own tests; `forge db backup` then `forge db restore` into an empty database
gives the same rows; `downgrade base` leaves no table.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator import cycles
from generator.model import build_model, key_edges
from generator.spec import parse_spec, read_yaml
from tests.helpers import forge, in_project, orm_kind_pairs, project_env, run, sql
from tests.servers import server

SPEC = """\
project: {name: cyc}
entities:
  Store:
    fields: {name: {type: str, max_length: 50}}
    relations:
      manager: {kind: many_to_one, target: Staff, nullable: true, inverse: managed_stores}
  Staff:
    fields: {name: {type: str, max_length: 50}}
    relations:
      store: {kind: many_to_one, target: Store, inverse: staff}
      boss: {kind: many_to_one, target: Staff, nullable: true}
  Region:
    fields: {name: {type: str, max_length: 50}}
    relations:
      office: {kind: many_to_one, target: Office}
  Office:
    fields: {name: {type: str, max_length: 50}}
    relations:
      desk: {kind: one_to_one, target: Desk}
  Desk:
    fields: {name: {type: str, max_length: 50}}
    relations:
      region: {kind: many_to_one, target: Region, nullable: true, on_delete: set_null}
"""

# Run inside the project: rows through the generated CRUD, then read back in a new session.
ROWS = """\
import asyncio, json
from app.core.database import DatabaseConnectionManager
from app.crud.desk import DeskCRUD
from app.crud.office import OfficeCRUD
from app.crud.region import RegionCRUD
from app.crud.staff import StaffCRUD
from app.crud.store import StoreCRUD
from app.schemas.desk import DeskCreate, DeskUpdate
from app.schemas.office import OfficeCreate
from app.schemas.region import RegionCreate
from app.schemas.staff import StaffCreate
from app.schemas.store import StoreCreate, StoreUpdate


async def main() -> None:
    manager = DatabaseConnectionManager()
    manager.initialize()
    async with manager.sessionmaker() as session:
        store = await StoreCRUD(session).create(StoreCreate(name="Main"))
        mike = await StaffCRUD(session).create(StaffCreate(name="Mike", store_id=store.id))
        await StaffCRUD(session).create(
            StaffCreate(name="Jon", store_id=store.id, boss_id=mike.id)
        )
        await StoreCRUD(session).update(store.id, StoreUpdate(manager_id=mike.id))
        desk = await DeskCRUD(session).create(DeskCreate(name="d1"))
        office = await OfficeCRUD(session).create(OfficeCreate(name="o1", desk_id=desk.id))
        region = await RegionCRUD(session).create(
            RegionCreate(name="r1", office_id=office.id)
        )
        await DeskCRUD(session).update(desk.id, DeskUpdate(region_id=region.id))
        ids = [store.id, mike.id, desk.id, region.id]
    async with manager.sessionmaker() as session:
        store = await StoreCRUD(session).find(ids[0])
        desk = await DeskCRUD(session).find(ids[2])
        assert store is not None and store.manager_id == ids[1], store
        assert desk is not None and desk.region_id == ids[3], desk
    await manager.close()
    print(json.dumps(ids))


asyncio.run(main())
"""

ORMS = ("sqlmodel", "sqlalchemy")
KINDS = ("sqlite", "postgresql", "mysql")
TABLES = ["desk", "office", "region", "staff", "store"]
ROW_QUERIES = (
    "SELECT id, name, manager_id FROM store ORDER BY id",
    "SELECT id, name, store_id, boss_id FROM staff ORDER BY id",
    "SELECT id, name, region_id FROM desk ORDER BY id",
    "SELECT id, name, desk_id FROM office ORDER BY id",
    "SELECT id, name, office_id FROM region ORDER BY id",
)


def test_breaking_keys_are_the_nullable_ones_in_cycles() -> None:
    """The choice (cycles.py): the nullable key of each cycle; never a self-reference."""
    model = build_model(parse_spec(read_yaml(SPEC)))
    chosen = [(e.source, e.column) for e in cycles.breaking(key_edges(model))]
    assert chosen == [("Store", "manager_id"), ("Desk", "region_id")]
    keys = {(e.class_name, fk.column): fk for e in model.entities for fk in e.foreign_keys}
    assert keys["Store", "manager_id"].constraint == "fk_store_manager_id"
    assert keys["Desk", "region_id"].use_alter
    assert not keys["Staff", "boss_id"].use_alter and not keys["Staff", "store_id"].use_alter


def test_both_nullable_breaks_the_later_key_in_spec_order() -> None:
    text = SPEC.replace(
        "target: Store, inverse: staff}", "target: Store, inverse: staff, nullable: true}"
    )
    model = build_model(parse_spec(read_yaml(text)))
    chosen = [(e.source, e.column) for e in cycles.breaking(key_edges(model))]
    assert chosen == [("Staff", "store_id"), ("Desk", "region_id")]


def test_no_cycle_changes_nothing() -> None:
    text = (
        "project: {name: x}\nentities:\n  A: {}\n  B:\n    relations:\n"
        "      a: {kind: many_to_one, target: A, nullable: true}\n"
    )
    model = build_model(parse_spec(read_yaml(text)))
    assert not any(fk.use_alter for e in model.entities for fk in e.foreign_keys)


@pytest.mark.parametrize("orm", ORMS)
def test_models_are_black_stable(orm: str) -> None:
    """The use_alter spelling (sa_column_args for SQLModel, inside mapped_column for
    SQLAlchemy), short and long, is what black writes, in-process."""
    import black

    from generator.format import _mode, may_change
    from generator.project import render_jobs

    long = SPEC.replace("Desk:\n", "Desk:\n    table: d" + "e" * 40 + "\n")
    for text in (SPEC, long):
        data = read_yaml(text.replace("{name: cyc}", f"{{name: cyc, orm: {orm}}}"))
        renders = {str(job.path): (job, source) for job, source in render_jobs(parse_spec(data))}
        for path in ("app/models/store.py", "app/models/desk.py"):
            assert "use_alter=True" in renders[path][1]
        for job, source in renders.values():
            if not may_change(job.template, source):
                assert black.format_str(source, mode=_mode()) == source, job.path


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One project per ORM, rendered once; each database run works on a copy."""
    folder = tmp_path_factory.mktemp("cycles")
    (folder / "forge.yaml").write_text(SPEC)
    projects = {}
    for orm in ORMS:
        project = folder / f"cyc_{orm}"
        forge(
            "new", str(project), "--spec", str(folder / "forge.yaml"), "--orm", orm,
            "--defaults", cwd=folder,
        )  # fmt: skip
        projects[orm] = project
    return projects


class Databases:
    def __init__(self, kind: str, folder: Path) -> None:
        self.kind, self.folder, self.made = kind, folder, []  # type: list[str]

    def new(self, project: Path, label: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite+aiosqlite:///{self.folder / f'{label}.db'}"
        srv = server(self.kind)
        url = srv.database_url(srv.fresh_name(f"cyc_{label}"))
        forge("db", "create", cwd=project, env={"DATABASE_URL": url})
        self.made.append(url)
        return url

    def drop(self, project: Path) -> None:
        for url in self.made if project.is_dir() else ():
            forge("db", "drop", "--yes", cwd=project, env={"DATABASE_URL": url}, check=False)


@pytest.fixture
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Databases]:
    params = request.node.callspec.params
    made = Databases(params["kind"] if "kind" in params else params["pair"][1], tmp_path)
    yield made
    made.drop(tmp_path / "project")


def rows(url: str) -> list[object]:
    return [sql(url, query) for query in ROW_QUERIES]


@pytest.mark.parametrize("pair", orm_kind_pairs(1, "cycles"))
def test_cycle_end_to_end(
    generated: dict[str, Path], databases: Databases, tmp_path: Path, pair: tuple[str, str]
) -> None:
    orm, kind = pair
    project = tmp_path / "project"
    shutil.copytree(generated[orm], project)
    url = databases.new(project, "main")
    env = {"DATABASE_URL": url}

    forge("db", "migrate", "-m", "initial", cwd=project, env=env)
    revision = next((project / "alembic" / "versions").glob("*.py")).read_text()
    if kind == "sqlite":  # inline: SQLite accepts a reference to a table yet to come
        assert "create_foreign_key" not in revision
    else:
        assert "op.create_foreign_key('fk_store_manager_id', 'store', 'staff'" in revision
        assert "op.drop_constraint('fk_desk_region_id', 'desk', type_='foreignkey')" in revision
    in_project(project, "alembic", "upgrade", "head", **env)
    in_project(project, "alembic", "check", **env)
    assert "matches the spec" in forge("db", "check", cwd=project, env=env).stdout

    made = run([sys.executable, "-c", ROWS], cwd=project, env=project_env(project, **env))
    ids = json.loads(made.stdout)
    assert len(ids) == 4
    before = rows(url)
    assert before[0] == [(ids[0], "Main", ids[1])]

    in_project(project, "pytest", "-q", "-x", "-p", "no:cacheprovider", **env)
    assert rows(url) == before  # the project's tests leave its database alone

    backup = tmp_path / "cyc.jsonl.gz"
    forge("db", "backup", "-o", str(backup), cwd=project, env=env)
    other = databases.new(project, "restored")
    restored = forge(
        "db", "restore", str(backup), "--yes", cwd=project, env={"DATABASE_URL": other}
    )
    assert "verified" in restored.stdout, restored.stdout
    assert rows(other) == before

    in_project(project, "alembic", "downgrade", "base", DATABASE_URL=other)
    assert tables(kind, other) == []

    # `forge db clear-migration`: its baseline creates (and drops) the keys the same way
    forge("db", "clear-migration", "--yes", cwd=project, env=env)
    in_project(project, "alembic", "check", **env)
    in_project(project, "alembic", "downgrade", "base", **env)
    assert tables(kind, url) == []
    in_project(project, "alembic", "upgrade", "head", **env)
    in_project(project, "alembic", "check", **env)


def tables(kind: str, url: str) -> list[str]:
    """The tables left in a database, but alembic_version."""
    return sorted(
        str(name) for (name,) in sql(url, _TABLES_QUERY[kind]) if name != "alembic_version"
    )


_TABLES_QUERY = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    "mysql": "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()",
}


@pytest.mark.parametrize("kind", KINDS)
def test_destroy_one_entity_of_the_cycle(
    generated: dict[str, Path], databases: Databases, tmp_path: Path, kind: str
) -> None:
    """`forge destroy entity Staff`: its table goes, and store.manager_id with it; the
    revision upgrades, leaves no drift, downgrades and upgrades again."""
    project = tmp_path / "project"
    shutil.copytree(generated["sqlmodel"], project)
    env = {"DATABASE_URL": databases.new(project, "destroy")}
    forge("db", "migrate", "-m", "initial", cwd=project, env=env)
    in_project(project, "alembic", "upgrade", "head", **env)
    forge("destroy", "entity", "Staff", cwd=project)
    forge("db", "migrate", "-m", "no staff", "--allow-drop", cwd=project, env=env)
    in_project(project, "alembic", "upgrade", "head", **env)
    in_project(project, "alembic", "check", **env)
    in_project(project, "alembic", "downgrade", "-1", **env)
    in_project(project, "alembic", "upgrade", "head", **env)
    in_project(project, "alembic", "downgrade", "base", **env)
    assert tables(kind, env["DATABASE_URL"]) == []
