"""Training a segmentation network: the epoch loop, early stopping, checkpoints and resuming.

The loop does what the original tutorial meant to do, with its defects fixed:

- Adam on the parameters that require gradients (a frozen encoder stays frozen), AdamW with
  ``weight_decay``;
- with ``ema``, a moving average of the weights updated after every step, which validation
  scores, early stopping keeps and the checkpoints save as the run's model (``last.pt`` also
  holds the trained weights, so a resumed run goes on exactly);
- a loss from :mod:`unet_tutorial.losses` (``BCEWithLogitsLoss`` on the flood logit, or BCE +
  soft Dice; for a network with C >= 2 output channels softmax cross-entropy, ``"ce"`` or
  ``"ce+dice"``, whose validation IoU and Dice are the means over the classes);
- each optimisation step is :func:`unet_tutorial.training.step.train_step`: on CUDA
  channels-last and ``torch.autocast`` (bfloat16 on compute capability 8.0 and newer, else
  float16 with ``torch.amp.GradScaler("cuda")``), on the CPU float32;
- early stopping on the **validation** split (never the test split) with a patience and a
  minimum number of epochs, the best weights restored at the end;
- a record per epoch (train loss, validation loss, IoU and Dice, seconds) and one short line
  per epoch on stdout, under a line of column titles (:mod:`unet_tutorial.training.progress`),
  which shows live in Jupyter and Colab and renders as plain text in the book;
- ``best.pt`` and ``last.pt`` in a run folder (:mod:`.checkpoint`); ``resume=True`` continues
  from ``last.pt`` with the same history, optimizer state and random streams.

Reproducibility: every epoch re-seeds Python, NumPy, PyTorch and the loader's generator from
``seed`` and the epoch number, so an epoch's shuffling, augmentation and dropout depend only on
the seed and the epoch, not on what ran before. On a CPU a resumed run therefore ends exactly
where the uninterrupted one would have. On CUDA some kernels (for example the backward pass of
bilinear upsampling in the attention gates) add in an order that varies from run to run, so two
runs, resumed or not, agree only to rounding unless deterministic algorithms are switched on
(``torch.use_deterministic_algorithms(True)``, slower).

Several processes (``torchrun``, :mod:`unet_tutorial.training.distributed`): given
``processes``, the trainer hands :func:`~unet_tutorial.training.loop.fit` a
``DistributedDataParallel`` replica of the model (gradients averaged over the processes), sets
the ``DistributedSampler``'s epoch before each epoch and re-seeds each process's random streams
with its rank (its own augmentations and dropout; rank 0's are those of one process). Every
process scores the whole validation split; rank 0's record and its decisions (best epoch, early
stopping) are sent to all after each epoch, so every process stops at the same epoch with the
same best weights. Only rank 0 prints, calls the callbacks and writes checkpoints; resuming,
rank 0 reads ``last.pt`` and sends it to the others.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from unet_tutorial.losses import make_loss
from unet_tutorial.models.freezing import count_parameters
from unet_tutorial.runtime import default_device
from unet_tutorial.training.checkpoint import (
    CHECKPOINT_FORMAT,
    atomic_save,
    cpu_state,
    load_checkpoint,
)
from unet_tutorial.training.distributed import (
    SINGLE,
    Processes,
    broadcast,
    from_writer,
    replicate,
)
from unet_tutorial.training.loop import (
    FitState,
    StepCallback,
    evaluate,
    fit,
    train_one_epoch,
    weight_average,
)
from unet_tutorial.training.progress import best_epoch_line, epoch_header, epoch_line
from unet_tutorial.training.step import (
    autocast_dtype,
    make_adam,
    make_grad_scaler,
    precision_name,
    prepare_training,
)

MONITORS: tuple[str, ...] = ("val_loss", "val_iou")
"""What early stopping can watch on the validation split."""

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


@dataclass(frozen=True)
class TrainConfig:
    """How to train: optimiser, loss, stopping rule, numerics.

    Attributes:
        epochs: the most epochs to run.
        lr: Adam's learning rate.
        loss: a name of :data:`unet_tutorial.losses.LOSS_NAMES`.
        pos_weight: how much more a water pixel's cross-entropy counts than a land pixel's
            (see :func:`unet_tutorial.losses.make_loss`; 1 weighs them alike).
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
        pos_weight: see ``loss``.
        weight_decay: decoupled weight decay (AdamW) per step, as a fraction of ``lr``; 0 is
            plain Adam.
        ema: decay of an exponential moving average of the weights, updated after every
            optimisation step (0.99: the average forgets with a horizon of about 100 steps);
            the average is what the validation split scores, what early stopping keeps and
            what the run saves as its model. 0 turns it off (the latest weights are scored).
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
    pos_weight: float = 1.0
    weight_decay: float = 0.0
    ema: float = 0.0

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}.")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}.")
        if self.patience < 1:
            raise ValueError(f"patience must be at least 1 epoch, got {self.patience}.")
        if self.monitor not in MONITORS:
            raise ValueError(f"monitor must be one of {MONITORS}, got {self.monitor!r}.")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}.")
        make_loss(self.loss, self.pos_weight)  # validates the name and the weight
        if not 0 <= self.weight_decay < 1:
            raise ValueError(f"weight_decay must be in [0, 1), got {self.weight_decay}.")
        if not 0 <= self.ema < 1:
            raise ValueError(f"ema must be in [0, 1) (0: no weight average), got {self.ema}.")

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


