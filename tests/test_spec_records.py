"""The spec records are frozen dataclasses (pydantic stays out of a run's imports); what
they kept of the pydantic models they were must still hold."""

from __future__ import annotations

import subprocess
import sys

from pydantic import BaseModel

from generator.evolve import snapshot_text
from generator.spec import FieldSpec, Spec, load_spec
from generator.spec.records import BASE_MODEL_NAMES, RESERVED_ATTRIBUTES
from tests.helpers import EXAMPLES, ROOT


def test_reserved_names_are_those_of_the_installed_pydantic() -> None:
    public = {name for name in dir(BaseModel) if not name.startswith("_")}
    assert BASE_MODEL_NAMES == public
    assert public <= RESERVED_ATTRIBUTES


def test_a_spec_round_trips_through_json() -> None:
    spec = load_spec(EXAMPLES / "shop" / "forge.yaml")
    data = spec.model_dump(mode="json")
    again = Spec.model_validate(data)
    assert again == spec and hash(again) == hash(spec)
    assert snapshot_text(again) == snapshot_text(spec)
    assert isinstance(again.entities[0].fields, tuple)


def test_lists_become_tuples() -> None:
    field = FieldSpec(name="status", type="enum", values=["a", "b"])  # type: ignore[arg-type]
    assert field.values == ("a", "b") and hash(field)


def test_loading_a_spec_does_not_import_pydantic() -> None:
    code = (
        "import sys; from generator.spec import load_spec; "
        f"load_spec(__import__('pathlib').Path({str(EXAMPLES / 'blog' / 'forge.yaml')!r})); "
        "print('pydantic' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "False"
