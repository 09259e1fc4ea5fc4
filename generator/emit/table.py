"""What a table class says, in no ORM's spelling: its columns, enums and relationships.

Built once per entity from the resolved model and the field-type registry; each ORM's
emitter (sqlmodel.py, sqlalchemy.py) only spells these records. Options are structured
values here (a `Default` knows whether it is a factory), never code to rewrite later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from generator import fieldtypes, naming
from generator.emit.source import Code, Import, Imports, Line, literal
from generator.fieldtypes import Default, Options
from generator.model import Entity, EntityRef, LinkTable, RelationEnd
from generator.spec import FieldSpec

ON_DELETE = {"cascade": "CASCADE", "set_null": "SET NULL", "restrict": "RESTRICT"}
# A link table's rule; no_action writes no ON DELETE (the database's default, NO ACTION).
LINK_ON_DELETE: dict[str, str | None] = {
    "cascade": "CASCADE",
    "restrict": "RESTRICT",
    "no_action": None,
}


class FieldOwner(Protocol):
    """What holds fields: an entity's table, or a link table (its link_fields)."""

    @property
    def class_name(self) -> str: ...

    @property
    def table(self) -> str: ...

    @property
    def module(self) -> str: ...


def referred_key(ref: EntityRef) -> tuple[str, Code]:
    """The column a foreign key to `ref` refers to ("table.id") and its Python type: the
    one place that knows an entity's key."""
    return f"{ref.table}.id", Code("int")


@dataclass(frozen=True)
class Column:
    """One column attribute of a table class (not the primary key `id`)."""

    name: str
    annotation: Code  # the Python type, `| None` included
    nullable: bool = False
    column_type: Code | None = None  # the SQLAlchemy type; None: a foreign key's
    inferred: bool = False  # SQLModel derives the column type from the annotation
    default: Default | None = None
    on_update: Code | None = None  # a callable
    foreign_key: str | None = None  # "table.id"
    on_delete: str | None = None  # the SQL spelling: "SET NULL"
    primary_key: bool = False
    unique: bool = False
    index: bool = False
    constraints: tuple[str, ...] = ()  # Pydantic arguments (SQLModel's Field)
    description: str | None = None

    def flags(self) -> list[str]:
        """primary_key / unique / index, spelled the same by both ORMs."""
        names = [("primary_key", self.primary_key), ("unique", self.unique), ("index", self.index)]
        return [f"{name}=True" for name, on in names if on]


@dataclass
class EnumClass:
    name: str
    members: list[tuple[str, str]]  # (member, literal of the value)


@dataclass
class ModelCode:
    """What the template of one table module needs."""

    imports: Imports
    base: str
    enums: list[EnumClass] = field(default_factory=list)
    columns: list[Line] = field(default_factory=list)
    relations: list[Line] = field(default_factory=list)


@dataclass
class Table:
    """One entity's table class, ORM-neutral."""

    enums: list[EnumClass]
    columns: list[Column]  # the fields, the foreign keys, then the bookkeeping columns
    soft_delete: bool


def model_code(
    entity: Entity,
    imports: Imports,
    base: str,
    id_line: Line,
    spell_column: Callable[[Column, Imports], Line],
    spell_relationship: Callable[[Entity, RelationEnd, Imports], Line],
) -> ModelCode:
    """The table class of one entity, each column and relationship spelled by an ORM."""
    described = table(entity)
    if described.enums:
        imports.add("enum", "StrEnum")
    columns = [id_line] + [spell_column(column, imports) for column in described.columns]
    if described.soft_delete:
        imports.need(CLASS_VAR)
        columns.append(SOFT_DELETE)
    relations = [spell_relationship(entity, end, imports) for end in entity.relations]
    return ModelCode(imports, base, described.enums, columns, relations)


def field_options(owner: FieldOwner, spec: FieldSpec) -> Options:
    """The values a field type's templates read, for one field of an entity (or link)."""
    record = fieldtypes.get(spec.type)
    return Options(
        name=spec.name,
        max_length=spec.max_length,
        precision=spec.precision,
        scale=spec.scale,
        values=spec.values,
        enum=naming.enum_class(owner.class_name, spec.name) if record.python_enum else "",
        enum_type=literal(f"{owner.table}_{spec.name}") if record.python_enum else "",
        module=owner.module,
    )


def nullable(annotation: Code, is_nullable: bool) -> Code:
    return Code(f"{annotation.text} | None", annotation.imports) if is_nullable else annotation


def default_of(owner: FieldOwner, spec: FieldSpec) -> Default | None:
    if not spec.has_default:
        return None
    record = fieldtypes.get(spec.type)
    return record.emit_default(spec.default, field_options(owner, spec))


def field_column(owner: FieldOwner, spec: FieldSpec) -> tuple[Column, EnumClass | None]:
    """The column of one field, and its Python enum class when it has one."""
    record = fieldtypes.get(spec.type)
    options = field_options(owner, spec)
    enum = None
    if record.python_enum:
        members = [(naming.enum_member(v), literal(v)) for v in spec.values]
        enum = EnumClass(options.enum, members)
    constraints = tuple(fieldtypes.render(text, options) for text in record.constraints)
    column = Column(
        name=spec.name,
        annotation=nullable(record.annotation.code(options), spec.nullable),
        nullable=spec.nullable,
        column_type=record.column_code(options),
        inferred=record.sqlmodel_infers,
        default=default_of(owner, spec),
        unique=spec.unique,
        index=spec.index,
        constraints=constraints,
        description=spec.description,
    )
    return column, enum


