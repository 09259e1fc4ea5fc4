"""`alembic revision --autogenerate`, `upgrade head` and `check` in a generated project, each
call in a fresh child process forked from one that has already imported the libraries every
call needs (multiprocessing's forkserver, started once per test process). The child is
as clean as a new interpreter, without paying those imports again for each example."""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
from pathlib import Path

PRELOAD = [
    "sqlalchemy",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.dialects.sqlite",
    "sqlmodel",
    "aiosqlite",
    "pydantic",
    "pydantic_settings",
    "fastapi",
    "alembic.config",
    "alembic.command",
    "alembic.autogenerate",
    "alembic.runtime.environment",
]
_FORKS = multiprocessing.get_context("forkserver")
_FORKS.set_forkserver_preload(PRELOAD)


def _alembic(root: str, url: str, output: str) -> None:
    """In the child: the project's alembic commands, their output into `output`."""
    handle = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(handle, 1)
    os.dup2(handle, 2)
    for name in list(os.environ):
        if name.startswith(("DATABASE_URL", "PYTEST_")):
            del os.environ[name]
    os.environ["DATABASE_URL"] = url
    os.chdir(root)
    sys.path.insert(0, root)
    from alembic.config import main

    main(["-c", "alembic.ini", "revision", "--autogenerate", "-m", "property"])
    main(["-c", "alembic.ini", "upgrade", "head"])
    main(["-c", "alembic.ini", "check"])


def check(root: Path, url: str, timeout: float = 120) -> tuple[int, str]:
    """(exit code, output) of the three commands run in a forked child."""
    with tempfile.NamedTemporaryFile("r", suffix=".log") as output:
        child = _FORKS.Process(target=_alembic, args=(str(root), url, output.name))
        child.start()
        child.join(timeout)
        if child.is_alive():
            child.kill()
            child.join()
            return -9, f"timed out after {timeout} s\n" + output.read()
        return child.exitcode if child.exitcode is not None else -1, output.read()
