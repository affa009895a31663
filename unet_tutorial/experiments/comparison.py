"""One recipe, six networks: the comparison of chapter 11.

Every network of the model registry (:data:`unet_tutorial.models.MODELS`) is trained the same
way under the active profile: the same split and augmentation (:func:`load_comparison_data`),
the same loss, learning rate, image size (``profile.comparison.image_size``), batch size and
number of epochs (``profile.comparison.epochs``, no early stopping), the same seed, through
:func:`unet_tutorial.runs.train_run` like every run of the book. Each run gives one
:class:`ComparisonRow`: parameters, training and inference speed, test IoU and Dice at each
photo's original resolution (:func:`~unet_tutorial.evaluation.evaluate_native`), and the
training time.

Runs are kept in the run store (:mod:`unet_tutorial.runs.store`), one folder per model under
``data/runs/compare-<profile>/``, keyed by everything that determines the result (sizes,
training settings, data and split, model, device, :data:`COMPARE_VERSION`): a rebuild with the
same key reuses them (with the row, ``row.json``); any change trains afresh.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from unet_tutorial.analysis import cost
from unet_tutorial.analysis.paired import PairedDifference, paired_bootstrap
from unet_tutorial.data import FloodData, load_flood_data
from unet_tutorial.evaluation import Evaluation, evaluation_from_dict
from unet_tutorial.models import MODELS, count_parameters, model_spec_for
from unet_tutorial.paths import runs_dir, shown_path
from unet_tutorial.profiles import Profile
from unet_tutorial.runs import RunSpec, build_model, open_run, train_run
from unet_tutorial.runs.pipeline import weights_note
from unet_tutorial.runtime import default_device
from unet_tutorial.training.speed import inference_throughput
from unet_tutorial.training.trainer import TrainConfig

#: Bump when a change here changes the results, so saved runs are not reused.
COMPARE_VERSION = 3

SEED = 42

ROW_FILE = "row.json"
"""The file in each run folder that holds the network's :class:`ComparisonRow`."""


@dataclass(frozen=True)
class ComparisonRow:
    """One model's line of the comparison table.

    Attributes:
        model: key in :data:`MODELS`; ``name``: its display name.
        parameters / trainable: all parameters and those the optimiser updates.
        train_images_per_s: training throughput over all epochs, data loading included
            (:class:`TimedLoader`).
        infer_images_per_s: forward passes on a random batch of the profile's batch size and
            the comparison's image size, without gradients (:func:`inference_throughput`).
        test_iou / test_dice: flood-class IoU and Dice over the test split (micro: counts summed
            over all test pixels), each prediction upsampled to its photo's original size.
        test_precision / test_recall: the share of predicted water that is water, and of the
            water that is found (micro); a model that marks everything as water has recall 1.
        test_iou_per_image: the mean of the per-image IoUs (every photo weighs the same).
        test_iou_low / test_iou_high: a 95 % bootstrap interval of ``test_iou`` over the test
            photos: how much the score could move with another test set of the same size.
        train_minutes: wall-clock minutes of training (validation after each epoch included).
        epochs_run / best_epoch: epochs trained and the one whose weights were kept.
        best_val_iou: the validation IoU of that epoch.
        last_train_loss / last_val_loss: the losses of the last epoch (their gap is a sign of
            overfitting when the validation loss is the larger).
        note: how the model was set up (weights, padding), for the table's reader.
    """

    model: str
    name: str
    parameters: int
    trainable: int
    train_images_per_s: float
    infer_images_per_s: float
    test_iou: float
    test_dice: float
    test_precision: float
    test_recall: float
    test_iou_per_image: float
    test_iou_low: float
    test_iou_high: float
    train_minutes: float
    epochs_run: int
    best_epoch: int
    best_val_iou: float
    last_train_loss: float
    last_val_loss: float
    note: str


def comparison_profile(profile: Profile) -> Profile:
    """``profile`` with its image size set to the comparison's (``profile.comparison``)."""
    return profile.replace(image_size=profile.comparison.image_size)


