"""The pipeline's own guarantees: naming rules, escaping, all-or-nothing writes, CLI basics."""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path

import pytest

from generator import naming, project
from generator.emit.source import Imports, literal
from generator.errors import GenerationError
from generator.plan import FileJob
from generator.write import write_files
from tests.helpers import forge, in_project, run, tree_digest

HOSTILE = [
    'He said "hi"',
    "it's",
    '"""; import os; os.system("echo pwned") #',
    "'''",
    "back\\slash\\",
    "a\\'b",  # a backslash before a quote
    "line\nbreak",
    "{{ jinja }} {% if x %}",
    "\\N{BULLET} \\x00",
    "ünïcödé ✓",
]


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("GameSession", "game_session"),
        ("HTTPServer", "http_server"),
        ("Post", "post"),
        ("InvoiceLine", "invoice_line"),
        ("MediaType2", "media_type2"),
    ],
)
def test_snake_case(name: str, snake: str) -> None:
    assert naming.snake_case(name) == snake


@pytest.mark.parametrize(
    ("word", "plural"),
    [
        ("category", "categories"),
        ("post", "posts"),
        ("address", "addresses"),
        ("person", "people"),
        ("invoice_line", "invoice_lines"),
        ("day", "days"),
        ("box", "boxes"),
        ("series", "series"),
    ],
)
def test_plural_and_back(word: str, plural: str) -> None:
    assert naming.plural(word) == plural
    assert naming.singular(plural) == word


def test_link_table_naming() -> None:
    assert naming.link_table("playlist", "track") == "playlist_track"
    assert naming.link_columns("playlist", "track", "tracks") == ("playlist_id", "track_id")
    assert naming.link_columns("user", "user", "friends") == ("user_id", "friend_id")


@pytest.mark.parametrize("value", HOSTILE)
def test_literal_round_trips_hostile_strings(value: str) -> None:
    assert ast.literal_eval(literal(value)) == value


def test_literal_refuses_values_without_a_literal() -> None:
    with pytest.raises(ValueError):
        literal(float("nan"))
    with pytest.raises(TypeError):
        literal(object())


def test_imports_are_grouped_and_sorted() -> None:
    imports = Imports()
    imports.add("sqlmodel", "SQLModel", "Field")
    imports.module("import datetime as dt")
    imports.add("app.models.user", "User")
    imports.add("typing", "Optional", "TYPE_CHECKING")
    assert imports.lines() == [
        "import datetime as dt",
        "from typing import TYPE_CHECKING, Optional",
        "",
        "from sqlmodel import Field, SQLModel",
        "",
        "from app.models.user import User",
    ]


@pytest.fixture
def empty_project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    project.new_project(root, name="proj")
    return root


HOSTILE_SPEC = {
    "project": {"name": "proj"},
    "entities": {
        "Note": {
            "fields": {
                f"text_{i}": {
                    "type": "str",
                    "max_length": 200,
                    "default": value,
                    "description": value,
                }
                for i, value in enumerate(HOSTILE)
            }
            | {
                "mood": {
                    "type": "enum",
                    "values": [v for v in HOSTILE if v.strip()],
                    "default": HOSTILE[2],
                }
            },
        }
    },
}

READ_BACK = """
import json
from app.models import Note
from app.models.note import NoteMood
fields = Note.model_fields
print(json.dumps({
    "defaults": [fields[f"text_{i}"].default for i in range(%d)],
    "descriptions": [fields[f"text_{i}"].description for i in range(%d)],
    "enum": [member.value for member in NoteMood],
    "mood": Note().mood.value,
}))
"""


def test_spec_values_are_escaped_end_to_end(empty_project: Path) -> None:
    """Quotes, triple quotes, backslashes, newlines and Jinja syntax in spec values
    arrive in the generated code as the exact same strings, never as code."""
    (empty_project / "forge.yaml").write_text(json.dumps(HOSTILE_SPEC), encoding="utf-8")
    forge("generate", "--project", str(empty_project), cwd=empty_project)
    script = READ_BACK % (len(HOSTILE), len(HOSTILE))
    result = run(
        [sys.executable, "-c", script],
        cwd=empty_project,
        env={**os.environ, "PYTHONPATH": str(empty_project)},
    )
    values = json.loads(result.stdout)
    assert values["defaults"] == HOSTILE
    assert values["descriptions"] == HOSTILE
    assert values["enum"] == [v for v in HOSTILE if v.strip()]
    assert values["mood"] == HOSTILE[2]
    assert not (empty_project / "pwned").exists()
    in_project(empty_project, "black", "--check", "--quiet", ".")
    in_project(empty_project, "ruff", "check", "--quiet", ".")


SMALL_SPEC = """
project: {name: proj}
entities:
  Author:
    fields: {name: str}
  Book:
    fields: {title: str}
    relations:
      author: {kind: many_to_one, target: Author, inverse: books}
"""


