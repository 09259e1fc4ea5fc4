"""Line layout: the generated code as black writes it, so that most files need no black.

A statement is built from plain strings and `Bracket`s (a call, a dict or list display, an
import list); `lines` lays it out the way black does for the shapes forge emits:
- on one line when it fits in the line length (and nothing forces a split);
- else split at the last bracket: the head and the opening bracket, the body, the closing
  bracket. A call's body stays on one line when it fits and has more than one item
  ("right hand split"); a display or an import list, a bracket that ends with a magic
  trailing comma, or a body that does not fit is exploded one item per line with a
  trailing comma, each item laid out again the same way.

Where black would do something not modelled here (a head too long for its line, a long
item that cannot be split), the result keeps a line longer than the limit: then
`format.may_change` sends the file to black, so a gap in this model costs time, never a
wrong file. tests/test_black_stable_property.py checks the model against black.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

LINE_LENGTH = 88  # black's default, which the generated projects use
_CLOSING = {"(": ")", "[": "]", "{": "}"}


@dataclass(frozen=True)
class Bracket:
    """`head(item, item, ...)`: a call (head is the function, with a `name=` before it for
    a keyword argument), or a display (`{...}`, `[...]`) when `display` is set."""

    head: str
    items: tuple[Item, ...]
    opening: str = "("
    display: bool = False  # black always explodes a display of several items it splits
    magic: bool = False  # written with a trailing comma: black keeps it exploded

    def __str__(self) -> str:
        body = ", ".join(str(item) for item in self.items)
        return f"{self.head}{self.opening}{body}{_CLOSING[self.opening]}"


@dataclass(frozen=True)
class Operation:
    """`first op second op third`, split before each operator (inside brackets only)."""

    first: str
    rest: tuple[str, ...]  # each starts with its operator: "+ dt.timedelta(minutes=n)"

    def __str__(self) -> str:
        return " ".join((self.first, *self.rest))


Item = str | Bracket | Operation


def prefixed(lead: str, node: Item) -> Item:
    """`lead` written just before `node` (a keyword argument's `name=`), keeping its shape."""
    if isinstance(node, Bracket):
        return replace(node, head=f"{lead}{node.head}")
    if isinstance(node, Operation):
        return Operation(f"{lead}{node.first}", node.rest)
    return f"{lead}{node}"


def lines(lead: str, node: Item, trail: str = "", indent: int = 0) -> list[str]:
    """`lead + node + trail`, indented by `indent` spaces, as black lays it out."""
    pad = " " * indent
    flat = f"{lead}{node}{trail}"
    forced = isinstance(node, Bracket) and node.magic
    if not forced and indent + len(flat) <= LINE_LENGTH:
        return [pad + flat]
    if isinstance(node, str) or (isinstance(node, Bracket) and not node.items):
        return [pad + flat]  # too long, and nothing to split on: black decides
    if isinstance(node, Operation):
        # black splits a long line inside brackets at its operators first
        parts = [f"{lead}{node.first}", *node.rest]
        parts[-1] += trail
        return [pad + part for part in parts]
    head = f"{lead}{node.head}{node.opening}"
    tail = f"{pad}{_CLOSING[node.opening]}{trail}"
    inner = " " * (indent + 4)
    body = ", ".join(str(item) for item in node.items)
    if len(node.items) == 1 and not forced:
        # one item: black splits inside it rather than adding a comma; modelled only when
        # the item fits on its own line (else the long line sends the file to black)
        return [pad + head, inner + body, tail]
    if not (forced or node.display) and indent + 4 + len(body) <= LINE_LENGTH:
        return [pad + head, inner + body, tail]
    out = [pad + head]
    for item in node.items:
        out.extend(lines("", item, ",", indent + 4))
    out.append(tail)
    return out


def text(lead: str, node: Item, trail: str = "", indent: int = 0) -> str:
    """`lines` joined, without the first line's indentation (for a template that places it)."""
    return "\n".join(lines(lead, node, trail, indent))[indent:]


def import_from(module: str, names: Sequence[str], indent: int = 0) -> str:
    """`from module import a, b` in black's layout: exploded, one name per line, when long."""
    statement = f"from {module} import {', '.join(names)}"
    if indent + len(statement) <= LINE_LENGTH:
        return statement
    pad = " " * indent
    body = "".join(f"{pad}    {name},\n" for name in names)
    return f"from {module} import (\n{body}{pad})"
