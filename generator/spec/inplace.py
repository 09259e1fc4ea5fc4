"""`forge make entity`'s change written into forge.yaml's text itself, line by line.

The round trip of editor.py (ruamel.yaml reads the whole document with its comments, then
writes it all back) costs most of a `forge make entity` on a spec of a few hundred lines:
about five times what parsing the spec costs. Adding fields or relations is, in the usual
layout, inserting lines at the end of a block. This module does that, and only when it can
prove the result:

- the layout is the plain one: block mappings down to the block that receives the lines,
  spaces for indentation, no tabs, no carriage returns, no YAML directive or document
  marker, keys written plainly (`Product:`, `fields:`);
- the text it writes parses (the fast parser of loading.py) to exactly the data the old
  text held with the change applied, key order included.

Anything else (a flow mapping to add to, an alias or a merge key that the new lines would
reach through, a name already taken, an empty spec, a value it cannot write plainly) gives
None, and the caller takes the round trip, which handles every case and words the errors.
What the round trip writes and what this module writes parse to the same data; the lines
are the same in the usual case (`tests/test_spec_editor.py` compares them).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from generator.errors import SpecError
from generator.spec.loading import read_yaml

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\- ]*")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "y", "n", "null"}
_MARKERS = ("%", "---", "...")


def write_in_place(
    text: str, entity: str, sections: dict[str, dict[str, Any]]
) -> tuple[str, Any] | None:
    """The text with `sections` (`fields` / `relations`: name -> its data, as the spec
    writes it) added to `entity` (created at the end of `entities:` when it does not exist),
    and the data the new text parses to; None when the change cannot be proved here."""
    if "\t" in text or "\r" in text:
        return None
    if not text.endswith("\n"):
        text += "\n"
    lines = text.split("\n")[:-1]
    if any(line.startswith(_MARKERS) for line in lines):
        return None
    try:
        old = read_yaml(text)
    except SpecError:
        return None
    expected = _expected(old, entity, sections)
    if expected is None:
        return None
    if not _insert(lines, entity, sections, old["entities"].get(entity)):
        return None
    new_text = "\n".join(lines) + "\n"
    try:
        new = read_yaml(new_text)
    except SpecError:
        return None
    return (new_text, new) if _same(new, expected) else None


def _expected(old: Any, entity: str, sections: dict[str, dict[str, Any]]) -> Any:
    """The old data with the change applied, or None where the round trip must decide (it
    refuses a name already taken, and builds what is missing or not a mapping)."""
    entities = old.get("entities") if isinstance(old, dict) else None
    if not isinstance(entities, dict) or not entities:
        return None
    body = entities.get(entity)
    if entity in entities and (not isinstance(body, dict) or not body):
        return None
    expected = copy.deepcopy(old)
    new_body = expected["entities"].setdefault(entity, {})
    for section, values in sections.items():
        block = new_body.setdefault(section, {})
        if not isinstance(block, dict) or (section in (body or {}) and not block):
            return None
        for name, value in values.items():
            if any(name in (new_body.get(other) or {}) for other in ("fields", "relations")):
                return None
            block[name] = value
    return expected


def _insert(lines: list[str], entity: str, sections: dict[str, dict[str, Any]], body: Any) -> bool:
    """Insert the lines of the change into `lines`; False when the layout is not plain."""
    top = _find(lines, "entities", 0, 0, len(lines))
    step = None if top is None else _child_indent(lines, top, 0)
    if top is None or step is None:
        return False
    end = _block_end(lines, top, 0)
    if body is None:  # a new entity, at the end of `entities:`
        key = _key(entity)
        new = [f"{' ' * step}{key}:"]
        for section, values in sections.items():
            entries = _entries(values, step * 3)
            if key is None or entries is None:
                return False
            new += [f"{' ' * step * 2}{section}:", *entries]
        lines[end:end] = new
        return True
    at = _find(lines, entity, step, top + 1, end)
    if at is None:
        return False
    for section, values in sections.items():
        entity_end = _block_end(lines, at, step)
        inner = _child_indent(lines, at, step)
        if inner is None:
            return False
        if section in body:
            place = _find(lines, section, inner, at + 1, entity_end)
            indent = None if place is None else _child_indent(lines, place, inner)
            if place is None or indent is None:
                return False
            entries, head, position = _entries(values, indent), [], _block_end(lines, place, inner)
        else:  # a new section, at the end of the entity
            entries = _entries(values, inner * 2 - step)
            head, position = [f"{' ' * inner}{section}:"], entity_end
        if entries is None:
            return False
        lines[position:position] = head + entries
    return True


def _content(line: str) -> bool:
    stripped = line.lstrip(" ")
    return bool(stripped) and not stripped.startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _find(lines: list[str], key: str, indent: int, start: int, end: int) -> int | None:
    """The line of `key:` at this indentation with its value below it (a block), or None."""
    pattern = re.compile(rf" {{{indent}}}{re.escape(key)}:\s*(#.*)?")
    for index in range(start, end):
        line = lines[index]
        if _content(line) and _indent(line) == indent and pattern.fullmatch(line):
            return index
    return None


def _child_indent(lines: list[str], at: int, indent: int) -> int | None:
    """The indentation of the first line inside the block that starts at `at`."""
    for line in lines[at + 1 :]:
        if _content(line):
            child = _indent(line)
            return child if child > indent else None
    return None


def _block_end(lines: list[str], at: int, indent: int) -> int:
    """The index after the last line of the block at `at` (comments and blank lines that
    follow it stay after what is inserted there)."""
    last = at
    for index in range(at + 1, len(lines)):
        line = lines[index]
        if _content(line):
            if _indent(line) <= indent:
                break
            last = index
    return last + 1


def _entries(values: dict[str, Any], indent: int) -> list[str] | None:
    """The lines of the entries, or None if one cannot be written plainly."""
    lines = [_entry(name, value, indent) for name, value in values.items()]
    return None if None in lines else [line for line in lines if line is not None]


def _entry(name: str, value: Any, indent: int) -> str | None:
    key, written = _key(name), _value(value)
    if key is None or written is None:
        return None
    return f"{' ' * indent}{key}: {written}"


def _key(name: str) -> str | None:
    return name if _PLAIN.fullmatch(name) and " " not in name else None


def _value(value: Any) -> str | None:
    """A field (`str` or `{type: str, max_length: 40}`) or a relation as one line."""
    if isinstance(value, dict):
        items = [(_key(key), _scalar(item)) for key, item in value.items()]
        if any(key is None or item is None for key, item in items):
            return None
        return "{" + ", ".join(f"{key}: {item}" for key, item in items) + "}"
    return _scalar(value)


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # what does not read back the same is caught by the check
    if isinstance(value, list):
        items = [_scalar(item) for item in value]
        return None if None in items else "[" + ", ".join(items) + "]"  # type: ignore[arg-type]
    if not isinstance(value, str):
        return None
    if _PLAIN.fullmatch(value) and value == value.strip() and value.lower() not in _RESERVED:
        return value
    if value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    return '"' + "".join(map(_escaped, value)) + '"'


def _escaped(char: str) -> str:
    """One character inside a double-quoted YAML scalar: itself, or its escape (YAML's
    backslash x, u and U) where it is not printable (a line break, a control character)."""
    if char in '"\\':
        return "\\" + char
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _same(a: Any, b: Any) -> bool:
    """Equal, with the keys of every mapping in the same order and no bool taken for an
    int: what the generated code is made from."""
    if isinstance(a, dict):
        return (
            isinstance(b, dict) and list(a) == list(b) and all(_same(a[key], b[key]) for key in a)
        )
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b
