"""Training a binary segmentation network: the loop, early stopping, checkpoints and resuming.

The loop does what the original tutorial meant to do, with its defects fixed:

- Adam on the parameters that require gradients (a frozen encoder stays frozen);
- ``BCEWithLogitsLoss`` on the single flood logit, or BCE + soft Dice (``loss="bce+dice"``);
- each optimisation step is :func:`unet_tutorial.fast.train_step`, the package's fast step: on
  CUDA channels-last and ``torch.autocast`` (bfloat16 where the GPU supports it, else float16
  with ``torch.amp.GradScaler("cuda")``), on the CPU float32 in the layout measured fastest there;
- early stopping on the **validation** split (never the test split) with a patience and a
  minimum number of epochs, the best weights restored at the end;
- a record per epoch (train loss, validation loss, IoU and Dice, seconds) and one compact line
  per epoch on stdout, which shows live in Jupyter and Colab and renders as plain text in the book;
- ``best.pt`` and ``last.pt`` in a run folder, loadable with ``torch.load(weights_only=True)``;
  ``resume=True`` continues from ``last.pt`` with the same history, optimizer state and random
  streams, so an interrupted run (a Colab disconnect) ends exactly as an uninterrupted one.

Reproducibility: every epoch re-seeds Python, NumPy, PyTorch and the loader's generator from
``seed`` and the epoch number, so an epoch's shuffling, augmentation and dropout depend only on
the seed and the epoch, not on what ran before (that is what makes resuming exact).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from unet_tutorial.fast import (
    autocast,
    autocast_dtype,
    make_adam,
    make_grad_scaler,
    memory_format_for,
    prepare_training,
    train_step,
)
from unet_tutorial.metrics import SegmentationMetrics
from unet_tutorial.runtime import default_device

LossName = Literal["bce", "bce+dice"]
Monitor = Literal["val_loss", "val_iou"]

CHECKPOINT_FORMAT = 1
"""Version of the checkpoint layout; bumped when its keys change."""

SCHEDULES: tuple[str, ...] = ("constant", "cosine")
"""Learning-rate schedules :class:`TrainConfig` accepts."""

HISTORY_KEYS: tuple[str, ...] = (
    "epoch",
    "train_loss",
    "val_loss",
    "val_iou",
    "val_dice",
    "seconds",
)
"""The keys of each per-epoch record, in the order the progress line shows them."""


# --------------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------------


class SoftDiceLoss(nn.Module):
    """``1 - Dice`` computed on probabilities, so that it has a gradient.

    Dice is computed over the whole batch (all pixels together), which keeps it defined for
    images without water. ``smooth`` avoids 0/0 for an all-empty batch.

    Shapes: logits and targets ``N×1×H×W``; returns a scalar.
    """

    def __init__(self, smooth: float = 1.0) -> None:
        super().__init__()
        self.smooth = smooth

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        probabilities = torch.sigmoid(logits)
        intersection = (probabilities * targets).sum()
        total = probabilities.sum() + targets.sum()
        return 1.0 - (2.0 * intersection + self.smooth) / (total + self.smooth)


class BCEDiceLoss(nn.Module):
    """``BCEWithLogitsLoss + dice_weight * SoftDiceLoss``: per-pixel and per-region terms."""

    def __init__(self, dice_weight: float = 1.0) -> None:
        super().__init__()
        self.bce = nn.BCEWithLogitsLoss()
        self.dice = SoftDiceLoss()
        self.dice_weight = dice_weight

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.bce(logits, targets) + self.dice_weight * self.dice(logits, targets)


def make_loss(name: str) -> nn.Module:
    """The loss called ``name``: ``"bce"`` (``BCEWithLogitsLoss``) or ``"bce+dice"``."""
    if name == "bce":
        return nn.BCEWithLogitsLoss()
    if name == "bce+dice":
        return BCEDiceLoss()
    raise ValueError(f'Unknown loss {name!r}: choose "bce" or "bce+dice".')


# --------------------------------------------------------------------------------------------
# Configuration and results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainConfig:
    """How to train: optimiser, loss, stopping rule, numerics.

    Attributes:
        epochs: the most epochs to run.
        lr: Adam's learning rate.
        loss: ``"bce"`` or ``"bce+dice"``.
        patience: stop after this many epochs without improvement of ``monitor`` ...
        min_epochs: ... but never before this epoch.
        monitor: what early stopping watches on the validation split: ``"val_loss"`` (lower is
            better, as in the original) or ``"val_iou"`` (higher is better).
        min_delta: the smallest change of ``monitor`` that counts as an improvement.
        threshold: probability above which a pixel counts as water for IoU and Dice.
        seed: seeds every epoch's random streams (see the module docstring).
        schedule: ``"constant"`` (the original's: ``lr`` throughout) or ``"cosine"`` (``lr`` in
            the first epoch, falling along half a cosine towards 0 at epoch ``epochs``; see
            :func:`learning_rate`).
    """

    epochs: int
    lr: float = 1e-3
    loss: str = "bce"
    patience: int = 20
    min_epochs: int = 10
    monitor: str = "val_loss"
    min_delta: float = 0.0
    threshold: float = 0.5
    seed: int = 42
    schedule: str = "constant"

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}.")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}.")
        if self.patience < 1:
            raise ValueError(f"patience must be at least 1 epoch, got {self.patience}.")
        if self.monitor not in ("val_loss", "val_iou"):
            raise ValueError(f'monitor must be "val_loss" or "val_iou", got {self.monitor!r}.')
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}.")
        make_loss(self.loss)  # validates the name

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (for checkpoints and ``metrics.json``)."""
        return dataclasses.asdict(self)


