"""Names that would break the generated code, found by rendering it.

Instead of a hand-kept list of forbidden names, the check renders the data layer of the
spec (in memory, unformatted; nothing is written), parses every Python module, and looks
for what breaks Python code:

- a file the plan writes twice, or over a file of the skeleton (`Base` -> app/schemas/base.py);
- a module that does not parse (`Class` -> `from app.models.class import Class`);
- a module-level name bound twice to different things (`PostTagLink` the entity and the
  link class of `Post.tags`; the enum class `PostRead` and the schema `PostRead`; an entity
  `Mapped` and SQLAlchemy's `Mapped`), or a builtin the module uses shadowed by a class;
- a class attribute (field, relation, inverse, foreign key) named after a name that the
  generated class bodies use (`str`, `int`, `list`, `mapped_column`, ...).

For the last rule, the names are those the generated class bodies of the same entity use:
a field `bytes` is fine until its entity has a field of type bytes (annotated `bytes`).

Routes are checked here too: an entity's route under another entity's route would be
captured by its `/{id}`, and the skeleton's own paths (`/health`, `/docs`) are taken.

Parsing every module is most of the cost of a run that changes nothing, so what a module
teaches the check is remembered by the hash of its path and text: that it parses and binds
no name twice (a property of its text alone) and, for an entity's model and schema module,
the names its class bodies use. Only modules whose render changed are parsed again; the
rules that involve the spec (paths, routes, which attributes an entity has) run every time
over the remembered facts, so a spec that changes anything is checked as fully as before.
The facts are kept in memory and in `.forge/cache.json` (written by the build, read when
a project's spec is loaded), keyed by this module's own source and the Python version: a
new forge or another Python checks everything again. A missing or corrupt cache costs time.

With many files (_PARALLEL_FROM) and more than one core, the jobs are computed, the files
rendered and the new modules parsed in a pool of forked workers, a unit of jobs at a time
(plan.job_units: an entity's files, its factory, ...), each parsing a file as it renders
it; the failure raised is still the first in the order of the files, as in one process.
"""

from __future__ import annotations

import ast
import builtins
import gc
import hashlib
import json
import keyword
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import naming
from generator.errors import SpecError
from generator.resources import project_template
from generator.spec import Spec

if TYPE_CHECKING:
    from generator.plan import Unit

Fail = Callable[[str, str], SpecError]


def check(spec: Spec, fail: Fail) -> None:
    """Raise a SpecError for the first name of the spec that breaks the generated code."""
    owners = _Owners(spec)
    all_homes = {
        f"app/{kind}/{naming.module_name(entity.name)}.py"
        for entity in spec.entities
        for kind in ("models", "schemas")
    }
    rendered, early = _render(spec, all_homes, owners)
    _paths(rendered, owners, fail)
    _routes(spec, fail)
    known: dict[str, tuple[str, ...] | None] = {}  # path -> remembered class-body names
    todo: dict[str, str] = {}
    for path, text in rendered:
        if path.endswith(".py"):
            key = _key(path, text)
            if key in _checked:
                known[path] = _checked[key]
            else:
                todo[path] = text
    if len(_checked) > _REMEMBER_AT_MOST:  # a long process (tests): start again
        _checked.clear()
    # all of them parse and bind each name once; an entity's homes: the names they use
    with _no_gc():
        learnt = _learn(todo, all_homes, owners, fail, early)
    for path, names in learnt.items():
        known[path] = _checked[_key(path, todo[path])] = names
    sources = dict(rendered)
    for entity in spec.entities:
        module = naming.module_name(entity.name)
        homes = (f"app/models/{module}.py", f"app/schemas/{module}.py")
        used: set[str] = set()
        for path in homes:
            if path not in known:
                continue
            names = known[path]
            if names is None:  # remembered without them (from an older check): parse it
                tree = ast.parse(sources[path], path)
                names = known[path] = tuple(sorted(_class_body_names([tree])))
                _checked[_key(path, sources[path])] = names
            used.update(names)
        for attribute, place, what in owners.attributes(entity.name):
            if attribute in used:
                raise fail(
                    place,
                    f"{what} {attribute!r} would shadow {attribute!r}, which the generated "
                    f"{spec.project.orm} classes use; choose another name",
                )


