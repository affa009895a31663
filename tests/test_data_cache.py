"""Decode-once cache: memory and disk hits, invalidation when a file changes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from unet_tutorial.data.cache import DecodedCache, FactStore
from unet_tutorial.data.pairing import Pair


def make_pair(root: Path, water_rows: int) -> Pair:
    root.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (60, 40), (30, 90, 200)).save(root / "1.jpg")
    mask = np.zeros((40, 60), np.uint8)
    mask[:water_rows] = 255
    Image.fromarray(mask).save(root / "1.png")
    return Pair("1", root / "1.jpg", root / "1.png")


def test_decodes_once_then_memory_then_disk(tmp_path: Path) -> None:
    pair = make_pair(tmp_path / "data", water_rows=20)
    cache = DecodedCache(16, tmp_path / "cache")
    image, mask = cache.load(pair)
    assert image.shape == (16, 16, 3) and mask.shape == (16, 16)
    assert mask[:8].all() and not mask[8:].any()
    cache.load(pair)
    assert cache.decoded == 1
    later_run = DecodedCache(16, tmp_path / "cache")
    again, mask_again = later_run.load(pair)
    assert later_run.decoded == 0, "a new cache on the same folder should read the disk"
    assert np.array_equal(again, image) and np.array_equal(mask_again, mask)


def test_changed_file_is_decoded_again(tmp_path: Path) -> None:
    pair = make_pair(tmp_path / "data", water_rows=20)
    cache = DecodedCache(16, tmp_path / "cache")
    _, before = cache.load(pair)
    make_pair(tmp_path / "data", water_rows=40)  # the mask is redrawn: all water now
    os.utime(pair.mask, ns=(1, 1))  # even with an old timestamp, the content decides
    _, after = cache.load(pair)
    assert before.mean() == 0.5 and after.mean() == 1.0
    _, from_new_run = DecodedCache(16, tmp_path / "cache").load(pair)
    assert from_new_run.mean() == 1.0


def test_sizes_do_not_share_entries(tmp_path: Path) -> None:
    pair = make_pair(tmp_path / "data", water_rows=20)
    assert DecodedCache(8, tmp_path / "cache").load(pair)[0].shape == (8, 8, 3)
    assert DecodedCache(12, tmp_path / "cache").load(pair)[0].shape == (12, 12, 3)


def test_fact_store_keys_by_content(tmp_path: Path) -> None:
    pair = make_pair(tmp_path / "data", water_rows=20)
    store = FactStore(tmp_path / "facts.json")
    store.put(pair.mask, "water_fraction", 0.5)
    store.save()
    assert FactStore(tmp_path / "facts.json").get(pair.mask, "water_fraction") == 0.5
    make_pair(tmp_path / "data", water_rows=10)
    assert FactStore(tmp_path / "facts.json").get(pair.mask, "water_fraction") is None
