"""What the attention gates of a trained Attention U-Net look at (chapter 11)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from unet_tutorial import models


@dataclass
class AttentionExamples:
    """Test photos with the Attention U-Net's coefficients, ready for ``plot_attention_maps``.

    Attributes:
        ids: the photos' sample ids.
        water: the fraction of each photo's pixels that are water.
        images: display images, S×S×3 floats in [0, 1].
        masks: true masks, S×S arrays of 0/1.
        attention: per photo, G×S×S coefficients of the chosen gates, upsampled to S×S.
        gate_names: what each gate sees, e.g. ``"1/1"`` (full resolution) or ``"1/8"``.
    """

    ids: list[str]
    water: list[float]
    images: list[Any]
    masks: list[Any]
    attention: list[Any]
    gate_names: list[str]


def attention_examples(
    model: models.AttentionUNet, dataset: Any, count: int = 3, gates: Sequence[int] = (0, -1)
) -> AttentionExamples:
    """The coefficients of some of ``model``'s gates on ``count`` photos of ``dataset``.

    The photos are spread over the range of water fractions (from the least to the most water),
    so that the figure shows both a little and a lot of flood. ``gates`` index
    :attr:`AttentionUNet.last_attention` (0: the finest, full-resolution gate; -1: the coarsest).
    """
    from unet_tutorial.data import denormalize

    if len(dataset) == 0:
        raise ValueError("attention_examples needs a non-empty dataset.")
    samples = [dataset[i] for i in range(len(dataset))]
    order = sorted(range(len(samples)), key=lambda i: (float(samples[i][1].mean()), i))
    count = min(count, len(order))
    picks = [order[round(k * (len(order) - 1) / max(count - 1, 1))] for k in range(count)]
    picks = list(dict.fromkeys(picks))  # a tiny split may pick one photo twice
    images = torch.stack([samples[i][0] for i in picks])
    maps = model.attention_maps(images.to(next(model.parameters()).device), upsample=True)
    chosen = [maps[g].cpu() for g in gates]
    levels = [g % len(maps) for g in gates]
    return AttentionExamples(
        ids=[str(samples[i][2]) for i in picks],
        water=[float(samples[i][1].mean()) for i in picks],
        images=list(denormalize(images).permute(0, 2, 3, 1).numpy()),
        masks=[samples[i][1][0].numpy() for i in picks],
        attention=[torch.cat([m[n] for m in chosen]).numpy() for n in range(len(picks))],
        gate_names=["1/1" if level == 0 else f"1/{2**level}" for level in levels],
    )


def attention_on_water(model: models.AttentionUNet, dataset: Any) -> dict[str, tuple[float, float]]:
    """Mean attention coefficient of each gate on water pixels and on the other pixels.

    Returns ``{gate: (mean on water, mean elsewhere)}`` over all photos of ``dataset`` at its
    S×S size, gates named by their resolution (``"1/1"`` the finest). A gate that has learned to
    let water features through has the first number above the second; a mean over no pixel
    (a split without water) is NaN.
    """
    if len(dataset) == 0:
        raise ValueError("attention_on_water needs a non-empty dataset.")
    images = torch.stack([dataset[i][0] for i in range(len(dataset))])
    water = torch.stack([dataset[i][1] for i in range(len(dataset))]) > 0.5
    device = next(model.parameters()).device
    maps = model.attention_maps(images.to(device), upsample=True)
    result = {}
    for level, alpha in enumerate(maps):
        alpha = alpha.cpu()
        on_water = float(alpha[water].mean())
        elsewhere = float(alpha[~water].mean())
        result[f"1/{2**level}"] = (on_water, elsewhere)
    return result
