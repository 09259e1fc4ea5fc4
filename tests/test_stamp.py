"""A `forge generate` with nothing to do answers from the stamp of the last run
(generator/stamp.py) without loading the spec; anything a full run would see differently
(a file edited behind forge's back, even with its size and mtime kept, a base added, the
spec changed) must still be seen, with the same output as a run without any stamp."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from generator.merge import SEPARATOR, THEIRS_MARKER, YOURS_MARKER
from generator.stamp import RACY_NS, STAMP_KEY
from tests.helpers import EXAMPLES, forge

MODEL = "app/models/post.py"


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    project = tmp_path / "blog"
    spec = str(EXAMPLES / "blog" / "forge.yaml")
    forge("new", str(project), "--spec", spec, "--defaults", cwd=tmp_path)
    return project


def stamp_of(project: Path) -> dict[str, object] | None:
    data = json.loads((project / ".forge" / "cache.json").read_text(encoding="utf-8"))
    stamp: dict[str, object] | None = data.get(STAMP_KEY)
    return stamp


def without_stamp(project: Path) -> tuple[int, str, str]:
    """What a run that cannot use a stamp says (the cache file removed first)."""
    (project / ".forge" / "cache.json").unlink()
    result = forge("generate", cwd=project, check=False)
    return result.returncode, result.stdout, result.stderr


def spec_loaded(project: Path, *args: str) -> tuple[bool, str]:
    """Whether `forge generate` imported the spec package (it renders only after loading
    the spec), and its output."""
    result = forge("generate", *args, cwd=project, env={"PYTHONPROFILEIMPORTTIME": "1"})
    return "generator.spec.loading" in result.stderr, result.stdout


def same_size_edit(path: Path, text: str) -> None:
    """Replace the file's start by `text`, keeping its size and its access/modify times."""
    info = path.stat()
    content = path.read_bytes()
    new = text.encode() + content[len(text) :]
    assert len(new) == len(content)
    path.write_bytes(new)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert path.stat().st_size == info.st_size and path.stat().st_mtime_ns == info.st_mtime_ns


def test_no_change_run_answers_from_the_stamp(blog: Path) -> None:
    # `forge new` stamps what it wrote: the first `forge generate` changes nothing, not
    # even the cache file, and answers without loading the spec
    assert stamp_of(blog) is not None
    cache = (blog / ".forge" / "cache.json").read_bytes()
    loaded, first = spec_loaded(blog)
    assert not loaded and first.startswith("nothing to do: ")
    assert (blog / ".forge" / "cache.json").read_bytes() == cache
    loaded, second = spec_loaded(blog)
    assert not loaded, "the stamp should have answered without loading the spec"
    assert second == first
    loaded, check = spec_loaded(blog, "--check")
    assert not loaded and check.startswith("in sync: ")
    assert without_stamp(blog) == (0, first, "")


