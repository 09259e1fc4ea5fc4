"""The generated routes send the fewest statements that still commit before answering.

The blog example (generated once per session, tests/conftest.py) is driven by
tests/drivers/round_trips.py on an empty database, which counts the statements each
request sends (a SQLAlchemy `before_cursor_execute` listener; COMMIT from the `commit`
event; BEGIN left out) and checks that each answer is what a new request reads back:
- create: one INSERT ... RETURNING (the row as stored: defaults, rounding), then COMMIT;
  on SQLite, when the table has no column the database fills or rounds (a server default,
  a decimal, a CHAR), the INSERT alone: the row is stored as sent and the key comes back
  as lastrowid (one hop less under the write lock);
- read one: one SELECT; list: one SELECT (the total is a scalar subquery column, run
  once), a second (COUNT) only for a page past the end;
- update: one UPDATE ... RETURNING, then COMMIT; MariaDB/MySQL have no UPDATE ...
  RETURNING: the UPDATE, a SELECT of the row, then COMMIT; a missing row is a 404 from
  the same UPDATE;
- delete: one DELETE (the database applies on_delete), then COMMIT; a soft delete reads
  the row first;
- a refused create costs the INSERT and then the checks that name the field (409);
- loading two relations of eight rows: three SELECTs (selectinload), never one per row;
- sixteen writes at once (updates, and soft deletes that read first) all answer; on
  SQLite a write request begins with BEGIN IMMEDIATE (it waits for the write lock instead
  of failing with "database is locked"; SQLite's own trace shows it, sent by the sqlite3
  module inside the first write's call), a read sends no BEGIN (each of its statements
  commits on its own: one hop to the driver's thread less per read).
- the pool's pre-ping only for a connection idle longer than PING_AFTER_IDLE (0.5 s):
  on SQLite, the hops to the driver's thread (aiosqlite's queue, counted) show a read on
  a connection used a moment ago as its SELECT's hops alone, and after an idle time the
  pre-ping as one hop (`SELECT 1` run and fetched in the thread, not a cursor's four);
  no ROLLBACK is sent where no transaction is open (after a read, after a COMMIT), while a
  refused INSERT is rolled back; on PostgreSQL and MariaDB, the pings that reach the
  driver show the same (none for a read on a connection used a moment ago, one after an
  idle time); on SQLite and PostgreSQL, a connection closed under the pool is replaced
  once it has been idle (the ping finds it lost).

On SQLite the write transactions of the process also take turns on a lock per database
file (`TurnConnection`, in the driver's thread), from their BEGIN IMMEDIATE to their
COMMIT or ROLLBACK, instead of sleeping in SQLite's busy handler:
tests/drivers/write_turns.py turns the busy handler off (`busy_timeout = 0`, so any writer
SQLite finds locked answers 500) and checks that concurrent writes through the API all
answer, that a refused write, a request cancelled while it waits and one cancelled while it
holds the turn all give it back, and that a second writer of the same thread waits at
most the busy timeout (no hang).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT, forge, project_env, run
from tests.servers import server

DRIVER = ROOT / "tests" / "drivers" / "round_trips.py"
TURNS = ROOT / "tests" / "drivers" / "write_turns.py"

COMMON = {
    "create": ["INSERT RETURNING", "COMMIT"],
    "get": ["SELECT"],
    "get after idle": ["SELECT"],
    "list": ["SELECT"],
    "list past the end": ["SELECT", "SELECT"],
    "create conflict": ["INSERT RETURNING", "SELECT"],
    "soft delete": ["SELECT", "UPDATE", "COMMIT"],
    "delete": ["DELETE", "COMMIT"],
    "delete missing": ["DELETE", "COMMIT"],
    "find_all loading 2 relations of 8 rows": ["SELECT", "SELECT", "SELECT"],
}
UPDATE = {
    "returning": {
        "update": ["UPDATE RETURNING", "COMMIT"],
        "update missing": ["UPDATE RETURNING", "COMMIT"],
    },
    "mysql": {"update": ["UPDATE", "SELECT", "COMMIT"], "update missing": ["UPDATE", "COMMIT"]},
}
CHECKS = [
    "create answers the stored row",
    "update answers the stored row",
    "update sets updated_at",
    "conflict names the field",
    "concurrent writes all answered",
]
SQLITE_CHECKS = [
    "SQLite: writes begin immediate, reads send no BEGIN",
    "SQLite: a read on a connection used a moment ago: its SELECT's hops",
    "SQLite: after an idle time, the pre-ping's one hop, then the SELECT's",
    "SQLite: no ROLLBACK hop without a transaction to roll back",
    "SQLite: a refused INSERT is rolled back",
]
REPLACED = ["a connection closed behind the pool's back is replaced"]
PINGED = ["no pre-ping on a connection used a moment ago; one after idle"]


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def database(request: pytest.FixtureRequest, tmp_path: Path, blog_project: Path) -> Iterator[str]:
    """A new, empty database; dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'trips.db'}"
        return
    srv = server(request.param)
    url = srv.database_url(srv.fresh_name("trips"))
    forge("db", "create", cwd=blog_project, env={"DATABASE_URL": url})
    try:
        yield url
    finally:
        forge("db", "drop", "--yes", cwd=blog_project, env={"DATABASE_URL": url}, check=False)


