"""The spec: `forge.yaml` read, checked and turned into validated Pydantic models.

Every mistake a user can make in a spec is raised here as a `SpecError` naming its place
(`entities.Post.relations.author.target`) and what is allowed. Later stages trust the Spec.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from generator import emit, fieldtypes, naming
from generator.errors import SpecError

FIELD_TYPES: tuple[str, ...] = fieldtypes.NAMES
RelationKind = Literal["many_to_one", "one_to_many", "one_to_one", "many_to_many"]
RELATION_KINDS: tuple[str, ...] = RelationKind.__args__  # type: ignore[attr-defined]
OnDelete = Literal["cascade", "set_null", "restrict"]
ON_DELETE: tuple[str, ...] = OnDelete.__args__  # type: ignore[attr-defined]
DATABASES = ("sqlite", "postgresql", "mysql")
ORMS = emit.ORMS

DEFAULT_STR_LENGTH = 255
DEFAULT_PRECISION = 10
DEFAULT_SCALE = 2

FIELD_OPTIONS = (
    "type",
    "nullable",
    "unique",
    "index",
    "default",
    "max_length",
    "precision",
    "scale",
    "values",
    "description",
    "searchable",
)
RELATION_OPTIONS = ("kind", "target", "inverse", "nullable", "on_delete", "link_table")
ENTITY_OPTIONS = ("table", "route", "timestamps", "soft_delete", "fields", "relations")
TIMESTAMP_COLUMNS = ("created_at", "updated_at")
SOFT_DELETE_COLUMN = "deleted_at"
PROJECT_OPTIONS = ("name", "database", "orm", "docker")
TOP_LEVEL = ("project", "entities")

# Names the generated modules import or that SQLModel/Pydantic own: a field, relation
# or inverse with one of these names would shadow them inside the generated class.
RESERVED_ATTRIBUTES = frozenset(
    {"id", "dt", "sa", "uuid4", "metadata", "registry"}
    | {name for name in dir(BaseModel) if not name.startswith("_")}
)
# Class names the generated modules import, and suffixes of generated classes.
RESERVED_CLASSES = frozenset(
    {
        "Any",
        "Optional",
        "TYPE_CHECKING",
        "Decimal",
        "UUID",
        "Enum",
        "Field",
        "Relationship",
        "SQLModel",
        "BaseModel",
        "ConfigDict",
        "AsyncSession",
        "BaseRepository",
        "BaseCRUD",
    }
)
# Classes forge generates for every entity: <Entity><suffix>.
GENERATED_SUFFIXES = ("Create", "Read", "Update", "CRUD", "Repository", "Link")
_MAX_SQL_NAME = 63


def _allowed(options: tuple[str, ...] | list[str]) -> str:
    return ", ".join(options)


class FieldSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    type: str  # a name of generator.fieldtypes
    nullable: bool = False
    unique: bool = False
    index: bool = False
    default: Any = None
    has_default: bool = False
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    values: tuple[str, ...] = ()
    description: str | None = None
    searchable: bool = False  # `?search=` of the list route looks in it (str, text)


class RelationSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    kind: RelationKind
    target: str
    inverse: str | None = None
    nullable: bool = False
    on_delete: OnDelete | None = None
    link_table: str | None = None


class EntitySpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    table: str
    route: str
    timestamps: bool = False  # created_at, updated_at kept up to date
    soft_delete: bool = False  # deleted_at; delete() sets it, queries leave such rows out
    fields: tuple[FieldSpec, ...] = ()
    relations: tuple[RelationSpec, ...] = ()


class ProjectSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    database: Literal["sqlite", "postgresql", "mysql"] = "sqlite"
    orm: str = "sqlmodel"  # one of generator.emit.ORMS
    docker: bool = False  # docker-compose.yml, Dockerfile; default: not for SQLite


class Spec(BaseModel):
    model_config = ConfigDict(frozen=True)

    project: ProjectSpec
    entities: tuple[EntitySpec, ...] = ()

    def entity(self, name: str) -> EntitySpec:
        for entity in self.entities:
            if entity.name == name:
                return entity
        raise KeyError(name)


# --------------------------------------------------------------------------- loading


def load_spec(path: Path) -> Spec:
    """Read and validate a spec file. Raises SpecError for every user mistake."""
    source = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("", f"spec file not found: {path}", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError("", f"cannot read the spec: {exc}", source=str(path)) from None
    return parse_spec(read_yaml(text, source), source=source)


def read_yaml(text: str, source: str = "forge.yaml") -> Any:
    """Parse YAML text into plain Python values; invalid YAML is a SpecError with its line,
    and so is a value that nests or expands (through aliases) beyond generator/yamlguard.py."""
    from generator import yamlguard

    data = _load_yaml(text, source)
    yamlguard.check(data, source)
    return data


def _load_yaml(text: str, source: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:  # the C parser (ruamel.yaml.clib), when installed, is about five times faster
        fast = YAML(typ="safe")
        fast.Constructor = _yaml_constructor()
        return fast.load(text)
    except Exception:  # any problem is worded by the pure parser below, the same every time
        pass
    yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _yaml_constructor()
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise SpecError("", f"invalid YAML at {line}{_yaml_problem(exc)}", source=source) from None
    except YAMLError as exc:
        raise SpecError("", f"invalid YAML: {exc}", source=source) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise SpecError("", f"invalid YAML: {exc}", source=source) from None


def _yaml_problem(exc: Any) -> str:
    """ruamel's context and problem as one sentence, with where the construct began."""
    context: str = exc.context or ""
    problem: str = exc.problem or "invalid YAML"
    if context.startswith("while "):
        started = ""
        mark, begin = exc.problem_mark, exc.context_mark
        if begin is not None and (mark is None or begin.line != mark.line):
            started = f" started at line {begin.line + 1}"
        problem = f"{problem} ({context}{started})"
    elif context:
        problem = f"{context}, {problem}"
    if "block" in context or "block" in problem:
        problem += "; check the indentation"
    return problem


