"""Interactive `forge make entity` never loses an answer (issue 11): each answer is
checked when given and asked again with the reason; `y<Enter>` answers one question; Esc
aborts at yes/no questions; a field just entered can be removed; typos get a suggestion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import forge, tree_digest
from tests.test_make_entity import CLEAR, ENTER, START_SPEC, Terminal


@pytest.fixture
def press(tmp_path: Path) -> Path:
    spec = tmp_path / "start.yaml"
    spec.write_text(START_SPEC)
    forge("new", str(tmp_path / "press"), "--spec", str(spec), "--defaults", cwd=tmp_path)
    return tmp_path / "press"


def entity_fields(project: Path, entity: str) -> dict[str, Any]:
    from generator.spec import load_spec

    spec = load_spec(project / "forge.yaml")
    (found,) = [e for e in spec.entities if e.name == entity]
    return {f.name: f for f in found.fields}


def test_decimal_scale_is_refused_when_given_and_nothing_is_lost(press: Path) -> None:
    term = Terminal(press, "Invoice")
    term.answer("New field name", "number\r")
    term.answer("Field type", "str\r")
    term.answer("Field length", f"{CLEAR}20\r")
    term.answer("nullable", "y\r")  # the Enter must not answer "unique"
    term.answer("unique", "y\r")
    term.answer("New field name", "total\r")  # unique: no index question
    term.answer("Field type", "decimal\r")
    term.answer("Precision", f"{CLEAR}5\r")
    term.answer("Scale", f"{CLEAR}12\r")
    term.sees("scale")  # refused now, with the validator's reason
    term.sees("precision")
    term.child.send(f"{CLEAR}2\r")
    term.answer("nullable", ENTER)
    term.answer("unique", ENTER)
    term.answer("index", ENTER)
    term.answer("New field name", ENTER)
    term.answer("Apply these changes", "y\r")
    assert term.finish() == 0
    fields = entity_fields(press, "Invoice")
    assert set(fields) == {"number", "total"}
    number, total = fields["number"], fields["total"]
    assert number.nullable and number.unique
    assert total.precision == 5 and total.scale == 2


def test_remove_a_field_before_confirming_and_type_suggestions(press: Path) -> None:
    term = Terminal(press, "Invoice")
    term.answer("New field name", "note\r")
    term.answer("Field type", "string\r")
    term.sees("did you mean str\\?")
    term.child.send(f"{CLEAR}integer\r")
    term.sees("did you mean int\\?")
    term.child.send(f"{CLEAR}Decimal\r")
    term.sees("decimal\\? enter")
    term.child.send(f"{CLEAR}text\r")
    term.answer("nullable", ENTER)
    term.answer("New field name", "code\r")
    term.answer("Field type", "int\r")
    term.answer("nullable", ENTER)
    term.answer("unique", ENTER)
    term.answer("index", ENTER)
    term.answer("New field name", "-nope\r")
    term.sees("not one \\(code, note\\)")
    term.child.send(f"{CLEAR}-note\r")
    term.sees("removed note")
    term.answer("New field name", ENTER)
    term.answer("Apply these changes", ENTER)
    assert term.finish() == 0
    assert set(entity_fields(press, "Invoice")) == {"code"}


def test_escape_at_yes_no_aborts_and_lowercase_class_name_is_offered(press: Path) -> None:
    before = tree_digest(press)
    term = Terminal(press, "Invoice")
    term.answer("New field name", "paid\r")
    term.answer("Field type", "bool\r")
    term.answer("nullable", "\x1b")  # Esc at a yes/no question
    assert term.finish() == 130
    term = Terminal(press, "Invoice")
    term.answer("New field name", ENTER)
    term.answer("Apply these changes", "\x1b")
    assert term.finish() == 130
    assert tree_digest(press) == before

    term = Terminal(press)
    term.answer("Class name of the entity", "order\r")
    term.sees("did you mean Order\\?")
    term.child.send(f"{CLEAR}Order\r")
    term.answer("New field name", "reference\r")
    term.answer("Field type", ENTER)
    term.answer("Field length", f"{CLEAR}20\r")
    term.answer("nullable", ENTER)
    term.answer("unique", ENTER)
    term.answer("index", ENTER)
    term.answer("New field name", ENTER)
    term.answer("Apply these changes", ENTER)
    assert term.finish() == 0
    assert set(entity_fields(press, "Order")) == {"reference"}
    refused = forge("make", "entity", "order", cwd=press, check=False)
    assert refused.returncode == 2 and "did you mean Order?" in refused.stderr
