"""``python -m tools.gpu_check``: the ``gpu`` profile on a GPU, measured in one short script.

Prepared for a session that is lent a GPU machine (``make gpu-check``; see the README): on the
real photos (a shrunk copy made by ``python -m tools.shrink_dataset``, since the machine
receives only the checkout and carried paths), it

1. says which GPU, which compute capability and which autocast precision the package uses;
2. trains the ``gpu`` recipe's first stage (VGG19 U-Net at 224×224, batch 16) for as many
   epochs as fit the time budget, and evaluates it on the test split at the photos' own size;
3. times one training epoch of each network of the chapter-11 comparison at its ``gpu`` size;
4. prints seconds per epoch, precision, test IoU and Dice, and peak GPU memory, and writes them
   as JSON (``--out``; default ``$OUT`` when set) in the form of
   ``unet_tutorial/measurements/run_times.json``, ready to ship.

It never runs in CI. ``--profile smoke`` runs the same steps at tiny sizes, on any device, to
test the script itself.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import math
import os
import time
from pathlib import Path

import torch

from unet_tutorial.data import load_flood_data, make_loader
from unet_tutorial.experiments import comparison, flood
from unet_tutorial.models import MODELS
from unet_tutorial.profiles import get_profile
from unet_tutorial.runtime import default_device
from unet_tutorial.training.step import precision_name
from unet_tutorial.training.trainer import TrainConfig, Trainer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.gpu_check", description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="the (shrunk) flood dataset")
    parser.add_argument("--minutes", type=float, default=5.0, help="training budget (5)")
    parser.add_argument("--profile", default="gpu")
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "data/gpu-check")))
    args = parser.parse_args(argv)
    os.environ.setdefault("UNET_TUTORIAL_HOME", str(args.out / "home"))
    device = default_device()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    capability = torch.cuda.get_device_capability(device) if device.type == "cuda" else None
    print(f"device: {name}, capability {capability}, precision {precision_name(device)}")
    profile = get_profile(args.profile)
    data = load_flood_data(profile, root=args.data)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    label = f"an {name} GPU" if device.type == "cuda" else "a CPU"
    date = datetime.date.today().isoformat()
    records = []

    # 1. the flood recipe: one epoch to time it, then as many as the budget allows
    probe = profile.replace(training=dataclasses.replace(profile.training, epochs=1))
    began = time.perf_counter()
    first = flood.train_stage(probe, data, "train", device=device)
    epoch_seconds = first.train_seconds
    epochs = max(1, min(profile.training.epochs, math.floor(args.minutes * 60 / epoch_seconds)))
    plan = dataclasses.replace(profile.training, epochs=epochs, min_epochs=min(epochs, 10))
    run = flood.train_stage(profile.replace(training=plan), data, "train", device=device)
    test = run.evaluation.summary
    per_epoch = run.train_seconds / run.epochs_run
    print(
        f"flood ({run.metrics['model']['name']}, {profile.image_size} px): {per_epoch:.2f} s "
        f"per epoch, {run.epochs_run} epochs, test IoU {test['iou']:.3f}, Dice "
        f"{test['dice']:.3f}; weights: {run.metrics['model']['weights']}"
    )
    records.append(
        {
            "experiment": "flood",
            "stage": "train",
            "profile": profile.name,
            "model": run.metrics["model"]["name"],
            "device": device.type,
            "device_name": name,
            "machine": f"{label} ({date})",
            "unit": "epoch",
            "seconds_per_unit": round(per_epoch, 4),
            "test_iou": round(test["iou"], 4),
            "test_dice": round(test["dice"], 4),
        }
    )

    # 2. one epoch of every network of the comparison, at its size
    small = comparison.load_comparison_data(profile, root=args.data, verbose=False)
    for model_name in MODELS:
        model, _ = comparison.build_model(model_name, profile)
        trainer = Trainer(model, TrainConfig(epochs=1), device=device, verbose=False)
        loader = make_loader(small.train, profile.batch_size, shuffle=True)
        trainer.train_one_epoch(loader)  # warm-up: allocations, kernel choice
        start = time.perf_counter()
        trainer.train_one_epoch(loader)
        trainer.evaluate(make_loader(small.val, profile.batch_size))
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        seconds = time.perf_counter() - start
        print(f"comparison {model_name}: {seconds:.2f} s per epoch")
        records.append(
            {
                "experiment": "comparison",
                "model": model_name,
                "profile": profile.name,
                "device": device.type,
                "device_name": name,
                "machine": f"{label} ({date})",
                "unit": "epoch",
                "seconds_per_unit": round(seconds, 4),
            }
        )
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else 0.0
    total = time.perf_counter() - began
    print(f"peak GPU memory {peak:.1f} GiB; the whole check took {total:.0f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    summary = {"runs": records, "peak_gpu_memory_gib": round(peak, 2), "seconds": round(total)}
    (args.out / "gpu_check.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {args.out / 'gpu_check.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
