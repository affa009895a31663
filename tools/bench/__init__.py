"""Benchmarks that print numbers: ``python -m tools.bench
{model,data,train,choice,recipe,layout,parallel,smp}``.

Each benchmark lives in its own module of this package and exposes ``main(argv) -> int``.
Speed targets live here, never in timed tests. ``smp`` needs segmentation_models_pytorch, a
maintainers' extra (``pip install -e ".[bench]"`` in an environment of its own, never the locked
``.venv``; see :mod:`tools.bench.smp`).
"""

import json
from pathlib import Path
from typing import Any

import unet_tutorial  # noqa: F401 -- idle OpenMP threads sleep (set before PyTorch loads)


def write_json(result: Any, out: str | Path) -> None:
    """Write a benchmark's result to ``out`` as indented JSON (folders created) and say so."""
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
