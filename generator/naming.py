"""Naming rules: the one place that turns spec names into Python and SQL names.

Templates never compute names; they ask the plan, and the plan asks this module.
"""

from __future__ import annotations

import functools
import keyword
import re
import sys
from typing import Any

_CAMEL_BOUNDARY_1 = re.compile(r"(.)([A-Z][a-z]+)")
_CAMEL_BOUNDARY_2 = re.compile(r"([a-z0-9])([A-Z])")

# \A and \Z, never ^ and $: `$` also matches before a trailing newline ("title\n").
PASCAL_CASE = re.compile(r"\A[A-Z][A-Za-z0-9]*\Z")
SNAKE_CASE = re.compile(r"\A[a-z][a-z0-9_]*\Z")
SQL_NAME = re.compile(r"\A[a-z_][a-z0-9_]*\Z")
# A table or column name the user writes (`table:`, `column:`): any case is kept as is.
DATABASE_NAME = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z")
SQL_IDENTIFIER = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z")  # any case: an existing schema's
PACKAGE_NAME = re.compile(r"\A[a-z][a-z0-9_]*\Z")

# Words that stay as they are; inflect would say "datas", "medias".
_UNCOUNTABLE = {"media", "data", "metadata", "staff", "feedback"}


@functools.cache
def _engine() -> Any:
    # inflect: a maintained English inflection library (irregular plurals, -f/-fe, ...).
    # Its functions carry typeguard's @typechecked, which at import re-parses and
    # recompiles inflect's whole module once per decorated function: 3-5 s of CPU on a
    # busy machine, most of a `forge generate`. forge passes it plain str words, so the
    # import is done with @typechecked as a no-op (only that import; restored after).
    # When typeguard is not imported yet, a stand-in module gives inflect that no-op, so
    # typeguard itself (with unittest.mock, ~0.1 s) is not imported at all.
    import types

    def unchecked(target: Any = None, **_options: Any) -> Any:
        return target if target is not None else (lambda function: function)

    typeguard = sys.modules.get("typeguard")
    if typeguard is None:
        stand_in = types.ModuleType("typeguard")
        setattr(stand_in, "typechecked", unchecked)  # noqa: B010 (a module: no attribute)
        sys.modules["typeguard"] = stand_in
        try:
            import inflect
        finally:
            del sys.modules["typeguard"]
        return inflect.engine()
    checked = getattr(typeguard, "typechecked")  # noqa: B009
    setattr(typeguard, "typechecked", unchecked)  # noqa: B010
    try:
        import inflect
    finally:
        setattr(typeguard, "typechecked", checked)  # noqa: B010
    return inflect.engine()


@functools.lru_cache(maxsize=8192)  # called for every name many times over a run
def snake_case(name: str) -> str:
    """`GameSession` -> `game_session`, `HTTPServer` -> `http_server`."""
    return _CAMEL_BOUNDARY_2.sub(r"\1_\2", _CAMEL_BOUNDARY_1.sub(r"\1_\2", name)).lower()


def pascal_case(name: str) -> str:
    """`support_rep` -> `SupportRep`."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def _plural_word(word: str) -> str:
    if word.lower() in _UNCOUNTABLE:
        return word
    return str(_engine().plural_noun(word))


def plural(name: str) -> str:
    """Plural of a snake_case name, pluralising its last word: `invoice_line` ->
    `invoice_lines`, `shelf` -> `shelves`, `person` -> `people` (the inflect library)."""
    head, _, last = name.rpartition("_")
    return f"{head}_{_plural_word(last)}" if head else _plural_word(last)


def singular(name: str) -> str:
    """Inverse of `plural` for snake_case names (`categories` -> `category`); a word that
    is already singular is kept."""
    head, _, last = name.rpartition("_")
    word = last
    if last.lower() not in _UNCOUNTABLE:
        found = _engine().singular_noun(last)
        word = found if isinstance(found, str) and found else last
    return f"{head}_{word}" if head else word


def table_name(class_name: str) -> str:
    """Default table of an entity: snake_case of its class name."""
    return snake_case(class_name)


def module_name(class_name: str) -> str:
    """File (module) name of an entity's generated files: `InvoiceLine` -> `invoice_line`."""
    return snake_case(class_name)


def fk_column(relation_name: str) -> str:
    """Foreign-key column of a relation: `author` -> `author_id`."""
    return f"{relation_name}_id"


def fk_constraint(table: str, column: str) -> str:
    """Name of a foreign key that breaks a cycle (created by ALTER TABLE, so it needs one):
    `store` + `manager_id` -> `fk_store_manager_id`."""
    return f"fk_{table}_{column}"


def link_table(source_table: str, target_table: str) -> str:
    """Default link table of a many_to_many: `playlist` + `track` -> `playlist_track`;
    tables written in another case give a snake_case name (`Playlist` -> `playlist`)."""
    return f"{snake_case(source_table)}_{snake_case(target_table)}"


def link_columns(source_table: str, target_table: str, relation_name: str) -> tuple[str, str]:
    """Columns of a link table: `<source>_id`, `<target>_id`.

    A self-referential many_to_many (`User.friends`) cannot use `user_id` twice: its
    second column is named after the singular of the relation (`friend_id`).
    """
    left = f"{snake_case(source_table)}_id"
    right = f"{snake_case(target_table)}_id"
    if left == right:
        right = f"{singular(relation_name)}_id"
        if right == left:
            right = f"{relation_name}_target_id"
    return left, right


def constraint_name(kind: str, table: str, columns: tuple[str, ...] | list[str]) -> str:
    """Name of an unnamed composite unique constraint (kind `uq`) or index (kind `ix`):
    `uq_album_title_artist_id`, `ix_track_album_id_name` (SQLAlchemy's own `ix_` style)."""
    return "_".join((kind, table, *columns))


def enum_class(class_name: str, field_name: str) -> str:
    """Python enum class of an enum field: `Customer.status` -> `CustomerStatus`."""
    return f"{class_name}{pascal_case(field_name)}"


def enum_member(value: str) -> str:
    """Python member name for an enum value: `in progress` -> `IN_PROGRESS`, `1st` -> `V_1ST`."""
    member = re.sub(r"[^0-9A-Za-z]+", "_", value).strip("_").upper()
    if not member:
        member = "VALUE"
    if member[0].isdigit():
        member = f"V_{member}"
    if keyword.iskeyword(member) or member.startswith("_"):
        member = f"V_{member}"
    return member


def route_path(table: str) -> str:
    """URL path of an entity's routes: the table name in snake_case, pluralised
    (`category` -> `categories`, `InvoiceLine` -> `invoice_lines`)."""
    return plural(snake_case(table))
