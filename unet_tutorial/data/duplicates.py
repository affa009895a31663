"""Near-duplicate photos by difference hash (dHash), grouped so a split can keep them together.

dHash shrinks a photo to (S+1)×S grey pixels and keeps one bit per horizontal neighbour pair:
is the right pixel brighter than the left one? Two photos of the same scene, re-encoded, resized
or cropped a little, differ in few of the S·S bits; unrelated photos differ in about half.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from PIL import Image

from unet_tutorial.data.io import read_rgb
from unet_tutorial.data.pairing import natural_key

HASH_SIZE = 8
#: Hamming distance (of 64 bits) up to which two photos count as near-duplicates. On the flood
#: dataset every pair at distance <= 13 shows the same scene and the closest unrelated photos
#: are 15 bits apart.
MAX_DISTANCE = 13


def dhash(image: Image.Image, hash_size: int = HASH_SIZE) -> int:
    """Difference hash of a PIL image: an integer of ``hash_size**2`` bits."""
    grey = image.convert("L").resize((hash_size + 1, hash_size), Image.Resampling.LANCZOS)
    pixels = np.asarray(grey, dtype=np.int16)
    bits = (pixels[:, 1:] > pixels[:, :-1]).ravel()
    return int("".join("1" if b else "0" for b in bits), 2)


def dhash_file(path: str | Path, hash_size: int = HASH_SIZE) -> int:
    """dHash of an image file; JPEGs are decoded at a reduced scale, which is much faster."""
    image = read_rgb(path, min_size=(4 * (hash_size + 1), 4 * hash_size))
    return dhash(image, hash_size)


def hamming(a: int, b: int) -> int:
    """Number of differing bits of two hashes."""
    return (a ^ b).bit_count()


def group_near_duplicates(
    hashes: Mapping[str, int], max_distance: int = MAX_DISTANCE
) -> list[list[str]]:
    """Groups (of two or more ids) linked by chains of hashes at most ``max_distance`` apart.

    Linking is transitive (single linkage): if A is near B and B near C, A, B, C form one group,
    which is what a split needs: none of them may end up on two sides.

    Returns:
        groups sorted by their first id, ids sorted naturally within each group.
    """
    ids = sorted(hashes, key=natural_key)
    parent = {i: i for i in ids}

    def root(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for n, a in enumerate(ids):
        for b in ids[n + 1 :]:
            if hamming(hashes[a], hashes[b]) <= max_distance:
                parent[root(b)] = root(a)
    groups: dict[str, list[str]] = {}
    for i in ids:
        groups.setdefault(root(i), []).append(i)
    found = [g for g in groups.values() if len(g) > 1]
    return sorted(found, key=lambda g: natural_key(g[0]))
