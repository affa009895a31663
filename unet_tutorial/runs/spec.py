"""A run specification: everything that determines what one training run produces.

:class:`RunSpec` is the one configuration type of a run, whoever starts it (a chapter, the
comparison, the command line): the network (a model spec of the registry), the training
settings (:class:`~unet_tutorial.training.trainer.TrainConfig`), the image and batch size, a
cap on the photos used, the classes, and a ``purpose`` (what the run is for: ``{"experiment":
"flood", "stage": "train"}``, ...). It is validated once, when it is made.

:func:`spec_from_profile` writes the book's recipe for a profile as a spec, each setting
replaceable: the chapters take it as it is, ``python -m unet_tutorial train --epochs 40 ...``
replaces what the practitioner chose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from unet_tutorial.data.identity import data_identity
from unet_tutorial.losses import MULTICLASS_LOSSES, loss_for_classes
from unet_tutorial.models.registry import ModelSpec, model_info, model_spec_for
from unet_tutorial.profiles import Profile
from unet_tutorial.training.trainer import TrainConfig

STAGES = ("train", "finetune")
"""The two stages of the book's recipe: train (a VGG19 encoder frozen where it has ImageNet
weights), then fine-tune (its last blocks unfrozen, a lower learning rate)."""

#: Settings of the recipe a caller may replace in :func:`spec_from_profile`.
CHOICES = (
    "model",
    "width",
    "pretrained",
    "image_size",
    "batch_size",
    "max_samples",
    "epochs",
    "lr",
    "loss",
    "patience",
    "min_epochs",
    "monitor",
    "schedule",
    "weight_decay",
    "ema",
)


@dataclass(frozen=True)
class RunSpec:
    """What one training run is: its network, settings, sizes, classes and purpose.

    Attributes:
        model: how to build the network (:func:`~unet_tutorial.models.model_spec_for`).
        config: the training settings.
        image_size: S, the side photos and masks are shrunk to for training.
        batch_size: photos per optimisation step.
        max_samples: a cap on the photos used (train+val+test), ``None`` for all.
        classes: the class table as a dict (``ClassTable.to_dict()``), ``None`` for binary
            masks (one logit per pixel).
        purpose: what the run is for, part of its identity (``experiment``, ``stage``, a
            version number, the spec of the run it starts from, ...).
    """

    model: ModelSpec
    config: TrainConfig
    image_size: int
    batch_size: int
    max_samples: int | None = None
    classes: dict[str, Any] | None = None
    purpose: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        model_info(self.model["name"])  # validates the name
        if self.image_size < 16:
            raise ValueError(f"image_size must be at least 16 pixels, got {self.image_size}.")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}.")
        if self.max_samples is not None and self.max_samples < 3:
            raise ValueError(f"max_samples must be at least 3, got {self.max_samples}.")
        classes = self.num_classes
        if self.model["kwargs"].get("num_classes", 1) != classes:
            raise ValueError(
                f"the model has {self.model['kwargs'].get('num_classes', 1)} output channels "
                f"but the masks {classes} class(es)."
            )
        if (self.config.loss in MULTICLASS_LOSSES) != (classes >= 2):
            wanted = "'ce' or 'ce+dice'" if classes >= 2 else "'bce' or 'bce+dice'"
            raise ValueError(
                f"loss {self.config.loss!r} does not fit {classes} class(es): use {wanted}."
            )

    @property
    def num_classes(self) -> int:
        """1 for binary masks, else the number of classes C."""
        return 1 if self.classes is None else len(self.classes["classes"])

    @property
    def model_name(self) -> str:
        return str(self.model["name"])

    def key(self, data: Any) -> dict[str, Any]:
        """The run's identity on ``data``: this spec plus the data's identity (dataset, split,
        file contents), in plain JSON values. Two runs with the same key produce the same
        result; the run store reuses one for the other."""
        return {
            **dict(self.purpose),
            "model": self.model,
            "image_size": self.image_size,
            "batch_size": self.batch_size,
            "max_samples": self.max_samples,
            "config": self.config.to_dict(),
            "classes": self.classes,
            "data": data_identity(data, contents=True),
        }

    def replace(self, **changes: Any) -> RunSpec:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


def check_stage(stage: str) -> None:
    """Raise ``ValueError`` unless ``stage`` is one of :data:`STAGES`."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}.")


def spec_from_profile(
    profile: Profile,
    stage: str = "train",
    *,
    classes: dict[str, Any] | None = None,
    seed: int = 42,
    purpose: Mapping[str, Any] | None = None,
    **chosen: Any,
) -> RunSpec:
    """The recipe of ``profile`` for ``stage`` as a :class:`RunSpec`, every setting in
    ``chosen`` that is not ``None`` replacing the profile's (see :data:`CHOICES`).

    With classes, the profile's binary loss becomes its multi-class counterpart (``bce+dice``
    → ``ce+dice``); a loss chosen explicitly is kept (and checked). ``min_epochs`` is capped
    at ``epochs``. The ``finetune`` stage takes the plan's ``finetune_*`` settings and a
    constant learning rate.

    Raises:
        TypeError: for a setting that is not in :data:`CHOICES`.
        ValueError: for a value the run cannot take (named in the message).
    """
    check_stage(stage)
    unknown = set(chosen) - set(CHOICES)
    if unknown:
        raise TypeError(f"unknown settings {sorted(unknown)}; choose among {list(CHOICES)}.")
    plan = profile.training
    num_classes = 1 if classes is None else len(classes["classes"])
    values: dict[str, Any] = {
        "model": plan.model,
        "width": plan.width,
        "pretrained": plan.pretrained,
        "image_size": profile.image_size,
        "batch_size": profile.batch_size,
        "max_samples": profile.max_samples,
        "loss": loss_for_classes(plan.loss, num_classes),
        "monitor": plan.monitor,
        "weight_decay": plan.weight_decay,
        "ema": plan.ema,
    }
    if stage == "train":
        values |= {
            "epochs": plan.epochs,
            "lr": plan.lr,
            "patience": plan.patience,
            "min_epochs": plan.min_epochs,
            "schedule": plan.schedule,
        }
    else:
        values |= {
            "epochs": plan.finetune_epochs,
            "lr": plan.finetune_lr,
            "patience": plan.finetune_patience,
            "min_epochs": plan.finetune_min_epochs,
            "schedule": "constant",
        }
    values |= {name: value for name, value in chosen.items() if value is not None}
    for name in ("epochs", "patience", "width"):
        if values[name] < 1:
            raise ValueError(f"{name} must be at least 1, got {values[name]}.")
    config = TrainConfig(
        epochs=values["epochs"],
        lr=values["lr"],
        loss=values["loss"],
        patience=values["patience"],
        min_epochs=min(values["min_epochs"], values["epochs"]),
        monitor=values["monitor"],
        schedule=values["schedule"],
        weight_decay=values["weight_decay"],
        ema=values["ema"],
        seed=seed,
    )
    model = model_spec_for(
        values["model"],
        num_classes=num_classes,
        width=values["width"],
        pretrained=values["pretrained"],
    )
    return RunSpec(
        model=model,
        config=config,
        image_size=values["image_size"],
        batch_size=values["batch_size"],
        max_samples=values["max_samples"],
        classes=classes,
        purpose=dict(purpose or {}),
    )
