"""What each database accepts: identifier lengths, decimal precision, string lengths and row
sizes, checked against a parsed spec before anything is written.

The spec's `project.database` decides which limits apply (`forge new --database` re-parses
the spec, so it re-checks). Every SQL name forge or SQLAlchemy derives is checked too, not
only the names the user wrote:

| name                       | how it is derived                 | PostgreSQL | MySQL/MariaDB |
|----------------------------|-----------------------------------|------------|---------------|
| table, column, link table  | the spec, `naming`                | 63 bytes   | 64 characters |
| enum type                  | `<table>_<field>`                 | 63 bytes   | (inline)      |
| enum label                 | the spec's `values`               | 63 bytes   | 255 characters|
| index                      | `ix_<table>_<column>` (SQLAlchemy)| 63 bytes   | 64 characters |
| foreign-key constraint     | `<table>_ibfk_<n>` (InnoDB)       | (truncated)| 63 characters |
| key that breaks a cycle    | `fk_<table>_<column>` (`naming`)  | 63 bytes   | 63 characters |

PostgreSQL would silently truncate a longer name (so two names can become one, and
`alembic check` never settles); MariaDB refuses it. Derived names are refused rather than
shortened: a shortened name would have to be computed the same way by the models, the
migrations already written and every future SQLAlchemy version.

Every database also gets a portable 63-character cap on the tables, columns and names the
user writes, so a spec written for SQLite keeps working when its `database:` changes
(index, enum type and constraint names are checked for the spec's database only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from generator import fieldtypes
from generator.errors import SpecError
from generator.spec import Spec

Fail = Callable[[str, str], SpecError]

PORTABLE_NAME = 63  # PostgreSQL's limit: the strictest of the three


@dataclass(frozen=True)
class Limits:
    label: str
    identifier: int | None  # longest table/column/index name, or None for no limit
    in_bytes: bool  # whether `identifier` counts UTF-8 bytes (PostgreSQL) or characters
    enum_label: int | None
    enum_label_in_bytes: bool
    precision: int
    scale: int | None  # None: up to the precision
    varchar: int  # longest max_length of a str column
    indexed_varchar: int | None  # longest max_length of a unique or indexed str column
    row_bytes: int | None  # the row size limit of the storage engine
    named_fks: bool  # foreign keys get a server-derived name `<table>_ibfk_<n>`
    named_enums: bool  # enum fields create a named type `<table>_<field>`
    indexes_per_table: bool = False  # index names are unique per table (not per schema)


LIMITS = {
    "sqlite": Limits(
        label="SQLite",
        identifier=None,
        in_bytes=False,
        enum_label=None,
        enum_label_in_bytes=False,
        precision=1000,  # no server limit; the same as PostgreSQL, so a spec can move
        scale=None,
        varchar=10_485_760,
        indexed_varchar=None,
        row_bytes=None,
        named_fks=False,
        named_enums=False,
    ),
    "postgresql": Limits(
        label="PostgreSQL",
        identifier=63,
        in_bytes=True,
        enum_label=63,
        enum_label_in_bytes=True,
        precision=1000,
        scale=None,
        varchar=10_485_760,
        indexed_varchar=None,
        row_bytes=None,
        named_fks=False,
        named_enums=True,
    ),
    "mysql": Limits(
        label="MySQL/MariaDB",
        identifier=64,
        in_bytes=False,
        enum_label=255,
        enum_label_in_bytes=False,
        precision=65,
        scale=30,  # MySQL's limit; MariaDB allows 38
        varchar=16_383,  # utf8mb4: 4 bytes a character, 65,535 bytes at most
        indexed_varchar=768,  # InnoDB keys are at most 3,072 bytes
        row_bytes=65_535,
        named_fks=True,
        named_enums=False,
        indexes_per_table=True,
    ),
}


def check(spec: Spec, fail: Fail) -> None:
    """Raise the first limit of the spec's database that the spec goes beyond."""
    from generator.model import build_model

    limits = LIMITS[spec.project.database]
    model = build_model(spec)
    # SQLite and PostgreSQL name indexes and tables in one namespace per database/schema
    relations = {entity.table: f"the table of {entity.class_name}" for entity in model.entities}
    relations.update({link.table: f"the link table {link.table}" for link in model.link_tables})
    _name(limits, spec.project.name, "project name", "project.name", fail)
    for entity in model.entities:
        where = f"entities.{entity.class_name}"
        table = entity.table
        # MySQL names indexes per table, apart from the tables
        index_names: dict[str, str] = {} if limits.indexes_per_table else relations
        _name(limits, entity.class_name, "entity name", where, fail)
        for relation in entity.spec.relations:
            place = f"{where}.relations.{relation.name}"
            _name(limits, relation.name, "relation name", place, fail)
            if relation.inverse is not None:
                _name(limits, relation.inverse, "inverse name", f"{place}.inverse", fail)
        _name(limits, table, "table", f"{where}.table", fail)
        key_column = entity.spec.primary_key.column
        columns: list[tuple[str, str, bool]] = [(key_column, where, False)]
        for field in entity.fields:
            place = f"{where}.fields.{field.name}"
            columns.append((field.column or field.name, place, field.index))
            if field.type == "str":
                _str_length(limits, field.max_length or 0, field.unique or field.index, place, fail)
            if field.type == "decimal":
                _decimal(limits, field.precision or 0, field.scale or 0, place, fail)
            if field.type == "enum":
                if limits.named_enums:
                    enum_type = field.enum_type or f"{table}_{field.name}"
                    _name(
                        limits,
                        enum_type,
                        f"enum type name {enum_type!r}",
                        place,
                        fail,
                        portable=False,
                    )
                for value in field.values:
                    _label(limits, value, f"{place}.values", fail)
        for fk in entity.foreign_keys:
            place = f"{where}.relations.{fk.relation}"
            columns.append((fk.database_column, place, entity.fk_indexed(fk)))
            if fk.constraint is not None:  # a key that breaks a cycle is named (cycles.py)
                what = f"foreign-key name {fk.constraint!r}"
                _name(limits, fk.constraint, what, fk.place or place, fail, portable=False)
                if limits.named_fks:
                    _fk_name(limits, fk.constraint, fk.place or place, fail)
        if entity.spec.soft_delete:
            columns.append(("deleted_at", f"{where}.soft_delete", True))
        for column, place, indexed in columns:
            _name(limits, column, f"column {column!r}", place, fail)
            if indexed:
                index = f"ix_{table}_{column}"
                _name(limits, index, f"index name {index!r}", place, fail, portable=False)
                if index in index_names:
                    raise fail(
                        place,
                        f"its index name {index!r} is also the name of {index_names[index]}; "
                        "rename a table or a column",
                    )
                index_names[index] = f"the index of {table}.{column}"
        for named in entity.unique_constraints + entity.indexes:
            what = f"constraint or index name {named.name!r}"
            _name(limits, named.name, what, named.where, fail, portable=False)
            if named.name in index_names:
                raise fail(
                    named.where,
                    f"its name {named.name!r} is also the name of {index_names[named.name]}; "
                    "name it otherwise",
                )
            index_names[named.name] = f"the constraint {named.where}"
        if limits.named_fks and entity.foreign_keys:
            constraint = f"{table}_ibfk_{len(entity.foreign_keys)}"
            place = f"{where}.relations.{entity.foreign_keys[-1].relation}"
            _fk_name(limits, constraint, place, fail)
        if limits.row_bytes is not None:
            _row_size(limits, entity, where, fail)
    if limits.named_enums:
        _enum_types(model, fail)
    for link in model.link_tables:
        place = _link_place(spec, link.table, link.left[1].class_name)
        written = f"{place}.link_table" if _explicit(spec, place) else place
        _name(limits, link.table, f"link table {link.table!r}", written, fail)
        for column, _ in (link.left, link.right):
            _name(limits, column, f"link column {column!r}", place, fail)
        for field in link.fields:
            field_place = f"{place}.link_fields.{field.name}"
            _name(limits, field.name, f"column {field.name!r}", field_place, fail)
            if field.type == "str":
                _str_length(
                    limits, field.max_length or 0, field.unique or field.index, field_place, fail
                )
            if field.type == "decimal":
                _decimal(limits, field.precision or 0, field.scale or 0, field_place, fail)
            if field.type == "enum" and limits.named_enums:
                enum_type = field.enum_type or f"{link.table}_{field.name}"
                _name(limits, enum_type, f"enum type name {enum_type!r}", field_place, fail)
        if limits.named_fks:
            constraint = f"{link.table}_ibfk_2"
            _fk_name(limits, constraint, place, fail)


