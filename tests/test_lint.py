"""forge's own code stays clean: CI fails on a finding of ruff, black or mypy --strict."""

from __future__ import annotations

import sys

import pytest

from tests.helpers import ROOT, run


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "generator", "tests", "benchmarks"], ["black", "--check", "--quiet", "."]],
    ids=["ruff", "black"],
)
def test_forge_code_is_clean(command: list[str]) -> None:
    result = run([sys.executable, "-m", *command], cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_forge_code_type_checks_strictly() -> None:
    """`mypy --strict` over generator/ (settings in pyproject.toml)."""
    result = run([sys.executable, "-m", "mypy"], cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
