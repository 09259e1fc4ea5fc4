"""Real database servers for the tests.

The URLs come from FORGE_TEST_POSTGRES_URL and FORGE_TEST_MYSQL_URL (defaulting to the
local servers). A test that needs a server that is not reachable is skipped with a
message saying how to start one, unless FORGE_REQUIRE_DATABASES=1 (as in CI), in which
case it fails.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass

import pytest

DEFAULTS = {
    "postgresql": "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
    "mysql": "mysql+aiomysql://root@127.0.0.1:3306/test",
}
VARIABLES = {"postgresql": "FORGE_TEST_POSTGRES_URL", "mysql": "FORGE_TEST_MYSQL_URL"}
HOW_TO_START = {
    "postgresql": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "mysql": "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd",
}


@dataclass(frozen=True)
class Server:
    kind: str
    url: str  # a URL of the server, to any database

    def database_url(self, name: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def fresh_name(self, prefix: str) -> str:
        return f"forge_{prefix}_{uuid.uuid4().hex[:8]}"


def _reachable(url: str) -> str | None:
    """None when the server answers, else why not."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def probe() -> None:
        engine = create_async_engine(url, connect_args={"timeout": 5} if "asyncpg" in url else {})
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        finally:
            await engine.dispose()

    try:
        asyncio.run(asyncio.wait_for(probe(), 15))
    except Exception as exc:  # any failure means: not usable here
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None


def server(kind: str) -> Server:
    url = os.environ.get(VARIABLES[kind], DEFAULTS[kind])
    problem = _reachable(url)
    if problem is not None:
        message = (
            f"no {kind} server at {VARIABLES[kind]}={url} ({problem}); start one with "
            f"`{HOW_TO_START[kind]}` or set {VARIABLES[kind]}"
        )
        if os.environ.get("FORGE_REQUIRE_DATABASES") == "1":
            pytest.fail(f"FORGE_REQUIRE_DATABASES=1 but {message}")
        pytest.skip(message)
    return Server(kind, url)
