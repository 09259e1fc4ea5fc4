"""Python source, built safely: literals, import blocks, annotated attributes and calls.

Every value from the spec reaches code through `literal`, which emits a Python literal
(`repr`) and can never inject code. `Code` is a piece of source together with the imports
it needs, so whoever uses it also imports what it names.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from generator.layout import LINE_LENGTH, Bracket, Item, import_from
from generator.layout import text as layout_text

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
    shape: Item | None = None  # the same expression, splittable as black splits it

    def __str__(self) -> str:
        return self.text

    @property
    def item(self) -> Item:
        """The expression for generator.layout: its shape, else its text."""
        return self.text if self.shape is None else self.shape


def literal(value: Any) -> str:
    """A Python literal for a plain value from the spec (str, int, float, bool, None,
    and lists/dicts of those). `repr` escapes quotes, newlines and triple quotes."""
    if isinstance(value, (str, bytes)):
        return _string(value)
    if value is None or isinstance(value, (bool, int)):
        return repr(value)
    if isinstance(value, float):
        text = repr(value)
        if text in ("nan", "inf", "-inf"):
            raise ValueError(f"{value!r} has no Python literal")
        return text.replace("e+", "e")  # black writes 1e16, not 1e+16
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    raise TypeError(f"no literal for {type(value).__name__}")


def _string(value: str | bytes) -> str:
    """repr, in black's quotes: double quotes unless they need more escapes than single
    ones (black's rule, so that black leaves the literal as it is)."""
    text = repr(value)
    prefix = "b" if isinstance(value, bytes) else ""
    quote = text[len(prefix)]
    if quote == '"':
        return text  # repr chose double quotes: the value holds a ' and no "
    if isinstance(value, bytes):
        singles, doubles = value.count(b"'"), value.count(b'"')
    else:
        singles, doubles = value.count("'"), value.count('"')
    if doubles > singles:
        return text  # double quotes would need more escapes
    body = text[len(prefix) + 1 : -1]
    # in repr's single-quoted body every ' is escaped and no " is
    body = body.replace("\\'", "'").replace('"', '\\"')
    return f'{prefix}"{body}"'


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

    def item(self, code: Code) -> Item:
        """`code` as a layout item (its shape when it has one), its imports added here."""
        self.need(*code.imports)
        return code.item

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
            statement = import_from(module, sorted(names, key=_name_key))
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
        return [  # under `if TYPE_CHECKING:`, so indented by 4
            import_from(module, sorted(names, key=_name_key), indent=4)
            for module, names in sorted(self._type_checking.items())
        ]


def _name_key(name: str) -> tuple[int, str]:
    # isort's "force_sort_within_sections" order: CONSTANTS, Classes, functions.
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


@dataclass
class Line:
    """One annotated class attribute: `name: annotation = value`."""

    name: str
    annotation: str
    value: str | None = None
    arguments: list[Item] | None = None  # the call's arguments, when value is a call

    def text(self, indent: int = 4) -> str:
        """The attribute in black's layout (see generator.layout): when too long for one
        line, the call exploded one argument per line with a trailing comma; when even
        `name: annotation = function(` is too long, the call in parentheses on a line of
        its own (black's invisible parentheses made visible)."""
        head = f"{self.name}: {self.annotation}"
        if self.value is None:
            return head
        one_line = f"{head} = {self.value}"
        if indent + len(one_line) <= LINE_LENGTH or not self.arguments:
            return one_line
        function = self.value[: self.value.index("(")]
        lead = f"{head} = "
        if indent + len(lead) + len(function) + 1 > LINE_LENGTH:
            # a call that fits on the line below stays whole; else the file goes to black
            wrapped = Bracket("", (Bracket(function, tuple(self.arguments)),))
            return layout_text(lead, wrapped, indent=indent)
        call = Bracket(function, tuple(self.arguments), magic=True)
        return layout_text(lead, call, indent=indent)


def call(function: str, args: Iterable[Item]) -> str:
    return f"{function}({', '.join(str(arg) for arg in args)})"


def attribute(name: str, annotation: str, function: str, args: Sequence[Item]) -> Line:
    """`name: annotation = function(args)`, remembering the arguments for the layout."""
    return Line(name, annotation, call(function, args), list(args))
