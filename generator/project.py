"""The public API behind the CLI: `new_project` and `generate`.

Each wires the stages together: spec -> plan -> render -> format -> write.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.errors import ProjectError, SpecError
from generator.reconcile import SKELETON_DIR, WritePlan, reconcile
from generator.write import write_files

if TYPE_CHECKING:
    from generator.plan import FileJob
    from generator.spec import EntityChange, Spec

# generator.spec (pydantic records) is imported where it is used: a `forge generate` with
# nothing to do (generator/stamp.py) never loads it.

SPEC_FILE = "forge.yaml"


@dataclass
class Result:
    project: Path
    plan: WritePlan


PROGRESS_FROM = 100  # files: below this, a run is too short to say what it is doing


def render_jobs(spec: Spec) -> list[tuple[FileJob, str]]:
    """Every data-layer file with its job, rendered but not formatted (nothing is written)."""
    from generator.render import render_all

    return render_all(spec)


def render_data_layer(spec: Spec) -> dict[str, str]:
    """Every data-layer file, rendered but not formatted (nothing is written)."""
    return {job.path: source for job, source in render_jobs(spec)}


def build(
    root: Path,
    spec: Spec,
    moves: dict[str, str] | None = None,
    progress: Callable[[str], None] = lambda _message: None,
) -> WritePlan:
    """Render, format (only what black may change, skipping unchanged renders) and
    reconcile with the files in root.

    The format cache is the last write of the plan: if a run stops half-way, the cache
    still describes the bases on disk.
    """
    return _build(root, spec, moves, progress)[0]


def _build(
    root: Path,
    spec: Spec,
    moves: dict[str, str] | None = None,
    progress: Callable[[str], None] = lambda _message: None,
    read: Callable[[Path, str], str | None] | None = None,
) -> tuple[WritePlan, dict[str, str]]:
    """build(), and the formatted renders it reconciled; `read`: how reconcile reads the
    tree (generator/stamp.py's Reader remembers what it read)."""
    from generator import namecheck
    from generator.format import CACHE_FILE, FormatCache, may_change
    from generator.reconcile import base_path

    rendered = render_jobs(spec)  # usually done already, when the spec was checked
    if len(rendered) >= PROGRESS_FROM:
        progress(f"comparing {len(rendered)} rendered files with the project")
    sources = {job.path: source for job, source in rendered}
    settled = [job.path for job, source in rendered if not may_change(job.template, source)]
    cache = FormatCache(root)

    def base(relative: str) -> str | None:
        try:
            return (root / base_path(relative)).read_text(encoding="utf-8")
        except OSError:
            return None

    formatted = cache.formatted(sources, base, settled, progress)
    plan = reconcile(root, formatted, moves=moves, read=read)
    names = namecheck.remembered(sources)
    plan.writes[CACHE_FILE] = cache.content(sources, **{namecheck.CACHE_KEY: names})
    return plan, formatted


def _write(project: Path, plan: WritePlan, progress: Callable[[str], None]) -> None:
    if len(plan.writes) + len(plan.unchanged) >= PROGRESS_FROM:
        progress(f"writing {len(plan.writes)} files")
    write_files(project, plan.writes, plan.deletions)


def find_project(start: Path) -> Path:
    """The forge project containing `start` (the nearest folder upwards with forge.yaml)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / SPEC_FILE).is_file():
            return folder
    raise ProjectError(
        f"no {SPEC_FILE} in {start} or any folder above it: run this inside a forge project, "
        "pass --project DIR, or create one with `forge new`"
    )


def generate(
    project: Path,
    spec_path: Path | None = None,
    dry_run: bool = False,
    progress: Callable[[str], None] = lambda _message: None,
) -> Result:
    """(Re)render the data layer of an existing project from its spec, keeping the user's
    edits (see reconcile). With dry_run, only say what would change.

    When the stamp of the last run (generator/stamp.py) proves that nothing changed, its
    recorded plan is the answer, without loading the spec; a run that writes records a
    new stamp."""
    from generator import stamp

    if spec_path is None:
        spec_path = project / SPEC_FILE
    if not (project / "app").is_dir():
        raise ProjectError(f"{project} is not a forge project (it has no app/ folder)")
    try:
        content: bytes | None = spec_path.read_bytes()
    except OSError:
        content = None  # load_spec words the error
    key = stamp.key(content) if content is not None else None
    stamped = stamp.check(project, key) if key is not None else None
    if stamped is not None:
        plan = WritePlan(unchanged=stamped.unchanged, kept=stamped.kept, marked=stamped.marked)
        return Result(project, plan)
    from generator.spec import load_spec

    spec = load_spec(spec_path, content)
    reader = stamp.Reader()
    plan, formatted = _build(project, spec, progress=progress, read=reader)
    if not dry_run:
        _write(project, plan, progress)
        if key is not None:
            stamp.save(project, stamp.record(project, key, formatted, plan.writes, reader))
    return Result(project, plan)


def file_diffs(project: Path, plan: WritePlan) -> str:
    """The unified diff that applying `plan` would make to the project's files."""
    import difflib

    chunks: list[str] = []
    for relative in sorted(plan.project_changes):
        path = project / relative
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        new = "" if relative in plan.removed else plan.writes[relative]
        chunks.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"a/{relative}" if path.exists() else "/dev/null",
                tofile="/dev/null" if relative in plan.removed else f"b/{relative}",
            )
        )
    return "".join(chunks)


