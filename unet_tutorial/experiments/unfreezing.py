"""Unfreezing the VGG19 encoder, demonstrated in miniature: the short runs of chapter 9.

The ``gpu`` profile trains the original's VGG19 U-Net: first with the whole encoder frozen,
then (fine-tuning) with its last block unfrozen and a ten times smaller learning rate. The
``cpu`` and ``smoke`` profiles train a network from scratch instead, which has nothing frozen
to unfreeze. So that every reader sees unfreezing work, :func:`run_demo` runs the ``gpu``
recipe's two stages on the VGG19 U-Net at a small size, for a few epochs each
(:func:`demo_settings`), under any profile:

1. ``frozen``: the encoder frozen (ImageNet weights when they can be loaded, otherwise random:
   the model's ``weights_note`` says which), the decoder trained at the recipe's learning rate;
2. ``unfrozen``: from the first stage's best weights, encoder blocks from the recipe's
   ``unfreeze_from_block`` on unfrozen with ``requires_grad_`` (the fix of the original's
   fine-tuning), trained at the fine-tuning learning rate.

For each stage it records the trainable parameters, the best validation scores and how far each
part of the network moved from its weights at the start of the stage (the largest absolute
change of any weight): frozen parts do not move at all. Both stages go through
:func:`unet_tutorial.runs.train_run` and are kept in the run store under
``unfreezing-<profile>-<dataset>/<stage>`` (the stage's record in ``row.json``), the second
naming the first's spec, so a rebuild reuses them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from unet_tutorial.data import FloodData, load_flood_data
from unet_tutorial.data.identity import dataset_name
from unet_tutorial.models import count_parameters, model_spec_for
from unet_tutorial.models.vgg19_unet import VGG19UNet
from unet_tutorial.paths import runs_dir
from unet_tutorial.profiles import PROFILES, Profile, TrainingPlan
from unet_tutorial.runs import RunSpec, open_run, train_run
from unet_tutorial.runtime import default_device, seed_everything
from unet_tutorial.training.checkpoint import cpu_state
from unet_tutorial.training.trainer import TrainConfig

#: Bump when a change here changes the results, so that stored runs are not reused.
UNFREEZING_VERSION = 1

SEED = 42

#: The demo's two stages, in order.
DEMO_STAGES = ("frozen", "unfrozen")

ROW_FILE = "row.json"
"""The file in each stage's run folder that holds its :class:`DemoStage` record."""

#: The most epochs of each stage (the profile's fine-tuning cap is used when smaller).
MAX_EPOCHS = 2


@dataclass(frozen=True)
class DemoSettings:
    """The size of the demonstration under a profile.

    Attributes:
        image_size: side of the images: half the profile's, a multiple of 16, at least 32.
        epochs: epochs of each stage.
        recipe: the training plan whose settings the stages follow (the ``gpu`` profile's).
    """

    image_size: int
    epochs: int
    recipe: TrainingPlan


@dataclass(frozen=True)
class DemoStage:
    """One stage of the demonstration.

    Attributes:
        stage: ``"frozen"`` or ``"unfrozen"``.
        trainable: parameters the optimiser updated; ``parameters``: all of them.
        lr: the learning rate.
        epochs_run, best_epoch: epochs trained and the one whose weights were kept.
        val_loss, val_iou: validation scores of that epoch.
        moved: for each part (``encoder block 1`` ... ``encoder block 5``, ``decoder``,
            ``head``), the largest absolute change of any of its weights during the stage.
        weights_note: where the encoder's weights came from.
        seconds: training time, validation included.
    """

    stage: str
    trainable: int
    parameters: int
    lr: float
    epochs_run: int
    best_epoch: int
    val_loss: float
    val_iou: float
    moved: dict[str, float]
    weights_note: str
    seconds: float


