"""A change to the spec made by `forge make entity`, and its application to forge.yaml.

Prompts and flags both produce an `EntityChange`; applying it edits the YAML document
round-trip (ruamel.yaml), so the file keeps its comments, key order and formatting. The
changed text is then validated by the same `parse_spec` as any spec: one set of rules.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from generator.errors import SpecError
from generator.spec import Spec, parse_spec, read_yaml


@dataclass
class EntityChange:
    """New fields and relations for one entity (created when it does not exist yet)."""

    entity: str
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    relations: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.fields and not self.relations


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _flow(values: dict[str, Any]) -> Any:
    """A field or relation as a one-line `{type: str, max_length: 40}` mapping."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    mapping = CommentedMap()
    for key, value in values.items():
        if isinstance(value, list):
            seq = CommentedSeq(value)
            seq.fa.set_flow_style()
            value = seq
        mapping[key] = value
    mapping.fa.set_flow_style()
    return mapping


# Keys are written in one order, and false flags left out, so that the same answers give
# the same bytes whether they came from prompts or from flags.
FIELD_ORDER = (
    "type",
    "max_length",
    "precision",
    "scale",
    "values",
    "nullable",
    "unique",
    "index",
    "default",
    "description",
)
RELATION_ORDER = ("kind", "target", "nullable", "inverse", "on_delete", "link_table")


def canonical(values: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    known = [key for key in order if key in values]
    extra = [key for key in values if key not in order]
    return {
        key: values[key]
        for key in known + extra
        if values[key] is not False and values[key] is not None
    }


def _entry(values: dict[str, Any]) -> Any:
    # A field with nothing but a type is written the short way: `title: str`.
    if set(values) == {"type"}:
        return values["type"]
    return _flow(values)


def apply_change(text: str, change: EntityChange) -> str:
    """forge.yaml text with the change applied (comments and order kept)."""
    from ruamel.yaml.comments import CommentedMap

    yaml = _yaml()
    document = yaml.load(text)
    if document is None:
        document = CommentedMap()
    if not isinstance(document, CommentedMap):
        raise SpecError("", "the spec must be a mapping with project: and entities:")
    entities = document.get("entities")
    if entities is None or (isinstance(entities, dict) and not entities):
        entities = CommentedMap()
        document["entities"] = entities
    if not isinstance(entities, CommentedMap):
        raise SpecError("entities", "must be a mapping")
    body = entities.get(change.entity)
    if body is None:
        body = CommentedMap()
        entities[change.entity] = body
    body = _unshared(document, entities, change.entity)
    for section, values in (("fields", change.fields), ("relations", change.relations)):
        if not values:
            continue
        block = _unshared(document, body, section) if section in body else None
        if block is None or (isinstance(block, dict) and not block):
            block = CommentedMap()
            body[section] = block
        if not isinstance(block, CommentedMap):
            raise SpecError(f"entities.{change.entity}.{section}", "must be a mapping")
        block.fa.set_block_style()
        for name, spec in values.items():
            for other in ("fields", "relations"):
                taken = body.get(other)
                if isinstance(taken, dict) and name in taken:
                    raise SpecError(
                        f"entities.{change.entity}.{section}.{name}",
                        f"{name!r} already exists on {change.entity} "
                        f"(as a {other[:-1]}); choose another name",
                    )
            if section == "fields":
                block[name] = _entry(canonical(spec, FIELD_ORDER))
            else:
                block[name] = _flow(canonical(spec, RELATION_ORDER))
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _unshared(document: Any, parent: Any, key: str) -> Any:
    """parent[key], replaced by a copy first if a YAML alias shares it with another place
    (`Article: *post`): editing it in place would edit the other place too."""
    from ruamel.yaml.comments import CommentedMap

    value = parent[key]
    if not isinstance(value, CommentedMap) or _uses(document, value) < 2:
        return value
    copy = CommentedMap()
    copy.update(value)
    if value.fa.flow_style():
        copy.fa.set_flow_style()
    parent[key] = copy
    return copy


def _uses(document: Any, target: Any) -> int:
    """How many times `target` appears in the document (each alias counts once)."""
    count = 0
    seen: set[int] = set()
    stack = [document]
    while stack:
        value = stack.pop()
        children = value.values() if isinstance(value, dict) else value
        for child in children:
            if child is target:
                count += 1
            if isinstance(child, (dict, list)) and id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return count


def check_change(text: str, change: EntityChange) -> tuple[str, Spec]:
    """Apply the change and validate the result; raises SpecError naming the place."""
    new_text = apply_change(text, change)
    return new_text, parse_spec(read_yaml(new_text))


def problem(text: str, change: EntityChange) -> str | None:
    """The reason the change would make the spec invalid, or None (for prompt validators)."""
    try:
        check_change(text, change)
    except SpecError as error:
        return f"{error.where}: {error.message}" if error.where else error.message
    return None


def remove_entity(text: str, entity: str) -> tuple[str, list[str]]:
    """forge.yaml text without the entity, nor the relations of other entities that point
    to it (their inverse sides live on the removed entity's side of the code). Returns
    the new text and the relations removed (`Post.author`)."""
    from ruamel.yaml.comments import CommentedMap

    yaml = _yaml()
    document = yaml.load(text)
    entities = document.get("entities") if isinstance(document, CommentedMap) else None
    if not isinstance(entities, CommentedMap) or entity not in entities:
        known = ", ".join(sorted(entities)) if isinstance(entities, CommentedMap) else "none"
        raise SpecError("entities", f"no entity {entity!r} to remove (known: {known})")
    del entities[entity]
    removed: list[str] = []
    for name, body in entities.items():
        relations = body.get("relations") if isinstance(body, CommentedMap) else None
        if not isinstance(relations, CommentedMap):
            continue
        for relation in [r for r, spec in relations.items() if _targets(spec, entity)]:
            del relations[relation]
            removed.append(f"{name}.{relation}")
        if not relations:
            del body["relations"]
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue(), removed


def _targets(spec: Any, entity: str) -> bool:
    return isinstance(spec, dict) and spec.get("target") == entity
