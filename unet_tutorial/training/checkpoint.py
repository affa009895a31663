"""Checkpoints: what the trainer writes after each epoch, and how it is read back safely.

A checkpoint is a dict of tensors and plain Python values (weights, optimiser state, history,
settings), so it loads with ``torch.load(weights_only=True)``, which refuses to run code hidden
in a file. Writes go to a temporary file first and are renamed, so an interruption never
leaves half a checkpoint behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

CHECKPOINT_FORMAT = 1
"""Version of the checkpoint layout; bumped when its keys change."""


class CheckpointError(ValueError):
    """A file that is not a usable checkpoint of this package."""


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by the :class:`~unet_tutorial.training.trainer.Trainer`.

    Raises:
        FileNotFoundError: when ``path`` does not exist (says how to create one).
        CheckpointError: when the file is not a checkpoint of this package (the message names
            the file and says which files to pass).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No checkpoint at {path}. Train a model first (`python -m unet_tutorial train`), "
            "which writes best.pt and last.pt into its run folder."
        )
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # pickle errors, truncated files, foreign objects
        # PyTorch's own message suggests weights_only=False, which would run whatever code the
        # file holds: only the error's kind is passed on.
        raise CheckpointError(
            f"{path} is not a checkpoint this package can read safely ({type(error).__name__}). "
            "Pass a best.pt or last.pt written by `python -m unet_tutorial train` or the book."
        ) from None
    if not isinstance(checkpoint, dict) or "model" not in checkpoint:
        raise CheckpointError(
            f"{path} is not a checkpoint of this package (no 'model' weights in it); "
            "pass a best.pt or last.pt written by `python -m unet_tutorial train` or the book."
        )
    return checkpoint


def cpu_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of the model's weights on the CPU, contiguous (independent of channels-last)."""
    return {k: v.detach().to("cpu", copy=True).contiguous() for k, v in model.state_dict().items()}


def atomic_save(obj: Any, path: Path) -> None:
    """``torch.save`` to a temporary file, then rename it to ``path``."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)
