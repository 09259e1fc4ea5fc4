"""Safe regeneration: drift check, conflicts, removal, skeleton upgrade, interrupted runs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from generator import project as projects
from tests.helpers import EXAMPLES, forge, in_project, project_digest, tree_digest


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    forge(
        "new", str(tmp_path / "blog"), "--spec", str(EXAMPLES / "blog" / "forge.yaml"),
        "--defaults", cwd=tmp_path,
    )  # fmt: skip
    return tmp_path / "blog"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def migrate_and_check(project: Path) -> None:
    in_project(project, "alembic", "revision", "--autogenerate", "-m", "change")
    in_project(project, "alembic", "upgrade", "head")
    check = in_project(project, "alembic", "check")
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    in_project(project, "pytest", "-q", "-p", "no:cacheprovider")


def test_check_and_diff_both_ways(blog: Path) -> None:
    assert forge("generate", "--check", cwd=blog).returncode == 0
    # A user's edit to a generated file is not drift.
    edit(blog / "app" / "models" / "tag.py", "class Tag(", "# tags group posts\nclass Tag(")
    assert "in sync" in forge("generate", "--check", cwd=blog).stdout

    edit(blog / "forge.yaml", "      body: text\n", "      body: text\n      views: int\n")
    before = tree_digest(blog)
    check = forge("generate", "--check", cwd=blog, check=False)
    assert check.returncode == 1
    listed = check.stderr.split()
    for path in ("app/models/post.py", "app/schemas/post.py", "tests/factories/post.py"):
        assert path in listed
    assert "app/models/tag.py" not in listed
    diff = forge("generate", "--diff", cwd=blog)
    assert "+++ b/app/models/post.py" in diff.stdout and "+    views: int" in diff.stdout
    assert tree_digest(blog) == before  # neither wrote anything

    forge("generate", cwd=blog)
    assert forge("generate", "--check", cwd=blog).returncode == 0
    assert "# tags group posts" in (blog / "app" / "models" / "tag.py").read_text()


def test_overlapping_edits_become_listed_conflicts(blog: Path) -> None:
    model = blog / "app" / "models" / "tag.py"
    edit(
        model,
        "name: str = Field(unique=True, max_length=50)",
        "name: str = Field(unique=True, max_length=64)  # mine",
    )
    edit(
        blog / "forge.yaml",
        "name: {type: str, max_length: 50, unique: true}",
        "name: {type: str, max_length: 80, unique: true}",
    )
    result = forge("generate", cwd=blog, check=False)
    assert result.returncode == 1
    assert "app/models/tag.py" in result.stderr and "conflicts" in result.stderr
    text = model.read_text()
    assert "<<<<<<< yours app/models/tag.py" in text and ">>>>>>> forge app/models/tag.py" in text
    assert "max_length=64)  # mine" in text and "max_length=80" in text
    # Resolving the conflict by hand is then kept as a user edit.
    start = text.index("<<<<<<<")
    end = text.index("\n", text.index(">>>>>>>")) + 1
    model.write_text(
        text[:start] + "    name: str = Field(unique=True, max_length=80)  # mine\n" + text[end:]
    )
    assert forge("generate", "--check", cwd=blog).returncode == 0
    in_project(blog, "ruff", "check", "--quiet", ".")


def test_destroy_entity_removes_its_code_and_keeps_edited_files(blog: Path) -> None:
    repository = blog / "app" / "repositories" / "tag_repository.py"
    edit(repository, "    model = Tag\n", "    model = Tag\n\n    # a note the user wrote\n")
    before = tree_digest(blog)
    dry = forge("destroy", "entity", "Tag", "--dry-run", cwd=blog)
    assert "-  Tag:" in dry.stdout and "+++ /dev/null" in dry.stdout
    assert tree_digest(blog) == before  # the dry run wrote nothing

    result = forge("destroy", "entity", "Tag", cwd=blog)
    assert "removed relation Post.tags (it pointed to Tag)" in result.stdout
    assert "kept      app/repositories/tag_repository.py" in result.stdout
    assert not (blog / "app" / "models" / "tag.py").exists()
    assert not (blog / "app" / "schemas" / "tag.py").exists()
    assert not (blog / "app" / "models" / "links.py").exists()  # post_tag went with it
    assert repository.exists()  # edited: kept, reported
    assert "Tag" not in (blog / "forge.yaml").read_text()
    assert "tags" not in (blog / "app" / "models" / "post.py").read_text()
    repository.unlink()  # the user decides; the project then runs without Tag
    migrate_and_check(blog)


def test_destroy_unknown_entity_is_one_line(blog: Path) -> None:
    result = forge("destroy", "entity", "Nope", cwd=blog, check=False)
    assert result.returncode == 2
    assert result.stderr == (
        "error: forge.yaml: entities: no entity 'Nope' to remove "
        "(known: Comment, Post, Tag, User)\n"
    )


def test_generated_ci_workflow_runs_the_checks(blog: Path) -> None:
    from ruamel.yaml import YAML

    workflow = YAML(typ="safe").load((blog / ".github" / "workflows" / "ci.yml").read_text())
    steps = workflow["jobs"]["test"]["steps"]
    commands = "\n".join(step.get("run", "") for step in steps)
    assert "pip install -e '.[test,dev]'" in commands
    assert "pytest" in commands
    assert "alembic check" in commands
    assert "forge generate --check" in commands
    assert set(workflow["on"]) == {"push", "pull_request"}


def test_update_merges_a_new_skeleton_with_user_edits(blog: Path) -> None:
    """Simulate a project made by an older forge: its skeleton base and file say
    POOL_SIZE 3; the user added a setting. `forge update` brings the new default in and
    keeps the user's line."""
    config = blog / "app" / "core" / "config.py"
    base = blog / ".forge" / "skeleton" / "app" / "core" / "config.py.base"
    old = base.read_text().replace('"POOL_SIZE": ("size", 5)', '"POOL_SIZE": ("size", 3)')
    assert old != base.read_text()
    base.write_text(old)
    config.write_text(
        old.replace(
            "    ECHO: bool = False\n", "    ECHO: bool = False\n    FEATURE_X: bool = True\n"
        )
    )
    result = forge("update", cwd=blog)
    assert "merged    app/core/config.py (your edits kept)" in result.stdout
    text = config.read_text()
    assert '"POOL_SIZE": ("size", 5)' in text and "FEATURE_X: bool = True" in text
    assert "nothing to do" in forge("update", cwd=blog).stdout
    in_project(blog, "alembic", "revision", "--autogenerate", "-m", "initial")
    in_project(blog, "pytest", "-q", "-p", "no:cacheprovider")  # with the migration tests


