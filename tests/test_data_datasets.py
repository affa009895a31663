"""Datasets and loaders: your own folder in any format, item contract, native masks, seeding,
and the chapters' entry point with its synthetic fallback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from unet_tutorial.data.cache import DecodedCache
from unet_tutorial.data.datasets import FloodDataset, FolderDataset, make_loader
from unet_tutorial.data.load import load_flood_data, short_warnings, subset_split
from unet_tutorial.data.locate import DATA_ENV_VAR
from unet_tutorial.data.pairing import DatasetWarning, Pair
from unet_tutorial.data.split import grouped_split
from unet_tutorial.data.transforms import train_transforms
from unet_tutorial.profiles import get_profile

FORMATS = [
    ("a", "JPEG", ".jpg"),
    ("b", "PNG", ".png"),
    ("c", "WEBP", ".webp"),
    ("d", "TIFF", ".tif"),
    ("e", "BMP", ".bmp"),
]


def own_folder(root: Path, size: tuple[int, int] = (50, 30)) -> Path:
    """``images/`` in five formats, ``masks/`` as 0/255 PNG or 0/1 TIFF."""
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for n, (stem, fmt, suffix) in enumerate(FORMATS):
        Image.new("RGB", size, (40 * n, 100, 200)).save(root / "images" / f"{stem}{suffix}", fmt)
        mask = np.zeros((size[1], size[0]), np.uint8)
        mask[: size[1] // 2] = 1
        if n % 2:
            Image.fromarray(mask).save(root / "masks" / f"{stem}.tif")
        else:
            Image.fromarray(mask * 255).save(root / "masks" / f"{stem}.png")
    return root


def kaggle_folder(
    root: Path, count: int, mask_size: Callable[[int], tuple[int, int] | None]
) -> Path:
    """``root/Image/<n>.jpg`` (40×30 smooth noise) and ``root/Mask/<n>.png`` (all water for odd
    ``n``, none for even) for ``n < count``; ``mask_size(n)`` gives the mask's size, ``None``
    for no mask."""
    (root / "Image").mkdir(parents=True)
    (root / "Mask").mkdir()
    rng = np.random.default_rng(0)
    for n in range(count):
        pixels = Image.fromarray(rng.integers(0, 255, (6, 8, 3), dtype=np.uint8))
        pixels.resize((40, 30), Image.Resampling.BICUBIC).save(root / "Image" / f"{n}.jpg")
        size = mask_size(n)
        if size is not None:
            Image.new("L", size, 255 * (n % 2)).save(root / "Mask" / f"{n}.png")
    return root


def test_folder_dataset_any_format_and_item_contract(tmp_path: Path) -> None:
    dataset = FolderDataset(own_folder(tmp_path / "mine"), 16, cache_dir=None)
    assert dataset.ids == ["a", "b", "c", "d", "e"]
    for index in range(len(dataset)):
        image, mask, sample_id = dataset[index]
        assert image.shape == (3, 16, 16) and image.dtype == torch.float32
        assert mask.shape == (1, 16, 16) and mask.dtype == torch.float32
        assert mask[0, :8].eq(1).all() and mask[0, 8:].eq(0).all(), sample_id
    image, native, _ = dataset.native_item(2)
    assert image.shape == (3, 16, 16) and native.shape == (1, 30, 50)


def test_folder_dataset_warns_about_mismatched_pairs(tmp_path: Path) -> None:
    root = own_folder(tmp_path / "mine")
    Image.new("L", (10, 10)).save(root / "masks" / "a.png")
    with pytest.warns(DatasetWarning, match="1 pairs excluded: a"):
        dataset = FolderDataset(root, 16, cache_dir=None)
    assert "a" not in dataset.ids


def test_native_item_is_never_augmented(tmp_path: Path) -> None:
    root = own_folder(tmp_path / "mine")
    dataset = FolderDataset(root, 16, train_transforms(16, seed=0), cache_dir=None)
    first = dataset.native_item(0)[0]
    assert all(torch.equal(first, dataset.native_item(0)[0]) for _ in range(3))


def test_loader_order_and_augmentations_follow_the_seed(tmp_path: Path) -> None:
    root = own_folder(tmp_path / "mine")

    def run(seed: int, workers: int = 0) -> list:
        torch.manual_seed(seed)  # augmentations in the main process follow torch's generator
        dataset = FolderDataset(root, 16, train_transforms(16), cache_dir=None)
        batches = make_loader(dataset, 2, shuffle=True, seed=seed, num_workers=workers)
        return [(list(ids), images.sum().item()) for images, _, ids in batches]

    assert run(1) == run(1)
    assert run(1) != run(2)
    # in workers, augmentations follow the seeds the loader's generator gives them
    assert run(3, workers=2) == run(3, workers=2)


def test_augmentations_follow_torch_seed_per_sample(tmp_path: Path) -> None:
    dataset = FolderDataset(own_folder(tmp_path / "mine"), 16, train_transforms(16), cache_dir=None)
    torch.manual_seed(5)
    first = [dataset[i][0] for i in range(5)]
    dataset[0]  # draws more random numbers; the reseeding below must not care
    torch.manual_seed(5)
    assert all(torch.equal(a, dataset[i][0]) for i, a in enumerate(first))


def test_load_falls_back_to_synthetic_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.delenv(DATA_ENV_VAR, raising=False)
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    profile = get_profile("smoke").replace(image_size=32, max_samples=10)
    data = load_flood_data(profile)
    assert data.source == "synthetic" and not data.is_real
    assert "synthetic" in capsys.readouterr().out
    assert sum(data.sizes().values()) == 10
    image, mask, sample_id = data.train[0]
    assert image.shape == (3, 32, 32) and sample_id.startswith("synthetic-")
    assert data.manifest is not None and data.manifest.is_file()


def test_load_real_folder_splits_and_subsets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    root = kaggle_folder(tmp_path / "flood", 20, lambda n: (40, 30))
    monkeypatch.setenv(DATA_ENV_VAR, str(root))
    data = load_flood_data(get_profile("smoke").replace(image_size=16, max_samples=None))
    assert data.source == "real" and "real photos" in capsys.readouterr().out
    assert sum(data.sizes().values()) == 20
    data.train[0]
    assert len(list((tmp_path / "data" / "cache" / "decoded-16").glob("*.npy"))) == 1
    reused = load_flood_data(get_profile("smoke").replace(image_size=16), manifest=data.manifest)
    assert reused.split == data.split
    assert sum(reused.sizes().values()) == 16  # smoke's max_samples


def test_load_prints_short_warnings_naming_the_files_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Orphans and excluded pairs are counted and named by id, one short line each, with where
    to find the reasons; the per-file reasons themselves are not printed."""
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    # 12-23: photos without a mask; 3 and 7: a mask of another size
    root = kaggle_folder(
        tmp_path / "flood",
        24,
        lambda n: None if n >= 12 else (20, 30) if n in (3, 7) else (40, 30),
    )
    monkeypatch.setenv(DATA_ENV_VAR, str(root))
    data = load_flood_data(get_profile("smoke").replace(image_size=16, max_samples=None))
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == (
        "warning: 12 orphans left out (a file or a metadata.csv row without its partner): "
        "12, 13, 14, 15, 16, 17, 18, 19, 20, 21 and 2 more"
    )
    assert lines[2].startswith("warning: 2 pairs excluded: 3, 7 (2 with a mask of another size")
    assert "unet_tutorial inspect" in lines[3] and len(lines) == 4
    assert max(len(line) for line in lines[1:]) < 160
    assert "has no mask" in data.scan.orphans[0].reason  # the reasons stay with the data
    # a warning of another kind is printed whole, and no pointer to reasons is added for it
    assert short_warnings(data.scan, ["something else"]) == ["warning: something else"]


