"""The overlay tint that ``predict`` and the book's class overlays share."""

from __future__ import annotations

import numpy as np

from unet_tutorial.data.classes import ClassTable
from unet_tutorial.viz.overlay import tint
from unet_tutorial.viz.palette import OVERLAY_ALPHA, WATER


def test_water_is_tinted_and_the_rest_kept():
    rng = np.random.default_rng(2)
    region = rng.integers(0, 256, (7, 19, 3), dtype=np.uint8)
    water = (rng.random((7, 19)) > 0.5).astype(np.uint8)
    painted = tint(region, water, None)
    pixels = region.astype(np.float32)  # the arithmetic of predict, in float32
    expected = (1 - OVERLAY_ALPHA) * pixels + OVERLAY_ALPHA * np.asarray(WATER, np.float32)
    assert np.array_equal(painted[water == 1], expected.round().astype(np.uint8)[water == 1])
    assert np.array_equal(painted[water == 0], region[water == 0])
    bgr = tint(np.ascontiguousarray(region[..., ::-1]), water, None, bgr=True)
    assert np.array_equal(bgr[..., ::-1], painted)


def test_classes_but_class_0_are_tinted_in_their_display_colours():
    region = np.full((2, 3, 3), 100, np.uint8)
    classes = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
    table = ClassTable(("bg", "a", "b"), display=((0, 0, 0), (200, 0, 0), (0, 0, 200)))
    painted = tint(region, classes, table)
    assert painted[0, 0].tolist() == [100, 100, 100]
    assert painted[0, 1].tolist() == [155, 45, 45]  # 0.45 * 100 + 0.55 * 200 = 155
    assert painted[0, 2].tolist() == [45, 45, 155]
