"""Property: whatever git does to the tree, forge decides from the bytes on disk (issue 11).

Random sequences of what a developer does in a git repository -- `forge make entity`,
`forge destroy entity`, `forge generate`, user edits to generated files, commits,
discarding the working tree to the last commit (`git checkout . && git clean -fd`),
`git stash -u`, switching to another branch, deleting the format cache -- and after every
step, `forge generate` then `forge generate --check`:

- `--check` says "in sync" (exit 0) right after `forge generate`;
- every generated file equals an independent render of the spec (black run here, no
  cache), apart from the user's own lines; no conflict markers;
- no user line present before a forge command is gone after it;
- at the end of a sample of the sequences, the project imports, migrates from scratch and
  passes `alembic check` (FORGE_VCS_MIGRATE_EVERY, default every 10th).

Most steps run in-process; git runs as a command. FORGE_VCS_EXAMPLES sets the number of
sequences (100 in the suite); `tests/scripts/vcs_property.sh` runs many more.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import generator.format
from generator import project as projects
from generator.cli import app
from generator.format import CACHE_FILE, digest, format_python
from generator.merge import has_conflict_markers
from generator.spec import load_spec
from tests.helpers import project_env

EXAMPLES = int(os.environ.get("FORGE_VCS_EXAMPLES", "100"))
MIGRATE_EVERY = int(os.environ.get("FORGE_VCS_MIGRATE_EVERY", "10"))
ENTITIES = ["Alpha", "Beta", "Gamma"]
FIELDS = ["f1", "f2", "f3"]
TYPES = ["str", "int", "bool", "date", "decimal"]
USER_MARK = "user-line-"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
OPERATIONS = [
    "make", "make", "relate", "destroy", "generate", "edit", "edit", "commit", "commit",
    "discard", "stash", "branch", "drop_cache", "redo", "redo",
]  # fmt: skip


def git(root: Path, *args: str) -> None:
    result = subprocess.run(
        ["git", *args], cwd=root, env={**os.environ, **GIT_ENV}, capture_output=True, text=True
    )
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stdout}{result.stderr}"


def forge(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--project", str(root)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with Alpha committed on `main`, and a branch `other` that adds Beta."""
    root = tmp_path_factory.mktemp("vcs") / "p"
    projects.new_project(root, name="vcs")
    git(root, "init", "-q", "-b", "main")
    assert forge(root, "make", "entity", "Alpha", "--field", "f1:str:40", "--no-input")[0] == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "alpha")
    git(root, "checkout", "-q", "-b", "other")
    assert forge(root, "make", "entity", "Beta", "--field", "f1:int", "--no-input")[0] == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "beta")
    git(root, "checkout", "-q", "main")
    git(root, "gc", "-q")  # packed: each sequence copies few files
    return root


_FORMATTED: dict[str, str] = {}  # black's output per source hash (black is deterministic)


def formatted(source: str, path: str) -> str:
    key = digest(source)
    if key not in _FORMATTED:
        _FORMATTED[key] = format_python(source, path)
    return _FORMATTED[key]


