"""A line-based 3-way merge (what `git merge-file` does), in pure Python.

`merge3(base, yours, theirs)` applies both sides' changes to base. Changes to different
lines merge cleanly. Two insertions at the same place are both kept, the generated one
(theirs) first: nothing is lost and no existing line was touched by both. Changes that
touch the same base lines differently become a conflict, written with the standard
markers that editors and git recognise.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

YOURS_MARKER = "<<<<<<< yours"
SEPARATOR = "======="
THEIRS_MARKER = ">>>>>>> forge"


@dataclass(frozen=True)
class Hunk:
    start: int  # first base line replaced
    end: int  # one past the last base line replaced (== start for an insertion)
    lines: tuple[str, ...]
    side: int  # 0 = yours, 1 = theirs


@dataclass(frozen=True)
class MergeResult:
    text: str
    conflicts: int


def _hunks(base: list[str], other: list[str], side: int) -> list[Hunk]:
    matcher = SequenceMatcher(None, base, other, autojunk=False)
    return [
        Hunk(i1, i2, tuple(other[j1:j2]), side)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def _collide(a: Hunk, b: Hunk) -> bool:
    """Do two hunks from different sides touch the same base lines?"""
    if a.start == a.end and b.start == b.end:
        return False  # two insertions: both are kept
    if a.start == a.end:
        return b.start < a.start < b.end
    if b.start == b.end:
        return a.start < b.start < a.end
    return max(a.start, b.start) < min(a.end, b.end)


def _apply(base: list[str], start: int, end: int, hunks: list[Hunk]) -> list[str]:
    """base[start:end] with the given (non-overlapping, sorted) hunks applied."""
    out: list[str] = []
    position = start
    for hunk in hunks:
        out.extend(base[position : hunk.start])
        out.extend(hunk.lines)
        position = max(position, hunk.end)
    out.extend(base[position:end])
    return out


def _terminated(lines: list[str]) -> list[str]:
    if lines and not lines[-1].endswith("\n"):
        return [*lines[:-1], lines[-1] + "\n"]
    return lines


def merge3(base: str, yours: str, theirs: str, label: str = "") -> MergeResult:
    if yours == theirs:
        return MergeResult(yours, 0)
    if yours == base:
        return MergeResult(theirs, 0)
    if theirs == base:
        return MergeResult(yours, 0)
    base_lines = base.splitlines(keepends=True)
    hunks = sorted(
        _hunks(base_lines, yours.splitlines(keepends=True), 0)
        + _hunks(base_lines, theirs.splitlines(keepends=True), 1),
        # at one place: insertions first, theirs (the generated side) before yours
        key=lambda h: (h.start, h.end != h.start, -h.side),
    )
    # Group hunks that collide, directly or through one another, into clusters.
    clusters: list[list[Hunk]] = []
    for hunk in hunks:
        if clusters and any(
            member.side != hunk.side and _collide(member, hunk) for member in clusters[-1]
        ):
            clusters[-1].append(hunk)
        else:
            clusters.append([hunk])
    out: list[str] = []
    conflicts = 0
    position = 0
    suffix = f" {label}" if label else ""
    for cluster in clusters:
        start = min(h.start for h in cluster)
        end = max(h.end for h in cluster)
        out.extend(base_lines[position:start])
        sides = {h.side for h in cluster}
        if len(sides) == 1:
            out.extend(_apply(base_lines, start, end, cluster))
        else:
            mine = _apply(base_lines, start, end, [h for h in cluster if h.side == 0])
            generated = _apply(base_lines, start, end, [h for h in cluster if h.side == 1])
            if mine == generated:
                out.extend(mine)
            else:
                conflicts += 1
                out = _terminated(out)
                out.append(f"{YOURS_MARKER}{suffix}\n")
                out.extend(_terminated(mine))
                out.append(f"{SEPARATOR}\n")
                out.extend(_terminated(generated))
                out.append(f"{THEIRS_MARKER}{suffix}\n")
        position = max(position, end)
    out.extend(base_lines[position:])
    return MergeResult("".join(out), conflicts)


def has_conflict_markers(text: str) -> bool:
    return any(
        line.startswith((YOURS_MARKER, THEIRS_MARKER)) or line.rstrip("\n") == SEPARATOR
        for line in text.splitlines()
    )
