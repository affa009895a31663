"""Reading multi-class masks by value (grey, 16-bit, palette indices) or by colour, and writing
them as palette PNGs."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from unet_tutorial.data.class_masks import (
    MaskReader,
    class_mask_image,
    color_keys,
    index_values,
    read_class_mask,
)
from unet_tutorial.data.classes import ClassTable
from unet_tutorial.data.io import CorruptFileError, MaskValuesError

LABELS = np.array([[0, 1, 2, 2], [1, 1, 0, 2]], np.uint8)


@pytest.mark.parametrize("kind", ["L", "P", "I;16"])
def test_index_masks_are_read_by_value_not_by_palette_colour(tmp_path, kind):
    path = tmp_path / "m.png"
    table = ClassTable(("a", "b", "c"))
    if kind == "P":
        image = class_mask_image(LABELS, table)  # colours grey, blue, orange
    elif kind == "L":
        image = Image.fromarray(LABELS)
    else:
        image = Image.fromarray(LABELS.astype(np.uint16))
    image.save(path)
    assert np.array_equal(read_class_mask(path, table), LABELS)


def test_class_mask_image_is_a_palette_png_in_the_display_colours(tmp_path):
    table = ClassTable(("a", "b", "c"), display=((1, 2, 3), (4, 5, 6), (7, 8, 9)))
    class_mask_image(LABELS, table).save(tmp_path / "p.png")
    with Image.open(tmp_path / "p.png") as image:
        assert image.mode == "P"
        assert np.array_equal(np.asarray(image), LABELS)
        assert np.array_equal(np.asarray(image.convert("RGB"))[0, 1], (4, 5, 6))


def test_value_tables_and_colour_masks(tmp_path):
    Image.fromarray(LABELS + 1).save(tmp_path / "trimap.png")  # values 1, 2, 3
    table = ClassTable(("pet", "bg", "border"), values=(1, 2, 3))
    assert np.array_equal(read_class_mask(tmp_path / "trimap.png", table), LABELS)
    colours = ClassTable.from_color_options(["0,0,0=0", "0,0,255=1", "255,0,0=2"])
    rgb = np.asarray(colours.colors, np.uint8)[LABELS]
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    assert np.array_equal(read_class_mask(tmp_path / "rgb.png", colours), LABELS)
    with Image.open(tmp_path / "rgb.png") as image:
        assert color_keys(tmp_path / "rgb.png", image)[0, 1] == 0x0000FF


def test_unknown_values_are_named_with_advice(tmp_path):
    Image.fromarray(LABELS).save(tmp_path / "m.png")
    with pytest.raises(MaskValuesError, match=r"m.png.*value\(s\) 2 .*--classes 3"):
        read_class_mask(tmp_path / "m.png", ClassTable.default(2))
    Image.fromarray((LABELS > 0).astype(np.uint8) * 255).save(tmp_path / "b.png")
    with pytest.raises(MaskValuesError, match="binary: leave out --classes"):
        read_class_mask(tmp_path / "b.png", ClassTable.default(2))
    rgb = np.zeros((2, 4, 3), np.uint8)
    rgb[0, 0] = (10, 20, 30)
    Image.fromarray(rgb).save(tmp_path / "c.png")
    with pytest.raises(MaskValuesError, match="colour mask") as refused:
        read_class_mask(tmp_path / "c.png", ClassTable.default(2))
    assert refused.value.kind == "colour"
    with Image.open(tmp_path / "c.png") as image, pytest.raises(MaskValuesError):
        index_values(tmp_path / "c.png", image)


def test_a_tables_reader_reads_with_the_table_and_has_a_cache_key(tmp_path):
    table = ClassTable(("pet", "bg", "border"), values=(1, 2, 3))
    Image.fromarray(LABELS + 1).save(tmp_path / "m.png")
    reader = table.reader
    assert isinstance(reader, MaskReader) and reader is table.reader
    assert np.array_equal(reader(tmp_path / "m.png"), LABELS)
    assert reader.key == f"classes-{table.key}"
    assert ClassTable(("a", "b", "c")).reader.key != reader.key


def test_undecodable_class_mask_names_the_file(tmp_path):
    (tmp_path / "m.png").write_text("not a png")
    with pytest.raises(CorruptFileError, match="m.png"):
        read_class_mask(tmp_path / "m.png", ClassTable.default(2))
