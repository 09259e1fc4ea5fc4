"""`forge db migrate` in a terminal asks whether a column or table that disappears and one
of the same kind that appears in its place is a rename (pseudo-terminal, like a person).

Yes (`y` Enter): the revision renames (values kept). No: the question whether to drop;
no again: the drop refusal (exit 1, no revision written).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT, forge, project_with_database, sql

SPEC = """\
project:
  name: notes
  database: {kind}

entities:
  Note:
    fields:
      title: {{type: str, max_length: 200}}
      body: text
  Tag:
    fields:
      name: {{type: str, max_length: 50, unique: true}}
      shown: {{type: bool, default: true}}
"""


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def notes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    kind = request.param
    with project_with_database(tmp_path, "notes", SPEC.format(kind=kind), kind) as made:
        yield made


def migrate(project: Path, url: str, message: str, answers: list[tuple[str, str]]) -> str:
    """`forge db migrate -m message` in a pseudo-terminal, answering each question; the
    output, and the exit code as its last line."""
    pexpect = pytest.importorskip("pexpect")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DATABASE_URL")},
        "PYTHONPATH": str(ROOT),
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "DATABASE_URL": url,
    }
    child = pexpect.spawn(
        sys.executable,
        ["-m", "generator", "db", "migrate", "-m", message],
        cwd=str(project),
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 200),
    )
    for question, key in answers:
        child.expect_exact(question)
        child.send(key)
    child.expect(pexpect.EOF)
    output = str(child.before)
    child.close()
    return f"{output}\n{child.exitstatus}"


def edit(project: Path, old: str, new: str) -> None:
    spec = project / "forge.yaml"
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new))
    forge("generate", cwd=project)


def revisions(project: Path) -> set[str]:
    return {p.name for p in (project / "alembic" / "versions").glob("*.py")}


def test_migrate_asks_about_renames(notes: tuple[Path, str]) -> None:
    project, url = notes
    env = {"DATABASE_URL": url}
    forge("db", "migrate", "-m", "initial", "--no-input", cwd=project, env=env)
    forge("db", "upgrade", cwd=project, env=env)
    sql(
        url,
        "INSERT INTO note (title, body) VALUES ('first', 'one'), ('second', 'two')",
        "INSERT INTO tag (name, shown) VALUES ('red', true), ('blue', false)",
    )

    # a column (shorter too): yes
    edit(project, "title: {type: str, max_length: 200}", "headline: {type: str, max_length: 100}")
    output = migrate(
        project, url, "headline", [("Did you rename note.title to note.headline?", "y\r")]
    )
    assert output.endswith("\n0"), output
    assert "renamed column note.title -> note.headline (values kept)" in output, output
    revision = next((project / "alembic" / "versions").glob("*_headline.py")).read_text()
    assert "schema_changes.rename_column('note', 'title', 'headline')" in revision, revision
    assert "schema_changes.refuse_longer('note', 'title', 100)" in revision, revision
    forge("db", "upgrade", cwd=project, env=env)
    assert sql(url, "SELECT headline, body FROM note ORDER BY id") == [
        ("first", "one"),
        ("second", "two"),
    ]

    # a table: yes
    edit(project, "  Tag:\n", "  Label:\n")
    output = migrate(project, url, "label", [("Did you rename table tag to label?", "y\r")])
    assert output.endswith("\n0"), output
    assert "renamed table tag -> label (values kept)" in output, output
    forge("db", "upgrade", cwd=project, env=env)
    assert sql(url, "SELECT name FROM label ORDER BY id") == [("red",), ("blue",)]
    checked = forge("db", "check", cwd=project, env=env, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # a column and a table: no, and no to dropping them: refused, nothing written
    before = revisions(project)
    edit(project, "body: text", "content: text")
    edit(project, "  Label:\n", "  Badge:\n")
    output = migrate(
        project,
        url,
        "refused",
        [
            ("Did you rename table label to badge?", "n\r"),
            ("Did you rename note.body to note.content?", "n\r"),
            ("Drop column note.body and all its values?", "n\r"),
            ("Drop table label and all its rows?", "n\r"),
        ],
    )
    assert output.endswith("\n1"), output
    assert "would drop column note.body and its values" in output, output
    assert "would drop table label and its rows" in output, output
    assert revisions(project) == before
    assert sql(url, "SELECT body FROM note ORDER BY id") == [("one",), ("two",)]
