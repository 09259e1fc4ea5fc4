"""How fast does `forge --help` start? Printed figures and ratios from one run.

Compares, in the same run on the same machine, the median wall time of:
  - `python -c pass`                 (the interpreter's own start: the floor),
  - `forge --help`                   (what a user waits for),
  - `python -c "import copier, black, sqlmodel, alembic"` (what eager imports would cost).
Target (issue 2): `forge --help` under 0.3 s on this machine.

    python benchmarks/bench_help.py [--runs 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def median_seconds(command: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    forge = shutil.which("forge")
    help_command = [forge, "--help"] if forge else [sys.executable, "-m", "generator", "--help"]
    floor = median_seconds([sys.executable, "-c", "pass"], args.runs)
    help_time = median_seconds(help_command, args.runs)
    heavy = median_seconds(
        [sys.executable, "-c", "import copier, black, sqlmodel, alembic"], args.runs
    )
    print(f"python -c pass           {floor * 1000:7.1f} ms")
    print(
        f"{' '.join(['forge' if forge else 'python -m generator', '--help']):24} "
        f"{help_time * 1000:7.1f} ms   ({help_time / floor:.2f}x the interpreter start)"
    )
    print(
        f"eager heavy imports      {heavy * 1000:7.1f} ms   ({heavy / help_time:.2f}x forge --help)"
    )
    verdict = "meets" if help_time < 0.3 else "MISSES"
    print(f"target: forge --help < 300 ms: {verdict} ({help_time * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
