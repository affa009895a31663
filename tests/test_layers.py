"""The lower layers never import the layers built on them: no module of the library (``data/``,
``viz/``, ``training/``, ``models/``, ``report/``, ``runs/``, ``analysis/`` and the single-module
concepts) imports ``predict``, ``cli`` or ``experiments``; every arrow points from orchestration
to library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "unet_tutorial"
UPPER = ("unet_tutorial.predict", "unet_tutorial.cli", "unet_tutorial.experiments")


def imported_modules(path: Path) -> set[str]:
    """Every module an ``import`` or ``from ... import`` in the file names (absolute imports)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


LAYERS = ["data", "viz", "training", "models", "report", "runs", "analysis"]
MODULES = ["evaluation", "inference", "metrics", "losses", "functional", "profiles", "paths"]


@pytest.mark.parametrize("layer", LAYERS + MODULES)
def test_lower_layers_do_not_import_upper_ones(layer):
    paths = sorted((PACKAGE / layer).glob("*.py")) if layer in LAYERS else [PACKAGE / f"{layer}.py"]
    assert paths and all(path.is_file() for path in paths)
    offenders = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in paths
        for name in imported_modules(path)
        if name.startswith(UPPER)
    }
    assert not offenders


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from unet_tutorial.predict import tint\n")
    assert "unet_tutorial.predict" in imported_modules(module)