EpochCallback = Callable[["Trainer", dict[str, Any]], None]
"""Called after each epoch with the trainer and the epoch's record (the model is in eval mode)."""


def _callback_key(index: int, callback: Any) -> str:
    return getattr(callback, "name", str(index))


class Trainer:
    """Trains one model with one :class:`TrainConfig`, optionally checkpointing to ``run_dir``.

    Args:
        model: maps images ``N×3×H×W`` to one logit per pixel ``N×1×H×W`` (binary), or to one
            logit per class ``N×C×H×W`` (with a multi-class loss, ``"ce"`` or ``"ce+dice"``).
        config: the training settings.
        run_dir: folder for ``best.pt``/``last.pt`` (created); ``None`` keeps everything in memory.
        device: where to train; default CUDA when available, else CPU.
        callbacks: called after every epoch (see :data:`EpochCallback` and
            :mod:`unet_tutorial.training.callbacks`).
        meta: plain values saved in every checkpoint beside the config (what the run is: how to
            rebuild the model, the image size, the data, ...).
        verbose: print a line per epoch.
        processes: this process's place among several started by torchrun
            (:func:`unet_tutorial.training.distributed.current`); default one process.
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
        processes: Processes = SINGLE,
    ) -> None:
        self.config = config
        self.processes = processes
        self.device = torch.device(device) if device is not None else default_device()
        self.model = prepare_training(model, self.device)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.callbacks = list(callbacks)
        self.meta = dict(meta or {})
        self.verbose = verbose and processes.is_writer
        self.loss_fn = make_loss(config.loss, config.pos_weight).to(self.device)
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        if not trainable:
            raise ValueError(
                "the model has no trainable parameters (everything is frozen); unfreeze some, "
                "e.g. model.unfreeze_encoder(from_block=5) or the decoder."
            )
        self.optimizer = make_adam(
            trainable, config.lr, self.device, weight_decay=config.weight_decay
        )
        # The moving average of the weights (config.ema), what validation scores when set.
        self.averaged = weight_average(self.model, config.ema)
        self.autocast_dtype = autocast_dtype(self.device)
        self.scaler = make_grad_scaler(self.device)
        self.state = FitState()
        # What fit trains: the model itself, or its DDP replica under torchrun (same weights).
        self.replica = replicate(self.model, self.device, processes)

    # The loop's state, under the names the checkpoints and callbacks use.
    @property
    def history(self) -> list[dict[str, Any]]:
        return self.state.history

    @property
    def best_epoch(self) -> int:
        return self.state.best_epoch

    @property
    def best_score(self) -> float:
        return self.state.best_score

    @property
    def best_state(self) -> dict[str, torch.Tensor] | None:
        return self.state.best_weights

    @property
    def stopped_early(self) -> bool:
        return self.state.stopped_early

    @property
    def scored_model(self) -> nn.Module:
        """The network the validation split scores: the weight average when ``config.ema`` is
        set, else the model itself (after :meth:`fit` the model holds the kept weights)."""
        return self.model if self.averaged is None else self.averaged.module

    def _seed_epoch(self, epoch: int, loader: Any) -> None:
        seed = self.config.seed * 100_003 + epoch + 7_919 * self.processes.rank
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

    def train_one_epoch(self, loader: Iterable[Any], on_step: StepCallback | None = None) -> float:
        """One pass over ``loader`` (:func:`~unet_tutorial.training.loop.train_one_epoch` with
        this trainer's model, loss, optimiser and scaler); returns the mean loss.

        ``on_step(loss)`` is called after every step (for per-step measurements such as the
        gradient norms of chapter 4).
        """
        try:
            return train_one_epoch(
                self.replica, loader, self.loss_fn, self.optimizer, self.scaler, on_step
            )
        except FloatingPointError as error:
            raise FloatingPointError(f"{error} (learning rate now {self.config.lr})") from error

    def evaluate(self, loader: Iterable[Any]) -> dict[str, float]:
        """Mean loss and micro IoU/Dice over ``loader`` at the loader's resolution
        (:func:`~unet_tutorial.training.loop.evaluate`) of the model's weights (after
        :meth:`fit`, the kept ones); for C >= 2 output channels IoU and Dice are the means over
        the classes."""
        return evaluate(self.model, loader, self.loss_fn, self.config.threshold)

    # -- checkpoints ---------------------------------------------------------------------------

    def _checkpoint(self, epoch: int) -> dict[str, Any]:
        callbacks = {
            _callback_key(i, cb): cb.state_dict()
            for i, cb in enumerate(self.callbacks)
            if hasattr(cb, "state_dict")
        }
        averaging = {}
        if self.averaged is not None:
            # "model" holds the weights the run gives (the average); resuming also needs the
            # weights the optimiser trains and how many steps the average has seen.
            averaging = {
                "trained": cpu_state(self.model),
                "averaged_steps": int(self.averaged.n_averaged.item()),
            }
        return {
            "format": CHECKPOINT_FORMAT,
            "model": cpu_state(self.scored_model),
            **averaging,
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
        if self.run_dir is None or not self.processes.is_writer:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        atomic_save(checkpoint, self.run_dir / name)

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
        best_path = self.run_dir / "best.pt"
        if self.processes.active:  # rank 0 reads; the others receive (on the CPU)
            checkpoint, best = from_writer(
                lambda: (
                    load_checkpoint(path, map_location="cpu"),
                    load_checkpoint(best_path)["model"] if best_path.is_file() else None,
                ),
                self.processes,
            )
        else:
            checkpoint = load_checkpoint(path, map_location=self.device)
            best = load_checkpoint(best_path)["model"] if best_path.is_file() else None
        self._check_same_config(checkpoint["config"], path)
        if self.averaged is not None:
            self.model.load_state_dict(checkpoint["trained"])
            self.averaged.module.load_state_dict(checkpoint["model"])
            self.averaged.n_averaged.fill_(int(checkpoint["averaged_steps"]))
        else:
            self.model.load_state_dict(checkpoint["model"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        if self.scaler is not None and checkpoint["scaler"]:
            self.scaler.load_state_dict(checkpoint["scaler"])
        self.state = FitState(
            history=list(checkpoint["history"]),
            best_epoch=int(checkpoint["best_epoch"]),
            best_score=float(checkpoint["best_score"]),
            best_weights=best,
            stopped_early=bool(checkpoint["stopped_early"]),
        )
        for i, callback in enumerate(self.callbacks):
            state = checkpoint["callbacks"].get(_callback_key(i, callback))
            if state is not None and hasattr(callback, "load_state_dict"):
                callback.load_state_dict(state)
        return int(checkpoint["epoch"])

    # -- the loop ------------------------------------------------------------------------------

    def _take_writers_decision(
        self, state: FitState, kept_best: dict[str, torch.Tensor] | None
    ) -> None:
        """Make this epoch's record and decisions rank 0's on every rank.

        The replicas hold the same weights, so where rank 0 took this epoch as the best, the
        current weights are its best weights; where it did not, the best weights are those
        kept before the epoch.
        """
        epoch = state.history[-1]["epoch"]
        record, best_epoch, best_score, stopped = broadcast(
            (state.history[-1], state.best_epoch, state.best_score, state.stopped_early),
            self.processes,
        )
        if state.best_epoch != best_epoch:
            state.best_weights = cpu_state(self.scored_model) if best_epoch == epoch else kept_best
        state.history[-1] = record
        state.best_epoch, state.best_score, state.stopped_early = best_epoch, best_score, stopped

    def _print(self, text: str) -> None:
        if self.verbose:
            print(text, flush=True)

    def fit(
        self, train_loader: Iterable[Any], val_loader: Iterable[Any], *, resume: bool = False
    ) -> FitResult:
        """Train until ``epochs`` or early stopping (:func:`~unet_tutorial.training.loop.fit`);
        leave the best weights in the model.

        Around the loop's epochs it adds, through the loop's hooks: re-seeding every random
        stream and setting the learning rate of the schedule before each epoch; after it, the
        callbacks, the progress line and the checkpoints ``best.pt``/``last.pt``.

        Args:
            train_loader: batches ``(images N×3×H×W, masks N×1×H×W, ...)`` of the training split.
            val_loader: the same for the validation split (early stopping watches it).
            resume: continue from ``run_dir/last.pt`` when it exists (else start afresh).

        Returns:
            A :class:`FitResult`.
        """
        if resume:
            if self.run_dir is None:
                raise ValueError("resume=True needs a run_dir holding last.pt.")
            has_last = from_writer((self.run_dir / "last.pt").is_file, self.processes)
            if has_last:
                done = self._restore()
                self._print(f"resuming {self.run_dir.name} after epoch {done}")
            else:
                self._print(f"no last.pt in {self.run_dir}: starting a new run")
        elif self.run_dir is not None and self.processes.is_writer:
            for name in ("best.pt", "last.pt"):
                (self.run_dir / name).unlink(missing_ok=True)
        config, epochs = self.config, self.config.epochs
        self._print(
            f"training on {self.device.type} ({precision_name(self.device)}), "
            f"{count_parameters(self.model, trainable_only=True):,} trainable parameters, "
            f"up to {epochs} epoch{'s' if epochs != 1 else ''}, "
            f"early stopping on {config.monitor} "
            f"(patience {config.patience}, not before epoch {config.min_epochs})"
        )
        self._print(epoch_header(epochs))

        kept_best: list[dict[str, torch.Tensor] | None] = [None]

        def before_epoch(epoch: int) -> None:
            self._seed_epoch(epoch, train_loader)
            set_epoch = getattr(getattr(train_loader, "sampler", None), "set_epoch", None)
            if set_epoch is not None:  # a DistributedSampler: this epoch's shuffle
                set_epoch(epoch)
            kept_best[0] = self.state.best_weights
            for group in self.optimizer.param_groups:
                group["lr"] = learning_rate(config, epoch)

        def after_epoch(state: FitState) -> None:
            if self.processes.active:
                self._take_writers_decision(state, kept_best[0])
            record = state.history[-1]
            if self.processes.is_writer:
                for callback in self.callbacks:
                    callback(self, record)
            self._print(epoch_line(record, epochs))
            checkpoint = self._checkpoint(record["epoch"])
            if state.best_epoch == record["epoch"]:
                self._save("best.pt", checkpoint)
            self._save("last.pt", checkpoint)

        try:
            fit(
                self.replica,
                train_loader,
                val_loader,
                self.loss_fn,
                self.optimizer,
                epochs=epochs,
                patience=config.patience,
                min_epochs=config.min_epochs,
                monitor=config.monitor,
                min_delta=config.min_delta,
                threshold=config.threshold,
                scaler=self.scaler,
                averaged=self.averaged,
                state=self.state,
                before_epoch=before_epoch,
                after_epoch=after_epoch,
            )
        except FloatingPointError as error:
            raise FloatingPointError(f"{error} (learning rate now {config.lr})") from error
        if self.stopped_early:
            self._print(
                f"early stopping after epoch {len(self.history)}: no better {config.monitor} "
                f"for {config.patience} epochs"
            )
        if self.history:
            self._print(best_epoch_line(self.history, self.best_epoch))
        return FitResult(
            history=list(self.history),
            best_epoch=self.best_epoch,
            epochs_run=len(self.history),
            train_seconds=float(sum(record["seconds"] for record in self.history)),
            stopped_early=self.stopped_early,
            run_dir=self.run_dir,
        )
