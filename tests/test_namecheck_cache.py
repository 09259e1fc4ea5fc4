"""The name check remembers what it learnt about each rendered module (generator/namecheck.py),
in memory and in .forge/cache.json; a spec that breaks a name must still be refused, with
the same message as a check that starts from nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator import namecheck
from generator.errors import SpecError
from generator.format import CACHE_FILE
from generator.spec import parse_spec, read_yaml
from tests.helpers import forge, tree_digest

GOOD = """project: {name: shop}
entities:
  Post:
    fields: {title: str, body: text}
    relations:
      tags: {kind: many_to_many, target: Tag}
  Tag:
    fields: {label: str}
"""

BAD = {
    "shadows-list": GOOD.replace("body: text}", "body: text, list: str}"),
    "enum-class-twice": GOOD.replace(
        "body: text}", "body: text, read: {type: enum, values: [a, b]}}"
    ),
    "keyword-module": GOOD + "  Class: {}\n",
    "link-class-twice": GOOD + "  PostTagLink: {}\n",
    "tag-field-named-str": GOOD.replace("{label: str}", "{label: str, str: str}"),
}


def cold_message(text: str) -> str:
    """The message of a check that remembers nothing."""
    namecheck._checked.clear()
    with pytest.raises(SpecError) as error:
        parse_spec(read_yaml(text))
    return str(error.value)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("namecache")
    (folder / "forge.yaml").write_text(GOOD)
    forge("new", str(folder / "shop"), "--spec", str(folder / "forge.yaml"), "--defaults",
          cwd=folder)  # fmt: skip
    return folder / "shop"


def test_a_run_remembers_every_module(project: Path) -> None:
    section = json.loads((project / CACHE_FILE).read_text())[namecheck.CACHE_KEY]
    namecheck._checked.clear()
    namecheck.recall(project / CACHE_FILE)
    assert set(section["modules"]) == set(namecheck._checked)
    models = [names for names in section["modules"].values() if names]
    assert len(models) == 4  # the class-body names of Post's and Tag's model and schema


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_warm_cache_still_refuses_a_bad_name(project: Path, case: str) -> None:
    expected = cold_message(BAD[case])
    spec = project / "forge.yaml"
    good = spec.read_text()
    before = tree_digest(project)
    spec.write_text(good.replace(GOOD.split("entities:\n")[1], BAD[case].split("entities:\n")[1]))
    try:
        result = forge("generate", cwd=project, check=False)  # memory cold, disk warm
        assert result.returncode != 0
        assert expected.split(": ", 1)[1] in result.stderr
        namecheck._checked.clear()
        namecheck.recall(project / CACHE_FILE)  # memory warm too
        with pytest.raises(SpecError) as error:
            parse_spec(read_yaml(spec.read_text()))
        assert str(error.value) == expected
    finally:
        spec.write_text(good)
    assert tree_digest(project) == before


def test_a_cache_from_another_check_or_tampered_is_not_used(project: Path) -> None:
    cache = project / CACHE_FILE
    saved = cache.read_text()
    data = json.loads(saved)
    try:
        for section in (
            {**data[namecheck.CACHE_KEY], "version": "3.0.0:0"},  # another Python or forge
            {**data[namecheck.CACHE_KEY], "modules": [1, 2]},
            {**data[namecheck.CACHE_KEY], "modules": {"k": 3}},
            "names",
        ):
            cache.write_text(json.dumps({**data, namecheck.CACHE_KEY: section}))
            namecheck._checked.clear()
            namecheck.recall(cache)
            assert namecheck._checked == {}
        cache.write_text('{"names": ')
        namecheck.recall(cache)
        assert namecheck._checked == {}
        assert "in sync" in forge("generate", "--check", cwd=project).stdout
    finally:
        cache.write_text(saved)


@pytest.mark.parametrize("name", sorted(BAD))
def test_the_check_on_every_core_says_what_the_one_core_check_says(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With many modules the check parses them in a process pool: the first failure, in
    the order of the files, must be the one the check in one process raises."""
    text = BAD[name] + "".join(f"  Filler{i}:\n    fields: {{x: str}}\n" for i in range(50))
    messages = []
    for parallel_from in (10**9, 0):  # one process, then the pool
        monkeypatch.setattr(namecheck, "_PARALLEL_FROM", parallel_from)
        namecheck._checked.clear()
        with pytest.raises(SpecError) as error:
            parse_spec(read_yaml(text))
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    namecheck._checked.clear()
    good = GOOD + "".join(f"  Filler{i}:\n    fields: {{x: str}}\n" for i in range(50))
    parse_spec(read_yaml(good))  # the pool accepts a good spec, and learns its modules
    assert len(namecheck._checked) > 200


@pytest.mark.parametrize("orm", ["sqlmodel", "sqlalchemy"])
def test_the_renders_of_the_pool_are_the_renders_of_one_process(
    orm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool's workers compute the jobs of a unit (plan.job_units) and render them; the
    renders the build then uses (render.remembered) are, file by file and in order, what
    rendering every job of file_jobs in this process gives."""
    from generator.plan import file_jobs
    from generator.render import remembered, render

    fillers = "".join(
        f"  Filler{i}:\n    fields: {{x: str, n: {{type: int, nullable: true}}}}\n"
        f"    relations: {{post: {{kind: many_to_one, target: Post, inverse: fillers_{i}}}}}\n"
        for i in range(40)
    )
    text = GOOD.replace("{name: shop}", f"{{name: shop, orm: {orm}}}") + fillers
    monkeypatch.setattr(namecheck, "_PARALLEL_FROM", 0)
    namecheck._checked.clear()
    spec = parse_spec(read_yaml(text))
    pooled = remembered(spec)
    assert pooled is not None
    assert all(not job.context for job, _ in pooled)  # made by the workers, not here
    direct = [(job.path, job.template, render(job)) for job in file_jobs(spec)]
    assert [(job.path, job.template, source) for job, source in pooled] == direct
    assert len(direct) > 6 * 40
