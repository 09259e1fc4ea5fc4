"""How fast is `forge generate`? Printed figures and ratios from one run.

A synthetic spec of N entities, 8 fields and 2 relations each, generated into a fresh
project. For N = 100 (issue 4's targets on this machine):
  - from scratch                         target < 3 s
  - again, nothing changed               target < 0.5 s
  - one field added to one entity        target < 0.7 s
and the no-change run for N = 50, 100, 200, to show it grows at most linearly.

Against the floor (issue 13), in the same run, for N = 100:
  - the floor: a fresh Python process that loads the spec, renders every file and writes
    them (what no generator can avoid), and black alone on the same files (the black
    command line, all cores, empty cache); from scratch must be <= 2.0 x the floor and
    <= 0.30 x black alone;
  - `forge make entity` adding one field to the shop example, against `forge generate`
    with nothing to do in the same project: <= 1.5 x (median of at least 5 runs); and in
    the same alternation, what make entity cannot do without: a bare interpreter, one
    that only imports jinja2 and ruamel.yaml, and one that imports the modules make
    entity runs (these three print their ratio to the no-change run).
Each figure is the median of --runs runs of the real command line (`python -m generator`).
Every timed command starts after os.sync(): the writeback of the steps before it (`forge
new`, the spec written) is not charged to it. And nothing is removed until the last timed
command has run (the temporary folder goes at the end). On a file system without a journal
(ext4 here), the kernel skips every inode freed in the last minute(s) when it creates a file
(find_inode_bit / recently_deleted in `perf`): a from-scratch run that followed the removal
of the previous run's project spent 0.6-1.3 s of system time creating its 1,212 files,
against 0.1-0.2 s otherwise, and black alone creates no files. For the same reason, leave a
minute between two runs of this script (each removes its folder as it ends).

    python benchmarks/bench_generate.py [--runs 3] [--cpu]

With --cpu every figure is CPU seconds (user + system, child processes included) instead of
wall-clock seconds: steadier on a shared machine; black alone then counts all its cores.
"""

from __future__ import annotations

import argparse
import os
import resource
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


ENV = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}


def forge(*args: str, cwd: Path) -> float:
    return timed([sys.executable, "-m", "generator", *args], cwd)


