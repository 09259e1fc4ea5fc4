"""The round-trip editor of forge.yaml (generator/spec/editor.py), in-process: an edit
changes what it must and leaves every other byte of the user's file as it was."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# `forge make entity`'s change written in place (generator/spec/inplace.py): the same lines
# as the round trip in the usual layout, the round trip wherever the layout is not plain.

CHANGES = [
    EntityChange(
        "Extra",
        fields={"label": {"type": "str", "max_length": 40}, "count": {"type": "int"}},
    ),
    EntityChange(
        "{first}",
        fields={
            "note": {"type": "str", "max_length": 40, "nullable": True},
            "level": {"type": "enum", "values": ["low", "high"], "default": "low"},
            "body": {"type": "text"},
        },
    ),
    EntityChange("{first}", relations={"helper": {"kind": "many_to_one", "target": "{first}",
                                                  "nullable": True, "on_delete": "set_null"}}),
]  # fmt: skip


def _instantiate(change: EntityChange, first: str) -> EntityChange:
    def fill(value: object) -> object:
        return first if value == "{first}" else value

    return EntityChange(
        str(fill(change.entity)),
        {name: {k: fill(v) for k, v in spec.items()} for name, spec in change.fields.items()},
        {name: {k: fill(v) for k, v in spec.items()} for name, spec in change.relations.items()},
    )


@pytest.mark.parametrize("change", CHANGES, ids=["new entity", "fields", "relation"])
@pytest.mark.parametrize("path", SPECS, ids=lambda path: path.parent.name)
def test_a_change_written_in_place_is_what_the_round_trip_writes(
    path: Path, change: EntityChange
) -> None:
    from generator.spec.editor import _applied, _round_trip

    text = path.read_text(encoding="utf-8")
    first, body = next(iter(read_yaml(text)["entities"].items()))
    change = _instantiate(change, first)
    new_text, data = _applied(text, change)
    assert data is not None  # written in place: the examples' layout is the plain one
    assert new_text == _round_trip(text, change)
    assert read_yaml(new_text) == data
    added = Counter(new_text.splitlines()) - Counter(text.splitlines())
    assert removed_none(text, new_text)
    new_keys = 1 if change.entity == "Extra" else 0  # `  Extra:`
    new_keys += sum(1 for section in ("fields", "relations") if getattr(change, section)
                    and (change.entity == "Extra" or section not in body))  # fmt: skip
    assert sum(added.values()) == len(change.fields) + len(change.relations) + new_keys


def removed_none(old: str, new: str) -> bool:
    return not Counter(old.splitlines()) - Counter(new.splitlines())


PLAIN = "project: {name: x}\nentities:\n  Post:\n    fields:\n      title: str\n"
FLOW_LAYOUT = PLAIN.replace("    fields:\n      title: str\n", "    fields: {title: str}\n")


@pytest.mark.parametrize(
    "text",
    [
        FLOW_LAYOUT,
        PLAIN.replace("  Post:\n    fields", "  Post: &p\n    fields") + "  Copy: *p\n",
        "%YAML 1.1\n---\n" + PLAIN,
        PLAIN.replace("      title", "\ttitle"),
        PLAIN.replace("\n", "\r\n"),
        PLAIN.replace("  Post:", '  "Post":'),
        PLAIN.replace("    fields:\n", "    fields:  # the fields\n") + "  # the end\n",
    ],
    ids=["flow", "alias", "directive", "tab", "crlf", "quoted key", "comments"],
)
def test_a_layout_that_is_not_plain_goes_through_the_round_trip(text: str) -> None:
    """Every layout gets the change; where the in-place writer cannot prove its lines it
    leaves the text to the round trip (`data` None), never a half-right edit."""
    from generator.spec.editor import _applied
    from generator.spec.inplace import write_in_place

    change = EntityChange("Post", fields={"body": {"type": "text"}})
    try:
        before = read_yaml(text)
    except Exception:  # the tab: not YAML; the round trip says so, naming the line
        with pytest.raises(Exception, match="invalid YAML|found character"):
            _applied(text, change)
        return
    new_text, data = _applied(text, change)
    fields = read_yaml(new_text)["entities"]["Post"]["fields"]
    assert list(fields)[-1] == "body" and fields["body"] == "text"
    assert list(fields)[:-1] == list(before["entities"]["Post"]["fields"])
    if "# the end" in text:  # comments: plain all the same, and kept
        assert data is not None and "  # the end\n" in new_text
        assert "fields:  # the fields\n" in new_text
    else:
        assert data is None and write_in_place(text, "Post", {"fields": {"b": "text"}}) is None
    if "Copy" in text:  # the alias: the other entity keeps its fields
        assert list(read_yaml(new_text)["entities"]["Copy"]["fields"]) == ["title"]


# YAML's line breaks, which a plain or single-quoted scalar folds: drawn more often than
# the whole of Unicode would draw them.
BREAKS = st.sampled_from(["\n", "\r", "\r\n", "\x85", "\u2028", "\u2029"])


@given(
    value=st.lists(
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=4) | BREAKS,
        max_size=4,
    ).map("".join),
    flag=st.booleans(),
    layout=st.sampled_from([PLAIN, FLOW_LAYOUT]),
)
@settings(max_examples=150, deadline=None)
def test_any_value_reads_back_as_given(value: str, flag: bool, layout: str) -> None:
    """A description or default of any text is written in place (quoted when it must be)
    or left to the round trip (the flow layout always is); either way the spec reads back
    exactly what was given: a line break is never folded into a space."""
    from generator.spec.editor import _applied

    spec = {"type": "str", "max_length": 40, "nullable": flag, "default": value}
    spec["description"] = value
    change = EntityChange("Post", fields={"note": spec})
    new_text, data = _applied(layout, change)
    read = read_yaml(new_text)["entities"]["Post"]["fields"]["note"]
    expected = {k: v for k, v in spec.items() if v is not False}
    assert read == expected and list(read) == list(expected)
    if data is not None:
        assert read_yaml(new_text) == data
