"""The grouped split: no group on two sides, deterministic, sizes near 70/15/15 (large groups in
train, a warning when the shares cannot hold), manifests, the book's flood split."""

from __future__ import annotations

import hashlib
import json
import random
import warnings
from pathlib import Path

import pytest

from unet_tutorial.data.checks import scan_dataset
from unet_tutorial.data.pairing import DatasetWarning
from unet_tutorial.data.split import SPLIT_NAMES, grouped_split, read_manifest, write_manifest

IDS = [str(n) for n in range(200)]
GROUPS = [["3", "40"], ["7", "8", "9"], ["100", "150"], ["11", "12", "13", "14"], ["199", "0"]]


def side_of(split, sample_id: str) -> str:
    return next(name for name in SPLIT_NAMES if sample_id in getattr(split, name))


def test_no_group_straddles_two_splits() -> None:
    for seed in range(20):
        split = grouped_split(IDS, GROUPS, seed=seed)
        for group in GROUPS:
            assert len({side_of(split, i) for i in group}) == 1, (seed, group)


def test_every_id_once_and_sizes_near_the_fractions() -> None:
    split = grouped_split(IDS, GROUPS, seed=3)
    together = split.train + split.val + split.test
    assert sorted(together) == sorted(IDS)
    sizes = split.sizes()
    assert abs(sizes["train"] - 140) <= 4
    assert abs(sizes["val"] - 30) <= 4 and abs(sizes["test"] - 30) <= 4


def test_deterministic_for_a_seed_and_independent_of_input_order() -> None:
    shuffled = IDS[:]
    random.Random(5).shuffle(shuffled)
    groups = [g[::-1] for g in GROUPS[::-1]]
    assert grouped_split(IDS, GROUPS, seed=7) == grouped_split(shuffled, groups, seed=7)
    assert grouped_split(IDS, GROUPS, seed=7).test != grouped_split(IDS, GROUPS, seed=8).test


def test_groups_with_excluded_ids_are_trimmed() -> None:
    split = grouped_split(["1", "2", "3", "4"], [["2", "99"]], seed=0)
    assert "99" not in split.train + split.val + split.test


def test_manifest_round_trip(tmp_path: Path) -> None:
    split = grouped_split(IDS, GROUPS, seed=11)
    path = write_manifest(split, tmp_path / "splits" / "flood.json", dataset="test-data")
    data = json.loads(path.read_text())
    assert data["dataset"] == "test-data" and data["seed"] == 11
    assert read_manifest(path) == split


def test_bad_manifest_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "split.json"
    path.write_text('{"train": ["1"], "val": ["1"], "test": [], "seed": 0}')
    with pytest.raises(ValueError, match="split.json.*more than one split"):
        read_manifest(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="split.json"):
        read_manifest(path)


def test_bad_fractions() -> None:
    with pytest.raises(ValueError, match="summing to 1"):
        grouped_split(IDS, fractions=(0.8, 0.3, 0.1))


def test_a_large_group_goes_to_train_and_the_shares_hold() -> None:
    # 60 of 200 photos near-copies of one scene: in val or test it would be most of the split.
    big = [str(n) for n in range(20, 80)]
    for seed in range(10):
        with warnings.catch_warnings():
            warnings.simplefilter("error", DatasetWarning)
            split = grouped_split(IDS, [big, *GROUPS[2:]], seed=seed)
        assert set(big) <= set(split.train), seed
        assert split.sizes() == {"train": 140, "val": 30, "test": 30}, seed


def test_a_group_too_large_for_the_shares_is_named_in_a_warning() -> None:
    big = [str(n) for n in range(160)]
    with pytest.warns(DatasetWarning) as caught:
        split = grouped_split(IDS, [big], seed=42)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "160/20/20 photos (80/10/10 %), not about 70/15/15 %" in message
    assert "the largest holds 160 of the 200 photos (first 0)" in message
    assert "crop it off" in message and "max_distance" in message
    assert split.sizes() == {"train": 160, "val": 20, "test": 20}
    assert split.share_problem() == message
    assert grouped_split(IDS, GROUPS, seed=42).share_problem() is None


SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "flood-area-segmentation"


@pytest.mark.skipif(not (SHARED / "Image").is_dir(), reason="no shared dataset copy")
def test_the_books_flood_split_is_unchanged() -> None:
    # The book's measurements depend on this split: its 17 groups, sizes and every id.
    scan = scan_dataset(SHARED, cache_dir=None, warn=False)
    split = grouped_split([p.id for p in scan.usable], scan.duplicate_groups, seed=42)
    assert [len(g) for g in scan.duplicate_groups].count(2) == 15
    assert len(scan.duplicate_groups) == 17
    assert split.sizes() == {"train": 193, "val": 44, "test": 42}
    ids = "|".join(",".join(getattr(split, name)) for name in SPLIT_NAMES)
    assert hashlib.sha1(ids.encode()).hexdigest()[:16] == "c44d9623ff3aa081"