# What the check learnt about modules, by _key(path, text): None when the module parses and
# binds each name once, or the sorted names its class bodies use (entities' model and schema
# modules) -- see the module docstring.
_checked: dict[str, tuple[str, ...] | None] = {}
CACHE_KEY = "names"  # its section of .forge/cache.json
_REMEMBER_AT_MOST = 100_000


def _key(path: str, text: str) -> str:
    return hashlib.sha256(f"{path}\0{text}".encode()).hexdigest()


@lru_cache(maxsize=1)
def _version() -> str:
    """What the remembered facts depend on besides the text: this check and Python."""
    try:
        own = Path(__file__).read_bytes()
    except OSError:
        from generator import __version__

        own = __version__.encode()
    python = ".".join(map(str, sys.version_info[:3]))
    return f"{python}:{hashlib.sha256(own).hexdigest()[:16]}"


def recall(cache_file: Path) -> None:
    """Add the facts remembered in a project's cache file (if any, and if they were learnt
    by this check on this Python) to those of this run."""
    try:
        data = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    section = data.get(CACHE_KEY) if isinstance(data, dict) else None
    if not isinstance(section, dict) or section.get("version") != _version():
        return
    modules = section.get("modules")
    if not isinstance(modules, dict):
        return
    for key, names in modules.items():
        if names is None:
            _checked.setdefault(str(key), None)
        elif isinstance(names, list) and all(isinstance(name, str) for name in names):
            _checked[str(key)] = tuple(names)


def remembered(sources: dict[str, str]) -> dict[str, Any]:
    """The section of the cache file for these renders: what the check learnt about them."""
    modules: dict[str, list[str] | None] = {}
    for path, text in sources.items():
        key = _key(path, text)
        if key in _checked:
            names = _checked[key]
            modules[key] = None if names is None else list(names)
    return {"version": _version(), "modules": modules}


