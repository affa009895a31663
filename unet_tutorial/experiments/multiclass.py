"""Chapter 12: a U-Net with three output channels on the three-class synthetic scenes.

The scenes of :mod:`unet_tutorial.data.synthetic` are painted with exact labels, so besides the
water mask they give a three-class mask for free
(:func:`~unet_tutorial.data.synthetic.render_scene_classes`): 0 other (land, sky, trees),
1 water, 2 building. The chapter trains an Attention U-Net with ``num_classes=3``, softmax
cross-entropy plus the multi-class Dice loss, through the function every run goes through
(:func:`unet_tutorial.runs.train_run`, which the command line calls too), and keeps the run in
the run store as ``data/runs/multiclass-<profile>/``: a finished run with the same spec is
loaded, so the chapter trains once per machine. It runs offline under every profile (the
scenes are generated).

The profile gives the image size, batch size, number of scenes and the network's width; the
number of epochs and the early-stopping patience are this experiment's own
(:data:`PLANS`), sized so that the ``cpu`` profile trains in a few minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from unet_tutorial.data.classes import ClassTable
from unet_tutorial.data.synthetic import SCENE_CLASS_NAMES
from unet_tutorial.evaluation import MulticlassEvaluation
from unet_tutorial.experiments.timing import announce_training
from unet_tutorial.paths import runs_dir, shown_path
from unet_tutorial.profiles import Profile
from unet_tutorial.runs import RunSpec, open_run, spec_from_profile, train_run
from unet_tutorial.training.progress import print_history

#: The three classes, drawn grey (other), blue (water) and orange (building).
SCENE_CLASSES = ClassTable(
    SCENE_CLASS_NAMES, display=((120, 120, 120), (0, 114, 178), (230, 159, 0))
)


@dataclass(frozen=True)
class MulticlassPlan:
    """How long the chapter trains: at most ``epochs``, early stopping on the validation mean
    IoU after ``patience`` epochs without progress, not before ``min_epochs``."""

    epochs: int
    patience: int
    min_epochs: int


PLANS: dict[str, MulticlassPlan] = {
    "smoke": MulticlassPlan(epochs=2, patience=2, min_epochs=1),
    "cpu": MulticlassPlan(epochs=30, patience=8, min_epochs=10),
    "gpu": MulticlassPlan(epochs=60, patience=15, min_epochs=10),
}
"""The plan of each profile (another profile name gets the ``smoke`` plan)."""


def plan_for(profile: Profile) -> MulticlassPlan:
    return PLANS.get(profile.name, PLANS["smoke"])


#: Bump when a change here changes the results, so stored runs are not reused.
MULTICLASS_VERSION = 1


def run_spec(profile: Profile, seed: int = 42) -> RunSpec:
    """The chapter's run: an Attention U-Net of the profile's training width, three classes,
    ``ce+dice``, the profile's image and batch size, the plan's epochs."""
    plan = plan_for(profile)
    return spec_from_profile(
        profile,
        classes=SCENE_CLASSES.to_dict(),
        seed=seed,
        purpose={
            "experiment": "multiclass",
            "version": MULTICLASS_VERSION,
            "profile": profile.name,
        },
        model="attention_unet",
        width=profile.training.width,
        loss="ce+dice",
        epochs=plan.epochs,
        patience=plan.patience,
        min_epochs=plan.min_epochs,
        monitor="val_iou",
        schedule="constant",
        # Adam and the latest weights, as this chapter's runs were measured: the weight average
        # of the flood recipe was chosen for its runs of at most `plan.epochs` (chapter 8).
        weight_decay=0.0,
        ema=0.0,
    )


def load_scene_classes(profile: Profile, seed: int = 42, verbose: bool = True) -> Any:
    """The three-class scenes, split into train/val/test, at the profile's image size."""
    from unet_tutorial.data import load_flood_data

    return load_flood_data(
        profile,
        synthetic=True,
        classes=SCENE_CLASSES,
        seed=seed,
        manifest=None,
        verbose=verbose,
    )


def class_shares(dataset: Any, num_classes: int = 3) -> np.ndarray:
    """Each class's share of the pixels of a split's masks (at the training size S×S)."""
    counts = np.zeros(num_classes, np.int64)
    for index in range(len(dataset)):
        _, labels = dataset.arrays(index)
        counts += np.bincount(labels.ravel(), minlength=num_classes)[:num_classes]
    return counts / max(1, counts.sum())


def run_folder(profile: Profile) -> Path:
    """``data/runs/multiclass-<profile>/``."""
    return runs_dir() / f"multiclass-{profile.name}"


@dataclass
class MulticlassRun:
    """The chapter's trained network and what it scored.

    Attributes:
        model: the network (best epoch's weights), in eval mode on the CPU.
        history: one record per epoch (train and validation loss, validation mean IoU and mean
            Dice, seconds).
        best_epoch: the epoch whose weights the model holds.
        max_epochs: the plan's epoch cap.
        evaluation: the test split's scores at each scene's own size.
        metrics: the run's ``metrics.json``.
        folder: the run folder.
        loaded: whether the finished run was loaded rather than trained now.
    """

    model: nn.Module
    history: list[dict[str, Any]]
    best_epoch: int
    max_epochs: int
    evaluation: MulticlassEvaluation
    metrics: dict[str, Any]
    folder: Path
    loaded: bool


def announce(profile: Profile, data: Any, seed: int = 42) -> None:
    """Say what :func:`load_or_train` is about to do: load the stored run, or train, and how
    long training took where it was measured (:func:`.timing.announce_training`)."""
    spec = run_spec(profile, seed)
    run = open_run(run_folder(profile), spec.key(data))
    announce_training(
        "multiclass",
        profile,
        spec.config.epochs,
        stored=run.status() == "finished",
        where=str(run.folder),
        model=spec.model_name,
    )


def load_or_train(
    profile: Profile,
    data: Any = None,
    *,
    seed: int = 42,
    device: str | torch.device | None = None,
    verbose: bool = True,
) -> MulticlassRun:
    """The chapter's run: loaded from the run store when a finished one with this spec is
    there (its epoch lines are printed again), resumed when interrupted, trained otherwise (a
    stored run of an older spec is replaced: the book's runs are its cache).

    Args:
        data: from :func:`load_scene_classes` (loaded when ``None``).
    """
    data = data if data is not None else load_scene_classes(profile, seed, verbose)
    spec = run_spec(profile, seed)
    folder = run_folder(profile)
    stored = open_run(folder, spec.key(data)).status() == "finished"
    result = train_run(
        spec, data, folder, replace_changed=True, device=device, verbose=verbose and not stored
    )
    run = MulticlassRun(
        result.model.cpu(),
        result.history,
        result.best_epoch,
        result.max_epochs,
        result.evaluation,
        result.metrics,
        result.folder,
        result.loaded,
    )
    if verbose and run.loaded:
        print(f"loaded the finished run {shown_path(folder)}; its epoch lines:")
        print_history(run.history, run.best_epoch, run.max_epochs)
    return run
