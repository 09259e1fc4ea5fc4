"""What the SQLModel output says: annotations, `Field(...)` calls, literals and imports.

Computed here in Python and handed to the templates as plain strings, so the templates
decide only where things go. Every value from the spec reaches code through `literal`,
which emits a Python literal (`repr`) and can never inject code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from generator import naming
from generator.model import Entity, LinkTable, RelationEnd
from generator.spec import FieldSpec

_STDLIB = ("collections", "datetime", "decimal", "enum", "itertools", "typing", "uuid")
_LOCAL = ("app", "tests")

_ANNOTATIONS = {
    "str": "str",
    "text": "str",
    "int": "int",
    "bigint": "int",
    "float": "float",
    "decimal": "Decimal",
    "bool": "bool",
    "date": "dt.date",
    "datetime": "dt.datetime",
    "time": "dt.time",
    "uuid": "UUID",
    "json": "dict[str, Any] | list[Any]",
    "bytes": "bytes",
}
_MEDIUMTEXT = 'sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")'
_SA_TYPES = {
    "text": _MEDIUMTEXT,
    "float": "sa.Double",
    "bigint": "sa.BigInteger",
    "json": "sa.JSON(none_as_null=True)",
    "datetime": "sa.DateTime(timezone=True)",
}
_NOW = {
    "date": "dt.date.today",
    "datetime": "lambda: dt.datetime.now(dt.UTC)",
    "time": "lambda: dt.datetime.now(dt.UTC).time()",
}
_ON_DELETE = {"cascade": "CASCADE", "set_null": "SET NULL", "restrict": "RESTRICT"}


def literal(value: Any) -> str:
    """A Python literal for a plain value from the spec (str, int, float, bool, None,
    and lists/dicts of those). `repr` escapes quotes, newlines and triple quotes."""
    if isinstance(value, str) and '"' not in value:
        # black's preferred quotes, so that formatting has less to rewrite. repr picks double
        # quotes itself when the value holds a ' (and no "); otherwise the value holds no
        # quote at all and only the outer quotes change.
        text = repr(value)
        return text if text.startswith('"') else '"' + text[1:-1] + '"'
    if value is None or isinstance(value, (bool, int, str, bytes)):
        return repr(value)
    if isinstance(value, float):
        text = repr(value)
        if text in ("nan", "inf", "-inf"):
            raise ValueError(f"{value!r} has no Python literal")
        return text
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    raise TypeError(f"no literal for {type(value).__name__}")


class Imports:
    """Import lines of one generated module, grouped stdlib / third-party / local and sorted."""

    def __init__(self) -> None:
        self._modules: set[str] = set()
        self._names: dict[str, set[str]] = {}
        self._type_checking: dict[str, set[str]] = {}

    def module(self, statement: str) -> None:
        """`import datetime as dt` style: pass the whole statement."""
        self._modules.add(statement)

    def add(self, module: str, *names: str) -> None:
        self._names.setdefault(module, set()).update(names)

    def type_checking(self, module: str, *names: str) -> None:
        self._type_checking.setdefault(module, set()).update(names)
        self.add("typing", "TYPE_CHECKING")

    def _group(self, module: str) -> int:
        root = module.split(".")[0]
        return 0 if root in _STDLIB else 2 if root in _LOCAL else 1

    def lines(self) -> list[str]:
        """Import lines with a blank line ('') between groups."""
        statements: list[tuple[int, str, str]] = []
        for statement in self._modules:
            module = statement.split()[1]
            statements.append((self._group(module), module, statement))
        for module, names in self._names.items():
            ordered = sorted(names, key=_name_key)
            statement = f"from {module} import {', '.join(ordered)}"
            if len(statement) > LINE_LENGTH:  # black's layout for a long import
                body = "".join(f"    {name},\n" for name in ordered)
                statement = f"from {module} import (\n{body})"
            statements.append((self._group(module), module, statement))
        statements.sort(key=lambda item: (item[0], item[2].startswith("from"), item[1]))
        lines: list[str] = []
        previous: int | None = None
        for group, _, statement in statements:
            if previous is not None and group != previous:
                lines.append("")
            lines.append(statement)
            previous = group
        return lines

    def type_checking_lines(self) -> list[str]:
        return [
            f"from {module} import {', '.join(sorted(names, key=_name_key))}"
            for module, names in sorted(self._type_checking.items())
        ]


def _name_key(name: str) -> tuple[int, str]:
    # isort's "force_sort_within_sections" order: CONSTANTS, Classes, functions.
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


LINE_LENGTH = 88  # black's default, which the generated projects use


@dataclass
class Line:
    """One annotated class attribute: `name: annotation = value`."""

    name: str
    annotation: str
    value: str | None = None
    arguments: list[str] | None = None  # the call's arguments, when value is a call

    def text(self, indent: int = 4) -> str:
        """The attribute in black's layout when it is too long for one line: the call
        exploded one argument per line with a trailing comma (which black keeps). Black
        still formats every file; this only spares it most of the work."""
        head = f"{self.name}: {self.annotation}"
        if self.value is None:
            return head
        one_line = f"{head} = {self.value}"
        if indent + len(one_line) <= LINE_LENGTH or not self.arguments:
            return one_line
        function = self.value[: self.value.index("(")]
        pad = " " * (indent + 4)
        body = "".join(f"{pad}{argument},\n" for argument in self.arguments)
        return f"{head} = {function}(\n{body}{' ' * indent})"


@dataclass
class EnumClass:
    name: str
    members: list[tuple[str, str]]  # (member, literal of the value)


@dataclass
class ModelCode:
    imports: Imports
    base: str = "SQLModel, table=True"
    enums: list[EnumClass] = field(default_factory=list)
    columns: list[Line] = field(default_factory=list)
    relations: list[Line] = field(default_factory=list)


def call(function: str, args: Iterable[str]) -> str:
    return f"{function}({', '.join(args)})"


def attribute(name: str, annotation: str, function: str, args: list[str]) -> Line:
    """`name: annotation = function(args)`, remembering the arguments for the layout."""
    return Line(name, annotation, call(function, args), list(args))


def field_type(spec: FieldSpec, enum_class: str | None) -> str:
    base = enum_class if spec.type == "enum" and enum_class else _ANNOTATIONS[spec.type]
    return f"{base} | None" if spec.nullable else base


def default_value(spec: FieldSpec, enum_class: str | None, imports: Imports) -> str | None:
    """The `default=` / `default_factory=` argument for a field, or None when it is required."""
    if not spec.has_default:
        return "default=None" if spec.nullable else None
    value = spec.default
    if value == "now" and spec.type in _NOW:
        imports.module("import datetime as dt")
        return f"default_factory={_NOW[spec.type]}"
    if value == "uuid4" and spec.type == "uuid":
        imports.add("uuid", "uuid4")
        return "default_factory=uuid4"
    if spec.type == "decimal":
        imports.add("decimal", "Decimal")
        return f"default=Decimal({literal(value)})"
    if spec.type == "enum":
        return f"default={enum_class}.{naming.enum_member(value)}"
    if spec.type in ("date", "datetime", "time"):
        imports.module("import datetime as dt")
        return f"default=dt.{spec.type}.fromisoformat({literal(value)})"
    if spec.type == "uuid":
        imports.add("uuid", "UUID")
        return f"default=UUID({literal(value)})"
    if spec.type == "bytes":
        return f"default={literal(value.encode('utf-8'))}"
    if spec.type == "json":
        if isinstance(value, (list, dict)):
            return f"default_factory=lambda: {literal(value)}"
        return f"default={literal(value)}"
    return f"default={literal(value)}"


def _type_imports(spec: FieldSpec, imports: Imports) -> None:
    if spec.type == "decimal":
        imports.add("decimal", "Decimal")
    elif spec.type in ("date", "datetime", "time"):
        imports.module("import datetime as dt")
    elif spec.type == "uuid":
        imports.add("uuid", "UUID")
    elif spec.type == "json":
        imports.add("typing", "Any")


def validation_args(spec: FieldSpec) -> list[str]:
    """Constraints shared by the table model and the Pydantic schemas."""
    args: list[str] = []
    if spec.type == "str" and spec.max_length is not None:
        args.append(f"max_length={spec.max_length}")
    if spec.type == "decimal":
        args.append(f"max_digits={spec.precision}")
        args.append(f"decimal_places={spec.scale}")
    if spec.description is not None:
        args.append(f"description={literal(spec.description)}")
    return args


def enum_for(entity: Entity, spec: FieldSpec) -> EnumClass:
    return EnumClass(
        name=naming.enum_class(entity.class_name, spec.name),
        members=[(naming.enum_member(v), literal(v)) for v in spec.values],
    )


_NOW_UTC = "lambda: dt.datetime.now(dt.UTC)"


def _bookkeeping(entity: Entity, imports: Imports, sqlalchemy: bool) -> list[Line]:
    """created_at / updated_at (timestamps: true) and deleted_at (soft_delete: true)."""
    lines: list[Line] = []
    if not (entity.spec.timestamps or entity.spec.soft_delete):
        return lines
    imports.module("import datetime as dt")
    imports.module("import sqlalchemy as sa")
    column_type = "sa.DateTime(timezone=True)"
    if entity.spec.timestamps:
        for name, on_update in (("created_at", False), ("updated_at", True)):
            if sqlalchemy:
                args = [column_type, f"default={_NOW_UTC}"]
                args += [f"onupdate={_NOW_UTC}"] if on_update else []
                lines.append(attribute(name, "Mapped[dt.datetime]", "mapped_column", args))
            else:
                args = [f"default_factory={_NOW_UTC}", f"sa_type={column_type}"]
                if on_update:
                    args.append(f'sa_column_kwargs={{"onupdate": {_NOW_UTC}}}')
                lines.append(attribute(name, "dt.datetime", "Field", args))
    if entity.spec.soft_delete:
        if sqlalchemy:
            lines.append(
                attribute(
                    "deleted_at",
                    "Mapped[dt.datetime | None]",
                    "mapped_column",
                    [column_type, "index=True"],
                )
            )
        else:
            args = ["default=None", "index=True", f"sa_type={column_type}"]
            lines.append(attribute("deleted_at", "dt.datetime | None", "Field", args))
        imports.add("typing", "ClassVar")
        lines.append(Line("__soft_delete__", "ClassVar[bool]", "True"))
    return lines


def model_code(entity: Entity) -> ModelCode:
    """Everything the SQLModel table class of one entity says."""
    imports = Imports()
    imports.add("sqlmodel", "Field", "SQLModel")
    code = ModelCode(imports=imports)
    code.columns.append(Line("id", "int | None", "Field(default=None, primary_key=True)"))
    for spec in entity.fields:
        enum_class = None
        _type_imports(spec, imports)
        args: list[str] = []
        if spec.type == "enum":
            enum = enum_for(entity, spec)
            code.enums.append(enum)
            enum_class = enum.name
            imports.add("enum", "StrEnum")
            imports.module("import sqlalchemy as sa")
        default = default_value(spec, enum_class, imports)
        if default:
            args.append(default)
        if spec.unique:
            args.append("unique=True")
        if spec.index:
            args.append("index=True")
        args.extend(validation_args(spec))
        if spec.type in _SA_TYPES:
            imports.module("import sqlalchemy as sa")
            args.append(f"sa_type={_SA_TYPES[spec.type]}")
        if spec.type == "text":
            imports.add("sqlalchemy.dialects", "mysql")
        if spec.type == "decimal":
            imports.add("app.core.types", "ExactDecimal")
            args.append(f"sa_type=ExactDecimal({spec.precision}, {spec.scale})")
        if spec.type == "enum":
            args.append(
                f"sa_type=sa.Enum({enum_class}, name={literal(f'{entity.table}_{spec.name}')}, "
                "values_callable=lambda members: [member.value for member in members])"
            )
        code.columns.append(attribute(spec.name, field_type(spec, enum_class), "Field", args))
    bookkeeping = _bookkeeping(entity, imports, sqlalchemy=False)
    for fk in entity.foreign_keys:
        args = ["default=None"] if fk.nullable else []
        args.append(f"foreign_key={literal(f'{fk.target.table}.id')}")
        args.append("unique=True" if fk.unique else "index=True")
        if fk.on_delete:
            args.append(f"ondelete={literal(_ON_DELETE[fk.on_delete])}")
        annotation = "int | None" if fk.nullable else "int"
        code.columns.append(attribute(fk.column, annotation, "Field", args))
    code.columns.extend(bookkeeping)
    for end in entity.relations:
        code.relations.append(_relationship(entity, end, imports))
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


def _relationship_target(entity: Entity, end: RelationEnd, imports: Imports) -> str:
    """`list["Post"]` or `Optional["User"]`; the target is imported for type checkers only
    (the classes refer to each other by name, so the modules never import each other)."""
    target = end.target.class_name
    if target != entity.class_name:
        imports.type_checking(f"app.models.{end.target.module}", target)
    if end.many:
        return f"list[{literal(target)}]"
    imports.add("typing", "Optional")
    return f"Optional[{literal(target)}]"


def _relationship(entity: Entity, end: RelationEnd, imports: Imports) -> Line:
    imports.add("sqlmodel", "Relationship")
    args = [f"back_populates={literal(end.back_populates)}"] if end.back_populates else []
    options = relationship_options(entity, end)
    rendered = ", ".join(f"{literal(key)}: {value}" for key, value in options.items())
    args.append(f"sa_relationship_kwargs={{{rendered}}}")
    annotation = _relationship_target(entity, end, imports)
    return attribute(end.name, annotation, "Relationship", args)


def link_code(links: list[LinkTable]) -> tuple[Imports, list[tuple[LinkTable, list[Line]]]]:
    imports = Imports()
    imports.add("sqlmodel", "Field", "SQLModel")
    classes = []
    for link in links:
        lines = []
        for column, ref in (link.left, link.right):
            args = [
                f"foreign_key={literal(f'{ref.table}.id')}",
                "primary_key=True",
                'ondelete="CASCADE"',
            ]
            lines.append(attribute(column, "int", "Field", args))
        classes.append((link, lines))
    return imports, classes


@dataclass
class SchemaCode:
    imports: Imports
    create: list[Line]
    read: list[Line]
    update: list[Line]
    non_nullable: list[str]


# The API's value types (app/schemas/types.py): what a client may send, and what a
# stored value is returned as. Every limit is stated in the OpenAPI document.
_INPUT_TYPES = {
    "str": "Str",
    "text": "Text",
    "int": "Int32",
    "bigint": "Int64",
    "float": "Float",
    "bool": "Bool",
    "date": "Date",
    "datetime": "UTCDateTime",
    "time": "UTCTime",
    "uuid": "Uuid",
    "json": "Json",
    "bytes": "Base64",
}
_OUTPUT_TYPES = {
    **_INPUT_TYPES,
    "bigint": "int",  # a row written by other code may hold any 64-bit value
    "text": "Str",
    "datetime": "StoredDateTime",
    "time": "StoredTime",
    "json": "dict[str, Any] | list[Any]",
}
_TYPES_MODULE = "app.schemas.types"


def api_type(spec: FieldSpec, enum_class: str | None, imports: Imports, output: bool) -> str:
    """The annotation of a field in the API schemas (without `| None`)."""
    if spec.type == "enum":
        assert enum_class is not None
        return enum_class
    if spec.type == "decimal":
        imports.add("typing", "Annotated")
        imports.add("decimal", "Decimal")
        imports.add(_TYPES_MODULE, "Exact")
        return f"Annotated[Decimal, Exact({spec.precision}, {spec.scale})]"
    name = (_OUTPUT_TYPES if output else _INPUT_TYPES)[spec.type]
    if name[:1].isupper() and "[" not in name:
        imports.add(_TYPES_MODULE, name)
    elif name.startswith("dict["):
        imports.add("typing", "Any")
    return name


def _schema_args(spec: FieldSpec) -> list[str]:
    """Constraints of a schema field beyond its type (the type carries the rest)."""
    args: list[str] = []
    if spec.type == "str" and spec.max_length is not None:
        args.append(f"max_length={spec.max_length}")
    if spec.description is not None:
        args.append(f"description={literal(spec.description)}")
    return args


def schema_code(entity: Entity) -> SchemaCode:
    """The Create / Read / Update Pydantic models of one entity. A non-nullable field of
    the Update model may be left out but its type has no null: the OpenAPI document says
    what the route accepts."""
    imports = Imports()
    imports.add("pydantic", "BaseModel", "ConfigDict")
    imports.add("app.schemas.base", "CreateSchema", "UpdateSchema")
    imports.add(_TYPES_MODULE, "Id")
    create: list[Line] = []
    read: list[Line] = [Line("id", "Id")]
    update: list[Line] = []
    for spec in entity.fields:
        enum_class = None
        if spec.type == "enum":
            enum_class = naming.enum_class(entity.class_name, spec.name)
            imports.add(f"app.models.{entity.module}", enum_class)
        base = api_type(spec, enum_class, imports, output=False)
        annotation = f"{base} | None" if spec.nullable else base
        constraints = _schema_args(spec)
        default = default_value(spec, enum_class, imports)
        create_args = ([default] if default else []) + constraints
        if create_args:
            imports.add("pydantic", "Field")
        create.append(
            attribute(spec.name, annotation, "Field", create_args)
            if create_args
            else Line(spec.name, annotation)
        )
        out = api_type(spec, enum_class, imports, output=True)
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
        annotation = "Id | None" if fk.nullable else "Id"
        create.append(Line(fk.column, annotation, "None" if fk.nullable else None))
        read.append(Line(fk.column, annotation))
        if fk.nullable:
            update.append(Line(fk.column, annotation, "None"))
        else:
            imports.add("app.schemas.base", "Unset")
            update.append(Line(fk.column, annotation, "Unset()"))
    return SchemaCode(imports, create, read, update, [])


# ------------------------------------------------------------- SQLAlchemy 2.0 declarative

_SA_COLUMN_TYPES = {
    "text": _MEDIUMTEXT,
    "int": "sa.Integer",
    "bigint": "sa.BigInteger",
    "float": "sa.Double",
    "bool": "sa.Boolean",
    "date": "sa.Date",
    "datetime": "sa.DateTime(timezone=True)",
    "time": "sa.Time",
    "uuid": "sa.Uuid",
    "json": "sa.JSON(none_as_null=True)",
    "bytes": "sa.LargeBinary",
}


def _sa_default(spec: FieldSpec, enum_class: str | None, imports: Imports) -> str | None:
    """`default=` of a mapped_column: the same values as SQLModel's, callables as is."""
    value = default_value(spec, enum_class, imports)
    if value is None or value == "default=None":
        return None
    return value.replace("default_factory=", "default=", 1)


