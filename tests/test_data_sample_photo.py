"""The chapters' sample photo: shape, range, resizing, and the synthetic fallback."""

from __future__ import annotations

import pytest
import torch

from unet_tutorial.data import sample_photo


def test_photo_is_rgb_in_unit_range() -> None:
    photo = sample_photo.load_sample_photo()
    assert photo.dtype == torch.float32
    assert photo.shape[0] == 3 and photo.ndim == 3
    assert 0.0 <= photo.min() and photo.max() <= 1.0
    assert photo.std() > 0.05  # a picture, not a flat field


def test_gray_and_max_side() -> None:
    photo = sample_photo.load_sample_photo(gray=True, max_side=100)
    assert photo.shape[0] == 1
    assert max(photo.shape[1:]) == 100


def test_matplotlib_ships_the_photo() -> None:
    path = sample_photo.sample_photo_path()
    assert path is not None and path.name == "grace_hopper.jpg"
    assert sample_photo.load_sample_photo().shape == (3, 600, 512)


def test_fallback_when_the_photo_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sample_photo, "sample_photo_path", lambda: None)
    photo = sample_photo.load_sample_photo(gray=True)
    assert photo.shape == (1, 256, 256)
    assert photo.std() > 0.05


def test_bad_max_side() -> None:
    with pytest.raises(ValueError, match="max_side .* 0"):
        sample_photo.load_sample_photo(max_side=0)
