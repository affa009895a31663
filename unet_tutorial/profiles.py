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
    """How chapters 8-10 train the flood segmenter (used by :mod:`unet_tutorial.experiment`).

    Attributes:
        model: ``"vgg19_unet"`` (the original's model) or a padded U-Net trained from scratch:
            ``"attention_unet"``, ``"unet_plus_plus"``, ``"vnet_style"``.
        width: channels of the first level of a from-scratch model (ignored for ``vgg19_unet``).
        pretrained: ``"auto"``, ``True`` or ``False``: ImageNet weights for the VGG19 encoder.
        loss: ``"bce"`` (the original's) or ``"bce+dice"``.
        monitor: what early stopping watches on the validation split (``"val_loss"``/``"val_iou"``).
        epochs, lr, patience, min_epochs: the first stage (encoder frozen for ``vgg19_unet``).
        finetune_epochs, finetune_lr, finetune_patience, finetune_min_epochs: the second stage
            (for ``vgg19_unet`` with encoder blocks from ``unfreeze_from_block`` on unfrozen).
        unfreeze_from_block: first VGG19 block (1-5) trained in the second stage.
        schedule: learning rate over the first stage: ``"constant"`` (the original's) or
            ``"cosine"`` (see :func:`unet_tutorial.train.learning_rate`); the second stage keeps
            ``finetune_lr`` constant.
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


@dataclass(frozen=True)
class Profile:
    """The sizes one profile gives the chapters.

    Attributes:
        name: ``"smoke"``, ``"cpu"`` or ``"gpu"``.
        description: one line a chapter prints to say what it runs.
        image_size: side of the square images models are trained on, in pixels.
        batch_size: training batch size.
        max_samples: cap on the number of dataset samples used (``None`` = all).
        base_channels: channels of the first level of the small U-Nets built in the chapters.
        demo_steps: optimisation steps of the small in-chapter experiments (chapter 4).
        demo_image_size: image side of the synthetic data in the in-chapter experiments.
        compare_image_size: image side every model of the comparison of chapter 11 trains on.
        compare_epochs: training epochs of each model in the comparison of chapter 11.
        overfit_steps: steps of the one-batch overfitting check of chapter 6.
        training: how the flood segmenter of chapters 8-10 is trained (:class:`TrainingPlan`).
    """

    name: str
    description: str
    image_size: int
    batch_size: int
    max_samples: int | None
    base_channels: int
    demo_steps: int
    demo_image_size: int
    compare_image_size: int
    compare_epochs: int
    overfit_steps: int
    training: TrainingPlan

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
        demo_steps=30,
        demo_image_size=32,
        compare_image_size=32,
        compare_epochs=1,
        overfit_steps=4,
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
        ),
    ),
    "cpu": Profile(
        name="cpu",
        description="a 2-core CPU: small models and images, minutes per chapter",
        image_size=128,
        batch_size=8,
        max_samples=None,
        base_channels=16,
        demo_steps=300,
        demo_image_size=48,
        compare_image_size=80,
        compare_epochs=6,
        overfit_steps=15,
        # Chosen by `python -m unet_tutorial.bench choice` (equal training time per candidate;
        # the measurement ships as unet_tutorial/measurements/cpu_choice.json, chapter 8). The
        # epoch cap is what fits that budget at the chosen network's measured epoch time;
        # patience 20 after epoch 10, as in the original recipe.
        training=TrainingPlan(
            model="attention_unet",
            width=8,
            pretrained=False,
            loss="bce+dice",
            monitor="val_iou",
            epochs=100,
            lr=1e-3,
            patience=20,
            min_epochs=10,
            finetune_epochs=4,
            finetune_lr=1e-4,
            finetune_patience=2,
            finetune_min_epochs=2,
        ),
    ),
    "gpu": Profile(
        name="gpu",
        description="a CUDA GPU (Colab or local): the full recipe at 224x224",
        image_size=224,
        batch_size=16,
        max_samples=None,
        base_channels=64,
        demo_steps=1500,
        demo_image_size=64,
        compare_image_size=224,
        compare_epochs=40,
        overfit_steps=100,
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
