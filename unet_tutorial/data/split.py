"""An honest train / validation / test split: grouped, deterministic, saved as a JSON manifest.

Near-duplicate photos form a group and a group goes to one split only, otherwise the test set
holds copies of training photos and its score is optimistic. The validation split is for early
stopping and choices; the test split only for the final numbers.

A group larger than :data:`SHARE_TOLERANCE` of the photos could pull a validation or test split
far past its share, so such groups are placed first, each where the most room is left (train,
as a rule: a scene seen many times costs training nothing, while it would dominate a small
test score). When groups still leave a split more than that off its share, :func:`grouped_split`
warns, naming the largest group and what to do (:meth:`Split.share_problem`).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from unet_tutorial.data.pairing import DatasetWarning, natural_key

SPLIT_NAMES = ("train", "val", "test")
DEFAULT_FRACTIONS = (0.7, 0.15, 0.15)
MANIFEST_VERSION = 1
#: How far (as a share of all photos) a split may end up from its intended share before
#: :func:`grouped_split` warns; groups larger than this are placed first.
SHARE_TOLERANCE = 0.05


@dataclass(frozen=True)
class Split:
    """Sample ids of the three splits (each sorted naturally), and how they were drawn."""

    train: tuple[str, ...]
    val: tuple[str, ...]
    test: tuple[str, ...]
    seed: int = 42
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS
    groups: tuple[tuple[str, ...], ...] = field(default=())

    def sizes(self) -> dict[str, int]:
        """``{"train": n, "val": n, "test": n}``."""
        return {name: len(getattr(self, name)) for name in SPLIT_NAMES}

    def of(self, sample_id: str) -> str:
        """Name of the split holding ``sample_id``."""
        for name in SPLIT_NAMES:
            if sample_id in getattr(self, name):
                return name
        raise KeyError(f"sample {sample_id!r} is in no split")

    def straddling(self, groups: Iterable[Sequence[str]]) -> int:
        """How many of ``groups`` have members in more than one split (leaks)."""
        where = {i: name for name in SPLIT_NAMES for i in getattr(self, name)}
        return sum(len({where[i] for i in g if i in where}) > 1 for g in groups)

    def share_problem(self, tolerance: float = SHARE_TOLERANCE) -> str | None:
        """What is wrong when a split is more than ``tolerance`` of all photos (and more than two
        photos: rounding on a handful) off its intended share, naming the largest group and what to do; else ``None``."""
        sizes = self.sizes()
        total = sum(sizes.values())
        if total == 0:
            return None
        off = [
            abs(sizes[name] - fraction * total) > max(tolerance * total, 2)
            for name, fraction in zip(SPLIT_NAMES, self.fractions, strict=True)
        ]
        if not any(off):
            return None
        got = "/".join(str(n) for n in sizes.values())
        shares = "/".join(f"{100 * n / total:.0f}" for n in sizes.values())
        wanted = "/".join(f"{100 * f:.0f}" for f in self.fractions)
        text = f"the split train/val/test is {got} photos ({shares} %), not about {wanted} %"
        largest = max(self.groups, key=len, default=())
        if len(largest) <= 1:
            return text + "."
        return (
            f"{text}: near-duplicate groups are kept whole, and the largest holds "
            f"{len(largest)} of the {total} photos (first {largest[0]}). Look at its photos "
            "(`python -m unet_tutorial inspect DIR` lists the groups): if they are not copies of "
            "one scene, a frame, border or background they share makes their fingerprints close; "
            "crop it off the photos, or group with a smaller max_distance (scan_dataset)."
        )

    def to_dict(self) -> dict:
        return {
            "version": MANIFEST_VERSION,
            "seed": self.seed,
            "fractions": list(self.fractions),
            **{name: list(getattr(self, name)) for name in SPLIT_NAMES},
            "groups": [list(g) for g in self.groups],
        }

    @classmethod
    def from_dict(cls, data: dict, source: str = "manifest") -> Split:
        missing = [key for key in (*SPLIT_NAMES, "seed") if key not in data]
        if missing:
            raise ValueError(f"{source}: not a split manifest, the keys {missing} are missing.")
        ids = [i for name in SPLIT_NAMES for i in data[name]]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{source}: some ids are in more than one split.")
        return cls(
            train=tuple(data["train"]),
            val=tuple(data["val"]),
            test=tuple(data["test"]),
            seed=int(data["seed"]),
            fractions=tuple(data.get("fractions", DEFAULT_FRACTIONS)),
            groups=tuple(tuple(g) for g in data.get("groups", [])),
        )


def _check_fractions(fractions: Sequence[float]) -> tuple[float, float, float]:
    if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(
            f"fractions must be three non-negative numbers (train, val, test) summing to 1, "
            f"got {tuple(fractions)}"
        )
    return (float(fractions[0]), float(fractions[1]), float(fractions[2]))


def all_groups(ids: Iterable[str], duplicate_groups: Iterable[Sequence[str]]) -> list[list[str]]:
    """Every id in exactly one group: the near-duplicate groups, then singletons for the rest.

    Ids of ``duplicate_groups`` that are not in ``ids`` (excluded samples) are dropped.
    """
    wanted = set(ids)
    groups, seen = [], set()
    for group in duplicate_groups:
        kept = sorted((i for i in group if i in wanted and i not in seen), key=natural_key)
        if kept:
            groups.append(kept)
            seen.update(kept)
    groups += [[i] for i in sorted(wanted - seen, key=natural_key)]
    return groups


def grouped_split(
    ids: Iterable[str],
    duplicate_groups: Iterable[Sequence[str]] = (),
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    seed: int = 42,
    *,
    warn: bool = True,
) -> Split:
    """Split ids into train/val/test with each near-duplicate group kept whole.

    Groups of more than :data:`SHARE_TOLERANCE` of the ids (and more than two) go first,
    largest first, each to the split with the most room left below its target (train, unless
    it is full). The other groups are put in a canonical order, shuffled with ``seed``, then
    each goes to the split furthest below its target size, so sizes land within one group of
    the targets. The result depends
    only on the set of ids, the groups and the seed, not on the order they come in.

    Args:
        warn: emit a :class:`~unet_tutorial.data.pairing.DatasetWarning` when a split still ends
            up more than :data:`SHARE_TOLERANCE` off its share (:meth:`Split.share_problem`).
    """
    fractions = _check_fractions(fractions)
    groups = sorted(all_groups(ids, duplicate_groups), key=lambda g: natural_key(g[0]))
    total = sum(len(g) for g in groups)
    targets = [f * total for f in fractions]
    chosen: list[list[str]] = [[], [], []]
    # A pair is never "large": on a handful of photos 5 % is less than one.
    limit = max(SHARE_TOLERANCE * total, 2)
    large = [g for g in groups if len(g) > limit]
    for group in sorted(large, key=len, reverse=True):  # stable: ties keep the canonical order
        room = [t - len(c) if t > 0 else -np.inf for t, c in zip(targets, chosen, strict=True)]
        chosen[int(np.argmax(room))].extend(group)
    groups = [g for g in groups if len(g) <= limit]
    order = np.random.default_rng(seed).permutation(len(groups))
    for index in order:
        group = groups[index]
        # The split with the largest shortfall relative to its target (ties: train first).
        gaps = [
            (t - len(c)) / t if t > 0 else -np.inf for t, c in zip(targets, chosen, strict=True)
        ]
        chosen[int(np.argmax(gaps))].extend(group)
    train, val, test = (tuple(sorted(c, key=natural_key)) for c in chosen)
    duplicates = tuple(
        tuple(g) for g in sorted(large + groups, key=lambda g: natural_key(g[0])) if len(g) > 1
    )
    split = Split(train, val, test, seed=seed, fractions=fractions, groups=duplicates)
    problem = split.share_problem() if warn else None
    if problem:
        warnings.warn(DatasetWarning(problem), stacklevel=2)
    return split


def random_split(
    ids: Iterable[str], fractions: Sequence[float] = (0.8, 0.0, 0.2), seed: int = 42
) -> Split:
    """A plain random split that ignores near-duplicates (the original tutorial's 80/20 way),
    for comparison with :func:`grouped_split`."""
    fractions = _check_fractions(fractions)
    ordered = sorted(set(ids), key=natural_key)
    shuffled = [ordered[i] for i in np.random.default_rng(seed).permutation(len(ordered))]
    n_train = round(fractions[0] * len(shuffled))
    n_val = round(fractions[1] * len(shuffled))
    parts = (shuffled[:n_train], shuffled[n_train : n_train + n_val], shuffled[n_train + n_val :])
    train, val, test = (tuple(sorted(p, key=natural_key)) for p in parts)
    return Split(train, val, test, seed=seed, fractions=fractions)


def write_manifest(split: Split, path: str | Path, **extra: object) -> Path:
    """Write ``split`` (and any ``extra`` JSON-able facts, e.g. the dataset) to a JSON file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**split.to_dict(), **extra}, indent=1) + "\n", encoding="utf-8")
    return path


def read_manifest(path: str | Path) -> Split:
    """The split stored in a manifest written by :func:`write_manifest`.

    Raises:
        ValueError: naming the file when it is not valid JSON or not a split manifest.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path}: not valid JSON ({error}); delete it to draw a new split."
        ) from None
    return Split.from_dict(data, source=str(path))
