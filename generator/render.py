"""Render: Jinja templates with StrictUndefined. No disk access besides reading templates."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from generator.emit.source import literal
from generator.plan import FileJob
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
    return env


def render(job: FileJob) -> str:
    return environment().get_template(job.template).render(**job.context)