@dataclass
class PendingChange:
    """What `forge make entity` would do: the spec before and after, and the files."""

    project: Path
    old_spec: str
    new_spec: str
    plan: WritePlan
    # the formatted renders the plan was made from, and the stamp.Reader reconcile read the
    # tree with: what apply_entity records the stamp of the written tree from
    formatted: dict[str, str] | None = None
    reader: Any = None

    def spec_diff(self) -> str:
        import difflib

        return "".join(
            difflib.unified_diff(
                self.old_spec.splitlines(keepends=True),
                self.new_spec.splitlines(keepends=True),
                fromfile=f"a/{SPEC_FILE}",
                tofile=f"b/{SPEC_FILE}",
            )
        )


def _spec_text(project: Path) -> str:
    spec_file = project / SPEC_FILE
    try:
        return spec_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProjectError(f"cannot read {spec_file}: {exc}") from None


def recall_checks(project: Path) -> None:
    """Let the name check use what the project's last run learnt (.forge/cache.json), as
    load_spec does for a project's spec: only the modules whose render changed are parsed."""
    from generator import namecheck
    from generator.format import CACHE_FILE

    namecheck.recall(project / CACHE_FILE)


def plan_entity(project: Path, change: EntityChange) -> PendingChange:
    """Apply a change to the spec and plan the files, writing nothing."""
    from generator.spec import check_change

    recall_checks(project)
    old = _spec_text(project)
    new, spec = check_change(old, change)
    return planned_change(project, old, new, spec)


def plan_destroy(project: Path, entity: str) -> tuple[PendingChange, list[str]]:
    """Remove an entity (and the relations pointing to it) from the spec; plan the files."""
    from generator.spec import parse_spec, read_yaml, remove_entity

    recall_checks(project)
    old = _spec_text(project)
    new, removed = remove_entity(old, entity)
    spec = parse_spec(read_yaml(new))
    return planned_change(project, old, new, spec), removed


def planned_change(
    project: Path, old: str, new: str, spec: Spec, moves: dict[str, str] | None = None
) -> PendingChange:
    """The change of the spec from `old` to `new` (`spec`, its records) with the plan of
    the files, read through a stamp.Reader so that apply_entity can stamp the result."""
    from generator import stamp

    reader = stamp.Reader()
    plan, formatted = _build(project, spec, moves, read=reader)
    return PendingChange(project, old, new, plan, formatted, reader)


