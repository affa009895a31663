"""Is one network better than another on the same test photos? A paired bootstrap.

Two networks scored on the same photos are not independent: a photo that is hard for one is
usually hard for the other. Comparing their separate bootstrap intervals ignores that and calls
many real differences undecided (and overlapping intervals are not the test). The paired
bootstrap resamples the photos once per draw, computes both networks' micro scores on the same
draw, and keeps the difference; its percentile interval says how far the difference could move
with another test set of the same size. An interval that excludes 0 ranks the two on this test
set (one run each: it says nothing about another seed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from unet_tutorial.metrics import scores_from_counts


@dataclass(frozen=True)
class PairedDifference:
    """The difference ``first - second`` of a micro score, with its paired bootstrap interval.

    Attributes:
        difference: the difference on the whole test split.
        low, high: the percentile interval of the difference over the draws.
        level: the interval's coverage (0.95 for 95 %).
    """

    difference: float
    low: float
    high: float
    level: float

    @property
    def decided(self) -> bool:
        """Whether the interval excludes 0 (the sign of the difference holds on resampling)."""
        return self.low > 0 or self.high < 0


def paired_bootstrap(
    first: Any,
    second: Any,
    key: str = "iou",
    *,
    samples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> PairedDifference:
    """The paired bootstrap of ``first``'s micro ``key`` score minus ``second``'s.

    Args:
        first, second: binary evaluations of the same photos
            (:class:`~unet_tutorial.evaluation.NativeEvaluation`: ``ids`` and per-image
            ``counts`` ``[tp, fp, fn, tn]``).
        key: a score of :func:`~unet_tutorial.metrics.scores_from_counts` (``"iou"``, ...).

    Raises:
        ValueError: the two evaluations are not of the same photos in the same order.
    """
    if list(first.ids) != list(second.ids):
        raise ValueError(
            "a paired comparison needs both networks scored on the same photos in the same "
            "order; evaluate both on the same test split."
        )
    a = torch.tensor(first.counts, dtype=torch.float64)
    b = torch.tensor(second.counts, dtype=torch.float64)
    generator = torch.Generator().manual_seed(seed)
    draws = torch.randint(len(a), (samples, len(a)), generator=generator)
    differences = (
        scores_from_counts(a[draws].sum(1))[key] - scores_from_counts(b[draws].sum(1))[key]
    )
    tail = (1 - level) / 2
    low, high = torch.quantile(differences, torch.tensor([tail, 1 - tail], dtype=torch.float64))
    whole = scores_from_counts(a.sum(0))[key] - scores_from_counts(b.sum(0))[key]
    return PairedDifference(float(whole), float(low), float(high), level)
