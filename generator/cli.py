"""The `forge` command line. It only wires the stages together.

Heavy libraries (copier, black, sqlmodel, alembic) are imported inside the commands, so
`forge --help` starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from generator.errors import ForgeError

app = typer.Typer(
    name="forge",
    help="Generate and keep in sync the async database layer of a FastAPI project.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(error: ForgeError) -> NoReturn:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(error.exit_code)


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


@app.command()
def new(
    path: Annotated[Path, typer.Argument(help="Folder to create (must not exist or be empty).")],
    name: Annotated[str | None, typer.Option(help="Project name (a Python package name).")] = None,
    database: Annotated[
        str | None, typer.Option(help="sqlite | postgresql | mysql (default: sqlite).")
    ] = None,
    orm: Annotated[str | None, typer.Option(help="sqlmodel | sqlalchemy.")] = None,
    spec: Annotated[
        Path | None, typer.Option(help="A forge.yaml to start from (copied into the project).")
    ] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Ask nothing; use flags, the spec and defaults.")
    ] = False,
) -> None:
    """Create a new project: the skeleton plus the data layer of the spec's entities."""
    from generator.project import new_project

    try:
        result = new_project(
            path,
            name=name,
            database=database,
            orm=orm,
            spec_path=spec,
            interactive=not defaults and _interactive(),
        )
    except ForgeError as error:
        _fail(error)
    except KeyboardInterrupt:
        typer.echo("aborted; nothing was created", err=True)
        raise typer.Exit(130) from None
    typer.echo(f"created {result.project} ({len(result.report.created)} data-layer files)")
    typer.echo("next steps:")
    typer.echo(f"  cd {path}")
    typer.echo('  alembic revision --autogenerate -m "initial" && alembic upgrade head')
    typer.echo("  pytest")


@app.command()
def generate(
    spec: Annotated[
        Path | None, typer.Option(help="The spec (default: forge.yaml of the project).")
    ] = None,
    project: Annotated[
        Path | None,
        typer.Option(help="The project folder (default: found from the current folder up)."),
    ] = None,
) -> None:
    """(Re)render the data layer of an existing project from its spec."""
    from generator import project as projects

    try:
        root = project.resolve() if project else projects.find_project(Path.cwd())
        result = projects.generate(root, spec)
    except ForgeError as error:
        _fail(error)
    report = result.report
    for path in report.created:
        typer.echo(f"created  {path}")
    for path in report.updated:
        typer.echo(f"updated  {path}")
    if report.changed:
        typer.echo(f"{len(report.changed)} file(s) written, {len(report.unchanged)} unchanged")
    else:
        typer.echo(f"nothing to do: {len(report.unchanged)} file(s) already up to date")


def main() -> None:
    app()