def load_comparison_data(profile: Profile, **options: Any) -> FloodData:
    """The flood data at the comparison's image size (options go to ``load_flood_data``)."""
    return load_flood_data(comparison_profile(profile), **options)


def train_config(profile: Profile) -> TrainConfig:
    """The training settings every compared model gets under ``profile``.

    Loss, learning rate and the validation score that picks the best epoch are those of the
    profile's training plan (chapter 8); the budget is ``profile.comparison.epochs`` epochs for
    every model, with no early stopping, so that no model gets more training than another.
    """
    plan, epochs = profile.training, profile.comparison.epochs
    return TrainConfig(
        epochs=epochs,
        lr=plan.lr,
        loss=plan.loss,
        patience=epochs,
        min_epochs=epochs,
        monitor=plan.monitor,
        seed=SEED,
    )


def run_spec(name: str, profile: Profile) -> RunSpec:
    """The run of network ``name`` in the comparison under ``profile``.

    The paper's network and the four padded-convolution networks (the plain U-Net of chapter 4
    and its three variants) get ``profile.base_channels`` channels at the first level and
    depth 4. The VGG19 U-Net keeps VGG19's widths (its encoder is VGG19): with ImageNet
    weights its encoder stays frozen as in the original recipe; without them (offline) a frozen
    random encoder would be useless, so the whole network trains from scratch
    (:func:`unet_tutorial.runs.build_model`).
    """
    return RunSpec(
        model=model_spec_for(name, width=profile.base_channels, pretrained="auto"),
        config=train_config(profile),
        image_size=profile.comparison.image_size,
        batch_size=profile.batch_size,
        max_samples=profile.max_samples,
        purpose={
            "experiment": "comparison",
            "version": COMPARE_VERSION,
            "profile": profile.name,
            "device": default_device().type,
        },
    )


def is_stored(name: str, profile: Profile, data: FloodData) -> bool:
    """Whether network ``name``'s run is finished in the run store (with its row)."""
    run = open_run(comparison_dir(profile) / name, run_spec(name, profile).key(data))
    return run.status() == "finished" and run.path(ROW_FILE).is_file()


def training_operations(name: str, profile: Profile, train_images: int, val_images: int) -> int:
    """Floating-point operations of network ``name``'s comparison training under ``profile``
    (:func:`~unet_tutorial.analysis.cost.training_operations`)."""
    return cost.training_operations(
        name,
        profile.base_channels,
        profile.comparison.image_size,
        train_images=train_images,
        val_images=val_images,
        epochs=profile.comparison.epochs,
    )


def comparison_dir(profile: Profile) -> Path:
    """``data/runs/compare-<profile>/``: one run folder per model."""
    return runs_dir() / f"compare-{profile.name}"


def run_one(
    name: str, profile: Profile, data: FloodData, *, refresh: bool = False, verbose: bool = True
) -> tuple[ComparisonRow, nn.Module]:
    """Train and evaluate one model, or reuse its stored run; return the row and the model
    (with its best weights, in eval mode, on the CPU)."""
    spec = run_spec(name, profile)
    if data.train.image_size != spec.image_size:
        raise ValueError(
            f"The comparison trains at {spec.image_size}x{spec.image_size} "
            "(profile.comparison.image_size) but the data is at "
            f"{data.train.image_size}x{data.train.image_size}; load it with "
            "load_comparison_data(profile)."
        )
    folder = comparison_dir(profile) / name
    title = MODELS[name].title
    stored = is_stored(name, profile, data)

    def announced_network() -> nn.Module:
        model = build_model(spec)[0]
        if verbose:
            note = _setup_note(name, weights_note(model))
            print(f"{title}: {count_parameters(model):,} parameters; {note}")
        return model

    result = train_run(
        spec,
        data,
        folder,
        start_from=announced_network,
        overwrite=refresh,
        replace_changed=True,
        verbose=verbose and not stored,
    )
    model = result.model.to("cpu", memory_format=torch.contiguous_format).eval()
    row_path = folder / ROW_FILE
    if result.loaded and row_path.is_file():
        if verbose:
            print(f"{title}: reusing the saved run in {shown_path(folder)}")
        return ComparisonRow(**json.loads(row_path.read_text())), model
    row = comparison_row(name, result, profile)
    row_path.write_text(json.dumps(asdict(row), indent=1) + "\n")
    return row, model


