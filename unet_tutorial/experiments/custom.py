"""A training run with your own settings (and data), as ``python -m unet_tutorial train`` makes it.

The book's runs (:mod:`.flood`) follow a profile's recipe exactly. A practitioner wants to choose:
the network, the image size, the width, epochs, batch size, learning rate, loss, patience, the
number of classes, ImageNet weights, and where the run goes. :class:`RunSettings` holds those
choices; :func:`settings_from_profile` fills whatever is not chosen from the profile. A run is
one training stage (for the VGG19 U-Net with ImageNet weights: its decoder, the encoder frozen,
as in the book's first stage).

The run folder (``--out``) is a run of the run store (:mod:`.runs`): ``run.json`` holds the spec
(settings, classes and the data's identity: dataset name, split sizes, a digest of the split's
ids and of the files' contents), the checkpoints ``best.pt``/``last.pt`` hold it too plus the
split's ids, and ``metrics.json`` the test scores at each photo's own resolution. Re-running
into a folder that holds a run needs ``--resume`` (continue an interrupted run, reuse a finished
one; refused, with the settings that differ, when the settings changed) or ``--overwrite``
(train afresh in it); a folder holding files no run wrote is never touched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from unet_tutorial.data.classes import ClassTable
from unet_tutorial.evaluation import MulticlassEvaluation, NativeEvaluation, evaluate_native
from unet_tutorial.experiments.flood import data_identity
from unet_tutorial.experiments.runs import Run, open_run
from unet_tutorial.losses import LOSS_NAMES, MULTICLASS_LOSSES, loss_for_classes
from unet_tutorial.metrics import SCORE_NAMES
from unet_tutorial.models import count_parameters, model_from_spec, model_info, model_spec
from unet_tutorial.profiles import Profile
from unet_tutorial.runtime import default_device, seed_everything
from unet_tutorial.training.trainer import MONITORS, TrainConfig, Trainer

#: Bump when a change here changes the results, so saved runs are not reused.
CUSTOM_VERSION = 1


class RunExistsError(FileExistsError):
    """The run folder holds a run and neither ``resume`` nor ``overwrite`` was asked for."""


class SettingsChangedError(ValueError):
    """``resume`` asked for a run whose saved settings differ from the ones given."""


@dataclass(frozen=True)
class RunSettings:
    """Everything a practitioner chooses for one training run.

    Attributes:
        model: a name of the model registry (:data:`unet_tutorial.models.MODELS`).
        width: channels of the first level (networks trained from scratch).
        pretrained: ImageNet weights for the VGG19 encoder (``True``, ``False`` or ``"auto"``).
        image_size: S, the side photos and masks are shrunk to.
        batch_size, epochs, lr, patience, min_epochs, monitor, schedule: training settings
            (see :class:`~unet_tutorial.training.trainer.TrainConfig`).
        loss: a name of :data:`unet_tutorial.losses.LOSS_NAMES` (``ce*`` with classes).
        num_classes: 1 for binary segmentation (one logit per pixel), else C >= 2.
        max_samples: a cap on the photos used (train+val+test), ``None`` for all.
        seed: seeds the split, the initial weights and every epoch.
    """

    model: str
    width: int
    pretrained: bool | str
    image_size: int
    batch_size: int
    epochs: int
    lr: float
    loss: str
    patience: int
    min_epochs: int
    monitor: str
    schedule: str
    num_classes: int
    max_samples: int | None
    seed: int = 42

    def __post_init__(self) -> None:
        model_info(self.model)  # validates the name
        for name in ("width", "image_size", "batch_size", "epochs", "patience", "num_classes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}.")
        if self.image_size < 16:
            raise ValueError(f"image_size must be at least 16 pixels, got {self.image_size}.")
        if self.loss not in LOSS_NAMES:
            raise ValueError(f"Unknown loss {self.loss!r}: choose one of {LOSS_NAMES}.")
        multiclass = self.loss in MULTICLASS_LOSSES
        if multiclass != (self.num_classes >= 2):
            wanted = "'ce' or 'ce+dice'" if self.num_classes >= 2 else "'bce' or 'bce+dice'"
            raise ValueError(
                f"loss {self.loss!r} does not fit {self.num_classes} class(es): with "
                f"{'--classes ' + str(self.num_classes) if self.num_classes >= 2 else 'one'} "
                f"output channel(s) use {wanted}."
            )
        if self.monitor not in MONITORS:
            raise ValueError(f"monitor must be one of {MONITORS}, got {self.monitor!r}.")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def settings_from_profile(
    profile: Profile, num_classes: int = 1, seed: int = 42, **chosen: Any
) -> RunSettings:
    """The profile's recipe (its training plan's first stage and its sizes), with every
    setting in ``chosen`` that is not ``None`` replacing the profile's.

    The profile's loss is swapped for its multi-class counterpart (``bce+dice`` ->
    ``ce+dice``) when ``num_classes >= 2``; a loss chosen explicitly is kept (and checked). The
    minimum number of epochs before early stopping is capped at ``epochs``.
    """
    plan = profile.training
    values: dict[str, Any] = {
        "model": plan.model,
        "width": plan.width,
        "pretrained": plan.pretrained,
        "image_size": profile.image_size,
        "batch_size": profile.batch_size,
        "epochs": plan.epochs,
        "lr": plan.lr,
        "loss": loss_for_classes(plan.loss, num_classes),
        "patience": plan.patience,
        "min_epochs": plan.min_epochs,
        "monitor": plan.monitor,
        "schedule": plan.schedule,
        "max_samples": profile.max_samples,
    }
    unknown = set(chosen) - set(values)
    if unknown:
        raise TypeError(f"unknown settings {sorted(unknown)}")
    values.update({k: v for k, v in chosen.items() if v is not None})
    values["min_epochs"] = min(values["min_epochs"], values["epochs"])
    return RunSettings(**values, num_classes=num_classes, seed=seed)


def run_model_spec(settings: RunSettings) -> dict[str, Any]:
    """How to build the run's network (see :func:`unet_tutorial.models.model_spec`)."""
    if settings.model == "vgg19_unet":
        return model_spec(
            "vgg19_unet", num_classes=settings.num_classes, pretrained=settings.pretrained
        )
    return model_spec(
        settings.model, num_classes=settings.num_classes, base_channels=settings.width
    )


