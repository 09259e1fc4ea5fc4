"""The one round-trip editor of forge.yaml.

`forge make entity` (an `EntityChange`), `forge destroy`, `forge rename` and the project
keys of `forge new` all edit the YAML document here, round-trip (ruamel.yaml): the file
keeps its comments, key order, quotes and long lines. The changed text is then validated
by the same `parse_spec` as any spec: one set of rules. A `forge make entity` change is
first offered to inplace.py, which inserts its lines into the text when it can prove the
result (a fraction of the round trip's cost); the round trip takes every other case.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from generator.errors import SpecError
from generator.spec.loading import read_yaml
from generator.spec.reader import parse_spec
from generator.spec.records import Spec

# --------------------------------------------------------------------- the round trip


# Line breaks besides \n: in a plain or single-quoted scalar YAML folds them (ruamel writes
# `c\x85d` as `c d` plainly), so a new value holding one is written double-quoted, where
# they are escapes (`"c\Nd"`).
_FOLDED_BREAKS = ("\r", "\x85", "\u2028", "\u2029")


def _yaml() -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.representer import RoundTripRepresenter

    class Representer(RoundTripRepresenter):
        def represent_str(self, data: str) -> Any:
            if any(mark in data for mark in _FOLDED_BREAKS):
                return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
            return super().represent_str(data)

    Representer.add_representer(str, Representer.represent_str)
    yaml = YAML()
    yaml.Representer = Representer
    yaml.preserve_quotes = True
    yaml.width = 4096  # a long line stays one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _load(text: str) -> tuple[Any, Any]:
    """The round-tripper and the document it read: dump with the same one, which keeps
    what the document does not hold (a `%YAML 1.1` directive)."""
    yaml = _yaml()
    return yaml, yaml.load(text)


def _dump(yaml: Any, document: Any) -> str:
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _mapping(document: Any) -> Any:
    """The document as a mapping to add to (an empty file is an empty mapping)."""
    from ruamel.yaml.comments import CommentedMap

    if document is None:
        return CommentedMap()
    if not isinstance(document, CommentedMap):
        raise SpecError("", "the spec must be a mapping with project: and entities:")
    return document


def _section(body: Any, key: str) -> Any:
    """body[key] when body is a mapping (`entities`, `relations`, ...), else None."""
    from ruamel.yaml.comments import CommentedMap

    return body.get(key) if isinstance(body, CommentedMap) else None


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


# ----------------------------------------------------------------- forge make entity


@dataclass
class EntityChange:
    """New fields and relations for one entity (created when it does not exist yet)."""

    entity: str
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    relations: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.fields and not self.relations


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
RELATION_ORDER = (
    "kind",
    "target",
    "nullable",
    "inverse",
    "on_delete",
    "on_update",
    "column",
    "index",
    "link_table",
    "link_columns",
    "link_on_delete",
    "link_on_update",
    "link_key_name",
    "link_fields",
)


_FALSE_KEPT = ("timezone",)  # options whose default is true: false is written


def canonical(values: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    known = [key for key in order if key in values]
    extra = [key for key in values if key not in order]
    kept = _FALSE_KEPT + (("index",) if order is RELATION_ORDER else ())
    return {
        key: values[key]
        for key in known + extra
        if values[key] is not None and (values[key] is not False or key in kept)
    }


def _entry(values: dict[str, Any]) -> Any:
    data = _entry_data(values)
    return data if data is not values else _flow(values)


def apply_change(text: str, change: EntityChange) -> str:
    """forge.yaml text with the change applied (comments and order kept)."""
    return _applied(text, change)[0]


def _applied(text: str, change: EntityChange) -> tuple[str, Any]:
    """The new text, and the data it parses to when that is known already: the change
    written in place when inplace.py can prove it (a fraction of the round trip's cost),
    else through the round trip (the data then None)."""
    from generator.spec.inplace import write_in_place

    sections = {
        "fields": {
            name: _entry_data(canonical(spec, FIELD_ORDER)) for name, spec in change.fields.items()
        },
        "relations": {
            name: canonical(spec, RELATION_ORDER) for name, spec in change.relations.items()
        },
    }
    written = write_in_place(
        text, change.entity, {section: values for section, values in sections.items() if values}
    )
    return written if written is not None else (_round_trip(text, change), None)


def _entry_data(values: dict[str, Any]) -> Any:
    """A field with nothing but a type is written the short way (`title: str`), any other
    as its mapping."""
    return values["type"] if set(values) == {"type"} else values


def _round_trip(text: str, change: EntityChange) -> str:
    from ruamel.yaml.comments import CommentedMap

    yaml, document = _load(text)
    document = _mapping(document)
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
    return _dump(yaml, document)


def check_change(text: str, change: EntityChange) -> tuple[str, Spec]:
    """Apply the change and validate the result; raises SpecError naming the place."""
    new_text, data = _applied(text, change)
    return new_text, parse_spec(read_yaml(new_text) if data is None else data)


def problem(text: str, change: EntityChange) -> str | None:
    """The reason the change would make the spec invalid, or None (for prompt validators)."""
    try:
        check_change(text, change)
    except SpecError as error:
        return f"{error.where}: {error.message}" if error.where else error.message
    return None


# --------------------------------------------------------------------- forge destroy


def remove_entity(text: str, entity: str) -> tuple[str, list[str]]:
    """forge.yaml text without the entity, nor the relations of other entities that point
    to it (their inverse sides live on the removed entity's side of the code). Returns
    the new text and the relations removed (`Post.author`)."""
    from ruamel.yaml.comments import CommentedMap

    yaml, document = _load(text)
    entities = _section(document, "entities")
    if not isinstance(entities, CommentedMap) or entity not in entities:
        known = ", ".join(sorted(entities)) if isinstance(entities, CommentedMap) else "none"
        raise SpecError("entities", f"no entity {entity!r} to remove (known: {known})")
    del entities[entity]
    removed: list[str] = []
    for name, body in entities.items():
        relations = _section(body, "relations")
        if not isinstance(relations, CommentedMap):
            continue
        for relation in [r for r, spec in relations.items() if _targets(spec, entity)]:
            del relations[relation]
            removed.append(f"{name}.{relation}")
        if not relations:
            del body["relations"]
    return _dump(yaml, document), removed


def _targets(spec: Any, entity: str) -> bool:
    return isinstance(spec, dict) and spec.get("target") == entity


# ---------------------------------------------------------------------- forge rename


def rename_in_spec(text: str, kind: str, entity: str, old: str, new: str) -> str:
    """forge.yaml text with a rename applied (kind: entity, field or relation), and every
    reference to the name (relation targets, inverses); SpecError when a name is unknown."""
    from ruamel.yaml.comments import CommentedMap

    yaml, document = _load(text)
    entities = _section(document, "entities")
    if not isinstance(entities, CommentedMap) or entity not in entities:
        known = ", ".join(sorted(entities or {})) if isinstance(entities, dict) else "none"
        raise SpecError("entities", f"unknown entity {entity!r} (known: {known})")
    if kind == "entity":
        if new in entities:
            raise SpecError(f"entities.{new}", f"{new!r} is already an entity; choose another")
        _rename_key(entities, entity, new)
        for body in entities.values():
            for relation in (_section(body, "relations") or {}).values():
                if isinstance(relation, dict) and relation.get("target") == entity:
                    relation["target"] = new
    else:
        body = entities[entity]
        where = f"entities.{entity}"
        fields = _section(body, "fields") or {}
        relations = _section(body, "relations") or {}
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
            _rename_inverses(entities, entity, old, new)  # a one_to_many's inverse names it
        elif not _rename_inverses(entities, entity, old, new):  # an inverse, declared there
            known = ", ".join(relations) or "none"
            raise SpecError(
                f"{where}.relations",
                f"no relation {old!r} (known: {known}, and the inverses declared on "
                "other entities)",
            )
    return _dump(yaml, document)


def _rename_key(mapping: Any, old: str, new: str) -> None:
    """Rename a key of a ruamel CommentedMap in place (position and comments kept)."""
    position = list(mapping).index(old)
    comment = mapping.ca.items.pop(old, None)
    value = mapping.pop(old)
    mapping.insert(position, new, value)
    if comment is not None:
        mapping.ca.items[new] = comment


def _rename_inverses(entities: Any, entity: str, old: str, new: str) -> bool:
    """Rename the inverse `old` of the relations that target `entity`, on every entity;
    whether there was one."""
    found = False
    for other in entities.values():
        for relation in (_section(other, "relations") or {}).values():
            if (
                isinstance(relation, dict)
                and relation.get("target") == entity
                and relation.get("inverse") == old
            ):
                relation["inverse"] = new
                found = True
    return found


# ------------------------------------------------------------ forge new: project keys


def set_project_keys(text: str, values: dict[str, Any]) -> str:
    """Set keys of the `project:` section, keeping the file's comments and order."""
    from ruamel.yaml.comments import CommentedMap

    yaml, document = _load(text)
    document = _mapping(document)
    project = document.get("project")
    if project is None:
        project = CommentedMap()
        document.insert(0, "project", project)
    elif not isinstance(project, CommentedMap):
        return text  # not a mapping: left for the validator to report
    for key, value in values.items():
        project[key] = value
    return _dump(yaml, document)