def demo_settings(profile: Profile) -> DemoSettings:
    """Half the profile's image size (a multiple of 16, at least 32) and at most
    :data:`MAX_EPOCHS` epochs per stage, with the ``gpu`` profile's recipe."""
    size = max(32, profile.image_size // 2 // 16 * 16)
    epochs = min(MAX_EPOCHS, profile.training.finetune_epochs)
    return DemoSettings(image_size=size, epochs=epochs, recipe=PROFILES["gpu"].training)


def load_demo_data(profile: Profile, **options: Any) -> FloodData:
    """The flood data at the demonstration's image size (options go to ``load_flood_data``)."""
    size = demo_settings(profile).image_size
    return load_flood_data(profile.replace(image_size=size), **options)


def stage_config(profile: Profile, stage: str) -> TrainConfig:
    """The recipe's settings for one stage, every epoch trained (no early stopping)."""
    _check(stage)
    settings = demo_settings(profile)
    recipe = settings.recipe
    lr = recipe.lr if stage == "frozen" else recipe.finetune_lr
    return TrainConfig(
        epochs=settings.epochs,
        lr=lr,
        loss=recipe.loss,
        patience=settings.epochs,
        min_epochs=settings.epochs,
        monitor=recipe.monitor,
        seed=SEED,
    )


def _check(stage: str) -> None:
    if stage not in DEMO_STAGES:
        raise ValueError(f"stage must be one of {DEMO_STAGES}, got {stage!r}.")


def stage_spec(profile: Profile, data: FloodData, stage: str) -> RunSpec:
    """One stage of the demonstration as a run: the VGG19 U-Net of the recipe at the demo's
    size, trained with :func:`stage_config`; the second stage names the first's key."""
    _check(stage)
    settings = demo_settings(profile)
    recipe = settings.recipe
    purpose: dict[str, Any] = {
        "experiment": "unfreezing",
        "version": UNFREEZING_VERSION,
        "profile": profile.name,
        "stage": stage,
        "device": default_device().type,
    }
    if stage == "unfrozen":
        purpose["unfreeze_from_block"] = recipe.unfreeze_from_block
        purpose["starts_from"] = stage_spec(profile, data, "frozen").key(data)
    return RunSpec(
        model=model_spec_for("vgg19_unet", pretrained=recipe.pretrained),
        config=stage_config(profile, stage),
        image_size=settings.image_size,
        batch_size=profile.batch_size,
        max_samples=profile.max_samples,
        purpose=purpose,
    )


def stage_folder(profile: Profile, data: FloodData, stage: str) -> Path:
    """``data/runs/unfreezing-<profile>-<dataset>/<stage>/``."""
    return runs_dir() / f"unfreezing-{profile.name}-{dataset_name(data)}" / stage


def demo_stored(profile: Profile, data: FloodData) -> bool:
    """Whether both stages are finished in the run store."""
    return all(
        open_run(stage_folder(profile, data, s), stage_spec(profile, data, s).key(data)).status()
        == "finished"
        for s in DEMO_STAGES
    )


def model_parts(model: VGG19UNet) -> dict[str, nn.Module]:
    """The parts the demonstration reports on: five encoder blocks, decoder, head."""
    parts: dict[str, nn.Module] = {
        f"encoder block {i + 1}": block for i, block in enumerate(model.encoder)
    }
    return parts | {"decoder": model.decoder, "head": model.head}


def largest_change(
    before: dict[str, torch.Tensor], after: dict[str, torch.Tensor], model: VGG19UNet
) -> dict[str, float]:
    """For each part of :func:`model_parts`, the largest absolute change of a weight between
    two state dicts of ``model``."""
    prefixes = {f"encoder.{i}.": f"encoder block {i + 1}" for i in range(len(model.encoder))}
    prefixes |= {"decoder.": "decoder", "head.": "head"}
    moved = dict.fromkeys(model_parts(model), 0.0)
    for key, old in before.items():
        part = next((p for prefix, p in prefixes.items() if key.startswith(prefix)), None)
        if part is None or not old.is_floating_point():
            continue
        change = float((after[key].float() - old.float()).abs().max())
        moved[part] = max(moved[part], change)
    return moved


def new_demo_model(profile: Profile) -> VGG19UNet:
    """The VGG19 U-Net of the recipe (encoder frozen), seeded; ImageNet weights when the
    recipe asks for them and they can be loaded (``weights_note`` says what happened)."""
    seed_everything(SEED)
    return VGG19UNet(num_classes=1, pretrained=demo_settings(profile).recipe.pretrained)


def train_demo_stage(
    profile: Profile,
    data: FloodData,
    stage: str,
    model: VGG19UNet,
    *,
    verbose: bool = True,
) -> DemoStage:
    """Train ``model`` for one stage through :func:`~unet_tutorial.runs.train_run`, or load the
    stage's stored weights into it.

    For ``"unfrozen"``, ``model`` must hold the first stage's weights; its encoder is unfrozen
    here from the recipe's ``unfreeze_from_block`` on.
    """
    if stage == "unfrozen":
        model.unfreeze_encoder(from_block=demo_settings(profile).recipe.unfreeze_from_block)
    spec = stage_spec(profile, data, stage)
    folder = stage_folder(profile, data, stage)
    before = cpu_state(model)
    result = train_run(
        spec, data, folder, start_from=lambda: model, replace_changed=True, verbose=verbose
    )
    model.load_state_dict(result.model.state_dict())
    model.cpu().eval()
    row_path = folder / ROW_FILE
    if result.loaded and row_path.is_file():
        return DemoStage(**json.loads(row_path.read_text()))
    record = DemoStage(
        stage=stage,
        trainable=count_parameters(model, trainable_only=True),
        parameters=count_parameters(model),
        lr=spec.config.lr,
        epochs_run=result.epochs_run,
        best_epoch=result.best_epoch,
        val_loss=result.best["val_loss"],
        val_iou=result.best["val_iou"],
        moved=largest_change(before, cpu_state(model), model),
        weights_note=model.weights_note,
        seconds=round(result.train_seconds, 2),
    )
    row_path.write_text(json.dumps(asdict(record), indent=1) + "\n")
    return record


def run_demo(
    profile: Profile, data: FloodData, *, verbose: bool = True
) -> tuple[list[DemoStage], VGG19UNet]:
    """Both stages (trained, or loaded from the run store) and the model after the second."""
    model = new_demo_model(profile)
    stages = [
        train_demo_stage(profile, data, stage, model, verbose=verbose) for stage in DEMO_STAGES
    ]
    return stages, model


def print_demo(stages: list[DemoStage], profile: Profile | None = None) -> None:
    """Where the encoder's weights came from, the trainable parameters and validation scores of
    each stage, then how far each part of the network moved in each stage. With ``profile``,
    a first line gives the demonstration's image size and epochs."""
    if profile is not None:
        settings = demo_settings(profile)
        print(
            f"VGG19 U-Net at {settings.image_size}×{settings.image_size}, "
            f"{settings.epochs} epoch{'s' if settings.epochs != 1 else ''} per stage"
        )
    print(f"encoder weights: {stages[0].weights_note}")
    print(
        f"{'stage':>9}  {'lr':>7}  {'trainable':>11}  {'of':>11}  {'epochs':>6}"
        f"  {'best val loss':>13}  {'best val IoU':>12}"
    )
    for s in stages:
        print(
            f"{s.stage:>9}  {s.lr:>7.0e}  {s.trainable:>11,}  {s.parameters:>11,}"
            f"  {s.epochs_run:>6}  {s.val_loss:>13.4f}  {s.val_iou:>12.3f}"
        )
    print("\nlargest change of any weight during the stage:")
    print(f"{'part':>16}" + "".join(f"  {s.stage:>9}" for s in stages))
    for part in stages[0].moved:
        print(f"{part:>16}" + "".join(f"  {s.moved[part]:>9.2e}" for s in stages))


def print_trainable(model: VGG19UNet) -> None:
    """Trainable and all parameters of each part of the model, and of the whole."""
    for name, part in model_parts(model).items():
        print(
            f"{name:>16}: {count_parameters(part, trainable_only=True):>10,} trainable"
            f" of {count_parameters(part):>10,}"
        )
    print(f"{'whole model':>16}: {count_parameters(model, trainable_only=True):>10,} trainable")
