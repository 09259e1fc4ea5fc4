"""Run `forge db ...` in the project's own environment, however forge was installed.

forge is a command-line tool: it is often installed apart from the project (`pipx`,
`uv tool`, its own virtual environment), while `forge db` imports the project's code and
its dependencies (SQLAlchemy, Alembic, the database driver). At the entry of the `db`
command group:

- the interpreter running forge has every dependency the project declares: run here;
- otherwise, the first of the active virtual environment ($VIRTUAL_ENV) and the project's
  `.venv/` or `venv/` whose interpreter has them: run forge's own code in that interpreter
  (`os.execve`), with forge's import paths appended AFTER the project's, so the project's
  packages win;
- otherwise: one line saying what is missing and where forge looked.

Nothing here imports the project or its dependencies.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from generator.errors import ForgeError

PATH_VARIABLE = "FORGE_SYS_PATH"  # forge's import paths, for the re-executed interpreter
GUARD_VARIABLE = "FORGE_REEXEC"  # set in the re-executed process: never re-exec twice
_BOOTSTRAP = (
    "import os, sys; "
    f"sys.path.extend(p for p in os.environ.pop({PATH_VARIABLE!r}).split(os.pathsep) "
    "if p not in sys.path); "
    "sys.argv[0] = 'forge'; "
    "from generator.cli import main; main()"
)


class EnvironmentMissing(ForgeError):
    """No interpreter with the project's dependencies was found."""

    exit_code = 1


def requirement_names(project: Path) -> list[str]:
    """The distribution names of the project's dependencies (pyproject.toml), normalised."""
    import tomllib

    try:
        data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    names: list[str] = []
    for requirement in data.get("project", {}).get("dependencies", []):
        if not isinstance(requirement, str) or not _applies(requirement):
            continue
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        if match:
            names.append(re.sub(r"[-_.]+", "-", match.group(1)).lower())
    return names


def _applies(requirement: str) -> bool:
    """Whether a requirement's environment marker holds here (without `packaging`, the
    markers forge writes are simple; an unknown marker counts as applying)."""
    if ";" not in requirement:
        return True
    marker = requirement.split(";", 1)[1]
    implementation = re.search(r"platform_python_implementation\s*==\s*['\"](\w+)", marker)
    if implementation:
        import platform

        return platform.python_implementation() == implementation.group(1)
    return True


_PROBE = (
    "import sys, importlib.metadata as m\n"
    "missing = []\n"
    "for name in sys.argv[1:]:\n"
    "    try:\n"
    "        m.version(name)\n"
    "    except m.PackageNotFoundError:\n"
    "        missing.append(name)\n"
    "print(' '.join(missing))\n"
)


def missing_here(names: list[str]) -> list[str]:
    import importlib.metadata

    missing = []
    for name in names:
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def missing_in(python: Path, names: list[str]) -> list[str] | None:
    """What `python` lacks of `names`; None when it cannot be run."""
    try:
        result = subprocess.run(
            [str(python), "-c", _PROBE, *names],
            capture_output=True,
            text=True,
            timeout=60,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.split()


def candidates(project: Path) -> list[Path]:
    """Interpreters that may hold the project's environment, in the order they are tried."""
    found: list[Path] = []
    active = os.environ.get("VIRTUAL_ENV")
    folders = [Path(active)] if active else []
    folders += [project / ".venv", project / "venv"]
    for folder in folders:
        for python in (folder / "bin" / "python", folder / "Scripts" / "python.exe"):
            if python.exists() and python not in found:
                found.append(python)
    return found


def _same_interpreter(python: Path) -> bool:
    try:
        return (
            Path(sys.executable).resolve() == python.resolve()
            and Path(sys.prefix).resolve() == python.parent.parent.resolve()
        )
    except OSError:
        return False


def ensure_project_environment(project: Path, argv: list[str]) -> None:
    """Return when this interpreter can run the project's code; else re-exec forge in one
    that can (does not return), or raise one line saying what is missing."""
    names = requirement_names(project)
    missing = missing_here(names)
    if not missing:
        return
    if os.environ.get(GUARD_VARIABLE) == "1":
        where = sys.executable
    else:
        for python in candidates(project):
            if _same_interpreter(python):
                continue
            if missing_in(python, names) == []:
                _reexec(python, argv)
        where = sys.executable
    looked = [str(p) for p in candidates(project)] or [
        "$VIRTUAL_ENV (none active)",
        str(project / ".venv"),
    ]
    raise EnvironmentMissing(
        f"the project's dependencies are not installed: {', '.join(missing)} missing from "
        f"{where} and no complete environment in {', '.join(looked)}; create one with "
        f"`python -m venv .venv && .venv/bin/pip install -e '.[test]'` in {project} "
        "(or activate the project's environment)"
    )


def _reexec(python: Path, argv: list[str]) -> None:
    forge_paths = [p for p in sys.path if p and Path(p).resolve() != Path.cwd().resolve()]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env[PATH_VARIABLE] = os.pathsep.join(forge_paths)
    env[GUARD_VARIABLE] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(str(python), [str(python), "-c", _BOOTSTRAP, *argv], env)


def project_option(argv: list[str]) -> Path | None:
    """The value of `--project` in a command line, if given."""
    for i, arg in enumerate(argv):
        if arg == "--project" and i + 1 < len(argv):
            return Path(argv[i + 1])
        if arg.startswith("--project="):
            return Path(arg.split("=", 1)[1])
    return None


DISTRIBUTION = "forge-gen"


def forge_requirement() -> str:
    """How a project gets this forge (its `dev` extra, used by the generated CI), from how
    forge itself was installed:

    - from a package index: a version pin, `forge-gen==0.1.0`;
    - from a VCS URL: `forge-gen @ git+https://...@<commit>`;
    - from a local folder or wheel, or run from a source checkout: `forge-gen @ file:///...`.
    """
    import json
    from importlib import metadata

    import generator

    package = Path(generator.__file__).resolve().parent
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        dist = None
    if dist is not None and Path(str(dist.locate_file("generator"))).resolve() != package:
        dist = None  # an installed forge-gen, but not the one running (a checkout on the path)
    if dist is None:
        return f"{DISTRIBUTION} @ {package.parent.as_uri()}"
    try:
        direct = json.loads(dist.read_text("direct_url.json") or "null")
    except ValueError:
        direct = None
    if not isinstance(direct, dict) or "url" not in direct:
        return f"{DISTRIBUTION}=={dist.version}"
    url = str(direct["url"])
    vcs = direct.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs"):
        commit = vcs.get("commit_id") or vcs.get("requested_revision")
        return f"{DISTRIBUTION} @ {vcs['vcs']}+{url}" + (f"@{commit}" if commit else "")
    return f"{DISTRIBUTION} @ {url}"