def train_config(settings: RunSettings) -> TrainConfig:
    """The :class:`TrainConfig` of the run."""
    return TrainConfig(
        epochs=settings.epochs,
        lr=settings.lr,
        loss=settings.loss,
        patience=settings.patience,
        min_epochs=settings.min_epochs,
        monitor=settings.monitor,
        schedule=settings.schedule,
        seed=settings.seed,
    )


def files_digest(data: Any) -> str | None:
    """A digest of the contents of every photo and mask the run uses (``None`` for the
    synthetic scenes, which their seed and size determine)."""
    from unet_tutorial.data.cache import content_hash

    scan = getattr(data, "scan", None)
    if scan is None:
        return None
    digest = hashlib.sha1(usedforsecurity=False)
    for pair in sorted(scan.usable, key=lambda p: p.id):
        digest.update(f"{pair.id}:{content_hash(pair.image)}:{content_hash(pair.mask)};".encode())
    return digest.hexdigest()[:16]


def run_spec(settings: RunSettings, data: Any, table: ClassTable | None = None) -> dict[str, Any]:
    """Everything that determines the run's result: its key in the run store."""
    return {
        "experiment": "cli",
        "version": CUSTOM_VERSION,
        "model": run_model_spec(settings),
        "image_size": settings.image_size,
        "batch_size": settings.batch_size,
        "max_samples": settings.max_samples,
        "config": train_config(settings).to_dict(),
        "classes": None if table is None else table.to_dict(),
        "data": data_identity(data) | {"files": files_digest(data)},
    }


def split_ids(data: Any) -> dict[str, list[str]]:
    """The ids of the run's three splits."""
    return {name: list(getattr(data, name).ids) for name in ("train", "val", "test")}


