"""Benchmarks that print numbers: ``python -m unet_tutorial.bench {model,data,train}``.

Each benchmark lives in its own module of this package and exposes ``main(argv) -> int``.
Speed targets live here, never in timed tests.
"""
