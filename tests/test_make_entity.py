"""`forge make entity`: through a real terminal, through flags, on projects the user edited.

Every scenario ends by running the project: migrations, drift check, its own tests, the
driver that walks every relation, black and ruff.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.helpers import (
    ROOT,
    forge,
    in_project,
    project_digest,
    project_env,
    run,
    tree_digest,
)

START_SPEC = """# A project with users only; the tests add the rest.
project:
  name: press
entities:
  User:
    fields:
      username: {type: str, max_length: 40, unique: true}  # kept comment
"""

# The flags that give the same result as the interactive session below.
POST_FLAGS = [
    "--field", "title:str:120",
    "--field", "body:text",
    "--field", "published_at:datetime:nullable",
    "--relation", "author:many_to_one:User:inverse=posts:on_delete=cascade",
]  # fmt: skip
VIEWS_FLAGS = ["--field", "views:int:index"]


@pytest.fixture
def start(tmp_path: Path) -> Path:
    spec = tmp_path / "start.yaml"
    spec.write_text(START_SPEC)
    forge("new", str(tmp_path / "press"), "--spec", str(spec), "--defaults", cwd=tmp_path)
    return tmp_path / "press"


def run_project(project: Path, tmp_path: Path) -> dict[str, int]:
    """Migrate, check drift, run the project's tests and lint, and drive every relation."""
    in_project(project, "alembic", "revision", "--autogenerate", "-m", "initial")
    url = f"sqlite+aiosqlite:///{tmp_path / 'run.db'}"
    in_project(project, "alembic", "upgrade", "head", DATABASE_URL=url)
    check = in_project(project, "alembic", "check", DATABASE_URL=url)
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    in_project(project, "pytest", "-q", "-p", "no:cacheprovider")
    in_project(project, "black", "--check", "--quiet", ".")
    in_project(project, "ruff", "check", "--quiet", ".")
    driver = ROOT / "tests" / "drivers" / "exercise_project.py"
    result = run(
        [sys.executable, str(driver)],
        cwd=project,
        env={**project_env(project), "DATABASE_URL": url},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------- interactive


class Terminal:
    """`forge make entity` in a pseudo-terminal, answered like a person would."""

    def __init__(self, project: Path, *args: str) -> None:
        pexpect = pytest.importorskip("pexpect")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PROMPT_TOOLKIT_NO_CPR": "1"}
        self.pexpect = pexpect
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "generator", "make", "entity", *args],
            cwd=str(project),
            env=env,
            encoding="utf-8",
            timeout=30,
            dimensions=(50, 200),
        )

    def answer(self, prompt: str, keys: str) -> None:
        self.child.expect(prompt)
        self.child.send(keys)

    def sees(self, text: str) -> None:
        self.child.expect(text)

    def finish(self) -> int:
        self.child.expect(self.pexpect.EOF)
        self.child.close()
        return int(self.child.exitstatus)


ENTER, DOWN, CLEAR = "\r", "\x1b[B", "\x15"


def simple_field(term: Terminal, name: str, length: str | None = None) -> None:
    term.answer("New field name", f"{name}\r")
    term.answer("Field type", ENTER)
    if length:
        term.answer("Field length", f"{CLEAR}{length}\r")
    term.answer("nullable", ENTER)
    term.answer("unique", ENTER)
    term.answer("index", ENTER)


