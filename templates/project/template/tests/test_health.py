"""The application starts, reaches its database and answers."""

import os
from pathlib import Path

import httpx
import pytest

from app.core.config import get_settings
from app.main import app


async def test_health_and_database_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = (
        os.environ.get("TEST_DATABASE_URL")
        or f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"
    )
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://test"
            ) as client:
                response = await client.get("/health")
    finally:
        get_settings.cache_clear()
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