def table(entity: Entity) -> Table:
    result = Table(enums=[], columns=[], soft_delete=entity.spec.soft_delete)
    for spec in entity.fields:
        column, enum = field_column(entity, spec)
        if enum is not None:
            result.enums.append(enum)
        result.columns.append(column)
    for fk in entity.foreign_keys:
        key, annotation = referred_key(fk.target)
        result.columns.append(
            Column(
                name=fk.column,
                annotation=nullable(annotation, fk.nullable),
                nullable=fk.nullable,
                foreign_key=key,
                on_delete=ON_DELETE[fk.on_delete] if fk.on_delete else None,
                unique=fk.unique,
                index=not fk.unique,
            )
        )
    result.columns.extend(bookkeeping(entity))
    return result


def bookkeeping(entity: Entity) -> list[Column]:
    """created_at / updated_at (timestamps: true) and deleted_at (soft_delete: true)."""
    record = fieldtypes.DATETIME
    options = Options(name="")
    annotation = record.annotation.code(options)
    column_type = record.column_code(options)
    columns: list[Column] = []
    if entity.spec.timestamps:
        for name, on_update in (("created_at", False), ("updated_at", True)):
            columns.append(
                Column(
                    name=name,
                    annotation=annotation,
                    column_type=column_type,
                    default=Default(fieldtypes.UTCNOW, factory=True),
                    on_update=fieldtypes.UTCNOW if on_update else None,
                )
            )
    if entity.spec.soft_delete:
        columns.append(
            Column(
                name="deleted_at",
                annotation=nullable(annotation, True),
                nullable=True,
                column_type=column_type,
                index=True,
            )
        )
    return columns


SOFT_DELETE = Line("__soft_delete__", "ClassVar[bool]", "True")
CLASS_VAR = Import("typing", "ClassVar")


@dataclass
class LinksCode:
    """What the template of the links module needs: enum classes of link fields, and each
    link table's column lines."""

    imports: Imports
    enums: list[EnumClass]
    classes: list[tuple[LinkTable, list[Line]]]


def link_table(link: LinkTable) -> Table:
    """A link table: its two key columns (the primary key; rows go with either side unless
    link_on_delete says otherwise), then its link_fields."""
    result = Table(enums=[], columns=[], soft_delete=False)
    for column, ref in (link.left, link.right):
        key, annotation = referred_key(ref)
        result.columns.append(
            Column(
                name=column,
                annotation=annotation,
                foreign_key=key,
                on_delete=LINK_ON_DELETE[link.on_delete],
                primary_key=True,
            )
        )
    for spec in link.fields:
        field_col, enum = field_column(link, spec)
        if enum is not None:
            result.enums.append(enum)
        result.columns.append(field_col)
    return result


def links_code(
    links: list[LinkTable], imports: Imports, spell_column: Callable[[Column, Imports], Line]
) -> LinksCode:
    """The link table classes, each column spelled by an ORM."""
    code = LinksCode(imports, [], [])
    for link in links:
        described = link_table(link)
        code.enums.extend(described.enums)
        code.classes.append((link, [spell_column(column, imports) for column in described.columns]))
    if code.enums:
        imports.add("enum", "StrEnum")
    return code


def relationship_options(entity: Entity, end: RelationEnd) -> dict[str, str]:
    """The SQLAlchemy `relationship()` options of one end, as Python source, for both ORMs:
    explicit foreign keys (two relations between the same entities work), remote_side for
    self-references, passive deletes so that the database's ON DELETE decides, uselist for
    a one_to_one's scalar inverse, and the link table (with joins when self-referential)."""
    options: dict[str, str] = {}
    if end.kind in ("fk", "reverse"):
        assert end.fk_owner is not None and end.fk_column is not None
        options["foreign_keys"] = literal(f"{end.fk_owner.class_name}.{end.fk_column}")
    if end.kind == "fk" and end.self_referential:
        options["remote_side"] = literal(f"{entity.class_name}.id")
    if end.kind == "reverse":
        options["passive_deletes"] = literal("all")
        if not end.many:
            options["uselist"] = "False"
    if end.kind == "m2m":
        assert end.link is not None
        link = end.link.table
        options["secondary"] = literal(link)
        if end.self_referential:
            own = f"{entity.class_name}.id == {link}.c"
            options["primaryjoin"] = literal(f"{own}.{end.link_local_column}")
            options["secondaryjoin"] = literal(f"{own}.{end.link_remote_column}")
    return options


def relationship_target(entity: Entity, end: RelationEnd, imports: Imports) -> str:
    """`list["Post"]` or `Optional["User"]`; the target is imported for type checkers only
    (the classes refer to each other by name, so the modules never import each other)."""
    target = end.target.class_name
    if target != entity.class_name:
        imports.type_checking(f"app.models.{end.target.module}", target)
    if end.many:
        return f"list[{literal(target)}]"
    imports.add("typing", "Optional")
    return f"Optional[{literal(target)}]"