def _yaml_constructor() -> type[Any]:
    """ruamel's safe constructor, with clearer errors: a duplicate key names the line of its
    first occurrence, and a scalar it cannot convert (`2024-02-30`, `!!int abc`) is an error
    at the scalar's line instead of a bare ValueError."""
    from ruamel.yaml.constructor import ConstructorError, SafeConstructor
    from ruamel.yaml.nodes import ScalarNode

    class Constructor(SafeConstructor):  # type: ignore[misc,unused-ignore]
        def construct_object(self, node: Any, deep: bool = False) -> Any:
            try:
                return super().construct_object(node, deep)
            except (ValueError, TypeError, OverflowError) as exc:
                shown = f"{node.value!r} " if isinstance(node, ScalarNode) else ""
                kind = str(node.tag).rsplit(":", 1)[-1]
                kind = "date or datetime" if kind == "timestamp" else kind
                raise ConstructorError(
                    None, None, f"{shown}is not a valid {kind}: {exc}", node.start_mark
                ) from None

        def check_mapping_key(
            self, node: Any, key_node: Any, mapping: Any, key: Any, value: Any
        ) -> bool:
            if key not in mapping:
                return True
            first = next(
                (
                    other
                    for other, _ in node.value
                    if other is not key_node
                    and isinstance(other, ScalarNode)
                    and other.value == getattr(key_node, "value", None)
                ),
                None,
            )
            where = f" (first at line {first.start_mark.line + 1})" if first is not None else ""
            raise ConstructorError(
                None,
                None,
                f"duplicate key {key!r}{where}; a key may appear only once in a mapping",
                key_node.start_mark,
            )

    return Constructor


def parse_spec(data: Any, source: str = "forge.yaml", default_name: str | None = None) -> Spec:
    """Validate plain data (as loaded from YAML) and build the Spec."""
    return _SpecReader(source).read(data, default_name)


