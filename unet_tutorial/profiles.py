"""Size profiles: how big the chapters' runs are.

Every chapter takes its sizes (image size, epochs, dataset subset, model width, ...) from the
active profile and never branches on anything else:

- ``smoke``: seconds per chapter; used by nbmake and CI to prove every cell runs.
- ``cpu``: the configuration chosen for a 2-core CPU (the default without CUDA).
- ``gpu``: the full recipe (the default when CUDA is available), for Colab or a local GPU.

The profile is read from the environment variable ``UNET_TUTORIAL_PROFILE``.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import torch

PROFILE_ENV_VAR = "UNET_TUTORIAL_PROFILE"


@dataclass(frozen=True)
class TrainingPlan:
    """How chapters 8-10 train the flood segmenter (:mod:`unet_tutorial.experiments.flood`).

    Attributes:
        model: a name of the model registry (:data:`unet_tutorial.models.MODELS`):
            ``"vgg19_unet"`` (the original's model) or a network trained from scratch, such
            as ``"attention_unet"``.
        width: channels of the first level of a from-scratch model (ignored for ``vgg19_unet``).
        pretrained: ``"auto"``, ``True`` or ``False``: ImageNet weights for the VGG19 encoder.
        loss: ``"bce"`` (the original's) or ``"bce+dice"``.
        monitor: what early stopping watches on the validation split (``"val_loss"``/``"val_iou"``).
        epochs, lr, patience, min_epochs: the first stage (encoder frozen for ``vgg19_unet``).
        finetune_epochs, finetune_lr, finetune_patience, finetune_min_epochs: the second stage
            (for ``vgg19_unet`` with encoder blocks from ``unfreeze_from_block`` on unfrozen).
        unfreeze_from_block: first VGG19 block (1-5) trained in the second stage.
        schedule: learning rate over the first stage: ``"constant"`` (the original's) or
            ``"cosine"`` (see :func:`unet_tutorial.training.trainer.learning_rate`); the second
            stage keeps ``finetune_lr`` constant.
        weight_decay: AdamW's decoupled weight decay in both stages (0: Adam, the original's).
        ema: decay of the moving average of the weights that validation scores and the run
            keeps, in both stages (0: none, the original's; see
            :class:`~unet_tutorial.training.trainer.TrainConfig`).
    """

    model: str
    width: int
    pretrained: bool | str
    loss: str
    monitor: str
    epochs: int
    lr: float
    patience: int
    min_epochs: int
    finetune_epochs: int
    finetune_lr: float
    finetune_patience: int
    finetune_min_epochs: int
    unfreeze_from_block: int = 5
    schedule: str = "constant"
    weight_decay: float = 0.0
    ema: float = 0.0


@dataclass(frozen=True)
class SkipStudySettings:
    """The size of chapter 4's skip study (:mod:`unet_tutorial.experiments.skip_study`).

    Attributes:
        image_size: side of the synthetic images.
        steps: optimisation steps of each variant.
    """

    image_size: int
    steps: int


@dataclass(frozen=True)
class ComparisonSettings:
    """The size of chapter 11's comparison (:mod:`unet_tutorial.experiments.comparison`).

    Attributes:
        image_size: side of the images every compared network trains on.
        epochs: training epochs of every network (no early stopping).
    """

    image_size: int
    epochs: int


@dataclass(frozen=True)
class OverfitCheck:
    """The one-batch overfitting check of a new model (:mod:`unet_tutorial.training.sanity`).

    Attributes:
        steps: optimisation steps on the one batch.
    """

    steps: int


@dataclass(frozen=True)
class Profile:
    """The sizes one profile gives the chapters.

    Attributes:
        name: ``"smoke"``, ``"cpu"`` or ``"gpu"``.
        description: one line a chapter prints to say what it runs.
        image_size: side of the square images models are trained on, in pixels.
        batch_size: training batch size.
        max_samples: cap on the number of dataset samples used (``None`` = all).
        base_channels: channels of the first level of the padded U-Nets the chapters build.
        training: how the flood segmenter of chapters 8-10 is trained (:class:`TrainingPlan`).
        skip_study: chapter 4's experiment (:class:`SkipStudySettings`).
        comparison: chapter 11's comparison (:class:`ComparisonSettings`).
        overfit: the one-batch check of chapter 6 (:class:`OverfitCheck`).
    """

    name: str
    description: str
    image_size: int
    batch_size: int
    max_samples: int | None
    base_channels: int
    training: TrainingPlan
    skip_study: SkipStudySettings
    comparison: ComparisonSettings
    overfit: OverfitCheck

    def replace(self, **changes: object) -> Profile:
        """A copy of this profile with some fields changed (for experiments in a notebook)."""
        return dataclasses.replace(self, **changes)


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        description="seconds per chapter: tiny sizes that only prove every cell runs",
        image_size=64,
        batch_size=4,
        max_samples=16,
        base_channels=8,
        training=TrainingPlan(
            model="attention_unet",
            width=4,
            pretrained=False,
            loss="bce+dice",
            monitor="val_iou",
            epochs=2,
            lr=1e-3,
            patience=2,
            min_epochs=1,
            finetune_epochs=1,
            finetune_lr=1e-4,
            finetune_patience=1,
            finetune_min_epochs=1,
            # The cpu recipe's weight average, with a horizon of a few steps: smoke runs last
            # a handful, and they are there to run every code path.
            ema=0.5,
        ),
        skip_study=SkipStudySettings(image_size=32, steps=30),
        comparison=ComparisonSettings(image_size=32, epochs=1),
        overfit=OverfitCheck(steps=4),
    ),
    "cpu": Profile(
        name="cpu",
        description="a 2-core CPU: small models and images, minutes per chapter",
        image_size=128,
        batch_size=8,
        max_samples=None,
        base_channels=16,
        # Chosen by `python -m tools.bench choice` (equal training time per candidate;
        # the measurement ships as unet_tutorial/measurements/cpu_choice.json, chapter 8). The
        # epoch cap, 80, is what the recipe measurement below trained, and fits that 400 s
        # budget at a book build's epoch time (4.9 s and 4.2 s in two builds on 2026-12-07,
        # channels-last, two threads; run_times.json); patience 20 after epoch 10, as in the
        # original recipe.
        training=TrainingPlan(
            model="attention_unet",
            width=8,
            pretrained=False,
            loss="bce+dice",
            monitor="val_iou",
            epochs=80,
            lr=1e-3,
            patience=20,
            min_epochs=10,
            finetune_epochs=4,
            finetune_lr=1e-4,
            finetune_patience=2,
            finetune_min_epochs=2,
            # Chosen by `python -m tools.bench recipe` (variants from three seeds each, same
            # epochs and stopping rule; unet_tutorial/measurements/cpu_recipe.json, chapter 8):
            # validate and keep a moving average of the weights.
            ema=0.99,
        ),
        skip_study=SkipStudySettings(image_size=48, steps=300),
        comparison=ComparisonSettings(image_size=80, epochs=6),
        overfit=OverfitCheck(steps=15),
    ),
    "gpu": Profile(
        name="gpu",
        description="a CUDA GPU (Colab or local): the full recipe at 224x224",
        image_size=224,
        batch_size=16,
        max_samples=None,
        base_channels=64,
        # The original recipe with its defects fixed (see chapter 8).
        training=TrainingPlan(
            model="vgg19_unet",
            width=64,
            pretrained="auto",
            loss="bce",
            monitor="val_loss",
            epochs=200,
            lr=1e-3,
            patience=20,
            min_epochs=10,
            finetune_epochs=100,
            finetune_lr=1e-4,
            finetune_patience=10,
            finetune_min_epochs=1,
            unfreeze_from_block=5,
        ),
        skip_study=SkipStudySettings(image_size=64, steps=1500),
        # 6 networks × 25 epochs at 224 px: about 10 PFLOP of training arithmetic, which a T4 at
        # 6-10 TFLOP/s sustained does in 17-28 minutes (an estimate, not a measurement).
        comparison=ComparisonSettings(image_size=224, epochs=25),
        overfit=OverfitCheck(steps=100),
    ),
}


def default_profile_name() -> str:
    """``"gpu"`` when CUDA is available, else ``"cpu"``."""
    return "gpu" if torch.cuda.is_available() else "cpu"


def get_profile(name: str | None = None) -> Profile:
    """The profile ``name``, else the one named by ``UNET_TUTORIAL_PROFILE``, else the default.

    Raises:
        ValueError: for an unknown profile name, listing the known ones.
    """
    chosen = name or os.environ.get(PROFILE_ENV_VAR, "").strip() or default_profile_name()
    try:
        return PROFILES[chosen.lower()]
    except KeyError:
        raise ValueError(
            f"Unknown profile {chosen!r} (from {PROFILE_ENV_VAR} or the argument); "
            f"choose one of {sorted(PROFILES)}."
        ) from None
