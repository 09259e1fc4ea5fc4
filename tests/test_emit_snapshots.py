"""Expected-output tests of the emitters: every field type x every ORM, and the options and
relation kinds that change what a table class says, rendered in-process (no black, no
disk, no subprocess) and compared with the files committed in tests/snapshots/.

Each case renders the data-layer files of a one- or two-entity spec that the output
depends on: the table modules (app/models/), the API schemas (app/schemas/) and the test
factories (tests/factories/). A change to an emitter, the field-type registry or a
template fails here with a diff, long before the end-to-end tests run a project.

When a change is intended, regenerate the expected files and review their diff:

    FORGE_UPDATE_SNAPSHOTS=1 python -m pytest -n 0 tests/test_emit_snapshots.py

A new field type in generator/fieldtypes.py gets its cases here by itself (they fail until
its expected files are written the same way).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from generator import fieldtypes
from generator.emit import ORMS
from generator.plan import file_jobs
from generator.render import render
from generator.spec import parse_spec

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("FORGE_UPDATE_SNAPSHOTS") == "1"
RENDERED = ("app/models/", "app/schemas/", "tests/factories/")
SKIPPED = ("__init__.py", "_support.py")


def _one_field(field: dict[str, Any], **entity: Any) -> dict[str, Any]:
    return {"Thing": {"fields": {"value": field}, **entity}}


def _type_field(name: str) -> dict[str, Any]:
    """A field of the type with its own options set where it has any."""
    field: dict[str, Any] = {"type": name}
    options = fieldtypes.get(name).options
    if "max_length" in options:
        field["max_length"] = 40
    if "precision" in options:
        field.update(precision=8, scale=3)
    if "values" in options:
        field["values"] = ["draft", "in review", "1st"]
    return field


_DEFAULTS = {
    "s": {"type": "str", "max_length": 10, "default": 'it\'s "x"'},
    "n": {"type": "int", "default": -3},
    "d": {"type": "decimal", "precision": 6, "scale": 2, "default": "1.5"},
    "on": {"type": "date", "default": "2024-01-31"},
    "today": {"type": "date", "default": "now"},
    "at": {"type": "datetime", "default": "now"},
    "fixed_at": {"type": "datetime", "default": "2024-01-31T12:00:00+00:00"},
    "clock": {"type": "time", "default": "now"},
    "key": {"type": "uuid", "default": "uuid4"},
    "fixed_key": {"type": "uuid", "default": "12345678-1234-5678-1234-567812345678"},
    "data": {"type": "json", "default": {"a": [1, 2]}},
    "number": {"type": "json", "default": 5},
    "raw": {"type": "bytes", "default": "héllo"},
    "state": {"type": "enum", "values": ["a", "b c"], "default": "b c"},
    "flag": {"type": "bool", "default": False},
}


_SERVER_DEFAULTS = {
    "s": {"type": "str", "max_length": 10, "server_default": 'it\'s "x"'},
    "n": {"type": "smallint", "server_default": -3},
    "d": {"type": "decimal", "precision": 6, "scale": 2, "server_default": "1.5"},
    "kept": {
        "type": "decimal",
        "precision": 6,
        "scale": 2,
        "storage": "numeric",
        "server_default": 2,
    },
    "flag": {"type": "bool", "server_default": True},
    "state": {"type": "enum", "values": ["a", "b c"], "server_default": "b c"},
    "today": {"type": "date", "server_default": "now"},
    "at": {"type": "datetime", "server_default": "now", "onupdate": "now"},
    "fixed_at": {"type": "datetime", "timezone": False, "server_default": "2024-01-31T12:00:00"},
    "key": {"type": "uuid", "server_default": "12345678-1234-5678-1234-567812345678"},
    "both": {"type": "int", "nullable": True, "default": 1, "server_default": 2},
}


def _relation(kind: str, **more: Any) -> dict[str, Any]:
    relation = {"kind": kind, "target": "Other", "inverse": "things", **more}
    return {
        "Thing": {"fields": {"name": "str"}, "relations": {"other": relation}},
        "Other": {"fields": {"label": "str"}},
    }


CASES: dict[str, dict[str, Any]] = {
    **{f"type_{name}": _one_field(_type_field(name)) for name in fieldtypes.NAMES},
    **{
        f"nullable_{name}": _one_field({**_type_field(name), "nullable": True})
        for name in fieldtypes.NAMES
    },
    "unique_index": {
        "Thing": {
            "fields": {
                "code": {"type": "str", "max_length": 20, "unique": True},
                "rank": {"type": "int", "index": True},
                "note": {"type": "str", "nullable": True, "description": 'say "hi"\nit\'s'},
            }
        }
    },
    "defaults": {"Thing": {"fields": _DEFAULTS}},
    "server_defaults": {"Thing": {"fields": _SERVER_DEFAULTS}},
    "one_to_one_named_unique": {
        **_relation("one_to_one", nullable=True),
        "Thing": {
            **_relation("one_to_one", nullable=True)["Thing"],
            "unique": {"idx_unique_other": ["other"]},
        },
    },
    "timestamps_soft_delete": _one_field("str", timestamps=True, soft_delete=True),
    "many_to_one": _relation("many_to_one", on_delete="cascade"),
    "many_to_one_nullable": _relation("many_to_one", nullable=True, on_delete="set_null"),
    "one_to_many": _relation("one_to_many", on_delete="restrict"),
    "one_to_one": _relation("one_to_one"),
    "many_to_many": _relation("many_to_many"),
    "table_constraints": {
        "Thing": {
            "unique": [["name", "other"]],
            "indexes": {"IFK_ThingOtherId": ["other"], "ix_thing_rank_name": ["rank", "name"]},
            "checks": {
                "positive_price": "price >= 0",
                "long_rule": "rank BETWEEN 0 AND 999 AND (price < 1000 OR name <> 'it''s \"x\"')",
            },
            "fields": {
                "name": "str",
                "rank": "smallint",
                "price": {"type": "decimal", "precision": 8, "scale": 2, "storage": "numeric"},
                "changed_at": {"type": "datetime", "default": "now", "onupdate": "now"},
                "changed_on": {"type": "date", "nullable": True, "onupdate": "now"},
                "changed_time": {"type": "time", "nullable": True, "onupdate": "now"},
            },
            "relations": {"other": {"kind": "many_to_one", "target": "Other"}},
        },
        "Other": {"fields": {"label": "str"}, "unique": {"uq_other_label": ["label"]}},
    },
    "self_references": {
        "Thing": {
            "fields": {"name": "str"},
            "relations": {
                "parent": {
                    "kind": "many_to_one",
                    "target": "Thing",
                    "nullable": True,
                    "inverse": "children",
                },
                "peers": {"kind": "many_to_many", "target": "Thing", "inverse": "peered"},
            },
        }
    },
    "link_options": {
        "Thing": {
            "fields": {"name": "str"},
            "relations": {
                "others": {
                    "kind": "many_to_many",
                    "target": "Other",
                    "inverse": "things",
                    "link_table": "ThingOther",
                    "link_columns": ["ThingId", "OtherId"],
                    "link_on_delete": "restrict",
                    "link_fields": {
                        "last_update": {"type": "datetime", "default": "now"},
                        "role": {"type": "enum", "values": ["lead", "extra"], "default": "lead"},
                        "rank": {"type": "int", "nullable": True},
                        "price": {"type": "decimal", "precision": 6, "scale": 2, "default": "0"},
                        "note": {"type": "str", "max_length": 30, "nullable": True},
                    },
                },
            },
        },
        "Other": {"fields": {"name": "str"}},
    },
    "link_self_no_action": {
        "Thing": {
            "fields": {"name": "str"},
            "relations": {
                "peers": {
                    "kind": "many_to_many",
                    "target": "Thing",
                    "inverse": "peered",
                    "link_table": "ThingPeer",
                    "link_columns": ["ThingId", "PeerId"],
                    "link_on_delete": "no_action",
                },
            },
        }
    },
    # branch keys: tables and columns named as an existing database has them
    "named_columns": {
        "Thing": {
            "table": "Thing",
            "primary_key": {"column": "ThingId"},
            "timestamps": True,
            "fields": {
                "name": {"type": "str", "max_length": 40, "column": "Name", "unique": True},
                "state": {"type": "enum", "values": ["a", "b"], "column": "State"},
            },
            "relations": {
                "other": {"kind": "many_to_one", "target": "Other", "column": "OtherId"},
                "items": {
                    "kind": "one_to_many",
                    "target": "Other",
                    "column": "OwnerId",
                    "nullable": True,
                },
            },
        },
        "Other": {"fields": {"label": "str"}},
    },
    **{
        f"key_{kind}": {
            "Thing": {
                "primary_key": {"column": "Code", "type": kind}
                | ({"max_length": 8} if kind == "str" else {}),
                "fields": {"name": "str"},
                "relations": {
                    "parent": {"kind": "many_to_one", "target": "Thing", "nullable": True},
                    "others": {"kind": "many_to_many", "target": "Other", "inverse": "things"},
                },
            },
            "Other": {"relations": {"thing": {"kind": "many_to_one", "target": "Thing"}}},
        }
        for kind in ("smallint", "bigint", "uuid", "str")
    },
    # branch sakila-b: `storage:` of every type that has one, and of integer keys (the
    # foreign keys and link columns that refer to them get the same column type)
    "storages": {
        "Thing": {
            "primary_key": {"type": "smallint", "storage": "tinyint"},
            "fields": {
                "tiny": {"type": "smallint", "storage": "tinyint", "default": -128},
                "medium": {"type": "int", "storage": "mediumint", "nullable": True},
                "short_note": {"type": "text", "storage": "tinytext"},
                "body": {"type": "text", "storage": "text", "nullable": True},
                "long_body": {"type": "text", "storage": "longtext", "nullable": True},
                "seen_at": {"type": "datetime", "storage": "timestamp", "default": "now"},
                "price": {"type": "decimal", "precision": 5, "scale": 2, "storage": "decimal"},
            },
            "relations": {
                "others": {"kind": "many_to_many", "target": "Other", "inverse": "things"}
            },
        },
        "Other": {
            "primary_key": {"type": "int", "storage": "mediumint"},
            "relations": {"thing": {"kind": "many_to_one", "target": "Thing"}},
        },
    },
}


def rendered(entities: dict[str, Any], orm: str) -> str:
    """The case's data-layer files, rendered (not formatted), one after the other."""
    spec = parse_spec({"project": {"name": "snap", "orm": orm}, "entities": entities})
    parts = []
    for job in file_jobs(spec):
        if job.path.startswith(RENDERED) and not job.path.endswith(SKIPPED):
            parts.append(f"# ==== {job.path}\n{render(job)}")
    return "\n".join(parts)


@pytest.mark.parametrize("orm", ORMS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_emitted_code_matches_the_snapshot(case: str, orm: str) -> None:
    path = SNAPSHOTS / orm / f"{case}.snap"
    text = rendered(CASES[case], orm)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} missing: run with FORGE_UPDATE_SNAPSHOTS=1 (see docstring)"
    assert text == path.read_text(encoding="utf-8")


def test_every_snapshot_belongs_to_a_case() -> None:
    """A removed case (or type) leaves no stale expected file behind."""
    expected = {f"{orm}/{case}.snap" for orm in ORMS for case in CASES}
    found = {path.relative_to(SNAPSHOTS).as_posix() for path in SNAPSHOTS.rglob("*.snap")}
    assert found <= expected, sorted(found - expected)
