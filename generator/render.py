"""Render: Jinja templates with StrictUndefined. No disk access besides reading templates
and jinja's cache of compiled templates (outside the project: see _Compiled)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from generator import layout
from generator.emit.source import literal
from generator.plan import FileJob

if TYPE_CHECKING:
    from generator.spec import Spec
from generator.resources import data_templates

# The options of the environment: with jinja's version and a template's source, what its
# compiled code depends on.
_OPTIONS: dict[str, Any] = {
    "undefined": jinja2.StrictUndefined,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
    "autoescape": False,
}


class _Compiled(jinja2.FileSystemBytecodeCache):
    """jinja's own cache of compiled templates (its per-user folder in the temporary
    directory), so that a run does not compile every template again; an entry is used only
    for the same source, jinja version and options (besides jinja's own format check)."""

    def get_source_checksum(self, source: str) -> str:
        return super().get_source_checksum(f"{jinja2.__version__}\0{_OPTIONS!r}\0{source}")


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    try:
        return _Compiled()
    except (OSError, RuntimeError):  # no safe folder of this user's: compile every time
        return None


@lru_cache(maxsize=4)
def environment(root: Path | None = None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root or data_templates())),
        bytecode_cache=_bytecode_cache(),
        **_OPTIONS,
    )
    env.filters["pyrepr"] = literal
    env.globals["import_from"] = layout.import_from
    env.globals["layout"] = layout.text
    env.globals["call"] = _call
    return env


def _call(function: str, args: list[layout.Item]) -> layout.Bracket:
    return layout.Bracket(function, tuple(args))


def render(job: FileJob) -> str:
    return environment().get_template(job.template).render(**job.context)


_last: list[tuple[Spec, list[tuple[FileJob, str]]]] = []


def render_all(spec: Spec) -> list[tuple[FileJob, str]]:
    """Every data-layer file of the spec, with its render. The renders of the last spec
    are kept (a Spec is frozen; matched by identity): checking a spec renders it
    (generator/namecheck.py, on every core for many files), and the build then uses the
    same renders."""
    from generator.plan import file_jobs

    cached = remembered(spec)
    if cached is not None:
        return cached
    return remember(spec, [(job, render(job)) for job in file_jobs(spec)])


def remembered(spec: Spec) -> list[tuple[FileJob, str]] | None:
    return _last[0][1] if _last and _last[0][0] is spec else None


def remember(spec: Spec, rendered: list[tuple[FileJob, str]]) -> list[tuple[FileJob, str]]:
    """Keep the renders of this spec (every file of file_jobs(spec), in its order)."""
    _last[:] = [(spec, rendered)]
    return rendered
