"""Maintainers' tools that readers of the book never import: benchmarks and notebook sync.

Run them from the repository root, e.g. ``python -m tools.bench model``.
"""