def _explicit(spec: Spec, place: str) -> bool:
    _, entity, _, relation = place.split(".")
    return any(r.name == relation and r.link_table for r in spec.entity(entity).relations)


def _enum_types(model: Any, fail: Fail) -> None:
    """PostgreSQL keeps enum types and tables (each table is also a type) in one namespace:
    `post_status` cannot be both the enum of Post.status and a table, nor two enums."""
    taken = {entity.table: f"the table of {entity.class_name}" for entity in model.entities}
    taken.update({link.table: f"the link table {link.table}" for link in model.link_tables})
    for entity in model.entities:
        for field in entity.fields:
            if field.type != "enum":
                continue
            name = field.enum_type or f"{entity.table}_{field.name}"
            place = f"entities.{entity.class_name}.fields.{field.name}"
            if name in taken:
                raise fail(
                    place,
                    f"its PostgreSQL enum type {name!r} would have the same name as "
                    f"{taken[name]}; rename the field or a table",
                )
            taken[name] = f"the enum type of {place}"


def _link_place(spec: Spec, table: str, source: str) -> str:
    from generator import naming

    entity = spec.entity(source)
    for relation in entity.relations:
        if relation.kind != "many_to_many":
            continue
        target = spec.entity(relation.target)
        if (relation.link_table or naming.link_table(entity.table, target.table)) == table:
            return f"entities.{entity.name}.relations.{relation.name}"
    raise AssertionError(table)  # pragma: no cover