def test_interactive_create_update_abort_and_flags_give_the_same_bytes(
    start: Path, tmp_path: Path
) -> None:
    twin = tmp_path / "twin"
    shutil.copytree(start, twin)

    term = Terminal(start)
    term.answer("Class name of the entity", "Post\r")
    term.sees("Creating the new entity Post")
    term.answer("New field name", "class\r")
    term.sees("field name 'class' is a Python keyword")  # refused with its reason
    term.child.send(f"{CLEAR}title\r")
    term.answer(r"Field type .*\[str\]", ENTER)  # the guess for `title`
    term.answer("Field length", f"{CLEAR}120\r")
    term.answer("nullable", ENTER)
    term.answer("unique", ENTER)
    term.answer("index", ENTER)
    term.answer("New field name", "body\r")
    term.answer("Field type", "?\r")  # lists every type, then asks again
    term.sees("relation")
    term.answer("Field type", "text\r")
    term.answer("nullable", ENTER)
    term.answer("New field name", "published_at\r")
    term.answer(r"Field type .*\[datetime\]", ENTER)
    term.answer("nullable", "y\r")
    term.answer("unique", ENTER)
    term.answer("index", ENTER)
    term.answer("New field name", "author\r")
    term.answer("Field type", "relation\r")
    term.answer("related to", "Usr\r")
    term.sees("unknown entity 'Usr' \\(known: Post, User\\)")
    term.child.send(f"{CLEAR}User\r")
    term.sees("type of relationship")
    term.sees("Each Post relates to one User; each User can have many Post objects")
    term.child.send(ENTER)  # many_to_one, the first choice
    term.answer("allowed to be null", ENTER)
    term.answer("add a property to User", ENTER)
    term.answer("New property name inside User", ENTER)  # default: posts
    term.answer("referenced row is deleted", f"{DOWN}{ENTER}")  # cascade
    term.answer("New field name", ENTER)
    term.sees("Files to write")
    term.answer("Apply these changes", ENTER)
    assert term.finish() == 0

    term = Terminal(start, "Post")
    term.sees("You are updating Post")
    term.answer("New field name", "title\r")
    term.sees("'title' already exists on Post \\(as a field\\)")
    term.child.send(f"{CLEAR}views\r")
    term.answer(r"Field type", "int\r")
    term.answer("nullable", ENTER)
    term.answer("unique", ENTER)
    term.answer("index", "y\r")
    term.answer("New field name", ENTER)
    term.answer("Apply these changes", ENTER)
    assert term.finish() == 0

    before = tree_digest(start)
    term = Terminal(start, "Post")
    term.answer("New field name", "summary\r")
    term.answer("Field type", "\x03")  # Ctrl-C halfway
    assert term.finish() == 130
    assert tree_digest(start) == before
    term = Terminal(start)
    term.answer("Class name of the entity", "Invoice\r")
    term.answer("New field name", "total\r")
    term.answer("Field type", "\x1b")  # Esc aborts too
    assert term.finish() == 130
    assert tree_digest(start) == before

    forge("make", "entity", "Post", *POST_FLAGS, "--no-input", cwd=twin)
    forge("make", "entity", "Post", *VIEWS_FLAGS, "--no-input", cwd=twin)
    assert project_digest(twin) == project_digest(start)  # (the stamps hold their stats)
    assert "# kept comment" in (start / "forge.yaml").read_text()
    checks = run_project(start, tmp_path)
    assert checks["relations"] == 1 and checks["inverses"] == 1 and checks["on_delete"] == 1


# --------------------------------------------------------------------- flag form


