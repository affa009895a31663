"""Training and running the networks.

- :mod:`.step` -- the forward pass every part shares, one optimisation step, precision and
  memory-layout choices per device.
- :mod:`.loop` -- :func:`train_one_epoch` and :func:`evaluate`, the two loops of training.
- :mod:`.trainer` -- :class:`Trainer`: the epochs, early stopping, checkpoints, resuming.
- :mod:`.progress` -- the lines a run prints (column titles, one per epoch, the closing line).
- :mod:`.checkpoint` -- reading and writing checkpoints safely.
- :mod:`.callbacks` -- epoch callbacks (the GIF's prediction recorder).
- :mod:`.speed` -- training and inference throughput.

(Inference at the photos' own size lives in :mod:`unet_tutorial.inference`.)
- :mod:`.sanity` -- the one-batch overfitting check.
"""

from unet_tutorial.training.checkpoint import CheckpointError, load_checkpoint
from unet_tutorial.training.loop import evaluate, train_one_epoch
from unet_tutorial.training.step import autocast_dtype, forward, make_adam, train_step
from unet_tutorial.training.trainer import FitResult, TrainConfig, Trainer, learning_rate

__all__ = [
    "CheckpointError",
    "FitResult",
    "TrainConfig",
    "Trainer",
    "autocast_dtype",
    "evaluate",
    "forward",
    "learning_rate",
    "load_checkpoint",
    "make_adam",
    "train_one_epoch",
    "train_step",
]