def learning_rate(config: TrainConfig, epoch: int) -> float:
    """Adam's learning rate during ``epoch`` (1-based) under ``config.schedule``.

    The cosine schedule sets ``lr * (1 + cos(pi * (epoch - 1) / epochs)) / 2``: ``lr`` in epoch 1,
    half of it midway, ``lr / epochs**2``-ish small in the last epoch. It depends only on the epoch
    number, so a resumed run follows the same schedule as an uninterrupted one.
    """
    if config.schedule == "constant":
        return config.lr
    return config.lr * 0.5 * (1 + math.cos(math.pi * (epoch - 1) / config.epochs))


@dataclass
class FitResult:
    """What :meth:`Trainer.fit` returns.

    Attributes:
        history: one dict per epoch with the keys of :data:`HISTORY_KEYS` (plus ``best``).
        best_epoch: the epoch whose weights the model holds now.
        epochs_run: epochs in the history (all of them, across resumes).
        train_seconds: the sum of the epochs' seconds.
        stopped_early: whether early stopping ended the run before ``epochs``.
        run_dir: the folder with ``best.pt`` and ``last.pt`` (``None`` without checkpoints).
    """

    history: list[dict[str, Any]]
    best_epoch: int
    epochs_run: int
    train_seconds: float
    stopped_early: bool
    run_dir: Path | None = None

    @property
    def best(self) -> dict[str, Any]:
        """The record of the best epoch."""
        return self.history[self.best_epoch - 1]

    def column(self, key: str) -> list[Any]:
        """One key of every epoch's record, e.g. ``column("val_iou")``."""
        return [record[key] for record in self.history]

    def to_frame(self) -> Any:
        """The history as a pandas ``DataFrame`` indexed by epoch (needs pandas installed)."""
        try:
            import pandas as pd
        except ImportError as error:  # pandas is optional: the book only needs the list
            raise ImportError(
                "to_frame() needs pandas (`pip install pandas`); the history is also available "
                "as a list of dicts in `.history`."
            ) from error
        return pd.DataFrame(self.history).set_index("epoch")


EpochCallback = Callable[["Trainer", dict[str, Any]], None]
"""Called after each epoch with the trainer and the epoch's record (the model is in eval mode)."""


