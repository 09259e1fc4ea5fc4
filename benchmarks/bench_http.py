"""Are the generated routes as fast as hand-written ones? Printed figures and ratios from
one run.

A project is generated from a one-entity spec (SPEC below) into a temporary folder, and
its migration is made and applied the way a user does it (`alembic revision
--autogenerate`, `alembic upgrade head`). The yardstick is benchmarks/handwritten_app.py:
a minimal FastAPI + SQLAlchemy (async) app serving the same table with the same pool, the
same commit-before-response rule, the same input checks and the same response bodies
(checked here before timing: the same requests to both apps must get the same statuses
and, ids and timestamps aside, the same JSON). Each app runs under uvicorn, one worker, in
its own process, on its own database seeded with the same rows.

The rounds are split over --processes pairs of fresh server processes, and the two
databases are swapped between pairs. Identical code in two processes (the hand-written
app against itself, --control) scored 0.945 to 1.072 from one run to the next when one
pair served a whole run: each process has its own speed (hash seed, memory layout, the
core it shares with the client and the database), and each database its own (the original
or its copy). Several pairs, half of them on swapped databases, average that out.

The client (aiohttp, in this process, --connections connections) sends the same
requests to both apps, operation by operation, in interleaved rounds (generated then
hand-written, then the other way round): create (POST), get by id, list (a page of 20
from a few thousand rows, at random pages), update (PATCH). Within a round the apps take
turns of --chunk requests (A B B A A B ...): on a shared machine a slowdown lasting a
second or more then falls on both apps, where with one app's whole batch after the
other's it fell on one of them. On identical code (--control, SQLite) the middle half
of the rounds' ratios went from about +-0.05-0.10 around 1 to +-0.02-0.05 (section 17
of HTTP_FINDINGS.md). Printed per operation and
database: requests/s (median of the rounds), p50 and p99 latency (all rounds), and the
ratio generated / hand-written (median of the rounds' ratios; target >= 0.95). That the
client is not the bottleneck is shown in the same run: the CPU it used while timing, and
what it reaches against a trivial endpoint (GET /health) of the same server.

On SQLite always, and on PostgreSQL when a server answers at FORGE_TEST_POSTGRES_URL
(default postgresql+asyncpg://postgres@127.0.0.1:5432/test), in scratch databases created
and dropped here; the project is generated with each ORM in turn (--orms): SQLAlchemy,
the hand-written app's own, and SQLModel, forge's default. The exit status is 0 whatever
the figures (it is a benchmark).

    python benchmarks/bench_http.py [--quick] [--rounds 20] [--requests 400]
        [--chunk 40] [--processes 4] [--control] [--databases sqlite,postgresql]
        [--orms sqlalchemy,sqlmodel]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.util
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET = 0.95
OPERATIONS = ("create", "get", "list", "update")
APPS = ("generated", "hand-written")
PAGE_SIZE = 20
POOL = {"POOL_SIZE": "5", "POOL_MAX_OVERFLOW": "10", "POOL_TIMEOUT": "30", "POOL_PRE_PING": "true"}
SCRATCH = ("forge_bench_http_gen", "forge_bench_http_hand")
CONTROL = "control"  # --control: the hand-written app in both places
WARM_UP = 100  # requests per operation and app before a new pair of processes is timed
SPEC = """\
project:
  name: benchapp
  database: sqlite
  orm: sqlmodel
entities:
  Item:
    timestamps: true
    fields:
      name: {type: str, max_length: 100}
      description: {type: text, nullable: true}
      quantity: {type: int, default: 0}
      is_active: {type: bool, default: true}
