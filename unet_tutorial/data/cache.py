"""Decode and downscale each photo once: an in-memory and on-disk cache of the results.

Some photos are 5184×3456 pixels: decoding and shrinking one takes longer than a training step
at 128×128. :class:`DecodedCache` does it once per file and keeps the S×S result in memory and in
``data/cache/decoded-S/`` (one ``.npy`` per pair). Entries are keyed by the SHA-1 of the image
and mask files' bytes and by S, so a changed file gets a new entry (the old one is simply never
read again) and a renamed or moved file keeps its entry. :class:`FactStore` keeps small
per-file facts (dHash, water fraction) the same way, in one JSON file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from unet_tutorial.data.binary_masks import read_mask
from unet_tutorial.data.io import read_rgb
from unet_tutorial.data.pairing import DatasetWarning, Pair
from unet_tutorial.data.transforms import shrink_mask_to_square, shrink_to_square

_HASHES: dict[tuple, str] = {}


def content_hash(path: str | Path) -> str:
    """SHA-1 of a file's bytes (hex). Remembered per process while the file (device and inode)
    keeps its size and modification time, so a file is read for hashing once per run."""
    stat = os.stat(path)
    token = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if token not in _HASHES:
        digest = hashlib.sha1(usedforsecurity=False)
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _HASHES[token] = digest.hexdigest()
    return _HASHES[token]


def _atomic_write(path: Path, write) -> None:
    """Write through a temporary file and rename it, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.chmod(temporary, 0o644)  # mkstemp makes private files; the cache is not secret
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _cache_failed(directory: Path, error: OSError) -> None:
    warnings.warn(
        DatasetWarning(f"cannot write the cache in {directory} ({error}); caching in memory only"),
        stacklevel=3,
    )


MaskReader = Callable[[Path], np.ndarray]


def decode_resized(
    pair: Pair, image_size: int, mask_reader: MaskReader = read_mask
) -> tuple[np.ndarray, np.ndarray]:
    """Decode one pair and shrink it to S×S (the training resolution, aspect not kept).

    Returns:
        ``(image, mask)``: S×S×3 ``uint8`` RGB, and S×S ``uint8`` 0/1 binarised at full
        resolution (or class indices, with a class table's reader) then resized by nearest
        neighbour.
    """
    image = read_rgb(pair.image, min_size=(image_size, image_size))
    return shrink_to_square(image, image_size), shrink_mask_to_square(
        mask_reader(pair.mask), image_size
    )


class DecodedCache:
    """S×S decoded pairs, in memory and (when ``directory`` is given) on disk.

    Args:
        image_size: side S of the stored images and masks.
        directory: cache root (``data/cache`` of the project by default in the loaders);
            ``None`` keeps everything in memory only.
        mask_reader: how masks are decoded (default: binary 0/1, :func:`~.binary_masks.read_mask`); a
            class table's reader (:attr:`~unet_tutorial.data.classes.ClassTable.reader`) gives
            class indices, and its entries carry the table's key.
    """

    def __init__(
        self,
        image_size: int,
        directory: str | Path | None = None,
        *,
        mask_reader: MaskReader = read_mask,
    ) -> None:
        if image_size < 1:
            raise ValueError(f"image_size must be positive, got {image_size}")
        self.image_size = image_size
        self.mask_reader = mask_reader
        # Binary entries keep their historical keys; class masks add the table's key.
        self._suffix = "" if mask_reader is read_mask else f"-{getattr(mask_reader, 'key', 'x')}"
        self.directory = None if directory is None else Path(directory) / f"decoded-{image_size}"
        self._memory: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.decoded = 0  # how many pairs this cache had to decode (for tests and benchmarks)

    def key(self, pair: Pair) -> str:
        """Content hashes of both files and the size: changes whenever either file changes."""
        return (
            f"{content_hash(pair.image)[:20]}-{content_hash(pair.mask)[:20]}-{self.image_size}"
            + self._suffix
        )

    def load(self, pair: Pair) -> tuple[np.ndarray, np.ndarray]:
        """``(image S×S×3 uint8, mask S×S uint8 in {0,1})`` of ``pair``, decoding only on a miss.

        Raises:
            CorruptFileError: naming the file when it cannot be decoded.
        """
        key = self.key(pair)
        if key in self._memory:
            return self._memory[key]
        arrays = self._read(key)
        if arrays is None:
            arrays = decode_resized(pair, self.image_size, self.mask_reader)
            self.decoded += 1
            self._write(key, arrays)
        self._memory[key] = arrays
        return arrays

    def _path(self, key: str) -> Path | None:
        return None if self.directory is None else self.directory / f"{key}.npy"

    def _read(self, key: str) -> tuple[np.ndarray, np.ndarray] | None:
        """An entry is one S×S×4 uint8 array: RGB, then the mask (a plain .npy loads fastest)."""
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            stored = np.load(path)
        except (OSError, ValueError):  # a damaged entry is decoded again
            return None
        if stored.shape != (self.image_size, self.image_size, 4) or stored.dtype != np.uint8:
            return None
        return np.ascontiguousarray(stored[..., :3]), np.ascontiguousarray(stored[..., 3])

    def _write(self, key: str, arrays: tuple[np.ndarray, np.ndarray]) -> None:
        path = self._path(key)
        if path is None:
            return
        stacked = np.dstack(arrays)
        try:
            _atomic_write(path, lambda stream: np.save(stream, stacked))
        except OSError as error:
            _cache_failed(path.parent, error)
            self.directory = None


class FactStore:
    """Small facts about files (a dHash, a water fraction), keyed by content hash, in one JSON.

    Args:
        path: the JSON file; ``None`` keeps the facts in memory only.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = None if path is None else Path(path)
        self._facts: dict[str, dict] = self._load()
        self._dirty = False

    def _load(self) -> dict[str, dict]:
        if self.path is None or not self.path.is_file():
            return {}
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def get(self, path: str | Path, name: str) -> object | None:
        """The fact ``name`` about the file at ``path``, or ``None`` when not known yet."""
        return self._facts.get(content_hash(path), {}).get(name)

    def put(self, path: str | Path, name: str, value: object) -> None:
        self._facts.setdefault(content_hash(path), {})[name] = value
        self._dirty = True

    def save(self) -> None:
        """Write the facts (merged with what another process may have written meanwhile)."""
        if self.path is None or not self._dirty:
            return
        merged = self._load()
        for key, facts in self._facts.items():
            merged.setdefault(key, {}).update(facts)
        try:
            text = json.dumps(merged, sort_keys=True).encode("utf-8")
            _atomic_write(self.path, lambda s: s.write(text))
        except OSError as error:
            _cache_failed(self.path.parent, error)
            self.path = None
        self._dirty = False
