"""Benchmarks that print numbers: ``python -m tools.bench {model,data,train,choice,parallel,smp}``.

Each benchmark lives in its own module of this package and exposes ``main(argv) -> int``.
Speed targets live here, never in timed tests. ``smp`` needs segmentation_models_pytorch, a
maintainers' extra (``pip install -e ".[bench]"`` in an environment of its own, never the locked
``.venv``; see :mod:`tools.bench.smp`).
"""

import unet_tutorial  # noqa: E402, F401 -- idle OpenMP threads sleep (set before PyTorch loads)
