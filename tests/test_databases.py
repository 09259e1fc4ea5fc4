"""The examples on real PostgreSQL and MySQL-compatible servers, through `forge db`.

Each test creates its own database (a unique name) and drops it at the end. Servers come
from tests/servers.py: skipped when absent, failing when FORGE_REQUIRE_DATABASES=1.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.spec import load_spec
from tests.helpers import (
    EXAMPLES,
    ROOT,
    expected_generated_tests,
    forge,
    in_project,
    project_env,
    run,
    sql,
)
from tests.servers import Server, server


@pytest.fixture(scope="session")
def postgres() -> Server:
    return server("postgresql")


@pytest.fixture(scope="session")
def mysql() -> Server:
    return server("mysql")


def new_project(tmp_path: Path, example: str, kind: str, orm: str = "sqlmodel") -> Path:
    project = tmp_path / example
    spec = EXAMPLES / example / "forge.yaml"
    forge(
        "new", str(project), "--spec", str(spec), "--database", kind, "--orm", orm,
        "--defaults", cwd=tmp_path,
    )  # fmt: skip
    return project


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """(project, DATABASE_URL) for the parametrized example and server; dropped afterwards."""
    example, kind, orm = request.param
    srv: Server = request.getfixturevalue("postgres" if kind == "postgresql" else "mysql")
    project = new_project(tmp_path, example, kind, orm)
    url = srv.database_url(srv.fresh_name(example))
    yield project, url
    forge("db", "drop", "--yes", cwd=project, env={"DATABASE_URL": url}, check=False)


CASES = [
    (example, kind, orm)
    for kind in ("postgresql", "mysql")
    for example, orm in (("blog", "sqlmodel"), ("shop", "sqlmodel"), ("shop", "sqlalchemy"))
]


@pytest.mark.parametrize("database", CASES, indirect=True, ids=["-".join(c) for c in CASES])
def test_example_through_its_whole_life_on_a_server(database: tuple[Path, str]) -> None:
    project, url = database
    env = {"DATABASE_URL": url}

    def db(*args: str) -> str:
        return forge("db", *args, cwd=project, env=env).stdout

    name = url.rsplit("/", 1)[1]
    assert re.search(rf"^created \w+ database '{name}'", db("create"), re.M)
    assert "already exists" in db("create")
    assert "no revisions yet" in db("status")
    created = db("migrate", "-m", "initial")
    assert re.search(r"created alembic/versions/\w+_initial\.py", created), created
    status = db("status")
    assert "pending" in status and "current: none (empty database); 1 pending" in status
    assert "upgraded to head" in db("upgrade")
    versions = sorted((project / "alembic" / "versions").glob("*.py"))
    assert "No changes detected; no revision written" in db("migrate", "-m", "again")
    assert sorted((project / "alembic" / "versions").glob("*.py")) == versions
    check = in_project(project, "alembic", "check", DATABASE_URL=url)
    assert "No new upgrade operations detected" in check.stdout + check.stderr

    if project.name == "blog":  # rows here do not disturb the project's tests (own database)
        sql(url, *[f"INSERT INTO tag (name) VALUES ('tag{i}')" for i in range(250)])
    tests = in_project(project, "pytest", "-q", "-p", "no:cacheprovider", DATABASE_URL=url)
    entities = len(load_spec(project / "forge.yaml").entities)
    assert f"{expected_generated_tests(project)} passed" in tests.stdout, tests.stdout
    driver = run(
        [sys.executable, str(ROOT / "tests" / "drivers" / "exercise_project.py")],
        cwd=project,
        env={**project_env(project), "DATABASE_URL": url},
    )
    checks = json.loads(driver.stdout.strip().splitlines()[-1])
    assert checks["crud"] == entities and checks["relations"] > 0

    status = db("status")
    assert "applied" in status and "(head, current)" in status and "0 pending" in status
    assert "downgraded to base" in db("downgrade", "base")
    assert "current: none (empty database); 1 pending" in db("status")
    assert "upgraded to head" in db("upgrade")  # enum types and indexes went with the tables
    assert re.search(rf"^dropped \w+ database '{name}'", db("drop", "--yes"), re.M)
    assert "does not exist; nothing to drop" in db("drop", "--yes")


def one_line_error(result: object) -> str:
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 2, stderr  # type: ignore[attr-defined]
    assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr
    return stderr


@pytest.fixture
def blog_pg(tmp_path: Path, postgres: Server) -> Path:
    return new_project(tmp_path, "blog", "postgresql")


def test_errors_are_one_clear_line(blog_pg: Path, postgres: Server, mysql: Server) -> None:
    def db(url: str, *args: str) -> str:
        return one_line_error(
            forge("db", *args, cwd=blog_pg, env={"DATABASE_URL": url}, check=False)
        )

    unreachable = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"
    assert "cannot reach the postgresql server at 127.0.0.1:1 (is it running?)" in db(
        unreachable, "status"
    )
    missing = postgres.database_url("forge_no_such_database")
    assert "database 'forge_no_such_database' does not exist" in db(missing, "status")
    assert "forge db create" in db(missing, "upgrade")
    wrong = re.sub(r"://[^@/]*@", "://root:wrong-password@", mysql.url)
    assert "refused user 'root': wrong user name or password" in db(wrong, "create")
    assert "needs confirmation: pass --yes" in db(missing, "drop")


PASSWORD = "p@ss%word/1"


def test_passwords_with_at_and_percent(tmp_path: Path, mysql: Server) -> None:
    """URL-encoded in DATABASE_URL, or raw in config/orm.yaml's fields: both work."""
    from sqlalchemy.engine import make_url

    project = new_project(tmp_path, "blog", "mysql")
    admin = make_url(mysql.url)
    user = f"forge_pw_{mysql.fresh_name('u')[-8:]}"
    sql = (
        f"CREATE USER '{user}'@'%' IDENTIFIED BY '{PASSWORD}'; "
        f"GRANT ALL PRIVILEGES ON *.* TO '{user}'@'%'"
    )
    asyncio.run(_mysql(mysql.url, sql))
    try:
        encoded = admin.set(username=user, password=PASSWORD, database="forge_pw_db")
        url = encoded.render_as_string(hide_password=False)
        assert "%40" in url and "%25" in url
        out = forge("db", "create", cwd=project, env={"DATABASE_URL": url}).stdout
        assert "created mysql database 'forge_pw_db'" in out
        fields = {
            "DB_HOST": admin.host or "127.0.0.1",
            "DB_PORT": str(admin.port or 3306),
            "DB_USER": user,
            "DB_PASSWORD": PASSWORD,
            "DB_NAME": "forge_pw_db",
        }
        assert "already exists" in forge("db", "create", cwd=project, env=fields).stdout
        assert "dropped" in forge("db", "drop", "--yes", cwd=project, env=fields).stdout
    finally:
        asyncio.run(_mysql(mysql.url, f"DROP USER IF EXISTS '{user}'@'%'"))


