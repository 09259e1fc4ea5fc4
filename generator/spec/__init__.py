"""The spec: `forge.yaml` read, checked and turned into frozen records.

records.py   the records (Spec, EntitySpec, FieldSpec, ...) and the names they allow
loading.py   YAML text -> plain values (errors name the line); yamlguard.py bounds aliases
reader.py    plain values -> records; every mistake names its place (`entities.Post.title`)
checks.py    what needs the whole spec: unique names, targets, clashes, FK cycles
editor.py    the one round-trip editor of forge.yaml (make entity, destroy, rename, new)

Every mistake a user can make in a spec is raised here as a `SpecError` naming its place
and what is allowed. Later stages trust the Spec.
"""

from generator.fieldtypes import MAX_JSON_DEPTH
from generator.spec.editor import (
    FIELD_ORDER,
    RELATION_ORDER,
    EntityChange,
    apply_change,
    canonical,
    check_change,
    problem,
    remove_entity,
    rename_in_spec,
    set_project_keys,
)
from generator.spec.loading import load_spec, read_yaml
from generator.spec.reader import (
    ENTITY_OPTIONS,
    FIELD_OPTIONS,
    PROJECT_OPTIONS,
    RELATION_OPTIONS,
    TOP_LEVEL,
    parse_spec,
)
from generator.spec.records import (
    DATABASES,
    DEFAULT_PRECISION,
    DEFAULT_SCALE,
    DEFAULT_STR_LENGTH,
    FIELD_TYPES,
    GENERATED_SUFFIXES,
    KEY_TYPES,
    ON_DELETE,
    ORMS,
    RELATION_KINDS,
    RESERVED_ATTRIBUTES,
    RESERVED_CLASSES,
    SOFT_DELETE_COLUMN,
    TIMESTAMP_COLUMNS,
    EntitySpec,
    FieldSpec,
    FieldType,
    KeySpec,
    OnDelete,
    ProjectSpec,
    RelationKind,
    RelationSpec,
    Spec,
)

__all__ = [
    "DATABASES",
    "DEFAULT_PRECISION",
    "DEFAULT_SCALE",
    "DEFAULT_STR_LENGTH",
    "ENTITY_OPTIONS",
    "FIELD_OPTIONS",
    "FIELD_ORDER",
    "FIELD_TYPES",
    "GENERATED_SUFFIXES",
    "KEY_TYPES",
    "MAX_JSON_DEPTH",
    "ON_DELETE",
    "ORMS",
    "PROJECT_OPTIONS",
    "RELATION_KINDS",
    "RELATION_OPTIONS",
    "RELATION_ORDER",
    "RESERVED_ATTRIBUTES",
    "RESERVED_CLASSES",
    "SOFT_DELETE_COLUMN",
    "TIMESTAMP_COLUMNS",
    "TOP_LEVEL",
    "EntityChange",
    "EntitySpec",
    "FieldSpec",
    "FieldType",
    "KeySpec",
    "OnDelete",
    "ProjectSpec",
    "RelationKind",
    "RelationSpec",
    "Spec",
    "apply_change",
    "canonical",
    "check_change",
    "load_spec",
    "parse_spec",
    "problem",
    "read_yaml",
    "remove_entity",
    "rename_in_spec",
    "set_project_keys",
]