def test_subset_split_keeps_splits_disjoint() -> None:
    split = grouped_split([str(n) for n in range(100)], seed=0)
    small = subset_split(split, 16, seed=0)
    assert sum(small.sizes().values()) == 16 and min(small.sizes().values()) >= 1
    assert set(small.train) <= set(split.train) and set(small.test) <= set(split.test)
    with pytest.raises(ValueError, match="at least 3"):
        subset_split(split, 2)


def test_cache_size_must_match(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="32-pixel"):
        FloodDataset([Pair("1", tmp_path, tmp_path)], 16, cache=DecodedCache(32))


def test_pair_dataset_reads_binarises_transforms_and_returns_tensors(tmp_path: Path) -> None:
    from unet_tutorial.data.datasets import PairDataset
    from unet_tutorial.data.transforms import eval_transforms

    root = own_folder(tmp_path / "mine")
    pairs = FolderDataset(root, 16, cache_dir=None).pairs
    dataset = PairDataset(pairs, eval_transforms(16))
    image, mask, sample_id = dataset[0]
    assert len(dataset) == len(FORMATS) and sample_id == "a"
    assert image.shape == (3, 16, 16) and image.dtype == torch.float32
    assert mask.shape == (1, 16, 16) and mask.dtype == torch.float32
    assert mask[0, :8].eq(1).all() and mask[0, 8:].eq(0).all()  # the top half is water
    photo, raw = dataset.arrays(1)  # a 0/1 TIFF mask reads the same as a 0/255 PNG
    assert photo.shape == (30, 50, 3) and set(np.unique(raw)) == {0, 1}


def test_every_package_dataset_is_built_on_the_pair_dataset(tmp_path: Path) -> None:
    """The datasets keep PairDataset's ``__getitem__`` and only replace how arrays are read:
    served through the cache or read plainly, the same pair gives the same mask."""
    from unet_tutorial.data.datasets import PairDataset, SyntheticFloodDataset
    from unet_tutorial.data.transforms import eval_transforms

    assert issubclass(FloodDataset, PairDataset) and issubclass(SyntheticFloodDataset, PairDataset)
    root = own_folder(tmp_path / "mine")
    cached = FolderDataset(root, 16, cache_dir=None)
    plain = PairDataset(cached.pairs, eval_transforms(16))
    for index in range(len(cached)):
        assert torch.equal(cached[index][1], plain[index][1])
        assert cached[index][2] == plain[index][2]
        assert (cached[index][0] - plain[index][0]).abs().max() < 0.1
