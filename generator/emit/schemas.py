"""The Create / Read / Update Pydantic schemas of one entity (the same for every ORM).

Their field types are the API's value types (app/schemas/types.py of a generated project),
which state every limit in the OpenAPI document; the registry says which type is which.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator import fieldtypes
from generator.emit.source import Imports, Line, attribute, literal
from generator.emit.table import default_of, field_options
from generator.model import Entity
from generator.spec import KeySpec

_TYPES_MODULE = fieldtypes.TYPES_MODULE


@dataclass
class SchemaCode:
    imports: Imports
    create: list[Line]
    read: list[Line]
    update: list[Line]
    non_nullable: list[str]


def schema_code(entity: Entity) -> SchemaCode:
    """The Create / Read / Update Pydantic models of one entity. A non-nullable field of
    the Update model may be left out but its type has no null: the OpenAPI document says
    what the route accepts."""
    imports = Imports()
    imports.add("pydantic", "BaseModel", "ConfigDict")
    imports.add("app.schemas.base", "CreateSchema", "UpdateSchema")
    key = entity.spec.primary_key
    create: list[Line] = []
    read: list[Line] = [Line("id", key_annotation(key, imports, stored=True))]
    update: list[Line] = []
    if key.type == "str":  # a natural key: the client gives it on create, never changes it
        create.append(Line("id", key_annotation(key, imports)))
    for spec in entity.fields:
        record = fieldtypes.get(spec.type)
        options = field_options(entity, spec)
        storage = record.storage(spec.storage)
        api_input = storage.api_input if storage is not None and storage.api_input else None
        base = imports.code((api_input or record.api_input).code(options))
        annotation = f"{base} | None" if spec.nullable else base
        constraints = [fieldtypes.render(text, options) for text in record.api_constraints]
        if spec.description is not None:
            constraints.append(f"description={literal(spec.description)}")
        default = default_of(entity, spec, api=True)
        create_args: list[str] = []
        if default is not None:
            keyword = "default_factory" if default.factory else "default"
            create_args.append(f"{keyword}={imports.code(default.code)}")
        elif spec.nullable:
            create_args.append("default=None")
        create_args += constraints
        if create_args:
            imports.add("pydantic", "Field")
        create.append(
            attribute(spec.name, annotation, "Field", create_args)
            if create_args
            else Line(spec.name, annotation)
        )
        out = imports.code(record.output().code(options))
        read.append(Line(spec.name, f"{out} | None" if spec.nullable else out))
        if spec.nullable:
            imports.add("pydantic", "Field")
            update.append(attribute(spec.name, annotation, "Field", ["default=None", *constraints]))
        else:  # may be left out, not set to null: Unset() is Field(default=None) typed Any
            imports.add("app.schemas.base", "Unset")
            update.append(attribute(spec.name, annotation, "Unset", constraints))
    if entity.spec.timestamps or entity.spec.soft_delete:
        imports.add(_TYPES_MODULE, "StoredDateTime")
    if entity.spec.timestamps:
        read += [Line("created_at", "StoredDateTime"), Line("updated_at", "StoredDateTime")]
    if entity.spec.soft_delete:
        read.append(Line("deleted_at", "StoredDateTime | None"))
    for fk in entity.foreign_keys:
        kind = key_annotation(fk.target.key, imports)
        annotation = f"{kind} | None" if fk.nullable else kind
        create.append(Line(fk.column, annotation, "None" if fk.nullable else None))
        stored = key_annotation(fk.target.key, imports, stored=True)
        read.append(Line(fk.column, f"{stored} | None" if fk.nullable else stored))
        if fk.nullable:
            update.append(Line(fk.column, annotation, "None"))
        else:
            imports.add("app.schemas.base", "Unset")
            update.append(Line(fk.column, annotation, "Unset()"))
    return SchemaCode(imports, create, read, update, [])


def key_annotation(key: KeySpec, imports: Imports, *, stored: bool = False) -> str:
    """The API type of a primary key (and of the foreign keys that refer to it), with
    the bounds of its column: a smallint id past 32767 is a 422, never a database error.
    `stored`: the type a Read schema returns it as (the same bounds, without the checks
    of what JSON may send, which a value read from the database needs not)."""
    name, bounds = (STORED_KEY_API if stored else KEY_API).get(key.type, KEY_API[key.type])
    imports.add(_TYPES_MODULE, name)
    if key.storage is not None:
        bounds = KEY_STORAGE_BOUNDS[key.storage]
    if not bounds:
        return name
    imports.add("typing", "Annotated")
    imports.add("pydantic", "Field")
    return f"Annotated[{name}, Field({bounds.format(length=key.max_length)})]"


# The API type of each primary key type: a type of app/schemas/types.py and the bounds
# added to it (none for int: `Id` is 1..2**31-1 already).
KEY_API = {
    "int": ("Id", ""),
    "smallint": ("Id", "le=32767"),
    "bigint": ("Int64", "ge=1"),
    "uuid": ("Uuid", ""),
    "str": ("Str", "min_length=1, max_length={length}"),
}
STORED_KEY_API = {"int": ("StoredId", ""), "smallint": ("StoredId", "le=32767")}
# `primary_key: {storage: ...}`: the bounds of the narrower column instead
KEY_STORAGE_BOUNDS = {
    "tinyint": f"le={fieldtypes.TINYINT_MAX}",
    "mediumint": f"le={fieldtypes.MEDIUMINT_MAX}",
}
