"""The 3-way merge: both sides' changes applied, overlaps reported, nothing lost."""

from __future__ import annotations

from generator.merge import has_conflict_markers, merge3

BASE = "a\nb\nc\nd\ne\n"


def test_changes_on_different_lines_merge_cleanly() -> None:
    result = merge3(BASE, "a\nB\nc\nd\ne\n", "a\nb\nc\nD\ne\n")
    assert (result.text, result.conflicts) == ("a\nB\nc\nD\ne\n", 0)


def test_insertions_at_the_same_place_keep_both_generated_first() -> None:
    result = merge3(BASE, BASE + "mine\n", BASE + "generated\n")
    assert (result.text, result.conflicts) == (BASE + "generated\nmine\n", 0)


def test_same_change_on_both_sides_is_not_a_conflict() -> None:
    result = merge3(BASE, "a\nX\nc\nd\ne\n", "a\nX\nc\nd\ne\n")
    assert (result.text, result.conflicts) == ("a\nX\nc\nd\ne\n", 0)


def test_overlapping_changes_become_markers() -> None:
    result = merge3(BASE, "a\nmine\nc\nd\ne\n", "a\ntheirs\nc\nd\ne\n", label="f.py")
    assert result.conflicts == 1
    assert result.text == (
        "a\n<<<<<<< yours f.py\nmine\n=======\ntheirs\n>>>>>>> forge f.py\nc\nd\ne\n"
    )
    assert has_conflict_markers(result.text)


def test_deletion_against_edit_is_a_conflict_and_keeps_the_edit() -> None:
    result = merge3(BASE, "a\nb\nEDITED\nd\ne\n", "a\nb\nd\ne\n")
    assert result.conflicts == 1
    assert "EDITED" in result.text


def test_insertion_next_to_a_modification_is_clean() -> None:
    result = merge3(BASE, "a\nb\nmine\nc\nd\ne\n", "a\nb\nC\nd\ne\n")
    assert (result.text, result.conflicts) == ("a\nb\nmine\nC\nd\ne\n", 0)


def test_missing_final_newline_does_not_glue_markers() -> None:
    result = merge3("x\n", "mine", "theirs")
    assert result.conflicts == 1
    assert result.text.splitlines()[1:2] == ["mine"]
