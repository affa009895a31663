"""Epoch callbacks for the :class:`~unet_tutorial.training.trainer.Trainer`.

A callback is called after each epoch as ``callback(trainer, record)``. One with
``state_dict()``/``load_state_dict()`` has its state saved in ``last.pt`` under its ``name``
attribute and restored on resume.
"""

from __future__ import annotations

from typing import Any

import torch

from unet_tutorial.inference import predict_logits


class PredictionRecorder:
    """Keeps the predicted water probability of one image after each epoch (the GIF's frames).

    Args:
        image: one normalized image ``3×H×W`` (usually from the validation split).

    After training, ``probabilities`` is a ``K×H×W`` uint8 tensor (0-255) for the K epochs,
    ``epochs`` and ``val_iou`` the matching epoch numbers and validation IoUs. Its state is
    saved in ``last.pt``, so the frames survive a resume.
    """

    name = "prediction_recorder"

    def __init__(self, image: torch.Tensor) -> None:
        if image.ndim != 3:
            raise ValueError(f"image must be 3×H×W, got shape {tuple(image.shape)}.")
        self.image = image
        self.frames: list[torch.Tensor] = []
        self.epochs: list[int] = []
        self.val_iou: list[float] = []

    def __call__(self, trainer: Any, record: dict[str, Any]) -> None:
        logits = predict_logits(trainer.scored_model, self.image.unsqueeze(0))[0, 0]
        self.frames.append((torch.sigmoid(logits) * 255).round().to(torch.uint8))
        self.epochs.append(int(record["epoch"]))
        self.val_iou.append(float(record["val_iou"]))

    @property
    def probabilities(self) -> torch.Tensor:
        """``K×H×W`` uint8 probabilities (0-255), one per recorded epoch."""
        if not self.frames:
            return torch.zeros(0, *self.image.shape[-2:], dtype=torch.uint8)
        return torch.stack(self.frames)

    def state_dict(self) -> dict[str, Any]:
        return {
            "probabilities": self.probabilities,
            "epochs": list(self.epochs),
            "val_iou": list(self.val_iou),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.frames = list(state["probabilities"].unbind(0)) if len(state["epochs"]) else []
        self.epochs = list(state["epochs"])
        self.val_iou = list(state["val_iou"])
