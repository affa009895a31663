"""The dataset check: size-mismatch label errors, bad files, missing folders, the shared copy."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from unet_tutorial.data.checks import scan_dataset
from unet_tutorial.data.duplicates import dhash_file, hamming
from unet_tutorial.data.io import CorruptFileError
from unet_tutorial.data.locate import DatasetNotFoundError
from unet_tutorial.data.pairing import DatasetWarning

# The copy every developer and CI run has beside the project (never inside it).
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "flood-area-segmentation"


def write(root: Path, stem: str, size: tuple[int, int], mask_size: tuple[int, int] | None = None):
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(int(stem) if stem.isdigit() else 0)
    pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(root / "images" / f"{stem}.png")
    w, h = mask_size or size
    Image.fromarray(np.zeros((h, w), np.uint8)).save(root / "masks" / f"{stem}.png")


def scan(root: Path, **options):
    return scan_dataset(root, cache_dir=None, **options)


def test_size_mismatch_is_excluded_with_a_warning_listing_the_ids(tmp_path: Path) -> None:
    write(tmp_path, "1", (40, 30))
    write(tmp_path, "2", (30, 20), mask_size=(40, 30))  # mask of 1's size: belongs to it?
    write(tmp_path, "3", (30, 20), mask_size=(31, 20))
    with pytest.warns(DatasetWarning, match=r"2 pairs excluded: 2 .*; 3 ") as caught:
        result = scan(tmp_path)
    assert len(caught) == 1
    assert [p.id for p in result.usable] == ["1"]
    reasons = {p.id: p.reason for p in result.excluded}
    assert set(reasons) == {"2", "3"}
    assert "40×30 differs from image size 30×20" in reasons["2"]
    assert "size of image 1" in reasons["2"]
    assert result.mismatched() == ["2", "3"]


def test_mismatched_pairs_can_be_kept_on_request(tmp_path: Path) -> None:
    write(tmp_path, "1", (40, 30))
    write(tmp_path, "2", (30, 20), mask_size=(40, 30))
    with pytest.warns(DatasetWarning, match="kept on request"):
        result = scan(tmp_path, include_mismatched=True)
    assert [p.id for p in result.usable] == ["1", "2"]
    assert result.excluded == []


def test_corrupt_file_raises_naming_it_or_is_skipped_on_request(tmp_path: Path) -> None:
    write(tmp_path, "1", (40, 30))
    write(tmp_path, "2", (40, 30))
    bad = tmp_path / "images" / "2.png"
    bad.write_bytes(bad.read_bytes()[:60])  # header intact, pixel data cut
    with pytest.raises(CorruptFileError, match="2.png"):
        scan(tmp_path)
    with pytest.warns(DatasetWarning, match="undecodable"):
        result = scan(tmp_path, on_error="skip")
    assert [p.id for p in result.usable] == ["1"]
    assert result.excluded[0].id == "2"


def test_missing_or_empty_folder_says_how_to_get_the_data(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match="unet_tutorial.data download"):
        scan(tmp_path / "nowhere")
    (tmp_path / "Image").mkdir()
    (tmp_path / "Mask").mkdir()
    with pytest.raises(DatasetNotFoundError, match="is empty.*download"):
        scan(tmp_path)


def test_near_duplicates_are_grouped(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    for n in range(4):
        smooth = rng.random((6, 8, 3)) * 255
        scene = Image.fromarray(smooth.astype(np.uint8)).resize((80, 60), Image.Resampling.BICUBIC)
        (tmp_path / "images").mkdir(exist_ok=True)
        (tmp_path / "masks").mkdir(exist_ok=True)
        scene.save(tmp_path / "images" / f"{n}.png")
        Image.new("L", (80, 60)).save(tmp_path / "masks" / f"{n}.png")
    # 9: photo 2 again, smaller and slightly brighter
    copy = (
        Image.open(tmp_path / "images" / "2.png").resize((64, 48)).point(lambda v: min(255, v + 8))
    )
    copy.save(tmp_path / "images" / "9.png")
    Image.new("L", (64, 48)).save(tmp_path / "masks" / "9.png")
    result = scan(tmp_path)
    assert result.duplicate_groups == [["2", "9"]]
    assert hamming(result.hashes["2"], result.hashes["9"]) <= 4


shared = pytest.mark.skipif(not (SHARED / "Image").is_dir(), reason="no shared dataset copy")


@pytest.fixture(scope="module")
def shared_scan():
    """One header-only scan of the shared copy for the whole module (no decoding)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = scan_dataset(SHARED, duplicates=False, cache_dir=None)
    return result, [str(w.message) for w in caught]


@shared
def test_shared_copy_pairs_mismatches_and_orphans(shared_scan) -> None:
    result, messages = shared_scan
    assert len(result.pairs) == 286
    assert len(result.usable) == 279
    excluded = {p.id for p in result.excluded}
    assert excluded == {"14", "15", "2052", "2053", "1061", "1079", "3059"}
    assert {o.id for o in result.orphans} == {"1024", "1084", "2021", "3074"}
    assert any("7 pairs excluded" in m for m in messages)
    assert any("4 orphans" in m for m in messages)
    # the swaps are named: each mask has the size of the other photo
    reasons = {p.id: p.reason for p in result.excluded}
    assert "size of image 15" in reasons["14"] and "size of image 2052" in reasons["2053"]


@shared
def test_shared_copy_lying_extensions(shared_scan) -> None:
    result, _ = shared_scan
    assert result.formats["2017"] == "PNG" and result.formats["2"] == "PNG"
    assert sum(f == "WEBP" for f in result.formats.values()) == 41


@shared
def test_shared_copy_known_near_duplicates_hash_close() -> None:
    images = SHARED / "Image"
    near = hamming(dhash_file(images / "35.jpg"), dhash_file(images / "29.jpg"))
    far = hamming(dhash_file(images / "35.jpg"), dhash_file(images / "1021.jpg"))
    assert near <= 13 < far
