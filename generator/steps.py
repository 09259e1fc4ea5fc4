"""What to do after `forge new`: the commands, in order, that work for that project when
typed literally (the generated README lists the same ones)."""

from __future__ import annotations

import shlex

from generator.spec import Spec


def next_steps(typed_path: str, spec: Spec) -> list[str]:
    """Shell lines (commands, and `#` comments saying why) for a new project at typed_path."""
    lines = [
        f"cd {shlex.quote(typed_path)}",
        "python -m venv .venv && . .venv/bin/activate  # the project's own environment",
        "pip install -e '.[test]'",
    ]
    if spec.project.database != "sqlite":
        lines.append(
            "forge db create  # the server and credentials: config/orm.yaml, or DATABASE_URL "
            "in .env (see .env.example)"
        )
    if not spec.entities:
        lines.append("forge make entity  # describe your first entity (it asks)")
    lines.append('forge db migrate -m "initial" && forge db upgrade')
    lines.append("pytest")
    return lines
