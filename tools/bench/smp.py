"""``python -m tools.bench smp``: the book's ``cpu`` network against segmentation_models_pytorch.

Is the small Attention U-Net of the ``cpu`` recipe a good use of a two-core processor's time, or
would a standard library network do better in the same time? This benchmark trains, in **equal
CPU time** on the same flood split,

- ``book``: the ``cpu`` recipe's network (:func:`~unet_tutorial.runs.pipeline.build_model`);
- ``mobilenet_v2`` and ``resnet18``: ``segmentation_models_pytorch.Unet`` with that encoder and
  **no pretrained weights** (``encoder_weights=None``: all three start from random weights),

over several seeds, and prints the mean and spread (sample standard deviation) over the seeds of
the best validation IoU and of the test IoU (each photo at its own resolution,
:func:`~unet_tutorial.evaluation.evaluate_native`), with the epochs, training seconds and
parameters of each network.

Everything but the network is the recipe's: the image size (128; smp's U-Nets need a side that
is a multiple of 32) and batch size, the data loaded once (same split and augmentation), the
loaders, and the whole :class:`~unet_tutorial.training.trainer.TrainConfig` of
:func:`~unet_tutorial.runs.spec.spec_from_profile` (loss, learning rate, schedule and whatever
else it holds), with only the epochs (no early stopping) and the seed replaced; the package's
:class:`~unet_tutorial.training.trainer.Trainer` trains every network.

Equal time is the way of ``python -m tools.bench choice``
(:mod:`unet_tutorial.experiments.model_choice`): each network's milliseconds per training image
are measured (:func:`~unet_tutorial.training.speed.training_throughput`), and its epochs are
those that fit the budget at that speed (:func:`~unet_tutorial.experiments.model_choice.
epochs_for_budget`, capped by ``--max-epochs``). The default budget is the time the book's
network takes for the recipe's epochs at its measured speed, so the book's network trains its
recipe's epochs and the others as many as fit in that time. Each run's measured training seconds
(training and validation passes) are recorded too, so the equality can be checked.

segmentation_models_pytorch is a maintainers' extra (``bench`` in ``pyproject.toml``), never a
dependency of the package, and must not go into the locked ``.venv`` (``make install`` checks
that it holds exactly ``requirements/lock.txt``). Install it in an environment of its own::

    python -m venv .venv-bench
    .venv-bench/bin/python -m pip install -r requirements/lock.txt
    .venv-bench/bin/python -m pip install -e ".[bench]"
    .venv-bench/bin/python -m tools.bench smp --out data/bench/smp.json

(or, next to the locked ``.venv``: ``pip install --target DIR segmentation-models-pytorch`` and
run with ``PYTHONPATH=.:DIR``). ``--networks book`` runs without it.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

import torch
from torch import nn

from tools.bench import write_json
from unet_tutorial.data.identity import dataset_name
from unet_tutorial.experiments.model_choice import epochs_for_budget
from unet_tutorial.models import model_info
from unet_tutorial.models.freezing import count_parameters
from unet_tutorial.profiles import PROFILES, Profile
from unet_tutorial.runs.pipeline import build_model
from unet_tutorial.runs.spec import RunSpec, spec_from_profile
from unet_tutorial.runtime import seed_everything
from unet_tutorial.training.speed import training_throughput

COMMAND = "python -m tools.bench smp"

BOOK = "book"
SMP_ENCODERS: tuple[str, ...] = ("mobilenet_v2", "resnet18")
"""The encoders of ``segmentation_models_pytorch.Unet`` compared (names of smp)."""

NETWORKS: tuple[str, ...] = (BOOK, *SMP_ENCODERS)

INSTALL = (
    "segmentation_models_pytorch is not installed; it is a maintainers' extra, not a "
    "dependency of the package. Install it in an environment of its own (not the locked "
    '.venv): pip install -e ".[bench]" (or pip install "segmentation-models-pytorch>=0.5"), '
    "or run with --networks book. See the docstring of tools/bench/smp.py."
)

#: Keys of a run that the summary gives the mean and spread of.
SUMMARISED = ("val_iou", "test_iou", "test_dice", "epochs", "train_seconds")


def import_smp() -> ModuleType:
    """``segmentation_models_pytorch``, or ``ModuleNotFoundError`` saying what to install."""
    try:
        import segmentation_models_pytorch
    except ImportError as error:
        raise ModuleNotFoundError(INSTALL) from error
    return segmentation_models_pytorch


def label(network: str, profile: Profile) -> str:
    """E.g. ``"Attention U-Net, width 8 (book)"`` or ``"smp Unet, resnet18 encoder"``."""
    if network == BOOK:
        info = model_info(profile.training.model)
        width = f", width {profile.training.width}" if info.has_width else ""
        return f"{info.title}{width} (book)"
    return f"smp Unet, {network} encoder"


def build_network(network: str, spec: RunSpec) -> nn.Module:
    """A new network seeded with ``spec.config.seed``: the spec's (``"book"``) or smp's
    ``Unet`` with the named encoder and random weights. Both map ``N×3×S×S`` images to
    ``N×1×S×S`` logits."""
    if network == BOOK:
        return build_model(spec)[0]
    if network not in SMP_ENCODERS:
        raise ValueError(f"unknown network {network!r}; choose among {NETWORKS}.")
    if spec.image_size % 32:
        raise ValueError(
            f"smp's Unet needs a side that is a multiple of 32, not {spec.image_size}."
        )
    smp = import_smp()
    seed_everything(spec.config.seed)
    return smp.Unet(encoder_name=network, encoder_weights=None, in_channels=3, classes=1)


def recipe_budget(
    epochs: int, seconds_per_image: float, train_images: int, val_images: int
) -> float:
    """The seconds ``epochs`` epochs take at ``seconds_per_image``: the inverse of
    :func:`~unet_tutorial.experiments.model_choice.epochs_for_budget` (which gives ``epochs``
    back for it; a part in 10⁹ more keeps rounding from costing the last epoch)."""
    epoch = seconds_per_image * (train_images + val_images / 3)
    return epochs * epoch * (1 + 1e-9)


def plan_epochs(
    budget_seconds: float,
    seconds_per_image: Mapping[str, float],
    train_images: int,
    val_images: int,
    max_epochs: int,
) -> dict[str, int]:
    """Each network's epochs: those that fit the budget at its speed, at most ``max_epochs``."""
    return {
        network: min(max_epochs, epochs_for_budget(budget_seconds, s, train_images, val_images))
        for network, s in seconds_per_image.items()
    }