def _render(
    spec: Spec, homes: set[str], owners: _Owners
) -> tuple[list[tuple[str, str]], dict[str, Outcome]]:
    """Every rendered file (path, text), and what parsing taught about the modules that
    were parsed along (see _learn). With many files, on every core: each worker computes
    the jobs of a unit (plan.job_units: an entity's files, its factory, ...), renders them
    and parses each while it is at hand."""
    from generator import render
    from generator.plan import FileJob, file_jobs, job_units

    cached = render.remembered(spec)
    if cached is not None:
        return [(job.path, source) for job, source in cached], {}
    cores = _cores()
    if len(spec.entities) * _FILES_PER_ENTITY < _PARALLEL_FROM or cores < 2:
        done = render.remember(spec, [(job, render.render(job)) for job in file_jobs(spec)])
        return [(job.path, source) for job, source in done], {}
    import multiprocessing

    global _job
    units = job_units(spec)
    _job = (units, homes, owners)
    gc.freeze()  # the workers' collector leaves the parent's objects alone (no copying)
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(processes=cores, initializer=gc.disable) as pool:
            # the last unit (the tests module of every entity) is the largest: first
            order = [len(units) - 1, *range(len(units) - 1)]
            chunk = max(1, len(units) // cores // 8)
            results = pool.map(_render_unit, order, chunksize=chunk)
    finally:
        _job = None
        gc.unfreeze()
    results = results[1:] + results[:1]  # back in the order of the units
    made = [item for unit in results for item in unit]
    # The jobs' contexts stayed in the workers: the remembered jobs carry path and template.
    render.remember(
        spec, [(FileJob(path, template, {}), source) for path, template, source, _ in made]
    )
    early = {path: outcome for path, _, _, outcome in made if outcome}
    return [(path, source) for path, _, source, _ in made], early


@contextmanager
def _no_gc() -> Iterator[None]:
    """Parsing makes many objects and frees them all by reference counting: the cyclic
    collector, which runs on every 700 new objects, only costs time meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


@lru_cache(maxsize=1)
def skeleton_files() -> frozenset[str]:
    """Paths the skeleton writes (conditional files included)."""
    root = project_template() / "template"
    files = set()
    for path in root.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            relative = path.relative_to(root).as_posix().removesuffix(".jinja")
            if "{%" not in relative:
                files.add(relative)
    return frozenset(files)


class _Owners:
    """Which place of the spec a generated name or file comes from."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.names: dict[str, list[str]] = {}
        for entity in spec.entities:
            where = f"entities.{entity.name}"
            for suffix in ("", "Create", "Read", "Update", "CRUD", "Repository"):
                self.names.setdefault(f"{entity.name}{suffix}", []).append(where)
            self.names.setdefault(naming.module_name(entity.name), []).append(where)
            for field in entity.fields:
                if field.type == "enum":
                    enum = naming.enum_class(entity.name, field.name)
                    self.names.setdefault(enum, []).append(f"{where}.fields.{field.name}")
            for relation in entity.relations:
                if relation.kind == "many_to_many":
                    target = spec.entity(relation.target)
                    table = relation.link_table or naming.link_table(entity.table, target.table)
                    link = f"{naming.pascal_case(table)}Link"
                    self.names.setdefault(link, []).append(f"{where}.relations.{relation.name}")

    def of_name(self, name: str) -> str | None:
        places = self.names.get(name)
        return places[-1] if places else None

    def of_path(self, path: str) -> str:
        stem = path.rsplit("/", 1)[-1].removesuffix(".py").removesuffix("_repository")
        return self.of_name(stem) or "entities"

    def of_line(self, line: str, path: str) -> str:
        words = set(line.replace(".", " ").replace(",", " ").replace("(", " ").split())
        for entity in self.spec.entities:
            where = f"entities.{entity.name}"
            for field in entity.fields:
                if field.name in words:
                    return f"{where}.fields.{field.name}"
            for relation in entity.relations:
                if relation.name in words:
                    return f"{where}.relations.{relation.name}"
            if entity.name in words or naming.module_name(entity.name) in words:
                return where
        return self.of_path(path)

    def attributes(self, entity: str) -> Iterator[tuple[str, str, str]]:
        """(attribute, place, what) of every attribute the entity's classes get."""
        for other in self.spec.entities:
            where = f"entities.{other.name}"
            if other.name == entity:
                for field in other.fields:
                    yield field.name, f"{where}.fields.{field.name}", "field"
            for relation in other.relations:
                place = f"{where}.relations.{relation.name}"
                if other.name == entity:
                    yield relation.name, place, "relation"
                    if relation.kind in ("many_to_one", "one_to_one"):
                        yield naming.fk_column(relation.name), place, "foreign-key column"
                if relation.target == entity and relation.inverse is not None:
                    yield relation.inverse, f"{place}.inverse", "inverse"


def _paths(rendered: list[tuple[str, str]], owners: _Owners, fail: Fail) -> None:
    skeleton = skeleton_files()
    seen: set[str] = set()
    for path, _ in rendered:
        if path in skeleton:
            raise fail(
                owners.of_path(path),
                f"its generated file {path} would replace the skeleton's own {path}; "
                "rename the entity",
            )
        if path in seen:
            raise fail(
                owners.of_path(path),
                f"the generated file {path} would be written twice (for two different "
                "things); rename the entity",
            )
        seen.add(path)


@lru_cache(maxsize=1)
def app_paths() -> tuple[str, ...]:
    """Paths the skeleton's app serves itself (FastAPI's documentation and main.py's)."""
    main = (project_template() / "template" / "app" / "main.py.jinja").read_text()
    own = re.findall(r"@app\.[a-z]+\(\s*\"(/[^\"]*)\"", main)
    return ("/docs", "/redoc", "/openapi.json", *own)


def _routes(spec: Spec, fail: Fail) -> None:
    taken = [(path, "the skeleton's app") for path in app_paths()]
    taken += [(e.route, f"entity {e.name}") for e in spec.entities]
    for entity in spec.entities:
        route = entity.route
        for path, owner in taken:
            if owner == f"entity {entity.name}":
                continue
            if path.startswith("/docs") or not owner.startswith("entity"):
                if route == path or route.startswith(f"{path}/") or path.startswith(f"{route}/"):
                    raise fail(
                        f"entities.{entity.name}.route",
                        f"route {route!r} collides with {path}, served by {owner}; "
                        "choose another route",
                    )
            elif route.startswith(f"{path}/"):
                raise fail(
                    f"entities.{entity.name}.route",
                    f"route {route!r} is under {path}, the route of {owner}, whose "
                    f"{path}/{{id}} would answer its requests; choose a route outside {path}/",
                )


_PARALLEL_FROM = 200  # files: below this, a process pool costs more than it saves
_FILES_PER_ENTITY = 6  # model, schema, repository, CRUD, routes, factory
Learnt = dict[str, tuple[str, ...] | None]
# ("ok", class-body names or None), or a failure ("parse" or "bind", (place, message))
Outcome = tuple[str, Any]


def _learn(
    todo: dict[str, str],
    homes: set[str],
    owners: _Owners,
    fail: Fail,
    early: dict[str, Outcome] | None = None,
) -> Learnt:
    """Parse the modules and check what they bind (the first failure, in order, of any
    module's parse, else of any module's bindings, is raised); the class-body names of
    those in `homes`. `early`: the outcomes of modules parsed already (by _render)."""
    outcomes = [
        (early or {}).get(path) or _learn_one(path, text, homes, owners)
        for path, text in todo.items()
    ]
    for stage in ("parse", "bind"):  # what the sequential order raises first
        for outcome, found in outcomes:
            if outcome == stage:
                raise fail(*found)
    return {path: names for path, (_, names) in zip(todo, outcomes, strict=True)}


_job: tuple[list[Unit], set[str], _Owners] | None = None  # _render's, for its workers


class _Found(Exception):
    def __init__(self, place: str, message: str) -> None:
        super().__init__(place, message)
        self.place, self.message = place, message


def _found(place: str, message: str) -> SpecError:
    raise _Found(place, message)


def _render_unit(index: int) -> list[tuple[str, str, str, Outcome | None]]:
    """In a worker: the unit's files as (path, template, render, and for a module not
    learnt yet, its outcome)."""
    from generator.render import render

    assert _job is not None
    units, homes, owners = _job
    done: list[tuple[str, str, str, Outcome | None]] = []
    for job in units[index]():
        source = render(job)
        outcome = None
        if job.path.endswith(".py") and _key(job.path, source) not in _checked:
            outcome = _learn_one(job.path, source, homes, owners)
        done.append((job.path, job.template, source, outcome))
    return done


def _learn_one(path: str, text: str, homes: set[str], owners: _Owners) -> Outcome:
    try:
        tree = _parse({path: text}, owners, _found)[path]
    except _Found as found:
        return "parse", (found.place, found.message)
    try:
        _bindings(path, tree, owners, _found)
    except _Found as found:
        return "bind", (found.place, found.message)
    return "ok", tuple(sorted(_class_body_names([tree]))) if path in homes else None


def _parse(sources: dict[str, str], owners: _Owners, fail: Fail) -> dict[str, ast.Module]:
    trees = {}
    for path, text in sources.items():
        if not path.endswith(".py"):
            continue
        try:
            trees[path] = ast.parse(text, path)
        except SyntaxError as exc:
            line = (exc.text or "").strip()
            place = owners.of_line(line, path)
            module = naming.module_name(place.split(".")[-1])
            why = (
                f"its module name {module!r} is a Python keyword"
                if place.count(".") == 1 and keyword.iskeyword(module)
                else "a name in it is not usable there"
            )
            raise fail(
                place,
                f"the generated {path} would not be valid Python ({exc.msg}: {line!r}): "
                f"{why}; rename it",
            ) from None
    return trees


_WHAT = {"fields": "the field (its enum class)", "relations": "the relation (its link class)"}


def _bindings(path: str, tree: ast.Module, owners: _Owners, fail: Fail) -> None:
    bound: dict[str, str] = {}
    for node in tree.body:
        for name, origin in _binds(node):
            if name in bound and bound[name] != origin:
                place = owners.of_name(name) or owners.of_path(path)
                what = _WHAT.get(place.split(".")[-2:][0], "the entity")
                raise fail(
                    place,
                    f"the generated {path} would define {name} twice ({bound[name]} and "
                    f"{origin}); rename {what}",
                )
            bound[name] = origin
    shadowing = [
        (name, origin)
        for name, origin in bound.items()
        if origin.startswith("class") and hasattr(builtins, name)
    ]
    if not shadowing:  # the usual case: no need to walk the whole tree
        return
    loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    for name, origin in shadowing:
        if name in loaded:
            raise fail(
                owners.of_name(name) or owners.of_path(path),
                f"the generated {path} uses Python's builtin {name}, which {origin} would "
                "shadow; rename it",
            )


def _binds(node: ast.stmt) -> Iterator[tuple[str, str]]:
    if isinstance(node, ast.ImportFrom):
        for alias in node.names:
            yield alias.asname or alias.name, f"{alias.name} from {node.module}"
    elif isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.asname or alias.name.split(".")[0], f"module {alias.name}"
    elif isinstance(node, ast.ClassDef):
        yield node.name, f"class {node.name}"
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        yield node.name, f"function {node.name}"
    elif isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Name):
                yield target.id, f"variable {target.id}"
    elif isinstance(node, ast.If):  # `if TYPE_CHECKING:` imports
        for inner in node.body:
            yield from _binds(inner)