def test_failure_while_rendering_writes_nothing(
    empty_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (empty_project / "forge.yaml").write_text(SMALL_SPEC, encoding="utf-8")
    before = tree_digest(empty_project)
    import generator.render as rendering

    real = rendering.render
    calls = {"n": 0}

    def failing(job: FileJob) -> str:
        calls["n"] += 1
        if calls["n"] == 5:
            raise GenerationError(f"{job.path}: injected failure")
        return real(job)

    monkeypatch.setattr(rendering, "render", failing)
    with pytest.raises(GenerationError, match="injected"):
        project.generate(empty_project)
    assert calls["n"] == 5
    assert tree_digest(empty_project) == before


def test_failure_while_writing_leaves_no_trace(
    empty_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (empty_project / "forge.yaml").write_text(SMALL_SPEC, encoding="utf-8")
    before = tree_digest(empty_project)
    import generator.write as write

    real = write.os.fdopen
    calls = {"n": 0}

    def failing(fd: int, mode: str):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 6:
            os.close(fd)
            raise OSError("disk full (injected)")
        return real(fd, mode)

    monkeypatch.setattr(write.os, "fdopen", failing)
    with pytest.raises(OSError, match="injected"):
        project.generate(empty_project)
    assert calls["n"] == 6
    assert tree_digest(empty_project) == before
    monkeypatch.undo()
    project.generate(empty_project)  # the next run does the job
    assert (empty_project / "app" / "models" / "book.py").is_file()


def test_new_project_failure_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.project as projects

    def failing(*_args: object, **_kwargs: object) -> None:
        raise OSError("injected")

    monkeypatch.setattr(projects, "write_files", failing)
    with pytest.raises(OSError):
        projects.new_project(tmp_path / "demo", name="demo")
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    result = forge("new", str(target), "--defaults", cwd=tmp_path, check=False)
    assert result.returncode != 0
    assert "already exists and is not empty" in result.stderr
    assert "Traceback" not in result.stderr
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


def test_new_applies_flags_over_the_spec_and_keeps_its_comments(tmp_path: Path) -> None:
    spec = tmp_path / "in.yaml"
    spec.write_text("# my comment\nproject:\n  name: first  # inline\nentities: {}\n")
    forge(
        "new",
        str(tmp_path / "p"),
        "--spec",
        str(spec),
        "--name",
        "second",
        "--defaults",
        cwd=tmp_path,
    )
    text = (tmp_path / "p" / "forge.yaml").read_text()
    assert "# my comment" in text and "# inline" in text
    assert "name: second" in text
    assert 'name = "second"' in (tmp_path / "p" / "pyproject.toml").read_text()


def test_generate_outside_a_project_is_one_clear_line(tmp_path: Path) -> None:
    result = forge("generate", cwd=tmp_path, check=False)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: no forge.yaml")


def test_help_and_module_entry_point(tmp_path: Path) -> None:
    for command in (["forge", "--help"], [sys.executable, "-m", "generator", "--help"]):
        if command[0] == "forge" and not _on_path("forge"):
            continue
        result = run(
            command, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
        )
        assert "new" in result.stdout and "generate" in result.stdout


def _on_path(name: str) -> bool:
    import shutil

    return shutil.which(name) is not None


def test_new_asks_the_project_questions_in_a_terminal(tmp_path: Path) -> None:
    """Through a real pseudo-terminal: the answers land in forge.yaml and the skeleton."""
    pexpect = pytest.importorskip("pexpect")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "generator", "new", str(tmp_path / "asked")],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 120),
    )
    child.expect("Project name")
    child.send("\x15myshop\r")  # Ctrl-U clears the suggested name
    child.expect("Database")
    child.send("\x1b[B\r")  # arrow down: postgresql
    child.expect("docker-compose.yml, a Dockerfile")
    child.send("\r")  # yes, the default for postgresql
    child.expect("ORM")
    child.send("\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    spec = (tmp_path / "asked" / "forge.yaml").read_text()
    assert "name: myshop" in spec and "database: postgresql" in spec
    pyproject = (tmp_path / "asked" / "pyproject.toml").read_text()
    assert 'name = "myshop"' in pyproject and "asyncpg" in pyproject
    assert (tmp_path / "asked" / "docker-compose.yml").is_file()


def test_the_installed_forge_renders_a_project(tmp_path: Path) -> None:
    """The README's main command, with forge installed as a wheel (pip byte-compiles the
    skeleton's .py files there): run from outside the checkout, without PYTHONPATH."""
    import shutil

    installed = shutil.which("forge")
    if installed is None:
        pytest.skip("forge is not installed: `pip install .` first")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = run(
        [sys.executable, "-c", "import generator; print(generator.__file__)"],
        cwd=tmp_path,
        env=env,
    ).stdout.strip()
    if Path(where).resolve().is_relative_to(Path(__file__).resolve().parents[1]):
        pytest.skip("forge is installed in editable mode; nothing more to prove here")
    spec = Path(__file__).resolve().parents[1] / "examples" / "blog" / "forge.yaml"
    run([installed, "new", "demo", "--spec", str(spec), "--defaults"], cwd=tmp_path, env=env)
    demo = tmp_path / "demo"
    assert not list(demo.rglob("__pycache__")) and not list(demo.rglob("*.pyc"))
    run([sys.executable, "-m", "compileall", "-q", "app", "tests"], cwd=demo, env=env)
    assert (demo / "app" / "models" / "post.py").is_file()


@pytest.mark.parametrize("count", [3, 200], ids=["in-this-thread", "on-two-threads"])
def test_write_files_is_all_or_nothing(tmp_path: Path, count: int) -> None:
    """One file that cannot be written: nothing is written, no temporary file or new
    folder is left, and a file already there keeps its text (both ways of writing)."""
    (tmp_path / "kept.py").write_text("mine\n")
    files = {f"pkg{i % 7}/sub/m{i}.py": f"x = {i}\n" for i in range(count)}
    files["kept.py"] = "forge's\n"
    blocked = tmp_path / "pkg1" / "sub" / f".m1.py.{os.getpid()}.forge-tmp"
    blocked.mkdir(parents=True)  # the temporary file of pkg1/sub/m1.py cannot be opened
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    with pytest.raises(IsADirectoryError):
        write_files(tmp_path, files)
    after = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert after == before
    assert (tmp_path / "kept.py").read_text() == "mine\n"
    blocked.rmdir()
    assert sorted(write_files(tmp_path, files)) == sorted(files)
    assert (tmp_path / "pkg2" / "sub" / "m2.py").read_text() == "x = 2\n"
    assert not list(tmp_path.rglob("*.forge-tmp"))
