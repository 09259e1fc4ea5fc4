"""Property: every file forge leaves unformatted is exactly what black would write.

forge runs black only on renders that `generator.format.may_change` cannot clear (see
generator/format.py and generator/layout.py); the others are written as rendered. So for
every render that `may_change` lets through, `black.format_str(render) == render` must hold.
Hypothesis draws specs (every field type and option, every relation kind, self-references,
both ORMs, long and hostile names, descriptions, defaults and enum values, names whose
lines fall either side of black's line length) and renders them in-process: nothing is
written, no process is started.

Example count: FORGE_BLACK_EXAMPLES (default 200); tests/scripts/black_stable_property.sh
runs a long, non-derandomized campaign.
"""

from __future__ import annotations

import datetime as dt
import keyword
import os
import string
from typing import Any

import black
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from generator import fieldtypes
from generator.emit import ORMS
from generator.errors import SpecError
from generator.format import _mode, may_change
from generator.project import render_jobs
from generator.spec import RESERVED_ATTRIBUTES, RESERVED_CLASSES, parse_spec

EXAMPLES = int(os.environ.get("FORGE_BLACK_EXAMPLES", "200"))
DERANDOMIZE = os.environ.get("FORGE_BLACK_RANDOM") != "1"

TYPES = list(fieldtypes.NAMES)  # every type of the registry
NO_INDEX = tuple(record.name for record in fieldtypes.TYPES if not record.indexable)
KINDS = ["many_to_one", "one_to_many", "one_to_one", "many_to_many"]
# Characters that stress literals: both quotes, backslashes, escapes, non-ASCII (wide and
# combining), and the characters of a one-line trailing comma.
HOSTILE = "'\"\\\n\t\x00{}[](),:#=ü✓中\u0301 " + string.ascii_letters + string.digits


def _word(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=size)


def _pascal() -> st.SearchStrategy[str]:
    plain = _word(8).map(str.capitalize).filter(lambda name: name not in RESERVED_CLASSES)
    long = st.integers(10, 60).map(lambda n: "A" + "b" * n)  # lines either side of 88
    return st.one_of(plain, plain, long, st.sampled_from(["Post", "Tag", "Match", "Case"]))


def _snake() -> st.SearchStrategy[str]:
    plain = _word(10).filter(
        lambda name: not (keyword.iskeyword(name) or keyword.issoftkeyword(name))
        and name not in RESERVED_ATTRIBUTES
    )
    long = st.integers(8, 55).map(lambda n: "f" + "x" * n)
    return st.one_of(plain, plain, long)


def _text(max_size: int = 100) -> st.SearchStrategy[str]:
    return st.text(alphabet=HOSTILE, max_size=max_size)


def _default(draw: st.DrawFn, ftype: str, spec: dict[str, Any]) -> Any:
    if ftype in ("str", "text", "bytes"):
        value = draw(_text(spec.get("max_length", 120)))
        return value or None
    if ftype in ("int", "bigint"):
        return draw(st.integers(-(2**31), 2**31 - 1))
    if ftype == "smallint":
        return draw(st.integers(-(2**15), 2**15 - 1))
    if ftype == "float":
        return draw(st.floats(allow_nan=False, allow_infinity=False))
    if ftype == "decimal":
        whole = draw(st.integers(-99, 99))
        return f"{whole}.{'5' * spec['scale']}" if spec.get("scale") else str(whole)
    if ftype == "bool":
        return draw(st.booleans())
    if ftype == "enum":
        return draw(st.sampled_from(spec["values"]))
    if ftype == "date":
        return draw(st.sampled_from(["now", dt.date(2024, 1, 31).isoformat()]))
    if ftype == "datetime":
        return draw(st.sampled_from(["now", "2024-01-31T12:00:00", "2024-01-31T12:00:00+02:00"]))
    if ftype == "time":
        return draw(st.sampled_from(["now", "12:30:00"]))
    if ftype == "uuid":
        return draw(st.sampled_from(["uuid4", "12345678-1234-5678-1234-567812345678"]))
    if ftype == "ipaddress":
        return draw(st.sampled_from(["192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1"]))
    if ftype == "json":
        scalars = st.one_of(st.none(), st.booleans(), st.integers(), _text(20))
        return draw(
            st.recursive(
                scalars,
                lambda inner: st.lists(inner, max_size=4)
                | st.dictionaries(_text(10), inner, max_size=4),
                max_leaves=12,
            )
        )
    raise AssertionError(ftype)


NARROW_STORAGES = ("tinyint", "mediumint", "tinytext", "text", "timestamp")