def _name(
    limits: Limits, name: str, what: str, where: str, fail: Fail, portable: bool = True
) -> None:
    """A name within the database's limit and, unless it exists only on some databases
    (index, enum type and constraint names), within the portable limit."""
    size = len(name.encode()) if limits.in_bytes else len(name)
    unit = "bytes" if limits.in_bytes else "characters"
    too_long = limits.identifier is None or size <= limits.identifier
    if portable and len(name) > PORTABLE_NAME and too_long:
        raise fail(
            where,
            f"{what} is {len(name)} characters; at most {PORTABLE_NAME} (PostgreSQL's limit, "
            "kept on every database so the spec can move); shorten it",
        )
    if limits.identifier is not None and size > limits.identifier:
        raise fail(
            where,
            f"{what} is {size} {unit}; {limits.label} allows at most {limits.identifier} "
            f"{unit} in a name; shorten it",
        )


# MariaDB refuses a generated foreign-key name of 64 characters ("Identifier name
# '<57 characters>_ibfk_1' is too long"), one less than its other names.
_FK_NAME = 63


def _fk_name(limits: Limits, name: str, where: str, fail: Fail) -> None:
    if len(name) > _FK_NAME:
        raise fail(
            where,
            f"foreign-key name {name!r}, which {limits.label} derives from the table, is "
            f"{len(name)} characters; it allows at most {_FK_NAME}; shorten the table name",
        )


def _label(limits: Limits, value: str, where: str, fail: Fail) -> None:
    if limits.enum_label is None:
        return
    size = len(value.encode()) if limits.enum_label_in_bytes else len(value)
    unit = "bytes" if limits.enum_label_in_bytes else "characters"
    if size > limits.enum_label:
        raise fail(
            where,
            f"value {value[:20]!r}... is {size} {unit}; {limits.label} allows at most "
            f"{limits.enum_label} {unit} in an enum label",
        )


def _str_length(limits: Limits, length: int, keyed: bool, where: str, fail: Fail) -> None:
    if length > limits.varchar:
        raise fail(
            f"{where}.max_length",
            f"{length} is more than {limits.label} allows for a string column "
            f"({limits.varchar}); use type text",
        )
    if keyed and limits.indexed_varchar is not None and length > limits.indexed_varchar:
        raise fail(
            f"{where}.max_length",
            f"{length} is too long for a unique or indexed column on {limits.label} "
            f"(at most {limits.indexed_varchar} characters: keys are at most 3072 bytes)",
        )


def _decimal(limits: Limits, precision: int, scale: int, where: str, fail: Fail) -> None:
    if precision > limits.precision:
        raise fail(
            f"{where}.precision",
            f"{precision} is more than {limits.label} allows (at most {limits.precision})",
        )
    if limits.scale is not None and scale > limits.scale:
        raise fail(
            f"{where}.scale",
            f"{scale} is more than {limits.label} allows (at most {limits.scale})",
        )


def _row_size(limits: Limits, entity: object, where: str, fail: Fail) -> None:
    from generator.model import Entity

    assert isinstance(entity, Entity) and limits.row_bytes is not None
    total = 4 + 4 * len(entity.foreign_keys)  # id and the foreign keys
    total += 16 if entity.spec.timestamps else 0
    total += 8 if entity.spec.soft_delete else 0
    widest = None
    for field in entity.fields:
        options = fieldtypes.Options(field.name, field.max_length, field.precision, field.scale)
        size = fieldtypes.get(field.type).row_bytes(options)
        total += size
        if widest is None or size > widest[1]:
            widest = (field.name, size)
    if total > limits.row_bytes and widest is not None:
        field = next(f for f in entity.fields if f.name == widest[0])
        option = ".max_length" if field.type == "str" else ""
        raise fail(
            f"{where}.fields.{widest[0]}{option}",
            f"a {entity.class_name} row would take {total} bytes on {limits.label} "
            f"(at most {limits.row_bytes}; a str takes 4 bytes a character); lower "
            "max_length or use type text",
        )
