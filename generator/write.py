"""Write: the only stage that touches the project tree. All or nothing.

Every changed file is first written to a temporary file beside its target; only when all
of them are on disk are they renamed into place (an atomic step per file). A failure
before that point removes the temporary files and leaves the tree as it was.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class WriteReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[str]:
        return self.created + self.updated


def changes(root: Path, files: dict[str, str]) -> WriteReport:
    """What writing `files` (relative path -> content) under root would do."""
    report = WriteReport()
    for relative, content in files.items():
        target = root / relative
        if not target.exists():
            report.created.append(relative)
        elif target.read_bytes() != content.encode("utf-8"):
            report.updated.append(relative)
        else:
            report.unchanged.append(relative)
    return report


def write_files(root: Path, files: dict[str, str]) -> WriteReport:
    report = changes(root, files)
    staged: list[tuple[Path, Path]] = []
    made_dirs: list[Path] = []
    try:
        for relative in report.changed:
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
    return report