"""

Request = tuple[str, str, bytes | None]  # method, path, JSON body


def handwritten() -> ModuleType:
    """benchmarks/handwritten_app.py (its table seeds both databases)."""
    module = sys.modules.get("handwritten_app")
    if module is None:
        spec = importlib.util.spec_from_file_location(
            "handwritten_app", HERE / "handwritten_app.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["handwritten_app"] = module
        spec.loader.exec_module(module)
    return module


# -- setting up: the project, the databases, the servers


def run(command: Sequence[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def generate(folder: Path, database: str, orm: str) -> Path:
    spec = folder / "forge.yaml"
    spec.write_text(SPEC.replace("orm: sqlmodel", f"orm: {orm}"), encoding="utf-8")
    project = folder / f"generated_{database}"
    run(
        [sys.executable, "-m", "generator", "new", str(project), "--spec", str(spec),
         "--database", database, "--defaults"],
        folder, {**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    return project


def migrate(project: Path, url: str) -> None:
    """Make the first migration against the database, and apply it."""
    env = {**os.environ, "PYTHONPATH": str(project), "DATABASE_URL": url}
    alembic = [sys.executable, "-m", "alembic"]
    run([*alembic, "revision", "--autogenerate", "-m", "initial"], project, env)
    run([*alembic, "upgrade", "head"], project, env)


def seed_rows(count: int) -> list[dict[str, Any]]:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return [
        {
            "name": f"item {i}",
            "description": None if i % 3 == 0 else f"the description of item {i}",
            "quantity": i % 100,
            "is_active": i % 2 == 0,
            "created_at": start + dt.timedelta(seconds=i),
            "updated_at": start + dt.timedelta(seconds=i),
        }
        for i in range(1, count + 1)
    ]


async def seed(url: str, count: int) -> None:
    from sqlalchemy import insert
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(handwritten().Item), seed_rows(count))
    finally:
        await engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One app under uvicorn (one worker) in its own process."""

    def __init__(self, label: str, target: str, cwd: Path, url: str, log: Path) -> None:
        self.label = label
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, **POOL, "PYTHONPATH": str(cwd), "DATABASE_URL": url}
        env["ECHO"] = "false"
        # Keep-alive outlasts the other app's phases: an idle connection closed by the
        # server just as the client reuses it would be an error that is no one's speed.
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1",
                 "--port", str(self.port), "--workers", "1", "--no-access-log",
                 "--log-level", "warning", "--timeout-keep-alive", "600"],
                cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    async def wait(self, session: aiohttp.ClientSession, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.label} app exited:\n{self.log.read_text()}")
            try:
                async with session.get(self.base + "/health") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.label} app did not answer:\n{self.log.read_text()}")
            await asyncio.sleep(0.1)

    def cpu(self) -> float:
        """CPU seconds used by the server process so far (Linux; 0 elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1]
        except OSError:
            return 0.0
        utime, stime = fields.split()[11:13]
        return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Databases:
    """The two databases of one run: the generated app's, migrated and seeded first, and
    the hand-written app's, a copy of it (the same table, the same rows)."""

    def __init__(self, urls: tuple[str, str]) -> None:
        self.urls = urls

    def copy(self) -> None:
        raise NotImplementedError


class SQLiteFiles(Databases):
    def __init__(self, folder: Path) -> None:
        self.files = (folder / "generated.db", folder / "handwritten.db")
        generated, handwritten = (f"sqlite+aiosqlite:///{file}" for file in self.files)
        super().__init__((generated, handwritten))

    def copy(self) -> None:
        shutil.copyfile(*self.files)


