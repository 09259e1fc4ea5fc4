"""The `forge` command line. It only wires the stages together.

Heavy libraries (copier, black, sqlmodel, alembic) are imported inside the commands, so
`forge --help` starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from generator.entry import progress as _progress
from generator.entry import report as _report
from generator.errors import ForgeError

# Plain (click) help: typer's rich help shows `<bool>` beside flags such as --check, which
# reads as if they took a value (`--check true` then fails).
HELP_STYLE: Any = None
app = typer.Typer(
    name="forge",
    help="Generate and keep in sync the async database layer of a FastAPI project.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=HELP_STYLE,
)


def _print_version(value: bool) -> None:
    if value:
        from generator import __version__

        typer.echo(f"forge {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Generate and keep in sync the async database layer of a FastAPI project."""


def _flag_choice(flag: str, value: str | None, allowed: tuple[str, ...]) -> None:
    """A wrong value of a command-line flag is reported as that flag, not as forge.yaml."""
    if value is None or value in allowed:
        return
    import difflib

    close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]}?" if close else ""
    raise ForgeError(f"{flag}: unknown value {value!r} (allowed: {', '.join(allowed)}){hint}")


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
    docker: Annotated[
        bool | None,
        typer.Option(
            "--docker/--no-docker",
            help="Add docker-compose.yml and a Dockerfile (default: yes unless SQLite).",
        ),
    ] = None,
    spec: Annotated[
        Path | None, typer.Option(help="A forge.yaml to start from (copied into the project).")
    ] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Ask nothing; use flags, the spec and defaults.")
    ] = False,
) -> None:
    """Create a new project: the skeleton plus the data layer of the spec's entities."""
    from generator.project import new_project
    from generator.spec import DATABASES, ORMS

    try:
        _flag_choice("--database", database, DATABASES)
        _flag_choice("--orm", orm, ORMS)
        result = new_project(
            path,
            name=name,
            database=database,
            orm=orm,
            docker=docker,
            spec_path=spec,
            interactive=not defaults and _interactive(),
            progress=_progress,
        )
    except ForgeError as error:
        _fail(error)
    except KeyboardInterrupt:
        typer.echo("aborted; nothing was created", err=True)
        raise typer.Exit(130) from None
    from generator.spec import load_spec
    from generator.steps import next_steps

    typer.echo(f"created {result.project} ({len(result.plan.created)} data-layer files)")
    typer.echo("next steps:")
    for line in next_steps(str(path), load_spec(result.project / "forge.yaml")):
        typer.echo(f"  {line}")


@app.command()
def generate(
    spec: Annotated[
        Path | None, typer.Option(help="The spec (default: forge.yaml of the project).")
    ] = None,
    project: Annotated[
        Path | None,
        typer.Option(help="The project folder (default: found from the current folder up)."),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Write nothing; exit 1 and list the files that are out of date."
        ),
    ] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Write nothing; print the diff a run would apply.")
    ] = False,
) -> None:
    """(Re)render the data layer from the spec, keeping your edits in generated files."""
    from generator.entry import run_generate

    code = run_generate(spec, project, check, diff)
    if code:
        raise typer.Exit(code)


@app.command("import")
def import_(
    url: Annotated[
        str,
        typer.Argument(
            help="The database to read (sqlite:///file.db, postgresql://..., mysql://...)."
        ),
    ],
    tables: Annotated[
        list[str] | None, typer.Option("--tables", help="Import only these tables (repeat).")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Leave these tables out (repeat).")
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The spec to write (must not exist).")
    ] = Path("forge.yaml"),
    project: Annotated[
        Path | None,
        typer.Option(help="Add the new tables to this project's forge.yaml instead."),
    ] = None,
) -> None:
    """Write forge.yaml from a live database's schema, listing what it cannot express."""
    from generator.importer import import_database

    try:
        result = import_database(
            url,
            output.resolve(),
            _split(tables),
            _split(exclude),
            project.resolve() if project else None,
        )
    except ForgeError as error:
        _fail(error)
    for text in result.summary():
        typer.echo(text)
    typer.echo(
        "next: forge generate" if result.added else f"next: forge new PROJECT --spec {output}"
    )