@pytest.fixture(scope="module", autouse=True)
def memoized_black() -> Iterator[None]:
    """Speed: forge's runs in this module call black through a memo. What is under test is
    which files forge formats, reuses, writes and reports, not black itself."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generator.format, "format_python", formatted)
        yield


def expected_files(root: Path) -> dict[str, str]:
    """The data layer rendered from the spec on disk and formatted here, without forge's
    cache or bases."""
    sources = projects.render_data_layer(load_spec(root / "forge.yaml"))
    return {path: formatted(source, path) for path, source in sources.items()}


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    remaining = iter(whole)
    return all(any(line == other for other in remaining) for line in part)


def user_lines(root: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (root / "app").rglob("*.py"):
        lines = {line for line in path.read_text().splitlines() if USER_MARK in line}
        if lines:
            found[str(path.relative_to(root))] = lines
    return found


def entities(root: Path) -> dict[str, list[str]]:
    spec = load_spec(root / "forge.yaml")
    return {
        e.name: [f.name for f in e.fields] + [r.name for r in e.relations] for e in spec.entities
    }


class Session:
    """What a sequence remembers: the last forge command (to redo it after discarding the
    tree, as a developer does) and a counter for unique user lines."""

    def __init__(self) -> None:
        self.last: tuple[str, ...] = ("generate",)
        self.edits = 0


def step(draw: st.DrawFn, root: Path, operation: str, session: Session) -> None:
    """Do one operation; forge commands must keep every user line."""
    present = entities(root)
    if operation in ("make", "relate", "destroy", "generate", "redo"):
        before = user_lines(root)
        if operation == "redo":
            code, output = forge(root, *session.last)
            # the redone change may no longer apply (the entity is gone, the field exists)
            assert code in (0, 2), output
            code = 0
        elif operation == "make":
            name = draw(st.sampled_from(ENTITIES))
            free = [f for f in FIELDS if f not in present.get(name, [])]
            if not free:
                return
            field = f"{draw(st.sampled_from(free))}:{draw(st.sampled_from(TYPES))}:nullable"
            session.last = ("make", "entity", name, "--field", field, "--no-input")
            code, output = forge(root, *session.last)
        elif operation == "relate":
            if not present:
                return
            name, target = draw(st.sampled_from(sorted(present))), draw(
                st.sampled_from(sorted(present))
            )
            free = [f"r{i}" for i in range(3) if f"r{i}" not in present[name]]
            if not free or name == target:
                return
            relation = f"{free[0]}:many_to_one:{target}:nullable"
            code, output = forge(root, "make", "entity", name, "--relation", relation, "--no-input")
        elif operation == "destroy":
            if not present:
                return
            session.last = ("destroy", "entity", draw(st.sampled_from(sorted(present))))
            code, output = forge(root, *session.last)
        else:
            code, output = forge(root, "generate")
        assert code == 0, output
        after = user_lines(root)
        for relative, lines in before.items():
            assert lines <= after.get(relative, set()), f"{operation} lost user lines of {relative}"
    elif operation == "edit":
        files = sorted(
            p for p in (root / "app").rglob("*.py") if p.name != "__init__.py"
            and p.parent.name in ("models", "repositories")
        )  # fmt: skip
        if not files:
            return
        path = draw(st.sampled_from(files))
        session.edits += 1
        n = session.edits
        block = f"\n\n# {USER_MARK}{n}\ndef user_fn_{n}() -> int:  # {USER_MARK}{n}\n"
        path.write_text(path.read_text() + block + f"    return {n}  # {USER_MARK}{n}\n")
    elif operation == "commit":
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "step")
    elif operation == "discard":
        git(root, "checkout", ".")
        git(root, "clean", "-fdq")
    elif operation == "stash":
        git(root, "stash", "-u", "-q")
    elif operation == "branch":
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "before switching")
        branch = subprocess.run(
            ["git", "branch", "--show-current"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        git(root, "checkout", "-q", "other" if branch == "main" else "main")
    else:
        (root / CACHE_FILE).unlink(missing_ok=True)


def generate_then_check(root: Path) -> None:
    before = user_lines(root)
    code, output = forge(root, "generate")
    assert code == 0, output
    code, output = forge(root, "generate", "--check")
    assert code == 0 and "in sync" in output, output
    for relative, text in expected_files(root).items():
        path = root / relative
        assert path.exists(), f"{relative} missing after generate"
        disk = path.read_text()
        assert not has_conflict_markers(disk), relative
        if USER_MARK in disk:
            # the render, whole and in order, with the user's lines (and, in a file forge
            # had kept as the user's when its entity left the spec, its older lines) around
            assert is_subsequence(text.splitlines(), disk.splitlines()), relative
        else:
            assert disk == text, f"{relative} differs from the spec's render"
    after = user_lines(root)
    for relative, lines in before.items():
        assert lines <= after.get(relative, set()), f"generate lost user lines of {relative}"


ALEMBIC = """
from alembic.config import main
main(["-c", "alembic.ini", "revision", "--autogenerate", "-m", "vcs"])
main(["-c", "alembic.ini", "upgrade", "head"])
main(["-c", "alembic.ini", "check"])
import app.main  # the whole application imports
"""


def migrate_and_check(root: Path) -> None:
    for old in (root / "alembic" / "versions").glob("*.py"):
        old.unlink()
    url = f"sqlite+aiosqlite:///{root / 'vcs.db'}"
    check = subprocess.run(
        [sys.executable, "-c", ALEMBIC],
        cwd=root,
        env={**project_env(root), "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr


_SEQUENCES = [0]


@pytest.mark.xdist_group("vcs_property")
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # shrinking a git repository takes minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_forge_trusts_the_tree_through_vcs_operations(
    repository: Path, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    root = tmp_path_factory.mktemp("seq") / "p"
    shutil.copytree(repository, root, symlinks=True)
    operations = data.draw(st.lists(st.sampled_from(OPERATIONS), min_size=2, max_size=6))
    session = Session()
    for i, operation in enumerate(operations):
        event(f"operation: {operation}")
        step(data.draw, root, operation, session)
        # not after every step: a generate right after `git checkout .` would hide what the
        # next command does with the tree as git left it
        if i == len(operations) - 1 or data.draw(st.booleans()):
            generate_then_check(root)
    _SEQUENCES[0] += 1
    if _SEQUENCES[0] % MIGRATE_EVERY == 1 or MIGRATE_EVERY == 1:
        migrate_and_check(root)
    shutil.rmtree(root.parent)
