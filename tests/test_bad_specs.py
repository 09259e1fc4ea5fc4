"""A corpus of bad specs: each is rejected with one clear line naming its place, and nothing is
written.

Every case runs `forge generate` (a few as a real process, the rest in-process) on one project
shared by the module: the bad spec is
written into its forge.yaml, and the project tree must be byte-for-byte unchanged afterwards.
A few cases also run `forge new --spec`, which must leave no folder behind.

A case is (id, YAML text, expected): `expected[0]` is the place, which the error must start
with (after `error: <spec file>: `); every other item must appear somewhere in the error.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from generator import fieldtypes
from generator.errors import SpecError
from generator.spec import parse_spec, read_yaml
from tests.helpers import forge, tree_digest

P = "project: {name: shop}\n"  # a valid project section, for cases about entities

FIELD_TYPES = ", ".join(fieldtypes.NAMES)
FIELD_OPTIONS = "type, nullable, unique, index, default, max_length, precision, scale, values"
KINDS = "many_to_one, one_to_many, one_to_one, many_to_many"


def fields(entity: str, body: str) -> str:
    """A spec with one entity whose `fields:` block is `body` (lines indented by 6)."""
    return f"{P}entities:\n  {entity}:\n    fields:\n{body}"


CASES: list[tuple[str, str, list[str]]] = [
    # ------------------------------------------------------------------ YAML itself
    (
        "yaml-bad-indentation",
        fields("Post", "      title: str\n     body: text\n"),
        ["invalid YAML at line 6, column 6: ", "block mapping", "check the indentation"],
    ),
    (
        "yaml-unclosed-bracket",
        fields("Post", "      title: {type: str, max_length: 40\n  Tag: {}\n"),
        ["invalid YAML at line 6, column 6: ", "expected ',' or '}'", "started at line 5"],
    ),
    (
        "yaml-tab-indentation",
        f"{P}entities:\n\tPost: {{}}\n",
        ["invalid YAML at line 3, column 1: ", "'\\t'"],
    ),
    (
        "yaml-duplicate-entity",
        f"{P}entities:\n  Post:\n    fields: {{title: str}}\n  Post:\n    fields: {{b: text}}\n",
        ["invalid YAML at line 5, column 3: ", "duplicate key 'Post'", "first at line 3"],
    ),
    (
        "yaml-duplicate-field",
        fields("Post", "      title: str\n      body: text\n      title: text\n"),
        ["invalid YAML at line 7, column 7: ", "duplicate key 'title'", "first at line 5"],
    ),
    (
        "yaml-impossible-date",
        fields("Post", "      day: {type: date, default: 2024-02-30}\n"),
        ["invalid YAML at line 5, column 34: ", "'2024-02-30'", "day is out of range"],
    ),
    (
        "yaml-undefined-alias",
        f"{P}entities:\n  Post: *missing\n",
        ["invalid YAML at line 3, column 9: ", "undefined alias 'missing'"],
    ),
    (
        "yaml-two-documents",
        f"{P}---\n{P}",
        ["invalid YAML at line 2, column 1: ", "single document"],
    ),
    # ------------------------------------------------------------------ top level
    ("spec-is-a-list", "- project\n- entities\n", ["the spec must be a mapping, got a list"]),
    ("spec-is-a-string", "shop\n", ["the spec must be a mapping, got 'shop'"]),
    (
        "unknown-top-level-key",
        f"{P}entity: {{}}\n",
        ["entity: ", "unknown option", "allowed: project, entities"],
    ),
    (
        "entities-is-a-list",
        f"{P}entities:\n  - Post\n  - Tag\n",
        ["entities: ", "must be a mapping, got a list"],
    ),
    # ------------------------------------------------------------------ project
    (
        "unknown-project-option",
        "project: {name: shop, framework: django}\n",
        ["project.framework: ", "unknown option", "allowed: name, database, orm"],
    ),
    (
        "project-name-with-dash",
        "project: {name: My-Shop}\n",
        ["project.name: ", "'My-Shop' is not a valid Python package name", "lowercase"],
    ),
    (
        "project-name-keyword",
        "project: {name: class}\n",
        ["project.name: ", "'class' is a Python keyword"],
    ),
    (
        "project-is-a-list",
        "project: [shop]\n",
        ["project: ", "project must be a mapping, got a list"],
    ),
    (
        "unknown-database",
        "project: {name: shop, database: oracle}\n",
        ["project.database: ", "unknown value 'oracle'", "allowed: sqlite, postgresql, mysql"],
    ),
    (
        "unknown-orm",
        "project: {name: shop, orm: django}\n",
        ["project.orm: ", "unknown value 'django'", "allowed: sqlmodel, sqlalchemy"],
    ),
    # ------------------------------------------------------------------ entities
    (
        "entity-name-not-pascal-case",
        f"{P}entities:\n  post:\n    fields: {{title: str}}\n",
        ["entities.post: ", "'post' is not a PascalCase class name"],
    ),
    (
        "entity-name-reserved-class",
        f"{P}entities:\n  Field:\n    fields: {{title: str}}\n",
        ["entities.Field: ", "'Field' is reserved", "reserved: Any, AsyncSession"],
    ),
    (
        "entity-name-keyword",
        f"{P}entities:\n  'None': {{}}\n",
        ["entities.None: ", "'None' is a Python keyword"],
    ),
    (
        "unknown-entity-option",
        f"{P}entities:\n  Post:\n    columns: {{title: str}}\n",
        [
            "entities.Post.columns: ",
            "unknown option",
            "allowed: table, route, timestamps, soft_delete, fields, relations",
        ],
    ),
    (
        "two-entities-same-explicit-table",
        f"{P}entities:\n  Post:\n    table: items\n  Article:\n    table: items\n",
        ["entities.Article.table: ", "table 'items' is already used by entity Post"],
    ),
    (
        "explicit-table-same-as-default-table",
        f"{P}entities:\n  Post: {{}}\n  Article:\n    table: post\n",
        ["entities.Article.table: ", "table 'post' is already used by entity Post"],
    ),
    (
        "table-name-not-sql",
        f"{P}entities:\n  Post:\n    table: Blog-Posts\n",
        ["entities.Post.table: ", "'Blog-Posts' is not a valid table name", "letters, digits"],
    ),
    (
        "table-name-too-long",
        f"{P}entities:\n  Post:\n    table: {'t' * 64}\n",
        ["entities.Post.table: ", "longer than 63 characters"],
    ),
    (
        "two-entities-same-module",
        f"{P}entities:\n  HTTPServer: {{}}\n  HttpServer:\n    table: other\n",
        ["entities.HttpServer: ", "would both be written to http_server.py"],
    ),
    (
        "enum-class-clashes-with-entity",
        fields("Post", "      status: {type: enum, values: [a, b]}\n") + "  PostStatus: {}\n",
        ["entities.Post.fields.status: ", "enum class PostStatus clashes"],
    ),
    # ------------------------------------------------------------------ field names
    (
        "field-name-keyword",
        fields("Post", "      class: str\n"),
        ["entities.Post.fields.class: ", "'class' is a Python keyword"],
    ),
    (
        "field-name-soft-keyword",
        fields("Post", "      match: str\n"),
        ["entities.Post.fields.match: ", "'match' is a Python keyword"],
    ),
    (
        "field-name-not-identifier",
        fields("Post", "      first-name: str\n"),
        ["entities.Post.fields.first-name: ", "not a snake_case identifier", "lowercase"],
    ),
    (
        "field-name-with-line-break",
        fields("Post", '      "first\\nname": str\n'),
        ["entities.Post.fields.first\\nname: ", "not a snake_case identifier"],
    ),
    (
        "field-name-id",
        fields("Post", "      id: int\n"),
        ["entities.Post.fields.id: ", "'id' is reserved", "automatic integer primary key"],
    ),
    (
        "field-name-pydantic-json",
        fields("Post", "      json: str\n"),
        ["entities.Post.fields.json: ", "'json' is reserved", "reserved: ", "model_dump"],
    ),
    (
        "field-name-pydantic-model-config",
        fields("Post", "      model_config: str\n"),
        ["entities.Post.fields.model_config: ", "'model_config' is reserved", "reserved: "],
    ),
    # ------------------------------------------------------------------ field shape and options
    (
        "unknown-field-type",
        fields("Post", "      title: string\n"),
        ["entities.Post.fields.title.type: ", "unknown value 'string'", f"allowed: {FIELD_TYPES}"],
    ),
    (
        "field-type-missing",
        fields("Post", "      title: {max_length: 40}\n"),
        ["entities.Post.fields.title.type: ", "missing", f"allowed: {FIELD_TYPES}"],
    ),
    (
        "field-type-null",
        fields("Post", "      title: {type: null, max_length: 40}\n"),
        ["entities.Post.fields.title.type: ", "missing", f"allowed: {FIELD_TYPES}"],
    ),
    (
        "field-neither-type-nor-mapping",
        fields("Post", "      title: 5\n"),
        ["entities.Post.fields.title: ", "a type name (e.g. str) or a mapping", "got a number"],
    ),
    (
        "unknown-field-option",
        fields("Post", "      title: {type: str, maxlength: 40}\n"),
        ["entities.Post.fields.title.maxlength: ", "unknown option", f"allowed: {FIELD_OPTIONS}"],
    ),
    (
        "fields-is-a-list",
        f"{P}entities:\n  Post:\n    fields: [title, body]\n",
        ["entities.Post.fields: ", "must be a mapping, got a list"],
    ),
    (
        "nullable-is-a-string",
        fields("Post", "      title: {type: str, nullable: 'yes'}\n"),
        ["entities.Post.fields.title.nullable: ", "must be true or false, got 'yes'"],
    ),
    (
        "unique-is-a-number",
        fields("Post", "      title: {type: str, unique: 1}\n"),
        ["entities.Post.fields.title.unique: ", "must be true or false, got a number (1)"],
    ),
    (
        "unique-on-json",
        fields("Post", "      data: {type: json, unique: true}\n"),
        ["entities.Post.fields.data.unique: ", "a json field cannot be unique or indexed"],
    ),
    (
        "index-on-text",
        fields("Post", "      body: {type: text, index: true}\n"),
        ["entities.Post.fields.body.index: ", "a text field cannot be unique or indexed"],
    ),
    (
        "max-length-on-int",
        fields("Post", "      views: {type: int, max_length: 4}\n"),
        ["entities.Post.fields.views.max_length: ", "only applies to type str", "is int"],
    ),
    (
        "max-length-negative",
        fields("Post", "      title: {type: str, max_length: -1}\n"),
        ["entities.Post.fields.title.max_length: ", "must be a positive integer, got -1"],
    ),
    (
        "description-not-a-string",
        fields("Post", "      title: {type: str, description: [a, b]}\n"),
        ["entities.Post.fields.title.description: ", "must be a string"],
    ),
    # ------------------------------------------------------------------ decimal and enum
    (
        "scale-greater-than-precision",
        fields("Post", "      price: {type: decimal, precision: 4, scale: 6}\n"),
        ["entities.Post.fields.price.scale: ", "scale 6 is greater than precision 4"],
    ),
    (
        "precision-zero",
        fields("Post", "      price: {type: decimal, precision: 0}\n"),
        ["entities.Post.fields.price.precision: ", "must be a positive integer, got 0"],
    ),
    (
        "enum-without-values",
        fields("Post", "      status: {type: enum}\n"),
        ["entities.Post.fields.status.values: ", "an enum needs values"],
    ),
    (
        "enum-empty-values",
        fields("Post", "      status: {type: enum, values: []}\n"),
        ["entities.Post.fields.status.values: ", "must be a non-empty list of strings"],
    ),
    (
        "enum-duplicate-values",
        fields("Post", "      status: {type: enum, values: [draft, live, draft]}\n"),
        ["entities.Post.fields.status.values: ", "value 'draft' is listed twice"],
    ),
    (
        "enum-values-same-member",
        fields("Post", "      status: {type: enum, values: [in progress, in-progress]}\n"),
        ["entities.Post.fields.status.values: ", "would both become the Python member IN_PROGRESS"],
    ),
    (
        "enum-value-not-a-string",
        fields("Post", "      rating: {type: enum, values: [1, 2]}\n"),
        ["entities.Post.fields.rating.values: ", "every value must be a non-empty string, got 1"],
    ),
    (
        "values-on-str",
        fields("Post", "      title: {type: str, values: [a]}\n"),
        ["entities.Post.fields.title.values: ", "only applies to type enum"],
    ),
    # ------------------------------------------------------------------ defaults
    (
        "default-string-for-int",
        fields("Post", "      views: {type: int, default: ten}\n"),
        ["entities.Post.fields.views.default: ", "'ten' is not an integer", "the field is int"],
    ),
    (
        "default-int-for-bool",
        fields("Post", "      flag: {type: bool, default: 1}\n"),
        ["entities.Post.fields.flag.default: ", "1 is not true or false", "the field is bool"],
    ),
    (
        "default-abc-for-decimal",
        fields("Post", "      price: {type: decimal, default: abc}\n"),
        ["entities.Post.fields.price.default: ", "'abc' is not a decimal number", "0.00"],
    ),
    (
        "default-too-precise-for-decimal",
        fields("Post", "      price: {type: decimal, precision: 4, scale: 2, default: '123.45'}\n"),
        ["entities.Post.fields.price.default: ", "'123.45' does not fit decimal(4, 2)"],
    ),
    (
        "default-date-not-iso",
        fields("Post", "      day: {type: date, default: 31/01/2024}\n"),
        ["entities.Post.fields.day.default: ", "'31/01/2024' is not an ISO date (2024-01-31)"],
    ),
    (
        "default-date-for-datetime",
        fields("Post", "      at: {type: datetime, default: 2024-02-03}\n"),
        ["entities.Post.fields.at.default: ", "2024-02-03 (unquoted", "is not an ISO datetime"],
    ),
    (
        "default-unquoted-date-for-str",
        fields("Post", "      code: {type: str, default: 2024-02-03}\n"),
        ["entities.Post.fields.code.default: ", "YAML read it as a date", "is not a string"],
    ),
    (
        "default-longer-than-max-length",
        fields("Post", "      code: {type: str, max_length: 3, default: abcdef}\n"),
        ["entities.Post.fields.code.default: ", "longer than max_length 3"],
    ),
    (
        "default-not-a-uuid",
        fields("Post", "      ref: {type: uuid, default: nope}\n"),
        ["entities.Post.fields.ref.default: ", "'nope' is not a UUID or uuid4"],
    ),
    (
        "default-nan-for-float",
        fields("Post", "      ratio: {type: float, default: .nan}\n"),
        ["entities.Post.fields.ratio.default: ", "nan is not a finite number"],
    ),
    (
        "default-enum-not-in-values",
        fields("Post", "      status: {type: enum, values: [draft, live], default: gone}\n"),
        ["entities.Post.fields.status.default: ", "'gone' is not one of the values (draft, live)"],
    ),
    (
        "default-json-recursive-alias",
        fields("Post", "      data: {type: json, default: &loop [1, *loop]}\n"),
        ["entities.Post.fields.data.default: ", "contains itself"],
    ),
    (
        "default-json-number-key",
        fields("Post", "      data: {type: json, default: {1: one}}\n"),
        ["entities.Post.fields.data.default: ", "JSON object keys must be strings, got 1"],
    ),
    # ------------------------------------------------------------------ relations
    (
        "relation-unknown-target",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n"
        "      author: {kind: many_to_one, target: Usr}\n",
        ["entities.Post.relations.author.target: ", "unknown entity 'Usr'", "known: Post, User"],
    ),
    (
        "relation-unknown-kind",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n"
        "      author: {kind: belongs_to, target: User}\n",
        [
            "entities.Post.relations.author.kind: ",
            "unknown value 'belongs_to'",
            f"allowed: {KINDS}",
        ],
    ),
    (
        "relation-missing-kind",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n      author: {{target: User}}\n",
        ["entities.Post.relations.author.kind: ", "missing", f"allowed: {KINDS}"],
    ),
    (
        "relation-kind-null",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n"
        "      author: {kind: null, target: User}\n",
        ["entities.Post.relations.author.kind: ", "missing", f"allowed: {KINDS}"],
    ),
    (
        "relation-missing-target",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n"
        "      author: {kind: many_to_one}\n",
        ["entities.Post.relations.author.target: ", "missing (the name of an entity)"],
    ),
    (
        "relation-is-a-string",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n      author: User\n",
        ["entities.Post.relations.author: ", "a relation must be a mapping, got 'User'"],
    ),
    (
        "relation-unknown-option",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n"
        "      author: {kind: many_to_one, target: User, backref: posts}\n",
        ["entities.Post.relations.author.backref: ", "unknown option", "allowed: kind, target"],
    ),
    (
        "relation-unknown-on-delete",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n"
        "      author: {kind: many_to_one, target: User, on_delete: nothing}\n",
        ["entities.Post.relations.author.on_delete: ", "allowed: cascade, set_null, restrict"],
    ),
    (
        "inverse-is-a-keyword",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n"
        "      author: {kind: many_to_one, target: User, inverse: class}\n",
        ["entities.Post.relations.author.inverse: ", "'class' is a Python keyword"],
    ),
    (
        "inverse-clashes-with-target-field",
        f"{P}entities:\n  User:\n    fields: {{posts: int}}\n  Post:\n    relations:\n"
        "      author: {kind: many_to_one, target: User, inverse: posts}\n",
        ["entities.Post.relations.author.inverse: ", "clashes with field 'posts' on entity User"],
    ),
    (
        "relation-clashes-with-own-field",
        f"{P}entities:\n  User: {{}}\n  Post:\n    fields: {{author: str}}\n    relations:\n"
        "      author: {kind: many_to_one, target: User}\n",
        ["entities.Post.relations.author: ", "relation 'author' clashes with field 'author'"],
    ),
    (
        "relation-fk-column-clashes-with-field",
        f"{P}entities:\n  User: {{}}\n  Post:\n    fields: {{author_id: int}}\n    relations:\n"
        "      author: {kind: many_to_one, target: User}\n",
        ["entities.Post.relations.author: ", "foreign-key column 'author_id'", "field 'author_id'"],
    ),
    (
        "one-to-many-fk-column-clashes-with-target-field",
        f"{P}entities:\n  User:\n    relations:\n      posts: {{kind: one_to_many, target: Post}}\n"
        "  Post:\n    fields: {user_id: int}\n",
        ["entities.User.relations.posts: ", "foreign-key column 'user_id'", "on entity Post"],
    ),
    (
        "self-inverse-same-as-relation",
        f"{P}entities:\n  User:\n    relations:\n"
        "      friends: {kind: many_to_many, target: User, inverse: friends}\n",
        ["entities.User.relations.friends.inverse: ", "must differ from the relation's own name"],
    ),
    (
        "set-null-on-required-relation",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n"
        "      author: {kind: many_to_one, target: User, on_delete: set_null}\n",
        [
            "entities.Post.relations.author.on_delete: ",
            "set_null needs a nullable",
            "nullable: true",
        ],
    ),
    (
        "on-delete-on-many-to-many",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, on_delete: cascade}\n",
        ["entities.Post.relations.tags.on_delete: ", "only applies to many_to_one, one_to_many"],
    ),
    (
        "nullable-on-many-to-many",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, nullable: true}\n",
        ["entities.Post.relations.tags.nullable: ", "only applies to many_to_one, one_to_many"],
    ),
    (
        "link-table-on-many-to-one",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n"
        "      author: {kind: many_to_one, target: User, link_table: post_user}\n",
        ["entities.Post.relations.author.link_table: ", "only applies to many_to_many"],
    ),
    (
        "two-many-to-many-same-default-link-table",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag}\n"
        "      labels: {kind: many_to_many, target: Tag}\n",
        ["entities.Post.relations.labels: ", "link table 'post_tag' is already used by Post.tags"],
    ),
    (
        "link-table-same-as-entity-table",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_table: tag}\n",
        ["entities.Post.relations.tags.link_table: ", "'tag' is already used by entity Tag"],
    ),
    (
        "required-fk-cycle-two-entities",
        f"{P}entities:\n  A:\n    relations:\n      b: {{kind: many_to_one, target: B}}\n"
        "  B:\n    relations:\n      a: {kind: many_to_one, target: A}\n",
        [
            "entities.B.relations.a: ",
            "required foreign keys form a cycle",
            "entities.A.relations.b -> entities.B.relations.a",
            "nullable: true",
        ],
    ),
    (
        "required-fk-cycle-three-entities-via-one-to-many",
        f"{P}entities:\n  A:\n    relations:\n      b: {{kind: many_to_one, target: B}}\n"
        "      cs: {kind: one_to_many, target: C, inverse: owner}\n"
        "  B:\n    relations:\n      c: {kind: one_to_one, target: C}\n  C: {}\n",
        [
            "entities.A.relations.cs: ",
            "required foreign keys form a cycle",
            "entities.A.relations.b -> entities.B.relations.c -> entities.A.relations.cs",
        ],
    ),
    (
        "required-fk-self-reference",
        f"{P}entities:\n  Employee:\n    relations:\n"
        "      manager: {kind: many_to_one, target: Employee}\n",
        ["entities.Employee.relations.manager: ", "form a cycle", "make one of them nullable"],
    ),
    (
        "route-used-twice",
        f"{P}entities:\n  Post:\n    route: /items\n  Tag:\n    route: items\n",
        ["entities.Tag.route: ", "route '/items' is already used by entity Post"],
    ),
    (
        "route-not-a-path",
        f"{P}entities:\n  Post:\n    route: 'Posts?all'\n",
        ["entities.Post.route: ", "is not a route path"],
    ),
    (
        "timestamps-clash-with-a-field",
        f"{P}entities:\n  Post:\n    timestamps: true\n    fields: {{created_at: datetime}}\n",
        ["entities.Post.fields.created_at: ", "clashes with a column of timestamps: true"],
    ),
    (
        "soft-delete-not-a-boolean",
        f"{P}entities:\n  Post:\n    soft_delete: 'yes'\n",
        ["entities.Post.soft_delete: ", "must be true or false"],
    ),
    # ------------------------------------------------- generated names and ranges
    (
        "entity-named-like-a-generated-class",
        f"{P}entities:\n  Post:\n    fields: {{title: str}}\n  PostCreate:\n"
        "    fields: {title: str}\n",
        ["entities.PostCreate: ", "clashes with a class generated for Post", "Create, Read"],
    ),
    (
        "int-default-out-of-range",
        fields("Post", "      views: {type: int, default: 3000000000}\n"),
        ["entities.Post.fields.views.default: ", "does not fit a 32-bit int", "use bigint"],
    ),
    (
        "project-is-a-scalar-without-name",
        "project: shop\nentities: {}\n",
        ["project: ", "must be a mapping"],
    ),
    # ------------------------------------------------------------------ issue 15
    *[
        (f"{db}-{case_id}", text.replace("{name: shop}", f"{{name: shop, database: {db}}}"), exp)
        for db, cases in {
            "postgresql": [
                (
                    "table-63-with-enum",
                    fields("Post", "      s: {type: enum, values: [a]}\n").replace(
                        "  Post:\n", f"  Post:\n    table: {'t' * 63}\n"
                    ),
                    ["entities.Post.fields.s: ", "enum type name", "at most 63 bytes"],
                ),
                (
                    "column-64",
                    fields("Post", f"      {'f' * 64}: str\n"),
                    [f"entities.Post.fields.{'f' * 64}: ", "64 bytes", "at most 63"],
                ),
                (
                    "link-table-65",
                    f"{P}entities:\n  Post:\n    table: {'p' * 32}\n    relations:\n"
                    "      tags: {kind: many_to_many, target: Tag}\n"
                    f"  Tag: {{table: {'q' * 32}}}\n",
                    ["entities.Post.relations.tags: ", "link table", "65 bytes"],
                ),
                (
                    "enum-label-64-bytes",
                    fields("Post", f"      s: {{type: enum, values: [a, {'é' * 32}]}}\n"),
                    ["entities.Post.fields.s.values: ", "64 bytes", "enum label"],
                ),
                (
                    "enum-type-named-like-a-table",
                    f"{P}entities:\n  Post:\n    fields: {{status: {{type: enum, values: [a]}}}}\n"
                    "  Status: {table: post_status}\n",
                    ["entities.Post.fields.status: ", "enum type 'post_status'", "table of Status"],
                ),
                (
                    "two-enum-types-with-one-name",
                    f"{P}entities:\n"
                    "  A: {table: post_a, fields: {b: {type: enum, values: [x]}}}\n"
                    "  B: {table: post, fields: {a_b: {type: enum, values: [x]}}}\n",
                    ["entities.B.fields.a_b: ", "enum type 'post_a_b'", "entities.A.fields.b"],
                ),
                (
                    "precision-1001",
                    fields("Post", "      p: {type: decimal, precision: 1001}\n"),
                    ["entities.Post.fields.p.precision: ", "at most 1000"],
                ),
                (
                    "index-name-too-long",
                    fields("Post", f"      {'i' * 60}: {{type: int, index: true}}\n"),
                    ["entities.Post.fields.", "index name 'ix_post_", "at most 63 bytes"],
                ),
            ],
            "mysql": [
                (
                    "column-65",
                    fields("Post", f"      {'f' * 65}: str\n"),
                    [f"entities.Post.fields.{'f' * 65}: ", "65 characters", "at most 64"],
                ),
                (
                    "table-63-with-foreign-key",
                    f"{P}entities:\n  Post:\n    table: {'t' * 63}\n    relations:\n"
                    "      u: {kind: one_to_one, target: U}\n  U: {}\n",
                    ["entities.Post.relations.u: ", "foreign-key name", "_ibfk_1"],
                ),
                (
                    "link-table-65",
                    f"{P}entities:\n  Post:\n    table: {'p' * 32}\n    relations:\n"
                    "      tags: {kind: many_to_many, target: Tag}\n"
                    f"  Tag: {{table: {'q' * 32}}}\n",
                    ["entities.Post.relations.tags: ", "link table", "65 characters"],
                ),
                (
                    "max-length-20000",
                    fields("Post", "      s: {type: str, max_length: 20000}\n"),
                    ["entities.Post.fields.s.max_length: ", "16383", "use type text"],
                ),
                (
                    "precision-70",
                    fields("Post", "      p: {type: decimal, precision: 70}\n"),
                    ["entities.Post.fields.p.precision: ", "at most 65"],
                ),
                (
                    "row-size",
                    fields(
                        "Post",
                        "".join(f"      s{i}: {{type: str, max_length: 4000}}\n" for i in range(5)),
                    ),
                    ["entities.Post.fields.s0.max_length: ", "row would take", "at most 65535"],
                ),
                (
                    "unique-string-too-long-for-a-key",
                    fields("Post", "      s: {type: str, max_length: 1000, unique: true}\n"),
                    ["entities.Post.fields.s.max_length: ", "at most 768"],
                ),
            ],
        }.items()
        for case_id, text, exp in cases
    ],
    *[
        (f"{orm}-{case_id}", text.replace("{name: shop}", f"{{name: shop, orm: {orm}}}"), exp)
        for orm in ("sqlmodel", "sqlalchemy")
        for case_id, text, exp in [
            (
                "entity-base",
                f"{P}entities:\n  Base: {{fields: {{a: str}}}}\n",
                ["entities.Base: ", "app/schemas/base.py", "skeleton"],
            ),
            (
                "entity-links",
                f"{P}entities:\n  Links: {{}}\n  Post:\n    relations:\n"
                "      tags: {kind: many_to_many, target: Tag}\n  Tag: {}\n",
                ["entities.Links: ", "app/models/links.py", "written twice"],
            ),
            (
                "entity-named-like-a-link-class",
                f"{P}entities:\n  PostTagLink: {{}}\n  Post:\n    relations:\n"
                "      tags: {kind: many_to_many, target: Tag}\n  Tag: {}\n",
                ["entities.Post.relations.tags: ", "define PostTagLink twice"],
            ),
            (
                "enum-class-shadows-schema",
                fields("Post", "      read: {type: enum, values: [yes, no]}\n"),
                ["entities.Post.fields.read: ", "define PostRead twice"],
            ),
            *[
                (
                    f"field-named-{name}",
                    fields("Post", f"      {name}: {ftype}\n"),
                    [f"entities.Post.fields.{name}: ", f"would shadow {name!r}"],
                )
                for name, ftype in [
                    ("str", "str"),
                    ("int", "str"),
                    ("bool", "bool"),
                    ("float", "float"),
                    ("bytes", "bytes"),
                ]
            ],
            (
                "field-named-list",
                f"{P}entities:\n  Post:\n    fields: {{list: str}}\n    relations:\n"
                "      tags: {kind: many_to_many, target: Tag}\n  Tag: {}\n",
                ["entities.Post.fields.list: ", "would shadow 'list'"],
            ),
            (
                "entity-class",
                f"{P}entities:\n  Class: {{}}\n",
                ["entities.Class: ", "would not be valid Python", "keyword"],
            ),
            (
                "entity-import",
                f"{P}entities:\n  Import: {{fields: {{a: str}}}}\n",
                ["entities.Import: ", "would not be valid Python"],
            ),
            (
                "route-captured-by-another-entity",
                f"{P}entities:\n  Post: {{}}\n  Zed: {{route: /posts/zeds}}\n",
                ["entities.Zed.route: ", "under /posts", "/posts/{id}"],
            ),
        ]
    ],
    (
        "sqlalchemy-field-named-mapped-column",
        "project: {name: shop, orm: sqlalchemy}\nentities:\n"
        "  Post: {fields: {mapped_column: str}}\n",
        ["entities.Post.fields.mapped_column: ", "would shadow 'mapped_column'"],
    ),
    (
        "sqlalchemy-field-named-relationship",
        "project: {name: shop, orm: sqlalchemy}\nentities:\n  Post:\n"
        "    fields: {relationship: str}\n    relations: {tag: {kind: many_to_one, target: T}}\n"
        "  T: {}\n",
        ["entities.Post.fields.relationship: ", "would shadow 'relationship'"],
    ),
    (
        "sqlalchemy-entity-mapped",
        "project: {name: shop, orm: sqlalchemy}\nentities:\n  Mapped: {}\n",
        ["entities.Mapped: ", "define Mapped twice"],
    ),
    (
        "two-indexes-with-one-name",
        f"{P}entities:\n  A: {{table: a_b, fields: {{c: {{type: int, index: true}}}}}}\n"
        "  B: {table: a, fields: {b_c: {type: int, index: true}}}\n",
        ["entities.B.fields.b_c: ", "index name 'ix_a_b_c'", "index of a_b.c"],
    ),
    (
        "route-of-the-health-check",
        f"{P}entities:\n  Check: {{route: /health}}\n",
        ["entities.Check.route: ", "/health", "skeleton"],
    ),
    (
        "route-under-docs",
        f"{P}entities:\n  Post: {{route: /docs/posts}}\n",
        ["entities.Post.route: ", "/docs"],
    ),
    (
        "field-name-trailing-newline",
        fields("Post", '      "title\\n": str\n'),
        ["entities.Post.fields.title\\n: ", "not a snake_case identifier"],
    ),
    (
        "project-name-trailing-newline",
        'project: {name: "nl\\n"}\n',
        ["project.name: ", "not a valid Python package name"],
    ),
    (
        "table-trailing-newline",
        f'{P}entities:\n  Post: {{table: "post\\n"}}\n',
        ["entities.Post.table: ", "not a valid table name"],
    ),
    (
        "route-trailing-newline",
        f'{P}entities:\n  Post: {{route: "/posts\\n"}}\n',
        ["entities.Post.route: ", "not a route path"],
    ),
    (
        "yaml-alias-bomb",
        fields(
            "Post",
            "      j:\n        type: json\n        default:\n"
            "          l0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
            + "".join(
                f"          l{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 7)
            ),
        ),
        ["entities.Post.fields.j.default.l", "once its YAML aliases are expanded", "at most"],
    ),
    (
        "yaml-nested-too-deep",
        fields("Post", f"      j: {{type: json, default: {'[' * 70}{']' * 70}}}\n"),
        ["entities.Post.fields.j.default: ", "nested more than 64 levels"],
    ),
    # ------------------------------------------------------------------ branch constraints
    # (unique, indexes, checks, smallint, onupdate, storage)
    (
        "unique-unknown-attribute",
        f"{P}entities:\n  Post:\n    unique: [[title, nope]]\n    fields: {{title: str}}\n",
        ["entities.Post.unique[0]: ", "unknown field or to-one relation 'nope'", "allowed: title"],
    ),
    (
        "unique-many-to-many",
        f"{P}entities:\n  Tag: {{fields: {{name: str}}}}\n  Post:\n    unique: [[title, tags]]\n"
        "    fields: {title: str}\n    relations: {tags: {kind: many_to_many, target: Tag}}\n",
        ["entities.Post.unique[0]: ", "'tags' is a to-many relation", "to-one"],
    ),
    (
        "indexes-one-to-many",
        f"{P}entities:\n  User:\n    indexes: {{ix_posts: [posts]}}\n    fields: {{name: str}}\n"
        "    relations: {posts: {kind: one_to_many, target: Post}}\n  Post: {fields: {t: str}}\n",
        ["entities.User.indexes.ix_posts: ", "'posts' is a to-many relation"],
    ),
    (
        "unique-empty-list",
        f"{P}entities:\n  Post:\n    unique: [[]]\n    fields: {{title: str}}\n",
        ["entities.Post.unique[0]: ", "non-empty list"],
    ),
    (
        "unique-not-a-list",
        f"{P}entities:\n  Post:\n    unique: title\n    fields: {{title: str}}\n",
        ["entities.Post.unique: ", "must be a list of lists"],
    ),
    (
        "unique-attribute-twice",
        f"{P}entities:\n  Post:\n    unique: [[title, title]]\n    fields: {{title: str}}\n",
        ["entities.Post.unique[0]: ", "'title' is listed twice"],
    ),
    (
        "unique-same-columns-twice",
        f"{P}entities:\n  Post:\n    unique: [[a, b], [a, b]]\n    fields: {{a: str, b: str}}\n",
        ["entities.Post.unique[1]: ", "the same columns as entities.Post.unique[0]"],
    ),
    (
        "indexes-bad-name",
        f"{P}entities:\n  Post:\n    indexes: {{1ix: [title]}}\n    fields: {{title: str}}\n",
        ["entities.Post.indexes.1ix: ", "not a valid constraint name"],
    ),
    (
        "constraint-name-twice-in-entity",
        f"{P}entities:\n  Post:\n    unique: {{same: [a, b]}}\n    checks: {{same: a <> b}}\n"
        "    fields: {a: str, b: str}\n",
        ["entities.Post.checks.same: ", "'same' is already used by entities.Post.unique.same"],
    ),
    (
        "constraint-name-twice-across-entities",
        f"{P}entities:\n  Post:\n    indexes: {{IX_A: [a]}}\n    fields: {{a: str}}\n"
        "  Note:\n    indexes: {ix_a: [a]}\n    fields: {a: str}\n",
        ["entities.Note.indexes.ix_a: ", "already used by entities.Post.indexes.IX_A"],
    ),
    (
        "unique-derived-name-too-long",
        "project: {name: shop, database: postgresql}\n"
        f"entities:\n  Post:\n    unique: [[{'a' * 30}, {'b' * 30}]]\n"
        f"    fields: {{{'a' * 30}: str, {'b' * 30}: str}}\n",
        ["entities.Post.unique[0]: ", "constraint or index name 'uq_post_", "at most 63"],
    ),
    (
        "check-not-a-string",
        f"{P}entities:\n  Post:\n    checks: {{positive: 3}}\n    fields: {{n: int}}\n",
        ["entities.Post.checks.positive: ", "must be a non-empty string"],
    ),
    (
        "check-empty",
        f'{P}entities:\n  Post:\n    checks: {{positive: " "}}\n    fields: {{n: int}}\n',
        ["entities.Post.checks.positive: ", "must be a non-empty string"],
    ),
    (
        "check-semicolon",
        f'{P}entities:\n  Post:\n    checks: {{positive: "n > 0; DROP TABLE post"}}\n'
        "    fields: {n: int}\n",
        ["entities.Post.checks.positive: ", "without ';'"],
    ),
    (
        "checks-a-list",
        f'{P}entities:\n  Post:\n    checks: ["n > 0"]\n    fields: {{n: int}}\n',
        ["entities.Post.checks: ", "must be a mapping of names to SQL expressions"],
    ),
    (
        "onupdate-on-int",
        fields("Post", "      n: {type: int, onupdate: now}\n"),
        ["entities.Post.fields.n.onupdate: ", "only applies to type date or datetime or time"],
    ),
    (
        "onupdate-not-now",
        fields("Post", "      at: {type: datetime, onupdate: later}\n"),
        ["entities.Post.fields.at.onupdate: ", "unknown value 'later' (allowed: now)"],
    ),
    (
        "storage-on-str",
        fields("Post", "      s: {type: str, storage: numeric}\n"),
        [
            "entities.Post.fields.s.storage: ",
            "only applies to type text or int or smallint or decimal",
        ],
    ),
    (
        "storage-unknown",
        fields("Post", "      p: {type: decimal, storage: float}\n"),
        [
            "entities.Post.fields.p.storage: ",
            "unknown value 'float' for type decimal (allowed: numeric, decimal)",
        ],
    ),
    (
        "smallint-default-too-big",
        fields("Post", "      n: {type: smallint, default: 40000}\n"),
        ["entities.Post.fields.n.default: ", "does not fit a 16-bit smallint column (use int)"],
    ),
    # ------------------------------------------------------------------ branch links: link tables
    (
        "links-link-columns-one",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_columns: [PostId]}\n",
        ["entities.Post.relations.tags.link_columns: ", "two column names", "a list of 1"],
    ),
    (
        "links-link-columns-three",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_columns: [a, b, c]}\n",
        ["entities.Post.relations.tags.link_columns: ", "a list of 3"],
    ),
    (
        "links-link-columns-string",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_columns: PostId}\n",
        ["entities.Post.relations.tags.link_columns: ", "two column names", "got 'PostId'"],
    ),
    (
        "links-link-columns-equal",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_columns: [TagId, tagid]}\n",
        ["entities.Post.relations.tags.link_columns: ", "must differ", "'TagId' twice"],
    ),
    (
        "links-link-columns-bad-name",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_columns: [post-id, tag_id]}\n",
        ["entities.Post.relations.tags.link_columns: ", "'post-id' is not a valid column name"],
    ),
    (
        "links-link-columns-number",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_columns: [1, tag_id]}\n",
        ["entities.Post.relations.tags.link_columns: ", "1 is not a valid column name"],
    ),
    (
        "links-link-table-bad-name",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_table: Post-Tag}\n",
        [
            "entities.Post.relations.tags.link_table: ",
            "not a valid table name",
            "letters, digits and _",
        ],
    ),
    (
        "links-link-table-64",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag"
        ", link_table: LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL}\n",
        ["entities.Post.relations.tags.link_table: ", "longer than 63"],
    ),
    (
        "links-link-table-case-clash",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_table: TAG}\n",
        ["entities.Post.relations.tags.link_table: ", "'TAG' is already used by entity Tag"],
    ),
    (
        "links-link-fields-no-default",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_fields: {rank: int}}\n",
        ["entities.Post.relations.tags.link_fields.rank: ", "nullable: true or have a default"],
    ),
    (
        "links-link-fields-named-like-key",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_columns: [post_ref, tag_ref]"
        ", link_fields: {tag_ref: {type: int, nullable: true}}}\n",
        ["entities.Post.relations.tags.link_fields.tag_ref: ", "key column of the link"],
    ),
    (
        "links-link-fields-named-like-default-key",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag"
        ", link_fields: {post_id: {type: int, nullable: true}}}\n",
        [
            "entities.Post.relations.tags.link_fields.post_id: ",
            "key column of the link table 'post_tag'",
            "post_id, tag_id",
        ],
    ),
    (
        "links-link-fields-bad-type",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag"
        ", link_fields: {rank: {type: integer, nullable: true}}}\n",
        ["entities.Post.relations.tags.link_fields.rank.type: ", "unknown value 'integer'"],
    ),
    (
        "links-link-fields-bad-default",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag"
        ", link_fields: {rank: {type: int, default: high}}}\n",
        ["entities.Post.relations.tags.link_fields.rank.default: ", "is not"],
    ),
    (
        "links-link-fields-not-a-mapping",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_fields: [rank]}\n",
        ["entities.Post.relations.tags.link_fields: ", "link_fields must be a mapping"],
    ),
    (
        "links-link-fields-field-name-id",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag"
        ", link_fields: {id: {type: int, nullable: true}}}\n",
        ["entities.Post.relations.tags.link_fields.id: ", "reserved"],
    ),
    (
        "links-link-on-delete-unknown",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_on_delete: set_null}\n",
        [
            "entities.Post.relations.tags.link_on_delete: ",
            "unknown value 'set_null'",
            "cascade, restrict, no_action",
        ],
    ),
    (
        "links-link-columns-keyword",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_columns: [from, to]}\n",
        ["entities.Post.relations.tags.link_columns: ", "'from' cannot be a column"],
    ),
    (
        "links-link-columns-reserved",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_columns: [metadata, TagId]}\n",
        ["entities.Post.relations.tags.link_columns: ", "'metadata' cannot be a column"],
    ),
    (
        "links-link-columns-underscore",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_columns: [_post, TagId]}\n",
        ["entities.Post.relations.tags.link_columns: ", "'_post' cannot be a column"],
    ),
    (
        "links-link-columns-on-many-to-one",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n"
        "      author: {kind: many_to_one, target: User, link_columns: [a, b]}\n",
        ["entities.Post.relations.author.link_columns: ", "only applies to many_to_many"],
    ),
    (
        "links-link-fields-on-one-to-many",
        f"{P}entities:\n  User:\n    relations:\n"
        "      posts: {kind: one_to_many, target: Post"
        ", link_fields: {x: {type: int, nullable: true}}}\n"
        "  Post: {}\n",
        ["entities.User.relations.posts.link_fields: ", "only applies to many_to_many"],
    ),
    (
        "links-link-on-delete-on-many-to-one",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n"
        "      author: {kind: many_to_one, target: User, link_on_delete: restrict}\n",
        ["entities.Post.relations.author.link_on_delete: ", "only applies to many_to_many"],
    ),
    (
        "links-same-link-table-declared-from-both-sides",
        f"{P}entities:\n  Tag:\n    relations:\n"
        "      posts: {kind: many_to_many, target: Post, link_table: PostTag,"
        " link_fields: {note: {type: str, nullable: true}}}\n"
        "  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_table: posttag,"
        " link_fields: {note: {type: str, nullable: true}}}\n",
        [
            "entities.Post.relations.tags.link_table: ",
            "'posttag' is already used by Tag.posts",
        ],
    ),
    # ------------------------------------------------------------------ branch keys:
    # table in any case, column: on fields and relations, primary_key:
    (
        "keys-table-clash-by-case",
        f"{P}entities:\n  Post: {{table: Post}}\n  Article: {{table: POST}}\n",
        ["entities.Article.table: ", "'POST' differs only in case from 'Post'", "Post"],
    ),
    (
        "keys-table-starts-with-digit",
        f"{P}entities:\n  Post: {{table: 1Post}}\n",
        ["entities.Post.table: ", "'1Post' is not a valid table name"],
    ),
    (
        "keys-field-column-not-sql",
        fields("Post", "      title: {type: str, column: Title-Text}\n"),
        ["entities.Post.fields.title.column: ", "'Title-Text' is not a valid column name"],
    ),
    (
        "keys-field-column-too-long",
        fields("Post", f"      title: {{type: str, column: {'T' * 64}}}\n"),
        ["entities.Post.fields.title.column: ", "longer than 63 characters"],
    ),
    (
        "keys-field-column-equals-other-field",
        fields("Post", "      title: str\n      headline: {type: str, column: title}\n"),
        ["entities.Post.fields.headline.column: ", "column 'title'", "field 'title'"],
    ),
    (
        "keys-field-column-clash-by-case",
        fields(
            "Post",
            "      title: {type: str, column: Title}\n      body: {type: text, column: TITLE}\n",
        ),
        ["entities.Post.fields.body.column: ", "differs only in case from 'Title'"],
    ),
    (
        "keys-field-column-is-the-key-column",
        f"{P}entities:\n  Post:\n    primary_key: {{column: PostId}}\n"
        "    fields: {title: {type: str, column: postid}}\n",
        ["entities.Post.fields.title.column: ", "the primary key", "differs only in case"],
    ),
    (
        "keys-field-column-is-a-timestamp",
        f"{P}entities:\n  Post:\n    timestamps: true\n"
        "    fields: {made: {type: datetime, column: created_at}}\n",
        ["entities.Post.fields.made.column: ", "'created_at'", "timestamps: true"],
    ),
    (
        "keys-relation-column-clashes-with-field",
        f"{P}entities:\n  User: {{}}\n  Post:\n"
        "    fields: {title: {type: str, column: Owner}}\n"
        "    relations: {author: {kind: many_to_one, target: User, column: owner}}\n",
        ["entities.Post.relations.author.column: ", "relation Post.author", "field 'title'"],
    ),
    (
        "keys-one-to-many-column-clashes-on-target",
        f"{P}entities:\n  Post:\n    fields: {{user_ref: str}}\n  User:\n"
        "    relations: {posts: {kind: one_to_many, target: Post, column: user_ref}}\n",
        ["entities.User.relations.posts.column: ", "'user_ref'", "on Post"],
    ),
    (
        "keys-column-on-many-to-many",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n"
        "    relations: {tags: {kind: many_to_many, target: Tag, column: TagId}}\n",
        ["entities.Post.relations.tags.column: ", "only applies to many_to_one"],
    ),
    (
        "keys-unknown-key-type",
        f"{P}entities:\n  Post: {{primary_key: {{type: serial}}}}\n",
        ["entities.Post.primary_key.type: ", "unknown value 'serial'", "int, smallint, bigint"],
    ),
    (
        "keys-unknown-key-option",
        f"{P}entities:\n  Post: {{primary_key: {{autoincrement: false}}}}\n",
        [
            "entities.Post.primary_key.autoincrement: ",
            "unknown option",
            "column, type, max_length, name",
        ],
    ),
    (
        "keys-max-length-on-int-key",
        f"{P}entities:\n  Post: {{primary_key: {{type: int, max_length: 4}}}}\n",
        ["entities.Post.primary_key.max_length: ", "only applies to type str"],
    ),
    (
        "keys-str-key-without-max-length",
        f"{P}entities:\n  Country: {{primary_key: {{column: Code, type: str}}}}\n",
        ["entities.Country.primary_key.max_length: ", "needs max_length"],
    ),
    (
        "keys-key-column-not-sql",
        f"{P}entities:\n  Post: {{primary_key: {{column: 'Post Id'}}}}\n",
        ["entities.Post.primary_key.column: ", "not a valid column name"],
    ),
    (
        "keys-primary-key-not-a-mapping",
        f"{P}entities:\n  Post: {{primary_key: uuid}}\n",
        ["entities.Post.primary_key: ", "must be a mapping"],
    ),
    # ------------------------------------------------------------------ branch cycles
    (
        "cycles-required-three-entities-through-one-to-one",
        f"{P}entities:\n  Region:\n    relations:\n"
        "      office: {kind: many_to_one, target: Office}\n"
        "  Office:\n    relations:\n      desk: {kind: one_to_one, target: Desk}\n"
        "  Desk:\n    relations:\n      region: {kind: many_to_one, target: Region}\n",
        [
            "entities.Desk.relations.region: ",
            "required foreign keys form a cycle, so no first row could ever be inserted "
            "(entities.Region.relations.office -> entities.Office.relations.desk -> "
            "entities.Desk.relations.region); make one of them nullable: true",
        ],
    ),
    (
        "cycles-breaking-key-name-too-long-postgresql",
        "project: {name: shop, database: postgresql}\nentities:\n"
        "  Office:\n    relations:\n      desk: {kind: one_to_one, target: Desk}\n"
        f"  Desk:\n    table: {'d' * 52}\n    relations:\n"
        "      office: {kind: one_to_one, target: Office, nullable: true}\n",
        [
            "entities.Desk.relations.office: ",
            f"foreign-key name 'fk_{'d' * 52}_office_id' is 65 bytes; PostgreSQL allows at most 63",
        ],
    ),
    # ------------------------------------------------------------------ branch exact:
    # national (str), link_indexes (many_to_many)
    (
        "exact-national-on-text",
        fields("Post", "      body: {type: text, national: true}\n"),
        ["entities.Post.fields.body.national: ", "only applies to type str"],
    ),
    (
        "exact-national-not-boolean",
        fields("Post", "      title: {type: str, national: yes please}\n"),
        ["entities.Post.fields.title.national: ", "must be true or false"],
    ),
    (
        "exact-link-indexes-on-many-to-one",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n"
        "      author: {kind: many_to_one, target: User, link_indexes: {ix_a: [x]}}\n",
        ["entities.Post.relations.author.link_indexes: ", "only applies to many_to_many"],
    ),
    (
        "exact-link-indexes-without-link-columns",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_indexes: {ix_t: [tag_id]}}\n",
        ["entities.Post.relations.tags.link_indexes: ", "needs link_columns"],
    ),
    (
        "exact-link-indexes-unknown-column",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_columns: [PostId, TagId],"
        " link_indexes: {ix_t: [Tagid]}}\n",
        [
            "entities.Post.relations.tags.link_indexes.ix_t: ",
            "'Tagid' is not a column of the link table (allowed: PostId, TagId)",
        ],
    ),
    (
        "exact-link-indexes-not-a-mapping",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_columns: [PostId, TagId],"
        " link_indexes: [[TagId]]}\n",
        ["entities.Post.relations.tags.link_indexes: ", "must be a mapping of index names"],
    ),
    # ------------------------------------------------------------------ branch exact2:
    # timezone (datetime), primary_key name
    (
        "exact2-timezone-on-date",
        fields("Post", "      day: {type: date, timezone: false}\n"),
        ["entities.Post.fields.day.timezone: ", "only applies to type datetime"],
    ),
    (
        "exact2-timezone-not-boolean",
        fields("Post", "      at: {type: datetime, timezone: utc}\n"),
        ["entities.Post.fields.at.timezone: ", "must be true or false"],
    ),
    (
        "exact2-primary-key-name-invalid",
        f"{P}entities:\n  Post:\n    primary_key: {{column: PostId, name: PK-Post}}\n",
        ["entities.Post.primary_key.name: ", "is not a valid constraint name"],
    ),
    (
        "exact2-link-key-name-on-many-to-one",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n"
        "      author: {kind: many_to_one, target: User, link_key_name: PK_x}\n",
        ["entities.Post.relations.author.link_key_name: ", "only applies to many_to_many"],
    ),
    (
        "exact2-on-update-unknown",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n"
        "      author: {kind: many_to_one, target: User, on_update: sideways}\n",
        ["entities.Post.relations.author.on_update: ", "cascade"],
    ),
    (
        "exact2-on-update-set-null-required",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n"
        "      author: {kind: many_to_one, target: User, on_update: set_null}\n",
        ["entities.Post.relations.author.on_update: ", "needs a nullable relation"],
    ),
    (
        "exact2-on-update-on-many-to-many",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, on_update: cascade}\n",
        ["entities.Post.relations.tags.on_update: ", "link_on_update"],
    ),
    (
        "exact2-link-on-update-set-null",
        f"{P}entities:\n  Tag: {{}}\n  Post:\n    relations:\n"
        "      tags: {kind: many_to_many, target: Tag, link_on_update: set_null}\n",
        ["entities.Post.relations.tags.link_on_update: ", "cascade, restrict"],
    ),
    (
        "exact2-enum-type-on-str",
        fields("Post", "      title: {type: str, enum_type: mpaa_rating}\n"),
        ["entities.Post.fields.title.enum_type: ", "only applies to type enum"],
    ),
    (
        "exact2-enum-type-invalid",
        fields("Post", "      rating: {type: enum, values: [G, PG], enum_type: mpaa-rating}\n"),
        ["entities.Post.fields.rating.enum_type: ", "is not a valid constraint name"],
    ),
    (
        "exact2-relation-index-on-one-to-one",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n"
        "      author: {kind: one_to_one, target: User, index: false}\n",
        ["entities.Post.relations.author.index: ", "only applies to many_to_one and one_to_many"],
    ),
    (
        "exact2-relation-index-not-boolean",
        f"{P}entities:\n  User: {{}}\n  Post:\n    relations:\n"
        "      author: {kind: many_to_one, target: User, index: maybe}\n",
        ["entities.Post.relations.author.index: ", "must be true or false"],
    ),
    (
        "exact2-fixed-on-text",
        fields("Post", "      body: {type: text, fixed: true}\n"),
        ["entities.Post.fields.body.fixed: ", "only applies to type str"],
    ),
    # ---- branch sakila-b: storage per type, integer keys' storage, MySQL index names
    (
        "sakila-b-storage-tinyint-on-int",
        fields("Post", "      n: {type: int, storage: tinyint}\n"),
        ["entities.Post.fields.n.storage: ", "unknown value 'tinyint' for type int", "mediumint"],
    ),
    (
        "sakila-b-storage-mediumint-on-smallint",
        fields("Post", "      n: {type: smallint, storage: mediumint}\n"),
        ["entities.Post.fields.n.storage: ", "for type smallint (allowed: tinyint)"],
    ),
    (
        "sakila-b-storage-on-bool",
        fields("Post", "      b: {type: bool, storage: tinyint}\n"),
        ["entities.Post.fields.b.storage: ", "only applies to type", "(this field is bool)"],
    ),
    (
        "sakila-b-storage-text-unknown",
        fields("Post", "      body: {type: text, storage: varchar}\n"),
        [
            "entities.Post.fields.body.storage: ",
            "unknown value 'varchar' for type text",
            "tinytext, text, mediumtext, longtext",
        ],
    ),
    (
        "sakila-b-storage-not-a-string",
        fields("Post", "      at: {type: datetime, storage: [timestamp]}\n"),
        ["entities.Post.fields.at.storage: ", "unknown value a list", "(allowed: timestamp)"],
    ),
    (
        "sakila-b-storage-timestamp-naive",
        fields("Post", "      at: {type: datetime, storage: timestamp, timezone: false}\n"),
        ["entities.Post.fields.at.storage: ", "cannot be combined with timezone: false"],
    ),
    (
        "sakila-b-storage-tinyint-default-too-big",
        fields("Post", "      n: {type: smallint, storage: tinyint, default: 300}\n"),
        ["entities.Post.fields.n.default: ", "300 does not fit a TINYINT column (-128..127)"],
    ),
    (
        "sakila-b-storage-mediumint-default-too-small",
        fields("Post", "      n: {type: int, storage: mediumint, default: -8388609}\n"),
        ["entities.Post.fields.n.default: ", "does not fit a MEDIUMINT column"],
    ),
    (
        "sakila-b-storage-tinytext-default-too-long",
        fields("Post", "      s: {type: text, storage: tinytext, default: '" + "é" * 128 + "'}\n"),
        ["entities.Post.fields.s.default: ", "TINYTEXT column holds (255 bytes in UTF-8)"],
    ),
    (
        "sakila-b-storage-timestamp-default-2038",
        fields(
            "Post",
            "      at: {type: datetime, storage: timestamp, default: '2040-01-01T00:00:00'}\n",
        ),
        ["entities.Post.fields.at.default: ", "outside a TIMESTAMP column's range"],
    ),
    (
        "sakila-b-key-storage-on-uuid",
        f"{P}entities:\n  Post:\n    primary_key: {{type: uuid, storage: tinyint}}\n",
        ["entities.Post.primary_key.storage: ", "for this uuid key", "tinyint on a smallint key"],
    ),
    (
        "sakila-b-key-storage-tinyint-on-int",
        f"{P}entities:\n  Post:\n    primary_key: {{type: int, storage: tinyint}}\n",
        ["entities.Post.primary_key.storage: ", "unknown value 'tinyint' for this int key"],
    ),
    (
        "sakila-b-index-name-twice-on-one-mysql-table",
        "project: {name: shop, database: mysql}\n"
        "entities:\n  Post:\n    fields: {a: str, b: str}\n"
        "    unique: {idx_a: [a]}\n    indexes: {idx_a: [b]}\n",
        ["entities.Post.indexes.idx_a: ", "'idx_a' is already used by entities.Post.unique.idx_a"],
    ),
    (
        "sakila-b-index-name-on-two-sqlite-tables",
        f"{P}entities:\n  Post:\n    fields: {{a: str}}\n    indexes: {{idx_a: [a]}}\n"
        "  Page:\n    fields: {a: str}\n    indexes: {idx_a: [a]}\n",
        [
            "entities.Page.indexes.idx_a: ",
            "'idx_a' is already used by entities.Post.indexes.idx_a",
            "only a MySQL project may reuse an index name on another table; on sqlite rename one",
        ],
    ),
    # ---- branch sakila-a: server_default, and a one_to_one's unique constraint named
    (
        "sakila-a-server-default-wrong-type",
        fields("Film", "      rental_duration: {type: smallint, server_default: three}\n"),
        ["entities.Film.fields.rental_duration.server_default: ", "'three' is not an integer"],
    ),
    (
        "sakila-a-server-default-now-on-int",
        fields("Film", "      length: {type: int, server_default: now}\n"),
        ["entities.Film.fields.length.server_default: ", "only for date, datetime, time"],
    ),
    (
        "sakila-a-server-default-not-in-enum",
        fields("Film", "      rating: {type: enum, values: [G, PG], server_default: X}\n"),
        ["entities.Film.fields.rating.server_default: ", "'X' is not one of the values"],
    ),
    (
        "sakila-a-server-default-on-text",
        fields("Film", "      description: {type: text, server_default: none yet}\n"),
        ["entities.Film.fields.description.server_default: ", "takes no server default"],
    ),
    (
        "sakila-a-server-default-uuid4",
        fields("Film", "      token: {type: uuid, server_default: uuid4}\n"),
        ["entities.Film.fields.token.server_default: ", "made by the application"],
    ),
    (
        "sakila-a-server-default-decimal-too-precise",
        fields(
            "Film", "      rate: {type: decimal, precision: 4, scale: 2, server_default: '4.999'}\n"
        ),
        ["entities.Film.fields.rate.server_default: ", "does not fit decimal(4, 2)"],
    ),
    (
        "sakila-a-server-default-too-long",
        fields("Film", "      code: {type: str, max_length: 2, server_default: abc}\n"),
        ["entities.Film.fields.code.server_default: ", "longer than max_length 2"],
    ),
    (
        "sakila-a-server-default-datetime-offset",
        fields(
            "Film", "      stamp: {type: datetime, server_default: '2024-01-31T12:00:00+02:00'}\n"
        ),
        ["entities.Film.fields.stamp.server_default: ", "without an offset"],
    ),
    (
        "sakila-a-server-default-on-relation",
        f"{P}entities:\n  Staff: {{}}\n  Store:\n    relations:\n"
        "      manager: {kind: one_to_one, target: Staff, server_default: 1}\n",
        ["entities.Store.relations.manager.server_default: ", "unknown option"],
    ),
    (
        "sakila-a-one-to-one-unique-name-invalid",
        f"{P}entities:\n  Staff: {{}}\n  Store:\n    relations:\n"
        "      manager: {kind: one_to_one, target: Staff}\n"
        "    unique: {idx unique-manager: [manager]}\n",
        ["entities.Store.unique", "idx unique-manager"],
    ),
    (
        "sakila-a-one-to-one-unique-name-taken",
        f"{P}entities:\n  Staff:\n    fields: {{name: str}}\n"
        "    indexes: {idx_unique_manager: [name]}\n  Store:\n    relations:\n"
        "      manager: {kind: one_to_one, target: Staff}\n"
        "    unique: {idx_unique_manager: [manager]}\n",
        ["entities.", "'idx_unique_manager' is already used"],
    ),
]

# Cases also run through `forge new --spec bad.yaml`, which must leave nothing behind.
NEW_CASES = (
    "yaml-duplicate-entity",
    "postgresql-table-63-with-enum",
    "mysql-table-63-with-foreign-key",
    "sqlalchemy-entity-class",
    "yaml-alias-bomb",
    "unknown-database",
    "field-name-id",
    "relation-unknown-target",
    "default-string-for-int",
    "required-fk-cycle-two-entities",
    "project-is-a-scalar-without-name",
)


def _params(only: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> list[object]:
    return [
        pytest.param(text, expected, id=case_id)
        for case_id, text, expected in CASES
        if (not only or case_id in only) and case_id not in skip
    ]


def assert_one_line_error(
    result: subprocess.CompletedProcess[str], source: str, expected: list[str]
) -> str:
    """The command failed (exit 2, a spec error) with exactly one line on stderr,
    `error: <source>: <place>...`, containing every expected word; stdout is empty."""
    shown = f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    assert result.returncode == 2, shown
    assert "Traceback" not in result.stderr, shown
    assert result.stdout == "", shown
    lines = result.stderr.splitlines()
    assert len(lines) == 1, shown
    line = lines[0]
    place, *words = expected
    assert line.startswith(f"error: {source}: {place}"), shown
    for word in words:
        assert word in line, f"{word!r} not in the error\n{shown}"
    return line


def test_corpus_is_large_and_distinct() -> None:
    ids = [case_id for case_id, _, _ in CASES]
    texts = [text for _, text, _ in CASES]
    assert len(ids) >= 30
    assert len(set(ids)) == len(ids)
    assert len(set(texts)) == len(texts)
    assert set(NEW_CASES) <= set(ids)
    assert set(REAL_CLI) <= set(ids)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One empty project (`forge new --defaults`, no spec) that every case reuses."""
    root = tmp_path_factory.mktemp("bad_specs") / "proj"
    forge("new", str(root), "--defaults", cwd=root.parent)
    return root