async def _mysql(url: str, statements: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements.split("; "):
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def test_drop_refuses_while_other_sessions_hold_the_database(
    blog_pg: Path, postgres: Server
) -> None:
    import asyncpg

    name = postgres.fresh_name("busy")
    url = postgres.database_url(name)
    env = {"DATABASE_URL": url}
    forge("db", "create", cwd=blog_pg, env=env)

    async def hold_and_drop() -> object:
        plain = url.replace("postgresql+asyncpg://", "postgresql://")
        connection = await asyncpg.connect(plain)
        try:
            return await asyncio.to_thread(
                forge, "db", "drop", "--yes", cwd=blog_pg, env=env, check=False
            )
        finally:
            await connection.close()

    error = one_line_error(asyncio.run(hold_and_drop()))
    assert f"'{name}'" in error and "is in use by 1 other session(s)" in error
    assert "dropped" in forge("db", "drop", "--yes", cwd=blog_pg, env=env).stdout


def test_copy_creates_tables_without_migrations(tmp_path: Path) -> None:
    project = new_project(tmp_path, "blog", "sqlite")
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'copy.db'}"}
    out = forge("db", "copy", cwd=project, env=env).stdout
    assert "created the 5 tables of the models" in out and "no migration was recorded" in out
    status = forge("db", "status", cwd=project, env=env).stdout
    assert "no revisions yet" in status


