"""Property: regeneration never loses a line the user wrote.

For a random spec, random user edits to the generated files (methods, comments, imports,
a docstring changed) and a random spec change (field added, removed or renamed, relation
added or removed, entity added or removed), `forge generate`:
- keeps every line the user wrote, in its file (edited files are never deleted);
- writes conflict markers exactly in the files it lists as conflicts, and exits non-zero
  exactly when there are some;
- leaves every file without markers compiling;
- when there is no conflict, the project passes `alembic check` after a new revision.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, event, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from typer.testing import CliRunner

from generator import fieldtypes
from generator import project as projects
from generator.cli import app
from generator.errors import SpecError
from generator.merge import has_conflict_markers
from generator.reconcile import known_bases
from generator.spec import load_spec
from tests.drivers import alembic_check

EXAMPLES = int(os.environ.get("FORGE_PROPERTY_EXAMPLES", "200"))
ENTITY_NAMES = ["Alpha", "Beta", "Gamma", "Delta"]
TYPES = [name for name in fieldtypes.NAMES if name != "bytes"]  # bytes: left out as before
KINDS = ["many_to_one", "one_to_many", "one_to_one", "many_to_many"]
EDITABLE = ("app/models/", "app/schemas/", "app/repositories/", "app/crud/")


def field_spec(ftype: str, nullable: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": ftype, "nullable": nullable}
    if ftype == "enum":
        spec["values"] = ["a", "b"]
    return spec


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    names = ENTITY_NAMES[: draw(st.integers(1, 3))]
    entities: dict[str, Any] = {}
    for name in names:
        fields = {
            f"f{i}": field_spec(draw(st.sampled_from(TYPES)), draw(st.booleans()))
            for i in range(draw(st.integers(0, 3)))
        }
        entities[name] = {"fields": fields, "relations": {}}
    for i in range(draw(st.integers(0, 3))):
        source, target = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        entities[source]["relations"][f"r{i}"] = relation(draw, source, target, i)
    return {"project": {"name": "prop"}, "entities": entities}


def relation(draw: st.DrawFn, source: str, target: str, i: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(KINDS))
    spec: dict[str, Any] = {"kind": kind, "target": target}
    # one_to_many names its foreign key after the inverse: without one, two of them to the
    # same target would need the same column (the validator refuses that spec).
    if kind == "one_to_many" or draw(st.booleans()):
        spec["inverse"] = f"inv_{source.lower()}_{i}"
    if kind == "many_to_many":
        spec["link_table"] = f"link_{source.lower()}_{i}"
    else:
        spec["nullable"] = True  # required keys could form a cycle; the validator says so
        spec["on_delete"] = draw(st.sampled_from(["cascade", "set_null", "restrict"]))
    return spec


def change_spec(draw: st.DrawFn, spec: dict[str, Any], edited: set[str]) -> str:
    """Apply one random change to the spec (in place), usually to an entity whose files the
    user edited; returns what it did."""
    entities = spec["entities"]
    preferred = sorted(name for name in entities if name.lower() in edited)
    if preferred and draw(st.integers(0, 3)):
        name = draw(st.sampled_from(preferred))
    else:
        name = draw(st.sampled_from(sorted(entities)))
    body = entities[name]
    options = ["add_field", "add_relation"]
    if body["fields"]:
        options += ["remove_field", "rename_field"]
    if body["relations"]:
        options.append("remove_relation")
    if len(entities) < len(ENTITY_NAMES):
        options.append("add_entity")
    if len(entities) > 1:
        options.append("remove_entity")
    choice = draw(st.sampled_from(options))
    if choice == "add_field":
        body["fields"]["added"] = field_spec(draw(st.sampled_from(TYPES)), True)
    elif choice in ("remove_field", "rename_field"):
        field = draw(st.sampled_from(sorted(body["fields"])))
        value = body["fields"].pop(field)
        if choice == "rename_field":
            body["fields"][f"{field}_renamed"] = value
    elif choice == "add_relation":
        target = draw(st.sampled_from(sorted(entities)))
        body["relations"]["r_new"] = relation(draw, name, target, 99)
    elif choice == "remove_relation":
        body["relations"].pop(draw(st.sampled_from(sorted(body["relations"]))))
    elif choice == "add_entity":
        new = next(n for n in ENTITY_NAMES if n not in entities)
        entities[new] = {"fields": {"g0": field_spec("str", False)}, "relations": {}}
        body["relations"]["r_to_new"] = relation(draw, name, new, 98)
    elif choice == "remove_entity":
        del entities[name]
        for other in entities.values():
            other["relations"] = {
                r: s for r, s in other["relations"].items() if s["target"] != name
            }
    return choice


def edit_files(draw: st.DrawFn, root: Path) -> dict[str, list[str]]:
    """Random user edits to generated files; returns the lines the user wrote, per file."""
    files = sorted(
        relative
        for relative in known_bases(root)
        if relative.startswith(EDITABLE) and not relative.endswith("__init__.py")
    )
    written: dict[str, list[str]] = {}
    chosen = draw(st.lists(st.sampled_from(files), min_size=1, max_size=4, unique=True))
    for n, relative in enumerate(chosen):
        path = root / relative
        lines = path.read_text().splitlines(keepends=True)
        attributes = [i for i, line in enumerate(lines) if re.match(r"    \w+: ", line)]
        # changing a generated line is what can collide with a spec change: weigh it up
        kinds = ["method", "comment", "import", "docstring"] + (
            ["attribute"] * 4 if attributes else []
        )
        kind = draw(st.sampled_from(kinds))
        event(f"user edit: {kind}")
        mine: list[str] = []
        if kind == "attribute":  # the user changes a generated line (a field or relation)
            at = draw(st.sampled_from(attributes))
            mine = [lines[at].rstrip("\n") + f"  # mine {n}\n"]
            lines[at] = mine[0]
        elif kind == "method":
            mine = [f"    def user_method_{n}(self) -> int:\n", f"        return {n}  # mine {n}\n"]
            lines += ["\n", *mine]
        elif kind == "comment":
            at = draw(st.integers(3, len(lines)))
            mine = [f"# user comment {n}\n"]
            lines[at:at] = mine
        elif kind == "import":
            at = lines.index('"""\n') + 1  # after the module docstring
            mine = [f"import json as user_json_{n}  # noqa: F401\n"]
            lines[at:at] = mine
        else:
            mine = [f'"""User docstring {n}.\n']
            lines[0] = mine[0]
        path.write_text("".join(lines))
        written[relative] = [line.rstrip("\n") for line in mine]
    return written


