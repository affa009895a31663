"""What the frames of a training GIF show, in numbers (chapter 8).

The :class:`~unet_tutorial.training.callbacks.PredictionRecorder` keeps the predicted water
probability of one validation photo after every epoch. :func:`frame_scores` measures each
frame: the IoU of that photo's prediction with its mask (at the training size), the share of
its pixels the network is unsure about (probability between 0.2 and 0.8: grey in the GIF), and
the validation IoU of the whole split at that epoch. :func:`print_frames` prints the first and
the last frame and the one with the best validation IoU, so that a sentence about the animation
can point at numbers instead of at an impression.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from unet_tutorial.metrics import confusion_counts, scores_from_counts

#: Probabilities in this open interval count as "unsure" (grey in the GIF).
UNSURE = (0.2, 0.8)


@dataclass(frozen=True)
class FrameScore:
    """One frame of the GIF.

    Attributes:
        epoch: the epoch after which the prediction was made.
        photo_iou: IoU of the photo's predicted water (probability > 0.5) with its mask.
        unsure: share of the photo's pixels with a probability between 0.2 and 0.8.
        val_iou: validation IoU of the whole split after that epoch.
    """

    epoch: int
    photo_iou: float
    unsure: float
    val_iou: float


def frame_scores(recorder: Any, mask: torch.Tensor) -> list[FrameScore]:
    """Score every frame a ``PredictionRecorder`` kept against the photo's ``mask``
    (``1×S×S`` or ``S×S`` of 0 and 1, at the recorder's image size)."""
    probabilities = recorder.probabilities.float().cpu() / 255
    if len(probabilities) == 0:
        raise ValueError("the recorder holds no frame: was it passed to the trainer?")
    mask = torch.as_tensor(mask).reshape(probabilities.shape[-2:])
    truth = mask.expand_as(probabilities)
    counts = confusion_counts(probabilities, truth, kind="probabilities")
    ious = scores_from_counts(counts)["iou"]
    low, high = UNSURE
    unsure = ((probabilities > low) & (probabilities < high)).float().mean((1, 2))
    return [
        FrameScore(int(epoch), float(iou), float(share), float(val))
        for epoch, iou, share, val in zip(
            recorder.epochs, ious, unsure, recorder.val_iou, strict=True
        )
    ]


def key_frames(frames: Sequence[FrameScore]) -> dict[str, FrameScore]:
    """The first frame, the one with the best validation IoU, and the last."""
    best = max(frames, key=lambda f: f.val_iou)
    return {"first": frames[0], "best val IoU": best, "last": frames[-1]}


def print_frames(frames: Sequence[FrameScore]) -> None:
    """One line per key frame (see :func:`key_frames`)."""
    print(f"{'frame':>12}  {'epoch':>5}  {'photo IoU':>9}  {'unsure pixels':>13}  {'val IoU':>7}")
    for name, frame in key_frames(frames).items():
        print(
            f"{name:>12}  {frame.epoch:>5}  {frame.photo_iou:>9.3f}"
            f"  {frame.unsure:>13.1%}  {frame.val_iou:>7.3f}"
        )
