"""Render: Jinja templates with StrictUndefined. No disk access besides reading templates."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from generator import layout
from generator.plan import FileJob
from generator.pycode import literal
from generator.resources import data_templates


@lru_cache(maxsize=4)
def environment(root: Path | None = None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root or data_templates())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
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
