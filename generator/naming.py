"""Naming rules: the one place that turns spec names into Python and SQL names.

Templates never compute names; they ask the plan, and the plan asks this module.
"""

from __future__ import annotations

import keyword
import re

_CAMEL_BOUNDARY_1 = re.compile(r"(.)([A-Z][a-z]+)")
_CAMEL_BOUNDARY_2 = re.compile(r"([a-z0-9])([A-Z])")

PASCAL_CASE = re.compile(r"^[A-Z][A-Za-z0-9]*$")
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]*$")
SQL_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
PACKAGE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

# Irregular plurals and words that do not change; everything else follows the rules below.
_IRREGULAR = {
    "person": "people",
    "child": "children",
    "man": "men",
    "woman": "women",
    "mouse": "mice",
    "goose": "geese",
    "tooth": "teeth",
    "foot": "feet",
    "datum": "data",
    "criterion": "criteria",
    "index": "indices",
    "matrix": "matrices",
    "vertex": "vertices",
}
_UNCOUNTABLE = {"media", "series", "species", "news", "information", "equipment", "data"}


def snake_case(name: str) -> str:
    """`GameSession` -> `game_session`, `HTTPServer` -> `http_server`."""
    return _CAMEL_BOUNDARY_2.sub(r"\1_\2", _CAMEL_BOUNDARY_1.sub(r"\1_\2", name)).lower()


def pascal_case(name: str) -> str:
    """`support_rep` -> `SupportRep`."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def _plural_word(word: str) -> str:
    lower = word.lower()
    if lower in _UNCOUNTABLE:
        return word
    if lower in _IRREGULAR:
        return _IRREGULAR[lower]
    if re.search(r"[^aeiou]y$", lower):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", lower):
        return word + "es"
    if re.search(r"[^f]fe$", lower):
        return word[:-2] + "ves"
    return word + "s"


def plural(name: str) -> str:
    """Plural of a snake_case name, pluralising its last word: `invoice_line` -> `invoice_lines`."""
    head, _, last = name.rpartition("_")
    return f"{head}_{_plural_word(last)}" if head else _plural_word(last)


def singular(name: str) -> str:
    """Best-effort inverse of `plural` for snake_case names (`categories` -> `category`)."""
    head, _, last = name.rpartition("_")
    lower = last.lower()
    reverse = {v: k for k, v in _IRREGULAR.items()}
    if lower in _UNCOUNTABLE:
        word = last
    elif lower in reverse:
        word = reverse[lower]
    elif lower.endswith("ies") and len(lower) > 3:
        word = last[:-3] + "y"
    elif re.search(r"(s|x|z|ch|sh)es$", lower):
        word = last[:-2]
    elif lower.endswith("s") and not lower.endswith("ss"):
        word = last[:-1]
    else:
        word = last
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


def link_table(source_table: str, target_table: str) -> str:
    """Default link table of a many_to_many: `playlist` + `track` -> `playlist_track`."""
    return f"{source_table}_{target_table}"


def link_columns(source_table: str, target_table: str, relation_name: str) -> tuple[str, str]:
    """Columns of a link table: `<source>_id`, `<target>_id`.

    A self-referential many_to_many (`User.friends`) cannot use `user_id` twice: its
    second column is named after the singular of the relation (`friend_id`).
    """
    left = f"{source_table}_id"
    right = f"{target_table}_id"
    if left == right:
        right = f"{singular(relation_name)}_id"
        if right == left:
            right = f"{relation_name}_target_id"
    return left, right


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
    """URL path of an entity's routes: the table name pluralised (`category` -> `categories`)."""
    return plural(table)