# Cases run through the real command line (a new process each, so slow); every other case
# runs the same `forge generate` in-process (typer's CliRunner), with the same assertions.
REAL_CLI = (
    "yaml-bad-indentation",
    "field-name-id",
    "relation-unknown-target",
    "postgresql-column-64",
    "mysql-row-size",
    "sqlmodel-entity-base",
    "sqlalchemy-field-named-str",
    "sqlmodel-route-captured-by-another-entity",
    "yaml-alias-bomb",
)


@pytest.mark.xdist_group("bad_specs")
@pytest.mark.parametrize(("text", "expected"), _params(only=REAL_CLI))
def test_generate_rejects(project: Path, text: str, expected: list[str]) -> None:
    (project / "forge.yaml").write_text(text, encoding="utf-8")
    before = tree_digest(project)
    result = forge("generate", "--project", str(project), cwd=project.parent, check=False)
    assert_one_line_error(result, "forge.yaml", expected)
    assert tree_digest(project) == before


@pytest.mark.xdist_group("bad_specs")
@pytest.mark.parametrize(("text", "expected"), _params(skip=REAL_CLI))
def test_generate_rejects_in_process(project: Path, text: str, expected: list[str]) -> None:
    from typer.testing import CliRunner

    from generator.cli import app

    (project / "forge.yaml").write_text(text, encoding="utf-8")
    before = tree_digest(project)
    outcome = CliRunner().invoke(app, ["generate", "--project", str(project)])
    result = subprocess.CompletedProcess(
        ["forge"], outcome.exit_code, outcome.stdout, outcome.stderr
    )
    assert_one_line_error(result, "forge.yaml", expected)
    assert tree_digest(project) == before


