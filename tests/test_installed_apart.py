"""forge installed apart from the project, as a user installs a command-line tool (issue 11).

One wheelhouse per session: forge's wheel plus every wheel forge, the generated projects
and their builds need, downloaded once; after that, everything is installed with
`--no-index --find-links` (no network):

- the README quick start, followed literally (forge in its own virtual environment, the
  project in a fresh one, the next steps `forge new` prints run as printed) for a SQLite
  and a PostgreSQL project; `forge db` re-executes itself in the project's environment;
- the generated CI workflow's install and check commands, with forge from the `dev` extra
  that `forge new` recorded;
- `forge db` with no environment that has the project's dependencies: one line.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, run
from tests.servers import server

pytestmark = pytest.mark.xdist_group("installed_apart")  # one wheelhouse, one worker

README = ROOT / "README.md"
TEMPLATE_PYPROJECT = ROOT / "templates" / "project" / "template" / "pyproject.toml.jinja"


def _template_requirements() -> list[str]:
    """Every requirement the generated pyproject can name (all databases), and its build."""
    text = TEMPLATE_PYPROJECT.read_text()
    listed = re.findall(r'^\s*"([^"{}]+)",', text, re.M)  # one per line in the lists
    build = re.search(r"^requires = \[(.*?)\]$", text, re.M)
    assert build
    return listed + re.findall(r'"([^"]+)"', build.group(1))


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """forge's wheel and all the wheels the installs below need (the only network use)."""
    house = tmp_path_factory.mktemp("wheelhouse")
    pip = [sys.executable, "-m", "pip"]
    run([*pip, "wheel", "--no-deps", "-q", "-w", str(house), str(ROOT)], cwd=house)
    (wheel,) = house.glob("forge_gen-*.whl")
    forge_build = re.findall(r'"([^"]+)"', re.search(r"requires = \[(.*?)\]", (ROOT / "pyproject.toml").read_text()).group(1))  # type: ignore[union-attr]  # noqa: E501
    run(
        [*pip, "download", "-q", "--only-binary=:all:", "-d", str(house), str(wheel),
         *forge_build, "editables", *_template_requirements()],
        cwd=house, timeout=600,
    )  # fmt: skip
    return house


def offline_env(house: Path, home: Path, **extra: str) -> dict[str, str]:
    """A user's shell with no package index: pip finds everything in the wheelhouse."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "VIRTUAL_ENV", "DATABASE_URL", "PIP_", "PYTEST_"))
    }
    env.update(
        HOME=str(home),
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(house),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_CACHE_DIR="1",
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    env.update(extra)
    return env


def bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, timeout=900)


def quick_start() -> list[str]:
    """The bash blocks of the README's quick start: install forge, create a project."""
    text = README.read_text()
    section = text[text.index("## Quick start") :]
    section = section[: section.index("\n## ", 1)]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    assert len(blocks) == 2, blocks
    return blocks


