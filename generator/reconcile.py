"""Reconcile: the new render, the user's file and what forge generated last time.

forge keeps, per generated file, the exact content it last generated (the "base") under
`.forge/base/<path>.base` in the project, to be committed with it. For each file:

- not on disk, or on disk equal to its base: the new render is written;
- edited by the user, and the new render equals the base: the user's file is kept;
- edited by the user and changed by the spec: a 3-way merge of base, user's file and new
  render; overlapping changes become conflict markers and are reported.

A file kept as the user's that still holds conflict markers (an unresolved conflict of an
earlier run) is listed in `marked`: the project is not in sync until they are resolved.

A generated file whose entity or relation left the spec is deleted when the user never
edited it, and kept (and reported) when they did. Nothing here touches the disk: the
result is a set of writes and deletions for the write stage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from generator.merge import has_conflict_markers, merge3

BASE_DIR = ".forge/base"  # bases of the data layer (forge generate)
SKELETON_DIR = ".forge/skeleton"  # bases of the project skeleton (forge update)
BASE_SUFFIX = ".base"


def base_path(relative: str, store: str = BASE_DIR) -> str:
    return f"{store}/{relative}{BASE_SUFFIX}"


@dataclass
class WritePlan:
    """What a run would do: the writes, deletions, and what to tell the user."""

    writes: dict[str, str] = field(default_factory=dict)  # project files and bases
    deletions: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)  # user's edits kept, spec change merged
    kept: list[str] = field(default_factory=list)  # user's edits kept, nothing to merge
    conflicts: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)  # gone from the spec, edited: kept
    unchanged: list[str] = field(default_factory=list)
    marked: list[str] = field(default_factory=list)  # kept, but with conflict markers

    @property
    def project_changes(self) -> list[str]:
        """Project files (not bases) that this run writes or deletes."""
        return self.created + self.updated + self.merged + self.conflicts + self.removed

    @property
    def in_sync(self) -> bool:
        return not self.project_changes and not self.orphaned and not self.marked


def _read(root: Path, relative: str) -> str | None:
    try:
        return (root / relative).read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None


def known_bases(root: Path, store: str = BASE_DIR) -> set[str]:
    """Paths of the files forge generated last time (from the base store)."""
    folder = root / store
    if not folder.is_dir():
        return set()
    return {
        str(path.relative_to(folder).as_posix())[: -len(BASE_SUFFIX)]
        for path in folder.rglob(f"*{BASE_SUFFIX}")
    }


def reconcile(
    root: Path,
    rendered: dict[str, str],
    store: str = BASE_DIR,
    moves: dict[str, str] | None = None,
    read: Callable[[Path, str], str | None] | None = None,
) -> WritePlan:
    """Plan the writes for `rendered`, against the bases kept in `store`.

    `moves` maps a new path to the old one it replaces (`forge rename entity`): the old
    file and its base stand for the new path, so the user's edits move with it. `read`
    reads a file of the tree (None when missing); generator/stamp.py passes one that
    remembers what it read."""
    plan = WritePlan()
    moves = moves or {}
    read = read or _read
    for relative, new in rendered.items():
        source = moves.get(relative, relative)
        base = read(root, base_path(source, store))
        disk = read(root, source)
        if source != relative:  # moved: the old file goes, its content comes here
            plan.deletions.extend([source, base_path(source, store)])
            plan.removed.append(source)
        if disk is None:
            plan.writes[relative] = new
            plan.created.append(relative)
        elif disk == new:
            plan.unchanged.append(relative)
        elif base is None or disk == base:
            if base is None:
                # A file forge has no record of (for example one it kept because you had
                # edited it when its entity left the spec, now back): never overwrite it
                # blindly. Merged over the lines both have in common, so the shared part
                # is not doubled and every line of either side is kept.
                _merge(plan, relative, common_lines(disk, new), disk, new)
            else:
                plan.writes[relative] = new
                plan.updated.append(relative)
        elif new == base:
            plan.kept.append(relative)
            if has_conflict_markers(disk):
                plan.marked.append(relative)
        else:
            _merge(plan, relative, base, disk, new)
        # The base is written after its file: a run stopped between the two leaves a file
        # that equals the new render, which the next run recognises as forge's own.
        if base != new:
            plan.writes[base_path(relative, store)] = new
    for relative in sorted(known_bases(root, store) - set(rendered) - set(moves.values())):
        disk = read(root, relative)
        if disk is not None and disk == read(root, base_path(relative, store)):
            plan.deletions.append(relative)
            plan.removed.append(relative)
        elif disk is not None:
            plan.orphaned.append(relative)
        plan.deletions.append(base_path(relative, store))  # after its file, likewise
    return plan


def common_lines(one: str, other: str) -> str:
    """The lines two texts share, in order (a base for two files without a recorded one)."""
    from difflib import SequenceMatcher

    a, b = one.splitlines(keepends=True), other.splitlines(keepends=True)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return "".join(
        line
        for block in matcher.get_matching_blocks()
        for line in a[block.a : block.a + block.size]
    )


def _merge(plan: WritePlan, relative: str, base: str, disk: str, new: str) -> None:
    result = merge3(base, disk, new, label=relative)
    plan.writes[relative] = result.text
    if result.conflicts:
        plan.conflicts.append(relative)
    else:
        plan.merged.append(relative)
