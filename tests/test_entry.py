"""`forge generate` and `forge make entity` run without typer in their plain forms
(generator/entry.py): the same output and exit code as through typer's command, and any
other command line is still typer's."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.entry import _fast
from tests.helpers import EXAMPLES, ROOT, forge

TYPER = "import sys; from generator.cli import app; sys.argv[0] = 'forge'; app()"


def both(project: Path, *args: str) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """(exit code, stdout, stderr) of the command line run from entry.py, then through
    typer, each in its own copy of the project (the command may write)."""
    results = []
    for runner in (["-m", "generator"], ["-c", TYPER]):
        copy = project.parent / f"copy-{len(results)}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(project, copy, symlinks=True)
        result = subprocess.run(
            [sys.executable, *runner, *args],
            cwd=copy,
            capture_output=True,
            text=True,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            timeout=300,
        )
        results.append((result.returncode, result.stdout, result.stderr))
    return results[0], results[1]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("entry")
    spec = str(EXAMPLES / "shop" / "forge.yaml")
    forge("new", str(folder / "shop"), "--spec", spec, "--defaults", cwd=folder)
    return folder / "shop"


@pytest.mark.parametrize(
    "args",
    [
        ("generate",),
        ("generate", "--check"),
        ("generate", "--diff", "--project", "."),
        ("generate", "--spec=missing.yaml"),
        ("make", "entity", "Product", "--field", "note:str:40:nullable", "--no-input"),
        ("make", "entity", "Product", "--field=note:str", "--dry-run"),
        ("make", "entity", "order", "--no-input"),
        ("make", "entity", "--no-input"),
        ("make", "entity", "Product", "--field", "x:bogus", "--no-input"),
        ("make", "entity", "Tag", "--relation=owner:many_to_one:Nowhere", "--no-input"),
    ],
    ids=lambda args: " ".join(args),
)
def test_same_output_as_through_typer(shop: Path, args: tuple[str, ...]) -> None:
    fast, typer = both(shop, *args)
    assert fast == typer


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "--help"],
        ["generate", "--bogus"],
        ["generate", "--spec"],
        ["generate", "--check=yes"],
        ["generate", "extra"],
        ["make", "entity", "A", "B", "--no-input"],
        ["make", "entity", "A"],  # may ask questions
        ["make", "entity", "A", "--field", "-x", "--no-input"],
        ["make", "relation"],
        ["--version"],
        [],
    ],
)
def test_other_command_lines_are_typers(args: list[str]) -> None:
    assert _fast(args) is None