CONCURRENCY = """
import asyncio, json, random
import httpx
from sqlalchemy import text
from app.main import app
from app.core.database import connection_manager

async def main():
    async with app.router.lifespan_context(app):
        pool = connection_manager.engine.pool
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as c:
            async def create(i):
                r = await c.post("/users", json={"username": f"u{i}", "email": f"u{i}@x.io"})
                return r.status_code, r.json()["id"] if r.status_code == 201 else r.text
            seeds = [await create(i) for i in range(50)]
            ids = [i for _, i in seeds]
            async def read(i):
                r = await c.get(f"/users/{random.choice(ids)}")
                return r.status_code, r.json()["id"]
            work = [create(i) for i in range(50, 300)] + [read(i) for i in range(250)]
            random.shuffle(work)
            results = await asyncio.wait_for(asyncio.gather(*work), 120)
            listing = (await c.get("/users", params={"size": 1})).json()
        async with connection_manager.engine.connect() as connection:
            rows = (await connection.execute(text('SELECT count(*) FROM "user"'))).scalar()
    print(json.dumps({
        "statuses": sorted({s for s, _ in seeds + results}),
        "requests": len(results), "total": listing["total"], "rows": rows,
        "pool_size": pool.size(), "overflow": pool._max_overflow,
    }))

asyncio.run(main())
"""


def test_500_concurrent_requests_on_postgresql_with_a_small_pool(
    blog_pg: Path, postgres: Server
) -> None:
    url = postgres.database_url(postgres.fresh_name("load"))
    env = {"DATABASE_URL": url}
    forge("db", "create", cwd=blog_pg, env=env)
    try:
        forge("db", "migrate", "-m", "initial", cwd=blog_pg, env=env)
        forge("db", "upgrade", cwd=blog_pg, env=env)
        result = run(
            [sys.executable, "-c", CONCURRENCY],
            cwd=blog_pg,
            env={**project_env(blog_pg), **env, "POOL_SIZE": "5", "POOL_MAX_OVERFLOW": "2"},
            timeout=180,
        )
        report = json.loads(result.stdout.strip().splitlines()[-1])
        assert report["requests"] == 500
        assert report["statuses"] == [200, 201]
        assert report["rows"] == report["total"] == 300
        assert (report["pool_size"], report["overflow"]) == (5, 2)
    finally:
        forge("db", "drop", "--yes", cwd=blog_pg, env=env, check=False)


SETTINGS = "from app.core.config import get_settings; print(get_settings().DATABASE_URL)"


def test_settings_priority(tmp_path: Path) -> None:
    """DATABASE_URL in the environment, then .env.<APP_ENV>, then .env, then `url` in
    config/orm.yaml, then its fields with ${VAR:-default} from the environment."""
    project = new_project(tmp_path, "blog", "sqlite")

    def url(**env: str) -> str:
        result = run([sys.executable, "-c", SETTINGS], cwd=project, env=project_env(project, **env))
        return result.stdout.strip()

    assert url() == "sqlite+aiosqlite:///./blog.db"  # the fields' defaults
    assert url(DB_NAME="./other.db") == "sqlite+aiosqlite:///./other.db"
    orm = project / "config" / "orm.yaml"
    orm.write_text(
        orm.read_text().replace(
            "  # url: sqlite", "  url: sqlite+aiosqlite:///${DIR:-.}/u.db\n  # x"
        )
    )
    assert url() == "sqlite+aiosqlite:///./u.db"
    assert url(DIR="/data") == "sqlite+aiosqlite:////data/u.db"
    (project / ".env").write_text("DATABASE_URL=sqlite+aiosqlite:///dotenv.db\nPOOL_SIZE=3\n")
    assert url() == "sqlite+aiosqlite:///dotenv.db"
    (project / ".env.testing").write_text("DATABASE_URL=sqlite+aiosqlite:///testing.db\n")
    assert url(APP_ENV="testing") == "sqlite+aiosqlite:///testing.db"
    assert url(APP_ENV="production") == "sqlite+aiosqlite:///dotenv.db"
    assert url(APP_ENV="testing", DATABASE_URL="sqlite+aiosqlite:///env.db") == (
        "sqlite+aiosqlite:///env.db"
    )
    pool = (
        "from app.core.config import get_settings as g; s = g(); print(s.POOL_SIZE, s.POOL_TIMEOUT)"
    )
    result = run([sys.executable, "-c", pool], cwd=project, env=project_env(project))
    assert result.stdout.split() == ["3", "30"]  # .env wins; orm.yaml's pool section fills in
