"""The command line's entry point: `forge generate` and `forge make entity` without typer.

Typer builds its parameters through pydantic: reaching a command costs about 0.25 s before
the command does anything, more than a `forge generate` with nothing to do needs in all.
So these two commands, in their plain forms, run from here through the same functions as
the typer commands (`run_generate`, `run_make_entity`), with the same output and exit
codes: `generate` with `--spec`, `--project`, `--check`, `--diff`; `make entity NAME`
with `--field`, `--relation`, `--no-input`, `--dry-run`, `--project` (at least one of
`--no-input`, `--field`, `--relation`: nothing is asked), each option as `--opt value` or
`--opt=value`. Anything else (`--help`, an unknown option, another command, a value that
starts with `-`) goes to typer, which parses and words errors as usual.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.reconcile import WritePlan


def echo(message: str, err: bool = False, nl: bool = True) -> None:
    """What typer.echo does with a line: print it and flush."""
    stream = sys.stderr if err else sys.stdout
    if stream is not None:
        stream.write(f"{message}\n" if nl else message)
        stream.flush()


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


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
        echo(projects.file_diffs(root, plan), nl=False)
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


def _offer_class_name(name: str) -> None:
    """`forge make entity order`: refused, offering `Order` (the spec's own wording)."""
    from generator import naming
    from generator.errors import SpecError

    better = naming.pascal_case(name)
    if name != better and not naming.PASCAL_CASE.match(name) and naming.PASCAL_CASE.match(better):
        raise SpecError(
            f"entities.{name}",
            f"entity name {name!r} is not a PascalCase class name; did you mean {better}?",
        )


def run_make_entity(
    name: str | None,
    field: list[str],
    relation: list[str],
    no_input: bool,
    dry_run: bool,
    project: Path | None,
) -> int:
    """`forge make entity`: the exit code (what it prints is the command's output)."""
    from generator import project as projects
    from generator.errors import ForgeError
    from generator.flags import change_from_flags

    asking = not no_input and not field and not relation and interactive()
    try:
        root = project.resolve() if project else projects.find_project(Path.cwd())
        if asking:
            from generator.prompts import Asker
            from generator.spec import load_spec

            text = (root / projects.SPEC_FILE).read_text(encoding="utf-8")
            change = Asker(text, load_spec(root / projects.SPEC_FILE), echo).ask(name)
        else:
            if not name:
                raise ForgeError("an entity name is required (forge make entity NAME ...)")
            _offer_class_name(name)
            change = change_from_flags(name, field, relation)
        entity_plan = projects.plan_entity(root, change)
        if entity_plan.plan.conflicts and not dry_run:
            raise ForgeError(
                f"{', '.join(entity_plan.plan.conflicts)}: your edits and this change touch "
                "the same lines, so the file cannot be updated without losing your code; "
                "nothing was changed (see --dry-run; to merge with conflict markers instead, "
                "edit forge.yaml and run `forge generate`)"
            )
        if dry_run:
            echo(entity_plan.spec_diff(), nl=False)
            echo(projects.file_diffs(root, entity_plan.plan), nl=False)
            return 0
        if asking:
            echo(entity_plan.spec_diff(), nl=False)
            changed = sorted(entity_plan.plan.project_changes)
            echo("Files to write: " + (", ".join(changed) or "none"))
            from generator.prompts import confirm

            if not confirm("Apply these changes?", default=True):
                raise KeyboardInterrupt
        projects.apply_entity(entity_plan)
    except ForgeError as error:
        echo(f"error: {error}", err=True)
        return error.exit_code
    except KeyboardInterrupt:
        echo("aborted; nothing was changed", err=True)
        return 130
    report(entity_plan.plan)
    if entity_plan.plan.conflicts:
        return 1
    message = f"add {change.entity.lower()}"
    echo("next: create a migration for the change:")
    echo(f'  alembic revision --autogenerate -m "{message}" && alembic upgrade head')
    return 0


def _options(
    words: list[str], valued: tuple[str, ...], flags: tuple[str, ...], positional: int
) -> tuple[dict[str, list[str]], list[str]] | None:
    """The options (name -> values, a flag's value "") and positional words of a command
    line in the plain forms this module runs, or None for anything left to typer."""
    options: dict[str, list[str]] = {}
    words = list(words)
    arguments: list[str] = []
    while words:
        word = words.pop(0)
        name, equals, value = word.partition("=")
        if name in valued:
            if not equals:
                if not words or words[0].startswith("-"):
                    return None
                value = words.pop(0)
            if not value:
                return None
            options.setdefault(name, []).append(value)
        elif word in flags:
            options[word] = [""]
        elif not word.startswith("-") and len(arguments) < positional:
            arguments.append(word)
        else:
            return None
    return options, arguments


def _last(options: dict[str, list[str]], name: str) -> Path | None:
    values = options.get(name)
    return Path(values[-1]) if values else None


def _fast(args: list[str]) -> int | None:
    """The exit code of `forge generate ...` or `forge make entity ...` run from here, or
    None when the command line is left to typer."""
    if args[:1] == ["generate"]:
        parsed = _options(args[1:], ("--spec", "--project"), ("--check", "--diff"), 0)
        if parsed is None:
            return None
        options, _ = parsed
        return run_generate(
            _last(options, "--spec"),
            _last(options, "--project"),
            check="--check" in options,
            diff="--diff" in options,
        )
    if args[:2] == ["make", "entity"]:
        valued = ("--field", "--relation", "--project")
        parsed = _options(args[2:], valued, ("--no-input", "--dry-run"), 1)
        if parsed is None:
            return None
        options, arguments = parsed
        if not (options.keys() & {"--no-input", "--field", "--relation"}):
            return None  # it may ask questions: typer's prompts and Ctrl-C handling
        return run_make_entity(
            arguments[0] if arguments else None,
            options.get("--field", []),
            options.get("--relation", []),
            no_input="--no-input" in options,
            dry_run="--dry-run" in options,
            project=_last(options, "--project"),
        )
    return None


def main() -> None:
    try:
        code = _fast(sys.argv[1:])
    except (KeyboardInterrupt, EOFError):
        echo("", err=True)
        echo("Aborted!", err=True)
        code = 1
    if code is None:
        from generator.cli import app

        app()
        return
    sys.exit(code)