def test_update_without_its_record_is_a_clear_error(blog: Path) -> None:
    shutil.rmtree(blog / ".forge" / "skeleton")
    before = tree_digest(blog)
    result = forge("update", cwd=blog, check=False)
    assert result.returncode == 2
    assert "has no record of the skeleton forge wrote (.forge/skeleton/)" in result.stderr
    assert tree_digest(blog) == before


def test_interrupted_run_leaves_whole_files_and_the_next_run_finishes(
    blog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(blog / "forge.yaml", "      body: text\n", "      body: text\n      views: int\n")
    edit(blog / "forge.yaml", "  Tag:\n    fields:\n", "  Tag:\n    fields:\n      color: str\n")
    twin = tmp_path / "twin"
    shutil.copytree(blog, twin)
    projects.generate(twin)  # what an uninterrupted run produces
    expected = tree_digest(twin)
    old = tree_digest(blog)

    import generator.write as write

    real = os.replace
    calls = {"n": 0}

    def crash_on_tenth(source: str | Path, target: str | Path) -> None:
        calls["n"] += 1
        if calls["n"] == 10:
            raise KeyboardInterrupt("injected while writing the 10th file")
        real(source, target)

    monkeypatch.setattr(write.os, "replace", crash_on_tenth)
    with pytest.raises(KeyboardInterrupt):
        projects.generate(blog)
    monkeypatch.undo()
    now = tree_digest(blog)
    changed = [path for path in now if now[path] != old.get(path)]
    assert 0 < len(changed) < len(expected)
    for path, digest in now.items():
        if path.endswith(".forge-tmp"):
            continue  # the staged copies of the files not yet renamed
        assert digest in (old.get(path), expected.get(path)), f"{path} is neither old nor new"
    for temp in blog.rglob("*.forge-tmp"):
        temp.unlink()
    projects.generate(blog)
    assert tree_digest(blog).keys() == expected.keys()
    assert project_digest(blog) == project_digest(twin)  # (the stamps hold their stats)
