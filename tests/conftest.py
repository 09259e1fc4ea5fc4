"""Fixtures: example projects generated once per test session and shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, forge, in_project

# The longest work units first, so that neither xdist worker is left alone at the end with
# a long one (`--dist loadgroup` hands out units in collection order): a module kept on one
# worker by its xdist_group is one unit, and so is a property test. Measured one by one
# (pytest --report-log, summed per file and group) on the shared 2-core machine; files not
# listed keep their order after.
SLOW_FIRST = (
    "test_evolution.py",  # three tests of 3-5 minutes each
    "test_generated_names_property.py",  # three groups
    "test_installed_apart.py",  # one group: a wheelhouse, three virtual environments
    "test_backup.py",  # one group
    "test_regeneration_property.py",  # one group
    "test_databases.py",
    "test_cycles.py",
    "test_baseline.py",
    "test_vcs_property.py",  # one group
    "test_narrowing.py",
    "test_rename_question.py",
    "test_black_stable_property.py",
    "test_trust_the_tree.py",
    "test_regenerate.py",
    "test_chinook.py",
    "test_cli_papercuts.py",
    "test_bench_http_smoke.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: index for index, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: file order kept


def _generate(tmp_factory: pytest.TempPathFactory, example: str, orm: str = "sqlmodel") -> Path:
    """`forge new` an example, then create and apply its first migration."""
    project = tmp_factory.mktemp(f"{example}-{orm}") / example
    forge(
        "new", str(project), "--spec", str(EXAMPLES / example / "forge.yaml"), "--orm", orm,
        "--defaults", cwd=project.parent,
    )  # fmt: skip
    in_project(project, "alembic", "revision", "--autogenerate", "-m", "initial")
    in_project(project, "alembic", "upgrade", "head")
    return project


@pytest.fixture(scope="session")
def blog_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate(tmp_path_factory, "blog")


@pytest.fixture(scope="session")
def shop_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate(tmp_path_factory, "shop")


@pytest.fixture(scope="session")
def blog_sqlalchemy_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate(tmp_path_factory, "blog", "sqlalchemy")


@pytest.fixture(scope="session")
def shop_sqlalchemy_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate(tmp_path_factory, "shop", "sqlalchemy")
