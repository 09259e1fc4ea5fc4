"""`forge rename entity|field|relation`: a rename in forge.yaml, the code and the database.

1. forge.yaml is edited round-trip (comments and order kept): the key is renamed, and
   every reference to it (relation targets, inverses). The result is validated by the
   same `parse_spec` as any spec, so a taken or invalid name is refused the same way.
2. The code is regenerated through the usual 3-way merge; the generated files of a
   renamed entity move to their new names with the user's edits in them.
3. The tables and columns that change name are recorded in `.forge/renames.json`, so the
   next `forge db migrate` renames them (values kept) instead of dropping and adding.

Everything is written in one all-or-nothing step; a refusal writes nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import naming
from generator.change import _yaml
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
from generator.project import SPEC_FILE, PendingChange, _spec_text, build, render_data_layer
from generator.reconcile import known_bases
from generator.spec import Spec, parse_spec, read_yaml

KINDS = ("entity", "field", "relation")


@dataclass
class RenamePlan:
    entity_plan: PendingChange
    renames: list[Rename]  # new physical renames (tables, columns)
    pending: str  # the new content of .forge/renames.json


def _rename_key(mapping: Any, old: str, new: str) -> None:
    """Rename a key of a ruamel CommentedMap in place (position and comments kept)."""
    position = list(mapping).index(old)
    comment = mapping.ca.items.pop(old, None)
    value = mapping.pop(old)
    mapping.insert(position, new, value)
    if comment is not None:
        mapping.ca.items[new] = comment


def edit_spec(text: str, kind: str, entity: str, old: str, new: str) -> str:
    """forge.yaml text with the rename applied; SpecError when a name is unknown."""
    from ruamel.yaml.comments import CommentedMap

    yaml = _yaml()
    document = yaml.load(text)
    entities = document.get("entities") if isinstance(document, CommentedMap) else None
    if not isinstance(entities, CommentedMap) or entity not in entities:
        known = ", ".join(sorted(entities or {})) if isinstance(entities, dict) else "none"
        raise SpecError("entities", f"unknown entity {entity!r} (known: {known})")
    if kind == "entity":
        if new in entities:
            raise SpecError(f"entities.{new}", f"{new!r} is already an entity; choose another")
        _rename_key(entities, entity, new)
        for body in entities.values():
            relations = body.get("relations") if isinstance(body, CommentedMap) else None
            for relation in (relations or {}).values():
                if isinstance(relation, dict) and relation.get("target") == entity:
                    relation["target"] = new
    else:
        body = entities[entity]
        where = f"entities.{entity}"
        fields = (body.get("fields") if isinstance(body, CommentedMap) else None) or {}
        relations = (body.get("relations") if isinstance(body, CommentedMap) else None) or {}
        for section in (fields, relations):
            if new in section:
                raise SpecError(f"{where}.{old}", f"{new!r} already exists on {entity}")
        if kind == "field":
            if old not in fields:
                known = ", ".join(fields) or "none"
                raise SpecError(f"{where}.fields", f"no field {old!r} (known: {known})")
            _rename_key(fields, old, new)
        elif old in relations:
            _rename_key(relations, old, new)
            for other in entities.values():  # a one_to_many's inverse names this side
                declared = other.get("relations") if isinstance(other, CommentedMap) else None
                for relation in (declared or {}).values():
                    if (
                        isinstance(relation, dict)
                        and relation.get("target") == entity
                        and relation.get("inverse") == old
                    ):
                        relation["inverse"] = new
        else:  # an inverse, declared on the other side
            found = False
            for other in entities.values():
                declared = other.get("relations") if isinstance(other, CommentedMap) else None
                for relation in (declared or {}).values():
                    if (
                        isinstance(relation, dict)
                        and relation.get("target") == entity
                        and relation.get("inverse") == old
                    ):
                        relation["inverse"] = new
                        found = True
            if not found:
                known = ", ".join(relations) or "none"
                raise SpecError(
                    f"{where}.relations",
                    f"no relation {old!r} (known: {known}, and the inverses declared on "
                    "other entities)",
                )
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


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
    text = _spec_text(root)
    before = parse_spec(read_yaml(text))
    new_text = edit_spec(text, kind, entity, old, new)
    after = parse_spec(read_yaml(new_text))
    entities, members = _maps(kind, entity, old, new, before)
    renames = physical_renames(build_model(before), build_model(after), entities, members)
    plan = build(root, after, moves=_moves(root, before, after, entities))
    pending = merge_pending(read_pending(root), renames)
    return RenamePlan(PendingChange(root, text, new_text, plan), renames, pending_text(pending))


def apply_rename(rename_plan: RenamePlan) -> None:
    from generator.write import write_files

    entity_plan = rename_plan.entity_plan
    writes = {SPEC_FILE: entity_plan.new_spec, **entity_plan.plan.writes}
    if rename_plan.renames:
        writes[RENAMES_FILE] = rename_plan.pending
    write_files(entity_plan.project, writes, entity_plan.plan.deletions)