@pytest.fixture(scope="session")
def forge_venv(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """forge installed as the README says, in its own virtual environment (a HOME)."""
    home = tmp_path_factory.mktemp("home")
    (home / "forge").symlink_to(ROOT)  # "a checkout of forge"
    install = quick_start()[0]
    bash(install, cwd=home, env=offline_env(wheelhouse, home))
    return home


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_readme_quick_start_with_forge_installed_apart(
    database: str, wheelhouse: Path, forge_venv: Path
) -> None:
    home = forge_venv
    extra: dict[str, str] = {}
    if database == "postgresql":
        pg = server("postgresql")
        # the user's server, as the generated .env.example says (the environment wins)
        extra = {"DATABASE_URL": pg.database_url(pg.fresh_name("quickstart"))}
    env = offline_env(wheelhouse, home, **extra)
    install, create = quick_start()
    exports = [line for line in install.splitlines() if line.startswith("export ")]
    create = "\n".join([*exports, create.replace("sqlite", database)])
    created = bash(create, cwd=home, env=env)
    steps = created.stdout.split("next steps:\n", 1)[1].splitlines()
    steps = [line.strip() for line in steps if line.strip()]
    assert steps[0] == f"cd demo_{database}"
    assert any("pip install -e '.[test]'" in step for step in steps)
    assert any(step.startswith("forge db create") for step in steps) == (database != "sqlite")
    try:
        script = "\n".join([*exports, *steps, "alembic check", "forge db status"])
        result = bash(script, cwd=home, env=env)
    finally:
        if database == "postgresql":
            drop = "cd demo_postgresql && . .venv/bin/activate && forge db drop --yes"
            bash("\n".join([*exports, drop]), home, env)
    assert "passed" in result.stdout
    assert "No new upgrade operations detected" in result.stdout + result.stderr
    assert "0 pending" in result.stdout
    project = home / f"demo_{database}"
    # forge's environment really lacks the project's dependencies: `forge db` re-executed
    forge_python = home / ".venvs" / "forge" / "bin" / "python"
    probe = run([str(forge_python), "-c", "import sqlalchemy"], cwd=home, env=env, check=False)
    assert probe.returncode != 0
    readme = (project / "README.md").read_text()
    for step in steps[1:]:
        assert step.split("  #")[0] in readme, step


def test_generated_ci_installs_forge_from_the_recorded_requirement(
    wheelhouse: Path, tmp_path: Path
) -> None:
    """forge installed from an index (here the wheelhouse, by name): the project records a
    version pin; the workflow's install and check commands then run with no network."""
    from ruamel.yaml import YAML

    env = offline_env(wheelhouse, tmp_path)
    (tmp_path / "blog.yaml").write_text((ROOT / "examples/blog/forge.yaml").read_text())
    bash("python -m venv fv && fv/bin/pip install -q forge-gen", cwd=tmp_path, env=env)
    bash("fv/bin/forge new ci_demo --spec blog.yaml --defaults", cwd=tmp_path, env=env)
    project = tmp_path / "ci_demo"
    from generator import __version__

    assert f'dev = ["forge-gen=={__version__}"]' in (project / "pyproject.toml").read_text()
    workflow = YAML(typ="safe").load((project / ".github/workflows/ci.yml").read_text())
    commands = [step["run"] for step in workflow["jobs"]["test"]["steps"] if "run" in step]
    assert "pip install -e '.[test,dev]'" in commands[0]
    # A fresh runner: a new environment, the install step, then (what a developer commits
    # before CI runs) the first migration, made with the forge the install step brought,
    # then every other step of the workflow.
    script = "\n".join(
        [
            "python -m venv .venv && . .venv/bin/activate",
            commands[0],
            'forge db migrate -m "initial"',
        ]
        + commands[1:]
    )
    result = bash(script, cwd=project, env=env)
    assert "passed" in result.stdout and "in sync" in result.stdout
    assert "No new upgrade operations detected" in result.stdout + result.stderr


def test_forge_db_without_the_project_environment_is_one_line(
    forge_venv: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    env = offline_env(wheelhouse, forge_venv)
    forge = forge_venv / ".venvs" / "forge" / "bin" / "forge"
    bash(f"{forge} new bare --defaults", cwd=tmp_path, env=env)
    for command in ("status", "migrate -m x", "create", "copy", "upgrade"):
        result = run(
            [str(forge), "db", *command.split()], cwd=tmp_path / "bare", env=env, check=False
        )
        assert result.returncode == 1, result.stderr
        (line,) = result.stderr.splitlines()
        assert "sqlalchemy" in line and "alembic" in line and ".venv" in line
    # `diagram` needs only forge.yaml, `--help` nothing
    run([str(forge), "db", "diagram"], cwd=tmp_path / "bare", env=env)
    run([str(forge), "db", "status", "--help"], cwd=tmp_path / "bare", env=env)