def _split(values: list[str] | None) -> list[str] | None:
    """`--tables a,b --tables c` -> [a, b, c]."""
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@app.command()
def update(
    project: Annotated[
        Path | None,
        typer.Option(help="The project folder (default: found from the current folder up)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the diff the upgrade would apply.")
    ] = False,
) -> None:
    """Upgrade the project skeleton to this forge's templates, keeping your edits.

    Needs the record of the skeleton that forge wrote (.forge/skeleton/, committed with
    the project); no git ceremony: edited files are merged 3-way like `forge generate`.
    """
    from generator import project as projects

    try:
        root = project.resolve() if project else projects.find_project(Path.cwd())
        result = projects.update(root, dry_run=dry_run)
    except ForgeError as error:
        _fail(error)
    if dry_run:
        typer.echo(projects.file_diffs(root, result.plan), nl=False)
        if not result.plan.project_changes:
            typer.echo("nothing to do: the skeleton is up to date", err=True)
        return
    _report(result.plan)
    if result.plan.conflicts:
        raise typer.Exit(1)


make_app = typer.Typer(
    help="Add to a forge project.", no_args_is_help=True, rich_markup_mode=HELP_STYLE
)
app.add_typer(make_app, name="make")

FIELD_HELP = (
    "A field: name:type[:args][:modifier...]. args: str -> max length (title:str:200); "
    "decimal -> precision,scale (price:decimal:10,2); enum -> values (status:enum:a,b). "
    "modifiers: nullable, unique, index, default=VALUE. Repeatable."
)
RELATION_HELP = (
    "A relation: name:kind:Target followed by any of :inverse=NAME :nullable "
    ":on_delete=cascade|set_null|restrict :on_update=RULE :column=NAME :index=false "
    ":link_table=NAME :link_on_delete=RULE :link_on_update=RULE :link_key_name=NAME "
    "(author:many_to_one:User:inverse=posts), as in forge.yaml. kind is many_to_one, "
    "one_to_many, one_to_one or many_to_many. Repeatable."
)


@make_app.command("entity")
def make_entity(
    name: Annotated[
        str | None, typer.Argument(help="The entity (PascalCase); asked for when omitted.")
    ] = None,
    field: Annotated[list[str] | None, typer.Option("--field", help=FIELD_HELP)] = None,
    relation: Annotated[list[str] | None, typer.Option("--relation", help=RELATION_HELP)] = None,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Ask nothing: use the flags only.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the spec change and the file diffs; write nothing."),
    ] = False,
    project: Annotated[
        Path | None,
        typer.Option(help="The project folder (default: found from the current folder up)."),
    ] = None,
) -> None:
    """Create an entity, or add fields and relations to an existing one.

    Example: forge make entity Post --field title:str:200 --field "price:decimal:10,2:nullable"
    --relation author:many_to_one:User:inverse=posts --no-input
    """
    from generator.entry import run_make_entity

    code = run_make_entity(name, field or [], relation or [], no_input, dry_run, project)
    if code:
        raise typer.Exit(code)


destroy_app = typer.Typer(
    help="Remove from a forge project.", no_args_is_help=True, rich_markup_mode=HELP_STYLE
)
app.add_typer(destroy_app, name="destroy")


@destroy_app.command("entity")
def destroy_entity(
    name: Annotated[str, typer.Argument(help="The entity to remove.")],
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the spec change and the file diffs; write nothing."),
    ] = False,
    project: Annotated[
        Path | None,
        typer.Option(help="The project folder (default: found from the current folder up)."),
    ] = None,
) -> None:
    """Remove an entity from the spec, with its generated code and the relations to it.

    Generated files you never edited are deleted; files you edited are kept and reported.
    """
    from generator import project as projects

    try:
        root = project.resolve() if project else projects.find_project(Path.cwd())
        entity_plan, relations = projects.plan_destroy(root, name)
        if dry_run:
            typer.echo(entity_plan.spec_diff(), nl=False)
            typer.echo(projects.file_diffs(root, entity_plan.plan), nl=False)
            return
        projects.apply_entity(entity_plan)
    except ForgeError as error:
        _fail(error)
    for relation in relations:
        typer.echo(f"removed relation {relation} (it pointed to {name})")
    _report(entity_plan.plan)
    if entity_plan.plan.conflicts:
        raise typer.Exit(1)
    typer.echo("next: create a migration for the change:")
    typer.echo(
        f'  alembic revision --autogenerate -m "remove {name.lower()}" && alembic upgrade head'
    )


