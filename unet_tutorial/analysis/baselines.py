"""Baselines a trained model must beat: predicting water everywhere, and the water share."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from unet_tutorial.evaluation import evaluate_native


class AllWater(nn.Module):
    """A "model" that marks every pixel as water: N×3×H×W → N×1×H×W logits of +10.

    Its scores are the floor any trained model must beat: with much water in the test photos,
    predicting water everywhere already gives a sizeable IoU.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full_like(x[:, :1], 10.0)


def all_water_scores(dataset: Any) -> dict[str, float]:
    """Test scores of :class:`AllWater` at the photos' original resolution (micro and per image,
    keys as in :func:`~unet_tutorial.evaluation.evaluate_native`)."""
    return evaluate_native(AllWater(), dataset, device=torch.device("cpu")).summary


def water_share(dataset: Any) -> float:
    """The fraction of water pixels over all masks of a split (at the dataset's S×S)."""
    if len(dataset) == 0:
        raise ValueError("water_share needs a non-empty dataset.")
    water = sum(float(dataset[i][1].sum()) for i in range(len(dataset)))
    pixels = sum(dataset[i][1].numel() for i in range(len(dataset)))
    return water / pixels
