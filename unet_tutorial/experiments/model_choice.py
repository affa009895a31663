"""Which network the ``cpu`` profile trains, measured (``python -m tools.bench choice``).

A two-core processor cannot run the original recipe (a VGG19 U-Net at 224×224 for dozens of
epochs) in the minutes a chapter may take, so the ``cpu`` profile trains something smaller. This
benchmark is how that choice is made: every candidate (model, width, image size) gets the **same
wall-clock training budget** on this machine and the ``cpu`` profile's recipe otherwise (loss,
learning rate and its schedule, batch size, augmentation, split). A candidate's epoch count is
the budget divided by its measured epoch time, so a network twice as fast gets twice the epochs.

For each candidate it prints and records: milliseconds per training image (forward, backward
and Adam step, at the candidate's image size and the profile's batch size), the epochs that fit,
the measured training seconds, the best validation IoU, and test IoU and Dice at each photo's
original resolution. The choice is made on the **validation** IoU; the test scores are reported,
not used to choose.

The command's ``--out`` writes the result as JSON. The book ships one such file,
``unet_tutorial/measurements/cpu_choice.json``, and chapter 8 draws its table from it
(:func:`load_choice`, :func:`unet_tutorial.report.tables.choice_table`), so the table is a
measurement this command reproduces, not numbers typed into the text. Each candidate's run is
a stage of the flood experiment (:func:`unet_tutorial.experiments.flood.train_stage`), kept in
the run store under ``choice-<model>-w<width>-<size>``.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from unet_tutorial.data.identity import dataset_name
from unet_tutorial.experiments.flood import flood_model_spec, train_stage
from unet_tutorial.experiments.measured import load_measurement, machine
from unet_tutorial.models import model_from_spec, model_info
from unet_tutorial.profiles import PROFILES, Profile
from unet_tutorial.training.speed import training_throughput

#: The file chapter 8 reads (written by ``python -m tools.bench choice --out ...``).
SHIPPED = "cpu_choice.json"

#: The command that makes the measurement.
COMMAND = "python -m tools.bench choice"


@dataclass(frozen=True)
class Candidate:
    """One network the ``cpu`` profile could train: ``model`` (a name of the model registry),
    ``width`` (first-level channels of a from-scratch model; ignored for ``vgg19_unet``) and
    ``image_size`` (training side, pixels)."""

    model: str
    width: int
    image_size: int

    @property
    def label(self) -> str:
        """E.g. ``"Attention U-Net, width 8, 128×128"``."""
        info = model_info(self.model)
        title = info.title
        if info.pretrained_encoder:
            title += " (frozen)"  # the encoder, as in the gpu recipe's first stage
        width = f", width {self.width}" if info.has_width else ""
        return f"{title}{width}, {self.image_size}×{self.image_size}"


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("vgg19_unet", 64, 128),
    Candidate("attention_unet", 32, 128),
    Candidate("attention_unet", 16, 128),
    Candidate("attention_unet", 16, 96),
    Candidate("attention_unet", 8, 128),
)


def candidate_profile(base: Profile, candidate: Candidate, epochs: int) -> Profile:
    """``base`` training ``candidate`` for exactly ``epochs`` epochs (no early stopping), in a
    run folder of its own (``data/runs/choice-...``). The VGG19 U-Net gets ImageNet weights for
    its frozen encoder where they load (``pretrained="auto"``, as in the ``gpu`` recipe): a
    frozen encoder of random weights would not be the candidate the question is about."""
    plan = dataclasses.replace(
        base.training,
        model=candidate.model,
        width=candidate.width,
        pretrained="auto"
        if model_info(candidate.model).pretrained_encoder
        else base.training.pretrained,
        epochs=epochs,
        patience=epochs,
        min_epochs=epochs,
    )
    name = f"choice-{candidate.model}-w{candidate.width}-{candidate.image_size}"
    return base.replace(name=name, image_size=candidate.image_size, training=plan)


def epochs_for_budget(
    budget_seconds: float, seconds_per_image: float, train_images: int, val_images: int
) -> int:
    """Whole epochs that fit the budget (at least 1).

    An epoch costs a training step per training image and a forward pass per validation image;
    the forward pass is counted as a third of a training step (backward and update cost about
    twice the forward).
    """
    if seconds_per_image <= 0 or budget_seconds <= 0:
        raise ValueError(
            f"need a positive budget and time per image, got {budget_seconds} s and "
            f"{seconds_per_image} s."
        )
    epoch = seconds_per_image * (train_images + val_images / 3)
    return max(1, math.floor(budget_seconds / epoch))


def measure(
    candidate: Candidate,
    base: Profile,
    budget_seconds: float,
    data: Any,
    *,
    max_epochs: int,
    verbose: bool = True,
) -> dict[str, Any]:
    """Time ``candidate``, train it for the epochs that fit the budget on ``data`` (from
    ``load_flood_data`` at the candidate's image size), evaluate it on the test split; return
    its row (see the module docstring)."""
    probe = candidate_profile(base, candidate, 1)
    torch.manual_seed(0)
    speed = training_throughput(
        model_from_spec(flood_model_spec(probe.training), pretrained=False),
        candidate.image_size,
        batch_size=base.batch_size,
        steps=2,
    )
    fitted = epochs_for_budget(budget_seconds, 1 / speed, len(data.train), len(data.val))
    epochs = min(fitted, max_epochs)
    profile = candidate_profile(base, candidate, epochs)
    if verbose:
        print(
            f"{candidate.label}: {1000 / speed:.0f} ms per training image, "
            f"{epochs} epoch{'s' if epochs != 1 else ''} fit the budget",
            flush=True,
        )
    run = train_stage(profile, data, "train", verbose=False)
    row = {
        "label": candidate.label,
        **dataclasses.asdict(candidate),
        "ms_per_image": round(1000 / speed, 1),
        "epochs": epochs,
        "train_seconds": round(run.train_seconds, 1),
        "best_epoch": run.best_epoch,
        "val_iou": round(run.best["val_iou"], 4),
        "test_iou": round(run.evaluation.summary["iou"], 4),
        "test_dice": round(run.evaluation.summary["dice"], 4),
        "weights": run.metrics["model"]["weights"],
    }
    if verbose:
        print(
            f"    trained {row['train_seconds']:.0f} s: best val IoU {row['val_iou']:.3f} "
            f"(epoch {row['best_epoch']}), test IoU {row['test_iou']:.3f}",
            flush=True,
        )
    return row


def best_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The row with the best validation IoU (ties: the first)."""
    if not rows:
        raise ValueError("no candidate was measured.")
    return max(rows, key=lambda row: row["val_iou"])


def run_choice(
    candidates: tuple[Candidate, ...] = CANDIDATES,
    *,
    base: Profile | None = None,
    budget_seconds: float = 400.0,
    root: str | None = None,
    max_epochs: int = 150,
    verbose: bool = True,
) -> dict[str, Any]:
    """Measure every candidate under one budget; the result as a JSON-ready dict."""
    from unet_tutorial.data import load_flood_data

    base = base or PROFILES["cpu"]
    began = time.perf_counter()
    loaded: dict[int, Any] = {}  # the data at each image size, loaded once

    def data_at(size: int) -> Any:
        if size not in loaded:
            loaded[size] = load_flood_data(base.replace(image_size=size), root=root, verbose=False)
        return loaded[size]

    rows = [
        measure(
            c, base, budget_seconds, data_at(c.image_size), max_epochs=max_epochs, verbose=verbose
        )
        for c in candidates
    ]
    data = data_at(base.image_size)
    chosen = best_row(rows)
    return {
        "command": f"{COMMAND} --budget {budget_seconds:g}",
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "dataset": dataset_name(data),
        "dataset_source": data.source,
        "dataset_description": data.description,
        "split": data.sizes(),
        "budget_seconds": budget_seconds,
        "recipe": {
            "loss": base.training.loss,
            "lr": base.training.lr,
            "schedule": base.training.schedule,
            "batch_size": base.batch_size,
        },
        "rows": rows,
        "chosen": {k: chosen[k] for k in ("model", "width", "image_size")},
        "total_seconds": round(time.perf_counter() - began, 1),
    }


def load_choice(path: str | Path | None = None) -> dict[str, Any]:
    """A saved measurement: ``path``, or the one shipped with the package."""
    return load_measurement(SHIPPED, path)
