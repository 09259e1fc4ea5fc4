"""Run schemathesis (an independent API fuzzer) against a generated project's API.

    python tests/scripts/fuzz_api.py [--examples 40] [--seed 1] [--spec blog|shop|all_types]
        [--database sqlite|postgresql|mysql] [--orm sqlmodel|sqlalchemy]

For each chosen spec and database: generate the project with `forge new`, migrate a fresh
database, start the app with uvicorn on a free 127.0.0.1 port, run

    schemathesis run http://127.0.0.1:PORT/openapi.json --checks all
        --exclude-checks unsupported_method --seed SEED --max-examples N

(`unsupported_method`: Starlette answers OPTIONS with an incomplete Allow header; that is
not forge's code), then stop the server and drop the database. Exits 1 if any run found a
failure. Without --spec/--database it runs the whole matrix (3 specs x 3 databases), which
is what tests/test_api_fuzz.py runs in part, with fewer examples.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPECS = {
    "blog": ROOT / "examples" / "blog" / "forge.yaml",
    "shop": ROOT / "examples" / "shop" / "forge.yaml",
    "all_types": ROOT / "tests" / "data" / "all_types.yaml",
}
ALL_PHASES = "examples,coverage,fuzzing,stateful"
SERVER_URLS = {
    "postgresql": os.environ.get(
        "FORGE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    ),
    "mysql": os.environ.get("FORGE_TEST_MYSQL_URL", "mysql+aiomysql://root@127.0.0.1:3306/test"),
}


def _env(project: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PYTEST_"))}
    env["PYTHONPATH"] = str(project)
    env["DATABASE_URL"] = url
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def generate(spec: Path, parent: Path, database: str, orm: str = "sqlmodel") -> Path:
    """`forge new` the spec for a database; returns the project directory."""
    project = parent / "app_under_test"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_URL")}
    env["PYTHONPATH"] = str(ROOT)
    _run(
        [sys.executable, "-m", "generator", "new", str(project), "--spec", str(spec),
         "--database", database, "--orm", orm, "--defaults"],
        cwd=parent, env=env,
    )  # fmt: skip
    return project


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database_url(kind: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(SERVER_URLS[kind]).set(database=name).render_as_string(hide_password=False)


@contextlib.contextmanager
def database(project: Path, kind: str) -> Iterator[str]:
    """A fresh, migrated database for the project: its URL; dropped afterwards."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{project / 'fuzz.db'}"
    else:
        url = _database_url(kind, f"forge_fuzz_{os.getpid()}_{int(time.time() * 1000) % 10**8}")
    forge_env = {**_env(project, url), "PYTHONPATH": str(ROOT)}
    if kind != "sqlite":
        _run([sys.executable, "-m", "generator", "db", "create"], project, forge_env)
    try:
        env = _env(project, url)
        _run(
            [sys.executable, "-m", "alembic", "revision", "--autogenerate", "-m", "i"], project, env
        )
        _run([sys.executable, "-m", "alembic", "upgrade", "head"], project, env)
        yield url
    finally:
        if kind != "sqlite":
            subprocess.run(
                [sys.executable, "-m", "generator", "db", "drop", "--yes"],
                cwd=project, env=forge_env, capture_output=True, timeout=120,
            )  # fmt: skip


@contextlib.contextmanager
def serve(project: Path, url: str) -> Iterator[str]:
    """The project's app under uvicorn on a free port: its base URL; stopped afterwards."""
    port = _free_port()
    log = open(project / "uvicorn.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=project, env=_env(project, url), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    raise RuntimeError(
                        "uvicorn did not start:\n" + (project / "uvicorn.log").read_text()
                    ) from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def schemathesis(
    base: str,
    examples: int,
    seed: int,
    phases: str = ALL_PHASES,
    timeout: float = 3600,
    cwd: Path | None = None,
) -> tuple[int, str]:
    """Run the fuzzer on a served API: (exit code, output). It writes a cache folder
    (.schemathesis) in `cwd`: the project under test, never the checkout."""
    args = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{base}/openapi.json",
        "--checks", "all", "--exclude-checks", "unsupported_method",
        "--seed", str(seed), "--max-examples", str(examples),
        "--workers", "1", "--no-color", "--generation-database", "none",
        "--request-timeout", "30", "--phases", phases,
    ]  # fmt: skip
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    return result.returncode, result.stdout + result.stderr


def fuzz(
    spec: Path,
    kind: str,
    examples: int,
    seed: int,
    orm: str = "sqlmodel",
    phases: str = ALL_PHASES,
) -> tuple[int, str]:
    """Generate, migrate, serve and fuzz one spec on one database."""
    with tempfile.TemporaryDirectory(prefix="forge-fuzz-") as tmp:
        project = generate(spec, Path(tmp), kind, orm)
        with database(project, kind) as url, serve(project, url) as base:
            code, output = schemathesis(base, examples, seed, phases, cwd=project)
        server_log = (project / "uvicorn.log").read_text()
        if code != 0 and server_log:
            output += "\n--- server log\n" + server_log[-20000:]
        return code, output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spec", choices=sorted(SPECS), action="append")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "mysql"), action="append")
    parser.add_argument("--orm", choices=("sqlmodel", "sqlalchemy"), default="sqlmodel")
    parser.add_argument("--phases", default=ALL_PHASES, help=f"default: {ALL_PHASES}")
    args = parser.parse_args()
    failed = 0
    for name in args.spec or sorted(SPECS):
        for kind in args.database or ("sqlite", "postgresql", "mysql"):
            started = time.monotonic()
            code, output = fuzz(SPECS[name], kind, args.examples, args.seed, args.orm, args.phases)
            elapsed = time.monotonic() - started
            cases = [line.strip() for line in output.splitlines() if " generated" in line]
            last = output.strip().splitlines()[-1].strip("= ") if output.strip() else ""
            print(f"{name} on {kind}: exit {code} in {elapsed:.0f}s; {cases[-1:]}; {last}")
            if code != 0:
                failed += 1
                print(output)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
