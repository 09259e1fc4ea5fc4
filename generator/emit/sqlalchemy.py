"""SQLAlchemy 2.0 declarative spelling: `name: Mapped[type] = mapped_column(...)`."""

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
from generator.layout import Item, prefixed
from generator.model import Entity, LinkTable, RelationEnd

_BASE = SupportModule(
    module="_base",
    names="Base",
    template="models_base.py.jinja",
    summary="The declarative base of the table classes.",
)


class SQLAlchemyEmitter:
    table_base = "Base"
    metadata_owner = "Base"
    metadata_import: str | None = None  # app.models._base is imported with the tables
    support_modules = (_BASE,)

    def _imports(self) -> Imports:
        imports = Imports()
        imports.need(SA)
        imports.add("sqlalchemy.orm", "Mapped", "mapped_column")
        imports.add(f"app.models.{_BASE.module}", _BASE.names)
        return imports

    def model(self, entity: Entity) -> ModelCode:
        id_line = Line("id", "Mapped[int]", "mapped_column(primary_key=True)")
        return model_code(
            entity, self._imports(), self.table_base, id_line, column_line, _relationship
        )

    def links(self, links: list[LinkTable]) -> LinksCode:
        return links_code(links, self._imports(), column_line)


def column_line(column: Column, imports: Imports) -> Line:
    """`name: Mapped[annotation] = mapped_column(...)`: the type (or the foreign key) first;
    a default is passed as is, a value or a callable alike."""
    args: list[Item] = []
    if column.column_name is not None:
        args.append(literal(column.column_name))
    if column.column_type is not None:
        args.append(imports.item(column.column_type))
    if column.foreign_key is not None:
        args.append(foreign_key_call(column))
    if column.default is not None:
        args.append(f"default={imports.code(column.default.code)}")
    args += column.flags()
    if column.on_update is not None:
        args.append(f"onupdate={imports.code(column.on_update)}")
    if column.server_default is not None:
        args.append(prefixed("server_default=", imports.item(column.server_default)))
    if column.description is not None:
        args.append(f"doc={literal(column.description)}")
    annotation = f"Mapped[{imports.code(column.annotation)}]"
    return attribute(column.name, annotation, "mapped_column", args)


def _relationship(entity: Entity, end: RelationEnd, imports: Imports) -> Line:
    imports.add("sqlalchemy.orm", "relationship")
    args: list[Item] = (
        [f"back_populates={literal(end.back_populates)}"] if end.back_populates else []
    )
    args += [f"{key}={value}" for key, value in relationship_options(entity, end).items()]
    annotation = f"Mapped[{relationship_target(entity, end, imports)}]"
    return attribute(end.name, annotation, "relationship", args)


EMITTER = SQLAlchemyEmitter()
