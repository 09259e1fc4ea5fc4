"""`forge rename`: the spec edited round-trip, the files moved with the user's edits, the
renames recorded for the next migrate; refusals are one line and write nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import forge, in_project, tree_digest


@pytest.fixture
def blog(blog_project: Path, tmp_path: Path) -> Path:
    project = tmp_path / "blog"
    shutil.copytree(blog_project, project)
    return project


REFUSALS = [
    (("field", "Post", "nope", "x"), "entities.Post.fields: no field 'nope'"),
    (("field", "Post", "body", "title"), "'title' already exists on Post"),
    (("field", "Post", "body", "9bad"), "is not a snake_case identifier"),
    (("entity", "Nope", "X"), "unknown entity 'Nope' (known: Comment, Post, Tag, User)"),
    (("entity", "Post", "User"), "'User' is already an entity"),
    (("entity", "Post", "class"), "is a Python keyword"),
    (("relation", "Post", "nope", "x"), "no relation 'nope'"),
]


def test_refusals_are_one_line_and_write_nothing(blog: Path) -> None:
    from typer.testing import CliRunner

    from generator.cli import app

    before = tree_digest(blog)
    for args, message in REFUSALS:  # in-process: the CLI as it runs, without 7 interpreters
        result = CliRunner().invoke(app, ["rename", *args, "--project", str(blog)])
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("error: forge.yaml: ") and message in result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert tree_digest(blog) == before


def test_entity_rename_moves_files_with_edits_and_keeps_comments(blog: Path) -> None:
    model = blog / "app" / "models" / "post.py"
    model.write_text(
        model.read_text() + "\n\ndef excerpt(body: str) -> str:\n    return body[:80]\n"
    )
    out = forge("rename", "entity", "Post", "Article", cwd=blog).stdout
    assert "merged    app/models/article.py (your edits kept)" in out
    assert "removed   app/models/post.py" in out
    assert not model.exists()
    moved = (blog / "app" / "models" / "article.py").read_text()
    assert "class Article(SQLModel, table=True):" in moved
    assert "def excerpt(body: str) -> str:" in moved
    spec = (blog / "forge.yaml").read_text()
    assert "# A small blog: users write posts" in spec
    assert "timestamps: true          # created_at, updated_at" in spec
    assert "post: {kind: many_to_one, target: Article, inverse: comments" in spec
    assert "Post" not in spec.replace("Posts", "")
    pending = json.loads((blog / ".forge" / "renames.json").read_text())
    assert {"table": "post", "old": "post", "new": "article", "column": False} in pending
    assert {"table": "article_tag", "old": "post_id", "new": "article_id", "column": True} in (
        pending
    )
    forge("rename", "relation", "Article", "author", "writer", cwd=blog)
    pending = json.loads((blog / ".forge" / "renames.json").read_text())
    assert {"table": "article", "old": "author_id", "new": "writer_id", "column": True} in (pending)
    assert (
        "writer: {kind: many_to_one, target: User, inverse: posts"
        in (blog / "forge.yaml").read_text()
    )
    # the inverse side: User.posts renamed through the relation that declares it
    forge("rename", "relation", "User", "posts", "articles", cwd=blog)
    assert "inverse: articles" in (blog / "forge.yaml").read_text()
    in_project(blog, "ruff", "check", "app")
    assert forge("generate", "--check", cwd=blog).returncode == 0
