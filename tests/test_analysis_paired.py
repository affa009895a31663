"""unet_tutorial.analysis.paired: the paired bootstrap of a score difference."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from unet_tutorial.analysis.paired import paired_bootstrap


def evaluation(counts) -> SimpleNamespace:
    return SimpleNamespace(ids=[f"p{i}" for i in range(len(counts))], counts=counts)


def test_the_difference_and_its_interval_match_a_hand_computed_bootstrap() -> None:
    rng = np.random.default_rng(0)
    a = [[int(t), int(f), int(n), 100] for t, f, n in rng.integers(1, 50, (12, 3))]
    b = [[t - 1, f + 2, n + 1, tn] for t, f, n, tn in a]  # b is a little worse on every photo
    result = paired_bootstrap(evaluation(a), evaluation(b), samples=500, seed=3)

    def iou(rows):
        tp, fp, fn = (sum(r[i] for r in rows) for i in range(3))
        return tp / (tp + fp + fn)

    assert result.difference == pytest.approx(iou(a) - iou(b))
    assert result.difference > 0 and result.decided and result.low > 0
    assert result.low <= result.difference <= result.high


def test_identical_networks_differ_by_exactly_nothing() -> None:
    counts = [[5, 1, 2, 30], [0, 3, 0, 40], [7, 0, 1, 20]]
    result = paired_bootstrap(evaluation(counts), evaluation(counts), samples=200)
    assert (result.difference, result.low, result.high) == (0.0, 0.0, 0.0)
    assert not result.decided


def test_other_photos_are_refused() -> None:
    other = SimpleNamespace(ids=["x", "y"], counts=[[1, 0, 0, 1], [1, 0, 0, 1]])
    with pytest.raises(ValueError, match="same photos"):
        paired_bootstrap(evaluation([[1, 0, 0, 1], [1, 0, 0, 1]]), other)
