"""`forge db backup` / `forge db restore` / `forge db clear-migration` on the shop example
with every Chinook row (15,607), on SQLite, PostgreSQL and MariaDB.

Chinook is loaded once (into SQLite, through the generated models by
tests/scripts/load_chinook.py), given values of the types Chinook lacks
(tests/scripts/restored_shop.py extras), and backed up; PostgreSQL and MariaDB get it by
restore, and are backed up in turn. Every backup must hold the same per-table checksums,
every restore (3 sources x 3 targets) must say it verified them, and the project's own
models must then read the same values back and insert new rows through the generated
CRUD classes with the next ids.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import forge, in_project, project_env, run
from tests.servers import Server, server
from tests.test_chinook import CHINOOK, LOAD_SCRIPT, TABLES, chinook_counts

# One worker runs the whole module, so its Chinook databases are built once.
pytestmark = pytest.mark.xdist_group("backup")

SCRIPT = Path(__file__).resolve().parent / "scripts" / "restored_shop.py"
KINDS = ("sqlite", "postgresql", "mysql")
TOTAL_ROWS = 15_607 + 1  # Chinook + the loyalty card the extras add


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@dataclass
class Databases:
    """Databases made for this module (dropped at its end) and the backups taken."""

    project: Path
    folder: Path
    servers: dict[str, Server] = field(default_factory=dict)
    made: list[tuple[Server, str]] = field(default_factory=list)
    backups: dict[str, Path] = field(default_factory=dict)

    def new(self, kind: str, label: str) -> str:
        if kind == "sqlite":
            return sqlite_url(self.folder / f"{label}.db")
        if kind not in self.servers:
            self.servers[kind] = server(kind)
        srv = self.servers[kind]
        name = srv.fresh_name(f"bk_{label}")
        charset = " CHARACTER SET utf8mb4" if kind == "mysql" else ""
        admin(srv, f"CREATE DATABASE {quote(kind, name)}{charset}")
        self.made.append((srv, name))
        return srv.database_url(name)

    def drop_all(self) -> None:
        for srv, name in self.made:
            admin(srv, f"DROP DATABASE IF EXISTS {quote(srv.kind, name)}")


def quote(kind: str, name: str) -> str:
    return f"`{name}`" if kind == "mysql" else f'"{name}"'


def admin(srv: Server, statement: str) -> None:
    """One statement on the server, in this process (cheaper than a forge command)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def work() -> None:
        engine = create_async_engine(srv.url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(work())


def db(project: Path, url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return forge("db", *args, cwd=project, env={"DATABASE_URL": url}, check=check)


def restored_facts(project: Path, url: str) -> dict[str, Any]:
    result = run(
        [sys.executable, str(SCRIPT), "check"],
        cwd=project,
        env=project_env(project, DATABASE_URL=url),
        timeout=120,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def manifest(path: Path) -> dict[str, Any]:
    with gzip.open(path, "rt", encoding="utf-8") as source:
        last = source.read().splitlines()[-1]
    return dict(json.loads(last)["manifest"])


def header(path: Path) -> dict[str, Any]:
    with gzip.open(path, "rt", encoding="utf-8") as source:
        return dict(json.loads(source.readline()))


def load_chinook(project: Path, database: Path) -> None:
    url = sqlite_url(database)
    in_project(project, "alembic", "upgrade", "head", DATABASE_URL=url)
    env = project_env(project, DATABASE_URL=url)
    run([sys.executable, str(LOAD_SCRIPT), str(CHINOOK)], cwd=project, env=env, timeout=120)
    run([sys.executable, str(SCRIPT), "extras"], cwd=project, env=env, timeout=120)


@pytest.fixture(scope="module")
def chinook_db(shop_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database of the shop example holding every Chinook row and the extras."""
    if not CHINOOK.is_file():
        pytest.skip(f"the Chinook sample database is not available at {CHINOOK}")
    database = tmp_path_factory.mktemp("chinook") / "chinook.db"
    load_chinook(shop_project, database)
    return database


@pytest.fixture(scope="module")
def databases(
    shop_project: Path, chinook_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Databases]:
    """One backup per database kind: SQLite's from the loaded file; PostgreSQL's from a
    restore of SQLite's; MariaDB's from a restore of PostgreSQL's."""
    dbs = Databases(shop_project, tmp_path_factory.mktemp("backups"))
    try:
        previous = sqlite_url(chinook_db)
        for kind in KINDS:
            if kind != "sqlite":
                url = dbs.new(kind, "source")
                db(shop_project, url, "restore", str(dbs.backups[KINDS[KINDS.index(kind) - 1]]),
                   "--yes")  # fmt: skip
                previous = url
            path = dbs.folder / f"{kind}.jsonl.gz"
            result = db(shop_project, previous, "backup", "-o", str(path))
            assert result.stdout.startswith(f"backed up {TOTAL_ROWS:,} rows of 12 tables from")
            assert result.stderr == ""  # no progress bar when stderr is not a terminal
            dbs.backups[kind] = path
        yield dbs
    finally:
        dbs.drop_all()


@pytest.fixture(scope="module")
def expected_facts(
    shop_project: Path, chinook_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The facts of the loaded SQLite database itself (read from a copy, since `check`
    inserts rows)."""
    copy = tmp_path_factory.mktemp("facts") / "copy.db"
    shutil.copy(chinook_db, copy)
    return restored_facts(shop_project, sqlite_url(copy))


def test_backups_of_the_three_databases_hold_the_same_values(databases: Databases) -> None:
    manifests = {kind: manifest(path) for kind, path in databases.backups.items()}
    assert manifests["sqlite"] == manifests["postgresql"] == manifests["mysql"]
    counts = {table: entry["rows"] for table, entry in manifests["sqlite"].items()}
    expected = {TABLES[name]: count for name, count in chinook_counts().items()}
    assert counts == expected | {"loyalty_card": 1}
    sources = {kind: header(path)["source"] for kind, path in databases.backups.items()}
    assert sources == {"sqlite": "sqlite", "postgresql": "postgresql", "mysql": "mysql"}
    revisions = {tuple(header(path)["revision"]) for path in databases.backups.values()}
    assert len(revisions) == 1 and len(next(iter(revisions))) == 1


@pytest.mark.parametrize("target", KINDS)
@pytest.mark.parametrize("source", KINDS)
def test_restore_every_backup_into_every_database(
    databases: Databases, expected_facts: dict[str, Any], source: str, target: str
) -> None:
    url = databases.new(target, f"{source[:2]}_{target[:2]}")
    result = db(databases.project, url, "restore", str(databases.backups[source]), "--yes")
    line = result.stdout.strip()
    assert "\n" not in line
    assert line.startswith(f"restored {TOTAL_ROWS:,} rows of 12 tables into {target} database")
    assert "(upgraded to it first)" in line  # a new database is brought to the revision
    assert "row counts and checksums verified for all 12 tables" in line
    if target != "sqlite":
        assert "11 key sequences advanced" in line
    # The project's own models read the same values; new rows get the next ids.
    facts = restored_facts(databases.project, url)
    assert facts["facts"] == expected_facts["facts"]
    assert all(got == want for got, want in facts["created"].values()), facts["created"]
    if source != target:
        return
    # A second restore into the now filled database is refused, and changes nothing.
    again = db(databases.project, url, "restore", str(databases.backups[source]), "--yes",
               check=False)  # fmt: skip
    assert again.returncode == 1
    assert again.stderr.count("\n") == 1
    assert re.match(r"error: .* is not empty \(table \w+ has [\d,]+ rows\)", again.stderr)
    assert restored_facts(databases.project, url)["facts"]["counts"]["artist"] == 275 + 1


def damaged_copies(good: Path, folder: Path) -> dict[str, Path]:
    """Backups damaged in the ways a disk, a network or a person damages files."""
    data = good.read_bytes()
    text = gzip.decompress(data).decode("utf-8")
    lines = text.splitlines(keepends=True)
    copies: dict[str, bytes] = {
        "truncated": data[: len(data) // 2],
        "flipped byte": data[:4000] + bytes([data[4000] ^ 0xFF]) + data[4001:],
        "not gzip": b"artist,name\n1,AC/DC\n",
        "no manifest": gzip.compress("".join(lines[:-1]).encode()),
        "edited row": gzip.compress(text.replace('"AC/DC"', '"AC-DC"', 1).encode()),
    }
    # A row edited and the content hash recomputed: the table's checksum still tells.
    edited = [line.replace('"AC/DC"', '"AC-DC"', 1) for line in lines[:-1]]
    footer = json.loads(lines[-1])
    footer["content"] = hashlib.sha256("".join(edited).encode()).hexdigest()
    copies["edited row, hash redone"] = gzip.compress(
        ("".join(edited) + json.dumps(footer) + "\n").encode()
    )
    paths = {}
    for name, content in copies.items():
        path = folder / (name.replace(" ", "_").replace(",", "") + ".jsonl.gz")
        path.write_bytes(content)
        paths[name] = path
    return paths


def test_damaged_backups_are_refused_and_the_target_unchanged(
    databases: Databases, tmp_path: Path
) -> None:
    target = tmp_path / "target.db"
    url = sqlite_url(target)
    db(databases.project, url, "upgrade")
    before = hashlib.sha256(target.read_bytes()).hexdigest()
    reasons = {}
    for name, path in damaged_copies(databases.backups["sqlite"], tmp_path).items():
        result = db(databases.project, url, "restore", str(path), "--yes", check=False)
        assert result.returncode == 1, (name, result.stdout, result.stderr)
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith(f"error: {path} is not a usable backup")
        assert result.stderr.rstrip().endswith("nothing was restored")
        reasons[name] = result.stderr
        assert hashlib.sha256(target.read_bytes()).hexdigest() == before, name
    assert "truncated" in reasons["truncated"]
    assert "no manifest" in reasons["no manifest"]
    assert "does not match its checksum" in reasons["edited row"]
    assert "table artist: rows or checksum differ" in reasons["edited row, hash redone"]
    missing = db(databases.project, url, "restore", str(tmp_path / "nope.gz"), "--yes",
                 check=False)  # fmt: skip
    assert (missing.returncode, missing.stderr) == (
        1,
        f"error: no backup file {tmp_path}/nope.gz\n",
    )


def test_restore_asks_for_confirmation(databases: Databases, tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "target.db")
    result = db(databases.project, url, "restore", str(databases.backups["sqlite"]), check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("error: restoring into sqlite database")
    assert "needs confirmation: pass --yes" in result.stderr
    assert not (tmp_path / "target.db").exists()


def test_backup_refuses_to_overwrite(databases: Databases, chinook_db: Path) -> None:
    path = databases.backups["sqlite"]
    before = path.read_bytes()
    result = db(databases.project, sqlite_url(chinook_db), "backup", "-o", str(path), check=False)
    assert result.returncode == 1
    assert (
        result.stderr == f"error: {path} already exists; choose another file with -o or delete it\n"
    )
    assert path.read_bytes() == before


# ----------------------------------------------------------------------------- history


def table_dump(database: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but alembic_version, read with sqlite3 (not forge)."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        names = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT IN ('alembic_version') AND name NOT LIKE 'sqlite_%' ORDER BY 1"
            )
        ]
        return {
            name: sorted(connection.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            for name in names
        }


def version_rows(database: Path) -> list[str]:
    with closing(sqlite3.connect(database)) as connection:
        return [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]


def revision_files(project: Path) -> list[Path]:
    return sorted((project / "alembic" / "versions").glob("*.py"))


@pytest.fixture(scope="module")
def five_revisions_once(
    shop_project: Path, chinook_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, str]:
    """A copy of the shop project whose database holds Chinook and has five revisions
    applied (the initial one and four that each add a column); the last upgrade is taken
    with --backup. Built once; each test gets its own copy (five_revisions)."""
    tmp_path = tmp_path_factory.mktemp("five")
    project = tmp_path / "shop"
    shutil.copytree(shop_project, project, ignore=shutil.ignore_patterns("*.db", "__pycache__"))
    database = tmp_path / "shop.db"
    shutil.copy(chinook_db, database)
    url = sqlite_url(database)
    for step in range(1, 5):
        forge("make", "entity", "Artist", "--field", f"extra{step}:str:40:nullable",
              "--no-input", cwd=project)  # fmt: skip
        db(project, url, "migrate", "-m", f"step {step}")
        if step < 4:
            db(project, url, "upgrade")
    upgraded = db(project, url, "upgrade", "--backup").stdout.splitlines()
    assert len(revision_files(project)) == 5
    return project, database, "\n".join(upgraded)


@pytest.fixture
def five_revisions(
    five_revisions_once: tuple[Path, Path, str], tmp_path: Path
) -> tuple[Path, Path, str]:
    """A fresh copy of five_revisions_once (project, database and its backup) for one test."""
    built, database, output = five_revisions_once
    project = tmp_path / "shop"
    shutil.copytree(built, project, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(database, tmp_path / "shop.db")
    return project, tmp_path / "shop.db", output


def test_upgrade_backup_names_a_restorable_backup(five_revisions: tuple[Path, Path, str]) -> None:
    project, _database, output = five_revisions
    match = re.search(r"to (backups/shop-\d{8}-\d{6}\.jsonl\.gz) \(", output)
    assert match, output
    assert f"forge db restore {match.group(1)}" in output
    taken = project / match.group(1)
    # Taken before the upgrade: at revision 4, without the column revision 5 adds.
    columns = {t["name"]: [c[0] for c in t["columns"]] for t in header(taken)["tables"]}
    assert "extra3" in columns["artist"] and "extra4" not in columns["artist"]
    # The generated .gitignore keeps backups out of git.
    run(["git", "init", "-q"], cwd=project)
    run(["git", "check-ignore", "-q", match.group(1)], cwd=project)
    # Restore the backup into an empty database at revision 2: upgraded to 4 first.
    target = project / "older.db"
    url = sqlite_url(target)
    revisions = [path.name.split("_")[0] for path in revision_files(project)]
    second = in_project(project, "alembic", "history", DATABASE_URL=url).stdout
    step2 = re.search(r"-> (\w+)[^\n]*step 2", second)
    assert step2 and step2.group(1) in revisions
    db(project, url, "upgrade", step2.group(1))
    restored = db(project, url, "restore", match.group(1), "--yes").stdout
    assert "(upgraded to it first)" in restored and "verified" in restored
    # Into a database at head (revision 5) it is refused: downgrade or use a new database.
    newer = sqlite_url(project / "newer.db")
    db(project, newer, "upgrade")
    refused = db(project, newer, "restore", match.group(1), "--yes", check=False)
    assert refused.returncode == 1
    assert "but the backup was taken at" in refused.stderr
    assert "run `forge db downgrade" in refused.stderr and refused.stderr.count("\n") == 1


def test_clear_migration(five_revisions: tuple[Path, Path, str]) -> None:
    project, database, _ = five_revisions
    url = sqlite_url(database)
    data = table_dump(database)
    old_files = {path.name: path.read_text() for path in revision_files(project)}

    def refused(*args: str) -> str:
        result = db(project, url, "clear-migration", *args, check=False)
        assert result.returncode != 0 and result.stderr.count("\n") == 1, result
        assert {path.name for path in revision_files(project)} == set(old_files)
        assert table_dump(database) == data
        return result.stderr

    # Refused without a terminal unless --yes.
    assert refused() == "error: clear-migration needs confirmation: pass --yes\n"
    # Refused when the database is not at head.
    db(project, url, "downgrade")
    data = table_dump(database)  # the downgrade dropped revision 5's (empty) column
    assert "not at head" in refused("--yes") and "run `forge db upgrade` first" in refused("--yes")
    db(project, url, "upgrade")
    data = table_dump(database)
    # Refused when the database and the models differ, naming the difference.
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("ALTER TABLE artist ADD COLUMN nickname VARCHAR(20)")
        connection.commit()
    data = table_dump(database)
    message = refused("--yes")
    assert "the models and sqlite database" in message
    assert "artist.nickname: column in the database is not in the spec" in message
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("ALTER TABLE artist DROP COLUMN nickname")
        connection.commit()
    data = table_dump(database)

    result = db(project, url, "clear-migration", "--yes")
    files = revision_files(project)
    assert len(files) == 1
    baseline = files[0].name.split("_")[0]
    assert result.stdout.startswith(f"replaced 5 revisions by baseline {baseline} ")
    assert "its data untouched" in result.stdout
    assert version_rows(database) == [baseline]
    assert table_dump(database) == data
    kept = next((project / "backups").glob("revisions-*"))
    assert {path.name: path.read_text() for path in kept.glob("*.py")} == old_files
    # The models and the database agree; status shows the baseline applied.
    in_project(project, "alembic", "check", DATABASE_URL=url)
    status = db(project, url, "status").stdout
    assert re.search(rf"^{baseline}\s+applied\s+baseline\s+\(head, current\)$", status, re.M)
    assert f"current: {baseline}; 0 pending\nschema: matches the spec\n" in status
    assert db(project, url, "check").stdout.endswith("matches the spec\n")
    # The baseline alone builds the same schema in a new database.
    fresh = project / "fresh.db"
    db(project, sqlite_url(fresh), "upgrade")
    in_project(project, "alembic", "check", DATABASE_URL=sqlite_url(fresh))
    db(project, sqlite_url(fresh), "check")
    assert set(table_dump(fresh)) == set(data)
    # And downgrades to nothing.
    db(project, sqlite_url(fresh), "downgrade", "base")
    assert set(table_dump(fresh)) == set()

    # --hard: Framefox's behaviour, with its warning; the tables and rows stay.
    hard = db(project, url, "clear-migration", "--hard", "--yes")
    assert hard.stdout.startswith("removed 1 revisions and cleared alembic_version")
    assert revision_files(project) == []
    assert version_rows(database) == []
    assert table_dump(database) == data
    assert "no revisions yet" in db(project, url, "status").stdout
    nothing = db(project, url, "clear-migration", "--yes", check=False)
    assert (nothing.returncode, nothing.stderr) == (1, "error: there are no revisions to clear\n")


# ----------------------------------------------------------------------------- units


def test_canonical_values_do_not_depend_on_the_database() -> None:
    """What each database driver hands back for the same value encodes the same way."""
    import datetime as dt
    import enum
    import uuid
    from decimal import Decimal

    import sqlalchemy as sa

    from generator.backup import decode, describe_column, encode

    class Status(enum.Enum):
        PAID = "paid"

    cases: list[tuple[Any, list[Any], Any]] = [
        # (column type, values different drivers return, canonical form)
        (sa.Numeric(10, 2), [Decimal("0.99"), Decimal("0.9900000000"), 0.99], "0.99"),
        (
            sa.DateTime(timezone=True),
            [
                dt.datetime(2021, 1, 1, 8, 0),
                dt.datetime(2021, 1, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
                dt.datetime(2021, 1, 1, 8, 0, tzinfo=dt.UTC),
            ],
            "2021-01-01T08:00:00",
        ),
        (sa.Uuid(), [uuid.UUID(int=1), "00000000000000000000000000000001"], str(uuid.UUID(int=1))),
        (sa.LargeBinary(), [b"\x00\xff", bytearray(b"\x00\xff"), memoryview(b"\x00\xff")], "AP8="),
        (sa.JSON(), [{"a": [1, None]}, '{"a": [1, null]}'], {"a": [1, None]}),
        (sa.Boolean(), [True, 1], True),
        (
            sa.Enum(Status, values_callable=lambda members: [m.value for m in members]),
            [Status.PAID, "paid"],
            "paid",
        ),
        (sa.Enum(Status), [Status.PAID, "PAID"], "PAID"),
        (sa.Time(), [dt.time(8, 30)], "08:30:00"),
        # PostgreSQL pads a CHAR(n) value to n; MySQL and SQLite hand back what was stored
        (sa.CHAR(10), ["en ", "en        ", "en"], "en"),
        (sa.CHAR(10), [" en"], " en"),  # only the trailing padding goes
        (sa.String(10), ["en "], "en "),  # a VARCHAR's trailing spaces are data
    ]
    for column_type, values, canonical in cases:
        column = describe_column("c", column_type)
        assert [encode(column, value, column_type) for value in values] == [canonical] * len(
            values
        ), column_type
        back = decode(column, canonical, bool(getattr(column_type, "timezone", False)))
        assert encode(column, back, column_type) == canonical


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from generator.backup import Progress

    for terminal in (True, False):
        stream = io.StringIO()
        monkeypatch.setattr(stream, "isatty", lambda terminal=terminal: terminal, raising=False)
        monkeypatch.setattr(sys, "stderr", stream)
        progress = Progress(2000, "backup ")
        progress.advance(1000, "artist")
        progress.close()
        text = stream.getvalue()
        if terminal:
            assert "backup  [###############...............] 1,000/2,000 rows  artist" in text
            assert text.endswith("\r")  # the bar is wiped before the summary line
        else:
            assert text == ""
