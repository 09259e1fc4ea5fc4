"""Small things a new user meets first (issue 11, Why 7)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from generator import __version__
from tests.helpers import ROOT, forge, tree_digest


def test_version_and_completion(tmp_path: Path) -> None:
    assert forge("--version", cwd=tmp_path).stdout == f"forge {__version__}\n"
    help_text = forge("--help", cwd=tmp_path).stdout
    assert "--install-completion" in help_text and "--version" in help_text
    readme = (ROOT / "README.md").read_text()
    assert "forge --install-completion" in readme


def test_flags_without_a_value_do_not_show_one_in_help(tmp_path: Path) -> None:
    texts = {}
    for command in (["generate"], ["update"], ["make", "entity"], ["db", "drop"]):
        text = texts[command[0]] = forge(*command, "--help", cwd=tmp_path).stdout
        assert "<bool>" not in text and "BOOLEAN" not in text, (command, text)
    lines = texts["generate"].splitlines()
    assert [line.split()[0] for line in lines if "--check" in line] == ["--check"]


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (
            ["--database", "postgres"],
            "error: --database: unknown value 'postgres' (allowed: sqlite, postgresql, mysql); "
            "did you mean postgresql?",
        ),
        (
            ["--orm", "django"],
            "error: --orm: unknown value 'django' (allowed: sqlmodel, sqlalchemy)",
        ),
    ],
)
def test_a_wrong_flag_value_is_reported_as_the_flag(
    tmp_path: Path, flags: list[str], line: str
) -> None:
    before = tree_digest(tmp_path)
    result = forge("new", "demo", *flags, "--defaults", cwd=tmp_path, check=False)
    assert result.returncode == 2 and result.stderr == line + "\n"
    assert tree_digest(tmp_path) == before


def test_new_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    quiet = forge("new", "quiet", "--defaults", cwd=tmp_path)
    assert quiet.stderr == ""
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "generator", "new", "loud", "--defaults"],
        cwd=str(tmp_path),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        encoding="utf-8",
        timeout=60,
    )
    child.expect("rendering the project skeleton")
    child.expect("building the data layer")
    child.expect("created ")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def _many_entities(count: int, description: str) -> str:
    lines = ["project: {name: many}", "entities:"]
    for i in range(count):
        lines.append(f"  Thing{i}:")
        lines.append(f"    fields: {{title: {{type: str, description: {description!r}}}}}")
    return "\n".join(lines) + "\n"


def test_generate_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    """A long generate says what it does on stderr (rendered files compared, files black
    formats, files written) to a person at a terminal, and nothing otherwise."""
    spec = tmp_path / "many.yaml"
    spec.write_text(_many_entities(20, "short"))
    quiet = forge("new", "many", "--defaults", "--spec", str(spec), cwd=tmp_path)
    assert quiet.stderr == ""
    project = tmp_path / "many"
    # a description too long for one line: black formats those files
    (project / "forge.yaml").write_text(_many_entities(20, "word " * 20))
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "generator", "generate"],
        cwd=str(project),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        encoding="utf-8",
        timeout=120,
    )
    child.expect(r"comparing 1\d\d rendered files with the project")
    child.expect(r"formatting \d+ files with black")
    child.expect(r"writing \d+ files")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    (project / "forge.yaml").write_text(_many_entities(20, "other " * 20))
    again = forge("generate", cwd=project)
    assert again.stderr == ""  # not a terminal: no progress
    assert "other other" in (project / "app" / "models" / "thing0.py").read_text()
