"""`forge db diagram`: the Mermaid erDiagram of a spec (generator/diagram.py).

The syntax is checked twice:
- always, by `check_grammar`: a strict line grammar of the erDiagram subset forge emits;
- when node and npm can install `mermaid` from the npm registry (into a temporary folder,
  once per session), by Mermaid's own parser (`mermaid.parse`, which runs headless under
  node for erDiagram). Without node, npm or the registry those tests skip and say why.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.diagram import markdown, mermaid, write_diagram
from generator.model import build_model
from generator.spec import Spec, load_spec, parse_spec
from tests.helpers import EXAMPLES

MERMAID_PACKAGE = "mermaid@11"
EXAMPLE_NAMES = ("blog", "shop")

# Table names that are erDiagram keywords, fields that are key markers, a required
# one_to_one, a one_to_many and a self-referential many_to_many: the corners of the output.
EDGE_SPEC = {
    "project": {"name": "edge"},
    "entities": {
        "Style": {
            "fields": {"pk": "int", "fk": {"type": "str", "unique": True}, "uk": "text"},
            "relations": {
                "friends": {"kind": "many_to_many", "target": "Style", "inverse": "friend_of"},
                "parts": {"kind": "one_to_many", "target": "End", "inverse": "owner"},
            },
        },
        "End": {
            "table": "end",
            "fields": {"label": {"type": "enum", "values": ['say "hi"', "100%%{x}%%", "a\nb"]}},
            "relations": {"style": {"kind": "one_to_one", "target": "Style"}},
        },
        "Classdef": {
            "table": "class",
            "relations": {"to": {"kind": "many_to_one", "target": "End"}},
        },
        "One": {
            "table": "to",
            "relations": {"many": {"kind": "many_to_many", "target": "Classdef"}},
        },
        "Acc": {
            "table": "acctitle",
            "relations": {"up": {"kind": "many_to_one", "target": "Acc", "nullable": True}},
        },
    },
}


def example(name: str) -> Spec:
    return load_spec(EXAMPLES / name / "forge.yaml")


def edge() -> Spec:
    return parse_spec(EDGE_SPEC)


def all_specs() -> list[Spec]:
    return [example(name) for name in EXAMPLE_NAMES] + [edge()]


# --------------------------------------------------------------------------- content


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_table_and_column_is_drawn(name: str) -> None:
    spec = example(name)
    text = mermaid(spec)
    lines = text.splitlines()
    model = build_model(spec)
    for entity in model.entities:
        block = entity_block(lines, entity.table)
        assert block[0] == "int id PK"
        for field in entity.fields:
            assert any(line.split()[1] == field.name for line in block), field.name
        for fk in entity.foreign_keys:
            keys = "FK, UK" if fk.unique else "FK"
            assert any(line.startswith(f"int {fk.column} {keys}") for line in block), fk.column
    for link in model.link_tables:
        assert entity_block(lines, link.table) == [
            f"int {link.left[0]} PK, FK",
            f"int {link.right[0]} PK, FK",
        ]
    relationships = [line for line in lines if " : " in line]
    fks = sum(len(entity.foreign_keys) for entity in model.entities)
    assert len(relationships) == fks + 2 * len(model.link_tables)
    assert mermaid(example(name)) == text  # deterministic


def test_blog_cardinalities() -> None:
    lines = relationship_lines(mermaid(example("blog")))
    assert 'comment }o--o| user : "author"' in lines  # nullable many_to_one
    assert 'comment }o--|| post : "post"' in lines  # required many_to_one
    assert 'post }o--|| user : "author"' in lines
    assert 'post_tag }o--|| post : "tags"' in lines  # many_to_many: two lines to its link
    assert 'post_tag }o--|| tag : "tags"' in lines


def test_shop_cardinalities() -> None:
    text = mermaid(example("shop"))
    lines = relationship_lines(text)
    assert 'employee }o--o| employee : "reports_to"' in lines  # self-referential
    assert 'customer |o--o| loyalty_card : "loyalty_card"' in lines  # one_to_one
    assert "int loyalty_card_id FK, UK" in text
    assert 'invoice_line }o--|| invoice : "lines"' in lines  # one_to_many, parent side
    assert 'track }o--o| album : "album"' in lines
    assert 'track }o--|| media_type : "media_type"' in lines
    assert 'playlist_track }o--|| playlist : "tracks"' in lines
    assert 'playlist_track }o--|| track : "tracks"' in lines


def test_edge_cases() -> None:
    text = mermaid(edge())
    lines = relationship_lines(text)
    assert '"end" |o--|| "style" : "style"' in lines  # required one_to_one
    assert '"end" }o--|| "style" : "parts"' in lines  # one_to_many, named by its parent side
    assert '"class" }o--|| "end" : "to"' in lines
    assert '"acctitle" }o--o| "acctitle" : "up"' in lines  # self-referential many_to_one
    assert 'style_style }o--|| "style" : "friends (style_id)"' in lines  # self-referential
    assert 'style_style }o--|| "style" : "friends (friend_id)"' in lines  # many_to_many
    assert "int friend_id PK, FK" in text
    assert '"to" {' in text and 'to_class }o--|| "to" : "many"' in lines
    assert "int `pk`" in text and "varchar `fk` UK" in text and "text `uk`" in text
    assert "enum label \"one of say 'hi' | 100%{x}% | a b\"" in text


def test_markdown() -> None:
    spec = example("blog")
    text = markdown(spec)
    assert text.startswith("# Database schema\n")
    assert "`forge db diagram`" in text and "forge.yaml" in text
    assert f"```mermaid\n{mermaid(spec)}```\n" in text
    assert text.endswith("```\n")


def test_write_diagram(tmp_path: Path) -> None:
    spec = example("shop")
    paths = write_diagram(tmp_path, spec)
    assert paths == [tmp_path / "docs/database_schema.md", tmp_path / "docs/database_schema.mmd"]
    assert paths[0].read_text(encoding="utf-8") == markdown(spec)
    assert paths[1].read_text(encoding="utf-8") == mermaid(spec)
    assert write_diagram(tmp_path, spec) == paths  # unchanged files: same answer
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == sorted(p.name for p in paths)


# --------------------------------------------------------------------------- syntax

# The erDiagram subset forge emits, one regex per kind of line:
#   diagram      = "erDiagram" entity* relationship*
#   entity       = "    " name " {"  ("        " attribute)+  "    }"
#   attribute    = type " " column [" " keys] [" " '"' comment-without-quotes '"']
#   relationship = "    " name " " cardinality " " name ' : "' relation [" (" column ")"] '"'
# A name is a snake_case table, quoted when it is a Mermaid keyword; a column is a
# snake_case name, in backticks when it is a key marker (pk, fk, uk).
ENTITY_KEYWORDS = "erdiagram|style|classdef|class|subgraph|end|one|many|to|acctitle|accdescr"
NAME = rf'(?:(?!(?:{ENTITY_KEYWORDS})\b)[a-z_][a-z0-9_]*|"[a-z_][a-z0-9_]*")'
TYPE = "int|bigint|float|decimal|varchar|text|boolean|date|datetime|time|uuid|json|blob|enum"
COLUMN = r"(?:(?!(?:pk|fk|uk)\b)[a-z_][a-z0-9_]*|`(?:pk|fk|uk)`)"
KEYS = r"(?:PK|FK|UK)(?:, (?:PK|FK|UK))*"
CARDINALITY = r"\}o--o\||\}o--\|\||\|o--o\||\|o--\|\|"
ENTITY_OPEN = re.compile(rf"    ({NAME}) \{{")
COMMENT = r'"(?:[^"%\n]|%(?!%))*"'  # no `%%`, which could open a Mermaid directive
ATTRIBUTE = re.compile(rf"        (?:{TYPE}) {COLUMN}(?: {KEYS})?(?: {COMMENT})?")
ENTITY_CLOSE = re.compile(r"    \}")
LABEL = r'"[a-z][a-z0-9_]*(?: \([a-z_][a-z0-9_]*\))?"'  # relation (link column)
RELATIONSHIP = re.compile(rf"    ({NAME}) (?:{CARDINALITY}) ({NAME}) : {LABEL}")


def check_grammar(text: str) -> None:
    """Fail unless text is a diagram of the grammar above whose lines name known entities."""
    assert text.endswith("\n") and text.count("\n") == len(text.splitlines())
    lines = text.splitlines()
    assert lines[0] == "erDiagram"
    entities: list[str] = []
    index = 1
    while index < len(lines) and (opened := ENTITY_OPEN.fullmatch(lines[index])):
        entities.append(opened[1])
        index += 1
        start = index
        while ATTRIBUTE.fullmatch(lines[index]):
            index += 1
        assert index > start, f"entity {opened[1]} has no attribute"
        assert ENTITY_CLOSE.fullmatch(lines[index]), f"line {index + 1}: {lines[index]!r}"
        index += 1
    assert len(set(entities)) == len(entities), "an entity is declared twice"
    for number, line in enumerate(lines[index:], start=index + 1):
        related = RELATIONSHIP.fullmatch(line)
        assert related, f"line {number} is not an entity or a relationship: {line!r}"
        assert {related[1], related[2]} <= set(entities), f"line {number}: unknown entity"


@pytest.mark.parametrize("spec", all_specs(), ids=[*EXAMPLE_NAMES, "edge"])
def test_grammar(spec: Spec) -> None:
    check_grammar(mermaid(spec))


def test_grammar_rejects_broken_lines() -> None:
    good = mermaid(example("blog"))
    for broken in (
        good.replace("varchar title", "varchar(200) title"),
        good.replace("}o--o|", "}o--x"),
        good.replace(': "author"', ": author"),
        good.replace("int id PK", "int id PK FK"),
        good.replace("    tag {", "    end {"),
    ):
        assert broken != good
        with pytest.raises(AssertionError):
            check_grammar(broken)


PARSE_SCRIPT = """\
import mermaid from "mermaid";
let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const text of JSON.parse(input)) {
  try {
    const parsed = await mermaid.parse(text);
    results.push(parsed.diagramType === "er" ? null : `parsed as ${parsed.diagramType}`);
  } catch (error) {
    results.push(String(error?.message ?? error));
  }
}
process.stdout.write(JSON.stringify(results));
"""

Parser = Callable[[list[str]], list[str | None]]


@pytest.fixture(scope="session")
def mermaid_parse(tmp_path_factory: pytest.TempPathFactory) -> Parser:
    """Mermaid's own parser, installed from the npm registry into a temporary folder."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to check the diagram with Mermaid's parser")
    folder = tmp_path_factory.mktemp("mermaid")
    command = [npm, "install", "--no-audit", "--no-fund", "--prefix", str(folder)]
    try:
        installed = subprocess.run(
            [*command, MERMAID_PACKAGE], cwd=folder, capture_output=True, text=True, timeout=600
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm install {MERMAID_PACKAGE} took more than 10 minutes")
    if installed.returncode != 0:
        tail = "\n".join(installed.stderr.strip().splitlines()[-5:])
        pytest.skip(f"npm could not install {MERMAID_PACKAGE} from the registry:\n{tail}")
    script = folder / "parse.mjs"
    script.write_text(PARSE_SCRIPT, encoding="utf-8")

    def parse(texts: list[str]) -> list[str | None]:
        result = subprocess.run(
            [node, str(script)],
            cwd=folder,
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        answers: list[str | None] = json.loads(result.stdout)
        return answers

    return parse


@pytest.mark.xdist_group("mermaid")
def test_mermaid_parses_the_diagrams(mermaid_parse: Parser) -> None:
    specs = all_specs()
    texts = [mermaid(spec) for spec in specs] + [markdown_block(markdown(specs[0]))]
    assert mermaid_parse(texts) == [None] * len(texts)


@pytest.mark.xdist_group("mermaid")
def test_mermaid_rejects_broken_diagrams(mermaid_parse: Parser) -> None:
    """The parser really checks: what the quoting and backticks avoid is an error."""
    blog, edge_text = mermaid(example("blog")), mermaid(edge())
    broken = [
        blog.replace("}o--o|", "}o--x"),
        blog.replace("int id PK", "int id PK XK"),
        edge_text.replace('"end"', "end"),
        edge_text.replace('"acctitle"', "acctitle"),
        edge_text.replace("`pk`", "pk"),
    ]
    assert all(text not in (blog, edge_text) for text in broken)
    assert all(error for error in mermaid_parse(broken))


# --------------------------------------------------------------------------- helpers


def entity_block(lines: list[str], table: str) -> list[str]:
    """The attribute lines of one entity block, stripped."""
    start = lines.index(f"    {table} {{") + 1
    end = lines.index("    }", start)
    return [line.strip() for line in lines[start:end]]


def relationship_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if " : " in line]


def markdown_block(text: str) -> str:
    match = re.search(r"```mermaid\n(.*?)```", text, re.DOTALL)
    assert match
    return match[1]