@pytest.fixture(scope="module")
def skeleton(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("property") / "skeleton"
    projects.new_project(root, name="prop")
    return root


def write_spec(root: Path, spec: dict[str, Any]) -> None:
    with (root / "forge.yaml").open("w") as handle:
        YAML().dump(spec, handle)


@pytest.mark.xdist_group("property")
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # shrinking a file-system example takes minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), spec=specs())
def test_regeneration_keeps_every_user_line(
    skeleton: Path, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, spec: dict
) -> None:  # type: ignore[type-arg]
    root = tmp_path_factory.mktemp("example") / "p"
    shutil.copytree(skeleton, root)
    write_spec(root, spec)
    projects.generate(root)
    written = edit_files(data.draw, root)
    edited = {Path(relative).stem.removesuffix("_repository") for relative in written}
    event(f"spec change: {change_spec(data.draw, spec, edited)}")
    write_spec(root, spec)
    try:
        load_spec(root / "forge.yaml")
    except SpecError as error:
        event(f"invalid after change: {error.message[:60]}")
        shutil.rmtree(root.parent)
        assume(False)  # the change made an invalid spec; the bad-spec corpus covers those

    result = CliRunner().invoke(app, ["generate", "--project", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output

    marked = set()
    for path in root.rglob("*.py"):
        text = path.read_text()
        relative = str(path.relative_to(root))
        if has_conflict_markers(text):
            marked.add(relative)
        else:
            compile(text, relative, "exec")
    for relative, lines in written.items():
        assert (root / relative).exists(), f"{relative}, edited by the user, was deleted"
        text = (root / relative).read_text()
        for line in lines:
            assert line in text, f"user line {line!r} lost from {relative}"
    listed = {line.split()[-1] for line in result.output.splitlines() if line.startswith("  ")}
    assert marked == (listed & marked) and marked == {p for p in listed if p.endswith(".py")}
    assert (result.exit_code != 0) == bool(marked), result.output
    event("conflicts" if marked else "merged cleanly" if written else "no user edits")
    if not marked:
        url = f"sqlite+aiosqlite:///{root / 'property.db'}"
        code, output = alembic_check.check(root, url)
        assert code == 0, output
        assert "No new upgrade operations detected" in output
    shutil.rmtree(root.parent)
