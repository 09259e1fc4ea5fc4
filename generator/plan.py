"""Which files the data layer consists of, each with its template and context.

Spec -> Model -> [FileJob]. Nothing is rendered or written here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from generator import fieldtypes
from generator.emit import Emitter, emitter
from generator.emit.schemas import schema_code
from generator.emit.source import Code, Imports, literal
from generator.emit.table import field_options
from generator.layout import Item
from generator.model import LINKS_MODULE, Entity, Model, build_model
from generator.spec import FieldSpec, KeySpec, Spec


@dataclass(frozen=True)
class FileJob:
    path: str  # POSIX path relative to the project root
    template: str
    context: dict[str, Any] = field(hash=False, compare=False)


def file_jobs(spec: Spec) -> list[FileJob]:
    """Every data-layer file of a project, in a stable order."""
    return [job for unit in job_units(spec) for job in unit()]


Unit = Callable[[], list[FileJob]]


def job_units(spec: Spec) -> list[Unit]:
    """The jobs of file_jobs(spec), in its order, as units of work that each compute their
    own (most of the cost of a job is its code: the emitters run when the unit is called).
    generator/namecheck.py hands the units of a large spec to a pool of workers, each of
    which computes a unit's jobs and renders them."""
    model = build_model(spec)
    orm = emitter(spec.project.orm)
    units: list[Unit] = [partial(_entity_jobs, entity, orm) for entity in model.entities]
    units.append(partial(_shared_jobs, spec, model, orm))
    if model.entities:
        units.append(_factories_support_jobs)
        units.extend(partial(_factory_jobs, entity) for entity in model.entities)
        units.append(partial(_tests_jobs, model))
    return units


def _shared_jobs(spec: Spec, model: Model, orm: Emitter) -> list[FileJob]:
    """The packages' __init__ modules, the ORM's support modules and the link tables."""
    jobs: list[FileJob] = []
    modules = [(e.module, e.class_name) for e in model.entities]
    if model.link_tables:
        links = ", ".join(link.class_name for link in model.link_tables)
        modules.append((LINKS_MODULE, links))
    modules += [(support.module, support.names) for support in orm.support_modules]
    names = [e.class_name for e in model.entities] + [link.class_name for link in model.link_tables]
    jobs.append(
        FileJob(
            "app/models/__init__.py",
            "models_init.py.jinja",
            {
                "summary": "Every table model, imported so that Alembic sees all tables.",
                "modules": sorted(modules),
                "names": sorted(names),
                "metadata_import": orm.metadata_import,
                "metadata_owner": orm.metadata_owner,
                # MariaDB's CHECK violations are OperationalErrors until mapped (see there)
                "check_errors": spec.project.database == "mysql"
                and any(entity.checks for entity in spec.entities),
            },
        )
    )
    for support in orm.support_modules:
        jobs.append(
            FileJob(
                f"app/models/{support.module}.py", support.template, {"summary": support.summary}
            )
        )
    jobs.append(
        FileJob(
            "app/api/routes/__init__.py",
            "routes_init.py.jinja",
            {
                "summary": "The routes of every entity, mounted by app.main.",
                "modules": sorted(e.module for e in model.entities),
            },
        )
    )
    if model.link_tables:
        links_code = orm.links(model.link_tables)
        jobs.append(
            FileJob(
                f"app/models/{LINKS_MODULE}.py",
                "links.py.jinja",
                {
                    "summary": "Link tables of the many_to_many relations.",
                    "imports": links_code.imports,
                    "enums": links_code.enums,
                    "classes": links_code.classes,
                    "base": orm.table_base,
                },
            )
        )
    return jobs


