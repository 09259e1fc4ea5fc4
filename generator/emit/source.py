"""Python source, built safely: literals, import blocks, annotated attributes and calls.

Every value from the spec reaches code through `literal`, which emits a Python literal
(`repr`) and can never inject code. `Code` is a piece of source together with the imports
it needs, so whoever uses it also imports what it names.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_LOCAL = ("app", "tests")


@dataclass(frozen=True)
class Import:
    """`from module import name`, or `import module as alias` when name is empty."""

    module: str
    name: str = ""
    alias: str = ""


DT = Import("datetime", alias="dt")
SA = Import("sqlalchemy", alias="sa")


@dataclass(frozen=True)
class Code:
    """An expression or annotation and the imports it needs."""

    text: str
    imports: tuple[Import, ...] = ()

    def __str__(self) -> str:
        return self.text


def literal(value: Any) -> str:
    """A Python literal for a plain value from the spec (str, int, float, bool, None,
    and lists/dicts of those). `repr` escapes quotes, newlines and triple quotes."""
    if isinstance(value, str) and '"' not in value:
        # black's preferred quotes, so that formatting has less to rewrite. repr picks double
        # quotes itself when the value holds a ' (and no "); otherwise the value holds no
        # quote at all and only the outer quotes change.
        text = repr(value)
        return text if text.startswith('"') else '"' + text[1:-1] + '"'
    if value is None or isinstance(value, (bool, int, str, bytes)):
        return repr(value)
    if isinstance(value, float):
        text = repr(value)
        if text in ("nan", "inf", "-inf"):
            raise ValueError(f"{value!r} has no Python literal")
        return text
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    raise TypeError(f"no literal for {type(value).__name__}")


class Imports:
    """Import lines of one generated module, grouped stdlib / third-party / local and sorted."""

    def __init__(self) -> None:
        self._modules: set[str] = set()
        self._names: dict[str, set[str]] = {}
        self._type_checking: dict[str, set[str]] = {}

    def module(self, statement: str) -> None:
        """`import datetime as dt` style: pass the whole statement."""
        self._modules.add(statement)

    def add(self, module: str, *names: str) -> None:
        self._names.setdefault(module, set()).update(names)

    def need(self, *imports: Import) -> None:
        """Import what an `Import` record (or the `Code` holding it) names."""
        for item in imports:
            if item.name:
                self.add(item.module, item.name)
            else:
                alias = f" as {item.alias}" if item.alias else ""
                self.module(f"import {item.module}{alias}")

    def code(self, code: Code) -> str:
        """The text of `code`, its imports added here."""
        self.need(*code.imports)
        return code.text

    def type_checking(self, module: str, *names: str) -> None:
        self._type_checking.setdefault(module, set()).update(names)
        self.add("typing", "TYPE_CHECKING")

    def _group(self, module: str) -> int:
        root = module.split(".")[0]
        return 0 if root in sys.stdlib_module_names else 2 if root in _LOCAL else 1

    def lines(self) -> list[str]:
        """Import lines with a blank line ('') between groups."""
        statements: list[tuple[int, str, str]] = []
        for statement in self._modules:
            module = statement.split()[1]
            statements.append((self._group(module), module, statement))
        for module, names in self._names.items():
            ordered = sorted(names, key=_name_key)
            statement = f"from {module} import {', '.join(ordered)}"
            if len(statement) > LINE_LENGTH:  # black's layout for a long import
                body = "".join(f"    {name},\n" for name in ordered)
                statement = f"from {module} import (\n{body})"
            statements.append((self._group(module), module, statement))
        statements.sort(key=lambda item: (item[0], item[2].startswith("from"), item[1]))
        lines: list[str] = []
        previous: int | None = None
        for group, _, statement in statements:
            if previous is not None and group != previous:
                lines.append("")
            lines.append(statement)
            previous = group
        return lines

    def type_checking_lines(self) -> list[str]:
        return [
            f"from {module} import {', '.join(sorted(names, key=_name_key))}"
            for module, names in sorted(self._type_checking.items())
        ]


def _name_key(name: str) -> tuple[int, str]:
    # isort's "force_sort_within_sections" order: CONSTANTS, Classes, functions.
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


LINE_LENGTH = 88  # black's default, which the generated projects use


@dataclass
class Line:
    """One annotated class attribute: `name: annotation = value`."""

    name: str
    annotation: str
    value: str | None = None
    arguments: list[str] | None = None  # the call's arguments, when value is a call

    def text(self, indent: int = 4) -> str:
        """The attribute in black's layout when it is too long for one line: the call
        exploded one argument per line with a trailing comma (which black keeps). Black
        still formats every file; this only spares it most of the work."""
        head = f"{self.name}: {self.annotation}"
        if self.value is None:
            return head
        one_line = f"{head} = {self.value}"
        if indent + len(one_line) <= LINE_LENGTH or not self.arguments:
            return one_line
        function = self.value[: self.value.index("(")]
        pad = " " * (indent + 4)
        body = "".join(f"{pad}{argument},\n" for argument in self.arguments)
        return f"{head} = {function}(\n{body}{' ' * indent})"


def call(function: str, args: Iterable[str]) -> str:
    return f"{function}({', '.join(args)})"


def attribute(name: str, annotation: str, function: str, args: list[str]) -> Line:
    """`name: annotation = function(args)`, remembering the arguments for the layout."""
    return Line(name, annotation, call(function, args), list(args))
