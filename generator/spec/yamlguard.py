"""Limits on what YAML aliases expand to, checked right after loading a spec.

A YAML alias (`*name`) stands for everything its anchor (`&name`) holds, so a few hundred
bytes of nested aliases can stand for billions of values ("billion laughs"). Loading keeps
them shared and is cheap; everything after (validation, the json default written into the
generated code) sees the expanded tree. So the loaded value is measured as if expanded,
without expanding it: each shared list or mapping is measured once and counted as often as
it is used. Aliases themselves are fine (`&lu` / `*lu` for a repeated field definition).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from generator.errors import SpecError

MAX_DEPTH = 64  # lists and mappings inside each other (json defaults: 50 levels)
MAX_VALUES = 50_000  # values of the whole spec once every alias is expanded
MAX_CHARACTERS = 10_000_000  # characters of all its strings once expanded


def check(data: Any, source: str) -> None:
    """Raise a SpecError naming the place where the spec nests or expands too much."""
    # Iterative (a spec may nest thousands of levels): each frame is (value, place, items,
    # values so far, characters so far).
    sizes: dict[int, tuple[int, int]] = {}
    open_ids: set[int] = set()
    stack: list[list[Any]] = []
    _enter(data, "", stack, open_ids, source)
    if not stack:
        return
    while stack:
        frame = stack[-1]
        value, place, items = frame[0], frame[1], frame[2]
        child: Any = next(items, _DONE)
        if child is _DONE:
            stack.pop()
            open_ids.discard(id(value))
            values, characters = frame[3], frame[4]
            if values > MAX_VALUES or characters > MAX_CHARACTERS:
                what = f"{values} values" if values > MAX_VALUES else f"{characters} characters"
                raise SpecError(
                    place,
                    f"expands to {what} once its YAML aliases are expanded (at most "
                    f"{MAX_VALUES} values and {MAX_CHARACTERS} characters); repeat less",
                    source=source,
                )
            sizes[id(value)] = (values, characters)
            if stack:
                stack[-1][3] += values
                stack[-1][4] += characters
            continue
        key, item = child
        if not isinstance(item, (Mapping, list)):
            frame[3] += 1
            frame[4] += len(item) if isinstance(item, (str, bytes)) else 0
            continue
        if id(item) in sizes:
            values, characters = sizes[id(item)]
            frame[3] += values
            frame[4] += characters
            continue
        inner = place if key is None else _join(place, key)
        if len(stack) >= MAX_DEPTH:
            raise SpecError(
                _outer(stack),
                f"nested more than {MAX_DEPTH} levels deep (lists and mappings inside each "
                "other)",
                source=source,
            )
        _enter(item, inner, stack, open_ids, source)


_DONE = object()


def _enter(value: Any, place: str, stack: list[list[Any]], open_ids: set[int], src: str) -> None:
    if not isinstance(value, (Mapping, list)):
        return
    if id(value) in open_ids:
        raise SpecError(
            place, "contains itself (a recursive YAML alias), so it has no end", source=src
        )
    open_ids.add(id(value))
    stack.append([value, place, _children(value), 1, 0])


def _children(value: Any) -> Iterator[tuple[str | None, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield None, key
            yield str(key), item
    else:
        for item in value:
            yield None, item  # list items: the place stays the list's


def _join(place: str, key: str) -> str:
    return f"{place}.{key}" if place else key


def _outer(stack: list[list[Any]]) -> str:
    """The place of the outermost list: the deepest place a person can name."""
    for frame in stack:
        if isinstance(frame[0], list):
            return str(frame[1])
    return str(stack[-1][1])
