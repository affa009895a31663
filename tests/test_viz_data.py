"""Figures of chapter 7 and the facts behind them, on a tiny real-style folder and on the
synthetic default."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from unet_tutorial.data.load import load_flood_data  # noqa: E402
from unet_tutorial.data.locate import DATA_ENV_VAR  # noqa: E402
from unet_tutorial.data.report import dataset_facts, decode_cost  # noqa: E402
from unet_tutorial.data.transforms import train_transforms  # noqa: E402
from unet_tutorial.profiles import get_profile  # noqa: E402
from unet_tutorial.viz import data as viz  # noqa: E402


def test_overlay_tints_water_and_outlines_it() -> None:
    image = np.full((6, 6, 3), 100, np.uint8)
    mask = np.zeros((6, 6), np.uint8)
    mask[1:5, 1:5] = 1
    out = viz.overlay(image, mask)
    assert (out[0, 0] == 100).all()  # land untouched
    assert (out[1, 1] == viz.EDGE).all()  # edge of the water
    assert out[2, 2, 2] > 100 and out[2, 2, 0] < 100  # inside: tinted blue
    with pytest.raises(ValueError, match="differ in size"):
        viz.overlay(image, mask[:3])


def swapped_folder(root: Path) -> Path:
    """Four photos; the masks of a and b are swapped (each has the other's size)."""
    (root / "Image").mkdir(parents=True)
    (root / "Mask").mkdir()
    sizes = {"a": (60, 40), "b": (40, 60), "c": (50, 50), "d": (64, 48)}
    masks = {"a": sizes["b"], "b": sizes["a"], "c": sizes["c"], "d": sizes["d"]}
    rng = np.random.default_rng(0)
    for stem, size in sizes.items():
        pixels = rng.integers(0, 255, (4, 4, 3), dtype=np.uint8)
        Image.fromarray(pixels).resize(size).save(root / "Image" / f"{stem}.jpg")
        mask = np.zeros(masks[stem][::-1], np.uint8)
        mask[: mask.shape[0] // 2] = 255
        Image.fromarray(mask).save(root / "Mask" / f"{stem}.png")
    return root


def test_real_style_facts_and_figures(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    monkeypatch.setenv(DATA_ENV_VAR, str(swapped_folder(tmp_path / "flood")))
    profile = get_profile("smoke").replace(image_size=16, max_samples=None)
    data = load_flood_data(profile)
    assert "2 pairs excluded" in capsys.readouterr().out
    assert data.scan is not None and data.scan.swaps() == [("a", "b")]
    facts = dataset_facts(data)
    assert facts.source == "real" and facts.pairs == 4 and facts.usable == 2
    assert facts.water == {"c": 0.5, "d": 0.5}
    figures = [
        viz.plot_samples(data.all_samples, [0, 1]),
        viz.plot_sizes_and_water(facts, 16),
        viz.plot_swapped_pair(data.scan),
        viz.plot_duplicate_groups(data.scan, data.split),
    ]
    assert len(figures[2].axes) == 6  # two rows of photo, mask file, mask on the other photo
    for fig in figures:
        assert isinstance(fig, Figure)
        plt.close(fig)
    slow, cached = decode_cost(data.train, count=1)
    assert slow > 0 and cached >= 0


def test_synthetic_facts_and_figures(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    monkeypatch.delenv(DATA_ENV_VAR, raising=False)
    data = load_flood_data(
        get_profile("smoke").replace(image_size=16, max_samples=6), verbose=False
    )
    facts = dataset_facts(data)
    assert facts.source == "synthetic" and facts.usable == 6 and len(facts.water) == 6
    assert all(0 < w < 1 for w in facts.water.values())
    image, mask = data.all_samples.preview_arrays(0, max_side=64)
    assert max(image.shape[:2]) == 64 and image.shape[:2] == mask.shape
    pipeline = train_transforms(32, normalize=False, seed=0)
    for fig in (
        viz.plot_swapped_pair(data.scan),  # a note: nothing to show
        viz.plot_duplicate_groups(data.scan, data.split),
        viz.plot_augmentations(image, mask, pipeline, count=3),
    ):
        assert isinstance(fig, Figure)
        plt.close(fig)