def _class_body_names(trees: Iterable[ast.Module]) -> set[str]:
    """Names read inside class bodies (annotations, defaults, calls), outside methods and
    lambdas: a class attribute with one of these names would be read instead."""
    names: set[str] = set()
    for tree in trees:
        for node in _classes(tree.body):
            _body_names(node.body, names)
    return names


_SKIPPED = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda})
_CONTEXTS = frozenset({ast.Load, ast.Store, ast.Del})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}  # node type -> its fields that may hold nodes


def _body_names(statements: list[ast.stmt], names: set[str]) -> None:
    """Add the names read in these statements, depth first, skipping functions and lambdas
    (their bodies run later): every Name in a load context, and inside an annotation the
    names of a string annotation ("Post | None"). What a walk with ast.iter_child_nodes
    finds, without its generators (this is most of the check's time after parsing)."""
    stack: list[tuple[ast.AST, bool]] = [(statement, False) for statement in statements]
    push = stack.append
    name_type, constant_type, annotated_type = ast.Name, ast.Constant, ast.AnnAssign
    while stack:
        item, annotation = stack.pop()
        kind = type(item)
        if kind is name_type:
            if type(item.ctx) is ast.Load:  # type: ignore[attr-defined]
                names.add(item.id)  # type: ignore[attr-defined]
            continue
        if kind is constant_type:
            value = item.value  # type: ignore[attr-defined]
            if annotation and isinstance(value, str):
                names.update(_annotation_names(value))
            continue
        if kind in _SKIPPED or kind in _CONTEXTS:
            continue
        fields = _CHILD_FIELDS.get(kind)
        if fields is None:
            fields = _CHILD_FIELDS[kind] = tuple(f for f in kind._fields if f != "ctx")
        annotated = item.annotation if kind is annotated_type else None  # type: ignore[attr-defined]
        for field in fields:
            value = getattr(item, field, None)
            if isinstance(value, list):
                for child in value:
                    if isinstance(child, ast.AST):
                        push((child, annotation))
            elif isinstance(value, ast.AST):
                push((value, annotation or value is annotated))


@lru_cache(maxsize=4096)
def _annotation_names(text: str) -> frozenset[str]:
    """The names of a string annotation; none when it does not parse."""
    try:
        inner = ast.parse(text, mode="eval")
    except SyntaxError:
        return frozenset()
    return frozenset(n.id for n in ast.walk(inner) if isinstance(n, ast.Name))


def _classes(statements: list[ast.stmt]) -> Iterator[ast.ClassDef]:
    """Every class statement among these, at any depth (what ast.walk would find: a class
    is a statement, and statements nest only in the statement lists walked here)."""
    for node in statements:
        if isinstance(node, ast.ClassDef):
            yield node
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                yield from _classes(inner)
        for handler in getattr(node, "handlers", ()):
            yield from _classes(handler.body)
        for case in getattr(node, "cases", ()):
            yield from _classes(case.body)
