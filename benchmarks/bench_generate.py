"""How fast is `forge generate`? Printed figures and ratios from one run.

A synthetic spec of N entities, 8 fields and 2 relations each, generated into a fresh
project. For N = 100 (issue 4's targets on this machine):
  - from scratch                         target < 3 s
  - again, nothing changed               target < 0.5 s
  - one field added to one entity        target < 0.7 s
and the no-change run for N = 50, 100, 200, to show it grows at most linearly.
Each figure is the median of --runs runs of the real command line (`python -m generator`).

    python benchmarks/bench_generate.py [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FIELD_TYPES = ["str", "int", "text", "decimal", "bool", "datetime", "date", "float"]


def synthetic_spec(n: int, extra_field: str | None = None) -> str:
    lines = ["project: {name: bench}", "entities:"]
    for i in range(n):
        lines.append(f"  Entity{i}:")
        lines.append("    fields:")
        for j, ftype in enumerate(FIELD_TYPES):
            options = ", nullable: true" if j % 3 == 0 else ""
            lines.append(f"      field_{j}: {{type: {ftype}{options}}}")
        if extra_field and i == n // 2:
            lines.append(f"      {extra_field}: {{type: str, nullable: true}}")
        if i > 0:
            lines.append("    relations:")
            lines.append(
                f"      parent: {{kind: many_to_one, target: Entity{i - 1}, nullable: true, "
                f"inverse: children_{i}}}"
            )
            lines.append(
                f"      peers: {{kind: many_to_many, target: Entity{(i * 7) % i}, "
                f"inverse: peers_of_{i}}}"
            )
    return "\n".join(lines) + "\n"


def forge(*args: str, cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    return time.perf_counter() - start


def fresh_project(folder: Path, n: int) -> Path:
    project = folder / f"p{n}"
    forge("new", str(project), "--defaults", "--name", "bench", cwd=folder)
    (project / "forge.yaml").write_text(synthetic_spec(n))
    return project


def measure(n: int, runs: int, folder: Path) -> dict[str, float]:
    scratch, again, one_field = [], [], []
    for run in range(runs):
        project = fresh_project(folder, n)
        scratch.append(forge("generate", cwd=project))
        again.append(forge("generate", cwd=project))
        (project / "forge.yaml").write_text(synthetic_spec(n, extra_field=f"added_{run}"))
        one_field.append(forge("generate", cwd=project))
        shutil.rmtree(project)
    return {
        "scratch": statistics.median(scratch),
        "again": statistics.median(again),
        "one_field": statistics.median(one_field),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        results = {n: measure(n, args.runs, Path(temp)) for n in (50, 100, 200)}
    targets = {"scratch": 3.0, "again": 0.5, "one_field": 0.7}
    labels = {
        "scratch": "from scratch",
        "again": "again, nothing changed",
        "one_field": "one field added",
    }
    print(f"forge generate, N entities x (8 fields, 2 relations), median of {args.runs}")
    print(f"{'':26}{'N=50':>9}{'N=100':>9}{'N=200':>9}   target (N=100)")
    for key, label in labels.items():
        row = "".join(f"{results[n][key]:8.2f}s" for n in (50, 100, 200))
        verdict = "meets" if results[100][key] < targets[key] else "MISSES"
        print(f"{label:26}{row}   < {targets[key]} s: {verdict}")
    growth_100 = results[100]["again"] / results[50]["again"]
    growth_200 = results[200]["again"] / results[100]["again"]
    print(
        f"no-change growth: N=100/N=50 = {growth_100:.2f}x, N=200/N=100 = {growth_200:.2f}x "
        "(linear is 2.00x or less)"
    )
    print(
        f"no-change / from scratch at N=100: {results[100]['again'] / results[100]['scratch']:.2f}"
    )


if __name__ == "__main__":
    main()
