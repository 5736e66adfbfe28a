"""The wheel built from pyproject.toml is the product alone: no sample generator and no sample data in it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# What the build reads, copied so that building leaves nothing (build/, *.egg-info) in the working tree; the
# generators and the data are copied too, to show that the packaging leaves them out rather than not finding them.
SOURCES = ("pyproject.toml", "README.md", "gridmap", "gridmap_demo", "data")


def test_the_wheel_holds_the_product_and_its_migrations_only(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(REPO / name, source / name)
    command = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation"]
    built = subprocess.run([*command, "-q", "-w", str(tmp_path / "dist")], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("gridmap-*.whl")
    names = zipfile.ZipFile(wheel).namelist()

    assert "gridmap/api/app.py" in names and "gridmap/cli/demo.py" in names
    assert "gridmap/store/migrations/env.py" in names
    assert any(n.startswith("gridmap/store/migrations/versions/0009_") for n in names)
    assert not [n for n in names if n.startswith(("gridmap_demo/", "gridmap/sample/"))]
    assert not [n for n in names if n.endswith(("messy_sample.py", "registry_sample.py"))]
    assert not [n for n in names if n.endswith((".csv", ".geojson"))]
