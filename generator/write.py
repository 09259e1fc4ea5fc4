"""Write: the only stage that touches the project tree. All or nothing.

Every changed file is first written to a temporary file beside its target; only when all
of them are on disk are they renamed into place (an atomic step per file), and then the
deletions are made. A failure before the renames removes the temporary files (and any
folder made for them) and leaves the tree as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path


def write_files(root: Path, files: dict[str, str], deletions: Iterable[str] = ()) -> list[str]:
    """Write `files` (relative path -> content) and delete `deletions` under root.

    Files whose content is already on disk are skipped. Returns the paths written.
    """
    changed = [
        relative
        for relative, content in files.items()
        if not _same(root / relative, content.encode("utf-8"))
    ]
    staged: list[tuple[Path, Path, int]] = []  # (temporary file, target, mode)
    made_dirs: list[Path] = []
    known_dirs: set[Path] = set()
    suffix = f".{os.getpid()}.forge-tmp"
    try:
        for relative in changed:
            target = root / relative
            if target.parent not in known_dirs:
                missing = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
                made_dirs.extend(reversed(missing))
                target.parent.mkdir(parents=True, exist_ok=True)
                known_dirs.add(target.parent)
            staged.append((target.with_name(f".{target.name}{suffix}"), target, _mode_of(target)))
        contents = [files[relative].encode("utf-8") for relative in changed]
        if len(staged) < _THREADS_FROM:
            for (temp, _, mode), content in zip(staged, contents, strict=True):
                _write(temp, mode, content)
        else:  # creating a file waits on the file system: on two threads, others go on
            with ThreadPoolExecutor(max_workers=_THREADS) as pool:
                temps, modes = [job[0] for job in staged], [job[2] for job in staged]
                list(pool.map(_write, temps, modes, contents, chunksize=32))
    except BaseException:
        for temp, _, _ in staged:
            with suppress(OSError):  # not made, or not ours (a folder in its way)
                temp.unlink()
        for directory in reversed(made_dirs):
            directory.rmdir()
        raise
    for temp, target, _ in staged:
        os.replace(temp, target)
    for relative in deletions:
        (root / relative).unlink(missing_ok=True)
    return changed


_THREADS_FROM = 64  # files; fewer are written in this thread
_THREADS = 2


def _write(temp: Path, mode: int, content: bytes) -> None:
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def _mode_of(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        return 0o644


def _same(path: Path, content: bytes) -> bool:
    try:
        return path.read_bytes() == content
    except FileNotFoundError:
        return False