@pytest.mark.parametrize(
    ("flags", "reason"),
    [
        (["Post", "--field", "class:str"], "entities.Post.fields.class: field name 'class' is a"),
        (["User", "--field", "username:str"], "'username' already exists on User (as a field)"),
        (
            ["Post", "--relation", "author:many_to_one:Usr"],
            "entities.Post.relations.author.target: unknown entity 'Usr' (known: Post, User)",
        ),
        (
            ["User", "--relation", "username:many_to_one:User:nullable"],
            "entities.User.relations.username: 'username' already exists on User (as a field)",
        ),
        (
            ["User", "--relation", "owner:many_to_one:User:nullable", "--field", "owner_id:int"],
            "clashes with field 'owner_id'",
        ),
        (["Post", "--field", "title:str:long"], "max_length must be a whole number"),
        (["Post", "--field", "title:str:200:nullabel"], "unknown modifier 'nullabel'"),
        (["Post", "--relation", "author:many_to_one"], "expected name:kind:Target"),
        (
            ["Post", "--relation", "author:many_to_one:User:index=maybe"],
            "entities.Post.relations.author.index: must be true or false, got 'maybe'",
        ),
        (["Post", "--relation", "author:many_to_one:User:ondelete=x"], "unknown option"),
        (["post", "--field", "title:str"], "entity name 'post' is not a PascalCase"),
    ],
)
def test_bad_flags_are_refused_and_change_nothing(
    start: Path, flags: list[str], reason: str
) -> None:
    before = tree_digest(start)
    result = forge("make", "entity", *flags, "--no-input", cwd=start, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert reason in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(start) == before


def test_dry_run_prints_the_change_and_writes_nothing(start: Path) -> None:
    before = tree_digest(start)
    result = forge("make", "entity", "Post", *POST_FLAGS, "--dry-run", "--no-input", cwd=start)
    assert "+++ b/forge.yaml" in result.stdout
    assert "+  Post:" in result.stdout
    assert "+++ b/app/models/post.py" in result.stdout
    assert '+    posts: list["Post"] = Relationship(' in result.stdout  # the inverse side
    assert tree_digest(start) == before


# ------------------------------------------------------------ user code survives

USER_METHOD = '''
    def headline(self) -> str:
        """Written by the user."""
        return self.title.upper()  # user comment inside a method
'''
USER_QUERY = '''
    async def titled(self, prefix: str) -> list[Post]:
        """A custom query written by the user."""
        return [post for post in await self.find_all() if post.title.startswith(prefix)]
'''


def test_user_code_survives_make_entity_on_the_entity_and_a_related_one(
    start: Path, tmp_path: Path
) -> None:
    forge("make", "entity", "Post", *POST_FLAGS, "--no-input", cwd=start)
    model = start / "app" / "models" / "post.py"
    repository = start / "app" / "repositories" / "post_repository.py"
    user_model = start / "app" / "models" / "user.py"
    model.write_text(
        model.read_text().replace(
            "import sqlalchemy as sa\n", "import sqlalchemy as sa\nimport textwrap  # noqa: F401\n"
        )
        + USER_METHOD
    )
    repository.write_text(repository.read_text() + USER_QUERY)
    user_model.write_text(
        user_model.read_text().replace(
            "class User(SQLModel, table=True):",
            "# The people who write.\nclass User(SQLModel, table=True):",
        )
    )

    forge(
        "make", "entity", "Post", "--field", "subtitle:str:80:nullable",
        "--relation", "editor:many_to_one:User:nullable:inverse=edited_posts:on_delete=set_null",
        "--no-input", cwd=start,
    )  # fmt: skip
    result = forge(
        "make", "entity", "Comment", "--field", "body:text",
        "--relation", "post:many_to_one:Post:inverse=comments:on_delete=cascade",
        "--no-input", cwd=start,
    )  # fmt: skip
    assert "merged    app/models/post.py (your edits kept)" in result.stdout

    text = model.read_text()
    assert USER_METHOD.strip() in text and "import textwrap  # noqa: F401" in text
    assert "subtitle: str | None" in text and 'editor: Optional["User"]' in text
    assert 'comments: list["Comment"]' in text
    assert USER_QUERY.strip() in repository.read_text()
    assert "# The people who write." in user_model.read_text()
    assert 'edited_posts: list["Post"]' in user_model.read_text()
    for path in (model, repository, user_model):
        assert "<<<<<<<" not in path.read_text()

    run = forge("generate", "--check", cwd=start)
    assert "in sync" in run.stdout
    checks = run_project(start, tmp_path)
    assert checks["relations"] == 3
    script = (
        "from app.models import Post; print(Post(title='abc', body='b', author_id=1).headline())"
    )
    result = run_python(start, script)
    assert result.stdout.strip() == "ABC"


def run_python(project: Path, script: str):  # type: ignore[no-untyped-def]
    return run([sys.executable, "-c", script], cwd=project, env=project_env(project))


# ---------------------------------------------------- every relation kind, later on


def test_every_relation_kind_added_to_an_existing_project(start: Path, tmp_path: Path) -> None:
    steps = [
        ["Category", "--field", "name:str:60",
         "--relation", "parent:many_to_one:Category:nullable:inverse=children:on_delete=cascade"
         ":index=false"],
        ["Profile", "--field", "bio:text:nullable"],
        ["User",
         "--relation", "profile:one_to_one:Profile:nullable:inverse=user:on_delete=set_null",
         "--relation", "friends:many_to_many:User:inverse=friend_of"],
        ["Note", "--field", "body:text"],
        ["User", "--relation",
         "notes:one_to_many:Note:inverse=owner:on_delete=cascade:column=owner_ref"],
        ["Post", "--field", "title:str:100",
         "--relation", "author:many_to_one:User:inverse=posts:on_delete=restrict:on_update=cascade",
         "--relation", "categories:many_to_many:Category:inverse=posts:link_table=post_category"
         ":link_key_name=pk_post_category"],
        ["Employee", "--field", "name:str",
         "--relation", "mentor:one_to_one:Employee:nullable:inverse=mentee"],
    ]  # fmt: skip
    for step in steps:
        forge("make", "entity", *step, "--no-input", cwd=start)
    checks = run_project(start, tmp_path)
    # 6 entities; 7 relations, each with an inverse; 5 foreign keys; 2 many_to_many.
    assert checks == {"crud": 6, "relations": 7, "inverses": 7, "on_delete": 5, "m2m_delete": 2}
    # the newer options reached the spec as written, and the schema (migrated above)
    entities = YAML(typ="safe").load((start / "forge.yaml").read_text())["entities"]
    assert entities["Category"]["relations"]["parent"]["index"] is False
    assert entities["User"]["relations"]["notes"]["column"] == "owner_ref"
    assert entities["Post"]["relations"]["author"]["on_update"] == "cascade"
    categories = entities["Post"]["relations"]["categories"]
    assert (categories["link_table"], categories["link_key_name"]) == (
        "post_category",
        "pk_post_category",
    )
    database = sqlite3.connect(tmp_path / "run.db")
    try:
        notes = [row[1] for row in database.execute("PRAGMA table_info(note)")]
        indexes = [row[1] for row in database.execute("PRAGMA index_list(category)")]
        keys = database.execute("PRAGMA foreign_key_list(post)").fetchall()
    finally:
        database.close()
    assert "owner_ref" in notes and "owner_id" not in notes
    assert not [name for name in indexes if "parent" in name]
    assert [(key[3], key[5]) for key in keys] == [("author_id", "CASCADE")]  # from, on_update


def test_a_change_that_would_lose_user_code_is_refused_and_changes_nothing(start: Path) -> None:
    forge("make", "entity", "Post", *POST_FLAGS, "--no-input", cwd=start)
    schema = start / "app" / "schemas" / "post.py"
    # The user rewrites the very line the next change must update: the import of the
    # API's value types, which a new int field (Int32) extends.
    text = schema.read_text()
    line = "from app.schemas.types import Id, StoredDateTime, StoredId, Str, Text, UTCDateTime"
    assert line in text
    schema.write_text(text.replace(line, line + "  # the API's value types"))
    before = tree_digest(start)
    result = forge(
        "make", "entity", "Post", "--field", "rating:int", "--no-input",
        cwd=start, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("error: app/schemas/post.py: your edits and this change")
    assert "nothing was changed" in result.stderr
    assert tree_digest(start) == before
    dry = forge("make", "entity", "Post", "--field", "rating:int", "--dry-run",
                "--no-input", cwd=start)  # fmt: skip
    assert "<<<<<<< yours app/schemas/post.py" in dry.stdout
