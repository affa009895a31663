"""Inference: the one path from images to logits that evaluation, figures and ``predict`` share.

The network sees every photo shrunk to S×S (:func:`unet_tutorial.data.transforms.photo_to_input`
prepares it exactly as the datasets do for training). A flood map is wanted at the photo's own
size, so the S×S **logits** are resized bilinearly to the photo's H×W before thresholding:
resizing logits rather than a thresholded mask keeps the boundary smooth.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from unet_tutorial.training.step import forward


def upsample_logits(logits: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinearly resize logits ``N×C×h×w`` to ``N×C×H×W`` (``size = (H, W)``)."""
    if tuple(logits.shape[-2:]) == tuple(size):
        return logits
    return F.interpolate(logits, size=size, mode="bilinear", align_corners=False)


@torch.no_grad()
def predict_logits(
    model: nn.Module, images: torch.Tensor, size: tuple[int, int] | None = None
) -> torch.Tensor:
    """The model's logits for normalized images ``N×3×S×S``, in eval mode.

    Args:
        model: any network of :mod:`unet_tutorial.models`, on the device to run on.
        images: the batch (moved to the model's device by :func:`~.step.forward`).
        size: ``(H, W)`` to resize the logits to (bilinear, on the model's device); ``None``
            keeps S×S.

    Returns:
        ``N×C×H×W`` float32 logits on the CPU.
    """
    model.eval()
    logits = forward(model, images)
    if size is not None:
        logits = upsample_logits(logits, size)
    return logits.cpu()
