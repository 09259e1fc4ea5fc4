"""The forge runtime a generated project's owner must learn stays small.

Starting from the generated routes, repositories and CRUD classes, the imports are
followed (module-level `import` and `from` statements, the packages they pass through
included; not those under `if TYPE_CHECKING:` or inside a function, which run only when
called) to every module of the project they load. The required runtime is what of that
lies in `app/core/` and `app/api/crud_router.py`, less the project's own infrastructure
that every FastAPI back end has (the connection and session in `app/core/database/`, the
settings in `app/core/config.py`, the column types in `app/core/types.py`): at most LIMIT
lines. What the generated code does not load (EntityManager, QueryBuilder and the request's
EntityManager in `app/core/orm/`, the migration helpers) is optional and printed apart.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

# 800 at issue 12, + the id routes typed by the key and columns named apart from
# attributes (810), + the app's dependency overrides for routes added to the app
# without a router level, a create statement built once, and a create without
# RETURNING where SQLite stores the row as sent (issue 13, 845), + the same where
# PostgreSQL stores it as sent (judged on the column types as declared and as the
# database gets them: a variant), and the reference check skipped for a table that refers
# to no table with soft delete (issue 13, 885), + a SQLModel table model's new row built
# through SQLAlchemy alone, as SQLModel's constructor builds it in 4x the time (925)
LIMIT = 925
INFRASTRUCTURE = ("app/core/database/", "app/core/config.py", "app/core/types.py")


def _imported_modules(path: Path) -> set[str]:
    """The modules a file imports when it is loaded (each `from a.b import c` may name
    the module a.b.c)."""
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif isinstance(node, ast.ClassDef):
                visit(node.body)

    visit(ast.parse(path.read_text()).body)
    return found


def _files(project: Path, module: str) -> list[Path]:
    """The files Python runs to import `module` of the project: each package's
    `__init__.py` on the way, then the module itself (none for a name that is not a
    module, such as a class)."""
    parts = module.split(".")
    if parts[0] != "app":
        return []
    files = []
    for end in range(1, len(parts) + 1):
        base = project.joinpath(*parts[:end])
        if (base / "__init__.py").is_file():
            files.append(base / "__init__.py")
        elif base.with_suffix(".py").is_file() and end == len(parts):
            files.append(base.with_suffix(".py"))
        elif not base.is_dir():
            break
    return files


def loaded_by(project: Path, starts: list[Path]) -> set[Path]:
    """Every project file loaded, transitively, when the `starts` are imported."""
    seen: set[Path] = set()
    todo = list(starts)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for module in _imported_modules(path):
            todo.extend(_files(project, module))
    return seen


def lines(path: Path) -> int:
    return len(path.read_text().splitlines())


@pytest.mark.parametrize("example", ["blog_project", "shop_sqlalchemy_project"])
def test_required_runtime_is_small(example: str, request: pytest.FixtureRequest) -> None:
    project: Path = request.getfixturevalue(example)
    app = project / "app"
    starts = [
        *(app / "api" / "routes").glob("*.py"),
        *(app / "repositories").glob("*.py"),
        *(app / "crud").glob("*.py"),
    ]
    assert len(starts) > 6, starts
    runtime = {*(app / "core").rglob("*.py"), app / "api" / "crud_router.py"}
    loaded = loaded_by(project, starts) & runtime

    def name(path: Path) -> str:
        return str(path.relative_to(project))

    infrastructure = {path for path in loaded if name(path).startswith(INFRASTRUCTURE)}
    required = loaded - infrastructure
    optional = runtime - loaded
    for title, group in [
        ("required", required),
        ("infrastructure", infrastructure),
        ("not loaded (optional: the ORM layer; migrations, column types)", optional),
    ]:
        total = sum(lines(path) for path in group)
        print(f"{title}: {total} lines")
        for path in sorted(group, key=name):
            print(f"  {lines(path):5d}  {name(path)}")
    assert not [path for path in required if "orm" in path.parts], sorted(map(name, required))
    assert {"app/core/repository.py", "app/api/crud_router.py"} <= set(map(name, required))
    assert sum(lines(path) for path in required) <= LIMIT
