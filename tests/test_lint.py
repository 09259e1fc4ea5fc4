"""forge's own code stays lint- and format-clean: CI fails on a finding (ruff, black)."""

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
