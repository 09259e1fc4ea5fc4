"""Format: black, with the generated project's settings, done only where it is needed.

Formatting dominates the cost of a run (milliseconds per file, against microseconds to
render one), so:
- a file whose unformatted render has the same hash as last time is not formatted again:
  its formatted text is the base forge wrote then (`.forge/cache.json` keeps the hashes,
  keyed by the black version);
- many files are formatted in parallel, one process per core.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from generator.errors import GenerationError

CACHE_FILE = ".forge/cache.json"
_PARALLEL_FROM = 48  # below this many files, a process pool costs more than it saves


@lru_cache(maxsize=1)
def _mode() -> Any:
    from black.mode import Mode, TargetVersion

    return Mode(target_versions={TargetVersion.PY311})


def format_python(source: str, path: str) -> str:
    """Black-format generated Python; a failure is a bug in a template, reported with its file."""
    import black

    try:
        return black.format_str(source, mode=_mode())
    except Exception as exc:  # black raises several types for invalid input
        raise GenerationError(f"{path}: generated code does not parse ({exc})") from exc


def _format_item(item: tuple[str, str]) -> tuple[str, str]:
    path, source = item
    return path, format_python(source, path)


def format_all(sources: dict[str, str]) -> dict[str, str]:
    """Format every file, in parallel when there are many and more than one core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if len(sources) < _PARALLEL_FROM or cores < 2:
        return {path: format_python(source, path) for path, source in sources.items()}
    import multiprocessing

    _mode()  # import black once, before forking
    context = multiprocessing.get_context("fork")
    with context.Pool(processes=cores) as pool:
        return dict(pool.map(_format_item, sources.items(), chunksize=16))


def _black_version() -> str:
    from importlib.metadata import version

    return version("black")


def digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


class FormatCache:
    """Hashes of the unformatted renders whose formatted text is the current base."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.key = _black_version()
        self.hashes: dict[str, str] = {}
        if root is None:
            return
        try:
            data = json.loads((root / CACHE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("black") == self.key:
            files = data.get("files")
            if isinstance(files, dict):
                self.hashes = {str(k): str(v) for k, v in files.items()}

    def formatted(
        self, sources: dict[str, str], base: Callable[[str], str | None]
    ) -> dict[str, str]:
        """Formatted text of every source: from the base when its render is unchanged."""
        result: dict[str, str] = {}
        todo: dict[str, str] = {}
        for path, source in sources.items():
            known = self.hashes.get(path) == digest(source)
            previous = base(path) if known else None
            if previous is not None:
                result[path] = previous
            else:
                todo[path] = source
        result.update(format_all(todo))
        return {path: result[path] for path in sources}

    def content(self, sources: dict[str, str]) -> str:
        """The cache file to write along with the new bases."""
        files = {path: digest(source) for path, source in sorted(sources.items())}
        return json.dumps({"black": self.key, "files": files}, indent=0, sort_keys=True) + "\n"