CPU = False  # --cpu: measure CPU seconds (user + system) instead of wall-clock seconds


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Wall-clock seconds of the command, or with --cpu its CPU seconds (user + system, its
    child processes included): on a machine shared with other work, wall-clock figures
    measure the other work too, CPU seconds much less."""
    os.sync()  # the writeback of earlier steps (a removed project, `forge new`) is not its
    start, used = time.perf_counter(), _children_cpu()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, env=env or ENV)
    return _children_cpu() - used if CPU else time.perf_counter() - start


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# The floor, in a fresh process like forge's: load and check the spec, render every file,
# write them. Nothing else (no formatting, no reconciling with a project, no CLI).
FLOOR = """
import sys
from pathlib import Path
from generator.project import render_data_layer
from generator.spec import load_spec
from generator.write import write_files
target = Path(sys.argv[1])
write_files(target, render_data_layer(load_spec(target / "forge.yaml")))
"""


def floor_and_black(n: int, runs: int, folder: Path) -> tuple[float, float, int]:
    """Median of the floor and of black alone on the files the floor wrote."""
    floors, blacks = [], []
    files = 0
    for run in range(runs):
        target = folder / f"floor{n}_{run}"
        target.mkdir()
        (target / "forge.yaml").write_text(synthetic_spec(n))
        floors.append(timed([sys.executable, "-c", FLOOR, str(target)], folder))
        (target / "forge.yaml").unlink()
        files = sum(1 for _ in target.rglob("*.py"))
        cache = folder / f"black-cache{run}"  # empty: black formats every file
        env = {**ENV, "BLACK_CACHE_DIR": str(cache)}
        command = [sys.executable, "-m", "black", "-q", "--target-version", "py311", "."]
        blacks.append(timed(command, target, env))
    return statistics.median(floors), statistics.median(blacks), files


SHOP = ROOT / "examples" / "shop" / "forge.yaml"


# What `forge make entity` cannot do without: the interpreter, and the imports of the
# libraries it edits and renders with (ruamel.yaml, jinja2) and of forge's modules that
# read the spec, compute the files and render them.
BARE = ("python itself (-c pass)", "pass")
LIBRARIES = ("importing jinja2 + ruamel.yaml", "import jinja2, ruamel.yaml")
MODULES = (
    "importing what make entity runs",
    "import jinja2, ruamel.yaml.comments, generator.entry, generator.flags, "
    "generator.project, generator.spec.editor, generator.plan, generator.render, "
    "generator.namecheck, generator.reconcile, generator.write, generator.stamp",
)


def make_entity_vs_no_change(runs: int, folder: Path) -> dict[str, float]:
    """`forge make entity` adding one field to the shop example, `forge generate` with
    nothing to do, and the fresh processes of BARE, LIBRARIES and MODULES, alternated in
    the same project (medians)."""
    project = folder / "shop"
    forge("new", str(project), "--defaults", "--spec", str(SHOP), cwd=folder)
    times: dict[str, list[float]] = {}
    for run in range(runs):
        times.setdefault("again", []).append(forge("generate", cwd=project))
        field = f"--field=note_{run}:str:40:nullable"
        make = forge("make", "entity", "Product", field, "--no-input", cwd=project)
        times.setdefault("make", []).append(make)
        for label, code in (BARE, LIBRARIES, MODULES):
            times.setdefault(label, []).append(timed([sys.executable, "-c", code], project))
    return {label: statistics.median(values) for label, values in times.items()}


def fresh_project(folder: Path, n: int, run: int) -> Path:
    project = folder / f"p{n}_{run}"
    forge("new", str(project), "--defaults", "--name", "bench", cwd=folder)
    (project / "forge.yaml").write_text(synthetic_spec(n))
    return project


def measure(n: int, runs: int, folder: Path) -> dict[str, float]:
    scratch, again, one_field = [], [], []
    for run in range(runs):
        project = fresh_project(folder, n, run)
        scratch.append(forge("generate", cwd=project))
        again.append(forge("generate", cwd=project))
        (project / "forge.yaml").write_text(synthetic_spec(n, extra_field=f"added_{run}"))
        one_field.append(forge("generate", cwd=project))
    return {
        "scratch": statistics.median(scratch),
        "again": statistics.median(again),
        "one_field": statistics.median(one_field),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cpu", action="store_true", help="CPU seconds instead of wall-clock")
    args = parser.parse_args()
    global CPU
    CPU = args.cpu
    with tempfile.TemporaryDirectory() as temp:
        results = {n: measure(n, args.runs, Path(temp)) for n in (50, 100, 200)}
        floor, black, files = floor_and_black(100, args.runs, Path(temp))
        shop = make_entity_vs_no_change(max(args.runs, 5), Path(temp))
    make, again = shop["make"], shop["again"]
    targets = {"scratch": 3.0, "again": 0.5, "one_field": 0.7}
    labels = {
        "scratch": "from scratch",
        "again": "again, nothing changed",
        "one_field": "one field added",
    }
    unit = "CPU seconds (user + system)" if CPU else "wall-clock seconds"
    print(f"forge generate, N entities x (8 fields, 2 relations), median of {args.runs}, {unit}")
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
    scratch = results[100]["scratch"]
    print()
    print(f"the floor and black alone, N=100 ({files} files), median of {args.runs}")
    print(f"{'floor (spec + render + write)':40}{floor:8.2f}s")
    print(f"{'black alone on the same files':40}{black:8.2f}s")
    print(f"{'forge generate from scratch':40}{scratch:8.2f}s")
    ratios = [
        ("from scratch / floor", scratch / floor, 2.0),
        ("from scratch / black alone", scratch / black, 0.30),
        ("make entity (one field) / no-change", make / again, 1.5),
    ]
    print(f"{'forge make entity, shop, one field':40}{make:8.2f}s")
    print(f"{'forge generate, shop, nothing to do':40}{again:8.2f}s")
    for label, ratio, target in ratios:
        verdict = "meets" if ratio <= target else "MISSES"
        print(f"{label:40}{ratio:8.2f}x  <= {target}: {verdict}")
    print()
    print("what make entity cannot do without, fresh processes in the same shop run")
    for label, _ in (BARE, LIBRARIES, MODULES):
        print(f"{label:40}{shop[label]:8.2f}s  {shop[label] / again:5.2f}x of no-change")


if __name__ == "__main__":
    main()
