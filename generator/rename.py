"""`forge rename entity|field|relation`: a rename in forge.yaml, the code and the database.

1. forge.yaml is edited round-trip (spec/editor.py): the key is renamed, and
   every reference to it (relation targets, inverses). The result is validated by the
   same `parse_spec` as any spec, so a taken or invalid name is refused the same way.
2. The code is regenerated through the usual 3-way merge; the generated files of a
   renamed entity move to their new names with the user's edits in them.
3. The tables and columns that change name are recorded in `.forge/renames.json`, so the
   next `forge db migrate` renames them (values kept) instead of dropping and adding.

Everything is written in one all-or-nothing step; a refusal writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator import naming
from generator.errors import SpecError
from generator.evolve import (
    RENAMES_FILE,
    Rename,
    merge_pending,
    pending_text,
    physical_renames,
    read_pending,
)
from generator.model import build_model
from generator.project import (
    PendingChange,
    _spec_text,
    apply_entity,
    planned_change,
    recall_checks,
    render_data_layer,
)
from generator.reconcile import known_bases
from generator.spec import Spec, parse_spec, read_yaml, rename_in_spec

KINDS = ("entity", "field", "relation")


@dataclass
class RenamePlan:
    entity_plan: PendingChange
    renames: list[Rename]  # new physical renames (tables, columns)
    pending: str  # the new content of .forge/renames.json


def _maps(
    kind: str, entity: str, old: str, new: str, spec: Spec
) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    if kind == "entity":
        return {entity: new}, {}
    members = {(entity, old): new}
    for other in spec.entities:  # an inverse renamed: the relation declared on the other side
        for relation in other.relations:
            if relation.target == entity and relation.inverse == old:
                members[(other.name, relation.name)] = relation.name
    return {}, members


def _moves(root: Path, old: Spec, new: Spec, entities: dict[str, str]) -> dict[str, str]:
    """New path -> old path of the generated files of renamed entities."""
    if not entities:
        return {}
    rendered = set(render_data_layer(new))
    known = known_bases(root)
    moves: dict[str, str] = {}
    for before, after in entities.items():
        old_module, new_module = naming.module_name(before), naming.module_name(after)
        for path in rendered:
            folder, _, name = path.rpartition("/")
            if new_module not in name or (root / path).exists():
                continue
            candidate = f"{folder}/{name.replace(new_module, old_module)}".lstrip("/")
            if candidate in known and candidate not in rendered:
                moves[path] = candidate
    return moves


def plan_rename(root: Path, kind: str, entity: str, old: str, new: str) -> RenamePlan:
    """Everything a rename would write; nothing is written."""
    if kind not in KINDS:
        raise SpecError("", f"unknown kind {kind!r} (allowed: {', '.join(KINDS)})")
    if kind == "entity":
        entity = old
    if old == new:
        raise SpecError("", f"{old!r} is already the name; nothing to rename")
    recall_checks(root)
    text = _spec_text(root)
    before = parse_spec(read_yaml(text))
    new_text = rename_in_spec(text, kind, entity, old, new)
    after = parse_spec(read_yaml(new_text))
    entities, members = _maps(kind, entity, old, new, before)
    renames = physical_renames(build_model(before), build_model(after), entities, members)
    entity_plan = planned_change(
        root, text, new_text, after, moves=_moves(root, before, after, entities)
    )
    pending = merge_pending(read_pending(root), renames)
    return RenamePlan(entity_plan, renames, pending_text(pending))


def apply_rename(rename_plan: RenamePlan) -> None:
    """Write everything in one all-or-nothing step (and stamp the result)."""
    extra = {RENAMES_FILE: rename_plan.pending} if rename_plan.renames else {}
    apply_entity(rename_plan.entity_plan, extra)
