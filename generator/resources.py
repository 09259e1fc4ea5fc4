"""Where the shipped templates are: inside the wheel, or beside the package in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def templates_root() -> Path:
    for candidate in (_PACKAGE / "templates", _PACKAGE.parent / "templates"):
        if (candidate / "data").is_dir():
            return candidate
    raise FileNotFoundError("forge's templates are missing from this installation")


def data_templates() -> Path:
    return templates_root() / "data"


def project_template() -> Path:
    return templates_root() / "project"
