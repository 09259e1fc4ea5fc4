"""Docker support of the skeleton: docker-compose.yml, Dockerfile and .dockerignore.

`docker-compose config` validates the compose file offline (no Docker engine needed); the
Debian package docker-compose provides it. Without it the tests are skipped, unless
FORGE_REQUIRE_DATABASES=1.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from sqlalchemy.engine import make_url

from generator.project import render_skeleton
from tests.helpers import forge

DOCKER_FILES = ("docker-compose.yml", "Dockerfile", ".dockerignore")
# ${VAR} or ${VAR:?error}; not ${VAR:-default}, whose default would be a literal password.
REFERENCE = re.compile(r"\$\{[A-Z_][A-Z0-9_]*(:?\?[^}]*)?\}")
URL_PASSWORD = re.compile(r"://[^:/@]*:(?P<password>.*)@")


def docker_compose() -> str:
    """The docker-compose executable, or skip (fail with FORGE_REQUIRE_DATABASES=1)."""
    found = shutil.which("docker-compose")
    if found is None:
        message = "docker-compose is not installed (apt-get install docker-compose)"
        if os.environ.get("FORGE_REQUIRE_DATABASES") == "1":
            pytest.fail(f"{message}; FORGE_REQUIRE_DATABASES=1 requires it")
        pytest.skip(message)
    return found


def compose_env() -> dict[str, str]:
    """The environment without variables that would override .env in the compose file."""
    prefixes = ("POSTGRES_", "MYSQL_", "COMPOSE_", "DATABASE_URL", "DOCKER_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def run_compose(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [docker_compose(), "-f", "docker-compose.yml", *args],
        cwd=project,
        env=compose_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def validate(project: Path) -> dict[str, Any]:
    """`docker-compose config -q` must pass; returns the resolved configuration."""
    quiet = run_compose(project, "config", "-q")
    assert quiet.returncode == 0, f"docker-compose config -q failed:\n{quiet.stderr}"
    resolved = run_compose(project, "config")
    assert resolved.returncode == 0, resolved.stderr
    return YAML(typ="safe").load(resolved.stdout)


def env_values(project: Path) -> dict[str, str]:
    values = {}
    for line in (project / ".env").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def project_for(database: str, tmp_path: Path) -> Path:
    """A project with docker=true: postgresql and mysql through the real CLI (docker is
    their default); sqlite (docker false by default) through the skeleton renderer."""
    if database == "sqlite":
        answers = {"project_name": "shop", "database": database, "orm": "sqlmodel"}
        _, files = render_skeleton(answers | {"docker": True}, interactive=False)
        project = tmp_path / "shop"
        for relative, text in files.items():
            path = project / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    else:
        project = tmp_path / "p"
        forge("new", str(project), "--database", database, "--defaults", cwd=tmp_path)
    shutil.copyfile(project / ".env.example", project / ".env")
    return project


def as_list(command: Any) -> list[str]:
    return command.split() if isinstance(command, str) else list(command)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {key: str(value) for key, value in env.items()}


def assert_tidy(text: str, name: str) -> None:
    assert text.endswith("\n") and not text.endswith("\n\n"), f"{name}: ragged end"
    assert "\n\n\n" not in text, f"{name}: runs of blank lines"
    assert not re.search(r"[ \t]+$", text, re.MULTILINE), f"{name}: trailing whitespace"


@pytest.mark.parametrize("database", ["sqlite", "postgresql", "mysql"])
def test_docker_compose_is_valid_and_safe(database: str, tmp_path: Path) -> None:
    docker_compose()
    project = project_for(database, tmp_path)
    for name in DOCKER_FILES:
        assert (project / name).is_file(), f"{name} was not generated"
        assert_tidy((project / name).read_text(encoding="utf-8"), name)
    resolved = validate(project)

    text = (project / "docker-compose.yml").read_text(encoding="utf-8")
    compose = YAML(typ="safe").load(text)
    services = compose["services"]
    expected = {"app", "db-migrate"} | ({"db"} if database != "sqlite" else set())
    assert set(services) == expected

    app, migrate = services["app"], services["db-migrate"]
    assert app["depends_on"]["db-migrate"]["condition"] == "service_completed_successfully"
    assert as_list(migrate["command"]) == ["alembic", "upgrade", "head"]
    assert "revision" not in str(migrate["command"])
    assert "revision" not in str(app.get("command", ""))
    assert "uvicorn" in as_list(app["command"])
    assert any(str(port).endswith("8000") for port in app["ports"])
    named_volumes = set(compose.get("volumes") or {})

    if database == "sqlite":
        for service in (app, migrate):
            volume = service["volumes"][0].split(":")[0]
            assert volume in named_volumes, "the SQLite file must live in a named volume"
        url = make_url(environment(resolved["services"]["app"])["DATABASE_URL"])
        assert url.get_backend_name() == "sqlite" and url.database.startswith("/data/")
    else:
        db = services["db"]
        assert db["image"] == ("postgres:15-alpine" if database == "postgresql" else "mysql:8.0")
        probe = "pg_isready" if database == "postgresql" else "mysqladmin"
        assert probe in str(db["healthcheck"]["test"])
        assert {"interval", "timeout", "retries"} <= set(db["healthcheck"])
        db_volumes = [str(volume).split(":")[0] for volume in db["volumes"]]
        assert any(volume in named_volumes for volume in db_volumes), db["volumes"]
        for service in (app, migrate):
            assert service["depends_on"]["db"]["condition"] == "service_healthy"

        # The containers' DATABASE_URL reaches host `db` with the credentials of .env.
        secrets = env_values(project)
        for name in ("app", "db-migrate"):
            url = make_url(environment(resolved["services"][name])["DATABASE_URL"])
            assert url.host == "db"
            user = "POSTGRES_USER" if database == "postgresql" else "MYSQL_USER"
            password = "POSTGRES_PASSWORD" if database == "postgresql" else "MYSQL_PASSWORD"
            assert url.username == secrets[user]
            assert url.password == secrets[password]

        # No password is written into the compose file: every one is a ${...} reference.
        passwords = [value for key, value in secrets.items() if "PASSWORD" in key]
        assert passwords, ".env.example has no password for the database container"
        for value in passwords:
            assert value not in text, "a password from .env is written in docker-compose.yml"
        for name, service in services.items():
            for key, value in environment(service).items():
                if "PASSWORD" in key.upper():
                    assert REFERENCE.fullmatch(value), f"{name}.{key} = {value!r}"
                match = URL_PASSWORD.search(value)
                if match:
                    assert REFERENCE.fullmatch(match["password"]), f"{name}.{key} = {value!r}"

    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    assert "pip install --no-cache-dir ." in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0"), "the image must not run as root"
    assert re.search(r"^CMD .*uvicorn", dockerfile, re.MULTILINE)
    for line in re.findall(r"^COPY\s+(.+)$", dockerfile, re.MULTILINE):
        for source in line.split()[:-1]:
            assert (project / source).exists(), f"the Dockerfile copies a missing {source}"
    ignored = (project / ".dockerignore").read_text(encoding="utf-8").split()
    for pattern in (".env", ".venv", ".git", ".forge", "*.db"):
        assert pattern in ignored, f".dockerignore misses {pattern}"


def test_broken_compose_file_fails_validation(tmp_path: Path) -> None:
    """The validation can fail: a dependency on a service that does not exist."""
    docker_compose()
    project = project_for("sqlite", tmp_path)
    compose = project / "docker-compose.yml"
    text = compose.read_text(encoding="utf-8")
    broken = text.replace("db-migrate:\n        condition", "nowhere:\n        condition")
    assert broken != text
    compose.write_text(broken, encoding="utf-8")
    assert run_compose(project, "config", "-q").returncode != 0


def test_no_docker_files_without_docker(tmp_path: Path) -> None:
    project = tmp_path / "p"
    forge("new", str(project), "--defaults", cwd=tmp_path)  # sqlite: docker is false
    for name in DOCKER_FILES:
        assert not (project / name).exists(), f"{name} generated with docker false"
    answers = {"project_name": "shop", "database": "postgresql", "orm": "sqlmodel"}
    _, files = render_skeleton(answers | {"docker": False}, interactive=False)
    assert not set(DOCKER_FILES) & set(files)
    assert "POSTGRES_PASSWORD" not in files[".env.example"]
    assert files[".env.example"].startswith("# Copy to .env and adjust.")