rename_app = typer.Typer(
    help="Rename in the spec, the code and (at the next db migrate) the database.",
    no_args_is_help=True,
)
app.add_typer(rename_app, name="rename")
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Print the spec change and the file diffs; write nothing.")
]


def _rename(project: Path | None, kind: str, entity: str, old: str, new: str, dry: bool) -> None:
    from generator import project as projects
    from generator.rename import apply_rename, plan_rename

    try:
        root = project.resolve() if project else projects.find_project(Path.cwd())
        rename_plan = plan_rename(root, kind, entity, old, new)
        plan = rename_plan.entity_plan.plan
        if dry:
            typer.echo(rename_plan.entity_plan.spec_diff(), nl=False)
            typer.echo(projects.file_diffs(root, plan), nl=False)
            return
        if plan.conflicts:
            raise ForgeError(
                f"{', '.join(plan.conflicts)}: your edits and the rename touch the same lines; "
                "nothing was changed (see --dry-run)"
            )
        apply_rename(rename_plan)
    except ForgeError as error:
        _fail(error)
    _report(plan)
    for rename in rename_plan.renames:
        typer.echo(f"pending   {rename.describe()} (the next forge db migrate renames it)")


@rename_app.command("entity")
def rename_entity(
    old: Annotated[str, typer.Argument(help="The entity's name.")],
    new: Annotated[str, typer.Argument(help="Its new name.")],
    dry_run: DryRunOption = False,
    project: Annotated[Path | None, typer.Option(help="The project folder.")] = None,
) -> None:
    """Rename an entity, the relations to it, its files and (default) table."""
    _rename(project, "entity", old, old, new, dry_run)


@rename_app.command("field")
def rename_field(
    entity: Annotated[str, typer.Argument(help="The entity.")],
    old: Annotated[str, typer.Argument(help="The field's name.")],
    new: Annotated[str, typer.Argument(help="Its new name.")],
    dry_run: DryRunOption = False,
    project: Annotated[Path | None, typer.Option(help="The project folder.")] = None,
) -> None:
    """Rename a field (and its column)."""
    _rename(project, "field", entity, old, new, dry_run)


@rename_app.command("relation")
def rename_relation(
    entity: Annotated[str, typer.Argument(help="The entity.")],
    old: Annotated[str, typer.Argument(help="The relation's (or inverse's) name.")],
    new: Annotated[str, typer.Argument(help="Its new name.")],
    dry_run: DryRunOption = False,
    project: Annotated[Path | None, typer.Option(help="The project folder.")] = None,
) -> None:
    """Rename a relation (and its foreign-key column: author_id -> writer_id)."""
    _rename(project, "relation", entity, old, new, dry_run)


