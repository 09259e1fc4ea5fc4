"""Property: every spec forge accepts generates a project that works; every spec it refuses
gets one line.

Hypothesis draws small specs whose names come from the dangerous corners: Python keywords
and soft keywords, builtins and ORM names used in the generated code, names equal to the
classes forge generates (`PostRead`, `PostTagLink`, `Base`, `Links`), names that differ only
by case, and names near each database's identifier limit. For an accepted spec, the project
(generated in-process into one directory reused by every example) must import, autogenerate
a migration, upgrade, pass `alembic check`, downgrade to base, and pass its
own tests, on SQLite and on PostgreSQL and MariaDB (fewer examples on the servers). For a
refused spec, the error is one line naming a place of the spec.

Example counts: FORGE_NAME_EXAMPLES (SQLite, default 100) and FORGE_NAME_SERVER_EXAMPLES
(each server, default 20); tests/scripts/name_property.sh runs a longer, non-derandomized
campaign.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from generator import fieldtypes
from generator import project as projects
from generator.errors import SpecError
from generator.spec import parse_spec, read_yaml
from tests.helpers import project_env
from tests.servers import Server, server

SQLITE_EXAMPLES = int(os.environ.get("FORGE_NAME_EXAMPLES", "100"))
SERVER_EXAMPLES = int(os.environ.get("FORGE_NAME_SERVER_EXAMPLES", "20"))

ENTITY_POOL = [
    "Post", "Tag", "POST", "PostRead", "PostCreate", "PostTagLink", "TagLink", "Base",
    "Links", "Link", "Mapped", "Field", "Match", "Case", "Type", "Class", "Import", "Str",
    "List", "Exception", "Health", "Conftest", "Support", "A" + "b" * 62, "A" + "b" * 56,
]  # fmt: skip
FIELD_POOL = [
    "title", "read", "create", "update", "tags", "str", "int", "bool", "float", "list",
    "bytes", "dict", "type", "match", "case", "_", "mapped_column", "relationship",
    "metadata", "registry", "sa", "dt", "field", "post_id", "tag_id", "deleted_at",
    "created_at", "x" * 58, "x" * 59, "x" * 63, "x" * 64, "Title", "a_b", "a__b",
]  # fmt: skip
TYPES = list(fieldtypes.NAMES)
KINDS = ["many_to_one", "one_to_many", "one_to_one", "many_to_many"]
ENUM_VALUES = ["a", "b c", "v" * 63, "v" * 64, "é" * 32, "read", "class"]


def _pascal() -> st.SearchStrategy[str]:
    plain = st.from_regex(r"\A[A-Z][a-z]{1,8}\Z")
    return st.one_of(st.sampled_from(ENTITY_POOL), plain, plain)


def _snake() -> st.SearchStrategy[str]:
    plain = st.from_regex(r"\A[a-z][a-z0-9]{0,10}\Z")
    return st.one_of(st.sampled_from(FIELD_POOL), plain, plain, plain)


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(_pascal(), min_size=1, max_size=2, unique=True))
    entities: dict[str, Any] = {}
    for name in names:
        body: dict[str, Any] = {}
        fields = {}
        for field in draw(st.lists(_snake(), max_size=3, unique=True)):
            ftype = draw(st.sampled_from(TYPES))
            spec: dict[str, Any] = {"type": ftype}
            if ftype == "enum":
                spec["values"] = draw(st.lists(st.sampled_from(ENUM_VALUES), min_size=1,
                                               max_size=2, unique=True))  # fmt: skip
            if ftype == "decimal" and draw(st.booleans()):
                spec["precision"] = draw(st.sampled_from([10, 65, 66, 1000]))
            if ftype == "str" and draw(st.booleans()):
                spec["max_length"] = draw(st.sampled_from([10, 768, 769, 16383]))
                spec["index"] = draw(st.booleans())
            if draw(st.booleans()):
                spec["nullable"] = True
            fields[field] = spec
        if fields:
            body["fields"] = fields
        if draw(st.integers(0, 5)) == 0:
            table = draw(st.sampled_from(["t" * 50, "t" * 57, "t" * 60, "links", "base"]))
            body["table"] = f"{table[:-2]}{len(entities)}"
        if draw(st.integers(0, 4)) == 0:
            body["soft_delete"] = True
        entities[name] = body
    if draw(st.booleans()):
        source, target = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        kind = draw(st.sampled_from(KINDS))
        relation: dict[str, Any] = {"kind": kind, "target": target}
        if kind != "many_to_many":
            relation["nullable"] = True
        if kind == "one_to_many" or draw(st.booleans()):
            relation["inverse"] = draw(_snake())
        entities[source].setdefault("relations", {})[draw(_snake())] = relation
    return {"entities": entities}


def spec_text(data: dict[str, Any], database: str, orm: str) -> str:
    import io

    out = io.StringIO()
    YAML().dump({"project": {"name": "prop", "database": database, "orm": orm}, **data}, out)
    return out.getvalue()


# A worker process inside the generated project: for each example (one JSON line on stdin
# with its DATABASE_URL) it forgets the previous example's modules and mapped classes, then
# imports the app, autogenerates a migration, upgrades, runs `alembic check`, downgrades to
# base, and runs the project's own tests; it answers one JSON line. One process for all
# examples saves starting Python, FastAPI, SQLAlchemy and pytest for each (most of the cost).
WORKER = r"""
import contextlib, importlib, io, json, os, sys, traceback
answer = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)  # anything else written to the process's stdout cannot garble the answers
root = os.getcwd()
for line in sys.stdin:
    request = json.loads(line)
    os.chdir(root)
    os.environ["DATABASE_URL"] = request["url"]
    for name in list(sys.modules):
        if name.split(".")[0] in ("app", "tests"):
            del sys.modules[name]
    importlib.invalidate_caches()
    try:
        from sqlmodel import SQLModel
        from sqlmodel.main import default_registry
        default_registry.dispose()
        SQLModel.metadata.clear()
    except ImportError:
        pass
    out = io.StringIO()
    ok = True
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            from alembic import command
            from alembic.config import Config
            import app.models, app.main  # noqa: F401
            config = Config("alembic.ini", stdout=out)
            command.revision(config, autogenerate=True, message="p")
            command.upgrade(config, "head")
            command.check(config)  # raises when the models and the database differ
            command.downgrade(config, "base")
            import pytest
            code = pytest.main(["-q", "-x", "-p", "no:cacheprovider", "tests"])
            import gc
            gc.unfreeze()  # the project's conftest froze what it imported; let it go
            ok = code == 0
            print(f"pytest exit {code}")
        except BaseException:
            traceback.print_exc()
            ok = False
    answer.write(json.dumps({"ok": ok, "output": out.getvalue()}) + "\n")
    answer.flush()
