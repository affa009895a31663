"""One recipe, six networks: the comparison of chapter 11.

Every network of the model registry (:data:`unet_tutorial.models.MODELS`) is trained the same
way under the active profile: the same split and augmentation (:func:`load_comparison_data`),
the same loss, learning rate, image size (``profile.comparison.image_size``), batch size and
number of epochs (``profile.comparison.epochs``, no early stopping), the same seed, with the
package's :class:`~unet_tutorial.training.trainer.Trainer`. Each run gives one
:class:`ComparisonRow`: parameters, training and inference speed, test IoU and Dice at each
photo's original resolution (:func:`~unet_tutorial.evaluation.evaluate_native`), and the
training time.

Runs are kept in the run store (:mod:`.runs`), one folder per model under
``data/runs/compare-<profile>/``, keyed by everything that determines the result (sizes,
training settings, data and split, model, device, :data:`COMPARE_VERSION`): a rebuild with the
same key reuses them; any change trains afresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from unet_tutorial.analysis import cost
from unet_tutorial.data import FloodData, load_flood_data, make_loader
from unet_tutorial.evaluation import evaluate_native
from unet_tutorial.experiments.flood import data_identity
from unet_tutorial.experiments.runs import open_run
from unet_tutorial.models import MODELS, count_parameters, create_model
from unet_tutorial.paths import runs_dir, shown_path
from unet_tutorial.profiles import Profile
from unet_tutorial.runtime import default_device, seed_everything
from unet_tutorial.training.speed import TimedLoader, inference_throughput
from unet_tutorial.training.trainer import TrainConfig, Trainer

#: Bump when a change here changes the results, so saved runs are not reused.
COMPARE_VERSION = 3

SEED = 42


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


def build_model(name: str, profile: Profile) -> tuple[nn.Module, str]:
    """The registry's network ``name`` set up for the comparison, and a note on the setup.

    The paper's network and the four padded-convolution networks (the plain U-Net of chapter 4
    and its three variants) get ``profile.base_channels`` channels at the first level and
    depth 4. The VGG19 U-Net keeps VGG19's widths (its encoder is VGG19): with ImageNet
    weights its encoder stays frozen as in the original recipe; without them (offline) a frozen
    random encoder would be useless, so the whole network trains from scratch.
    """
    info = MODELS.get(name)
    if info is None:
        raise ValueError(f"Unknown model {name!r}; choose one of {list(MODELS)}.")
    if name == "vgg19_unet":
        model = create_model(name, num_classes=1, pretrained="auto")
        if model.train_all_unless_pretrained():
            return model, "no ImageNet weights: trained from scratch"
        return model, "ImageNet encoder, frozen"
    return create_model(name, num_classes=1, base_channels=profile.base_channels), info.note


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


def run_spec(name: str, profile: Profile, data: FloodData) -> dict[str, Any]:
    """Everything that determines one model's result (its key in the run store)."""
    return {
        "experiment": "comparison",
        "version": COMPARE_VERSION,
        "model": name,
        "sizes": [profile.comparison.image_size, profile.batch_size, profile.base_channels],
        "max_samples": profile.max_samples,
        "config": train_config(profile).to_dict(),
        "data": data_identity(data),
        "device": default_device().type,
    }


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
    """Train and evaluate one model, or reuse its saved run; return the row and the model
    (with its best weights, in eval mode)."""
    run = open_run(comparison_dir(profile) / name, run_spec(name, profile, data))
    seed_everything(SEED)  # every model starts from the same random state
    model, note = build_model(name, profile)
    title = MODELS[name].title
    if run.status() == "finished" and not refresh and run.path("weights.pt").is_file():
        state = torch.load(run.path("weights.pt"), map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        if verbose:
            print(f"{title}: reusing the saved run in {shown_path(run.folder)}")
        return ComparisonRow(**run.result()), model.eval()

    size, batch = profile.comparison.image_size, profile.batch_size
    if data.train.image_size != size:
        raise ValueError(
            f"The comparison trains at {size}x{size} (profile.comparison.image_size) but the "
            f"data is at {data.train.image_size}x{data.train.image_size}; load it with "
            "load_comparison_data(profile)."
        )
    run.start()
    if verbose:
        print(f"{title}: {count_parameters(model):,} parameters; {note}")
    trainer = Trainer(model, train_config(profile), verbose=verbose)
    train_loader = TimedLoader(make_loader(data.train, batch, shuffle=True, seed=SEED))
    result = trainer.fit(train_loader, make_loader(data.val, batch))
    evaluation = evaluate_native(model, data.test, device=trainer.device)
    scores, (low, high) = evaluation.summary, evaluation.bootstrap("iou")
    infer_speed = inference_throughput(model, batch, size)
    row = ComparisonRow(
        model=name,
        name=title,
        parameters=count_parameters(model),
        trainable=count_parameters(model, trainable_only=True),
        train_images_per_s=train_loader.images_per_second,
        infer_images_per_s=infer_speed,
        test_iou=float(scores["iou"]),
        test_dice=float(scores["dice"]),
        test_precision=float(scores["precision"]),
        test_recall=float(scores["recall"]),
        test_iou_per_image=float(scores["per_image_iou"]),
        test_iou_low=low,
        test_iou_high=high,
        train_minutes=result.train_seconds / 60,
        epochs_run=result.epochs_run,
        best_epoch=result.best_epoch,
        best_val_iou=float(result.best["val_iou"]),
        last_train_loss=float(result.history[-1]["train_loss"]),
        last_val_loss=float(result.history[-1]["val_loss"]),
        note=note,
    )
    model = model.to("cpu", memory_format=torch.contiguous_format).eval()
    torch.save({k: v.contiguous() for k, v in model.state_dict().items()}, run.path("weights.pt"))
    run.finish(asdict(row))
    return row, model


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
