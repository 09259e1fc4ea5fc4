"""Checks that need the whole spec: unique names, relation targets, clashes, FK cycles.

Run by the reader once every entity is read; limits.py (what the database accepts) and
namecheck.py (names that would break the generated code) are run from here too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from generator import naming
from generator.errors import SpecError
from generator.spec.records import (
    GENERATED_SUFFIXES,
    RESERVED_CLASSES,
    SOFT_DELETE_COLUMN,
    TIMESTAMP_COLUMNS,
    EntitySpec,
    Spec,
)

Fail = Callable[[str, str], SpecError]  # (place, message) -> the error to raise


def check(spec: Spec, fail: Fail) -> None:
    """Raise the first problem that needs the whole spec; `fail` words the SpecError."""
    _SemanticChecks(fail, spec).run()


class _SemanticChecks:
    """Checks that need the whole spec: unique names, targets, clashes, FK cycles."""

    def __init__(self, fail: Fail, spec: Spec) -> None:
        self.fail = fail
        self.spec = spec
        self.by_name = {entity.name: entity for entity in spec.entities}

    def run(self) -> None:
        self.unique_tables_and_modules()
        self.unique_routes()
        self.targets()
        self.attribute_clashes()
        self.column_clashes()
        self.link_tables()
        self.enum_classes()
        self.generated_classes()
        self.required_fk_cycles()
        self.table_constraints()
        from generator import limits, namecheck

        limits.check(self.spec, self.fail)  # what the spec's database accepts
        namecheck.check(self.spec, self.fail)  # names that would break the generated code

    def generated_classes(self) -> None:
        """Classes generated for one entity (PostCreate, PostCRUD, ...) must not be another
        entity's name: the generated modules import them side by side."""
        owners: dict[str, str] = {}
        for entity in self.spec.entities:
            for suffix in GENERATED_SUFFIXES:
                owners[f"{entity.name}{suffix}"] = entity.name
        for entity in self.spec.entities:
            if entity.name in owners:
                raise self.fail(
                    f"entities.{entity.name}",
                    f"entity name {entity.name!r} clashes with a class generated for "
                    f"{owners[entity.name]} ({', '.join(s for s in GENERATED_SUFFIXES)} "
                    "are added to every entity's name); rename it",
                )

    def unique_tables_and_modules(self) -> None:
        tables: dict[str, EntitySpec] = {}
        modules: dict[str, str] = {}
        for entity in self.spec.entities:
            where = f"entities.{entity.name}"
            # MySQL on Windows/macOS and SQLite compare table names without case.
            other = tables.get(entity.table.lower())
            if other is not None and other.table == entity.table:
                raise self.fail(
                    f"{where}.table",
                    f"table {entity.table!r} is already used by entity {other.name}",
                )
            if other is not None:
                raise self.fail(
                    f"{where}.table",
                    f"table {entity.table!r} differs only in case from {other.table!r} of "
                    f"entity {other.name} (databases compare table names without case); "
                    "rename one",
                )
            tables[entity.table.lower()] = entity
            module = naming.module_name(entity.name)
            if module in modules:
                raise self.fail(
                    where,
                    f"entities {modules[module]} and {entity.name} would both be written to "
                    f"{module}.py; rename one",
                )
            modules[module] = entity.name

    def unique_routes(self) -> None:
        routes: dict[str, str] = {}
        for entity in self.spec.entities:
            if entity.route in routes:
                raise self.fail(
                    f"entities.{entity.name}.route",
                    f"route {entity.route!r} is already used by entity {routes[entity.route]}",
                )
            routes[entity.route] = entity.name

    def targets(self) -> None:
        known = ", ".join(sorted(self.by_name)) or "none defined"
        for entity in self.spec.entities:
            for relation in entity.relations:
                if relation.target not in self.by_name:
                    raise self.fail(
                        f"entities.{entity.name}.relations.{relation.name}.target",
                        f"unknown entity {relation.target!r} (known: {known})",
                    )

    def attribute_clashes(self) -> None:
        """Every attribute of a class (fields, FK columns, relations, inverses) is unique."""
        owners: dict[str, dict[str, str]] = {e.name: {} for e in self.spec.entities}

        def claim(entity: str, attribute: str, what: str, where: str) -> None:
            taken = owners[entity]
            if attribute in taken:
                raise self.fail(where, f"{what} clashes with {taken[attribute]} on entity {entity}")
            taken[attribute] = what

        for entity in self.spec.entities:
            where = f"entities.{entity.name}"
            if entity.timestamps:
                for column in TIMESTAMP_COLUMNS:
                    claim(entity.name, column, "a column of timestamps: true", "")
            if entity.soft_delete:
                claim(entity.name, SOFT_DELETE_COLUMN, "the column of soft_delete: true", "")
            for field in entity.fields:
                claim(
                    entity.name, field.name, f"field {field.name!r}", f"{where}.fields.{field.name}"
                )
        for entity in self.spec.entities:
            base = f"entities.{entity.name}.relations"
            for relation in entity.relations:
                where = f"{base}.{relation.name}"
                claim(entity.name, relation.name, f"relation {relation.name!r}", where)
                if relation.kind in ("many_to_one", "one_to_one"):
                    column = naming.fk_column(relation.name)
                    claim(
                        entity.name,
                        column,
                        f"foreign-key column {column!r} of relation {relation.name!r}",
                        where,
                    )
        for entity in self.spec.entities:
            base = f"entities.{entity.name}.relations"
            for relation in entity.relations:
                where = f"{base}.{relation.name}"
                if relation.kind == "one_to_many":
                    column = naming.fk_column(relation.inverse or naming.snake_case(entity.name))
                    claim(
                        relation.target,
                        column,
                        f"foreign-key column {column!r} of {entity.name}.{relation.name}",
                        where,
                    )
                if relation.inverse is not None:
                    if relation.target == entity.name and relation.inverse == relation.name:
                        raise self.fail(
                            f"{where}.inverse", "must differ from the relation's own name"
                        )
                    claim(
                        relation.target,
                        relation.inverse,
                        f"inverse {relation.inverse!r} of {entity.name}.{relation.name}",
                        f"{where}.inverse",
                    )

    def column_clashes(self) -> None:
        """Every database column of a table is unique, without case (MySQL and SQLite
        compare column names without case): the key, fields, foreign keys, bookkeeping."""
        owners: dict[str, dict[str, tuple[str, str]]] = {e.name: {} for e in self.spec.entities}

        def claim(entity: str, column: str, what: str, where: str) -> None:
            taken = owners[entity]
            found = taken.get(column.lower())
            if found is not None:
                name, other = found
                same = "" if name == column else f" (differs only in case from {name!r})"
                raise self.fail(
                    where, f"column {column!r} of {what} clashes with {other}{same} on {entity}"
                )
            taken[column.lower()] = (column, what)

        for entity in self.spec.entities:
            where = f"entities.{entity.name}"
            claim(entity.name, entity.primary_key.column, "the primary key", where)
            for name in TIMESTAMP_COLUMNS if entity.timestamps else ():
                claim(entity.name, name, "timestamps: true", f"{where}.timestamps")
            if entity.soft_delete:
                claim(entity.name, SOFT_DELETE_COLUMN, "soft_delete: true", f"{where}.soft_delete")
            for field in entity.fields:
                place = f"{where}.fields.{field.name}"
                if field.column is not None:
                    place += ".column"
                claim(entity.name, field.column or field.name, f"field {field.name!r}", place)
        for entity in self.spec.entities:
            for relation in entity.relations:
                place = f"entities.{entity.name}.relations.{relation.name}"
                if relation.column is not None:
                    place += ".column"
                what = f"relation {entity.name}.{relation.name}"
                if relation.kind in ("many_to_one", "one_to_one"):
                    column = relation.column or naming.fk_column(relation.name)
                    claim(entity.name, column, what, place)
                elif relation.kind == "one_to_many":
                    default = naming.fk_column(relation.inverse or naming.snake_case(entity.name))
                    claim(relation.target, relation.column or default, what, place)

    def link_tables(self) -> None:
        """Link tables differ from every table (case-insensitively: MySQL on some systems,
        and quoting rules, do not tell `PlaylistTrack` from `playlisttrack`), and no link
        field is named like one of the link's key columns."""
        tables = {entity.table.lower(): f"entity {entity.name}" for entity in self.spec.entities}
        for entity in self.spec.entities:
            for relation in entity.relations:
                if relation.kind != "many_to_many":
                    continue
                target = self.by_name[relation.target]
                name = relation.link_table or naming.link_table(entity.table, target.table)
                where = f"entities.{entity.name}.relations.{relation.name}"
                if name.lower() in tables:
                    raise self.fail(
                        f"{where}.link_table" if relation.link_table else where,
                        f"link table {name!r} is already used by {tables[name.lower()]}"
                        + ("" if relation.link_table else "; set link_table"),
                    )
                tables[name.lower()] = f"{entity.name}.{relation.name}"
                keys = relation.link_columns or naming.link_columns(
                    entity.table, target.table, relation.name
                )
                for field in relation.link_fields:
                    if field.name.lower() in {key.lower() for key in keys}:
                        raise self.fail(
                            f"{where}.link_fields.{field.name}",
                            f"{field.name!r} is a key column of the link table {name!r} "
                            f"(its key columns: {', '.join(keys)}); rename the field or set "
                            "link_columns",
                        )

    def enum_classes(self) -> None:
        classes = set(self.by_name)
        for entity in self.spec.entities:
            for field in entity.fields:
                if field.type != "enum":
                    continue
                name = naming.enum_class(entity.name, field.name)
                if name in classes or name in RESERVED_CLASSES:
                    raise self.fail(
                        f"entities.{entity.name}.fields.{field.name}",
                        f"its enum class {name} clashes with another class; rename the field",
                    )
                classes.add(name)

    def table_constraints(self) -> None:
        """`unique:` and `indexes:` name fields or to-one relations; every constraint and
        index name (given or derived) is used once in the whole spec, whatever its case
        (PostgreSQL and SQLite keep index names per schema, MySQL compares them
        case-insensitively). A MySQL project's unique and index names are unique per
        table only (MySQL's rule: Sakila's idx_fk_address_id is on three tables)."""
        from generator.model import build_model

        model = build_model(self.spec)
        taken: dict[str, str] = {}
        per_table = self.spec.project.database == "mysql"

        def claim(name: str, where: str, table: str | None = None) -> None:
            key = f"{table}.{name.lower()}" if per_table and table is not None else name.lower()
            if key in taken:
                other = taken[key]
                hint = ""
                if table is not None and not other.startswith(where.rsplit(".", 2)[0] + "."):
                    hint = (
                        f" (only a MySQL project may reuse an index name on another table; "
                        f"on {self.spec.project.database} rename one)"
                    )
                raise self.fail(
                    where, f"constraint or index name {name!r} is already used by {other}{hint}"
                )
            taken[key] = where

        for entity in model.entities:
            spec = entity.spec
            resolved = entity.unique_constraints + entity.indexes
            for group in (
                list(zip(spec.unique, entity.unique_constraints, strict=True)),
                list(zip(spec.indexes, entity.indexes, strict=True)),
            ):
                seen: dict[tuple[str, ...], str] = {}
                for written, constraint in group:
                    for attribute in written.attributes:
                        if entity.column_of(attribute) is None:
                            message = self._not_a_column(entity, attribute)
                            raise self.fail(constraint.where, message)
                    if constraint.columns in seen:
                        raise self.fail(
                            constraint.where, f"the same columns as {seen[constraint.columns]}"
                        )
                    seen[constraint.columns] = constraint.where
            for constraint in resolved:
                claim(constraint.name, constraint.where, entity.table)
            for check in spec.checks:
                claim(check.name, f"entities.{spec.name}.checks.{check.name}")

    @staticmethod
    def _not_a_column(entity: Any, attribute: str) -> str:
        known = [field.name for field in entity.fields]
        known += [end.name for end in entity.relations if end.kind == "fk"]
        for end in entity.relations:
            if end.name == attribute:
                what = "a to-many relation" if end.many else "the side of a one_to_one without"
                return (
                    f"{attribute!r} is {what}{' the foreign key' if not end.many else ''}; only "
                    "fields and to-one relations holding a foreign key have a column "
                    f"(allowed: {', '.join(known)})"
                )
        allowed = ", ".join(known) or "none"
        return f"unknown field or to-one relation {attribute!r} (allowed: {allowed})"

    def required_fk_cycles(self) -> None:
        """Non-nullable foreign keys that form a cycle make the first row impossible to insert
        (cycles.py; a cycle with a nullable key is broken by creating that key last)."""
        from generator import cycles
        from generator.model import build_model, key_edges

        cycle = cycles.required_cycle(key_edges(build_model(self.spec)))
        if cycle is not None:
            raise self.fail(
                cycle[-1].place,
                "required foreign keys form a cycle, so no first row could ever be "
                f"inserted ({' -> '.join(edge.place for edge in cycle)}); make one of them "
                "nullable: true",
            )