def test_statements_per_request(blog_project: Path, database: str) -> None:
    result = run(
        [sys.executable, str(DRIVER)],
        cwd=blog_project,
        env=project_env(blog_project, DATABASE_URL=database),
        timeout=120,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    kind = "mysql" if database.startswith("mysql") else "returning"
    expected = {**COMMON, **UPDATE[kind]}
    if database.startswith("sqlite"):  # a Post is stored as sent: no RETURNING to fetch
        expected |= {"create": ["INSERT", "COMMIT"], "create conflict": ["INSERT", "SELECT"]}
    assert summary["statements"] == expected
    specific = {
        "sqlite": SQLITE_CHECKS + REPLACED,
        "postgresql": PINGED + REPLACED,
        "mysql": PINGED,
    }
    assert summary["checks"] == CHECKS + specific[database.split(":")[0].split("+")[0]]


def test_sqlite_writers_take_turns(blog_project: Path, tmp_path: Path) -> None:
    result = run(
        [sys.executable, str(TURNS), str(tmp_path)],
        cwd=blog_project,
        env=project_env(blog_project, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}"),
        timeout=120,
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        "concurrent writes all answered, in turn",
        "reads use the plain cursor, writes the turn-taking one",
        "a refused write releases its turn",
        "cancelled writes release their turn",
        "a second writer of the same thread waits a bounded time",
        "a turn per database file, given back by a dropped connection",
    ]


STORED_AS_SENT = """\
import json
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from app.core.entity import EntityInfo
from app.core.types import ExactDecimal

class Base(DeclarativeBase):
    pass

def table(name, kind):
    columns = {"__tablename__": name, "id": mapped_column(sa.Integer, primary_key=True),
               "value": mapped_column(kind), "__annotations__": {"id": Mapped[int]}}
    return type(name.title(), (Base,), columns)

kinds = {
    "text": sa.String(45),
    "inet_on_postgresql": sa.String(45).with_variant(postgresql.INET(), "postgresql"),
    "decimal": ExactDecimal(10, 2),
    "real": sa.Float(precision=24),
    "json": sa.JSON(),
    "timetz": sa.Time(timezone=True),
}
dialects = (sqlite.dialect(), postgresql.dialect(), mysql.dialect())
print(json.dumps({
    name: [info.stored_as_sent(d) for d in dialects]
    for name, info in ((name, EntityInfo(table(name, kind))) for name, kind in kinds.items())
}))
"""


def test_which_creates_are_stored_as_sent(blog_project: Path) -> None:
    """A create sends no RETURNING only where the database keeps the row as sent: judged on
    the type as declared and as the database gets it (a variant), per database (SQLite,
    PostgreSQL, MySQL: never, it has no INSERT ... RETURNING of ours)."""
    result = run([sys.executable, "-c", STORED_AS_SENT], blog_project, project_env(blog_project))
    assert json.loads(result.stdout) == {
        "text": [True, True, False],
        "inet_on_postgresql": [True, False, False],
        "decimal": [False, False, False],
        "real": [True, False, False],
        "json": [True, False, False],
        "timetz": [True, False, False],
    }
