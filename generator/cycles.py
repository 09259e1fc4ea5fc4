"""Cycles of foreign keys between tables, and the keys that break them.

The one place that decides it; the spec checks, the models and the migrations ask here.

    Store.manager_id -> staff (nullable)        staff.store_id -> store (NOT NULL)

No order of CREATE TABLE can satisfy both keys, and no first row could be inserted if both
were NOT NULL. So:

- a cycle made only of NOT NULL keys (a required self-reference included) is refused by
  the spec checks: `required_cycle` returns it;
- otherwise, some nullable keys are chosen to break the cycles (`breaking`): the models
  mark them `use_alter=True` with a name, the migrations add them with ALTER TABLE once
  every table exists (and drop them first on downgrade), and rows go in with them NULL,
  to be set afterwards. A self-reference needs nothing: its table exists when its key is
  created, so it never breaks anything.

The choice, deterministic: every NOT NULL key is kept; then the nullable keys are taken
in spec order (entities, then each entity's keys in the order the model lists them), and a
key that would close a cycle with the keys kept so far is a breaking key, the others are
kept. Every breaking key is needed (the kept keys plus it form a cycle), and the kept keys
form no cycle, so the tables can always be created in an order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Edge:
    """A foreign key from the table of `source` to the table of `target` (entity names)."""

    source: str
    target: str
    column: str  # the key's column on source's table (unique per source)
    nullable: bool
    place: str  # the spec place of the relation that declares it


def required_cycle(edges: Iterable[Edge]) -> list[Edge] | None:
    """The first cycle (depth first, in spec order) made only of NOT NULL keys, or None."""
    graph: dict[str, list[Edge]] = {}
    for edge in edges:
        graph.setdefault(edge.source, [])
        graph.setdefault(edge.target, [])
        if not edge.nullable:
            graph[edge.source].append(edge)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []
    taken: list[Edge] = []

    def visit(node: str) -> list[Edge] | None:
        state[node] = 1
        path.append(node)
        for edge in graph[node]:
            if state.get(edge.target) == 1:
                return [*taken[path.index(edge.target) :], edge]
            if edge.target not in state:
                taken.append(edge)
                found = visit(edge.target)
                if found is not None:
                    return found
                taken.pop()
        path.pop()
        state[node] = 2
        return None

    for node in graph:
        if node not in state:
            found = visit(node)
            if found is not None:
                return found
    return None


def breaking(edges: Iterable[Edge]) -> list[Edge]:
    """The nullable keys chosen to break every cycle (see the module docstring); none when
    the keys form no cycle. Expects `required_cycle(edges)` to be None."""
    listed = [edge for edge in edges if edge.source != edge.target]
    kept: dict[str, set[str]] = {}
    for edge in listed:
        if not edge.nullable:
            kept.setdefault(edge.source, set()).add(edge.target)
    chosen: list[Edge] = []
    for edge in listed:
        if not edge.nullable:
            continue
        if _reaches(kept, edge.target, edge.source):
            chosen.append(edge)
        else:
            kept.setdefault(edge.source, set()).add(edge.target)
    return chosen


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen = {start}
    stack = [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        for nxt in graph.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False
