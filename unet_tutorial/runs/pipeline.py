"""One function trains a run: :func:`train_run`.

Every training run of the book and of the command line goes through it: the flood segmenter's
two stages (chapters 8-9), the ``pos_weight`` runs, the unfreezing demonstration, the
comparison of chapter 11, the multi-class network of chapter 12 and
``python -m unet_tutorial train``. Given a :class:`~unet_tutorial.runs.spec.RunSpec`, the data
and a folder, it asks the run store what to do (:meth:`~unet_tutorial.runs.store.Run.plan`:
train, resume or reuse; other settings are refused unless ``overwrite``), then

1. seeds and builds the network from the registry (or takes the one given, to fine-tune it),
2. trains it with the :class:`~unet_tutorial.training.trainer.Trainer` (``best.pt`` and
   ``last.pt`` in the folder after every epoch),
3. scores the best epoch's weights on the test split at each photo's own resolution
   (:func:`~unet_tutorial.evaluation.evaluate_native`),
4. writes ``metrics.json`` in one schema (:data:`METRICS_FORMAT`, see :func:`metrics_json`)
   and marks the run finished.

Under ``torchrun`` (several processes, :mod:`unet_tutorial.training.distributed`) it is the
same function: rank 0 asks the run store and sends its answer (or its error) to every rank;
the network is seeded alike everywhere and wrapped for data parallelism by the trainer; each
process trains on its share of every global batch (``spec.batch_size`` photos per step in
all); every process scores the whole validation split; rank 0 alone writes the run folder and
scores the test split, and every rank returns rank 0's result.

:func:`load_run` reads a finished run folder back (the model with its best weights, the
history, the evaluation) without the data.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from unet_tutorial.data.identity import data_root, split_ids
from unet_tutorial.evaluation import (
    Evaluation,
    evaluate_native,
    evaluation_from_dict,
    score_summary,
)
from unet_tutorial.models.freezing import count_parameters
from unet_tutorial.models.registry import info_of, model_from_spec, model_info
from unet_tutorial.paths import shown_path
from unet_tutorial.runs.spec import RunSpec
from unet_tutorial.runs.store import open_run
from unet_tutorial.runtime import default_device, seed_everything
from unet_tutorial.training.checkpoint import load_checkpoint
from unet_tutorial.training.distributed import (
    broadcast,
    current,
    from_writer,
    per_process_batch,
    process_device,
    train_sampler,
    writer_first,
)
from unet_tutorial.training.speed import TimedLoader
from unet_tutorial.training.trainer import EpochCallback, FitResult, Trainer

METRICS_FORMAT = "unet-tutorial-metrics/2"
"""The schema of every run's ``metrics.json`` (see :func:`metrics_json`)."""

RUN_OUTPUTS = ("best.pt", "last.pt", "metrics.json")
"""The files of a finished run."""

FROM_SCRATCH = "random initialisation (trained from scratch)"


@dataclass
class RunResult:
    """A finished run, trained now or read back from its folder.

    Attributes:
        folder: the run folder.
        metrics: the content of ``metrics.json`` (:func:`metrics_json`).
        model: the network with the best epoch's weights, in eval mode.
        history: one record per epoch (train loss, validation loss, IoU, Dice, seconds).
        best_epoch: the epoch whose weights ``model`` holds (1-based).
        evaluation: the test split's scores at each photo's own resolution.
        loaded: whether the run was read back rather than trained now.
        callback_states: what the epoch callbacks saved in ``last.pt`` (by callback name).
    """

    folder: Path
    metrics: dict[str, Any]
    model: nn.Module
    history: list[dict[str, Any]]
    best_epoch: int
    evaluation: Evaluation
    loaded: bool
    callback_states: dict[str, Any] = field(default_factory=dict)

    @property
    def best(self) -> dict[str, Any]:
        """The record of the best epoch."""
        return self.history[self.best_epoch - 1]

    @property
    def epochs_run(self) -> int:
        return len(self.history)

    @property
    def max_epochs(self) -> int:
        return int(self.metrics["settings"]["epochs"])

    @property
    def train_seconds(self) -> float:
        return float(sum(record["seconds"] for record in self.history))


def build_model(spec: RunSpec, verbose: bool = False) -> tuple[nn.Module, str]:
    """The spec's network, seeded with the run's seed, and a note on its starting weights.

    A network with a pretrained encoder (the VGG19 U-Net) keeps the encoder frozen when the
    ImageNet weights loaded, so only the decoder trains; without them a frozen random encoder
    would be useless, so the whole network trains from scratch.
    """
    seed_everything(spec.config.seed)
    model = model_from_spec(spec.model)
    if not model_info(spec.model_name).pretrained_encoder:
        return model, FROM_SCRATCH
    if model.train_all_unless_pretrained():
        note = "no ImageNet weights: the whole network trains from scratch"
    else:
        note = "ImageNet encoder, frozen: the decoder trains"
    if verbose:
        print(f"{model_info(spec.model_name).title}: {note}")
    return model, note