# --------------------------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------------------------


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by :class:`Trainer` with ``torch.load(weights_only=True)``.

    Raises:
        FileNotFoundError: when ``path`` does not exist (says how to create one).
        ValueError: when the file is not a checkpoint of this package.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No checkpoint at {path}. Train a model first (`python -m unet_tutorial train`), "
            "which writes best.pt and last.pt under data/runs/<run name>/."
        )
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # pickle errors, truncated files, foreign objects
        raise ValueError(
            f"{path} is not a readable checkpoint ({type(error).__name__}: {error}). "
            "Pass a best.pt or last.pt written by this package."
        ) from error
    if not isinstance(checkpoint, dict) or "model" not in checkpoint:
        raise ValueError(
            f"{path} is not a checkpoint of this package (no 'model' weights in it); "
            "pass a best.pt or last.pt written by unet_tutorial.train."
        )
    return checkpoint


def _cpu_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of the model's weights on the CPU, contiguous (independent of channels-last)."""
    return {k: v.detach().to("cpu", copy=True).contiguous() for k, v in model.state_dict().items()}


def _atomic_save(obj: Any, path: Path) -> None:
    """Write to a temporary file and rename, so an interruption never leaves half a checkpoint."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)


# --------------------------------------------------------------------------------------------
# The trainer
# --------------------------------------------------------------------------------------------


def _batch_parts(batch: Sequence[Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images N×3×H×W, masks N×1×H×W)`` from a batch ``(images, masks, ...)``."""
    if not isinstance(batch, (list, tuple)) or len(batch) < 2:
        raise ValueError(
            "each batch must be a tuple (images, masks, ...), got "
            f"{type(batch).__name__}; use the package's data loaders."
        )
    images, masks = batch[0], batch[1]
    if masks.ndim == 3:
        masks = masks.unsqueeze(1)
    return images, masks