@pytest.mark.xdist_group("bad_specs")
@pytest.mark.parametrize(("text", "expected"), _params(only=NEW_CASES))
def test_new_rejects_and_leaves_nothing(tmp_path: Path, text: str, expected: list[str]) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(text, encoding="utf-8")
    target = tmp_path / "newproj"
    result = forge("new", str(target), "--spec", str(spec), "--defaults", cwd=tmp_path, check=False)
    assert_one_line_error(result, "bad.yaml", expected)
    assert not target.exists()
    assert sorted(os.listdir(tmp_path)) == ["bad.yaml"]


# ---------------------------------------------------------------------- unit tests, no CLI


# The orm's availability is checked when rendering (generator/project.py), not when parsing.
@pytest.mark.parametrize(("text", "expected"), _params())
def test_parse_spec_message_matches_cli(text: str, expected: list[str]) -> None:
    """The same corpus, in-process: the SpecError text is the CLI's line minus `error: `."""
    with pytest.raises(SpecError) as caught:
        parse_spec(read_yaml(text))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"forge.yaml: {expected[0]}")
    for word in expected[1:]:
        assert word in message


def test_spec_error_names_its_place() -> None:
    data = {
        "project": {"name": "shop"},
        "entities": {"Post": {"relations": {"author": {"kind": "many_to_one", "target": "Usr"}}}},
    }
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    assert caught.value.where == "entities.Post.relations.author.target"
    assert caught.value.message == "unknown entity 'Usr' (known: Post)"


