"""Regeneration decides from the bytes on disk, whatever git, a backup or another tool did
to the tree; the format cache (.forge/cache.json) can only make it faster (issue 11)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, forge, in_project, run

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(project: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return run(["git", *args], cwd=project, env=env).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The blog example in a git repository, everything forge wrote committed."""
    project = tmp_path / "blog"
    forge(
        "new", str(project), "--spec", str(EXAMPLES / "blog" / "forge.yaml"), "--defaults",
        cwd=tmp_path,
    )  # fmt: skip
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "initial")
    return project


ORDER = ("make", "entity", "Order", "--field", "reference:str:20", "--no-input")
ORDER_FILES = ("app/models/__init__.py", "app/api/routes/__init__.py", "tests/test_entities.py")


def test_committed_and_ignored_parts_of_dot_forge(repo: Path) -> None:
    """Bases (.forge/base, .forge/skeleton) are committed; the cache is ignored by git."""
    tracked = git(repo, "ls-files", ".forge").split()
    assert any(p.startswith(".forge/base/") for p in tracked)
    assert any(p.startswith(".forge/skeleton/") for p in tracked)
    assert ".forge/cache.json" not in tracked and (repo / ".forge" / "cache.json").is_file()


def test_discarded_run_then_same_command_writes_everything(repo: Path) -> None:
    """Why 1: make entity, `git checkout . && git clean -fd`, the same make entity again."""
    forge(*ORDER, cwd=repo)
    git(repo, "checkout", ".")
    git(repo, "clean", "-fdq")
    assert (repo / ".forge" / "cache.json").is_file()  # ignored: git clean kept it
    forge(*ORDER, cwd=repo)
    for path in ORDER_FILES:
        assert "order" in (repo / path).read_text().lower(), path
    assert "in sync" in forge("generate", "--check", cwd=repo).stdout
    in_project(repo, "alembic", "revision", "--autogenerate", "-m", "order")
    versions = "".join(p.read_text() for p in (repo / "alembic" / "versions").glob("*.py"))
    assert "'order'" in versions


def test_branch_switch_and_stash_do_not_fool_generate(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "orders")
    forge(*ORDER, cwd=repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "orders")
    git(repo, "checkout", "-q", "main")  # the cache still describes the orders branch
    assert "in sync" in forge("generate", "--check", cwd=repo).stdout
    forge("generate", cwd=repo)
    assert "Order" not in (repo / "app/models/__init__.py").read_text()

    forge(*ORDER, cwd=repo)
    git(repo, "stash", "-u", "-q")
    forge(*ORDER, cwd=repo)  # the same change again, from the stashed state
    for path in ORDER_FILES:
        assert "order" in (repo / path).read_text().lower(), path
    assert forge("generate", "--check", cwd=repo).returncode == 0


def test_file_restored_by_another_tool_is_out_of_date(repo: Path) -> None:
    """A file and its base both rolled back (a restored backup): --check must see it."""
    backup = repo.parent / "backup"
    shutil.copytree(repo, backup, ignore=shutil.ignore_patterns(".git"))
    forge(*ORDER, cwd=repo)
    for path in ("app/models/__init__.py", ".forge/base/app/models/__init__.py.base"):
        shutil.copy(backup / path, repo / path)
    check = forge("generate", "--check", cwd=repo, check=False)
    assert check.returncode == 1 and "app/models/__init__.py" in check.stderr
    forge("generate", cwd=repo)
    assert "Order" in (repo / "app/models/__init__.py").read_text()


@pytest.mark.parametrize(
    "damage",
    ["missing", "corrupt", "old-format", "wrong-hashes", "other-black"],
)
def test_missing_stale_or_corrupt_cache_is_harmless(repo: Path, damage: str) -> None:
    cache = repo / ".forge" / "cache.json"
    forge(*ORDER, cwd=repo)
    expected = {p: (repo / p).read_text() for p in ORDER_FILES}
    git(repo, "checkout", ".")
    git(repo, "clean", "-fdq")
    data = json.loads(cache.read_text())
    if damage == "missing":
        cache.unlink()
    elif damage == "corrupt":
        cache.write_text('{"black": ')
    elif damage == "old-format":  # forge before this fix: one hash per file
        data["files"] = {path: pair[0] for path, pair in data["files"].items()}
        cache.write_text(json.dumps(data))
    elif damage == "wrong-hashes":
        data["files"] = {path: ["0" * 64, "1" * 64] for path in data["files"]}
        cache.write_text(json.dumps(data))
    else:
        cache.write_text(json.dumps({**data, "black": "0.0"}))
    forge(*ORDER, cwd=repo)
    assert {p: (repo / p).read_text() for p in ORDER_FILES} == expected
    assert "in sync" in forge("generate", "--check", cwd=repo).stdout
    json.loads(cache.read_text())  # rewritten whole


def test_check_fails_on_a_missing_file_and_on_conflict_markers(repo: Path) -> None:
    (repo / "app/schemas/tag.py").unlink()
    check = forge("generate", "--check", cwd=repo, check=False)
    assert check.returncode == 1 and "app/schemas/tag.py" in check.stderr
    forge("generate", cwd=repo)

    # Why 2: a run that wrote conflict markers, then --check.
    model = repo / "app/models/tag.py"
    model.write_text(model.read_text().replace("max_length=50)", "max_length=64)  # mine", 1))
    spec = repo / "forge.yaml"
    spec.write_text(spec.read_text().replace("max_length: 50", "max_length: 80", 1))
    assert forge("generate", cwd=repo, check=False).returncode == 1
    assert "<<<<<<< yours" in model.read_text()
    check = forge("generate", "--check", cwd=repo, check=False)
    assert check.returncode == 1
    assert "conflict markers" in check.stderr and "app/models/tag.py" in check.stderr
    again = forge("generate", cwd=repo, check=False)  # still unresolved: still a failure
    assert again.returncode == 1 and "app/models/tag.py" in again.stderr
    text = model.read_text()
    start, end = text.index("<<<<<<<"), text.index(">>>>>>>")
    resolved = text[:start] + "    name: str = Field(unique=True, max_length=80)\n"
    model.write_text(resolved + text[text.index("\n", end) + 1 :])
    assert "in sync" in forge("generate", "--check", cwd=repo).stdout


def test_diff_and_update_dry_run_say_when_there_is_nothing_to_do(repo: Path) -> None:
    diff = forge("generate", "--diff", cwd=repo)
    assert diff.stdout == "" and "nothing to do" in diff.stderr
    update = forge("update", "--dry-run", cwd=repo)
    assert update.stdout == "" and "nothing to do" in update.stderr


def test_entity_back_after_its_edited_files_were_kept_is_not_doubled(repo: Path) -> None:
    """destroy keeps a file the user edited (forge forgets its base); making the entity
    again merges over the lines both share instead of writing the file twice."""
    repository = repo / "app/repositories/tag_repository.py"
    repository.write_text(repository.read_text() + "\n\ndef mine() -> int:  # mine\n    return 1\n")
    spec = (repo / "forge.yaml").read_text()
    forge("destroy", "entity", "Tag", cwd=repo)
    assert repository.exists()
    (repo / "forge.yaml").write_text(spec)
    forge("generate", cwd=repo)
    text = repository.read_text()
    assert text.count("class TagRepository") == 1 and "return 1" in text
    assert "in sync" in forge("generate", "--check", cwd=repo).stdout
