"""The command line's entry point, and `forge generate` without typer.

Typer builds its parameters through pydantic: reaching a command costs about 0.25 s before
the command does anything, more than a `forge generate` with nothing to do needs in all.
So `forge generate` in its plain forms (`--spec`, `--project`, `--check`, `--diff`, each
as `--opt value` or `--opt=value`) runs from here, through the same function as the typer
command (`run_generate`), with the same output and exit codes. Anything else (`--help`,
an unknown option, another command) goes to typer, which parses and words errors as usual.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.reconcile import WritePlan


def echo(message: str, err: bool = False) -> None:
    """What typer.echo does with a line: print it and flush."""
    stream = sys.stderr if err else sys.stdout
    if stream is not None:
        stream.write(f"{message}\n")
        stream.flush()


def progress(message: str) -> None:
    """What a slow command is doing: on stderr, and only to a person at a terminal."""
    if sys.stderr.isatty():
        echo(f"{message}...", err=True)


def report_marked(plan: WritePlan) -> None:
    if plan.marked:
        echo("unresolved conflict markers (resolve the <<<<<<< / >>>>>>> blocks):", err=True)
        for path in plan.marked:
            echo(f"  {path}", err=True)


def report(plan: WritePlan) -> None:
    """Tell what a run did, file by file, conflicts last."""
    lines = [
        *(f"created   {p}" for p in plan.created),
        *(f"updated   {p}" for p in plan.updated),
        *(f"merged    {p} (your edits kept)" for p in plan.merged),
        *(f"removed   {p}" for p in plan.removed),
        *(f"kept      {p} (no longer generated, but you edited it)" for p in plan.orphaned),
    ]
    for line in lines:
        echo(line)
    written = len(plan.project_changes)
    if written or plan.orphaned:
        echo(f"{written} file(s) changed, {len(plan.unchanged) + len(plan.kept)} unchanged")
    else:
        echo(f"nothing to do: {len(plan.unchanged) + len(plan.kept)} file(s) already up to date")
    if plan.conflicts:
        echo("conflicts (your edits and the spec change touch the same lines;", err=True)
        echo("resolve the <<<<<<< / >>>>>>> markers, then run forge generate):", err=True)
        for path in plan.conflicts:
            echo(f"  {path}", err=True)


def run_generate(spec: Path | None, project: Path | None, check: bool, diff: bool) -> int:
    """`forge generate`: the exit code (what it prints is the command's output)."""
    from generator import project as projects
    from generator.errors import ForgeError

    try:
        root = project.resolve() if project else projects.find_project(Path.cwd())
        result = projects.generate(root, spec, dry_run=check or diff, progress=progress)
    except ForgeError as error:
        echo(f"error: {error}", err=True)
        return error.exit_code
    plan = result.plan
    if diff:
        sys.stdout.write(projects.file_diffs(root, plan))
        sys.stdout.flush()
        if plan.marked:
            report_marked(plan)
        elif not plan.project_changes:
            echo("nothing to do: the generated files match the spec", err=True)
    if check:
        if plan.in_sync:
            echo(f"in sync: {len(plan.unchanged) + len(plan.kept)} generated file(s)")
            return 0
        stale = sorted(plan.project_changes + plan.orphaned)
        if stale:
            echo("out of date (run `forge generate`):", err=True)
            for path in stale:
                echo(f"  {path}", err=True)
        report_marked(plan)
        return 1
    if diff:
        return 0
    report(plan)
    report_marked(plan)
    return 1 if plan.conflicts or plan.marked else 0


_VALUED = ("--spec", "--project")
_FLAGS = ("--check", "--diff")


def _generate_arguments(args: list[str]) -> dict[str, str | bool] | None:
    """The options of a plain `forge generate ...` command line, or None for anything this
    module leaves to typer."""
    if not args or args[0] != "generate":
        return None
    options: dict[str, str | bool] = {}
    rest = args[1:]
    while rest:
        word = rest.pop(0)
        name, equals, value = word.partition("=")
        if name in _VALUED:
            if not equals:
                if not rest or rest[0].startswith("-"):
                    return None
                value = rest.pop(0)
            if not value:
                return None
            options[name] = value
        elif word in _FLAGS:
            options[word] = True
        else:
            return None
    return options


def main() -> None:
    options = _generate_arguments(sys.argv[1:])
    if options is None:
        from generator.cli import app

        app()
        return
    spec, project = options.get("--spec"), options.get("--project")
    try:
        code = run_generate(
            Path(spec) if isinstance(spec, str) else None,
            Path(project) if isinstance(project, str) else None,
            check=bool(options.get("--check")),
            diff=bool(options.get("--diff")),
        )
    except (KeyboardInterrupt, EOFError):
        echo("", err=True)
        echo("Aborted!", err=True)
        code = 1
    sys.exit(code)
