"""The mask survey: one histogram per mask (or why there is none), each mask's binary kind, the
classes' shares, and the fact-store round trip."""

from __future__ import annotations

import numpy as np
from PIL import Image

from unet_tutorial.data.cache import FactStore
from unet_tutorial.data.class_masks import class_mask_image
from unet_tutorial.data.classes import ClassTable
from unet_tutorial.data.survey import Histogram, describe_masks, mask_histogram

LABELS = np.array([[0, 1, 2, 2], [1, 1, 0, 2]], np.uint8)


def test_histograms_count_raw_values_or_name_the_problem(tmp_path):
    Image.fromarray(LABELS * 100).save(tmp_path / "grey.png")
    assert mask_histogram(tmp_path / "grey.png", "binary") == Histogram({0: 2, 100: 3, 200: 3})
    class_mask_image(LABELS, ClassTable.default(3)).save(tmp_path / "palette.png")
    assert mask_histogram(tmp_path / "palette.png", "binary") == Histogram(problem="palette")
    assert mask_histogram(tmp_path / "palette.png", "index") == Histogram({0: 2, 1: 3, 2: 3})
    rgb = np.zeros((2, 4, 3), np.uint8)
    rgb[0, 0] = (0, 0, 255)
    Image.fromarray(rgb).save(tmp_path / "colour.png")
    assert mask_histogram(tmp_path / "colour.png", "index") == Histogram(problem="colour")
    assert mask_histogram(tmp_path / "colour.png", "binary") == Histogram(problem="colour")
    assert mask_histogram(tmp_path / "colour.png", "colour") == Histogram({0: 7, 0x0000FF: 1})
    wide = np.arange(300 * 2, dtype=np.uint16).reshape(2, 300)
    Image.fromarray(wide).save(tmp_path / "wide.png")
    assert mask_histogram(tmp_path / "wide.png", "binary") == Histogram(problem="many")


def test_histogram_json_round_trip():
    for histogram in (Histogram({0: 5, 255: 7}), Histogram(problem="palette")):
        assert Histogram.from_json(histogram.to_json()) == histogram


def test_binary_kinds_and_foreground_share(tmp_path):
    items = []
    for name, values in (
        ("ones", (LABELS > 0).astype(np.uint8)),  # 0/1: 6 of 8 pixels foreground
        ("soft", np.array([[0, 100, 180, 255]] * 2, np.uint8)),  # 0/255: cut at 127
        ("classes", LABELS),
    ):
        Image.fromarray(values).save(tmp_path / f"{name}.png")
        items.append((name, tmp_path / f"{name}.png"))
    (tmp_path / "broken.png").write_text("no image")
    items.append(("broken", tmp_path / "broken.png"))
    report = describe_masks(items)
    assert report.kinds == {"0/1": 1, "0/255": 1, "class-like": 1, "unreadable": 1}
    assert report.examples["class-like"] == ["classes"]
    assert report.pixels == {0: 2 + 4, 1: 6 + 4}
    assert report.problems()
    alone = describe_masks([("classes", tmp_path / "classes.png")])
    assert alone.values == [0, 1, 2] and alone.problems()
    assert alone.to_dict()["advice"].startswith("the masks look multi-class: pass --classes 3")


def test_class_shares_and_unknown_values(tmp_path):
    table = ClassTable(("a", "b", "c"))
    for n in range(2):
        class_mask_image(LABELS, table).save(tmp_path / f"{n}.png")
    report = describe_masks([(str(n), tmp_path / f"{n}.png") for n in range(2)], table)
    assert report.pixels == {0: 4, 1: 6, 2: 6} and report.masks_with == {0: 2, 1: 2, 2: 2}
    assert not report.problems() and report.advice() is None
    report = describe_masks([("0", tmp_path / "0.png")], ClassTable.default(2))
    assert report.problems() and report.unknown == {"value 2": "0"}


def test_histograms_are_cached_in_the_fact_store(tmp_path):
    Image.fromarray(LABELS * 100).save(tmp_path / "m.png")
    facts = FactStore(tmp_path / "facts.json")
    first = describe_masks([("m", tmp_path / "m.png")], facts=facts)
    assert facts.get(tmp_path / "m.png", "mask_binary_values") == {"0": 2, "100": 3, "200": 3}
    again = describe_masks([("m", tmp_path / "m.png")], facts=FactStore(tmp_path / "facts.json"))
    assert again.kinds == first.kinds == {"0/255": 1}
    assert again.pixels == first.pixels == {0: 5, 1: 3}