def spread(values: Sequence[float]) -> dict[str, Any]:
    """``n``, ``mean``, ``sd`` (sample standard deviation; ``None`` for one value), ``min`` and
    ``max`` of ``values``."""
    values = [float(v) for v in values]
    return {
        "n": len(values),
        "mean": statistics.fmean(values),
        "sd": statistics.stdev(values) if len(values) >= 2 else None,
        "min": min(values),
        "max": max(values),
    }


def summarise(runs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per network (in the order of the runs): its label, parameters, milliseconds per
    image, the seeds, and the :func:`spread` over the seeds of each key of :data:`SUMMARISED`."""
    networks = list(dict.fromkeys(run["network"] for run in runs))
    rows = []
    for network in networks:
        mine = [run for run in runs if run["network"] == network]
        first = mine[0]
        rows.append(
            {
                "network": network,
                "label": first["label"],
                "parameters": first["parameters"],
                "ms_per_image": first["ms_per_image"],
                "seeds": [run["seed"] for run in mine],
                **{key: spread([run[key] for run in mine]) for key in SUMMARISED},
            }
        )
    return rows


def measure_speed(network: str, spec: RunSpec, steps: int) -> float:
    """Seconds per training image of a new ``network`` at the spec's image and batch size."""
    model = build_network(network, spec)
    images_per_second = training_throughput(
        model, spec.image_size, batch_size=spec.batch_size, steps=steps
    )
    return 1 / images_per_second


def train_once(network: str, profile: Profile, data: Any, epochs: int, seed: int) -> dict[str, Any]:
    """Train ``network`` for exactly ``epochs`` epochs with the recipe's settings and ``seed``
    on ``data`` (at the profile's image size); score its best epoch on the test split; return
    the run's record."""
    from unet_tutorial.data import make_loader
    from unet_tutorial.evaluation import evaluate_native
    from unet_tutorial.training.trainer import Trainer

    spec = spec_from_profile(profile, seed=seed)
    config = dataclasses.replace(
        spec.config, epochs=epochs, patience=epochs, min_epochs=epochs, seed=seed
    )
    spec = spec.replace(config=config)
    model = build_network(network, spec)
    parameters = count_parameters(model)
    trainer = Trainer(model, config, run_dir=None, verbose=False)
    fit = trainer.fit(
        make_loader(data.train, spec.batch_size, shuffle=True, seed=seed),
        make_loader(data.val, spec.batch_size),
    )
    scores = evaluate_native(trainer.model, data.test, threshold=config.threshold).scores()
    record = {
        "network": network,
        "label": label(network, profile),
        "seed": seed,
        "epochs": fit.epochs_run,
        "train_seconds": round(fit.train_seconds, 2),
        "best_epoch": fit.best_epoch,
        "val_iou": round(fit.best["val_iou"], 4),
        "test_iou": round(scores["iou"], 4),
        "test_dice": round(scores["dice"], 4),
        "parameters": parameters,
    }
    return record


def _versions(networks: Sequence[str]) -> dict[str, str]:
    versions = {"torch": torch.__version__}
    if any(network in SMP_ENCODERS for network in networks):
        import timm

        versions["segmentation_models_pytorch"] = import_smp().__version__
        versions["timm"] = timm.__version__
    return versions


def run_smp(
    *,
    networks: Sequence[str] = NETWORKS,
    seeds: Sequence[int] = (42, 43, 44),
    budget_seconds: float | None = None,
    max_epochs: int = 150,
    max_samples: int | None = None,
    root: str | None = None,
    timing_steps: int = 3,
    base: Profile | None = None,
    verbose: bool = True,
) -> dict[str, Any]:
    """Measure every network's speed, train it under one budget for every seed, and return the
    measurement as a JSON-ready dict (``runs``: one record per network and seed; ``summary``:
    :func:`summarise`). ``budget_seconds=None``: the book network's time for the recipe's epochs
    (see the module docstring). ``base``: the profile (default ``cpu``)."""
    from unet_tutorial.data import load_flood_data

    unknown = [n for n in networks if n not in NETWORKS]
    if unknown or not networks or not seeds:
        raise ValueError(f"need networks among {NETWORKS} and seeds, got {networks}, {seeds}.")
    if any(network in SMP_ENCODERS for network in networks):
        import_smp()  # fail before anything is loaded or trained
    began = time.perf_counter()
    base = base or PROFILES["cpu"]
    profile = base.replace(max_samples=max_samples) if max_samples else base
    data = load_flood_data(profile, root=root, verbose=False)
    if verbose:
        print(data.description, flush=True)
    train_images, val_images = len(data.train), len(data.val)

    probe = spec_from_profile(profile, seed=seeds[0])
    timed = (BOOK, *networks) if budget_seconds is None else networks
    speed = {n: measure_speed(n, probe, timing_steps) for n in dict.fromkeys(timed)}
    if budget_seconds is None:
        recipe_epochs = probe.config.epochs
        budget = recipe_budget(recipe_epochs, speed[BOOK], train_images, val_images)
        budget_from = f"the book network's {recipe_epochs} recipe epochs at its measured speed"
    else:
        budget, budget_from = budget_seconds, "--budget"
    speeds = {network: speed[network] for network in networks}
    epochs = plan_epochs(budget, speeds, train_images, val_images, max_epochs)
    fitted = plan_epochs(budget, speeds, train_images, val_images, sys.maxsize)
    plan = {
        network: {
            "label": label(network, profile),
            "ms_per_image": round(1000 * speed[network], 2),
            "epochs": epochs[network],
            "capped": fitted[network] > max_epochs,
        }
        for network in networks
    }
    if verbose:
        print(f"budget {budget:.1f} s per run ({budget_from})", flush=True)
        for row in plan.values():
            capped = f" (capped by --max-epochs {max_epochs})" if row["capped"] else ""
            print(
                f"  {row['label']}: {row['ms_per_image']:.1f} ms per training image, "
                f"{row['epochs']} epochs{capped}",
                flush=True,
            )

    runs = []
    for seed in seeds:  # the networks take turns, so a change of load hits them alike
        for network in networks:
            record = train_once(network, profile, data, epochs[network], seed)
            record["ms_per_image"] = plan[network]["ms_per_image"]
            runs.append(record)
            if verbose:
                print(
                    f"seed {seed}  {record['label']}: {record['epochs']} epochs in "
                    f"{record['train_seconds']:.1f} s, best val IoU {record['val_iou']:.3f} "
                    f"(epoch {record['best_epoch']}), test IoU {record['test_iou']:.3f}",
                    flush=True,
                )
    return {
        "command": COMMAND,
        "date": datetime.date.today().isoformat(),
        "machine": {
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "processor": platform.processor() or platform.machine(),
            "device": "cuda" if torch.cuda.is_available() else "cpu",
        },
        "versions": _versions(networks),
        "dataset": dataset_name(data),
        "dataset_source": data.source,
        "dataset_description": data.description,
        "split": data.sizes(),
        "profile": profile.name,
        "image_size": probe.image_size,
        "batch_size": probe.batch_size,
        "recipe_config": probe.config.to_dict(),  # before epochs and seed are replaced
        "budget_seconds": round(budget, 2),
        "budget_from": budget_from,
        "max_epochs": max_epochs,
        "seeds": list(seeds),
        "networks": plan,
        "runs": runs,
        "summary": summarise(runs),
        "total_seconds": round(time.perf_counter() - began, 1),
    }


def _mean_sd(stats: Mapping[str, Any], digits: int) -> str:
    sd = "" if stats["sd"] is None else f" ± {stats['sd']:.{digits}f}"
    return f"{stats['mean']:.{digits}f}{sd}"


def print_table(result: Mapping[str, Any]) -> None:
    """The summary as aligned text: mean ± sample standard deviation over the seeds."""
    rows = result["summary"]
    width = max(len(row["label"]) for row in rows)
    seeds = len(result["seeds"])
    print(
        f"\n{result['dataset']} ({result['split']['train']} train, {result['split']['val']} val, "
        f"{result['split']['test']} test), {result['image_size']}×{result['image_size']}, budget "
        f"{result['budget_seconds']:.0f} s per run; mean ± sd over {seeds} seed"
        f"{'s' if seeds != 1 else ''}"
    )
    print(
        f"{'network':<{width}}  {'params':>7}  {'ms/img':>6}  {'epochs':>6}  {'train s':>12}  "
        f"{'val IoU':>13}  {'test IoU':>13}"
    )
    for row in rows:
        print(
            f"{row['label']:<{width}}  {row['parameters'] / 1e6:6.2f}M  "
            f"{row['ms_per_image']:6.1f}  {row['epochs']['mean']:6.0f}  "
            f"{_mean_sd(row['train_seconds'], 0):>12}  {_mean_sd(row['val_iou'], 3):>13}  "
            f"{_mean_sd(row['test_iou'], 3):>13}"
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=COMMAND,
        description="Train the cpu recipe's network and smp's Unet (MobileNetV2 and ResNet18 "
        "encoders, no pretrained weights) in equal CPU time over several seeds; print (and "
        "with --out save) mean and spread of validation and test IoU.",
    )
    parser.add_argument("--root", help="dataset folder (default: the one the chapters use)")
    parser.add_argument(
        "--budget",
        type=float,
        help="training seconds per run (default: the book network's time for the recipe's "
        "epochs at its measured speed)",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    parser.add_argument("--networks", nargs="+", choices=NETWORKS, default=list(NETWORKS))
    parser.add_argument("--max-epochs", type=int, default=150, help="cap on a run's epochs")
    parser.add_argument("--max-samples", type=int, help="use at most N photos (a quick smoke)")
    parser.add_argument(
        "--timing-steps", type=int, default=3, help="timed training steps per network (3)"
    )
    parser.add_argument("--out", help="write the measurement as JSON to this file")
    args = parser.parse_args(argv)
    if args.budget is not None and args.budget <= 0:
        parser.error("--budget must be positive")
    if args.max_epochs < 1 or args.timing_steps < 1:
        parser.error("--max-epochs and --timing-steps must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    try:
        result = run_smp(
            networks=args.networks,
            seeds=args.seeds,
            budget_seconds=args.budget,
            max_epochs=args.max_epochs,
            max_samples=args.max_samples,
            root=args.root,
            timing_steps=args.timing_steps,
        )
    except ModuleNotFoundError as error:
        if str(error) != INSTALL:
            raise
        print(f"error: {error}", file=sys.stderr)
        return 1
    result["command"] = " ".join([COMMAND, *argv])
    print_table(result)
    if args.out:
        write_json(result, args.out)
    return 0
