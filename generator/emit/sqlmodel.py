"""SQLModel's spelling of a table class: `name: type = Field(...)` and `Relationship(...)`."""

from __future__ import annotations

from generator.emit import SupportModule
from generator.emit.source import SA, Imports, Line, attribute, literal
from generator.emit.table import (
    Column,
    LinksCode,
    ModelCode,
    foreign_key_call,
    links_code,
    model_code,
    relationship_options,
    relationship_target,
)
from generator.layout import Bracket, Item, prefixed
from generator.model import Entity, LinkTable, RelationEnd


class SQLModelEmitter:
    table_base = "SQLModel, table=True"
    metadata_owner = "SQLModel"
    metadata_import: str | None = "from sqlmodel import SQLModel"
    support_modules: tuple[SupportModule, ...] = ()

    def model(self, entity: Entity) -> ModelCode:
        imports = Imports()
        imports.add("sqlmodel", "Field", "SQLModel")
        id_line = Line("id", "int | None", "Field(default=None, primary_key=True)")
        return model_code(entity, imports, self.table_base, id_line, column_line, _relationship)

    def links(self, links: list[LinkTable]) -> LinksCode:
        imports = Imports()
        imports.add("sqlmodel", "Field", "SQLModel")
        return links_code(links, imports, column_line)


def column_line(column: Column, imports: Imports) -> Line:
    """`name: annotation = Field(...)`, its arguments always in the same order."""
    args: list[Item] = []
    annotation = imports.code(column.annotation)
    if column.default is not None:
        keyword = "default_factory" if column.default.factory else "default"
        args.append(f"{keyword}={imports.code(column.default.code)}")
    elif column.nullable or column.generated_key:
        args.append("default=None")
    if column.generated_key:
        annotation = f"{annotation} | None"  # None until the database has numbered it
    # a key that breaks a cycle is spelled by SQLAlchemy (Field has no use_alter), last
    # and so is one with ON UPDATE (Field has no onupdate for its key)
    inline_key = (
        column.foreign_key is not None and column.use_alter is None and column.fk_on_update is None
    )
    if inline_key:
        args.append(f"foreign_key={literal(column.foreign_key)}")
    args += column.flags()
    if inline_key and column.on_delete is not None:
        args.append(f"ondelete={literal(column.on_delete)}")
    args += column.constraints
    if column.description is not None:
        args.append(f"description={literal(column.description)}")
    if column.column_type is not None and not column.inferred:
        args.append(prefixed("sa_type=", imports.item(column.column_type)))
    kwargs: list[Item] = []
    if column.column_name is not None:
        kwargs.append(f'"name": {literal(column.column_name)}')
    if column.on_update is not None:
        kwargs.append(f'"onupdate": {imports.code(column.on_update)}')
    if column.server_default is not None:
        kwargs.append(prefixed('"server_default": ', imports.item(column.server_default)))
    if kwargs:
        args.append(Bracket("sa_column_kwargs=", tuple(kwargs), opening="{", display=True))
    if column.foreign_key is not None and not inline_key:
        imports.need(SA)
        args.append(Bracket("sa_column_args=", (foreign_key_call(column),), opening="["))
    return attribute(column.name, annotation, "Field", args)


def _relationship(entity: Entity, end: RelationEnd, imports: Imports) -> Line:
    imports.add("sqlmodel", "Relationship")
    args: list[Item] = (
        [f"back_populates={literal(end.back_populates)}"] if end.back_populates else []
    )
    options = relationship_options(entity, end)
    rendered = tuple(f"{literal(key)}: {value}" for key, value in options.items())
    args.append(Bracket("sa_relationship_kwargs=", rendered, opening="{", display=True))
    annotation = relationship_target(entity, end, imports)
    return attribute(end.name, annotation, "Relationship", args)


EMITTER = SQLModelEmitter()
