"""The generated API by hand, over HTTP, on SQLite, PostgreSQL and MySQL/MariaDB.

A project is generated from tests/data/all_types.yaml (every field type, relation kind,
on_delete rule and entity option) and driven by tests/drivers/api_checks.py: instants
kept (`12:00+05:30` -> `06:30Z`), NaN/Infinity/1e400 refused, decimals exact, every byte
value round-tripping as base64, overflowing ints and pages refused, deep json refused
without poisoning the list, 409 bodies naming the field without driver text, soft delete
applying on_delete, PATCH and OpenAPI telling the truth. The blog example is driven for
filters, sorting, search and a user's own route below the generated ones.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT, forge, in_project, project_env, run
from tests.servers import server

ALL_TYPES = ROOT / "tests" / "data" / "all_types.yaml"
DRIVER = ROOT / "tests" / "drivers" / "api_checks.py"
BY_HAND = [
    "instant kept",
    "instant read back",
    "naive datetime refused",
    "double precision",
    "decimal exact",
    "decimal ordering",
    "bytes round-trip",
    "float NaN refused",
    "float Infinity refused",
    "float 1e400 refused",
    "count=2147483648 refused",
    "big=9223372036854775807 refused",
    "list {'page': 1180591620717411303424} refused",
    "id overflow refused",
    "NUL refused",
    "70,000 characters of text stored",
    "deep json refused",
    "json at the depth limit stored",
    "list still readable",
    "unique 409 names the field",
    "reference 409 names the field",
    "no driver text",
    "restrict refuses while live rows refer",
    "cascade soft-deletes",
    "cascade deletes",
    "set_null clears",
    "reference to soft-deleted refused",
    "PATCH null refused",
    "PATCH schema has no null",
    "search is escaped",
    "unknown parameter lists the allowed ones",
    "plural path",
    "delete /shelves/{id} declares errors",
]


@pytest.fixture(scope="module")
def all_types_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("api") / "alltypes"
    forge("new", str(project), "--spec", str(ALL_TYPES), "--defaults", cwd=project.parent)
    return project


def drive(project: Path, which: str, url: str) -> list[str]:
    result = run(
        [sys.executable, str(DRIVER), which],
        cwd=project,
        env={**project_env(project), "DATABASE_URL": url},
    )
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, all_types_project: Path
) -> Iterator[str]:
    """A fresh, empty database on each server; dropped afterwards."""
    kind = request.param
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'api.db'}"
        return
    srv = server(kind)
    url = srv.database_url(srv.fresh_name("api"))
    env = {"DATABASE_URL": url}
    forge("db", "create", cwd=all_types_project, env=env)
    try:
        yield url
    finally:
        forge("db", "drop", "--yes", cwd=all_types_project, env=env, check=False)


def test_api_by_hand_on_every_database(all_types_project: Path, database_url: str) -> None:
    passed = drive(all_types_project, "all_types", database_url)
    missing = [name for name in BY_HAND if name not in passed]
    assert not missing, missing


def test_new_rows_built_as_sqlmodel_builds_them(all_types_project: Path) -> None:
    """A create's row (`EntityInfo.new`, SQLAlchemy's attributes set directly) equals what
    the SQLModel table model's own, slower constructor builds from the same values, for
    every entity of every field type: tests/drivers/new_rows.py compares the two."""
    result = run(
        [sys.executable, str(ROOT / "tests" / "drivers" / "new_rows.py")],
        cwd=all_types_project,
        env=project_env(all_types_project),
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert sorted(found) == ["Box", "Item", "Label", "Owner", "Part", "Profile", "Shelf"]
    assert {
        name: entity["differences"] for name, entity in found.items() if entity["differences"]
    } == {}
    assert all(entity["own path"] for entity in found.values())


def test_filters_sorting_search_and_own_route(blog_project: Path, tmp_path: Path) -> None:
    project = tmp_path / "blog"
    shutil.copytree(blog_project, project, ignore=shutil.ignore_patterns("*.db", "__pycache__"))
    routes = project / "app" / "api" / "routes" / "post.py"
    routes.write_text(routes.read_text() + '''

from app.api.crud_router import Session  # noqa: E402
from app.repositories.post_repository import PostRepository  # noqa: E402


@router.get("/published", response_model=list[PostRead])
async def published_posts(session: Session) -> list[object]:
    """The published posts (a user's own route, below the generated ones)."""
    return list(await PostRepository(session).find_by({"status": "published"}))
''')
    in_project(project, "ruff", "check", "--quiet", str(routes))
    passed = drive(project, "blog", f"sqlite+aiosqlite:///{tmp_path / 'blog.db'}")
    assert {"filter", "sort", "sort by created_at", "search case-insensitive"} <= set(passed)
    assert "custom route below the generated ones" in passed, passed


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (
            "{type: int, searchable: true}",
            "entities.Thing.fields.count.searchable: only str and text fields can be "
            "searchable (this field is int)",
        ),
        (
            "{type: str, searchable: yes please}",
            "entities.Thing.fields.count.searchable: must be true or false",
        ),
    ],
)
def test_searchable_is_checked(tmp_path: Path, field: str, message: str) -> None:
    spec = tmp_path / "forge.yaml"
    spec.write_text(
        f"project: {{name: things}}\nentities:\n  Thing:\n    fields:\n      count: {field}\n"
    )
    result = forge(
        "new", str(tmp_path / "out"), "--spec", str(spec), "--defaults", cwd=tmp_path, check=False
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_api_by_hand_with_sqlalchemy_models(tmp_path: Path) -> None:
    """The same checks with `orm: sqlalchemy` (the schemas and routes are shared; the
    column types are each ORM's own)."""
    project = tmp_path / "alltypes"
    forge(
        "new", str(project), "--spec", str(ALL_TYPES), "--orm", "sqlalchemy", "--defaults",
        cwd=tmp_path,
    )  # fmt: skip
    passed = drive(project, "all_types", f"sqlite+aiosqlite:///{tmp_path / 'api.db'}")
    missing = [name for name in BY_HAND if name not in passed]
    assert not missing, missing
