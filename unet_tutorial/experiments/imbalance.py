"""Class imbalance and ``pos_weight``: the small experiment of chapter 8.

When water covers a small share of the pixels, the cross-entropy is dominated by the land
pixels, and a network can lower it by calling doubtful pixels land: it finds less of the water
(lower recall) but what it marks is mostly water (higher precision). ``pos_weight`` (see
:func:`unet_tutorial.losses.make_loss`) makes each water pixel's cross-entropy count that many
times more; with the ratio of land to water pixels, both classes weigh the same in total.

:func:`run_imbalance` trains the profile's network twice, the same way except for
``pos_weight`` (1, then the land/water ratio of the training masks), at half the profile's image
size for a few epochs (:func:`imbalance_settings`), with the plain cross-entropy so that the
weight is the only difference, and scores both on the validation split: the share of pixels
predicted as water, precision, recall and IoU. Each run goes through
:func:`unet_tutorial.runs.train_run` and is kept in the run store under
``imbalance-<profile>-<dataset>/pos-weight-<w>``, so a rebuild reuses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from unet_tutorial.data import FloodData, load_flood_data, make_loader
from unet_tutorial.data.identity import dataset_name
from unet_tutorial.paths import runs_dir
from unet_tutorial.profiles import Profile
from unet_tutorial.runs import RunSpec, open_run, spec_from_profile, train_run
from unet_tutorial.runtime import default_device
from unet_tutorial.training.loop import evaluate
from unet_tutorial.training.trainer import TrainConfig

#: Bump when a change here changes the results, so that stored runs are not reused.
IMBALANCE_VERSION = 1

SEED = 42

#: The most epochs each run of the experiment trains (the profile's cap is used when smaller).
MAX_EPOCHS = 10


@dataclass(frozen=True)
class ImbalanceSettings:
    """The size of the experiment under a profile.

    Attributes:
        image_size: side of the images (half the profile's, at least 32 pixels).
        epochs: epochs of each run, all of them trained (no early stopping).
    """

    image_size: int
    epochs: int


@dataclass(frozen=True)
class ImbalanceRow:
    """One run of the experiment, scored on the validation split at the experiment's size.

    Attributes:
        pos_weight: the weight of a water pixel's cross-entropy.
        true_water: share of the validation pixels that are water in the masks.
        predicted_water: share of the validation pixels the network calls water.
        precision: share of the predicted water that is water.
        recall: share of the water that is found.
        iou: overlap of predicted and true water (micro, all validation pixels).
        best_epoch: the epoch whose weights were scored (best validation IoU).
        seconds: training time, validation after each epoch included.
    """

    pos_weight: float
    true_water: float
    predicted_water: float
    precision: float
    recall: float
    iou: float
    best_epoch: int
    seconds: float


def imbalance_settings(profile: Profile) -> ImbalanceSettings:
    """Half the profile's image size (at least 32) and at most :data:`MAX_EPOCHS` epochs."""
    return ImbalanceSettings(
        image_size=max(32, profile.image_size // 2),
        epochs=min(MAX_EPOCHS, profile.training.epochs),
    )


def load_imbalance_data(profile: Profile, **options: Any) -> FloodData:
    """The flood data at the experiment's image size (options go to ``load_flood_data``)."""
    size = imbalance_settings(profile).image_size
    return load_flood_data(profile.replace(image_size=size), **options)


def water_share(dataset: Any) -> float:
    """Share of water pixels in the masks of ``dataset`` at its image size (no augmentation)."""
    water = total = 0
    for index in range(len(dataset)):
        mask = dataset.arrays(index)[1]
        water += int(mask.sum())
        total += mask.size
    if total == 0:
        raise ValueError("the dataset holds no pixels: is the split empty?")
    return water / total


def land_water_ratio(dataset: Any) -> float:
    """Land pixels per water pixel in the masks of ``dataset``: the usual ``pos_weight``."""
    share = water_share(dataset)
    if share == 0:
        raise ValueError("the masks hold no water: a pos_weight cannot balance nothing.")
    return (1 - share) / share


def imbalance_config(profile: Profile, pos_weight: float) -> TrainConfig:
    """The training settings of one run: the profile's learning rate and monitor, the plain
    cross-entropy weighted by ``pos_weight``, every epoch trained."""
    epochs = imbalance_settings(profile).epochs
    return TrainConfig(
        epochs=epochs,
        lr=profile.training.lr,
        loss="bce",
        pos_weight=float(pos_weight),
        patience=epochs,
        min_epochs=epochs,
        monitor="val_iou",
        seed=SEED,
    )


def run_spec(profile: Profile, pos_weight: float) -> RunSpec:
    """The run with ``pos_weight``: the profile's network at the experiment's size, trained
    with :func:`imbalance_config`."""
    settings = imbalance_settings(profile)
    spec = spec_from_profile(
        profile,
        seed=SEED,
        image_size=settings.image_size,
        purpose={
            "experiment": "imbalance",
            "version": IMBALANCE_VERSION,
            "profile": profile.name,
            "device": default_device().type,
        },
    )
    return spec.replace(config=imbalance_config(profile, pos_weight))


def run_folder(profile: Profile, data: FloodData, pos_weight: float) -> Path:
    """``data/runs/imbalance-<profile>-<dataset>/pos-weight-<w>/``."""
    name = f"imbalance-{profile.name}-{dataset_name(data)}"
    return runs_dir() / name / f"pos-weight-{pos_weight:.3g}"


def runs_stored(profile: Profile, data: FloodData, weights: Sequence[float]) -> bool:
    """Whether every run with these weights is finished in the run store."""
    return all(
        open_run(run_folder(profile, data, w), run_spec(profile, w).key(data)).status()
        == "finished"
        for w in weights
    )


def validation_scores(model: torch.nn.Module, loader: Any) -> dict[str, float]:
    """Shares of true and predicted water, precision, recall and IoU over ``loader``
    (:func:`unet_tutorial.training.loop.evaluate`, the loop of the trainer's validation)."""
    scores = evaluate(model, loader)
    return {
        "true_water": scores["true_share"],
        "predicted_water": scores["predicted_share"],
        "precision": scores["precision"],
        "recall": scores["recall"],
        "iou": scores["iou"],
    }


def train_one(profile: Profile, data: FloodData, pos_weight: float) -> ImbalanceRow:
    """Train and score the run with ``pos_weight``, or score its stored network again."""
    spec = run_spec(profile, pos_weight)
    folder = run_folder(profile, data, pos_weight)
    result = train_run(spec, data, folder, replace_changed=True, verbose=False)
    scores = validation_scores(result.model, make_loader(data.val, spec.batch_size))
    return ImbalanceRow(
        pos_weight=float(pos_weight),
        best_epoch=result.best_epoch,
        seconds=round(result.train_seconds, 2),
        **scores,
    )


def run_imbalance(
    profile: Profile, data: FloodData, weights: Sequence[float]
) -> list[ImbalanceRow]:
    """One :class:`ImbalanceRow` per weight (from the run store when stored)."""
    return [train_one(profile, data, w) for w in weights]


def print_imbalance(rows: Sequence[ImbalanceRow]) -> None:
    """The experiment's table, one line per weight."""
    print(
        f"{'pos_weight':>10}  {'water (true)':>12}  {'water (predicted)':>17}"
        f"  {'precision':>9}  {'recall':>6}  {'IoU':>5}"
    )
    for row in rows:
        print(
            f"{row.pos_weight:>10.2f}  {row.true_water:>12.3f}  {row.predicted_water:>17.3f}"
            f"  {row.precision:>9.3f}  {row.recall:>6.3f}  {row.iou:>5.3f}"
        )
