"""Write: the only stage that touches the project tree. All or nothing.

Every changed file is first written to a temporary file beside its target; only when all
of them are on disk are they renamed into place (an atomic step per file), and then the
deletions are made. A failure before the renames removes the temporary files (and any
folder made for them) and leaves the tree as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
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
    staged: list[tuple[Path, Path]] = []
    made_dirs: list[Path] = []
    try:
        for relative in changed:
            target = root / relative
            missing = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
            made_dirs.extend(reversed(missing))
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            staged.append((Path(temp), target))
            with os.fdopen(fd, "wb") as handle:
                handle.write(files[relative].encode("utf-8"))
            os.chmod(temp, target.stat().st_mode & 0o777 if target.exists() else 0o644)
    except BaseException:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        for directory in reversed(made_dirs):
            directory.rmdir()
        raise
    for temp, target in staged:
        os.replace(temp, target)
    for relative in deletions:
        (root / relative).unlink(missing_ok=True)
    return changed


def _same(path: Path, content: bytes) -> bool:
    try:
        return path.read_bytes() == content
    except FileNotFoundError:
        return False
