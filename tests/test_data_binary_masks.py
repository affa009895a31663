"""Binary masks: the one rule (0/1 or 0/255 with anti-aliased edges) and its refusals of
class masks, palette masks and colour masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from unet_tutorial.data.binary_masks import (
    binarize_mask,
    binary_kind,
    binary_mask_values,
    class_like_values,
    read_mask,
)
from unet_tutorial.data.class_masks import class_mask_image
from unet_tutorial.data.classes import ClassTable
from unet_tutorial.data.io import CorruptFileError, MaskValuesError

LABELS = np.array([[0, 1, 2, 2], [1, 1, 0, 2]], np.uint8)


def antialiased_mask() -> np.ndarray:
    values = np.zeros((10, 10), np.uint8)
    values[:, 5:] = 255
    values[:, 4] = 100  # anti-aliased edge: below half, background
    values[:, 5] = 180  # above half, water
    return values


def test_mask_0_255_with_antialiasing_thresholds_at_127(tmp_path: Path) -> None:
    Image.fromarray(antialiased_mask()).save(tmp_path / "m.png")
    mask = read_mask(tmp_path / "m.png")
    assert mask.dtype == np.uint8 and set(np.unique(mask)) == {0, 1}
    assert mask[:, :5].sum() == 0 and mask[:, 5:].all()


def test_mask_0_1_counts_every_nonzero_pixel(tmp_path: Path) -> None:
    values = (antialiased_mask() > 127).astype(np.uint8)  # stored as 0/1
    Image.fromarray(values).save(tmp_path / "m.png")
    assert np.array_equal(read_mask(tmp_path / "m.png"), values)


def test_mask_rule_on_arrays() -> None:
    assert binarize_mask(np.array([[0, 1]])).tolist() == [[0, 1]]
    assert binarize_mask(np.array([[0, 127, 128, 255]])).tolist() == [[0, 0, 1, 1]]
    assert binarize_mask(np.zeros((2, 2))).sum() == 0
    with pytest.raises(ValueError, match="2-D"):
        binarize_mask(np.zeros((2, 2, 3)))


def test_rgb_mask_is_read_as_grey(tmp_path: Path) -> None:
    Image.fromarray(antialiased_mask()).convert("RGB").save(tmp_path / "m.jpg", "PNG")
    assert read_mask(tmp_path / "m.jpg")[:, 5:].all()


def test_binary_kind_is_decided_by_the_largest_value() -> None:
    assert [binary_kind(top) for top in (0, 1, 2, 127, 128, 255, 65535)] == [
        "0/1",
        "0/1",
        "class-like",
        "class-like",
        "0/255",
        "0/255",
        "0/255",
    ]
    assert class_like_values(LABELS) is not None and class_like_values(LABELS * 255) is None


def test_binary_reading_refuses_class_masks_instead_of_binarising_them(tmp_path: Path) -> None:
    with pytest.raises(MaskValuesError, match="--classes 3") as refused:
        binarize_mask(LABELS)
    assert refused.value.kind == "class-like"
    Image.fromarray(LABELS).save(tmp_path / "m.png")
    with pytest.raises(MaskValuesError, match="m.png") as refused:
        read_mask(tmp_path / "m.png")
    assert refused.value.kind == "class-like"
    class_mask_image(LABELS, ClassTable.default(3)).save(tmp_path / "p.png")
    with pytest.raises(MaskValuesError, match="palette mask using 3 palette entries") as refused:
        read_mask(tmp_path / "p.png")
    assert refused.value.kind == "palette"
    red = np.zeros((2, 4, 3), np.uint8)
    red[:, 2:] = (255, 0, 0)
    Image.fromarray(red).save(tmp_path / "red.png")
    with pytest.raises(MaskValuesError, match="colour mask") as refused:
        read_mask(tmp_path / "red.png")
    assert refused.value.kind == "colour"
    # 0/1, 0/255 and anti-aliased masks stay binary
    Image.fromarray((LABELS > 0).astype(np.uint8)).save(tmp_path / "01.png")
    assert read_mask(tmp_path / "01.png").sum() == 6


def test_binary_mask_values_keep_16_bit_values(tmp_path: Path) -> None:
    Image.fromarray(np.array([[0, 300], [65535, 0]], np.uint16)).save(tmp_path / "m.png")
    with Image.open(tmp_path / "m.png") as image:
        assert binary_mask_values(tmp_path / "m.png", image).tolist() == [[0, 300], [65535, 0]]
    assert read_mask(tmp_path / "m.png").tolist() == [[0, 1], [1, 0]]


def test_undecodable_mask_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    with pytest.raises(CorruptFileError, match="notes.png"):
        read_mask(path)
