"""What a training cell of chapters 8 and 9 says before it starts: load or train, and how long.

Each function asks the run store (:mod:`unet_tutorial.runs.store`) whether the runs the cell
needs are finished, and passes that to :func:`unet_tutorial.experiments.timing.announce_training`,
which prints either that the stored run is loaded or how long training took where it was
measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from unet_tutorial.experiments import imbalance, unfreezing
from unet_tutorial.experiments.flood import (
    stage_folder,
    stage_operations,
    stage_status,
    train_config,
)
from unet_tutorial.experiments.timing import announce_training
from unet_tutorial.profiles import Profile


def announce_stage(profile: Profile, data: Any, stage: str) -> None:
    """Before :func:`~.flood.load_or_train` of ``stage`` (``"train"`` or ``"finetune"``)."""
    announce_training(
        "flood",
        profile,
        train_config(profile, stage).epochs,
        stored=stage_status(profile, data, stage) == "finished",
        where=str(stage_folder(profile, data, stage)),
        stage=stage,
        model=profile.training.model,
        operations=stage_operations(profile, data, stage),
    )


def announce_imbalance(profile: Profile, data: Any, weights: Sequence[float]) -> None:
    """Before :func:`~.imbalance.run_imbalance` with these weights."""
    epochs = imbalance.imbalance_settings(profile).epochs * len(weights)
    stored = imbalance.runs_stored(profile, data, weights)
    where = str(imbalance.run_folder(profile, data, weights[0]).parent)
    announce_training("imbalance", profile, epochs, stored=stored, where=where)


def announce_demo(profile: Profile, data: Any) -> None:
    """Before :func:`~.unfreezing.run_demo`."""
    epochs = unfreezing.demo_settings(profile).epochs * len(unfreezing.DEMO_STAGES)
    stored = unfreezing.demo_stored(profile, data)
    where = str(unfreezing.stage_folder(profile, data, "frozen").parent)
    announce_training("unfreezing", profile, epochs, stored=stored, where=where)
