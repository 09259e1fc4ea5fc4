"""Format: black, with the generated project's settings. Cached by the hash of the input."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from generator.errors import GenerationError

_cache: dict[str, str] = {}


@lru_cache(maxsize=1)
def _mode():  # type: ignore[no-untyped-def]
    import black

    return black.Mode(target_versions={black.TargetVersion.PY311})


def format_python(source: str, path: str) -> str:
    """Black-format generated Python; a failure is a bug in a template, reported with its file."""
    key = hashlib.sha256(source.encode("utf-8")).hexdigest()
    cached = _cache.get(key)
    if cached is not None:
        return cached
    import black

    try:
        formatted = black.format_str(source, mode=_mode())
    except Exception as exc:  # black raises several types for invalid input
        raise GenerationError(f"{path}: generated code does not parse ({exc})") from exc
    _cache[key] = formatted
    return formatted
