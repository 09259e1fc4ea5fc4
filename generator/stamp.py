"""The stamp: a `forge generate` with nothing to do, known without rendering anything.

After a `forge generate` that wrote the project, forge records in `.forge/cache.json`
(section "stamp") everything the result of the next run depends on:

- a key: the bytes of the spec, forge's own code and templates, the Python version and
  the libraries the render goes through (black, jinja2, ruamel.yaml, inflect);
- every file that run reads from the tree, that is each generated file and its base under
  .forge/base, with its hash and its stat (size, mtime, ctime, inode);
- the plan that run would make: which files equal their render (unchanged), which hold
  the user's edits (kept), and which of those still have conflict markers (marked). It is
  computed by reconcile itself, over the very bytes that were hashed, and recorded only
  when that plan writes and deletes nothing.

The next run first checks the stamp: same key, every recorded file still there with its
stat (or, when the stat differs, with its hash), and no other base in .forge/base. Then
rendering again would give the same renders, reconcile would read the same bytes, and the
plan is the recorded one: the run reports it without loading the spec. Anything else
(no stamp, another forge, an edited file, a base added or removed, a corrupt cache) is an
ordinary run, which records a new stamp.

A stat is trusted only when the file was last changed more than RACY_NS before the stamp
was taken: a change after that moment gets a newer ctime even on a coarse clock. A file
changed later is recorded by hash alone and hashed on every check. Every other forge
command that writes the data layer rewrites .forge/cache.json without a stamp.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

CACHE_FILE = ".forge/cache.json"  # generator/format.py's, shared
STAMP_KEY = "stamp"
BASE_DIR = ".forge/base"  # generator/reconcile.py's
BASE_SUFFIX = ".base"
RACY_NS = 2_000_000_000
_FORMAT = 1
# Libraries whose code decides the render (parse, templates, plurals, black).
_LIBRARIES = ("black", "jinja2", "ruamel.yaml", "_ruamel_yaml", "inflect")


@dataclass
class Stamped:
    """The plan of a run with nothing to do, as recorded."""

    unchanged: list[str]
    kept: list[str]
    marked: list[str]


@lru_cache(maxsize=1)
def forge_fingerprint() -> str:
    """A hash of what the render depends on besides the spec (see the module docstring)."""
    from importlib.util import find_spec

    from generator.resources import templates_root

    digest = hashlib.sha256(f"{_FORMAT}\0{sys.version}\0".encode())
    package = Path(__file__).resolve().parent
    templates = templates_root()
    trees = [(package, "generator")]
    if not templates.is_relative_to(package):
        trees.append((templates, "templates"))
    for root, label in trees:
        for path in sorted(_files(root)):
            relative = path.relative_to(root).as_posix()
            content = path.read_bytes()
            digest.update(f"{label}/{relative}\0{len(content)}\0".encode())
            digest.update(content)
    for name in _LIBRARIES:
        try:
            found = find_spec(name)
        except (ImportError, ValueError):
            found = None
        origin = found.origin if found is not None else None
        try:
            info = os.stat(origin) if origin else None
        except OSError:
            info = None
        shown = f"{origin}:{info.st_size}:{info.st_mtime_ns}" if info else "-"
        digest.update(f"{name}\0{shown}\0".encode())
    return digest.hexdigest()


def _files(root: Path) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [name for name in dirs if name != "__pycache__"]
        found.extend(Path(folder, name) for name in names if not name.endswith(".pyc"))
    return found


def key(spec_bytes: bytes) -> str:
    spec = hashlib.sha256(spec_bytes).hexdigest()
    return hashlib.sha256(f"{forge_fingerprint()}\0{spec}".encode()).hexdigest()


def _stat(info: os.stat_result, taken_ns: int) -> list[int] | None:
    if max(info.st_mtime_ns, info.st_ctime_ns) >= taken_ns - RACY_NS:
        return None  # changed too recently for its stat to tell a later change
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


class Reader:
    """Reads files for reconcile (None when missing), remembering the stat (taken before
    reading, and trusted only when older than RACY_NS before this reader was made) and the
    hash of each, so that the stamp is recorded without reading them again."""

    def __init__(self) -> None:
        self.taken_ns = time.time_ns()
        self.seen: dict[str, tuple[list[Any], str]] = {}  # path -> ([stat, hash], text)

    def __call__(self, folder: Path, relative: str) -> str | None:
        try:
            handle = open(folder / relative, "rb")
        except FileNotFoundError:
            return None
        with handle:
            info = os.fstat(handle.fileno())  # before reading: a later change shows
            data = handle.read()
        text = data.decode("utf-8")
        entry = [_stat(info, self.taken_ns), hashlib.sha256(data).hexdigest()]
        self.seen[relative] = (entry, text)
        return text


def record(
    root: Path,
    stamp_key: str,
    formatted: dict[str, str],
    written: dict[str, str],
    reader: Reader | None = None,
) -> dict[str, Any] | None:
    """The stamp of the tree as it is now, for these renders (formatted as written), or
    None when the next run would have something to do. `written`: the files this run has
    just written (path -> text), recorded by the hash of that text without reading them
    back; their stat is never trusted (they changed within RACY_NS), so a change made to
    one since is still seen by its hash. `reader`: the one this run's reconcile read the
    other files with (a file changed since has another stat, so its hash is checked)."""
    from generator.reconcile import reconcile

    reader = reader or Reader()
    files: dict[str, list[Any]] = {}

    def read(folder: Path, relative: str) -> str | None:
        if relative in written:
            text = written[relative]
            files[relative] = [None, hashlib.sha256(text.encode("utf-8")).hexdigest()]
            return text
        if relative not in reader.seen and reader(folder, relative) is None:
            return None
        entry, text = reader.seen[relative]
        files[relative] = entry
        return text

    try:
        plan = reconcile(root, formatted, read=read)
    except (OSError, UnicodeDecodeError):
        return None
    if plan.writes or plan.deletions or plan.orphaned or plan.project_changes:
        return None
    return {
        "format": _FORMAT,
        "key": stamp_key,
        "files": files,
        "unchanged": plan.unchanged,
        "kept": plan.kept,
        "marked": plan.marked,
    }


def save(root: Path, stamp: dict[str, Any] | None) -> None:
    """Add the stamp to the cache file (written atomically); a failure only costs time."""
    path = root / CACHE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict):
        if stamp is None:
            return
        data = {}
    if stamp is None and STAMP_KEY not in data:
        return
    if stamp is None:
        del data[STAMP_KEY]
    else:
        data[STAMP_KEY] = stamp
    temp = path.with_name(f".{path.name}.{os.getpid()}.forge-tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"  # as format.py
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        temp.unlink(missing_ok=True)


def check(root: Path, stamp_key: str) -> Stamped | None:
    """The recorded plan, when the stamp proves that a run would find nothing to do."""
    try:
        data = json.loads((root / CACHE_FILE).read_text(encoding="utf-8"))
        stamp = data[STAMP_KEY]
        if stamp["format"] != _FORMAT or stamp["key"] != stamp_key:
            return None
        files: dict[str, list[Any]] = stamp["files"]
        result = Stamped(
            [str(path) for path in stamp["unchanged"]],
            [str(path) for path in stamp["kept"]],
            [str(path) for path in stamp["marked"]],
        )
        bases = {path for path in files if path.startswith(f"{BASE_DIR}/")}
        if not (root / "app").is_dir() or _bases(root) != bases:
            return None
        for relative, (stat, digest) in files.items():
            info = os.stat(root / relative)
            now = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
            if stat != now:
                content = (root / relative).read_bytes()
                if hashlib.sha256(content).hexdigest() != digest:
                    return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return result


def _bases(root: Path) -> set[str]:
    """Every base file under .forge/base, as a path relative to root (what reconcile's
    known_bases globs)."""
    found: set[str] = set()
    folders = [BASE_DIR]
    while folders:
        folder = folders.pop()
        with os.scandir(root / folder) as entries:
            for entry in entries:
                relative = f"{folder}/{entry.name}"
                if entry.name.endswith(BASE_SUFFIX):
                    found.add(relative)
                if entry.is_dir():
                    folders.append(relative)
    return found