class Trainer:
    """Trains one model with one :class:`TrainConfig`, optionally checkpointing to ``run_dir``.

    Args:
        model: maps images ``N×3×H×W`` to one logit per pixel ``N×1×H×W``.
        config: the training settings.
        run_dir: folder for ``best.pt``/``last.pt`` (created); ``None`` keeps everything in memory.
        device: where to train; default CUDA when available, else CPU.
        callbacks: called after every epoch (see :data:`EpochCallback`). A callback with
            ``state_dict()``/``load_state_dict()`` has its state saved in ``last.pt`` and restored
            on resume (see :class:`PredictionRecorder`).
        meta: plain values saved in every checkpoint beside the config (profile, dataset, image
            size, how to rebuild the model, ...).
        verbose: print a line per epoch.
    """

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig,
        *,
        run_dir: str | Path | None = None,
        device: str | torch.device | None = None,
        callbacks: Iterable[EpochCallback] = (),
        meta: dict[str, Any] | None = None,
        verbose: bool = True,
    ) -> None:
        self.config = config
        self.device = torch.device(device) if device is not None else default_device()
        self.memory_format = memory_format_for(self.device)
        self.model = prepare_training(model, self.device)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.callbacks = list(callbacks)
        self.meta = dict(meta or {})
        self.verbose = verbose
        self.loss_fn = make_loss(config.loss)
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        if not trainable:
            raise ValueError(
                "the model has no trainable parameters (everything is frozen); unfreeze some, "
                "e.g. model.unfreeze_encoder(from_block=5) or the decoder."
            )
        self.optimizer = make_adam(trainable, config.lr, self.device)
        self.autocast_dtype = autocast_dtype(self.device)
        self.scaler = make_grad_scaler(self.device)
        self.history: list[dict[str, Any]] = []
        self.best_state: dict[str, torch.Tensor] | None = None
        self.best_epoch = 0
        self.best_score = math.inf
        self.stopped_early = False

    # -- numerics ------------------------------------------------------------------------------

    def _autocast(self) -> Any:
        return autocast(self.device)

    def _to_device(self, images: torch.Tensor, masks: torch.Tensor) -> tuple[torch.Tensor, ...]:
        images = images.to(self.device, non_blocking=True).contiguous(
            memory_format=self.memory_format
        )
        return images, masks.to(self.device, non_blocking=True).float()

    def _score(self, record: dict[str, Any]) -> float:
        """The monitored value, oriented so that lower is better."""
        value = record[self.config.monitor]
        return value if self.config.monitor == "val_loss" else -value

    def _seed_epoch(self, epoch: int, loader: Any) -> None:
        seed = self.config.seed * 100_003 + epoch
        random.seed(seed)
        np.random.seed(seed % 2**32)  # noqa: NPY002 - for code that uses the global generator
        torch.manual_seed(seed)
        generator = getattr(loader, "generator", None)
        if isinstance(generator, torch.Generator):
            generator.manual_seed(seed)
        # albumentations pipelines carry their own generator: re-seed it too (in this process;
        # DataLoader workers re-seed theirs from the loader's generator).
        transform = getattr(getattr(loader, "dataset", None), "transform", None)
        if hasattr(transform, "set_random_seed"):
            transform.set_random_seed(seed)

    # -- one epoch -----------------------------------------------------------------------------

    def train_one_epoch(self, loader: Iterable[Any]) -> float:
        """One pass over ``loader`` with an optimiser step per batch; returns the mean loss."""
        self.model.train()
        # The sum stays on the device: reading a loss every step would make the CPU wait for
        # the GPU after each batch.
        total, count = torch.zeros((), device=self.device), 0
        for batch in loader:
            images, masks = _batch_parts(batch)
            loss = train_step(
                self.model, images, masks.float(), self.loss_fn, self.optimizer, self.scaler
            )
            total += loss * images.shape[0]
            count += images.shape[0]
        if count == 0:
            raise ValueError("the training loader yielded no batch; is the training split empty?")
        mean = total.item() / count
        if not math.isfinite(mean):
            raise FloatingPointError(
                f"the training loss became {mean}; lower the learning rate "
                f"(now {self.config.lr}) or check the data for NaNs."
            )
        return mean

    @torch.no_grad()
    def evaluate(self, loader: Iterable[Any]) -> dict[str, float]:
        """Mean loss and micro IoU/Dice over ``loader`` at the loader's resolution."""
        self.model.eval()
        metrics = SegmentationMetrics(kind="logits", threshold=self.config.threshold)
        total, count = 0.0, 0
        for batch in loader:
            images, masks = self._to_device(*_batch_parts(batch))
            with self._autocast():
                logits = self.model(images)
            logits = logits.float()
            total += self.loss_fn(logits, masks).item() * images.shape[0]
            count += images.shape[0]
            metrics.update(logits, masks)
        if count == 0:
            raise ValueError("the validation loader yielded no batch; is the split empty?")
        scores = metrics.compute()
        return {"loss": total / count, "iou": scores["iou"], "dice": scores["dice"]}

    @torch.no_grad()
    def predict_logits(self, images: torch.Tensor) -> torch.Tensor:
        """Logits ``N×1×H×W`` (float32, on the CPU) for normalized images ``N×3×H×W``."""
        self.model.eval()
        images = images.to(self.device).contiguous(memory_format=self.memory_format)
        with self._autocast():
            logits = self.model(images)
        return logits.float().cpu()

    # -- checkpoints ---------------------------------------------------------------------------

    def _checkpoint(self, epoch: int) -> dict[str, Any]:
        callbacks = {
            str(i): cb.state_dict()
            for i, cb in enumerate(self.callbacks)
            if hasattr(cb, "state_dict")
        }
        return {
            "format": CHECKPOINT_FORMAT,
            "model": _cpu_state(self.model),
            "optimizer": self.optimizer.state_dict(),
            "scaler": None if self.scaler is None else self.scaler.state_dict(),
            "epoch": epoch,
            "history": copy.deepcopy(self.history),
            "best_epoch": self.best_epoch,
            "best_score": self.best_score,
            "stopped_early": self.stopped_early,
            "config": self.config.to_dict(),
            "meta": copy.deepcopy(self.meta),
            "callbacks": callbacks,
        }

    def _save(self, name: str, checkpoint: dict[str, Any]) -> None:
        if self.run_dir is None:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        _atomic_save(checkpoint, self.run_dir / name)

    def _check_same_config(self, saved: dict[str, Any], path: Path) -> None:
        """Resuming with other settings would silently mix two experiments: refuse it."""
        current = self.config.to_dict()
        differing = {
            key: (saved.get(key), value)
            for key, value in current.items()
            # More epochs may extend a finished constant-rate run; a cosine schedule depends on
            # the planned length, so there they must match too.
            if (key != "epochs" or current["schedule"] != "constant")
            and saved.get(key, TrainConfig.__dataclass_fields__[key].default) != value
        }
        if differing:
            details = ", ".join(f"{k}: saved {a!r}, now {b!r}" for k, (a, b) in differing.items())
            raise ValueError(
                f"cannot resume from {path}: it was trained with other settings ({details}). "
                "Use the same settings, or start a new run (another run folder, or resume=False)."
            )

    def _restore(self) -> int:
        """Load ``last.pt`` (and the best weights); return the last finished epoch."""
        assert self.run_dir is not None
        path = self.run_dir / "last.pt"
        checkpoint = load_checkpoint(path, map_location=self.device)
        self._check_same_config(checkpoint["config"], path)
        self.model.load_state_dict(checkpoint["model"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        if self.scaler is not None and checkpoint["scaler"]:
            self.scaler.load_state_dict(checkpoint["scaler"])
        self.history = list(checkpoint["history"])
        self.best_epoch = int(checkpoint["best_epoch"])
        self.best_score = float(checkpoint["best_score"])
        self.stopped_early = bool(checkpoint["stopped_early"])
        for i, callback in enumerate(self.callbacks):
            state = checkpoint["callbacks"].get(str(i))
            if state is not None and hasattr(callback, "load_state_dict"):
                callback.load_state_dict(state)
        best_path = self.run_dir / "best.pt"
        if best_path.is_file():
            self.best_state = load_checkpoint(best_path)["model"]
        return int(checkpoint["epoch"])

    # -- the loop ------------------------------------------------------------------------------

    def _print(self, text: str) -> None:
        if self.verbose:
            print(text, flush=True)

    def _line(self, record: dict[str, Any], improved: bool) -> str:
        width = len(str(self.config.epochs))
        return (
            f"epoch {record['epoch']:>{width}}/{self.config.epochs}"
            f" | train loss {record['train_loss']:.4f}"
            f" | val loss {record['val_loss']:.4f}"
            f" | val IoU {record['val_iou']:.3f}"
            f" | val Dice {record['val_dice']:.3f}"
            f" | {record['seconds']:.1f} s" + (" | best so far" if improved else "")
        )

    def fit(self, train_loader: Iterable[Any], val_loader: Iterable[Any], *, resume: bool = False):
        """Train until ``epochs`` or early stopping; leave the best weights in the model.

        Args:
            train_loader: batches ``(images N×3×H×W, masks N×1×H×W, ...)`` of the training split.
            val_loader: the same for the validation split (early stopping watches it).
            resume: continue from ``run_dir/last.pt`` when it exists (else start afresh).

        Returns:
            A :class:`FitResult`.
        """
        start = 1
        if resume:
            if self.run_dir is None:
                raise ValueError("resume=True needs a run_dir holding last.pt.")
            if (self.run_dir / "last.pt").is_file():
                start = self._restore() + 1
                self._print(f"resuming {self.run_dir.name} after epoch {start - 1}")
            else:
                self._print(f"no last.pt in {self.run_dir}: starting a new run")
        elif self.run_dir is not None:
            for name in ("best.pt", "last.pt"):
                (self.run_dir / name).unlink(missing_ok=True)
        precision = "float32" if self.autocast_dtype is None else str(self.autocast_dtype)[6:]
        trainable = sum(p.numel() for p in self.model.parameters() if p.requires_grad)
        self._print(
            f"training on {self.device.type} ({precision}), {trainable:,} trainable parameters, "
            f"up to {self.config.epochs} epoch{'s' if self.config.epochs != 1 else ''}, "
            f"early stopping on {self.config.monitor} "
            f"(patience {self.config.patience}, not before epoch {self.config.min_epochs})"
        )
        epoch = start - 1
        for epoch in range(start, self.config.epochs + 1):
            if self.stopped_early:
                break
            began = time.perf_counter()
            self._seed_epoch(epoch, train_loader)
            for group in self.optimizer.param_groups:
                group["lr"] = learning_rate(self.config, epoch)
            train_loss = self.train_one_epoch(train_loader)
            val = self.evaluate(val_loader)
            record = {
                "epoch": epoch,
                "train_loss": train_loss,
                "val_loss": val["loss"],
                "val_iou": val["iou"],
                "val_dice": val["dice"],
                "seconds": time.perf_counter() - began,
            }
            improved = self._score(record) < self.best_score - self.config.min_delta
            if improved or self.best_state is None:
                self.best_score = self._score(record)
                self.best_epoch = epoch
                self.best_state = _cpu_state(self.model)
            record["best"] = improved
            self.history.append(record)
            for callback in self.callbacks:
                callback(self, record)
            self.stopped_early = (
                epoch >= self.config.min_epochs
                and epoch - self.best_epoch >= self.config.patience
                and epoch < self.config.epochs
            )
            self._print(self._line(record, improved))
            checkpoint = self._checkpoint(epoch)
            if self.best_epoch == epoch:
                self._save("best.pt", checkpoint)
            self._save("last.pt", checkpoint)
        if self.stopped_early:
            self._print(
                f"early stopping after epoch {len(self.history)}: no better {self.config.monitor} "
                f"for {self.config.patience} epochs"
            )
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        seconds = float(sum(record["seconds"] for record in self.history))
        if self.history:
            best = self.history[self.best_epoch - 1]
            self._print(
                f"best epoch {self.best_epoch}: val loss {best['val_loss']:.4f}, "
                f"val IoU {best['val_iou']:.3f} (weights restored); {seconds:.0f} s in all"
            )
        return FitResult(
            history=list(self.history),
            best_epoch=self.best_epoch,
            epochs_run=len(self.history),
            train_seconds=seconds,
            stopped_early=self.stopped_early,
            run_dir=self.run_dir,
        )


def fit(
    model: nn.Module,
    train_loader: Iterable[Any],
    val_loader: Iterable[Any],
    config: TrainConfig,
    *,
    resume: bool = False,
    **trainer_options: Any,
) -> FitResult:
    """Train ``model`` (see :class:`Trainer` for ``trainer_options``) and return the result."""
    trainer = Trainer(model, config, **trainer_options)
    return trainer.fit(train_loader, val_loader, resume=resume)


# --------------------------------------------------------------------------------------------
# The GIF's raw material: the prediction on one validation image after every epoch
# --------------------------------------------------------------------------------------------


class PredictionRecorder:
    """An epoch callback keeping the predicted water probability of one image after each epoch.

    Args:
        image: one normalized image ``3×H×W`` (usually from the validation split).

    After training, ``probabilities`` is a ``K×H×W`` uint8 tensor (0-255) for the K epochs,
    ``epochs`` and ``val_iou`` the matching epoch numbers and validation IoUs. Its state is
    saved in ``last.pt``, so the frames survive a resume.
    """

    def __init__(self, image: torch.Tensor) -> None:
        if image.ndim != 3:
            raise ValueError(f"image must be 3×H×W, got shape {tuple(image.shape)}.")
        self.image = image
        self.frames: list[torch.Tensor] = []
        self.epochs: list[int] = []
        self.val_iou: list[float] = []

    def __call__(self, trainer: Trainer, record: dict[str, Any]) -> None:
        logits = trainer.predict_logits(self.image.unsqueeze(0))[0, 0]
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


def upsample_logits(logits: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinearly resize logits ``N×1×h×w`` to ``N×1×H×W`` (``size = (H, W)``).

    Resizing logits (not thresholded masks) keeps the boundary smooth at the original resolution.
    """
    if tuple(logits.shape[-2:]) == tuple(size):
        return logits
    return F.interpolate(logits, size=size, mode="bilinear", align_corners=False)