db_app = typer.Typer(
    rich_markup_mode=HELP_STYLE,
    help="Manage the project's database (URL from DATABASE_URL, .env or config/orm.yaml).",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")

_NO_PROJECT_CODE = ("diagram",)  # db commands that read only forge.yaml


@db_app.callback()
def _db_environment(ctx: typer.Context) -> None:
    """Run the db commands in the project's environment (see generator.environment); the
    commands added to this group need nothing more."""
    from generator.environment import ensure_project_environment, project_option
    from generator.project import find_project

    argv = sys.argv[1:]
    if ctx.resilient_parsing or ctx.invoked_subcommand in _NO_PROJECT_CODE:
        return
    if "--help" in argv or "-h" in argv:
        return
    try:
        given = project_option(argv)
        root = given.resolve() if given else find_project(Path.cwd())
    except ForgeError:
        return  # the command itself reports it
    try:
        ensure_project_environment(root, argv)
    except ForgeError as error:
        _fail(error)


ProjectOption = Annotated[
    Path | None,
    typer.Option(help="The project folder (default: found from the current folder up)."),
]


def _in_project(project: Path | None, work: Callable[[Path, Any], None]) -> None:
    """Run a db command inside the project, with its database target; errors are one line."""
    from generator import db
    from generator.project import find_project

    try:
        root = project.resolve() if project else find_project(Path.cwd())
        with db.inside(root):
            work(root, db.target(root))
    except ForgeError as error:
        _fail(error)


@db_app.command("create")
def db_create(project: ProjectOption = None) -> None:
    """Create the database if it does not exist (SQLite: the file)."""
    from generator import db

    _in_project(project, lambda _root, target: typer.echo(db.create(target)))


@db_app.command("drop")
def db_drop(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    project: ProjectOption = None,
) -> None:
    """Drop the database, after confirmation."""
    from generator import db

    def work(_root: Path, target: Any) -> None:
        if not yes:
            if not _interactive():
                raise ForgeError(f"dropping {target.describe()} needs confirmation: pass --yes")
            if not typer.confirm(f"Drop {target.describe()}? All its data will be lost"):
                typer.echo("nothing was dropped")
                return
        typer.echo(db.drop(target))

    _in_project(project, work)


@db_app.command("migrate")
def db_migrate(
    message: Annotated[str, typer.Option("--message", "-m", help="The revision's message.")],
    rename: Annotated[
        list[str] | None,
        typer.Option(
            "--rename",
            help="Entity.old=new: a field or relation was renamed (values kept). Repeatable.",
        ),
    ] = None,
    default: Annotated[
        list[str] | None,
        typer.Option(
            "--default",
            help="Entity.field=VALUE for existing rows: a new required column, NULLs of a "
            "column made required, rows using a removed enum value. Repeatable.",
        ),
    ] = None,
    allow_drop: Annotated[
        bool, typer.Option("--allow-drop", help="Allow dropping columns and tables (data lost).")
    ] = False,
    no_input: Annotated[bool, typer.Option("--no-input", help="Ask nothing.")] = False,
    project: ProjectOption = None,
) -> None:
    """Write a migration from the spec's changes; none when nothing changed.

    Renames keep their values, new required columns are filled, nothing is dropped
    unless you say so (see "Changing the schema" in the README).
    """
    from generator import evolve
    from generator.spec import load_spec

    def work(root: Path, target: Any) -> None:
        spec = load_spec(root / "forge.yaml")
        pending = evolve.read_pending(root)
        renames = evolve.merge_pending(pending, evolve.flag_renames(spec, rename or []))
        defaults = {}
        for text in default or []:
            entity, name, value = evolve.parse_assignment(text, "--default")
            defaults[(entity, name)] = value
        ask = None
        if not no_input and _interactive():
            from concurrent.futures import ThreadPoolExecutor

            from generator import prompts

            def ask(question: str) -> bool:
                # asked while Alembic's event loop runs: the prompt gets a thread of its own
                with ThreadPoolExecutor(1) as pool:
                    return pool.submit(prompts.confirm, question, False).result()

        options = evolve.Options(renames, defaults, allow_drop, ask)
        outcome = evolve.migrate(target, root, message, options)
        if not outcome.paths:
            typer.echo("No changes detected; no revision written")
            return
        if pending:
            (root / evolve.RENAMES_FILE).unlink()
        for note in outcome.notes:
            typer.echo(note)
        typer.echo(f"created {', '.join(outcome.paths)}")

    _in_project(project, work)


@db_app.command("baseline")
def db_baseline(
    message: Annotated[
        str, typer.Option("--message", "-m", help="The revision's message.")
    ] = "baseline",
    accept: Annotated[
        bool,
        typer.Option(
            "--accept-differences",
            help="Go on when forge db check finds differences (each printed as kept).",
        ),
    ] = False,
    project: ProjectOption = None,
) -> None:
    """Adopt a live database the spec describes: write the first revision (against an
    empty scratch database) and stamp the database at it without running it.

    Refused when the project has revisions, the database has an alembic_version row, or
    `forge db check` finds a difference (listed; --accept-differences keeps them);
    nothing is written then.
    """
    from generator import baseline

    def work(root: Path, target: Any) -> None:
        try:
            done = baseline.baseline(target, root, message, accept)
        except baseline.Differs as error:
            for line in error.differences:
                typer.echo(line)
            raise
        for line in done.accepted:
            typer.echo(f"kept: {line}")
        typer.echo(done.summary(target))

    _in_project(project, work)


def _move(project: Path | None, direction: str, revision: str, backup: bool = False) -> None:
    """Run Alembic's upgrade or downgrade to `revision` inside the project."""
    from alembic import command

    from generator import db, evolve

    def work(root: Path, target: Any) -> None:
        if backup:
            from generator.backup import backup as take_backup

            taken = take_backup(target, root)
            typer.echo(taken.summary(target, root))
            typer.echo(
                f"to undo the {direction}: forge db drop --yes && forge db create && "
                f"forge db restore {taken.path.relative_to(root)}"
            )
        if direction == "upgrade":
            evolve.upgrade(target, root, revision)
        else:
            db.alembic(target, root, lambda config: command.downgrade(config, revision))
        typer.echo(f"{target.describe()} {direction}d to {revision}")

    _in_project(project, work)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    backup: Annotated[
        bool, typer.Option("--backup", help="Take a backup first (see forge db backup).")
    ] = False,
    project: ProjectOption = None,
) -> None:
    """Apply migrations up to REVISION (default: head)."""
    _move(project, "upgrade", revision, backup)


