"""Exit 0 when this Python environment already holds everything `pip install -e '.[EXTRAS]'` would install, else 1.

EXTRAS is the first argument, comma-separated (default: dev); `scripts/setup.sh --test` asks for dev,dask.

scripts/setup.sh runs it with the venv's Python before calling pip, so that a complete venv is left alone
whatever else changed in pyproject.toml (a linter setting, say). Checked: every requirement of the project and
of the extras asked for, recursively with their own extras, at a version the specifier allows; gridmap installed from
this checkout at the version pyproject.toml names; its commands present in the venv's bin folder. Reads only
installed metadata: no network, no pip.
"""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
DEFAULT_EXTRAS = ("dev",)


def _missing(requirement: Requirement, seen: set[str]) -> list[str]:
    """What is absent or at a version outside the specifier: `requirement`, its extras and their requirements."""
    key = f"{requirement.name.lower()}{sorted(requirement.extras)}"
    if key in seen:
        return []
    seen.add(key)
    try:
        installed = metadata.distribution(requirement.name)
    except metadata.PackageNotFoundError:
        return [str(requirement)]
    if not requirement.specifier.contains(installed.version, prereleases=True):
        return [f"{requirement} (found {installed.version})"]
    missing: list[str] = []
    for extra in requirement.extras:
        for needed in map(Requirement, installed.requires or []):
            if needed.marker is not None and needed.marker.evaluate({"extra": extra}):
                missing += _missing(needed, seen)
    return missing


def missing_parts(extras: tuple[str, ...] = DEFAULT_EXTRAS) -> list[str]:
    """Everything the venv lacks for the project with `extras`, in words (empty: complete)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(text) for text in project["dependencies"]]
    for extra in extras:
        requirements += [Requirement(text) for text in project["optional-dependencies"][extra]]
    seen: set[str] = set()
    missing = [part for requirement in requirements for part in _missing(requirement, seen)]
    spec = importlib.util.find_spec(project["name"])
    if spec is None or spec.origin is None or not Path(spec.origin).resolve().is_relative_to(REPO):
        missing.append(f"{project['name']} installed from {REPO}")
    elif metadata.version(project["name"]) != project["version"]:
        missing.append(f"{project['name']} {project['version']} (found {metadata.version(project['name'])})")
    bin_dir = Path(sys.executable).parent
    missing += [f"the command {name}" for name in project.get("scripts", {}) if not (bin_dir / name).exists()]
    return missing


if __name__ == "__main__":
    absent = missing_parts(tuple(sys.argv[1].split(",")) if len(sys.argv) > 1 else DEFAULT_EXTRAS)
    for part in absent:
        print(f"missing: {part}", file=sys.stderr)
    sys.exit(1 if absent else 0)