class PostgresDatabases(Databases):
    """Scratch databases on the server, dropped at the end (drop())."""

    def __init__(self, server_url: str) -> None:
        from sqlalchemy.engine import make_url

        url = make_url(server_url)
        self.dsn = url.set(drivername="postgresql", database="postgres").render_as_string(
            hide_password=False
        )
        generated, handwritten = (
            url.set(database=name).render_as_string(hide_password=False) for name in SCRATCH
        )
        super().__init__((generated, handwritten))

    def execute(self, *statements: str) -> None:
        import asyncpg  # type: ignore[import-untyped]

        async def execute() -> None:
            connection = await asyncpg.connect(self.dsn, timeout=5)
            try:
                for statement in statements:
                    await connection.execute(statement)
            finally:
                await connection.close()

        asyncio.run(execute())

    def create(self) -> bool:
        """Create the generated app's database; False when no server answers."""
        import asyncpg

        try:
            self.drop()
            self.execute(f"CREATE DATABASE {SCRATCH[0]}")
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        return True

    def copy(self) -> None:
        """The copy, then both databases told not to wait for the disk at commit: each
        commit still happens before the response, but its time no longer includes the
        flush of the write-ahead log, whose time depends on the disk and on whatever else
        writes to it (identical code scored 0.94-1.04 with --control while it waited)."""
        self.execute(
            f"CREATE DATABASE {SCRATCH[1]} TEMPLATE {SCRATCH[0]}",
            *(f"ALTER DATABASE {name} SET synchronous_commit = off" for name in SCRATCH),
        )

    def drop(self) -> None:
        self.execute(*(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)" for name in SCRATCH))


# -- the requests


def body(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode()


def requests(operation: str, count: int, rows: int, rng: random.Random, tag: str) -> list[Request]:
    """`count` requests of one operation (the same list goes to both apps)."""
    if operation == "create":
        return [
            ("POST", "/items", body({
                "name": f"bench {tag}-{k}",
                "description": None if k % 2 else f"created by the benchmark ({k})",
                "quantity": k % 1000,
                "is_active": k % 3 != 0,
            }))  # fmt: skip
            for k in range(count)
        ]
    if operation == "get":
        return [("GET", f"/items/{rng.randint(1, rows)}", None) for _ in range(count)]
    if operation == "list":
        pages = max(1, rows // PAGE_SIZE)
        return [
            ("GET", f"/items?page={rng.randint(1, pages)}&size={PAGE_SIZE}", None)
            for _ in range(count)
        ]
    assert operation == "update"
    return [
        ("PATCH", f"/items/{rng.randint(1, rows)}",
         body({"quantity": k, "description": f"updated {tag}-{k}"}))
        for k in range(count)
    ]  # fmt: skip


EXPECTED = {"create": 201, "get": 200, "list": 200, "update": 200}


@dataclass
class Phase:
    """One operation, one app, one round."""

    wall: float
    latencies: list[float]
    client_cpu: float
    server_cpu: float
    failures: dict[int | str, int]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall


async def drive(
    session: aiohttp.ClientSession,
    server: Server,
    batch: Sequence[Request],
    connections: int,
    expected: int,
) -> Phase:
    latencies = [0.0] * len(batch)
    failures: dict[int | str, int] = {}
    pending = iter(range(len(batch)))
    headers = {"Content-Type": "application/json"}

    async def worker() -> None:
        for index in pending:
            method, path, data = batch[index]
            start = time.perf_counter()
            try:
                async with session.request(
                    method, server.base + path, data=data, headers=headers
                ) as response:
                    await response.read()
                    status: int | str = response.status
            except aiohttp.ClientError as error:
                status = type(error).__name__
            latencies[index] = time.perf_counter() - start
            if status != expected:
                failures[status] = failures.get(status, 0) + 1

    server_cpu = server.cpu()
    client_cpu = time.process_time()
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    wall = time.perf_counter() - start
    return Phase(
        wall,
        latencies,
        time.process_time() - client_cpu,
        server.cpu() - server_cpu,
        failures,
    )


async def interleaved(
    session: aiohttp.ClientSession,
    servers: Sequence[Server],
    order: tuple[int, int],
    batch: Sequence[Request],
    options: argparse.Namespace,
    expected: int,
) -> tuple[Phase, Phase]:
    """One round of one operation: the batch sent to both apps (servers[order[0]], then
    servers[order[1]]) in chunks of --chunk requests that alternate A B B A A B ..., so
    that a slowdown of the machine lasting a second or more falls on both apps alike.
    Each app's chunks are added up into its phase for the round."""
    chunks: dict[int, list[Phase]] = {which: [] for which in order}
    for number, start in enumerate(range(0, len(batch), options.chunk)):
        part = batch[start : start + options.chunk]
        for which in order if number % 2 == 0 else order[::-1]:
            chunks[which].append(
                await drive(session, servers[which], part, options.connections, expected)
            )
    first, second = (merged(chunks[which]) for which in order)
    return first, second


def merged(phases: Sequence[Phase]) -> Phase:
    """One phase out of consecutive chunks of one app's requests."""
    failures: dict[int | str, int] = {}
    for phase in phases:
        for status, count in phase.failures.items():
            failures[status] = failures.get(status, 0) + count
    return Phase(
        sum(phase.wall for phase in phases),
        [latency for phase in phases for latency in phase.latencies],
        sum(phase.client_cpu for phase in phases),
        sum(phase.server_cpu for phase in phases),
        failures,
    )


# -- the same answers from both apps


IGNORED = ("id", "created_at", "updated_at")


def shape(value: Any) -> Any:
    """The JSON with ids and timestamps masked: an id is any integer, a timestamp keeps
    its format (digits masked)."""
    if isinstance(value, list):
        return [shape(item) for item in value]
    if isinstance(value, dict):
        masked = {}
        for key, item in value.items():
            if key == "id" and isinstance(item, int):
                masked[key] = "<id>"
            elif key in IGNORED and isinstance(item, str):
                masked[key] = re.sub(r"\d", "0", item)
            else:
                masked[key] = shape(item)
        return masked
    return value


@dataclass
class Check:
    request: str
    statuses: tuple[int, int]
    bodies: tuple[Any, Any]  # shaped JSON (None for an error answer)

    @property
    def same(self) -> bool:
        return self.statuses[0] == self.statuses[1] and self.bodies[0] == self.bodies[1]


async def compare(session: aiohttp.ClientSession, servers: Sequence[Server]) -> list[Check]:
    """The same requests to both apps: the same statuses, and for a success the same
    JSON (ids and timestamps masked). The error bodies are not compared: the generated
    app has its own error shape, the hand-written one FastAPI's."""
    ids: list[int] = []
    checks: list[Check] = []

    async def ask(method: str, path: str, data: Any = None) -> list[Any]:
        answers = []
        for server, id in zip(servers, ids or [0, 0], strict=True):
            async with session.request(
                method, server.base + path.replace("{id}", str(id)), json=data
            ) as response:
                answers.append((response.status, await response.json()))
        (status_a, json_a), (status_b, json_b) = answers
        ok = status_a < 300 and status_b < 300
        checks.append(
            Check(
                f"{method} {path} {json.dumps(data) if data is not None else ''}".strip(),
                (status_a, status_b),
                (shape(json_a), shape(json_b)) if ok else (None, None),
            )
        )
        return [answer[1] for answer in answers]

    created = await ask(
        "POST",
        "/items",
        {"name": "compared", "description": "the same?", "quantity": 7, "is_active": False},
    )
    ids.extend(int(answer.get("id", 0)) for answer in created)
    await ask("GET", "/items/{id}")
    await ask("GET", f"/items?page=2&size={PAGE_SIZE}")
    await ask("GET", "/items?page=1&size=3")
    await ask("GET", "/items?page=100000&size=20")  # past the end, with the total
    await ask("GET", "/items?quantity__gte=50&is_active=true&order_by=-quantity,name&size=5")
    await ask("PATCH", "/items/{id}", {"quantity": 8, "description": None})
    await ask("PATCH", "/items/{id}", {"name": "renamed", "is_active": True})
    await ask("GET", "/items/{id}")
    # refusals: the same statuses
    await ask("POST", "/items", {"name": "x" * 101})
    await ask("POST", "/items", {"name": "five", "quantity": "5"})
    await ask("POST", "/items", {"name": "n", "is_active": 1})
    await ask("POST", "/items", {"name": "n", "quantity": 2**31})
    await ask("PATCH", "/items/{id}", {"name": None})
    await ask("GET", "/items/2000000000")
    await ask("PATCH", "/items/2000000000", {"quantity": 1})
    await ask("GET", "/items?page=1&size=101")
    await ask("GET", "/items?colour=red")  # an unknown query parameter
    await ask("GET", "/items/0")
    return checks


# -- one database


@dataclass
class Result:
    database: str
    rounds: int
    requests: int
    connections: int
    checks: list[Check] = field(default_factory=list)
    phases: dict[tuple[str, str], list[Phase]] = field(default_factory=dict)
    trivial: float = 0.0  # GET /health, requests/s
    trivial_cpu: float = 0.0  # the client's CPU share meanwhile
    orm: str = "sqlmodel"  # the generated project's, or CONTROL
    processes: int = 1  # pairs of server processes the rounds were split over
    chunk: int = 0  # requests to one app before the other's turn, within a round
    # each pair's databases (generated app's, hand-written app's): swapped every other pair
    placements: list[tuple[str, str]] = field(default_factory=list)

    def rate(self, operation: str, app: str) -> float:
        return statistics.median(phase.rate for phase in self.phases[operation, app])

    def latency(self, operation: str, app: str, quantile: float) -> float:
        values = sorted(v for phase in self.phases[operation, app] for v in phase.latencies)
        return values[min(len(values) - 1, int(quantile * len(values)))] * 1000

    def ratios(self, operation: str) -> list[float]:
        """Each round's ratio generated / hand-written requests/s."""
        pairs = zip(self.phases[operation, APPS[0]], self.phases[operation, APPS[1]], strict=True)
        return [a.rate / b.rate for a, b in pairs]

    def ratio(self, operation: str) -> float:
        return statistics.median(self.ratios(operation))

    def failures(self) -> list[str]:
        found = []
        for (operation, app), phases in self.phases.items():
            merged: dict[int | str, int] = {}
            for phase in phases:
                for status, count in phase.failures.items():
                    merged[status] = merged.get(status, 0) + count
            if merged:
                found.append(f"{app} {operation}: {merged}")
        return found

    def shares(self, attribute: str) -> tuple[float, float]:
        """Mean and largest share of one core used while timing (client or servers)."""
        values = [
            getattr(phase, attribute) / phase.wall
            for phases in self.phases.values()
            for phase in phases
        ]
        return statistics.mean(values), max(values)

    def per_request(self, attribute: str) -> float:
        """CPU milliseconds per request (client or servers), over every timed phase."""
        phases = [phase for phases in self.phases.values() for phase in phases]
        cpu = sum(float(getattr(phase, attribute)) for phase in phases)
        return cpu / sum(len(phase.latencies) for phase in phases) * 1000


async def measure(
    result: Result,
    servers: Sequence[Server],
    rounds: int,
    options: argparse.Namespace,
    first: bool,
) -> None:
    """`rounds` timed rounds (after a warm-up) of one pair of server processes, added to
    `result`; the first pair also compares the answers, and the client alone is timed
    against a trivial route once, in the middle of the run."""
    connector = aiohttp.TCPConnector(limit=options.connections, force_close=False)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(server.wait(session) for server in servers))
        if first:
            result.checks = await compare(session, servers)
        rng = random.Random(13 + len(result.phases.get((options.operations[0], APPS[0]), [])))
        health = [("GET", "/health", None)] * max(200, options.requests)
        for round_ in range(rounds + 1):  # round 0 warms up
            warm_up = round_ == 0
            count = min(options.requests, WARM_UP) if warm_up else options.requests
            done = len(result.phases.get((options.operations[0], APPS[0]), []))
            for index, operation in enumerate(options.operations):
                batch = requests(operation, count, options.seed_rows, rng, f"{done}-{round_}")
                order = (0, 1) if (done + index) % 2 == 0 else (1, 0)
                phases = await interleaved(
                    session, servers, order, batch, options, EXPECTED[operation]
                )
                for which, phase in zip(order, phases, strict=True):
                    if not warm_up:
                        result.phases.setdefault((operation, APPS[which]), []).append(phase)
            if not warm_up and not result.trivial and done + 1 >= result.rounds // 2:
                phase = await drive(session, servers[1], health, options.connections, 200)
                result.trivial = phase.rate
                result.trivial_cpu = phase.client_cpu / phase.wall


def shares(total: int, parts: int) -> list[int]:
    """`total` rounds over `parts` pairs of processes, as evenly as can be."""
    return [total // parts + (1 if part < total % parts else 0) for part in range(parts)]


def bench_database(
    database: str, orm: str, folder: Path, options: argparse.Namespace
) -> Result | None:
    """One database, one ORM (or CONTROL: the hand-written app in both places).

    The run is split over `--processes` pairs of fresh server processes, and each pair
    after the first swaps the two databases: a process's own speed (its hash seed, where
    its memory lands, the core it shares) and a database's (the original or its copy)
    would otherwise follow one app through the whole run and bias its ratio by a few
    per cent either way (`--control` shows it)."""
    databases: Databases
    with ExitStack() as stack:
        if database == "sqlite":
            databases = SQLiteFiles(folder)
        else:
            databases = postgres = PostgresDatabases(options.postgres_url)
            if not postgres.create():
                print(f"postgresql: skipped (no server at {options.postgres_url})", flush=True)
                return None
            stack.callback(postgres.drop)
        first_url, second_url = databases.urls
        if orm == CONTROL:
            place, target = HERE, "handwritten_app:app"
            asyncio.run(create_table(first_url))
        else:
            place, target = generate(folder, database, orm), "app.main:app"
            migrate(place, first_url)
        asyncio.run(seed(first_url, options.seed_rows))
        databases.copy()
        result = Result(database, options.rounds, options.requests, options.connections)
        result.orm = orm
        result.processes = min(options.processes, options.rounds)
        result.chunk = min(options.chunk, options.requests)
        for pair, rounds in enumerate(shares(options.rounds, result.processes)):
            urls = (first_url, second_url) if pair % 2 == 0 else (second_url, first_url)
            result.placements.append(urls)
            servers = [
                Server("generated", target, place, urls[0], folder / f"generated-{pair}.log"),
                Server("hand-written", "handwritten_app:app", HERE, urls[1],
                       folder / f"hand-{pair}.log"),
            ]  # fmt: skip
            try:
                asyncio.run(measure(result, servers, rounds, options, first=pair == 0))
            finally:
                for server in servers:
                    server.stop()
        return result


async def create_table(url: str) -> None:
    """The hand-written app's table, for the control run (no generated project)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(handwritten().Base.metadata.create_all)
    finally:
        await engine.dispose()


# -- the report


def table(result: Result) -> str:
    control = result.orm == CONTROL
    subject = (
        "control, the hand-written app against itself"
        if control
        else f"generated with orm: {result.orm}"
    )
    lines = [
        f"{result.database}, {subject}: {result.rounds} interleaved rounds of "
        f"{result.requests} requests per operation and app (in turns of {result.chunk}), "
        f"{result.connections} connections, "
        f"{result.processes} pair(s) of server processes (after a warm-up each)",
        f"{'':10}{'hand-written' if control else 'generated':>28}{'hand-written':>30}",
        f"{'operation':10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'req/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}  target >= {TARGET}"
        "  rounds' ratios",
    ]
    for operation in OPERATIONS:
        if (operation, APPS[0]) not in result.phases:
            continue
        figures = []
        for app in APPS:
            figures.append(
                f"{result.rate(operation, app):>{10 if app == APPS[0] else 12}.1f}"
                f"{result.latency(operation, app, 0.50):>9.1f}"
                f"{result.latency(operation, app, 0.99):>9.1f}"
            )
        ratio = result.ratio(operation)
        verdict = "meets" if ratio >= TARGET else "below"
        spread = "-"
        if len(result.ratios(operation)) > 1:
            low, _, high = statistics.quantiles(result.ratios(operation), n=4)
            spread = f"{low:.3f}-{high:.3f}"
        lines.append(f"{operation:10}{''.join(figures)}{ratio:>8.3f}  {verdict:16}{spread}")
    lines.append(
        "ratio: generated / hand-written requests/s, the median of the rounds' ratios (each "
        "round times both apps back to back); rounds' ratios: their middle half (first to "
        "third quartile)"
    )
    client_mean, client_max = result.shares("client_cpu")
    server_mean, _ = result.shares("server_cpu")
    lines.append(
        f"client: {client_mean:.0%} of one core on average while timing (at most "
        f"{client_max:.0%}), {result.per_request('client_cpu'):.2f} ms CPU per request; "
        f"server: {server_mean:.0%}, {result.per_request('server_cpu'):.2f} ms CPU per request"
    )
    lines.append(
        f"client alone: GET /health {result.trivial:.0f} requests/s "
        f"(client at {result.trivial_cpu:.0%} of one core)"
    )
    same = [check for check in result.checks if check.same]
    lines.append(
        f"same answers from both apps: {len(same)} of {len(result.checks)} requests "
        "(statuses; JSON with ids and timestamps masked)"
    )
    for check in result.checks:
        if not check.same:
            lines.append(f"  differs: {check.request}: {check.statuses} {check.bodies}")
    for failure in result.failures():
        lines.append(f"  unexpected answers (its figures do not compare): {failure}")
    return "\n".join(lines)


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a short run (2 rounds)")
    parser.add_argument("--rounds", type=int, help="timed rounds (default 20, quick 2)")
    parser.add_argument(
        "--requests", type=int, help="requests per operation, app and round (400, quick 100)"
    )
    parser.add_argument("--connections", type=int, default=5, help="client connections (5)")
    parser.add_argument(
        "--seed-rows", type=int, help="rows in each table before timing (3000, quick 1000)"
    )
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="sqlite,postgresql (both by default)"
    )
    parser.add_argument(
        "--orms",
        default="sqlalchemy,sqlmodel",
        help="the generated project's ORM: sqlalchemy (the hand-written app's), sqlmodel "
        "(forge's default); both by default",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "FORGE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument(
        "--operations", default=",".join(OPERATIONS), help="create,get,list,update (all)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        help="pairs of fresh server processes the rounds are split over, the databases "
        "swapped between pairs (default 4, quick 1)",
    )
    parser.add_argument(
        "--chunk",
        type=int,
        help="requests sent to one app before the other takes its turn, within a round "
        "(default 40, quick 10)",
    )
    parser.add_argument(
        "--control",
        action="store_true",
        help="also time the hand-written app against itself on each database: the ratio "
        "identical code gets from this method (1.000 but for noise)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the projects, SQLite files and server logs; print where",
    )
    options = parser.parse_args(argv)
    quick = options.quick
    options.rounds = options.rounds or (2 if quick else 20)
    options.processes = max(1, options.processes or (1 if quick else 4))
    options.requests = options.requests or (100 if quick else 400)
    options.chunk = max(1, options.chunk or (10 if quick else 40))
    options.seed_rows = options.seed_rows or (1000 if quick else 3000)
    choices = (
        ("databases", ("sqlite", "postgresql")),
        ("orms", ("sqlalchemy", "sqlmodel")),
        ("operations", OPERATIONS),
    )
    for name, allowed in choices:
        values = [value.strip() for value in getattr(options, name).split(",") if value.strip()]
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            parser.error(f"--{name}: unknown {', '.join(unknown)}; allowed: {', '.join(allowed)}")
        setattr(options, name, values)
    return options


def bench(options: argparse.Namespace) -> list[Result]:
    """Every database of the options, a table printed after each."""
    results = []
    folder = Path(tempfile.mkdtemp(prefix="forge-bench-http-"))
    try:
        for database in options.databases:
            for orm in options.orms + ([CONTROL] if options.control else []):
                place = folder / f"{database}-{orm}"
                place.mkdir()
                result = bench_database(database, orm, place, options)
                if result is not None:
                    print(table(result) + "\n", flush=True)
                    results.append(result)
    finally:
        if options.keep:
            print(f"kept in {folder}", flush=True)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """0 whatever the figures (a benchmark); 1 when it cannot run (a project that does not
    generate or migrate, an app that does not start)."""
    options = parse(argv)
    try:
        bench(options)
    except RuntimeError as error:
        print(f"bench_http: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