def weights_note(model: nn.Module) -> str:
    """Where the network's starting weights came from, in words."""
    if info_of(model).pretrained_encoder:
        return str(model.weights_note)
    return FROM_SCRATCH


def metrics_json(
    spec: RunSpec,
    key: dict[str, Any],
    data: Any,
    trainer: Trainer,
    fit: FitResult,
    evaluation: Evaluation,
    train_images_per_second: float | None,
) -> dict[str, Any]:
    """The content of ``metrics.json``, the same keys for every run:

    - ``format``: :data:`METRICS_FORMAT`; ``purpose``: what the run is for (experiment, stage,
      profile, ...);
    - ``model``: its spec (name, constructor arguments), title, parameters, trainable
      parameters, where its starting weights came from and whether its encoder started from
      ImageNet weights (``imagenet_encoder``);
    - ``settings``: image size, batch size, photo cap and the training settings;
    - ``classes``: the class table (``null`` for binary masks);
    - ``data``: the dataset's identity (name, source, split sizes and digest, file digest),
      its folder and description; ``split``: the ids of each split;
    - ``device``; ``training``: epochs run, epoch cap, best epoch, whether early stopping
      ended it, seconds in all and per epoch, training images per second;
    - ``validation``: the best epoch's validation loss, IoU and Dice;
    - ``test``: :func:`~unet_tutorial.evaluation.score_summary` of the test split at each
      photo's own resolution.
    """
    model = trainer.model
    purpose = {name: value for name, value in spec.purpose.items() if name != "starts_from"}
    return {
        "format": METRICS_FORMAT,
        "purpose": purpose,
        "model": {
            **spec.model,
            "title": model_info(spec.model_name).title,
            "parameters": count_parameters(model),
            "trainable_parameters": count_parameters(model, trainable_only=True),
            "weights": weights_note(model),
            "imagenet_encoder": info_of(model).pretrained_encoder and model.pretrained_loaded,
        },
        "settings": {
            "image_size": spec.image_size,
            "batch_size": spec.batch_size,
            "max_samples": spec.max_samples,
            **spec.config.to_dict(),
        },
        "classes": spec.classes,
        "data": key["data"]
        | {"root": data_root(data), "description": getattr(data, "description", "")},
        "split": split_ids(data),
        "device": trainer.device.type,
        "training": {
            "epochs_run": fit.epochs_run,
            "max_epochs": spec.config.epochs,
            "best_epoch": fit.best_epoch,
            "stopped_early": fit.stopped_early,
            "train_seconds": round(fit.train_seconds, 2),
            "seconds_per_epoch": round(fit.train_seconds / max(1, fit.epochs_run), 2),
            "train_images_per_second": None
            if train_images_per_second is None
            else round(train_images_per_second, 2),
        },
        "validation": {name: fit.best[name] for name in ("val_loss", "val_iou", "val_dice")},
        "test": score_summary(evaluation),
    }


def _write_json(path: Path, content: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(content, indent=1) + "\n")
    os.replace(tmp, path)


def _class_names(spec: RunSpec) -> list[str] | None:
    return None if spec.classes is None else [c["name"] for c in spec.classes["classes"]]