def sqlalchemy_model_code(entity: Entity) -> ModelCode:
    """Everything the SQLAlchemy 2.0 declarative class of one entity says."""
    imports = Imports()
    imports.module("import sqlalchemy as sa")
    imports.add("sqlalchemy.orm", "Mapped", "mapped_column")
    imports.add("app.models._base", "Base")
    code = ModelCode(imports=imports, base="Base")
    code.columns.append(Line("id", "Mapped[int]", "mapped_column(primary_key=True)"))
    for spec in entity.fields:
        _type_imports(spec, imports)
        enum_class = None
        if spec.type == "enum":
            enum = enum_for(entity, spec)
            code.enums.append(enum)
            enum_class = enum.name
            imports.add("enum", "StrEnum")
            column_type = (
                f"sa.Enum({enum_class}, name={literal(f'{entity.table}_{spec.name}')}, "
                "values_callable=lambda members: [member.value for member in members])"
            )
        elif spec.type == "str":
            column_type = f"sa.String({spec.max_length})"
        elif spec.type == "decimal":
            imports.add("app.core.types", "ExactDecimal")
            column_type = f"ExactDecimal({spec.precision}, {spec.scale})"
        else:
            column_type = _SA_COLUMN_TYPES[spec.type]
            if spec.type == "text":
                imports.add("sqlalchemy.dialects", "mysql")
        args = [column_type]
        default = _sa_default(spec, enum_class, imports)
        if default:
            args.append(default)
        if spec.unique:
            args.append("unique=True")
        if spec.index:
            args.append("index=True")
        if spec.description is not None:
            args.append(f"doc={literal(spec.description)}")
        annotation = f"Mapped[{field_type(spec, enum_class)}]"
        code.columns.append(attribute(spec.name, annotation, "mapped_column", args))
    for fk in entity.foreign_keys:
        key = [literal(f"{fk.target.table}.id")]
        if fk.on_delete:
            key.append(f"ondelete={literal(_ON_DELETE[fk.on_delete])}")
        args = [call("sa.ForeignKey", key), "unique=True" if fk.unique else "index=True"]
        annotation = "Mapped[int | None]" if fk.nullable else "Mapped[int]"
        code.columns.append(attribute(fk.column, annotation, "mapped_column", args))
    code.columns.extend(_bookkeeping(entity, imports, sqlalchemy=True))
    for end in entity.relations:
        code.relations.append(_sa_relationship(entity, end, imports))
    return code


def _sa_relationship(entity: Entity, end: RelationEnd, imports: Imports) -> Line:
    imports.add("sqlalchemy.orm", "relationship")
    args = [f"back_populates={literal(end.back_populates)}"] if end.back_populates else []
    args += [f"{key}={value}" for key, value in relationship_options(entity, end).items()]
    annotation = f"Mapped[{_relationship_target(entity, end, imports)}]"
    return attribute(end.name, annotation, "relationship", args)


def sqlalchemy_link_code(
    links: list[LinkTable],
) -> tuple[Imports, list[tuple[LinkTable, list[Line]]]]:
    imports = Imports()
    imports.module("import sqlalchemy as sa")
    imports.add("sqlalchemy.orm", "Mapped", "mapped_column")
    imports.add("app.models._base", "Base")
    classes = []
    for link in links:
        lines = []
        for column, ref in (link.left, link.right):
            key = call("sa.ForeignKey", [literal(f"{ref.table}.id"), 'ondelete="CASCADE"'])
            lines.append(
                attribute(column, "Mapped[int]", "mapped_column", [key, "primary_key=True"])
            )
        classes.append((link, lines))
    return imports, classes
