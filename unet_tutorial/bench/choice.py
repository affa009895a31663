"""``python -m unet_tutorial.bench choice``: which network the ``cpu`` profile trains, measured.

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

``--out`` writes the result as JSON. The book ships one such file,
``unet_tutorial/measurements/cpu_choice.json``, and chapter 8 draws its table from it
(:func:`load_choice`, :func:`choice_table`), so the table is a measurement this command
reproduces, not numbers typed into the text.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import html
import json
import math
import os
import platform
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from unet_tutorial.profiles import PROFILES, Profile
from unet_tutorial.viz.tables import html_table

#: The file chapter 8 reads (written by ``--out`` with its default).
SHIPPED = "cpu_choice.json"


@dataclass(frozen=True)
class Candidate:
    """One network the ``cpu`` profile could train: ``model`` (a name of
    :data:`unet_tutorial.experiment.MODEL_NAMES`), ``width`` (first-level channels of a
    from-scratch model; ignored for ``vgg19_unet``) and ``image_size`` (training side, pixels)."""

    model: str
    width: int
    image_size: int

    @property
    def label(self) -> str:
        name = {
            "vgg19_unet": "VGG19 U-Net, frozen encoder",
            "attention_unet": "Attention U-Net",
            "unet_plus_plus": "U-Net++",
            "vnet_style": "V-Net-style U-Net",
        }[self.model]
        width = "" if self.model == "vgg19_unet" else f", width {self.width}"
        return f"{name}{width}, {self.image_size}×{self.image_size}"


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
        pretrained="auto" if candidate.model == "vgg19_unet" else base.training.pretrained,
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
    from unet_tutorial.experiment import model_spec, train_stage, training_throughput

    probe = candidate_profile(base, candidate, 1)
    speed = training_throughput(
        model_spec(probe.training), candidate.image_size, batch_size=base.batch_size, steps=2
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
    from unet_tutorial.experiment import dataset_name

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
        "command": f"python -m unet_tutorial.bench choice --budget {budget_seconds:g}",
        "date": datetime.date.today().isoformat(),
        "machine": {
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "processor": platform.processor() or platform.machine(),
            "device": "cuda" if torch.cuda.is_available() else "cpu",
        },
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
    if path is not None:
        return json.loads(Path(path).read_text())
    shipped = resources.files("unet_tutorial") / "measurements" / SHIPPED
    return json.loads(shipped.read_text())


def describe_measurement(result: dict[str, Any]) -> str:
    """A few lines saying how, where and on what a measurement was made."""
    machine = result["machine"]
    split = "/".join(str(n) for n in result["split"].values())
    data = (
        f"the real photos ({result['dataset']})"
        if result["dataset_source"] == "real"
        else "the synthetic scenes"
    )
    return "\n".join(
        [
            f"measured on {result['date']} with: {result['command']}",
            f"machine: {machine['cpu_count']} {machine['processor']} cores ({machine['device']}), "
            f"torch {machine['torch']}",
            f"data: {data}, split {split} (train/val/test)",
            f"budget: {result['budget_seconds']:.0f} s of training per candidate",
        ]
    )


def choice_table(result: dict[str, Any]) -> str:
    """An HTML table of a measurement, the chosen row marked."""
    chosen = result["chosen"]
    header = [
        "candidate",
        "ms per training image",
        "epochs in the budget",
        "training seconds",
        "best val IoU",
        "test IoU",
        "test Dice",
    ]
    rows = []
    for row in result["rows"]:
        label = html.escape(row["label"])
        if all(row[k] == v for k, v in chosen.items()):
            label = f"<strong>{label} (chosen)</strong>"
        rows.append(
            [
                label,
                f"{row['ms_per_image']:.0f}",
                str(row["epochs"]),
                f"{row['train_seconds']:.0f}",
                f"{row['val_iou']:.3f}",
                f"{row['test_iou']:.3f}",
                f"{row['test_dice']:.3f}",
            ]
        )
    return html_table(header, rows)


def print_table(result: dict[str, Any]) -> None:
    """The measurement as aligned text."""
    width = max(len(row["label"]) for row in result["rows"])
    print(
        f"{'candidate':<{width}}  ms/img  epochs  train s  val IoU  test IoU  test Dice"
        f"   (budget {result['budget_seconds']:.0f} s each)"
    )
    for row in result["rows"]:
        print(
            f"{row['label']:<{width}}  {row['ms_per_image']:6.0f}  {row['epochs']:6d}  "
            f"{row['train_seconds']:7.0f}  {row['val_iou']:7.3f}  {row['test_iou']:8.3f}  "
            f"{row['test_dice']:9.3f}"
        )
    chosen = best_row(result["rows"])
    print(f"best validation IoU: {chosen['label']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m unet_tutorial.bench choice",
        description="Train every candidate of the cpu profile under one time budget; print "
        "(and with --out save) the table chapter 8 shows.",
    )
    parser.add_argument("--root", help="dataset folder (default: the one the chapters use)")
    parser.add_argument(
        "--budget", type=float, default=400.0, help="training seconds per candidate (400)"
    )
    parser.add_argument(
        "--max-epochs", type=int, default=150, help="cap on a candidate's epochs (150)"
    )
    parser.add_argument("--out", help="write the measurement as JSON to this file")
    args = parser.parse_args(argv)
    result = run_choice(budget_seconds=args.budget, root=args.root, max_epochs=args.max_epochs)
    print_table(result)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.out}")
    return 0
