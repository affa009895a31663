"""Pairing photos with masks: by metadata.csv or stem, never by listing order; orphans."""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from unet_tutorial.data.locate import find_layout
from unet_tutorial.data.pairing import (
    DatasetWarning,
    natural_key,
    pair_by_metadata,
    pair_by_stem,
    pair_files,
)


def write_pair(root: Path, stem: str, value: int, image: bool = True, mask: bool = True) -> None:
    """A 6×4 photo filled with ``value`` and a mask whose top-left pixel is ``value``: the
    content ties each mask to its photo, whatever the names."""
    (root / "Image").mkdir(parents=True, exist_ok=True)
    (root / "Mask").mkdir(parents=True, exist_ok=True)
    if image:
        Image.new("RGB", (6, 4), (value, value, value)).save(root / "Image" / f"{stem}.jpg", "PNG")
    if mask:
        values = np.zeros((4, 6), np.uint8)
        values[0, 0] = value
        Image.fromarray(values).save(root / "Mask" / f"{stem}.png")


def check_content(pairs) -> None:
    for pair in pairs:
        photo = np.asarray(Image.open(pair.image))[0, 0, 0]
        mask = np.asarray(Image.open(pair.mask))[0, 0]
        assert photo == mask, f"{pair.id}: photo {pair.image.name} paired with {pair.mask.name}"


def test_pairs_by_stem_whatever_the_listing_order(tmp_path: Path) -> None:
    for n in range(12):
        write_pair(tmp_path, str(n), 10 + 10 * n)
    images = list((tmp_path / "Image").iterdir())
    masks = list((tmp_path / "Mask").iterdir())
    results = []
    for seed in range(3):
        random.Random(seed).shuffle(images)
        random.Random(seed + 100).shuffle(masks)
        pairing = pair_by_stem(images, masks)
        check_content(pairing.pairs)
        results.append([(p.id, p.image.name, p.mask.name) for p in pairing.pairs])
    assert results[0] == results[1] == results[2]
    assert [r[0] for r in results[0]] == [str(n) for n in range(12)]  # natural order
    assert pairing.orphans == []


def test_metadata_pairs_with_shuffled_rows_and_reports_orphans(tmp_path: Path) -> None:
    for n in range(6):
        write_pair(tmp_path, str(n), 20 + 30 * n)
    write_pair(tmp_path, "7", 250, mask=False)  # an image without mask, not in metadata
    rows = [(f"{n}.jpg", f"{n}.png") for n in (*range(6), 9)]  # row 9: files missing
    random.Random(0).shuffle(rows)
    images = list((tmp_path / "Image").iterdir())[::-1]
    masks = list((tmp_path / "Mask").iterdir())
    pairing = pair_by_metadata(rows, images, masks)
    check_content(pairing.pairs)
    assert [p.id for p in pairing.pairs] == [str(n) for n in range(6)]
    reasons = {o.id: o.reason for o in pairing.orphans}
    assert set(reasons) == {"7", "9"}
    assert "missing" in reasons["9"] and "not listed" in reasons["7"]


def test_pair_files_warns_once_for_all_orphans(tmp_path: Path) -> None:
    write_pair(tmp_path, "1", 50)
    write_pair(tmp_path, "2", 60, mask=False)
    write_pair(tmp_path, "3", 70, image=False)
    write_pair(tmp_path, "4", 80, image=False)
    with pytest.warns(DatasetWarning) as caught:
        pairing = pair_files(find_layout(tmp_path))
    assert len(caught) == 1
    assert "3 orphans" in str(caught[0].message)
    assert [p.id for p in pairing.pairs] == ["1"]
    assert {o.id for o in pairing.orphans} == {"2", "3", "4"}


def test_uses_metadata_when_present(tmp_path: Path) -> None:
    write_pair(tmp_path, "a", 40)
    write_pair(tmp_path, "b", 90)
    # metadata pairs a's photo with b's mask on purpose: metadata wins over stems
    (tmp_path / "metadata.csv").write_text("Image,Mask\na.jpg,b.png\n")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        pairing = pair_files(find_layout(tmp_path))
    assert [(p.image.name, p.mask.name) for p in pairing.pairs] == [("a.jpg", "b.png")]
    # b.jpg and a.png are listed nowhere
    assert sorted(o.reason for o in pairing.orphans) == [
        "image b.jpg is not listed in metadata.csv",
        "mask a.png is not listed in metadata.csv",
    ]


def test_bad_metadata_header_names_the_file(tmp_path: Path) -> None:
    write_pair(tmp_path, "1", 50)
    (tmp_path / "metadata.csv").write_text("photo,label\n1.jpg,1.png\n")
    with pytest.raises(ValueError, match="metadata.csv"):
        pair_files(find_layout(tmp_path))


def test_duplicate_stems_are_an_error(tmp_path: Path) -> None:
    write_pair(tmp_path, "1", 50)
    Image.new("RGB", (6, 4)).save(tmp_path / "Image" / "1.png")
    with pytest.raises(ValueError, match="stem '1'"):
        pair_files(find_layout(tmp_path))


def test_natural_order() -> None:
    assert sorted(["10", "2", "1", "b2", "b10"], key=natural_key) == ["1", "2", "10", "b2", "b10"]
