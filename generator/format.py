"""Format: black, with the generated project's settings, done only where it is needed.

Formatting dominates the cost of a run (milliseconds per file, against microseconds to
render one), so:
- the emitters write what black would write (generator/layout.py), and a render that is
  stable by construction is not formatted at all: `may_change` is a cheap, conservative
  test of that (a template whose output is proven stable, only ASCII, no line over the
  limit, no trailing comma before a bracket on one line); everything else goes to black.
  tests/test_black_stable_property.py checks, over random specs, that black leaves every
  render that `may_change` lets through as it is.
- a file whose unformatted render has the same hash as last time is not formatted again:
  its formatted text is the base forge wrote then. `.forge/cache.json` keeps, per file, the
  hash of the render and the hash of its formatted text (keyed by the black version), and
  the base on disk is used only when its bytes have that second hash. So the cache can
  only skip formatting: a base discarded by git, a branch switch or a restored backup no
  longer matches and the file is formatted again. A missing, stale or corrupt cache costs
  time, never correctness. The cache is not committed (`.forge/.gitignore`).
- many files are formatted in parallel, one process per core.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Collection
from functools import lru_cache
from pathlib import Path
from typing import Any

from generator.errors import GenerationError
from generator.layout import LINE_LENGTH

CACHE_FILE = ".forge/cache.json"
_PARALLEL_FROM = 48  # below this many files, a process pool costs more than it saves

# Templates whose renders black leaves as they are whenever `may_change` says so (checked by
# tests/test_black_stable_property.py). A template not listed here is always formatted:
# add one only with the property test covering it.
STABLE_TEMPLATES = frozenset(
    {
        "crud.py.jinja",
        "factories_init.py.jinja",
        "factories_support.py.jinja",
        "factory.py.jinja",
        "links.py.jinja",
        "model.py.jinja",
        "models_base.py.jinja",
        "models_init.py.jinja",
        "repository.py.jinja",
        "routes.py.jinja",
        "routes_init.py.jinja",
        "schema.py.jinja",
        "test_entities.py.jinja",
    }
)
# `(a, b,)` on one line: black explodes it (a magic trailing comma); also matches a
# one-element tuple, which black keeps, so such a file is formatted for nothing (rare).
_ONE_LINE_TRAILING_COMMA = re.compile(r",[)\]}]")


def may_change(template: str, source: str) -> bool:
    """Whether black might change this render (False only when it provably would not)."""
    if template not in STABLE_TEMPLATES or not source.isascii():
        return True  # a wide or combining character: black measures lines differently
    if _ONE_LINE_TRAILING_COMMA.search(source):
        return True
    return max(map(len, source.split("\n"))) > LINE_LENGTH


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


@lru_cache(maxsize=1)
def _black_version() -> str:
    """black's version, the key of the format cache: read from the METADATA of the one
    black-*.dist-info beside the installed package (what importlib.metadata reads there),
    or else through importlib.metadata, whose imports cost about 25 ms."""
    from importlib.util import find_spec

    try:
        found = find_spec("black")
        locations = list(found.submodule_search_locations or []) if found else []
        infos = list(Path(locations[0]).parent.glob("black-*.dist-info")) if locations else []
        if len(infos) == 1:
            with open(infos[0] / "METADATA", encoding="utf-8") as metadata:
                headers: dict[str, str] = {}
                for line in metadata:
                    if not line.strip():
                        break
                    name, _, value = line.partition(":")
                    headers.setdefault(name.strip().lower(), value.strip())
            if headers.get("name", "").lower() == "black" and headers.get("version"):
                return headers["version"]
    except (ImportError, OSError, ValueError):
        pass
    from importlib.metadata import version

    return version("black")


def digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


class FormatCache:
    """Per file: the hash of the unformatted render and the hash of its formatted text."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.key = _black_version()
        self.hashes: dict[str, tuple[str, str]] = {}
        self.outputs: dict[str, str] = {}  # formatted text of this run, per file
        self.settled: set[str] = set()  # files black would leave as they are
        if root is None:
            return
        try:
            data = json.loads((root / CACHE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("black") == self.key:
            files = data.get("files")
            if isinstance(files, dict):
                self.hashes = {
                    str(path): (str(pair[0]), str(pair[1]))
                    for path, pair in files.items()
                    if isinstance(pair, list) and len(pair) == 2
                }

    def formatted(
        self,
        sources: dict[str, str],
        base: Callable[[str], str | None],
        settled: Collection[str] = (),
        progress: Callable[[str], None] = lambda _message: None,
    ) -> dict[str, str]:
        """Formatted text of every source: the source itself when it is `settled` (black
        would not change it), from the base when its render is unchanged and the base on
        disk is the formatted text recorded with it (checked by hash), else black's."""
        result: dict[str, str] = {}
        todo: dict[str, str] = {}
        self.settled = set(settled)
        for path, source in sources.items():
            if path in self.settled:
                result[path] = source
                continue
            recorded = self.hashes.get(path)
            previous = base(path) if recorded and recorded[0] == digest(source) else None
            if previous is not None and recorded and digest(previous) == recorded[1]:
                result[path] = previous
            else:
                todo[path] = source
        if todo:
            progress(f"formatting {len(todo)} file{'s' if len(todo) > 1 else ''} with black")
        result.update(format_all(todo))
        self.outputs = {path: result[path] for path in sources}
        return self.outputs

    def content(self, sources: dict[str, str], **sections: Any) -> str:
        """The cache file to write along with the new bases (after `formatted`); `sections`
        are other stages' (the name check's), kept in the same file."""
        files = {
            path: [digest(source), digest(self.outputs[path])]
            for path, source in sorted(sources.items())
            if path not in self.settled  # never formatted: nothing to remember
        }
        data = {**sections, "black": self.key, "files": files}
        # one line: json's C encoder (with an indent, json encodes in Python, ~10x slower)
        return json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"
