"""benchmarks/bench_http.py works: a short run on SQLite generates and migrates the
project, starts both apps under uvicorn, finds that they answer the same requests with the
same statuses and bodies, times every operation on both and prints the table; the rounds
are split over two pairs of server processes, the second on swapped databases, and the
control (the hand-written app against itself) runs too. No figure is checked (speed is
the benchmark's business, not a test's)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def bench_http() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_http", ROOT / "benchmarks" / "bench_http.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_http"] = module
    spec.loader.exec_module(module)
    return module


def test_quick_run_on_sqlite(capsys: pytest.CaptureFixture[str]) -> None:
    bench = bench_http()
    options = bench.parse(
        ["--quick", "--requests", "20", "--databases", "sqlite", "--processes", "2", "--control"]
    )
    results = bench.bench(options)
    printed = capsys.readouterr().out
    # the generated project with each ORM: SQLAlchemy (the hand-written app's) and SQLModel;
    # then the control: the hand-written app against itself
    assert [result.orm for result in results] == ["sqlalchemy", "sqlmodel", "control"]
    for result in results:
        check_run(bench, result, printed)
        # one round on each of two pairs of processes, the second on swapped databases
        first, second = result.placements
        assert second == first[::-1] and first[0] != first[1]


def check_run(bench: ModuleType, result: Any, printed: str) -> None:
    assert result.database == "sqlite"
    # The same requests, the same answers: statuses, and the JSON of every success with
    # ids and timestamps masked (a create, reads, four list pages, one filtered and
    # sorted, two updates).
    answers = {check.request: check for check in result.checks}
    successes = [check for check in result.checks if check.statuses[0] < 300]
    assert [check.request.split()[0] for check in successes] == [
        "POST", "GET", "GET", "GET", "GET", "GET", "PATCH", "PATCH", "GET",
    ]  # fmt: skip
    for check in result.checks:
        assert check.same, (check.request, check.statuses, check.bodies)
    created = answers['POST /items {"name": "compared", "description": "the same?", '
                      '"quantity": 7, "is_active": false}']  # fmt: skip
    assert created.statuses == (201, 201)
    generated, handwritten = created.bodies
    assert generated == handwritten == {
        "id": "<id>", "name": "compared", "description": "the same?", "quantity": 7,
        "is_active": False, "created_at": "0000-00-00T00:00:00.000000Z",
        "updated_at": "0000-00-00T00:00:00.000000Z",
    }  # fmt: skip
    page = answers["GET /items?page=1&size=3"].bodies[0]
    assert [item["name"] for item in page["items"]] == ["item 1", "item 2", "item 3"]
    assert page["total"] == 1001 and page["page"] == 1 and page["size"] == 3
    past_the_end = answers["GET /items?page=100000&size=20"].bodies[0]
    assert past_the_end == {"items": [], "total": 1001, "page": 100000, "size": 20}
    refused = [check.statuses for check in result.checks if check.statuses[0] >= 400]
    assert refused == [(422, 422)] * 5 + [(404, 404)] * 2 + [(422, 422)] * 3

    # Every operation timed on both apps, in the rounds asked for, and every request of
    # them answered as expected: 5 clients writing at once on SQLite included (a read
    # then a write in one deferred transaction used to answer 500, "database is locked").
    for operation in bench.OPERATIONS:
        for app in bench.APPS:
            phases = result.phases[operation, app]
            assert len(phases) == 2
            assert all(len(phase.latencies) == 20 for phase in phases)
    assert result.failures() == []
    assert result.trivial > 0

    # Its table: one line per operation with both apps' figures and the ratio.
    subject = (
        "control, the hand-written app against itself"
        if result.orm == "control"
        else f"generated with orm: {result.orm}"
    )
    header = (
        f"sqlite, {subject}: 2 interleaved rounds of 20 requests per operation and app "
        "(in turns of 10), 5 connections, 2 pair(s) of server processes"
    )
    assert header in printed
    section = printed.split(header)[1].split("\n\n")[0]
    for operation in bench.OPERATIONS:
        [line] = [line for line in section.splitlines() if line.startswith(operation + " ")]
        # operation, 2 x (req/s, p50, p99), ratio, verdict, the rounds' ratios' middle half
        assert len(line.split()) == 10, line
        assert line.split()[8] in ("meets", "below"), line
    assert "same answers from both apps: 19 of 19 requests" in section
    assert "client alone: GET /health" in section


def test_the_apps_take_turns_within_a_round(monkeypatch: pytest.MonkeyPatch) -> None:
    """A round of 100 requests in turns of 40: the apps alternate A B B A A B (a slowdown
    of the machine falls on both), and each app's turns add up to its phase."""
    import asyncio

    bench = bench_http()
    sent: list[tuple[str, list[str]]] = []

    async def drive(session: Any, server: str, part: Any, connections: int, expected: int) -> Any:
        sent.append((server, [path for _, path, _ in part]))
        wall = 1.0 if server == "A" else 2.0
        failures = {500: 1} if server == "B" else {}
        return bench.Phase(wall, [0.01] * len(part), 0.1, 0.2, failures)

    monkeypatch.setattr(bench, "drive", drive)
    batch = [("GET", f"/items/{i}", None) for i in range(100)]
    options = bench.parse(["--chunk", "40"])
    first, second = asyncio.run(bench.interleaved(None, ["B", "A"], (1, 0), batch, options, 200))
    assert [server for server, _ in sent] == ["A", "B", "B", "A", "A", "B"]
    assert [paths for server, paths in sent if server == "A"] == [
        [f"/items/{i}" for i in range(0, 40)],
        [f"/items/{i}" for i in range(40, 80)],
        [f"/items/{i}" for i in range(80, 100)],
    ]
    # the phases come in `order`: servers[1] ("A") first
    assert (first.wall, len(first.latencies), first.failures) == (3.0, 100, {})
    assert (second.wall, len(second.latencies), second.failures) == (6.0, 100, {500: 3})
    assert second.server_cpu == pytest.approx(0.6)