# `forge db downgrade -1`: "-1" is the revision, not an unknown option
@db_app.command("downgrade", context_settings={"ignore_unknown_options": True})
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, -1 or base.")] = "-1",
    project: ProjectOption = None,
) -> None:
    """Revert migrations down to REVISION (default: -1, the last one; base: all)."""
    _move(project, "downgrade", revision)


@db_app.command("status")
def db_status(project: ProjectOption = None) -> None:
    """The revisions, which are applied and which pending, and the current one."""
    from generator import db

    def work(root: Path, target: Any) -> None:
        revisions = db.status(target, root)
        typer.echo(target.describe())
        if not revisions:
            typer.echo('no revisions yet: create one with forge db migrate -m "initial"')
            return
        typer.echo(f"{'revision':<14}{'state':<10}message")
        for rev in revisions:
            marks = [m for m, on in (("head", rev.head), ("current", rev.current)) if on]
            suffix = f"  ({', '.join(marks)})" if marks else ""
            state = "applied" if rev.applied else "pending"
            typer.echo(f"{rev.id:<14}{state:<10}{rev.message}{suffix}")
        pending = sum(1 for rev in revisions if not rev.applied)
        current = next((rev.id for rev in revisions if rev.current), "none (empty database)")
        typer.echo(f"current: {current}; {pending} pending")
        if pending == 0:
            typer.echo(f"schema: {_schema_state(target, root)}")

    _in_project(project, work)


def _schema_state(target: Any, root: Path) -> str:
    """`forge db check` in one phrase, for `forge db status`."""
    from generator import dbcheck

    try:
        differences = dbcheck.check(target, root)
    except ForgeError as error:
        return f"not checked ({error})"
    if not differences:
        return "matches the spec"
    return f"{len(differences)} difference(s) from the spec: see forge db check"


@db_app.command("check")
def db_check(project: ProjectOption = None) -> None:
    """Compare the live database with the spec's schema; exit 1 listing each difference."""
    from generator import dbcheck

    def work(root: Path, target: Any) -> None:
        differences = dbcheck.check(target, root)
        if not differences:
            typer.echo(f"{target.describe()} matches the spec")
            return
        for line in differences:
            typer.echo(line)
        typer.echo(f"{target.describe()}: {len(differences)} difference(s) from the spec")
        raise typer.Exit(1)

    _in_project(project, work)


