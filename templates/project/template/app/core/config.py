"""Settings: the environment, then `.env`, then config/orm.yaml.

The database URL is, first match wins: DATABASE_URL in the environment; DATABASE_URL in
`.env.<APP_ENV>` then `.env`; `url` in config/orm.yaml; the detailed fields of
config/orm.yaml (driver, host, port, username, password, database), where
`${VAR:-default}` is taken from the environment. Pool settings follow the same order.
"""

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Self

import yaml
from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parents[2]
ORM_CONFIG = ROOT / "config" / "orm.yaml"
_VARIABLE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")
_POOL = {
    "POOL_PRE_PING": ("pre_ping", True),
    "POOL_TIMEOUT": ("timeout", 30),
    "POOL_SIZE": ("size", 5),
    "POOL_MAX_OVERFLOW": ("max_overflow", 10),
}


def env_files() -> tuple[Path, ...]:
    """`.env`, then `.env.<APP_ENV>` (a later file wins over an earlier one)."""
    app_env = os.environ.get("APP_ENV")
    files = [ROOT / ".env"]
    if app_env:
        files.append(ROOT / f".env.{app_env}")
    return tuple(files)


def interpolate(value: Any) -> Any:
    """Replace ${VAR} and ${VAR:-default} with the environment's values."""
    if not isinstance(value, str):
        return value
    return _VARIABLE.sub(lambda m: os.environ.get(m.group(1), m.group(2) or ""), value)


def orm_config(path: Path = ORM_CONFIG) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def url_from_fields(fields: dict[str, Any]) -> str:
    """A URL from the detailed fields; special characters in the password are escaped."""
    values = {key: interpolate(value) for key, value in fields.items()}
    port = values.get("port")
    url = URL.create(
        drivername=values["driver"],
        username=values.get("username") or None,
        password=values.get("password") or None,
        host=values.get("host") or None,
        port=int(port) if port not in (None, "") else None,
        database=values.get("database") or None,
    )
    return url.render_as_string(hide_password=False)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file_encoding="utf-8", extra="ignore")

    DATABASE_URL: str = ""
    ECHO: bool = False
    POOL_PRE_PING: bool | None = None
    POOL_TIMEOUT: int | None = None
    POOL_SIZE: int | None = None
    POOL_MAX_OVERFLOW: int | None = None

    @model_validator(mode="after")
    def _complete_from_orm_yaml(self) -> Self:
        config = orm_config()
        database = config.get("database") or {}
        if not self.DATABASE_URL:
            if database.get("url"):
                self.DATABASE_URL = interpolate(database["url"])
            elif database.get("driver"):
                self.DATABASE_URL = url_from_fields(database)
            else:
                raise ValueError("no database: set DATABASE_URL or config/orm.yaml")
        pool = config.get("pool") or {}
        for name, (key, default) in _POOL.items():
            if getattr(self, name) is None:
                value = interpolate(pool.get(key, default))
                if isinstance(default, bool):
                    value = (
                        value
                        if isinstance(value, bool)
                        else str(value).lower() == "true"
                    )
                else:
                    value = int(value)
                setattr(self, name, value)
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings(_env_file=env_files())
