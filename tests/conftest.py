"""Fixtures: example projects generated once per test session and shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, forge, in_project


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
