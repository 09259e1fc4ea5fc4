"""YAML loading: forge.yaml text -> plain Python values, with errors that name the line.

The loaded value is then measured by yamlguard.py (nesting, and what aliases expand to).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.errors import SpecError
from generator.spec.reader import parse_spec
from generator.spec.records import Spec


def load_spec(path: Path, content: bytes | None = None) -> Spec:
    """Read and validate a spec file. Raises SpecError for every user mistake. `content`:
    the file's bytes, when the caller has read them already."""
    source = path.name
    try:
        if content is None:
            text = path.read_text(encoding="utf-8")
        else:  # as read_text would decode them (universal newlines)
            text = content.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except FileNotFoundError:
        raise SpecError("", f"spec file not found: {path}", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError("", f"cannot read the spec: {exc}", source=str(path)) from None
    from generator import namecheck
    from generator.format import CACHE_FILE

    namecheck.recall(path.parent / CACHE_FILE)  # a project's spec: what its last run learnt
    return parse_spec(read_yaml(text, source), source=source)


def read_yaml(text: str, source: str = "forge.yaml") -> Any:
    """Parse YAML text into plain Python values; invalid YAML is a SpecError with its line,
    and so is a value that nests or expands (through aliases) beyond yamlguard.py."""
    from generator.spec import yamlguard

    data = _load_yaml(text, source)
    yamlguard.check(data, source)
    return data


def _load_yaml(text: str, source: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:  # the C parser (ruamel.yaml.clib), when installed, is about five times faster
        fast = YAML(typ="safe")
        fast.Constructor = _yaml_constructor()
        return fast.load(text)
    except Exception:  # any problem is worded by the pure parser below, the same every time
        pass
    yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _yaml_constructor()
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise SpecError("", f"invalid YAML at {line}{_yaml_problem(exc)}", source=source) from None
    except YAMLError as exc:
        raise SpecError("", f"invalid YAML: {exc}", source=source) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise SpecError("", f"invalid YAML: {exc}", source=source) from None


def _yaml_problem(exc: Any) -> str:
    """ruamel's context and problem as one sentence, with where the construct began."""
    context: str = exc.context or ""
    problem: str = exc.problem or "invalid YAML"
    if context.startswith("while "):
        started = ""
        mark, begin = exc.problem_mark, exc.context_mark
        if begin is not None and (mark is None or begin.line != mark.line):
            started = f" started at line {begin.line + 1}"
        problem = f"{problem} ({context}{started})"
    elif context:
        problem = f"{context}, {problem}"
    if "block" in context or "block" in problem:
        problem += "; check the indentation"
    return problem


def _yaml_constructor() -> type[Any]:
    """ruamel's safe constructor, with clearer errors: a duplicate key names the line of its
    first occurrence, and a scalar it cannot convert (`2024-02-30`, `!!int abc`) is an error
    at the scalar's line instead of a bare ValueError."""
    from ruamel.yaml.constructor import ConstructorError, SafeConstructor
    from ruamel.yaml.nodes import ScalarNode

    class Constructor(SafeConstructor):
        def construct_object(self, node: Any, deep: bool = False) -> Any:
            try:
                return super().construct_object(node, deep)
            except (ValueError, TypeError, OverflowError) as exc:
                shown = f"{node.value!r} " if isinstance(node, ScalarNode) else ""
                kind = str(node.tag).rsplit(":", 1)[-1]
                kind = "date or datetime" if kind == "timestamp" else kind
                raise ConstructorError(
                    None, None, f"{shown}is not a valid {kind}: {exc}", node.start_mark
                ) from None

        def check_mapping_key(
            self, node: Any, key_node: Any, mapping: Any, key: Any, value: Any
        ) -> bool:
            if key not in mapping:
                return True
            first = next(
                (
                    other
                    for other, _ in node.value
                    if other is not key_node
                    and isinstance(other, ScalarNode)
                    and other.value == getattr(key_node, "value", None)
                ),
                None,
            )
            where = f" (first at line {first.start_mark.line + 1})" if first is not None else ""
            raise ConstructorError(
                None,
                None,
                f"duplicate key {key!r}{where}; a key may appear only once in a mapping",
                key_node.start_mark,
            )

    return Constructor