def build_model(settings: RunSettings, verbose: bool = True) -> nn.Module:
    """The run's network, seeded. A VGG19 U-Net keeps its encoder frozen when the ImageNet
    weights loaded (only the decoder trains); without them the whole network trains."""
    seed_everything(settings.seed)
    model = model_from_spec(run_model_spec(settings))
    if settings.model == "vgg19_unet":
        if model.train_all_unless_pretrained():
            note = "no ImageNet weights: the whole network trains from scratch"
        else:
            note = "ImageNet encoder, frozen: the decoder trains"
        if verbose:
            print(f"VGG19 U-Net: {note}")
    return model


@dataclass
class CustomRun:
    """A finished run of :func:`train_custom`.

    Attributes:
        folder: the run folder.
        metrics: the content of ``metrics.json``.
        evaluation: the test scores (``None`` for a reused run: they are in ``metrics``).
        model: the trained network with its best weights (``None`` for a reused run).
        loaded: whether the finished run was reused rather than trained now.
    """

    folder: Path
    metrics: dict[str, Any]
    evaluation: NativeEvaluation | MulticlassEvaluation | None = None
    model: nn.Module | None = None
    loaded: bool = False


def _test_summary(evaluation: NativeEvaluation | MulticlassEvaluation) -> dict[str, Any]:
    if isinstance(evaluation, MulticlassEvaluation):
        low, high = evaluation.bootstrap("mean_iou")
        return {
            "kind": "multi-class",
            "scores": evaluation.scores(),
            "mean_iou_95": [low, high],
            "per_class": evaluation.per_class(),
            "confusion": evaluation.confusion().tolist(),
            "evaluation": evaluation.to_dict(),
        }
    low, high = evaluation.bootstrap("iou")
    return {
        "kind": "binary",
        "scores": evaluation.scores(),
        "iou_95": [low, high],
        "per_image_mean": {n: evaluation.summary[f"per_image_{n}"] for n in SCORE_NAMES},
        "images": [
            row | {"counts": counts}
            for row, counts in zip(evaluation.rows(), evaluation.counts, strict=True)
        ],
    }


def open_custom_run(folder: str | Path, spec: dict[str, Any]) -> Run:
    """The run store's view of ``folder`` (an absolute path) for ``spec``."""
    return open_run(Path(folder).expanduser().resolve(), spec)


