"""The flag mini-syntax of `forge make entity`, parsed into an EntityChange.

    --field    name:type[:args][:modifier...]
               args: str -> max_length (title:str:200); decimal -> precision,scale
               (price:decimal:10,2); enum -> values (status:enum:draft,published)
               modifiers: nullable, unique, index, default=VALUE
    --relation name:kind:Target[:option...]
               options: nullable, inverse=x, on_delete=cascade|set_null|restrict,
               on_update=RULE, column=NAME (the foreign key's), index=false,
               link_table=NAME, link_on_delete=RULE, link_on_update=RULE, link_key_name=NAME

Only the shape is checked here; what the values mean is checked by the spec validator,
exactly as for a hand-written forge.yaml.
"""

from __future__ import annotations

from typing import Any

from generator.errors import ForgeError
from generator.spec import EntityChange
from generator.spec.editor import RELATION_ORDER

FIELD_MODIFIERS = ("nullable", "unique", "index")
RELATION_FLAGS = ("nullable",)
# The spec's relation options that one word holds, as name=VALUE (link_columns,
# link_fields and link_indexes are mappings: forge.yaml only).
RELATION_OPTIONS = tuple(
    key
    for key in RELATION_ORDER
    if key not in ("kind", "target", *RELATION_FLAGS, "link_columns", "link_fields")
)
RELATION_ALLOWED = (
    "nullable, inverse=NAME, on_delete=cascade|set_null|restrict, on_update=RULE, "
    "column=NAME, index=false, link_table=NAME, link_on_delete=RULE, link_on_update=RULE, "
    "link_key_name=NAME"
)


class FlagError(ForgeError):
    """A --field or --relation value that does not follow the mini-syntax."""


def _scalar(text: str) -> Any:
    """A default written on the command line, read as YAML reads a scalar (0 -> int)."""
    from generator.spec import read_yaml

    try:
        value = read_yaml(text)
    except ForgeError:
        return text
    return value if isinstance(value, (str, int, float, bool)) else text


def parse_field(flag: str) -> tuple[str, dict[str, Any]]:
    parts = flag.split(":")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise FlagError(f"--field {flag!r}: expected name:type[:args][:modifier...]")
    name, ftype, rest = parts[0], parts[1], parts[2:]
    spec: dict[str, Any] = {"type": ftype}
    if rest and rest[0] not in FIELD_MODIFIERS and "=" not in rest[0]:
        args, rest = rest[0], rest[1:]
        if ftype == "str":
            spec["max_length"] = _integer(flag, args, "max_length")
        elif ftype == "decimal":
            precision, _, scale = args.partition(",")
            spec["precision"] = _integer(flag, precision, "precision")
            if scale:
                spec["scale"] = _integer(flag, scale, "scale")
        elif ftype == "enum":
            spec["values"] = [value for value in args.split(",") if value]
        else:
            raise FlagError(
                f"--field {flag!r}: type {ftype} takes no arguments (only str, decimal "
                "and enum do)"
            )
    for modifier in rest:
        key, equals, value = modifier.partition("=")
        if equals and key == "default":
            spec["default"] = _scalar(value)
        elif not equals and key in FIELD_MODIFIERS:
            spec[key] = True
        else:
            raise FlagError(
                f"--field {flag!r}: unknown modifier {modifier!r} "
                f"(allowed: {', '.join(FIELD_MODIFIERS)}, default=VALUE)"
            )
    return name, spec


def _integer(flag: str, text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise FlagError(f"--field {flag!r}: {what} must be a whole number, got {text!r}") from None


def parse_relation(flag: str) -> tuple[str, dict[str, Any]]:
    parts = flag.split(":")
    if len(parts) < 3 or not all(parts[:3]):
        raise FlagError(f"--relation {flag!r}: expected name:kind:Target[:option...]")
    name, kind, target, rest = parts[0], parts[1], parts[2], parts[3:]
    spec: dict[str, Any] = {"kind": kind, "target": target}
    for option in rest:
        key, equals, value = option.partition("=")
        if equals and key in RELATION_OPTIONS and value:
            # index=false|true is a boolean in the spec; a value it does not read as one is
            # left as written for the spec's own check to name
            spec[key] = _scalar(value) if key == "index" else value
        elif not equals and key in RELATION_FLAGS:
            spec[key] = True
        else:
            raise FlagError(
                f"--relation {flag!r}: unknown option {option!r} (allowed: {RELATION_ALLOWED})"
            )
    return name, spec


def change_from_flags(entity: str, fields: list[str], relations: list[str]) -> EntityChange:
    change = EntityChange(entity)
    for flag in fields:
        name, spec = parse_field(flag)
        if name in change.fields:
            raise FlagError(f"--field {flag!r}: field {name!r} is given twice")
        change.fields[name] = spec
    for flag in relations:
        name, spec = parse_relation(flag)
        if name in change.relations or name in change.fields:
            raise FlagError(f"--relation {flag!r}: {name!r} is given twice")
        change.relations[name] = spec
    return change
