"""Near-duplicate photos by difference hash (dHash), grouped so a split can keep them together.

dHash shrinks a photo to (S+1)×S grey pixels and keeps one bit per horizontal neighbour pair:
is the right pixel brighter than the left one? Two photos of the same scene, re-encoded, resized
or cropped a little, differ in few of the S·S bits; unrelated photos differ in about half.

Grouping is *complete linkage*: a group's photos are all within ``max_distance`` of one
another, every pair of them, and groups form closest pairs first. Chaining (single linkage: A
near B and B near C put A, B, C in one group) lets a group grow through photos that are not
near each other at all, and it does: Kvasir-SEG's colonoscopy photos all share one black
octagonal frame, which fixes about a tenth of the 64 bits, so their distances form one
continuum instead of copies at a few bits and the rest near 32. Chained, 802 of its 998 photos
became one group and the split came out 154/811/33 instead of about 70/15/15. Measured with the
same hash and threshold (13 bits):

==================  ==========================  ====================================
rule                flood (279 photos)          Kvasir-SEG (998 photos)
==================  ==========================  ====================================
chains (before)     17 groups, largest 3        16 groups, largest 802; 154/811/33
complete linkage    the same 17 groups          274 groups, largest 6; 697/151/150
==================  ==========================  ====================================

The flood groups do not change (their photos are all within the threshold of one another), so
neither does the book's split. A photo can now have a near neighbour in another group, but only
when each has closer partners of its own: on Kvasir every pair within 5 bits (the true copies)
shares a group; the pairs split apart are 6 to 13 bits apart, where that dataset's unrelated
photos are too. A fingerprint of the centre alone (crops of 60 to 80 %) was measured as well:
it changed the flood groups (15 instead of 17) and, chained, still joined 80 to 395 Kvasir
photos, so the hash stays as it is. :func:`~unet_tutorial.data.split.grouped_split` warns when
groups still pull a split away from its shares.
"""

from __future__ import annotations

import heapq
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


def near_pairs(
    hashes: Mapping[str, int], max_distance: int = MAX_DISTANCE
) -> list[tuple[int, str, str]]:
    """Every pair of ids whose hashes are at most ``max_distance`` bits apart.

    Returns:
        ``(distance, a, b)`` with ``a`` before ``b`` in natural order, sorted by distance, then by
        the ids' natural order.
    """
    ids = sorted(hashes, key=natural_key)
    if len(ids) < 2:
        return []
    width = max(1, (max(hashes.values()).bit_length() + 7) // 8)
    # n × width bytes of the hashes; popcount of a XOR through a 256-entry table.
    packed = np.frombuffer(b"".join(hashes[i].to_bytes(width, "big") for i in ids), np.uint8)
    packed = packed.reshape(len(ids), width)
    ones = np.array([bin(v).count("1") for v in range(256)], dtype=np.int32)
    found = []
    for a in range(len(ids) - 1):
        distances = ones[packed[a + 1 :] ^ packed[a]].sum(axis=1)
        for offset in np.flatnonzero(distances <= max_distance):
            b = a + 1 + int(offset)
            found.append((int(distances[offset]), a, b))
    return [(d, ids[a], ids[b]) for d, a, b in sorted(found)]


def group_near_duplicates(
    hashes: Mapping[str, int], max_distance: int = MAX_DISTANCE
) -> list[list[str]]:
    """Groups (of two or more ids) whose hashes are all at most ``max_distance`` apart.

    Complete linkage, agglomerative: every id starts alone; the two groups whose farthest pair
    is closest are merged, as long as that pair is within ``max_distance``; ties go to the groups
    whose first ids come first in natural order. So every pair in a group is a near-duplicate
    pair and a group never grows through a chain of photos (see the module docstring).

    Returns:
        groups sorted by their first id, ids sorted naturally within each group.
    """
    pairs = near_pairs(hashes, max_distance)
    rank = {i: n for n, i in enumerate(sorted(hashes, key=natural_key))}
    # A group is named by its first member's rank. links[g][h]: the largest distance between g's
    # and h's members, kept only while every such pair is within max_distance.
    members: dict[int, list[str]] = {rank[i]: [i] for i in hashes}
    links: dict[int, dict[int, int]] = {g: {} for g in members}
    heap = []
    for distance, a, b in pairs:
        links[rank[a]][rank[b]] = links[rank[b]][rank[a]] = distance
        heap.append((distance, rank[a], rank[b]))
    heapq.heapify(heap)
    while heap:
        distance, g, h = heapq.heappop(heap)
        if g not in members or h not in members or links[g].get(h) != distance:
            continue  # a merged-away group, or a link that has grown since
        first, second = min(g, h), max(g, h)
        members[first] += members.pop(second)
        shared = (set(links[first]) & set(links[second])) - {first, second}
        merged = {k: max(links[first][k], links[second][k]) for k in shared}
        for k in (set(links[first]) | set(links.pop(second))) - {first, second}:
            links[k].pop(first, None)
            links[k].pop(second, None)
        links[first] = merged
        for k, far in merged.items():
            links[k][first] = far
            heapq.heappush(heap, (far, min(first, k), max(first, k)))
    found = [sorted(g, key=natural_key) for g in members.values() if len(g) > 1]
    return sorted(found, key=lambda g: natural_key(g[0]))