def _entity_jobs(entity: Entity, orm: Emitter) -> list[FileJob]:
    name, module = entity.class_name, entity.module
    context = {"entity": entity}
    return [
        FileJob(
            f"app/models/{module}.py",
            "model.py.jinja",
            {**context, "summary": f"The {name} table.", "code": orm.model(entity)},
        ),
        FileJob(
            f"app/schemas/{module}.py",
            "schema.py.jinja",
            {
                **context,
                "summary": f"Pydantic schemas of {name}: create, read and partial update.",
                "code": schema_code(entity),
            },
        ),
        FileJob(
            f"app/repositories/{module}_repository.py",
            "repository.py.jinja",
            {**context, "summary": f"Repository of {name}."},
        ),
        FileJob(
            f"app/crud/{module}.py",
            "crud.py.jinja",
            {**context, "summary": f"CRUD operations on {name}."},
        ),
        FileJob(
            f"app/api/routes/{module}.py",
            "routes.py.jinja",
            {
                **context,
                "summary": f"HTTP routes of {name}: list, read, create, update, delete.",
                "route": entity.spec.route,
                "conflict": _conflict(entity),
                "searchable": [spec.name for spec in entity.fields if spec.searchable],
            },
        ),
    ]


# ----------------------------------------------------------------------- test factories


@dataclass
class Factory:
    class_name: str
    values_function: str
    make_function: str
    values: list[tuple[str, Item]]
    parents: list[tuple[str, str]]


def _factory(entity: Entity) -> Factory:
    module = entity.module
    values = [
        (spec.name, sample(entity, spec).item) for spec in entity.fields if not spec.has_default
    ]
    if entity.spec.primary_key.type == "str":  # a natural key: the client gives it
        values.insert(0, ("id", Code(STR_KEY_SAMPLE).item))
    parents = [
        (fk.column, f"make_{fk.target.module}") for fk in entity.foreign_keys if not fk.nullable
    ]
    return Factory(
        class_name=entity.class_name,
        values_function=f"{module}_values",
        make_function=f"make_{module}",
        values=values,
        parents=parents,
    )


def sample(entity: Entity, spec: FieldSpec) -> Code:
    """An expression (in terms of the counter `n`) giving a valid, unique-per-n value."""
    record = fieldtypes.get(spec.type)
    storage = record.storage(spec.storage)
    source = storage.sample if storage is not None and storage.sample else record.sample
    return source.code(field_options(entity, spec))


def _update_probe(entity: Entity) -> str:
    """A valid partial update for the generated test, as a dict literal: a new value of the
    first field whose type offers one and that is not unique."""
    for spec in entity.fields:
        record = fieldtypes.get(spec.type)
        storage = record.storage(spec.storage)
        probe = record.update_probe
        if storage is not None and storage.update_probe is not None:
            probe = storage.update_probe
        if probe is not None and not spec.unique:
            return f"{{{literal(spec.name)}: {probe.code(field_options(entity, spec)).text}}}"
    return "{}"


# A unique-per-n value of a str primary key in the factories (digits: every length fits
# until the tests have made 10**max_length rows).
STR_KEY_SAMPLE = "str(n)"
# An id no row has, by key type, as Python source (a create referring to it is a 409).
MISSING_ID = {
    "int": "2147483647",
    "smallint": "32767",
    "bigint": "2147483647",
    "uuid": '"00000000-0000-0000-0000-000000000000"',
    "str": '"~"',
}
# An id the route refuses with 422 (out of the key's range), by key type; None: a uuid
# route matches only uuids (anything else is a 404 already tested).
OUT_OF_RANGE_ID = {
    "int": "2147483648",
    "smallint": "32768",
    "bigint": str(2**53),
    "uuid": None,
}
# the same two for a key with `storage:` (its narrower column)
MISSING_STORAGE_ID = {
    "tinyint": str(fieldtypes.TINYINT_MAX),
    "mediumint": str(fieldtypes.MEDIUMINT_MAX),
}
OUT_OF_RANGE_STORAGE_ID = {
    "tinyint": str(fieldtypes.TINYINT_MAX + 1),
    "mediumint": str(fieldtypes.MEDIUMINT_MAX + 1),
}


def _key_probes(entity: Entity) -> dict[str, str]:
    """What the generated tests need to know about a key that is not the default int:
    an id no row has and a path id refused with 422 (both Python source)."""
    key = entity.spec.primary_key
    missing = {"uuid": "UUID(int=0)", "str": '"~"'}.get(key.type, "-1")
    if key.type == "str":
        bad: str | None = literal("x" * ((key.max_length or 0) + 1))
    else:
        found = OUT_OF_RANGE_ID[key.type]
        if key.storage is not None:
            found = OUT_OF_RANGE_STORAGE_ID[key.storage]
        bad = literal(found) if found is not None else None
    return {"missing": missing, "bad_id": bad if bad is not None else "None"}