"""


class Runner:
    """One project directory per (database, ORM runner), refilled from a pristine copy of the
    skeleton for each example, and one worker process inside it."""

    def __init__(self, base: Path, database: str, srv: Server | None) -> None:
        self.base = base
        self.database = database
        self.server = srv
        self.pristine: dict[str, Path] = {}
        self.root = base / "p"
        self.worker: subprocess.Popen[str] | None = None

    def skeleton(self, orm: str) -> Path:
        if orm not in self.pristine:
            root = self.base / f"pristine_{orm}"
            projects.new_project(root, name="prop", database=self.database, orm=orm)
            self.pristine[orm] = root
        return self.pristine[orm]

    def ask(self, url: str) -> dict[str, Any]:
        if self.worker is None:
            self.log = (self.base / "worker.log").open("a")
            env = {**project_env(self.root), "PYTHONDONTWRITEBYTECODE": "1"}
            self.worker = subprocess.Popen(
                [sys.executable, "-c", WORKER],
                cwd=self.root,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.log,
                text=True,
            )
        assert self.worker.stdin is not None and self.worker.stdout is not None
        self.worker.stdin.write(json.dumps({"url": url}) + "\n")
        self.worker.stdin.flush()
        line = self.worker.stdout.readline()
        assert line, "the worker process died"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self.worker is not None:
            assert self.worker.stdin is not None
            self.worker.stdin.close()
            self.worker.wait(timeout=60)
            self.log.close()

    def example(self, data: dict[str, Any], orm: str) -> None:
        text = spec_text(data, self.database, orm)
        try:
            parse_spec(read_yaml(text))
        except SpecError as error:
            message = str(error)
            assert "\n" not in message and "\r" not in message, message
            assert message.startswith("forge.yaml: "), message
            assert error.where or "YAML" in message, message
            _event(f"refused: {error.message[:40]}")
            if os.environ.get("FORGE_NAME_VERBOSE"):
                print("REFUSED", message)
            return
        _event("accepted")
        if os.environ.get("FORGE_NAME_VERBOSE"):
            print("ACCEPTED", orm, text.replace("\n", " "))
        skeleton = self.skeleton(orm)
        if self.root.exists():
            for child in self.root.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        shutil.copytree(skeleton, self.root, dirs_exist_ok=True)
        (self.root / "forge.yaml").write_text(text)
        projects.generate(self.root)
        url = f"sqlite+aiosqlite:///{self.root / 'prop.db'}"
        name = None
        if self.server is not None:
            name = self.server.fresh_name("names")
            url = self.server.database_url(name)
            _database(self.server, name, create=True)
        started = time.perf_counter()
        try:
            answer = self.ask(url)
        finally:
            if self.server is not None and name is not None:
                _database(self.server, name, create=False)
        if os.environ.get("FORGE_NAME_VERBOSE"):
            print("TOOK", time.perf_counter() - started)
        output = answer["output"]
        assert answer["ok"], f"{text}\n{output[-6000:]}"
        assert output.count("No new upgrade operations detected") == 1, f"{text}\n{output}"


def _event(value: str) -> None:
    from hypothesis.control import _current_build_context

    if _current_build_context.value is not None:  # inside a hypothesis example
        event(value)


def _database(srv: Server, name: str, create: bool) -> None:
    import asyncio

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def run() -> None:
        engine = create_async_engine(srv.url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                if create:
                    await connection.execute(text(f"CREATE DATABASE {name}"))
                else:
                    await connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        finally:
            await engine.dispose()

    asyncio.run(run())


def _settings(examples: int) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=os.environ.get("FORGE_NAME_RANDOM") != "1",
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("names")


@pytest.mark.xdist_group("names_sqlite")
def test_generated_names_sqlite(base: Path) -> None:
    runner = Runner(base / "sqlite", "sqlite", None)

    @_settings(SQLITE_EXAMPLES)
    @given(data=specs(), orm=st.sampled_from(["sqlmodel", "sqlalchemy"]))
    def property(data: dict[str, Any], orm: str) -> None:
        runner.example(data, orm)

    try:
        property()
    finally:
        runner.close()


@pytest.mark.xdist_group("names_servers")
@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_generated_names_servers(base: Path, kind: str) -> None:
    runner = Runner(base / kind, kind, server(kind))

    @_settings(SERVER_EXAMPLES)
    @given(data=specs(), orm=st.sampled_from(["sqlmodel", "sqlalchemy"]))
    def property(data: dict[str, Any], orm: str) -> None:
        runner.example(data, orm)

    try:
        property()
    finally:
        runner.close()


# The longest table with an indexed foreign key `u_id`: ix_<table>_u_id at the limit
# (on SQLite, which has no index name limit: the link column <table>_id at 63).
KEYED_TABLE = {"sqlite": 60, "postgresql": 55, "mysql": 56}  # sqlite: <table>_id of the link


def spec_at_the_limits(database: str, over: bool = False) -> dict[str, Any]:
    """Every name and number exactly at the database's limit; with `over`, the table of
    Keyed one character longer (then its index name, or on SQLite its link column, is too long)."""
    label = "é" * 31 + "x"  # 63 bytes (PostgreSQL counts bytes)
    precision, scale = (65, 30) if database == "mysql" else (1000, 30)
    return {
        "entities": {
            "Wide": {"table": "w" * 63, "fields": {"f" * 63: "str"}},
            "Keyed": {
                "table": "k" * (KEYED_TABLE[database] + over),
                "fields": {
                    "e": {"type": "enum", "values": [label, "a"]},
                    "i": {"type": "int", "index": True},
                    "s": {"type": "str", "max_length": 768, "unique": True},
                    "d": {"type": "decimal", "precision": precision, "scale": scale},
                },
                "relations": {
                    "u": {"kind": "many_to_one", "target": "Wide", "nullable": True},
                    "tags": {"kind": "many_to_many", "target": "Tag", "link_table": "l" * 56},
                },
            },
            "Tag": {"fields": {"name": "str"}},
        }
    }


@pytest.mark.xdist_group("names_limits")
@pytest.mark.parametrize("orm", ["sqlmodel", "sqlalchemy"])
@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "mysql"])
def test_names_at_the_limits_work(base: Path, kind: str, orm: str) -> None:
    """The limits are exact: a spec at every limit is accepted, and its project migrates up
    and down, passes `alembic check` and its own tests on the database it names."""
    srv = None if kind == "sqlite" else server(kind)
    runner = Runner(base / f"limits_{kind}_{orm}", kind, srv)
    data = spec_at_the_limits(kind)
    parse_spec(read_yaml(spec_text(data, kind, orm)))  # accepted
    try:
        runner.example(data, orm)
    finally:
        runner.close()
    with pytest.raises(SpecError, match="at most|longer than 63"):
        parse_spec(read_yaml(spec_text(spec_at_the_limits(kind, over=True), kind, orm)))