def train_run(
    spec: RunSpec,
    data: Any,
    folder: str | Path,
    *,
    start_from: Callable[[], nn.Module] | None = None,
    callbacks: Iterable[EpochCallback] = (),
    overwrite: bool = False,
    replace_changed: bool = False,
    device: str | torch.device | None = None,
    verbose: bool = True,
) -> RunResult:
    """Train the run ``spec`` describes on ``data`` in ``folder``, or resume it, or reuse it.

    Args:
        spec: the network, settings, sizes and purpose of the run.
        data: the three splits (``train``, ``val``, ``test``; from
            :func:`~unet_tutorial.data.load_dataset`) at ``spec.image_size``.
        folder: the run folder (relative paths lie under ``data/runs/``).
        start_from: builds the network to train instead of a new one from the spec (the
            fine-tuning stage starts from the first stage's best weights); called only when the
            run trains, not when a finished run is reused. Its architecture must be the spec's.
        callbacks: called after every epoch; a callback with ``state_dict`` /
            ``load_state_dict`` and a ``name`` is saved in the checkpoints and restored when
            the run is resumed or reused.
        overwrite: train afresh even where the folder holds a run (finished, interrupted, or
            with other settings).
        replace_changed: replace a run with other settings, but reuse or resume one with
            these (the book's runs are its cache: a chapter whose recipe changed trains again).
            The command line never sets it.
        device: where to train (default: CUDA when available).
        verbose: print the epoch lines.

    Raises:
        SettingsChangedError: the folder holds a run with other settings and not
            ``overwrite`` (the message lists the differences; nothing is changed).
        ForeignFolderError: the folder holds files no run wrote (nothing is changed).
    """
    processes = current()
    key = spec.key(data)
    run = open_run(folder, key)

    def plan() -> str:
        changed = replace_changed and run.status() == "changed"
        return run.plan(overwrite=overwrite or changed, required=RUN_OUTPUTS)

    action = from_writer(plan, processes)
    callbacks = list(callbacks)
    if action == "reuse":
        result = from_writer(lambda: load_run(run.folder), processes)
        for callback in callbacks:
            state = result.callback_states.get(getattr(callback, "name", ""))
            if state is not None and hasattr(callback, "load_state_dict"):
                callback.load_state_dict(state)
        if verbose and processes.is_writer:
            print(
                f"reusing the finished run in {shown_path(run.folder)} (same settings and "
                f"data): {result.epochs_run} epochs, {result.train_seconds:.0f} s of training"
            )
        return result

    def preload() -> None:
        for split in (data.train, data.val, data.test):
            if hasattr(split, "preload"):
                split.preload()  # decodes every pair now: a bad file stops the run first

    writer_first(preload, processes)
    if device is not None:
        device = torch.device(device)
    else:
        device = process_device(None, processes) if processes.active else default_device()
    model = (
        start_from()
        if start_from is not None
        else build_model(spec, verbose and processes.is_writer)[0]
    )
    if processes.is_writer:
        run.start(keep=action == "resume")
    meta = key | {"split": split_ids(data), "data_root": data_root(data)}
    trainer = Trainer(
        model,
        spec.config,
        run_dir=run.folder,
        device=device,
        callbacks=callbacks,
        meta=meta,
        verbose=verbose and processes.is_writer,
        processes=processes,
    )
    from unet_tutorial.data import make_loader

    seed = spec.config.seed
    if processes.active:  # this process's share of every global batch
        batch = per_process_batch(spec.batch_size, processes)
        sampler = train_sampler(data.train, processes, seed)
        loader = make_loader(data.train, batch, seed=seed, sampler=sampler)
    else:
        loader = make_loader(data.train, spec.batch_size, shuffle=True, seed=seed)
    train_loader = TimedLoader(loader)
    val_loader = make_loader(data.val, spec.batch_size)
    fit = trainer.fit(train_loader, val_loader, resume=action == "resume")
    if not processes.is_writer:  # rank 0 scores the test split, writes, and tells the others
        written = broadcast(None, processes)
        return RunResult(**written, model=trainer.model.eval())
    evaluation = evaluate_native(
        trainer.model,
        data.test,
        device=device,
        threshold=spec.config.threshold,
        class_names=_class_names(spec),
    )
    images_per_second = train_loader.images_per_second if train_loader.images else None
    metrics = metrics_json(
        spec,
        key,
        data,
        trainer,
        fit,
        evaluation,
        images_per_second,
    )
    _write_json(run.path("metrics.json"), metrics)
    run.finish({"best_epoch": fit.best_epoch, "epochs_run": fit.epochs_run})
    states = {
        getattr(cb, "name", str(i)): cb.state_dict()
        for i, cb in enumerate(callbacks)
        if hasattr(cb, "state_dict")
    }
    written = {
        "folder": run.folder,
        "metrics": metrics,
        "history": fit.history,
        "best_epoch": fit.best_epoch,
        "evaluation": evaluation,
        "loaded": False,
        "callback_states": states,
    }
    broadcast(written, processes)
    return RunResult(**written, model=trainer.model.eval())


def load_run(folder: str | Path) -> RunResult:
    """A finished run folder read back: the network with its best weights (on the CPU, in eval
    mode), the history, ``metrics.json`` and the test evaluation.

    Raises:
        FileNotFoundError: a file of :data:`RUN_OUTPUTS` is missing (the run did not finish).
    """
    folder = Path(folder)
    missing = [name for name in RUN_OUTPUTS if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{folder} holds no finished run (missing {', '.join(missing)}); train it first."
        )
    last = load_checkpoint(folder / "last.pt")
    model = model_from_spec(last["meta"]["model"], pretrained=False)
    model.load_state_dict(load_checkpoint(folder / "best.pt")["model"])
    metrics = json.loads((folder / "metrics.json").read_text())
    if info_of(model).pretrained_encoder and not metrics["model"]["imagenet_encoder"]:
        # trained without ImageNet weights, so trained whole: as trainable as it was
        model.train_all_unless_pretrained()
    return RunResult(
        folder,
        metrics,
        model.eval(),
        list(last["history"]),
        int(last["best_epoch"]),
        evaluation_from_dict(metrics["test"]["evaluation"]),
        loaded=True,
        callback_states=dict(last.get("callbacks") or {}),
    )
