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
predicted as water, precision, recall and IoU. Each run is kept in the run store
(:mod:`.runs`) under ``imbalance-<profile>-<dataset>/pos-weight-<w>``, so a rebuild reuses it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch

from unet_tutorial.data import FloodData, load_flood_data, make_loader
from unet_tutorial.experiments.flood import (
    build_flood_model,
    data_identity,
    dataset_name,
    flood_model_spec,
)
from unet_tutorial.experiments.runs import Run, open_run
from unet_tutorial.metrics import SegmentationMetrics
from unet_tutorial.profiles import Profile
from unet_tutorial.runtime import default_device, seed_everything
from unet_tutorial.training.step import forward
from unet_tutorial.training.trainer import TrainConfig, Trainer

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


def run_spec(profile: Profile, data: FloodData, pos_weight: float) -> dict[str, Any]:
    """Everything that determines one run's result (its key in the run store)."""
    return {
        "experiment": "imbalance",
        "version": IMBALANCE_VERSION,
        "profile": profile.name,
        "model": flood_model_spec(profile.training),
        "image_size": data.train.image_size,
        "batch_size": profile.batch_size,
        "max_samples": profile.max_samples,
        "config": imbalance_config(profile, pos_weight).to_dict(),
        "data": data_identity(data),
        "device": default_device().type,
    }


def imbalance_run(profile: Profile, data: FloodData, pos_weight: float) -> Run:
    """The run-store entry of the run with ``pos_weight``."""
    name = f"imbalance-{profile.name}-{dataset_name(data)}/pos-weight-{pos_weight:.3g}"
    return open_run(name, run_spec(profile, data, pos_weight))


def runs_stored(profile: Profile, data: FloodData, weights: Sequence[float]) -> bool:
    """Whether every run with these weights is finished in the run store."""
    return all(imbalance_run(profile, data, w).status() == "finished" for w in weights)


@torch.no_grad()
def validation_scores(model: torch.nn.Module, loader: Any) -> dict[str, float]:
    """Shares of true and predicted water, precision, recall and IoU over ``loader``."""
    model.eval()
    metrics = SegmentationMetrics(kind="logits")
    for images, masks, *_ in loader:
        logits = forward(model, images)
        metrics.update(logits, masks.to(logits.device))
    counts = metrics.counts().sum(0).tolist()
    tp, fp, fn, tn = counts
    scores = metrics.compute()
    total = tp + fp + fn + tn
    return {
        "true_water": (tp + fn) / total,
        "predicted_water": (tp + fp) / total,
        "precision": scores["precision"],
        "recall": scores["recall"],
        "iou": scores["iou"],
    }


def train_one(profile: Profile, data: FloodData, pos_weight: float) -> ImbalanceRow:
    """Train and score the run with ``pos_weight``, or load its stored result."""
    run = imbalance_run(profile, data, pos_weight)
    if run.status() == "finished" and run.result() is not None:
        return ImbalanceRow(**run.result())
    run.start()
    seed_everything(SEED)
    model = build_flood_model(profile.training)
    trainer = Trainer(model, imbalance_config(profile, pos_weight), verbose=False)
    batch = profile.batch_size
    began = time.perf_counter()
    result = trainer.fit(
        make_loader(data.train, batch, shuffle=True, seed=SEED), make_loader(data.val, batch)
    )
    seconds = time.perf_counter() - began
    scores = validation_scores(trainer.model, make_loader(data.val, batch))
    row = ImbalanceRow(
        pos_weight=float(pos_weight),
        best_epoch=result.best_epoch,
        seconds=round(seconds, 2),
        **scores,
    )
    run.finish(asdict(row))
    return row


def run_imbalance(
    profile: Profile, data: FloodData, weights: Sequence[float]
) -> list[ImbalanceRow]:
    """One :class:`ImbalanceRow` per weight (loaded from the run store when stored)."""
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
