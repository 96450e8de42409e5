"""The production image carries every module the worker and the API import (issue 4: a Dockerfile for the
app), and ships bytecode so the workflow sandbox does not recompile workflows for every ticket."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _copied() -> set[str]:
    text = (ROOT / "Dockerfile").read_text()
    names: set[str] = set()
    for line in re.findall(r"^COPY (.+)$", text, flags=re.MULTILINE):
        sources = line.split()[:-1]
        names.update(s.rstrip("/") for s in sources if not s.startswith("--"))
    return names


def test_every_runtime_package_and_module_is_copied_into_the_image() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {p.rstrip("*") for p in project["packages"]["find"]["include"]}
    modules = {f"{m}.py" for m in project["py-modules"]} - {"run_local.py"}  # make run only
    missing = (packages | modules | {"alembic.ini"}) - _copied()
    assert not missing, f"Dockerfile does not copy {sorted(missing)}"


def test_image_ships_bytecode() -> None:
    assert "compileall" in (ROOT / "Dockerfile").read_text()


def test_every_top_level_package_is_installed() -> None:
    # delivery/ was imported by the worker and the API but missing from the install list and the image.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {p.rstrip("*") for p in project["packages"]["find"]["include"]}
    on_disk = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert on_disk <= packages, f"pyproject.toml does not install {sorted(on_disk - packages)}"