@db_app.command("copy")
def db_copy(project: ProjectOption = None) -> None:
    """Create the tables straight from the models, bypassing migrations (prototyping)."""
    from generator import db

    def work(_root: Path, target: Any) -> None:
        count = db.copy(target)
        typer.echo(f"created the {count} tables of the models in {target.describe()}")
        typer.echo(
            "note: no migration was recorded (prototyping only); use forge db migrate and "
            "forge db upgrade for changes you keep"
        )

    _in_project(project, work)


@db_app.command("backup")
def db_backup(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: backups/<db>-<time>)."),
    ] = None,
    project: ProjectOption = None,
) -> None:
    """Write every row of the database to one portable, checksummed file."""
    from generator.backup import backup

    chosen = output.resolve() if output else None  # relative to where the command runs

    def work(root: Path, target: Any) -> None:
        typer.echo(backup(target, root, chosen).summary(target, root))

    _in_project(project, work)


@db_app.command("restore")
def db_restore(
    file: Annotated[Path, typer.Argument(help="A file written by forge db backup.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    project: ProjectOption = None,
) -> None:
    """Restore a backup into an empty database, verifying every table's checksum."""
    from generator.backup import read, restore

    source_file = file.resolve()

    def work(_root: Path, target: Any) -> None:
        source = read(source_file)
        if not yes:
            if not _interactive():
                raise ForgeError(
                    f"restoring into {target.describe()} needs confirmation: pass --yes"
                )
            question = f"Restore {source.rows:,} rows into {target.describe()}?"
            if not typer.confirm(question):
                typer.echo("nothing was restored")
                return
        typer.echo(restore(target, _root, source).summary(target))

    _in_project(project, work)


@db_app.command("load")
def db_load(
    source: Annotated[
        str, typer.Argument(help="The database to copy from (sqlite:///file.db, postgresql://...).")
    ],
    append: Annotated[
        bool, typer.Option("--append", help="Add the rows to tables that already have rows.")
    ] = False,
    project: ProjectOption = None,
) -> None:
    """Copy every row of another database into the project's, in foreign-key order,
    verified by row counts and checksums (PostgreSQL sequences are advanced)."""
    from generator.importer import _described, absolute, source_target
    from generator.load import load

    source = absolute(source)  # a relative SQLite path: from here, not from the project

    def work(_root: Path, target: Any) -> None:
        result = load(target, source, append)
        typer.echo(result.summary(_described(source_target(source)), target))

    _in_project(project, work)


@db_app.command("clear-migration")
def db_clear_migration(
    hard: Annotated[
        bool,
        typer.Option("--hard", help="Framefox's way: delete the revisions, empty alembic_version."),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    project: ProjectOption = None,
) -> None:
    """Replace the migration history by one baseline revision; the data is not touched."""
    from generator import history

    def work(root: Path, target: Any) -> None:
        count = history.preflight(target, root, hard)
        if hard:
            question = (
                f"WARNING: this removes all {count} revisions and clears alembic_version of "
                f"{target.describe()}; its tables stay but no revision describes them, so the "
                "next migration would create them again (development only). Continue?"
            )
        else:
            question = (
                f"Replace the {count} revisions by one baseline and stamp "
                f"{target.describe()} at it (its data is not touched)? Other databases of "
                "this project will need `alembic stamp --purge <baseline>`"
            )
        if not yes:
            if not _interactive():
                raise ForgeError("clear-migration needs confirmation: pass --yes")
            if not typer.confirm(question):
                typer.echo("nothing was changed")
                return
        typer.echo(history.clear(target, root, hard).summary(target, root))

    _in_project(project, work)


@db_app.command("diagram")
def db_diagram(project: ProjectOption = None) -> None:
    """Write a Mermaid diagram of the entities (from forge.yaml; no database needed)."""
    from generator.diagram import write_diagram
    from generator.project import SPEC_FILE, find_project
    from generator.spec import load_spec

    try:
        root = project.resolve() if project else find_project(Path.cwd())
        paths = write_diagram(root, load_spec(root / SPEC_FILE))
    except ForgeError as error:
        _fail(error)
    for path in paths:
        typer.echo(f"wrote {path.relative_to(root) if path.is_absolute() else path}")


def main() -> None:
    from generator.entry import main as entry

    entry()  # `forge generate` without typer's start-up, else app()