def train_custom(
    settings: RunSettings,
    data: Any,
    folder: str | Path,
    *,
    table: ClassTable | None = None,
    resume: bool = False,
    overwrite: bool = False,
    device: str | torch.device | None = None,
    verbose: bool = True,
) -> CustomRun:
    """Train (or resume, or reuse) the run ``settings`` describes on ``data`` in ``folder``.

    Args:
        data: from :func:`unet_tutorial.data.load_flood_data` (with ``classes=table`` for
            multi-class masks).
        table: the class table (``None``: binary).
        resume: continue an interrupted run of the same settings, or reuse a finished one.
        overwrite: train afresh in a folder that holds a run.

    Raises:
        RunExistsError: the folder holds a run and neither ``resume`` nor ``overwrite`` is set.
        SettingsChangedError: ``resume`` for a run with other settings (the message lists them).
        FileExistsError: the folder holds files no run wrote (nothing is changed).
    """
    spec = run_spec(settings, data, table)
    run = open_custom_run(folder, spec)
    status = run.status()
    if status == "new" and run.folder.exists() and any(run.folder.iterdir()):
        raise FileExistsError(
            f"{run.folder} is not empty and no run of this package wrote it (no run.json); "
            "nothing was changed. Choose a new or empty folder for --out."
        )
    if status != "new" and not (resume or overwrite):
        raise RunExistsError(
            f"{run.folder} holds a {'finished' if status == 'finished' else 'earlier'} run. "
            "Pass --resume to continue or reuse it, --overwrite to train afresh in it, or "
            "choose another --out."
        )
    if resume and status == "changed":
        differences = run.differences()
        raise SettingsChangedError(
            f"cannot resume the run in {run.folder}: its settings differ: "
            + "; ".join(differences[:12])
            + ("; ..." if len(differences) > 12 else "")
            + ". Use the same settings, --overwrite to train afresh, or another --out."
        )
    files = [run.path(name) for name in ("best.pt", "metrics.json")]
    if resume and status == "finished" and all(p.is_file() for p in files):
        metrics = json.loads(run.path("metrics.json").read_text())
        if verbose:
            print(f"reusing the finished run in {run.folder} (same settings and data)")
        return CustomRun(run.folder, metrics, loaded=True)

    for split in (data.train, data.val, data.test):
        split.preload()  # decodes every pair now: a bad file or mask stops before any writing
    device = torch.device(device) if device is not None else default_device()
    model = build_model(settings, verbose)
    keep = resume and status == "interrupted" and run.path("last.pt").is_file()
    run.start(keep=keep)
    meta = spec | {"split": split_ids(data), "data_root": _root(data)}
    trainer = Trainer(
        model, train_config(settings), run_dir=run.folder, device=device, meta=meta,
        verbose=verbose,
    )  # fmt: skip
    from unet_tutorial.data import make_loader

    train_loader = make_loader(data.train, settings.batch_size, shuffle=True, seed=settings.seed)
    val_loader = make_loader(data.val, settings.batch_size)
    result = trainer.fit(train_loader, val_loader, resume=keep)
    names = None if table is None else list(table.names)
    evaluation = evaluate_native(trainer.model, data.test, device=device, class_names=names)
    epochs = result.epochs_run
    metrics = {
        "settings": settings.to_dict(),
        "classes": None if table is None else table.to_dict(),
        "data": spec["data"] | {"root": _root(data)},
        "split": split_ids(data),
        "model": {
            **run_model_spec(settings),
            "parameters": count_parameters(trainer.model),
            "trainable_parameters": count_parameters(trainer.model, trainable_only=True),
        },
        "device": device.type,
        "epochs_run": epochs,
        "best_epoch": result.best_epoch,
        "stopped_early": result.stopped_early,
        "train_seconds": round(result.train_seconds, 2),
        "seconds_per_epoch": round(result.train_seconds / max(1, epochs), 2),
        "validation": {k: result.best[k] for k in ("val_loss", "val_iou", "val_dice")},
        "test": _test_summary(evaluation),
    }
    run.path("metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    run.finish({"best_epoch": result.best_epoch, "epochs_run": epochs})
    return CustomRun(run.folder, metrics, evaluation, trainer.model.eval(), loaded=False)


def _root(data: Any) -> str | None:
    scan = getattr(data, "scan", None)
    return None if scan is None else str(Path(scan.root).resolve())


def describe_test(metrics: dict[str, Any]) -> list[str]:
    """The lines ``train`` and ``evaluate`` print about test scores stored in ``metrics``."""
    test = metrics["test"]
    scores = test["scores"]
    if test["kind"] == "binary":
        low, high = test["iou_95"]
        return [
            f"test (each photo at its own size): IoU {scores['iou']:.3f} (95% bootstrap "
            f"interval {low:.3f}-{high:.3f}), Dice {scores['dice']:.3f}, precision "
            f"{scores['precision']:.3f}, recall {scores['recall']:.3f}, pixel accuracy "
            f"{scores['pixel_accuracy']:.3f}"
        ]
    low, high = test["mean_iou_95"]
    lines = [
        f"test (each photo at its own size): mean IoU {scores['mean_iou']:.3f} (95% bootstrap "
        f"interval {low:.3f}-{high:.3f}), mean Dice {scores['mean_dice']:.3f}, pixel accuracy "
        f"{scores['pixel_accuracy']:.3f}"
    ]
    for row in test["per_class"]:
        lines.append(
            f"  {row['index']} {row['name']}: IoU {row['iou']:.3f}, Dice {row['dice']:.3f}, "
            f"{row['share']:.1%} of the pixels"
        )
    return lines
