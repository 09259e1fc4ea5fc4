"""The round-trip editor of forge.yaml (generator/spec/editor.py), in-process: an edit
changes what it must and leaves every other byte of the user's file as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.spec import (
    EntityChange,
    apply_change,
    parse_spec,
    read_yaml,
    remove_entity,
    rename_in_spec,
    set_project_keys,
)
from tests.helpers import EXAMPLES, ROOT

SPECS = [EXAMPLES / "blog" / "forge.yaml", EXAMPLES / "shop" / "forge.yaml"]
SPECS.append(ROOT / "tests" / "data" / "all_types.yaml")


@pytest.mark.parametrize("path", SPECS, ids=lambda path: path.parent.name)
def test_project_keys_change_only_their_lines(path: Path) -> None:
    """`forge new --spec X --orm sqlalchemy` writes X with one line changed (the editor of
    the project keys used to fold every line longer than 80 columns)."""
    text = path.read_text(encoding="utf-8")
    assert any(len(line) > 80 for line in text.splitlines())  # the case that folded
    assert "\n  orm: sqlmodel\n" in text
    new = set_project_keys(text, {"orm": "sqlalchemy"})
    assert new == text.replace("\n  orm: sqlmodel\n", "\n  orm: sqlalchemy\n", 1)
    assert parse_spec(read_yaml(new)).project.orm == "sqlalchemy"


def test_edits_keep_comments_long_lines_and_the_yaml_directive() -> None:
    long = "x" * 120
    text = (
        "%YAML 1.1\n---\n# the shop\nproject: {name: shop}  # the package\nentities:\n"
        f"  Post:\n    fields:\n      title: {{type: str, description: {long}}}\n"
        "  Comment:\n    fields:\n      body: text\n    relations:\n"
        "      post: {kind: many_to_one, target: Post, inverse: comments}\n"
    )
    added = apply_change(text, EntityChange("Post", fields={"body": {"type": "text"}}))
    assert added == text.replace(f"{long}}}\n", f"{long}}}\n      body: text\n", 1)
    renamed = rename_in_spec(added, "relation", "Post", "comments", "replies")
    assert renamed == added.replace("inverse: comments", "inverse: replies")
    removed, relations = remove_entity(renamed, "Post")  # and the relations pointing to it
    start, end = renamed.index("  Post:"), renamed.index("  Comment:")
    assert removed == renamed[:start] + renamed[end : renamed.index("    relations:")]
    assert relations == ["Comment.post"]
