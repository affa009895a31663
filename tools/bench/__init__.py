"""Benchmarks that print numbers: ``python -m tools.bench {model,data,train,choice}``.

Each benchmark lives in its own module of this package and exposes ``main(argv) -> int``.
Speed targets live here, never in timed tests.
"""

import unet_tutorial  # noqa: E402, F401 -- idle OpenMP threads sleep (set before PyTorch loads)
