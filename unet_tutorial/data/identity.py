"""What identifies the data a run was trained on: the dataset, its files and the exact split.

A run's key (:mod:`unet_tutorial.runs.store`) includes :func:`data_identity`, so a run trained on
other photos, another split or other file contents is never reused by mistake.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

SPLITS = ("train", "val", "test")


def dataset_name(data: Any) -> str:
    """``"synthetic"`` or the real dataset's folder name (e.g. ``flood-area-segmentation``)."""
    if getattr(data, "scan", None) is not None:
        return Path(data.scan.root).name
    return "synthetic"


def data_root(data: Any) -> str | None:
    """The dataset folder as an absolute path (``None`` for the synthetic scenes)."""
    scan = getattr(data, "scan", None)
    return None if scan is None else str(Path(scan.root).resolve())


def split_ids(data: Any) -> dict[str, list[str]]:
    """The ids of the three splits, ``{"train": [...], "val": [...], "test": [...]}``."""
    return {name: list(getattr(data, name).ids) for name in SPLITS}


def split_digest(data: Any) -> str:
    """16 hex digits that change when any split gains, loses or reorders an id."""
    ids = "|".join(",".join(getattr(data, name).ids) for name in SPLITS)
    return hashlib.sha1(ids.encode()).hexdigest()[:16]


def files_digest(data: Any) -> str | None:
    """A digest of the contents of every photo and mask the data uses (``None`` for the
    synthetic scenes, which their seed and size determine)."""
    from unet_tutorial.data.cache import content_hash

    scan = getattr(data, "scan", None)
    if scan is None:
        return None
    digest = hashlib.sha1(usedforsecurity=False)
    for pair in sorted(scan.usable, key=lambda p: p.id):
        digest.update(f"{pair.id}:{content_hash(pair.image)}:{content_hash(pair.mask)};".encode())
    return digest.hexdigest()[:16]


def data_identity(data: Any, *, contents: bool = False) -> dict[str, Any]:
    """The dataset's name, source (``"real"``/``"synthetic"``), split sizes and split digest;
    with ``contents``, also :func:`files_digest` (reads every file once: a run trained on a
    practitioner's folder must notice an edited mask)."""
    identity = {
        "dataset": dataset_name(data),
        "source": data.source,
        "split": data.sizes(),
        "split_digest": split_digest(data),
    }
    if contents:
        identity["files"] = files_digest(data)
    return identity