@pytest.mark.parametrize(
    ("data", "where", "words"),
    [
        pytest.param(
            {
                "project": {"name": "shop"},
                "entities": {"Post": {"fields": {"tags": {"type": "json", "default": {"a", "b"}}}}},
            },
            "entities.Post.fields.tags.default",
            "cannot be stored as JSON",
            id="json-default-set",
        ),
        pytest.param(
            {
                "project": {"name": "shop"},
                "entities": {
                    "Post": {"fields": {"x": {"type": "decimal", "default": float("inf")}}}
                },
            },
            "entities.Post.fields.x.default",
            "not a finite decimal number",
            id="decimal-default-infinite",
        ),
        pytest.param(
            {"project": {"name": "shop"}, "entities": {("A", "B"): {}}},
            "entities.('A', 'B')",
            "entity name must be a string, got a list",
            id="entity-name-tuple",
        ),
        pytest.param(
            {"project": {}},
            "project.name",
            "missing",
            id="project-name-missing",
        ),
    ],
)
def test_parse_spec_rejects_data(data: object, where: str, words: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    assert caught.value.where == where
    assert words in caught.value.message


def test_deeply_nested_yaml_is_an_error_not_a_crash() -> None:
    deep = "[" * 5000 + "]" * 5000
    with pytest.raises(SpecError, match="forge.yaml: a: nested more than 64 levels"):
        read_yaml(f"a: {deep}")
    field = f"      j: {{type: json, default: {deep}}}\n"
    spec = f"project: {{name: x}}\nentities:\n  P:\n    fields:\n{field}"
    with pytest.raises(SpecError, match="entities.P.fields.j.default: nested more than 64 levels"):
        read_yaml(spec)
    field = f"      j: {{type: json, default: {'[' * 55}{']' * 55}}}\n"
    spec = f"project: {{name: x}}\nentities:\n  P:\n    fields:\n{field}"
    with pytest.raises(SpecError, match="entities.P.fields.j.default: nested more than 50 levels"):
        parse_spec(read_yaml(spec))  # within the YAML limit, beyond the json default's


def test_yaml_aliases_within_the_limits_are_fine() -> None:
    """Aliases as people use them (a repeated field definition) load and validate, and a
    shared value is measured once per use, not refused for being shared."""
    text = (
        "project: {name: x}\nentities:\n  P:\n    fields:\n"
        "      a: &lu {type: str, max_length: 40}\n      b: *lu\n"
        "      j:\n        type: json\n        default:\n"
        "          l0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        + "".join(f"          l{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in (1, 2))
    )
    spec = parse_spec(read_yaml(text))
    assert [f.max_length for f in spec.entity("P").fields[:2]] == [40, 40]


# Every place a name is written, and four kinds of bad name in each: a trailing newline
# (accepted by a `$` regex), a NUL, a non-ASCII letter and 300 characters.
NAME_POSITIONS = {
    "project.name": lambda n: {"project": {"name": n}},
    "entities.{n}": lambda n: {"project": {"name": "x"}, "entities": {n: {}}},
    "entities.P.table": lambda n: {"project": {"name": "x"}, "entities": {"P": {"table": n}}},
    "entities.P.route": lambda n: {"project": {"name": "x"}, "entities": {"P": {"route": n}}},
    "entities.P.fields.{n}": lambda n: {
        "project": {"name": "x"},
        "entities": {"P": {"fields": {n: "str"}}},
    },
    "entities.P.relations.{n}": lambda n: {
        "project": {"name": "x"},
        "entities": {"P": {"relations": {n: {"kind": "many_to_one", "target": "P"}}}},
    },
    "entities.P.relations.r.inverse": lambda n: {
        "project": {"name": "x"},
        "entities": {"P": {"relations": {"r": {"kind": "many_to_one", "target": "P",
                                               "nullable": True, "inverse": n}}}},
    },  # fmt: skip
    "entities.P.relations.r.link_table": lambda n: {
        "project": {"name": "x"},
        "entities": {"P": {"relations": {"r": {"kind": "many_to_many", "target": "P",
                                               "link_table": n}}}},
    },  # fmt: skip
    "entities.P.relations.r.link_columns": lambda n: {
        "project": {"name": "x"},
        "entities": {"P": {"relations": {"r": {"kind": "many_to_many", "target": "P",
                                               "link_columns": [n, "b"]}}}},
    },  # fmt: skip
    "entities.P.relations.r.link_fields.{n}": lambda n: {
        "project": {"name": "x"},
        "entities": {"P": {"relations": {"r": {"kind": "many_to_many", "target": "P",
                                               "link_fields": {n: {"type": "str",
                                                                  "nullable": True}}}}}},
    },  # fmt: skip
}


@pytest.mark.parametrize("database", ["sqlite", "postgresql", "mysql"])
@pytest.mark.parametrize("position", list(NAME_POSITIONS))
@pytest.mark.parametrize("bad", ["newline", "nul", "non-ascii", "300"])
def test_every_name_position_refuses_bad_names(database: str, position: str, bad: str) -> None:
    pascal = position.startswith("entities.{n}")
    base = "Post" if pascal else ("/posts" if position.endswith("route") else "post")
    name = {
        "newline": f"{base}\n",
        "nul": f"{base}\x00x",
        "non-ascii": f"{base}é" if not pascal else "Pösts",
        "300": base + ("s" * 300),
    }[bad]
    data = NAME_POSITIONS[position](name)
    data["project"]["database"] = database
    if position.endswith("route") and bad == "300":
        parse_spec(data)  # a route is no identifier: a long URL path is fine
        return
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message, message
    place = position.format(n=name).replace("\n", "\\n")
    assert caught.value.where.startswith(place.split(".{")[0]), message
    assert caught.value.where.startswith(place[:40]), message


def test_yaml_merge_keys_still_override() -> None:
    data = read_yaml("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  x: 3\n")
    assert data["d"] == {"x": 3, "y": 2}


def test_make_entity_does_not_edit_through_a_yaml_alias() -> None:
    """`Article: *base` shares Post's mapping; adding a field to Article copies it first."""
    from generator.spec import EntityChange, check_change

    text = (
        "project: {name: x}\nentities:\n  Post: &base\n    fields:\n      title: str\n"
        "  Article: *base\n  Note:\n    fields: &f {body: text}\n  Memo:\n    fields: *f\n"
    )
    change = EntityChange("Article", fields={"subtitle": {"type": "str"}})
    new_text, spec = check_change(text, change)
    assert [f.name for f in spec.entity("Post").fields] == ["title"]
    assert [f.name for f in spec.entity("Article").fields] == ["title", "subtitle"]
    _, spec = check_change(new_text, EntityChange("Memo", fields={"extra": {"type": "int"}}))
    assert [f.name for f in spec.entity("Note").fields] == ["body"]
    assert [f.name for f in spec.entity("Memo").fields] == ["body", "extra"]


def test_new_with_another_database_checks_its_limits(tmp_path: Path) -> None:
    """`forge new --database mysql` re-validates a spec that was valid for SQLite."""
    from typer.testing import CliRunner

    from generator.cli import app

    spec = tmp_path / "s.yaml"
    spec.write_text(fields("Post", "      p: {type: decimal, precision: 70}\n"), encoding="utf-8")
    parse_spec(read_yaml(spec.read_text()))  # fine on SQLite
    target = tmp_path / "out"
    args = ["new", str(target), "--spec", str(spec), "--database", "mysql", "--defaults"]
    outcome = CliRunner().invoke(app, args)
    assert outcome.exit_code == 2, outcome.output
    assert outcome.stderr.splitlines() == [
        "error: s.yaml: entities.Post.fields.p.precision: 70 is more than MySQL/MariaDB "
        "allows (at most 65)"
    ]
    assert sorted(os.listdir(tmp_path)) == ["s.yaml"]