class _SpecReader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> SpecError:
        return SpecError(where, message, source=self.source)

    # ---- structure

    def mapping(self, value: Any, where: str, what: str) -> Mapping[Any, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(where, f"{what} must be a mapping, got {_describe(value)}")
        return value

    def check_keys(self, data: Mapping[Any, Any], allowed: tuple[str, ...], where: str) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(
                    _join(where, str(key)), f"unknown option (allowed: {_allowed(allowed)})"
                )

    def boolean(self, data: Mapping[Any, Any], key: str, where: str) -> bool:
        value = data.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.fail(_join(where, key), f"must be true or false, got {_describe(value)}")
        return value

    def choice(
        self, data: Mapping[Any, Any], key: str, where: str, allowed: tuple[str, ...]
    ) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or value not in allowed:
            raise self.fail(
                _join(where, key), f"unknown value {value!r} (allowed: {_allowed(allowed)})"
            )
        return value

    def positive_int(self, data: Mapping[Any, Any], key: str, where: str) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(_join(where, key), f"must be a positive integer, got {value!r}")
        return value

    def identifier(self, name: Any, where: str, what: str) -> str:
        if not isinstance(name, str):
            raise self.fail(where, f"{what} name must be a string, got {_describe(name)}")
        if keyword.iskeyword(name) or keyword.issoftkeyword(name):
            raise self.fail(where, f"{what} name {name!r} is a Python keyword")
        if not naming.SNAKE_CASE.match(name):
            raise self.fail(
                where,
                f"{what} name {name!r} is not a snake_case identifier "
                "(lowercase letters, digits and _, starting with a letter)",
            )
        if name == "id":
            raise self.fail(
                where,
                f"{what} name 'id' is reserved: every entity already has an automatic "
                "integer primary key id",
            )
        if name in RESERVED_ATTRIBUTES:
            raise self.fail(
                where,
                f"{what} name {name!r} is reserved (it would shadow a name the generated "
                f"code uses; reserved: {', '.join(sorted(RESERVED_ATTRIBUTES))})",
            )
        return name

    # ---- top level

    def read(self, data: Any, default_name: str | None) -> Spec:
        if data is None:
            data = {}
        root = self.mapping(data, "", "the spec")
        self.check_keys(root, TOP_LEVEL, "")
        project = self.read_project(root.get("project"), default_name)
        entities_data = self.mapping(root.get("entities"), "entities", "entities")
        entities = [self.read_entity(name, value) for name, value in entities_data.items()]
        spec = Spec(project=project, entities=tuple(entities))
        _SemanticChecks(self, spec).run()
        return spec

    def read_project(self, value: Any, default_name: str | None) -> ProjectSpec:
        data = self.mapping(value, "project", "project")
        self.check_keys(data, PROJECT_OPTIONS, "project")
        name = data.get("name", default_name)
        if name is None:
            raise self.fail("project.name", "missing (a valid Python package name, e.g. shop)")
        if isinstance(name, str) and keyword.iskeyword(name):
            raise self.fail(
                "project.name", f"{name!r} is a Python keyword, so it cannot be a package name"
            )
        if not isinstance(name, str) or not naming.PACKAGE_NAME.match(name):
            raise self.fail(
                "project.name",
                f"{name!r} is not a valid Python package name "
                "(lowercase letters, digits and _, starting with a letter)",
            )
        database = self.choice(data, "database", "project", DATABASES) or "sqlite"
        orm = self.choice(data, "orm", "project", ORMS) or "sqlmodel"
        docker = self.boolean(data, "docker", "project") if "docker" in data else None
        return ProjectSpec(
            name=name,
            database=database,  # type: ignore[arg-type]
            orm=orm,
            docker=database != "sqlite" if docker is None else docker,
        )

    def read_entity(self, name: Any, value: Any) -> EntitySpec:
        where = f"entities.{name}"
        if not isinstance(name, str):
            raise self.fail(where, f"entity name must be a string, got {_describe(name)}")
        if keyword.iskeyword(name):
            raise self.fail(where, f"entity name {name!r} is a Python keyword")
        if not naming.PASCAL_CASE.match(name):
            raise self.fail(
                where,
                f"entity name {name!r} is not a PascalCase class name "
                "(letters and digits, starting with an uppercase letter)",
            )
        if name in RESERVED_CLASSES:
            raise self.fail(
                where,
                f"entity name {name!r} is reserved (the generated code imports it; "
                f"reserved: {', '.join(sorted(RESERVED_CLASSES))})",
            )
        data = self.mapping(value, where, "an entity")
        self.check_keys(data, ENTITY_OPTIONS, where)
        table = data.get("table")
        if table is None:
            table = naming.table_name(name)
        elif not isinstance(table, str) or not naming.SQL_NAME.match(table):
            raise self.fail(
                f"{where}.table",
                f"{table!r} is not a valid table name (lowercase letters, digits and _)",
            )
        if len(table) > _MAX_SQL_NAME:
            raise self.fail(f"{where}.table", f"longer than {_MAX_SQL_NAME} characters")
        route = data.get("route")
        if route is None:
            route = f"/{naming.route_path(table)}"
        elif not isinstance(route, str) or not _ROUTE.match(route):
            raise self.fail(
                f"{where}.route",
                f"{route!r} is not a route path (lowercase letters, digits, -, _ and /, "
                "e.g. /blog-posts)",
            )
        route = "/" + route.strip("/")
        fields_data = self.mapping(data.get("fields"), f"{where}.fields", "fields")
        fields = [
            self.read_field(fname, fvalue, f"{where}.fields.{fname}")
            for fname, fvalue in fields_data.items()
        ]
        relations_data = self.mapping(data.get("relations"), f"{where}.relations", "relations")
        relations = [
            self.read_relation(rname, rvalue, f"{where}.relations.{rname}")
            for rname, rvalue in relations_data.items()
        ]
        return EntitySpec(
            name=name,
            table=table,
            route=route,
            timestamps=self.boolean(data, "timestamps", where),
            soft_delete=self.boolean(data, "soft_delete", where),
            fields=tuple(fields),
            relations=tuple(relations),
        )

    # ---- fields

    def read_field(self, name: Any, value: Any, where: str) -> FieldSpec:
        self.identifier(name, where, "field")
        if isinstance(value, str):
            value = {"type": value}
        if value is not None and not isinstance(value, Mapping):
            raise self.fail(
                where,
                "a field must be a type name (e.g. str) or a mapping "
                f"(e.g. {{type: str, max_length: 40}}), got {_describe(value)}",
            )
        data = self.mapping(value, where, "a field")
        self.check_keys(data, FIELD_OPTIONS, where)
        if "type" not in data:
            raise self.fail(f"{where}.type", f"missing (allowed: {_allowed(FIELD_TYPES)})")
        ftype = self.choice(data, "type", where, FIELD_TYPES)
        assert ftype is not None
        nullable = self.boolean(data, "nullable", where)
        unique = self.boolean(data, "unique", where)
        index = self.boolean(data, "index", where)
        searchable = self.boolean(data, "searchable", where)
        max_length = self.positive_int(data, "max_length", where)
        precision = self.positive_int(data, "precision", where)
        scale = data.get("scale")
        description = data.get("description")
        values_raw = data.get("values")

        def only_for(option: str, types: tuple[str, ...]) -> None:
            if option in data and ftype not in types:
                raise self.fail(
                    f"{where}.{option}",
                    f"only applies to type {' or '.join(types)} (this field is {ftype})",
                )

        for option in ("max_length", "precision", "scale", "values"):
            only_for(option, fieldtypes.taking(option))
        record = fieldtypes.get(ftype)
        if searchable and not record.searchable:
            searchable_types = [t.name for t in fieldtypes.TYPES if t.searchable]
            raise self.fail(
                f"{where}.searchable",
                f"only {' and '.join(searchable_types)} fields can be searchable "
                f"(this field is {ftype})",
            )
        if (unique or index) and not record.indexable:
            raise self.fail(
                f"{where}.{'unique' if unique else 'index'}",
                f"a {ftype} field cannot be unique or indexed (use str with max_length)",
            )
        if description is not None and not isinstance(description, str):
            raise self.fail(f"{where}.description", "must be a string")

        if ftype == "str" and max_length is None:
            max_length = DEFAULT_STR_LENGTH
        if ftype == "decimal":
            precision = precision if precision is not None else DEFAULT_PRECISION
            if scale is None:
                scale = min(DEFAULT_SCALE, precision)
            if isinstance(scale, bool) or not isinstance(scale, int) or scale < 0:
                raise self.fail(f"{where}.scale", f"must be an integer >= 0, got {scale!r}")
            if scale > precision:
                raise self.fail(
                    f"{where}.scale", f"scale {scale} is greater than precision {precision}"
                )
        values: tuple[str, ...] = ()
        if ftype == "enum":
            values = self.read_enum_values(values_raw, f"{where}.values")

        has_default = "default" in data and data["default"] is not None
        default = (
            self.read_default(data["default"], ftype, max_length, precision, scale, values, where)
            if has_default
            else None
        )
        return FieldSpec(
            name=name,
            type=ftype,
            nullable=nullable,
            unique=unique,
            index=index,
            default=default,
            has_default=has_default,
            max_length=max_length,
            precision=precision,
            scale=scale,
            values=values,
            description=description,
            searchable=searchable,
        )

    def read_enum_values(self, raw: Any, where: str) -> tuple[str, ...]:
        if raw is None:
            raise self.fail(where, "an enum needs values, e.g. values: [draft, published]")
        if not isinstance(raw, list) or not raw:
            raise self.fail(where, "must be a non-empty list of strings")
        values: list[str] = []
        members: dict[str, str] = {}
        for item in raw:
            if not isinstance(item, str) or not item:
                raise self.fail(where, f"every value must be a non-empty string, got {item!r}")
            if item in values:
                raise self.fail(where, f"value {item!r} is listed twice")
            member = naming.enum_member(item)
            if member in members:
                raise self.fail(
                    where,
                    f"values {members[member]!r} and {item!r} would both become the "
                    f"Python member {member}",
                )
            members[member] = item
            values.append(item)
        return tuple(values)

    def read_default(
        self,
        value: Any,
        ftype: str,
        max_length: int | None,
        precision: int | None,
        scale: int | None,
        values: tuple[str, ...],
        where: str,
    ) -> Any:
        place = f"{where}.default"
        options = fieldtypes.Options("", max_length, precision, scale, values)
        try:
            return fieldtypes.get(ftype).read_default(value, options)
        except fieldtypes.NotA as expected:
            shown = fieldtypes.show(value)
            raise self.fail(place, f"{shown} is not {expected} (the field is {ftype})") from None
        except fieldtypes.Refused as reason:
            raise self.fail(place, str(reason)) from None

    # ---- relations

    def read_relation(self, name: Any, value: Any, where: str) -> RelationSpec:
        self.identifier(name, where, "relation")
        data = self.mapping(value, where, "a relation")
        self.check_keys(data, RELATION_OPTIONS, where)
        if "kind" not in data:
            raise self.fail(f"{where}.kind", f"missing (allowed: {_allowed(RELATION_KINDS)})")
        kind = self.choice(data, "kind", where, RELATION_KINDS)
        target = data.get("target")
        if target is None:
            raise self.fail(f"{where}.target", "missing (the name of an entity)")
        if not isinstance(target, str):
            raise self.fail(f"{where}.target", f"must be an entity name, got {_describe(target)}")
        inverse = data.get("inverse")
        if inverse is not None:
            self.identifier(inverse, f"{where}.inverse", "inverse")
        nullable = self.boolean(data, "nullable", where)
        on_delete = self.choice(data, "on_delete", where, ON_DELETE)
        link_table = data.get("link_table")
        if kind == "many_to_many":
            if "nullable" in data:
                raise self.fail(
                    f"{where}.nullable",
                    "only applies to many_to_one, one_to_many and one_to_one",
                )
            if on_delete is not None:
                raise self.fail(
                    f"{where}.on_delete",
                    "only applies to many_to_one, one_to_many and one_to_one "
                    "(link rows are always deleted with either side)",
                )
        elif link_table is not None:
            raise self.fail(f"{where}.link_table", "only applies to many_to_many")
        if link_table is not None and (
            not isinstance(link_table, str) or not naming.SQL_NAME.match(link_table)
        ):
            raise self.fail(
                f"{where}.link_table",
                f"{link_table!r} is not a valid table name (lowercase letters, digits and _)",
            )
        if on_delete == "set_null" and not nullable:
            raise self.fail(
                f"{where}.on_delete",
                "set_null needs a nullable foreign key (add nullable: true, or use "
                "cascade or restrict)",
            )
        return RelationSpec(
            name=name,
            kind=kind,  # type: ignore[arg-type]
            target=target,
            inverse=inverse,
            nullable=nullable,
            on_delete=on_delete,  # type: ignore[arg-type]
            link_table=link_table,
        )


class _SemanticChecks:
    """Checks that need the whole spec: unique names, targets, clashes, FK cycles."""

    def __init__(self, reader: _SpecReader, spec: Spec) -> None:
        self.reader = reader
        self.spec = spec
        self.by_name = {entity.name: entity for entity in spec.entities}

    def fail(self, where: str, message: str) -> SpecError:
        return self.reader.fail(where, message)

    def run(self) -> None:
        self.unique_tables_and_modules()
        self.unique_routes()
        self.targets()
        self.attribute_clashes()
        self.link_tables()
        self.enum_classes()
        self.generated_classes()
        self.required_fk_cycles()
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
        tables: dict[str, str] = {}
        modules: dict[str, str] = {}
        for entity in self.spec.entities:
            where = f"entities.{entity.name}"
            if entity.table in tables:
                raise self.fail(
                    f"{where}.table",
                    f"table {entity.table!r} is already used by entity {tables[entity.table]}",
                )
            tables[entity.table] = entity.name
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

    def link_tables(self) -> None:
        tables = {entity.table: f"entity {entity.name}" for entity in self.spec.entities}
        for entity in self.spec.entities:
            for relation in entity.relations:
                if relation.kind != "many_to_many":
                    continue
                target = self.by_name[relation.target]
                name = relation.link_table or naming.link_table(entity.table, target.table)
                where = f"entities.{entity.name}.relations.{relation.name}"
                if name in tables:
                    raise self.fail(
                        f"{where}.link_table" if relation.link_table else where,
                        f"link table {name!r} is already used by {tables[name]}"
                        + ("" if relation.link_table else "; set link_table"),
                    )
                tables[name] = f"{entity.name}.{relation.name}"

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

    def required_fk_cycles(self) -> None:
        """Non-nullable foreign keys that form a cycle make the first row impossible to insert."""
        edges: dict[str, list[tuple[str, str]]] = {e.name: [] for e in self.spec.entities}
        for entity in self.spec.entities:
            for relation in entity.relations:
                if relation.nullable:
                    continue
                place = f"entities.{entity.name}.relations.{relation.name}"
                if relation.kind in ("many_to_one", "one_to_one"):
                    edges[entity.name].append((relation.target, place))
                elif relation.kind == "one_to_many":
                    edges[relation.target].append((entity.name, place))
        state: dict[str, int] = {}
        path: list[str] = []
        places: list[str] = []

        def visit(node: str) -> None:
            state[node] = 1
            path.append(node)
            for target, place in edges[node]:
                if state.get(target) == 1:
                    cycle = [*places[path.index(target) :], place]
                    raise self.fail(
                        place,
                        "required foreign keys form a cycle, so no first row could ever be "
                        f"inserted ({' -> '.join(cycle)}); make one of them nullable: true",
                    )
                if target not in state:
                    places.append(place)
                    visit(target)
                    places.pop()
            path.pop()
            state[node] = 2

        for name in edges:
            if name not in state:
                visit(name)


_ROUTE = re.compile(r"\A/?[a-z0-9][a-z0-9_\-]*(/[a-z0-9][a-z0-9_\-]*)*/?\Z")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if value is None:
        return "nothing"
    return repr(value)