def apply_entity(entity_plan: PendingChange, extra: dict[str, str] | None = None) -> None:
    """Write the new spec and the files (and `extra` files) in one all-or-nothing step;
    then record the stamp of the result, as `forge generate` does after writing, so that
    the next `forge generate` with nothing to do answers from it (generator/stamp.py)."""
    writes = {SPEC_FILE: entity_plan.new_spec, **entity_plan.plan.writes, **(extra or {})}
    write_files(entity_plan.project, writes, entity_plan.plan.deletions)
    if entity_plan.formatted is None:
        return
    from generator import stamp

    key = stamp.key(entity_plan.new_spec.encode("utf-8"))
    recorded = stamp.record(
        entity_plan.project,
        key,
        entity_plan.formatted,
        entity_plan.plan.writes,
        entity_plan.reader,
    )
    stamp.save(entity_plan.project, recorded)


def new_project(
    path: Path,
    *,
    name: str | None = None,
    database: str | None = None,
    orm: str | None = None,
    docker: bool | None = None,
    spec_path: Path | None = None,
    interactive: bool = False,
    progress: Callable[[str], None] = lambda _message: None,
) -> Result:
    """Create a project at `path`: the copier skeleton, forge.yaml, and the data layer.

    Everything is built in a temporary folder first and moved into place at the end, so a
    failure leaves nothing behind.
    """
    path = path.resolve()
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ProjectError(f"{path} already exists and is not empty")
    spec_text, spec = _initial_spec(path, name, database, orm, docker, spec_path)
    defaults = skeleton_answers(spec)
    if interactive:
        # forge asks the project questions itself, in the style of its other prompts
        # (copier's differ), then renders the skeleton with the answers
        from generator.prompts import ask_project

        follow = docker is None and not _declares_docker(spec_path)
        defaults = ask_project(defaults, docker_follows_database=follow)
    progress("rendering the project skeleton (copier)")
    answers, skeleton = render_skeleton(defaults, interactive=False)
    if answers != skeleton_answers(spec):
        spec_text, spec = _with_project(spec_text, answers)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        target = staging / path.name
        target.mkdir()
        skeleton_plan = reconcile(target, skeleton, SKELETON_DIR)
        extra = {
            SPEC_FILE: spec_text,
            ".forge/.gitignore": "# derived, rebuilt when missing\ncache.json\n",
        }
        write_files(target, {**skeleton_plan.writes, **extra})
        progress(f"building the data layer of {len(spec.entities)} entities")
        from generator import stamp

        reader = stamp.Reader()
        plan, formatted = _build(target, spec, progress=progress, read=reader)
        _write(target, plan, progress)
        # stamped as `forge generate` stamps a run that writes, so that the first
        # `forge generate` with nothing to do changes nothing, its cache included
        key = stamp.key((target / SPEC_FILE).read_bytes())
        stamp.save(target, stamp.record(target, key, formatted, plan.writes, reader))
        if path.exists():
            path.rmdir()
        target.rename(path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Result(path, plan)


def update(project: Path, dry_run: bool = False) -> Result:
    """Upgrade the skeleton to this forge's templates, keeping the user's edits: the new
    skeleton is merged 3-way with the skeleton forge wrote last time and the user's files."""
    from generator.spec import load_spec

    if not (project / SKELETON_DIR).is_dir():
        raise ProjectError(
            f"{project} has no record of the skeleton forge wrote ({SKELETON_DIR}/), so your "
            "edits cannot be told apart from the old templates; it was not created by "
            "`forge new` of this version (restore that folder from version control, or "
            "recreate the project with `forge new`)"
        )
    spec = load_spec(project / SPEC_FILE)
    _, skeleton = render_skeleton(skeleton_answers(spec), interactive=False)
    plan = reconcile(project, skeleton, SKELETON_DIR)
    if not dry_run:
        write_files(project, plan.writes, plan.deletions)
    return Result(project, plan)


def _initial_spec(
    path: Path,
    name: str | None,
    database: str | None,
    orm: str | None,
    docker: bool | None,
    spec_path: Path | None,
) -> tuple[str, Spec]:
    """The spec text to write into the new project, with flags applied over the file."""
    from generator.spec import parse_spec, read_yaml, set_project_keys

    flags: tuple[tuple[str, Any], ...] = (
        ("name", name),
        ("database", database),
        ("orm", orm),
        ("docker", docker),
    )
    overrides = {key: value for key, value in flags if value is not None}
    if spec_path is not None:
        source = spec_path.name
        try:
            text = spec_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SpecError("", f"cannot read the spec: {exc}", source=str(spec_path)) from None
        data = read_yaml(text, source)
        values = dict(overrides)
        if "name" not in values and not (isinstance(data, dict) and _has_project_name(data)):
            values["name"] = _default_name(path)
        if values and (data is None or isinstance(data, dict)):
            text = set_project_keys(text, values)
            data = read_yaml(text, source)
        return text, parse_spec(data, source=source)
    project = {"name": name or _default_name(path), "database": database or "sqlite"}
    project["orm"] = orm or "sqlmodel"
    chosen = docker if docker is not None else project["database"] != "sqlite"
    project["docker"] = "true" if chosen else "false"
    text = _fresh_spec_text(project)
    return text, parse_spec(read_yaml(text), source="forge.yaml")


def _declares_docker(spec_path: Path | None) -> bool:
    from generator.spec import read_yaml

    if spec_path is None:
        return False
    data = read_yaml(spec_path.read_text(encoding="utf-8"), spec_path.name)
    project = data.get("project") if isinstance(data, dict) else None
    return isinstance(project, dict) and "docker" in project


def _has_project_name(data: dict[str, Any]) -> bool:
    project = data.get("project")
    return isinstance(project, dict) and "name" in project


def _default_name(path: Path) -> str:
    name = "".join(c if c.isalnum() else "_" for c in path.name.lower()).strip("_")
    if not name or not name[0].isalpha():
        name = f"app_{name}" if name else "app"
    return name


def _fresh_spec_text(project: dict[str, str]) -> str:
    return (
        "# The forge spec of this project: describe entities here, then run `forge generate`.\n"
        "project:\n"
        f"  name: {project['name']}\n"
        f"  database: {project['database']}  # sqlite | postgresql | mysql\n"
        f"  orm: {project['orm']}  # sqlmodel | sqlalchemy\n"
        f"  docker: {project['docker']}  # docker-compose.yml, Dockerfile\n"
        "entities: {}\n"
    )


def _with_project(text: str, answers: dict[str, Any]) -> tuple[str, Spec]:
    from generator.spec import parse_spec, read_yaml, set_project_keys

    values = {"name": answers["project_name"], "database": answers["database"]}
    values["orm"] = answers["orm"]
    values["docker"] = bool(answers["docker"])
    text = set_project_keys(text, values)
    return text, parse_spec(read_yaml(text))


def skeleton_answers(spec: Spec) -> dict[str, Any]:
    """The copier answers of a project: its spec's `project:` section."""
    project = spec.project
    return {
        "project_name": project.name,
        "database": project.database,
        "orm": project.orm,
        "docker": project.docker,
    }


def render_skeleton(
    answers: dict[str, Any], interactive: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """The copier skeleton, rendered into a scratch folder and read back (path -> text).

    Interactively, copier asks the questions, with `answers` as the defaults. Returns the
    final answers and the files.
    """
    from copier import run_copy

    from generator import __version__
    from generator.environment import forge_requirement
    from generator.resources import project_template

    data = {"forge_version": __version__, "forge_requirement": forge_requirement()}
    data |= {} if interactive else answers
    with tempfile.TemporaryDirectory() as scratch:
        destination = Path(scratch) / "skeleton"
        worker = run_copy(
            str(project_template()),
            str(destination),
            data=data,
            defaults=not interactive,
            user_defaults=answers if interactive else None,
            unsafe=True,
            quiet=True,
            overwrite=True,
        )
        keys = ("project_name", "database", "orm", "docker")
        final = {key: worker.answers.combined.get(key, answers.get(key)) for key in keys}
        files = {
            path.relative_to(destination).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(destination.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts
        }
    return final, files
