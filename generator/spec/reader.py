"""The reader: plain data (as loaded from YAML) -> the spec records.

Every mistake a user can make in a spec is raised here as a `SpecError` naming its place
(`entities.Post.relations.author.target`) and what is allowed; the checks that need the
whole spec are in checks.py.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from generator import fieldtypes, naming
from generator.errors import SpecError
from generator.spec import checks
from generator.spec.records import (
    DATABASES,
    DEFAULT_PRECISION,
    DEFAULT_SCALE,
    DEFAULT_STR_LENGTH,
    FIELD_TYPES,
    KEY_TYPES,
    LINK_ON_DELETE,
    LINK_ON_UPDATE,
    ON_DELETE,
    ORMS,
    RELATION_KINDS,
    RESERVED_ATTRIBUTES,
    RESERVED_CLASSES,
    CheckSpec,
    ConstraintSpec,
    EntitySpec,
    FieldSpec,
    KeySpec,
    ProjectSpec,
    RelationSpec,
    Spec,
)

_Choice = TypeVar("_Choice", bound=str)  # one of the allowed values of an option

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
    "column",
    "onupdate",
    "storage",
    "national",
    "timezone",
    "enum_type",
    "fixed",
    "server_default",
)
RELATION_OPTIONS = (
    "kind",
    "target",
    "inverse",
    "nullable",
    "on_delete",
    "link_table",
    "column",
    "link_columns",
    "link_fields",
    "link_on_delete",
    "link_indexes",
    "link_key_name",
    "on_update",
    "link_on_update",
    "index",
)
LINK_OPTIONS = (
    "link_table",
    "link_columns",
    "link_fields",
    "link_on_delete",
    "link_indexes",
    "link_key_name",
    "link_on_update",
)
ENTITY_OPTIONS = (
    "table",
    "route",
    "timestamps",
    "soft_delete",
    "fields",
    "relations",
    "primary_key",
    "unique",
    "indexes",
    "checks",
)
PRIMARY_KEY_OPTIONS = ("column", "type", "max_length", "name", "storage")
PROJECT_OPTIONS = ("name", "database", "orm", "docker")
TOP_LEVEL = ("project", "entities")
_MAX_SQL_NAME = 63


def _allowed(options: tuple[str, ...] | list[str]) -> str:
    return ", ".join(options)


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
        self, data: Mapping[Any, Any], key: str, where: str, allowed: tuple[_Choice, ...]
    ) -> _Choice | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or value not in allowed:
            raise self.fail(
                _join(where, key), f"unknown value {value!r} (allowed: {_allowed(allowed)})"
            )
        return allowed[allowed.index(value)]  # the allowed value itself: typed as its Literal

    def required_choice(
        self, data: Mapping[Any, Any], key: str, where: str, allowed: tuple[_Choice, ...]
    ) -> _Choice:
        value = self.choice(data, key, where, allowed)
        if value is None:  # not given, or given as null
            raise self.fail(_join(where, key), f"missing (allowed: {_allowed(allowed)})")
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

    def database_name(self, data: Mapping[Any, Any], key: str, where: str) -> str | None:
        """A table or column name as the database will store it: any case is kept."""
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not naming.DATABASE_NAME.match(value):
            raise self.fail(
                _join(where, key),
                f"{value!r} is not a valid {'table' if key == 'table' else 'column'} name "
                "(letters, digits and _, not starting with a digit)",
            )
        if len(value) > _MAX_SQL_NAME:
            raise self.fail(_join(where, key), f"longer than {_MAX_SQL_NAME} characters")
        return value

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
        checks.check(spec, self.fail)
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
            database=database,
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
        table = self.database_name(data, "table", where) or naming.table_name(name)
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
            primary_key=self.read_primary_key(data.get("primary_key"), f"{where}.primary_key"),
            unique=self.read_constraints(data.get("unique"), f"{where}.unique"),
            indexes=self.read_constraints(data.get("indexes"), f"{where}.indexes"),
            checks=self.read_checks(data.get("checks"), f"{where}.checks"),
        )

    def read_primary_key(self, value: Any, where: str) -> KeySpec:
        """`primary_key: {column: AlbumId, type: int}`; the attribute is always `id`."""
        data = self.mapping(value, where, "primary_key")
        self.check_keys(data, PRIMARY_KEY_OPTIONS, where)
        column = self.database_name(data, "column", where) or "id"
        key_type = self.choice(data, "type", where, KEY_TYPES) or "int"
        max_length = self.positive_int(data, "max_length", where)
        if key_type == "str" and max_length is None:
            raise self.fail(
                f"{where}.max_length",
                "missing: a str primary key needs max_length (e.g. max_length: 20)",
            )
        if key_type != "str" and "max_length" in data:
            raise self.fail(
                f"{where}.max_length", f"only applies to type str (this key is {key_type})"
            )
        name = data.get("name")
        if name is not None:
            self.constraint_name(name, f"{where}.name")
        storage = data.get("storage")
        if storage is not None:
            allowed = list(fieldtypes.get(key_type).storages) if key_type != "str" else []
            if key_type not in ("int", "smallint") or storage not in allowed:
                raise self.fail(
                    f"{where}.storage",
                    f"unknown value {_describe(storage)} for this {key_type} key (allowed: "
                    "tinyint on a smallint key, mediumint on an int key)",
                )
        return KeySpec(
            column=column, type=key_type, max_length=max_length, name=name, storage=storage
        )

    # ---- table constraints (unique, indexes, checks)

    def constraint_name(self, name: Any, where: str) -> str:
        if not isinstance(name, str) or not _CONSTRAINT_NAME.match(name):
            raise self.fail(
                where,
                f"{name!r} is not a valid constraint name (letters, digits and _, not "
                "starting with a digit)",
            )
        if len(name) > _MAX_SQL_NAME:
            raise self.fail(where, f"longer than {_MAX_SQL_NAME} characters")
        return name

    def read_constraints(self, value: Any, where: str) -> tuple[ConstraintSpec, ...]:
        """`[[a, b], ...]` (forge names them) or `{name: [a, b], ...}`."""
        if value is None:
            return ()
        items: list[tuple[str | None, Any, str]]
        if isinstance(value, Mapping):
            items = [
                (self.constraint_name(name, f"{where}.{name}"), names, f"{where}.{name}")
                for name, names in value.items()
            ]
        elif isinstance(value, list):
            items = [(None, names, f"{where}[{i}]") for i, names in enumerate(value)]
        else:
            raise self.fail(
                where,
                "must be a list of lists of field or relation names (e.g. [[title, artist]]) "
                f"or a mapping of names to such lists, got {_describe(value)}",
            )
        constraints: list[ConstraintSpec] = []
        for name, names, place in items:
            if not isinstance(names, list) or not names:
                raise self.fail(
                    place,
                    "must be a non-empty list of field or to-one relation names, got "
                    f"{_describe(names)}",
                )
            for item in names:
                if not isinstance(item, str):
                    raise self.fail(
                        place, f"every item must be a field or relation name, got {item!r}"
                    )
                if names.count(item) > 1:
                    raise self.fail(place, f"{item!r} is listed twice")
            constraints.append(ConstraintSpec(name=name, attributes=tuple(names)))
        return tuple(constraints)

    def read_checks(self, value: Any, where: str) -> tuple[CheckSpec, ...]:
        """`{name: "SQL boolean expression"}`."""
        if value is None:
            return ()
        if not isinstance(value, Mapping):
            raise self.fail(
                where,
                "must be a mapping of names to SQL expressions (e.g. {positive_price: "
                f'"price >= 0"}}), got {_describe(value)}',
            )
        checks_read: list[CheckSpec] = []
        for name, expression in value.items():
            place = f"{where}.{name}"
            self.constraint_name(name, place)
            if not isinstance(expression, str) or not expression.strip():
                raise self.fail(
                    place,
                    "must be a non-empty string: a SQL boolean expression over the "
                    f"table's columns, got {_describe(expression)}",
                )
            if ";" in expression:
                raise self.fail(place, "must be one SQL expression, without ';'")
            checks_read.append(CheckSpec(name=name, expression=expression.strip()))
        return tuple(checks_read)

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
        ftype = self.required_choice(data, "type", where, FIELD_TYPES)
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

        for option in (
            "max_length",
            "precision",
            "scale",
            "values",
            "onupdate",
            "storage",
            "national",
            "timezone",
            "enum_type",
            "fixed",
        ):
            only_for(option, fieldtypes.taking(option))
        onupdate = data.get("onupdate")
        if onupdate is not None and onupdate != "now":
            raise self.fail(f"{where}.onupdate", f"unknown value {onupdate!r} (allowed: now)")
        national = self.boolean(data, "national", where)
        fixed = self.boolean(data, "fixed", where)
        if fixed and national:
            raise self.fail(f"{where}.fixed", "cannot be combined with national: true")
        enum_type = data.get("enum_type")
        if enum_type is not None:
            self.constraint_name(enum_type, f"{where}.enum_type")
        timezone = data.get("timezone", True)
        if not isinstance(timezone, bool):
            raise self.fail(
                f"{where}.timezone", f"must be true or false, got {_describe(timezone)}"
            )
        record = fieldtypes.get(ftype)
        storage = data.get("storage")
        if storage is not None and (not isinstance(storage, str) or storage not in record.storages):
            raise self.fail(
                f"{where}.storage",
                f"unknown value {_describe(storage)} for type {ftype} "
                f"(allowed: {_allowed(list(record.storages))})",
            )
        if storage == "timestamp" and not timezone:
            raise self.fail(
                f"{where}.storage",
                "timestamp cannot be combined with timezone: false (a TIMESTAMP holds an "
                "instant; timezone: false is PostgreSQL's TIMESTAMP WITHOUT TIME ZONE)",
            )
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
        has_server_default = data.get("server_default") is not None
        server_default = None
        if has_server_default:
            server_default = self.read_default(
                data["server_default"],
                ftype,
                max_length,
                precision,
                scale,
                values,
                where,
                option="server_default",
            )
            if not has_default:  # the application writes the same value on its inserts
                convert = fieldtypes.get(ftype).server_to_default
                has_default = True
                default = convert(server_default) if convert else server_default
        if storage is not None:
            for option, value in (("server_default", server_default), ("default", default)):
                problem = fieldtypes.storage_refuses(storage, value) if value is not None else None
                if problem is not None:
                    raise self.fail(f"{where}.{option}", problem)
        return FieldSpec(
            name=name,
            column=self.database_name(data, "column", where),
            type=ftype,
            nullable=nullable,
            unique=unique,
            index=index,
            default=default,
            has_default=has_default,
            server_default=server_default,
            has_server_default=has_server_default,
            max_length=max_length,
            precision=precision,
            scale=scale,
            values=values,
            description=description,
            searchable=searchable,
            onupdate=onupdate,
            storage=storage,
            national=national,
            timezone=timezone,
            enum_type=enum_type,
            fixed=fixed,
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
        option: str = "default",
    ) -> Any:
        """A `default:` (or `server_default:`) value of a field of type `ftype`."""
        place = f"{where}.{option}"
        record = fieldtypes.get(ftype)
        options = fieldtypes.Options("", max_length, precision, scale, values)
        if option == "server_default":
            if record.server_sql is None:
                raise self.fail(
                    place,
                    f"a {ftype} field takes no server default (MySQL refuses a DEFAULT on "
                    "TEXT, BLOB and JSON columns); use default: (applied by the application)",
                )
            with_now = [t.name for t in fieldtypes.TYPES if t.now_sql]
            if value == "now" and record.now_sql is None and record.server_sql != "quoted":
                raise self.fail(
                    place,
                    f"now (the database's current time) is only for {', '.join(with_now)} "
                    f"fields (this field is {ftype})",
                )
            if value == "uuid4":
                raise self.fail(
                    place,
                    "uuid4 is made by the application (use default: uuid4); a server "
                    "default is one fixed UUID",
                )
        try:
            read = record.read_default(value, options)
            if option == "server_default" and read != "now" and record.server_literal:
                record.server_literal(read)
            return read
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
        kind = self.required_choice(data, "kind", where, RELATION_KINDS)
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
        on_update = self.choice(data, "on_update", where, ON_DELETE)
        link_table = data.get("link_table")
        column = self.database_name(data, "column", where)
        if kind == "many_to_many" and column is not None:
            raise self.fail(
                f"{where}.column",
                "only applies to many_to_one, one_to_one and one_to_many "
                "(a many_to_many names its link table's columns with link_columns)",
            )
        if kind == "many_to_many":
            if "nullable" in data:
                raise self.fail(
                    f"{where}.nullable",
                    "only applies to many_to_one, one_to_many and one_to_one",
                )
            if on_update is not None:
                raise self.fail(
                    f"{where}.on_update",
                    "only applies to many_to_one, one_to_many and one_to_one "
                    "(a link table's rule is link_on_update: cascade or restrict)",
                )
            if on_delete is not None:
                raise self.fail(
                    f"{where}.on_delete",
                    "only applies to many_to_one, one_to_many and one_to_one "
                    "(a link table's rule is link_on_delete: cascade, restrict or no_action)",
                )
        else:
            for option in LINK_OPTIONS:
                if data.get(option) is not None:
                    raise self.fail(f"{where}.{option}", "only applies to many_to_many")
        if link_table is not None and (
            not isinstance(link_table, str) or not naming.SQL_IDENTIFIER.match(link_table)
        ):
            raise self.fail(
                f"{where}.link_table",
                f"{link_table!r} is not a valid table name (letters, digits and _, "
                "not starting with a digit)",
            )
        if link_table is not None and len(link_table) > _MAX_SQL_NAME:
            raise self.fail(f"{where}.link_table", f"longer than {_MAX_SQL_NAME} characters")
        link_columns = self.read_link_columns(data.get("link_columns"), f"{where}.link_columns")
        link_fields = self.read_link_fields(
            data.get("link_fields"), f"{where}.link_fields", link_columns
        )
        link_on_delete = self.choice(data, "link_on_delete", where, LINK_ON_DELETE)
        link_indexes = self.read_link_indexes(
            data.get("link_indexes"), f"{where}.link_indexes", link_columns, link_fields
        )
        link_on_update = self.choice(data, "link_on_update", where, LINK_ON_UPDATE)
        index = data.get("index", True)
        if not isinstance(index, bool):
            raise self.fail(f"{where}.index", f"must be true or false, got {_describe(index)}")
        if "index" in data and kind not in ("many_to_one", "one_to_many"):
            raise self.fail(
                f"{where}.index",
                "only applies to many_to_one and one_to_many (a one_to_one's key is unique)",
            )
        if on_update == "set_null" and not nullable:
            raise self.fail(
                f"{where}.on_update",
                "set_null needs a nullable relation (add nullable: true, or choose cascade "
                "or restrict)",
            )
        link_key_name = data.get("link_key_name")
        if link_key_name is not None:
            self.constraint_name(link_key_name, f"{where}.link_key_name")
        if on_delete == "set_null" and not nullable:
            raise self.fail(
                f"{where}.on_delete",
                "set_null needs a nullable foreign key (add nullable: true, or use "
                "cascade or restrict)",
            )
        return RelationSpec(
            name=name,
            kind=kind,
            target=target,
            inverse=inverse,
            nullable=nullable,
            on_delete=on_delete,
            link_table=link_table,
            column=column,
            link_columns=link_columns,
            link_fields=link_fields,
            link_on_delete=link_on_delete,
            link_indexes=link_indexes,
            link_key_name=link_key_name,
            on_update=on_update,
            link_on_update=link_on_update,
            index=index,
        )

    def read_link_columns(self, value: Any, where: str) -> tuple[str, str] | None:
        """`[this_side_column, target_column]`: two distinct SQL names."""
        if value is None:
            return None
        if not isinstance(value, list) or len(value) != 2:
            got = f"a list of {len(value)}" if isinstance(value, list) else _describe(value)
            raise self.fail(
                where, f"must be a list of two column names [this side's, the target's], got {got}"
            )
        for item in value:
            if not isinstance(item, str) or not naming.SQL_IDENTIFIER.match(item):
                raise self.fail(
                    where,
                    f"{item!r} is not a valid column name (letters, digits and _, "
                    "not starting with a digit)",
                )
            if len(item) > _MAX_SQL_NAME:
                raise self.fail(where, f"{item!r} is longer than {_MAX_SQL_NAME} characters")
            if keyword.iskeyword(item) or item.startswith("_") or item in RESERVED_ATTRIBUTES:
                raise self.fail(
                    where,
                    f"{item!r} cannot be a column of the link class (a Python keyword, a "
                    "leading _ or a reserved name such as metadata); choose another name",
                )
        left, right = value
        if left.lower() == right.lower():
            raise self.fail(where, f"the two columns must differ, got {left!r} twice")
        return left, right

    def read_link_indexes(
        self,
        value: Any,
        where: str,
        key_columns: tuple[str, str] | None,
        fields: tuple[FieldSpec, ...],
    ) -> tuple[ConstraintSpec, ...]:
        """`{name: [column, ...]}`: named indexes of the link table over its database column
        names (link_columns, or link_fields' columns)."""
        if value is None:
            return ()
        if not isinstance(value, Mapping) or not value:
            raise self.fail(
                where,
                "must be a mapping of index names to lists of the link table's columns "
                f"(e.g. {{ix_track: [TrackId]}}), got {_describe(value)}",
            )
        if key_columns is None:
            raise self.fail(where, "needs link_columns (the indexes name the link's columns)")
        allowed = [*key_columns, *(f.column or f.name for f in fields)]
        indexes: list[ConstraintSpec] = []
        for name, columns in value.items():
            place = f"{where}.{name}"
            self.constraint_name(name, place)
            if not isinstance(columns, list) or not columns:
                raise self.fail(
                    place,
                    "must be a non-empty list of the link table's columns, got "
                    f"{_describe(columns)}",
                )
            for column in columns:
                if column not in allowed:
                    raise self.fail(
                        place,
                        f"{column!r} is not a column of the link table "
                        f"(allowed: {', '.join(allowed)})",
                    )
                if columns.count(column) > 1:
                    raise self.fail(place, f"{column!r} is listed twice")
            indexes.append(ConstraintSpec(name=name, attributes=tuple(columns)))
        return tuple(indexes)

    def read_link_fields(
        self, value: Any, where: str, key_columns: tuple[str, str] | None
    ) -> tuple[FieldSpec, ...]:
        """Extra columns of a link table: fields, each nullable or with a default (adding a
        link through the relationship inserts only the two key columns)."""
        data = self.mapping(value, where, "link_fields")
        fields: list[FieldSpec] = []
        for name, spec in data.items():
            place = f"{where}.{name}"
            field = self.read_field(name, spec, place)
            if key_columns is not None and field.name.lower() in {c.lower() for c in key_columns}:
                raise self.fail(place, f"{name!r} is a key column of the link (link_columns)")
            if not field.nullable and not field.has_default:
                raise self.fail(
                    place,
                    "a link field must be nullable: true or have a default (adding a link "
                    "inserts only the two key columns)",
                )
            fields.append(field)
        return tuple(fields)


_CONSTRAINT_NAME = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z")
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