def _conflict(entity: Entity) -> str:
    """How the generated test makes a create conflict: a reference to a missing row
    (a dict literal), the same unique values twice ("{}"), or not at all ("None")."""
    for fk in entity.foreign_keys:
        if not fk.nullable:
            target = fk.target.key
            missing = MISSING_ID[target.type]
            if target.storage is not None:
                missing = MISSING_STORAGE_ID[target.storage]
            return f"{{{literal(fk.column)}: {missing}}}"
    if any(spec.unique and not spec.has_default for spec in entity.fields):
        return "{}"
    return "None"


def _tests_jobs(model: Model) -> list[FileJob]:
    imports = Imports()
    cases = []
    for entity in model.entities:
        name, module = entity.class_name, entity.module
        imports.add(f"app.crud.{module}", f"{name}CRUD")
        imports.add(f"app.repositories.{module}_repository", f"{name}Repository")
        imports.add(f"app.schemas.{module}", f"{name}Create", f"{name}Update")
        factory = _factory(entity)
        imports.add(f"tests.factories.{module}", factory.make_function, factory.values_function)
        cases.append(
            {
                "name": name,
                "values_function": factory.values_function,
                "make": factory.make_function,
                "changes": _update_probe(entity),
                "route": entity.spec.route,
                "conflict": _conflict(entity),
                **_key_probes(entity),
            }
        )
    # Keys other than the default int (`primary_key:`) give every case two more values;
    # a spec without them keeps its tests as they were.
    keyed = any(entity.spec.primary_key != KeySpec() for entity in model.entities)
    if any(entity.spec.primary_key.type == "uuid" for entity in model.entities):
        imports.add("uuid", "UUID")
    integer = [
        index for index, entity in enumerate(model.entities) if entity.spec.primary_key.integer
    ]
    return [
        FileJob(
            "tests/test_entities.py",
            "test_entities.py.jinja",
            {
                "summary": "Tests of the generated CRUD and repository classes of every entity.",
                "imports": imports,
                "cases": cases,
                "keyed": keyed,
                # The case whose routes probe a route added below them: an integer key's.
                "probe": integer[0] if integer else None,
            },
        )
    ]


def _factories_support_jobs() -> list[FileJob]:
    """tests/factories/: its package and helpers; then one module per entity, so that a
    change re-renders only its own (_factory_jobs)."""
    return [
        FileJob(
            "tests/factories/__init__.py",
            "factories_init.py.jinja",
            {"summary": "Factories that insert valid rows of every entity, one module each."},
        ),
        FileJob(
            "tests/factories/_support.py",
            "factories_support.py.jinja",
            {"summary": "Helpers of the factories: unique numbers and texts."},
        ),
    ]


def _factory_jobs(entity: Entity) -> list[FileJob]:
    """tests/factories/<module>.py: valid rows of one entity."""
    factory = _factory(entity)
    imports = Imports()
    imports.add("typing", "Any")
    imports.add("sqlalchemy.ext.asyncio", "AsyncSession")
    imports.add("app.models", entity.class_name)
    imports.add(f"app.crud.{entity.module}", f"{entity.class_name}CRUD")
    imports.add(f"app.schemas.{entity.module}", f"{entity.class_name}Create")
    if factory.values:
        imports.add("tests.factories._support", "next_n")
    for fk in entity.foreign_keys:
        if not fk.nullable and fk.target.class_name != entity.class_name:
            imports.add(f"tests.factories.{fk.target.module}", f"make_{fk.target.module}")
    for spec in entity.fields:
        if not spec.has_default:
            imports.need(*sample(entity, spec).imports)
    return [
        FileJob(
            f"tests/factories/{entity.module}.py",
            "factory.py.jinja",
            {
                "summary": f"Factory of valid {entity.class_name} rows, for tests.",
                "imports": imports,
                "factory": factory,
            },
        )
    ]
