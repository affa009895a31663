"""Augmentations keep image and mask aligned; colour before Normalize; denormalize inverts it."""

from __future__ import annotations

import warnings

import albumentations as A
import numpy as np
import pytest
import torch

from unet_tutorial.data.transforms import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    denormalize,
    eval_transforms,
    original_transforms,
    train_transforms,
)


def shapes_image(seed: int = 0, size: int = 96) -> tuple[np.ndarray, np.ndarray]:
    """An image whose mask can be read off it: red 255 inside random shapes, 0 outside;
    green and blue are noise. Returns ``(image H×W×3 uint8, mask H×W uint8)``."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:size, 0:size]
    mask = np.zeros((size, size), bool)
    for _ in range(4):
        cy, cx, r = rng.integers(10, size - 10, 2).tolist() + [int(rng.integers(5, 18))]
        mask |= (rows - cy) ** 2 + (cols - cx) ** 2 < r * r
    mask[5:20, 60:90] = True  # an asymmetric bar, so every flip changes the mask
    image = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    image[..., 0] = np.where(mask, 255, 0)
    return image, mask.astype(np.uint8)


def red_mask(red: np.ndarray) -> np.ndarray:
    """Mask read off the red channel, with a threshold halfway between its extremes (colour
    changes are monotonic per image, so shapes stay brighter than the background)."""
    return (red > (red.min() + red.max()) / 2).astype(np.uint8)


@pytest.mark.parametrize("shift_scale_rotate", [False, True])
def test_geometric_augmentations_keep_mask_aligned(shift_scale_rotate: bool) -> None:
    image, mask = shapes_image(size=64)
    pipeline = train_transforms(
        64, shift_scale_rotate=shift_scale_rotate, color=False, normalize=False, seed=3
    )
    seen = set()
    for _ in range(12):
        out = pipeline(image=image, mask=mask)
        assert set(np.unique(out["mask"])) <= {0, 1}
        agreement = (red_mask(out["image"][..., 0]) == out["mask"]).mean()
        # flips move whole pixels: exact; rotations interpolate the image at shape edges
        assert agreement > (0.98 if shift_scale_rotate else 0.999999)
        seen.add(out["mask"].tobytes())
    assert len(seen) > 1, "the augmentation never changed anything"


def test_downscaling_keeps_mask_aligned() -> None:
    image, mask = shapes_image(size=96)
    out = train_transforms(48, color=False, normalize=False, seed=1)(image=image, mask=mask)
    assert (red_mask(out["image"][..., 0]) == out["mask"]).mean() > 0.96


def test_full_pipeline_aligned_after_colour_and_normalize() -> None:
    image, mask = shapes_image(seed=1, size=64)
    pipeline = train_transforms(64, shift_scale_rotate=True, seed=0)
    for _ in range(8):
        out = pipeline(image=image, mask=mask)
        assert out["image"].shape == (3, 64, 64) and out["image"].dtype == torch.float32
        red = denormalize(out["image"])[0].numpy()
        assert (red_mask(red) == out["mask"].numpy()).mean() > 0.98


def test_colour_change_comes_before_normalize() -> None:
    names = [type(t).__name__ for t in train_transforms(32)]
    assert names.index("RandomBrightnessContrast") < names.index("Normalize")
    flips = [t for t in train_transforms(32) if isinstance(t, A.HorizontalFlip | A.VerticalFlip)]
    assert [(type(t).__name__, t.p) for t in flips] == [("HorizontalFlip", 0.5)]


def test_seeded_steps_are_independent() -> None:
    """albumentations 2 gives every transform of ``Compose(seed=...)`` the same seed, which
    makes two steps of one probability always agree (the original's two flips); the package's
    seeding must not: the original's flips, reseeded, reach all four corners."""
    marker = np.zeros((4, 4, 3), np.uint8)
    marker[0, 0] = 255
    pipeline = original_transforms(4, seed=0)
    corners = set()
    for _ in range(60):
        out = pipeline(image=marker, mask=np.zeros((4, 4), np.uint8))["image"][0]
        corners.add(tuple(np.argwhere(out.numpy() == out.numpy().max())[0]))
    assert corners == {(0, 0), (0, 3), (3, 0), (3, 3)}


def test_no_deprecation_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipeline = train_transforms(32, shift_scale_rotate=True, seed=0)
        pipeline(image=np.zeros((40, 40, 3), np.uint8), mask=np.zeros((40, 40), np.uint8))


def test_eval_resizes_masks_by_nearest_neighbour() -> None:
    image, mask = shapes_image(size=97)
    out = eval_transforms(40)(image=image, mask=mask)
    assert out["image"].shape == (3, 40, 40)
    assert set(np.unique(out["mask"].numpy())) <= {0, 1}


def test_denormalize_inverts_normalize() -> None:
    pixels = torch.rand(2, 3, 5, 7)
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    assert torch.allclose(denormalize((pixels - mean) / std), pixels, atol=1e-6)
    with pytest.raises(ValueError, match="3×H×W"):
        denormalize(torch.zeros(4, 5))
