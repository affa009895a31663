"""Training and running the networks.

- :mod:`.step` -- the forward pass every part shares, one optimisation step, precision and
  memory-layout choices per device.
- :mod:`.trainer` -- :class:`Trainer`: the epoch loop, early stopping, checkpoints, resuming.
- :mod:`.checkpoint` -- reading and writing checkpoints safely.
- :mod:`.callbacks` -- epoch callbacks (the GIF's prediction recorder).
- :mod:`.inference` -- logits for a batch, resized to the photos' own size.
- :mod:`.speed` -- training and inference throughput.
- :mod:`.sanity` -- the one-batch overfitting check.
"""

from unet_tutorial.training.checkpoint import CheckpointError, load_checkpoint
from unet_tutorial.training.inference import predict_logits, upsample_logits
from unet_tutorial.training.step import autocast_dtype, forward, make_adam, train_step
from unet_tutorial.training.trainer import FitResult, TrainConfig, Trainer, learning_rate

__all__ = [
    "CheckpointError",
    "FitResult",
    "TrainConfig",
    "Trainer",
    "autocast_dtype",
    "forward",
    "learning_rate",
    "load_checkpoint",
    "make_adam",
    "predict_logits",
    "train_step",
    "upsample_logits",
]