def comparison_row(name: str, result: Any, profile: Profile) -> ComparisonRow:
    """The table row of a finished run (:class:`~unet_tutorial.runs.RunResult`); the inference
    speed is measured now, on the run's network."""
    metrics, training = result.metrics, result.metrics["training"]
    summary, (low, high) = result.evaluation.summary, result.metrics["test"]["interval_95"]["iou"]
    history = result.history
    return ComparisonRow(
        model=name,
        name=MODELS[name].title,
        parameters=metrics["model"]["parameters"],
        trainable=metrics["model"]["trainable_parameters"],
        train_images_per_s=training["train_images_per_second"],
        infer_images_per_s=inference_throughput(
            result.model, profile.batch_size, profile.comparison.image_size
        ),
        test_iou=float(summary["iou"]),
        test_dice=float(summary["dice"]),
        test_precision=float(summary["precision"]),
        test_recall=float(summary["recall"]),
        test_iou_per_image=float(summary["per_image_iou"]),
        test_iou_low=low,
        test_iou_high=high,
        train_minutes=result.train_seconds / 60,
        epochs_run=result.epochs_run,
        best_epoch=result.best_epoch,
        best_val_iou=float(result.best["val_iou"]),
        last_train_loss=float(history[-1]["train_loss"]),
        last_val_loss=float(history[-1]["val_loss"]),
        note=_setup_note(name, metrics["model"]["weights"]),
    )


def _setup_note(name: str, weights: str) -> str:
    """The table's note on how the network was set up."""
    if not MODELS[name].pretrained_encoder:
        return MODELS[name].note
    if weights.startswith("ImageNet"):
        return "ImageNet encoder, frozen"
    return "no ImageNet weights: trained from scratch"


def run_comparison(
    profile: Profile,
    data: FloodData,
    names: Sequence[str] = tuple(MODELS),
    *,
    refresh: bool = False,
    verbose: bool = True,
) -> tuple[list[ComparisonRow], dict[str, nn.Module]]:
    """Train (or reuse) every model in ``names``; return the rows and the trained models."""
    unknown = [name for name in names if name not in MODELS]
    if unknown:
        raise ValueError(f"Unknown models {unknown}; choose among {list(MODELS)}.")
    rows, models = [], {}
    for name in names:
        row, model = run_one(name, profile, data, refresh=refresh, verbose=verbose)
        rows.append(row)
        models[name] = model
    return rows, models


def stored_evaluation(name: str, profile: Profile) -> Evaluation:
    """Network ``name``'s per-photo test evaluation, read from its run's ``metrics.json``."""
    metrics = json.loads((comparison_dir(profile) / name / "metrics.json").read_text())
    return evaluation_from_dict(metrics["test"]["evaluation"])


def paired_with_best(
    rows: Sequence[ComparisonRow], profile: Profile
) -> list[tuple[ComparisonRow, PairedDifference]]:
    """For every network but the one with the best test IoU: the best one's test IoU minus this
    one's, with its paired bootstrap interval over the test photos
    (:func:`unet_tutorial.analysis.paired.paired_bootstrap`), best to worst."""
    ranked = sorted(rows, key=lambda row: row.test_iou, reverse=True)
    best = stored_evaluation(ranked[0].model, profile)
    return [
        (row, paired_bootstrap(best, stored_evaluation(row.model, profile))) for row in ranked[1:]
    ]


def results_table(rows: Sequence[ComparisonRow]) -> Any:
    """The rows as a displayable HTML table (:func:`unet_tutorial.report.tables.comparison_table`:
    parameters, speeds, test scores with their intervals, training minutes, kept epoch)."""
    from IPython.display import HTML

    from unet_tutorial.report.tables import comparison_table

    return HTML(comparison_table(rows))
