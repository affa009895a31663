"""Near-duplicate groups: complete linkage (no chains), on fingerprints and on framed photos."""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from unet_tutorial.data.checks import scan_dataset
from unet_tutorial.data.duplicates import (
    MAX_DISTANCE,
    dhash,
    group_near_duplicates,
    hamming,
    near_pairs,
)
from unet_tutorial.data.pairing import DatasetWarning
from unet_tutorial.data.split import DEFAULT_FRACTIONS, grouped_split


def chain(steps: int, bits_per_step: int) -> dict[str, int]:
    """Fingerprints ``"0"``, ``"1"``, ...: each differs from the one before in
    ``bits_per_step`` new bits, so ``"k"`` is ``k * bits_per_step`` bits from ``"0"``."""
    return {str(k): (1 << (k * bits_per_step)) - 1 for k in range(steps)}


def chained_components(hashes: dict[str, int]) -> list[set[str]]:
    """What the old rule (single linkage) made of ``hashes``: groups linked by chains."""
    parent = {i: i for i in hashes}

    def root(i: str) -> str:
        while parent[i] != i:
            i = parent[i]
        return i

    for _, a, b in near_pairs(hashes):
        parent[root(b)] = root(a)
    found: dict[str, set[str]] = {}
    for i in hashes:
        found.setdefault(root(i), set()).add(i)
    return [g for g in found.values() if len(g) > 1]


def diameter(group: list[str], hashes: dict[str, int]) -> int:
    return max(hamming(hashes[a], hashes[b]) for a in group for b in group)


def test_a_chain_of_three_is_not_one_group() -> None:
    # a-b and b-c are 8 bits apart, a-c 16: a and c are not near-duplicates.
    hashes = {"a": 0, "b": 0xFF, "c": 0xFFFF}
    assert group_near_duplicates(hashes) == [["a", "b"]]


def test_a_long_chain_falls_into_groups_of_mutual_near_duplicates() -> None:
    # 20 photos, each 4 bits from the one before: chained, one group of 20; complete linkage
    # keeps groups whose every pair is within 13 bits: 4 neighbours (0, 4, 8, 12 bits apart).
    hashes = chain(20, 4)
    assert [len(g) for g in chained_components(hashes)] == [20]
    groups = group_near_duplicates(hashes)
    assert groups == [[str(k) for k in range(n, n + 4)] for n in range(0, 20, 4)]
    assert max(diameter(g, hashes) for g in groups) == 12


def test_closest_pairs_join_first() -> None:
    # b-c are 4 bits apart, a-b 10: b goes with c, and a (14 bits from c) stays alone.
    hashes = {"a": 0, "b": (1 << 10) - 1, "c": (1 << 14) - 1}
    assert group_near_duplicates(hashes) == [["b", "c"]]


def test_groups_do_not_depend_on_the_order_of_the_ids() -> None:
    rng = random.Random(0)
    centres = [rng.getrandbits(64) for _ in range(6)]
    hashes = {}
    for n in range(60):  # 60 photos of 6 scenes, each up to 6 bits off its scene
        bits = rng.sample(range(64), rng.randint(0, 6))
        hashes[f"p{n}"] = centres[n % 6] ^ sum(1 << b for b in bits)
    groups = group_near_duplicates(hashes)
    assert groups == sorted(
        ([f"p{n}" for n in range(k, 60, 6)] for k in range(6)), key=lambda g: int(g[0][1:])
    )
    items = list(hashes.items())
    rng.shuffle(items)
    assert group_near_duplicates(dict(items)) == groups


def test_near_pairs_are_every_pair_within_the_distance() -> None:
    rng = random.Random(1)
    base = rng.getrandbits(64)
    hashes = {str(n): base ^ rng.getrandbits(64) & rng.getrandbits(64) for n in range(50)}
    found = near_pairs(hashes, 20)
    expected = [
        (hamming(hashes[a], hashes[b]), a, b)
        for a in hashes
        for b in hashes
        if int(a) < int(b) and hamming(hashes[a], hashes[b]) <= 20
    ]
    # sorted by distance, then by the ids in natural order
    assert found == sorted(expected, key=lambda t: (t[0], int(t[1]), int(t[2])))
    assert len(found) > 20


def framed_photos(count: int, seed: int = 0) -> dict[str, Image.Image]:
    """Photos with one black octagonal frame and a box in the lower left (as colonoscopy frames
    have) around unrelated smooth contents."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:96, 0:96] / 95.0
    frame = (np.abs(xx - 0.5) + np.abs(yy - 0.5) > 0.62) | (xx < 0.06) | (xx > 0.94)
    frame |= (xx < 0.3) & (yy > 0.72)
    photos = {}
    for n in range(count):
        blobs = (rng.random((4, 4)) * 255).astype(np.uint8)
        smooth = np.asarray(Image.fromarray(blobs).resize((96, 96), Image.Resampling.BICUBIC))
        grey = 120 + 120 * (smooth / 255 - 0.5)
        grey[frame] = 0
        rgb = np.stack([grey * 1.2, grey * 0.7, grey * 0.6], -1).clip(0, 255).astype(np.uint8)
        photos[str(n)] = Image.fromarray(rgb)
    return photos


def test_same_framed_photos_are_not_one_group_and_split_near_the_shares(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    for name, photo in framed_photos(40).items():
        photo.save(tmp_path / "images" / f"{name}.png")
        Image.new("L", photo.size).save(tmp_path / "masks" / f"{name}.png")
    scan = scan_dataset(tmp_path, cache_dir=None, warn=False)
    assert scan.hashes == {n: dhash(p) for n, p in framed_photos(40).items()}
    # The frame makes every photo near another: chained, all 40 were one group.
    assert [len(g) for g in chained_components(scan.hashes)] == [40]
    groups = scan.duplicate_groups
    assert 10 <= len(groups) and max(len(g) for g in groups) <= 8
    assert all(diameter(g, scan.hashes) <= MAX_DISTANCE for g in groups)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatasetWarning)  # no warning: the shares are kept
        split = grouped_split([p.id for p in scan.usable], groups, seed=42)
    for name, fraction in zip(("train", "val", "test"), DEFAULT_FRACTIONS, strict=True):
        assert abs(split.sizes()[name] - fraction * 40) <= 2, split.sizes()
    assert split.straddling(groups) == 0