@pytest.mark.parametrize("settle", [False, True], ids=["just-written", "settled"])
def test_an_edit_keeping_size_and_mtime_is_seen(blog: Path, settle: bool) -> None:
    """Conflict markers written into a generated file, same size, mtime put back: a run
    must report them (exit 1), whether the stamp trusts the file's stat (written more
    than RACY_NS before the stamp) or only its hash (written just before)."""
    if settle:
        time.sleep(RACY_NS / 1e9 + 0.2)  # the files of `forge new` become old enough
    else:  # written "just before" however long the runs take on a loaded machine
        future = time.time_ns() + 3600 * 10**9
        os.utime(blog / MODEL, ns=(future, future))
    (blog / ".forge" / "cache.json").unlink()  # (the stamp of `forge new`: hashes only)
    forge("generate", cwd=blog)  # a full run, which records the stamp
    stamp = stamp_of(blog)
    assert stamp is not None
    entry = stamp["files"][MODEL]  # type: ignore[index]
    assert (entry[0] is not None) == settle  # a stat is kept only for a settled file
    markers = f"{YOURS_MARKER}\n{SEPARATOR}\n{THEIRS_MARKER}\n"
    same_size_edit(blog / MODEL, markers)
    result = forge("generate", cwd=blog, check=False)
    assert result.returncode == 1
    assert "unresolved conflict markers" in result.stderr and MODEL in result.stderr
    # the run recorded this state: the next one answers the same, from the stamp
    again = forge("generate", cwd=blog, check=False, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert "generator.spec.loading" not in again.stderr
    assert (again.returncode, again.stdout) == (1, result.stdout)
    assert MODEL in again.stderr
    assert without_stamp(blog)[:2] == (1, result.stdout)


def test_a_base_added_behind_forge_is_seen(blog: Path) -> None:
    """A file with a base that no entity generates any more, the file edited: a full run
    keeps it and says so; the stamp must not hide it."""
    forge("generate", cwd=blog)
    assert stamp_of(blog) is not None
    (blog / "app/models/ghost.py").write_text("# mine\n")
    (blog / ".forge/base/app/models/ghost.py.base").write_text("# forge's\n")
    result = forge("generate", cwd=blog)
    assert "kept      app/models/ghost.py (no longer generated, but you edited it)" in (
        result.stdout
    )
    assert not (blog / ".forge/base/app/models/ghost.py.base").exists()


def test_a_spec_change_is_rendered(blog: Path) -> None:
    forge("generate", cwd=blog)
    spec = blog / "forge.yaml"
    spec.write_text(spec.read_text(encoding="utf-8") + "\n# a comment changes the bytes\n")
    loaded, out = spec_loaded(blog)
    assert loaded and out.startswith("nothing to do: ")
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("entities:", "entities:\n  Note: {fields: {text: str}}", 1))
    loaded, out = spec_loaded(blog)
    assert loaded and "created   app/models/note.py" in out
    loaded, again = spec_loaded(blog)
    assert not loaded and again.startswith("nothing to do: ")


def test_a_stamp_that_does_not_parse_costs_only_time(blog: Path) -> None:
    forge("generate", cwd=blog)
    cache = blog / ".forge" / "cache.json"
    data = json.loads(cache.read_text(encoding="utf-8"))
    data[STAMP_KEY]["files"] = "garbage"
    cache.write_text(json.dumps(data), encoding="utf-8")
    loaded, out = spec_loaded(blog)
    assert loaded and out.startswith("nothing to do: ")
    assert isinstance(stamp_of(blog)["files"], dict)  # type: ignore[index]


@pytest.mark.parametrize(
    "command",
    [
        ("make", "entity", "Post", "--field=subtitle:str:80:nullable", "--no-input"),
        ("make", "entity", "Note", "--field=text:text", "--no-input"),
        ("destroy", "entity", "Tag"),
        ("rename", "field", "Post", "title", "headline"),
    ],
    ids=["make-field", "make-entity", "destroy", "rename"],
)
def test_a_command_that_writes_the_data_layer_leaves_a_stamp(
    blog: Path, command: tuple[str, ...]
) -> None:
    """`forge make entity` (destroy, rename) stamps the tree it wrote, as `forge generate`
    does: the next `forge generate` with nothing to do answers from the stamp, with what a
    full run says; and a later edit of a generated file is still seen."""
    forge(*command, cwd=blog)
    assert stamp_of(blog) is not None
    loaded, out = spec_loaded(blog)
    assert not loaded, "the stamp of the command should have answered"
    assert out.startswith("nothing to do: ")
    cache = (blog / ".forge" / "cache.json").read_bytes()
    assert without_stamp(blog) == (0, out, "")
    (blog / ".forge" / "cache.json").write_bytes(cache)  # the command's stamp again
    markers = f"{YOURS_MARKER}\n{SEPARATOR}\n{THEIRS_MARKER}\n"
    same_size_edit(blog / "app/models/user.py", markers)
    result = forge("generate", cwd=blog, check=False)
    assert result.returncode == 1
    assert "unresolved conflict markers" in result.stderr
    assert "app/models/user.py" in result.stderr