@st.composite
def field_specs(draw: st.DrawFn) -> dict[str, Any]:
    ftype = draw(st.sampled_from(TYPES))
    spec: dict[str, Any] = {"type": ftype}
    if ftype == "enum":
        spec["values"] = draw(
            st.lists(_word(70) | _text(30).filter(str.strip), min_size=1, max_size=6,
                     unique=True)  # fmt: skip
        )
    if ftype == "str" and draw(st.booleans()):
        spec["max_length"] = draw(st.sampled_from([1, 10, 255, 16383]))
    if ftype == "decimal":
        spec["precision"] = draw(st.sampled_from([10, 30, 65]))
        spec["scale"] = draw(st.sampled_from([0, 2, 8]))
    for option in ("nullable", "unique", "index"):
        if draw(st.integers(0, 3)) == 0 and (option == "nullable" or ftype not in NO_INDEX):
            spec[option] = True
    if ftype in ("str", "text") and draw(st.booleans()):
        spec["searchable"] = True
    if ftype in ("date", "datetime", "time") and draw(st.booleans()):
        spec["onupdate"] = "now"
    storages = sorted(fieldtypes.get(ftype).storages)
    if storages and draw(st.booleans()):
        spec["storage"] = draw(st.sampled_from(storages))
    if draw(st.booleans()):
        spec["description"] = draw(_text())
    # (a narrower storage's range is not what _default draws from)
    if draw(st.booleans()) and spec.get("storage") not in NARROW_STORAGES:
        spec["default"] = _default(draw, ftype, spec)
    if ftype not in ("text", "json", "bytes") and draw(st.integers(0, 3)) == 0:
        server = _default(draw, ftype, spec)  # not uuid4 nor an offset: made in Python only
        if server != "uuid4" and not (isinstance(server, str) and server.endswith("+02:00")):
            spec["server_default"] = server
    if draw(st.integers(0, 3)) == 0:
        spec["column"] = draw(_column())
    return spec


def _column() -> st.SearchStrategy[str]:
    """A database name in any case (`column:`, a key's column), short or up to 63."""
    mixed = st.text(alphabet=string.ascii_letters + "_", min_size=1, max_size=12)
    long = st.integers(20, 60).map(lambda n: "Col" + "x" * n)
    return st.one_of(mixed, long)


def _primary_key(draw: st.DrawFn) -> dict[str, Any]:
    key: dict[str, Any] = {"type": draw(st.sampled_from(["int", "smallint", "bigint", "uuid"]))}
    if draw(st.booleans()):
        key = {"type": "str", "max_length": draw(st.sampled_from([1, 20, 255]))}
    if draw(st.booleans()):
        key["column"] = draw(_column())
    storage = {"smallint": "tinyint", "int": "mediumint"}.get(key["type"])
    if storage is not None and draw(st.booleans()):
        key["storage"] = storage
    return key


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(_pascal(), min_size=1, max_size=3, unique=True))
    entities: dict[str, Any] = {}
    for name in names:
        body: dict[str, Any] = {}
        fields = draw(st.dictionaries(_snake(), field_specs(), max_size=5))
        if fields:
            body["fields"] = fields
            columns = st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True)
            if draw(st.integers(0, 3)) == 0:
                body["unique"] = [draw(columns)]
            if draw(st.integers(0, 3)) == 0:
                body["indexes"] = {f"IX{len(entities)}_" + draw(_word(50)): draw(columns)}
            if draw(st.integers(0, 3)) == 0:
                expression = _text().filter(lambda text: text.strip() and ";" not in text)
                body["checks"] = {f"ck{len(entities)}_" + draw(_word(50)): draw(expression)}
        for option in ("timestamps", "soft_delete"):
            if draw(st.integers(0, 3)) == 0:
                body[option] = True
        if draw(st.integers(0, 5)) == 0:
            body["table"] = f"t{len(entities)}" + draw(_word(50))
        elif draw(st.integers(0, 5)) == 0:
            body["table"] = f"T{len(entities)}" + draw(_column())[:50]
        if draw(st.integers(0, 3)) == 0:
            body["primary_key"] = _primary_key(draw)
        if draw(st.integers(0, 5)) == 0:
            body["route"] = f"/r{len(entities)}-" + draw(_word(60))
        entities[name] = body
    for _ in range(draw(st.integers(0, 4))):
        source, target = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        kind = draw(st.sampled_from(KINDS))
        relation: dict[str, Any] = {"kind": kind, "target": target}
        if kind != "many_to_many" and draw(st.integers(0, 3)) > 0:
            relation["nullable"] = True  # mostly: required references may form a cycle
        if kind == "one_to_many" or source == target or draw(st.booleans()):
            relation["inverse"] = draw(_snake())
        if kind in ("many_to_one", "one_to_one") and draw(st.booleans()):
            relation["on_delete"] = draw(st.sampled_from(["cascade", "set_null", "restrict"]))
        if kind != "many_to_many" and draw(st.integers(0, 3)) == 0:
            relation["column"] = draw(_column())
        if kind == "many_to_many" and draw(st.integers(0, 2)) == 0:  # an existing schema's link
            relation["link_table"] = "L" + draw(_word(50)).capitalize()
            relation["link_columns"] = ["Left" + draw(_word(50)), "Right" + draw(_word(50))]
            relation["link_on_delete"] = draw(st.sampled_from(["cascade", "restrict", "no_action"]))
            link_fields = draw(st.dictionaries(_snake(), field_specs(), max_size=3))
            for field in link_fields.values():
                if field.get("default") is None:
                    field["nullable"] = True
            relation["link_fields"] = link_fields
        entities[source].setdefault("relations", {})[draw(_snake())] = relation
    orm = draw(st.sampled_from(ORMS))
    database = draw(st.sampled_from(["sqlite", "postgresql", "mysql"]))
    return {"project": {"name": "prop", "orm": orm, "database": database}, "entities": entities}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(specs())
def test_files_left_unformatted_are_what_black_writes(data: dict[str, Any]) -> None:
    try:
        spec = parse_spec(data)
    except SpecError:
        assume(False)
        return
    for job, source in render_jobs(spec):
        if not may_change(job.template, source):
            assert _black(source) == source, job.path


_BLACK: dict[str, str] = {}  # black's output per render: many renders recur across examples


def _black(source: str) -> str:
    if source not in _BLACK:
        _BLACK[source] = black.format_str(source, mode=_mode())
    return _BLACK[source]
