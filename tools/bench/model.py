"""Training throughput of the VGG19 U-Net: the original tutorial's way against this package's way.

``python -m tools.bench model [--size 224] [--batch 8] [--steps 2] [--warmup 1]``

Both ways train the same model (same seed, same weights) on the same random batch with a frozen
encoder, Adam and ``BCEWithLogitsLoss``:

- **original**: NCHW float32, the plain forward pass (concatenate, then convolve; the encoder
  run like any other layer), ``torch.optim.Adam`` with its defaults, the allocator untouched.
- **package**: :func:`~unet_tutorial.training.step.prepare_training` and
  :func:`~unet_tutorial.training.step.train_step` with
  :func:`~unet_tutorial.training.step.make_adam` and the decoder steps of
  :func:`~unet_tutorial.models.split_skip.split_frozen_skips` (on CUDA also channels-last and
  autocast).

Each way runs in its own fresh Python process (the allocator setting is process-wide, and a fresh
process keeps one way's memory from helping the other), one after the other, ``--repeats``
times. Printed per way: images per second (wall clock) and CPU seconds per image (user + system
time of the process, a steadier measure when other programs share the CPU).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
from pathlib import Path

import torch
from torch import nn

WAYS = ("original", "package")
#: The speed-up this benchmark is expected to show on the book's 2-core CPU at 224×224, batch 8.
TARGET_RATIO = 1.25


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(way: str, size: int, batch: int, steps: int, warmup: int, seed: int = 0) -> dict:
    """Train ``warmup + steps`` steps the given way; return its timings for the last ``steps``."""
    from unet_tutorial.models.split_skip import split_frozen_skips
    from unet_tutorial.models.vgg19_unet import VGG19UNet
    from unet_tutorial.runtime import default_device, seed_everything
    from unet_tutorial.training.speed import timed
    from unet_tutorial.training.step import make_adam, prepare_training, train_step

    if way not in WAYS:
        raise ValueError(f"Unknown way {way!r}; choose one of {WAYS}.")
    device = default_device()
    seed_everything(seed)
    model = VGG19UNet(num_classes=1, pretrained=False)
    if way == "package":
        split_frozen_skips(model)
    images = torch.randn(batch, 3, size, size)
    masks = (torch.rand(batch, 1, size, size) > 0.5).float()
    loss_fn = nn.BCEWithLogitsLoss()
    if way == "original":
        model.to(device)
        images, masks = images.to(device), masks.to(device)
        optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-4)

        def step() -> torch.Tensor:
            optimizer.zero_grad()
            loss = loss_fn(model(images), masks)
            loss.backward()
            optimizer.step()
            return loss.detach()

    else:  # the package's way
        model = prepare_training(model, device)
        optimizer = make_adam(model.parameters(), lr=1e-4, device=device)

        def step() -> torch.Tensor:
            return train_step(model, images, masks, loss_fn, optimizer)

    model.train()
    losses: list[float] = []
    timed(step, device, repeats=0, warmup=warmup)
    cpu = _cpu_seconds()
    wall = sum(timed(lambda: losses.append(float(step())), device, repeats=steps, warmup=0))
    cpu = _cpu_seconds() - cpu
    return {
        "way": way,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "images_per_s": steps * batch / wall,
        "cpu_s_per_image": cpu / (steps * batch),
        "last_loss": losses[-1],
    }


def _run_isolated(way: str, args: argparse.Namespace) -> dict:
    command = [
        sys.executable,
        "-m",
        "tools.bench",
        "model",
        "--way",
        way,
        *("--size", str(args.size), "--batch", str(args.batch)),
        *("--steps", str(args.steps), "--warmup", str(args.warmup)),
    ]
    root = Path(__file__).resolve().parents[2]  # `-m tools.bench` needs the repository root
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=root)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench model", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--size", type=int, default=224, help="image side (default 224)")
    parser.add_argument("--batch", type=int, default=8, help="batch size (default 8)")
    parser.add_argument("--steps", type=int, default=2, help="timed steps per way (default 2)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first (default 1)")
    parser.add_argument("--repeats", type=int, default=1, help="alternating runs per way")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run both ways in this process (quick checks; the allocator setting then leaks)",
    )
    parser.add_argument("--way", choices=WAYS, help=argparse.SUPPRESS)  # one way, JSON out
    args = parser.parse_args(argv)
    for name in ("size", "batch", "steps", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    if args.warmup < 0:
        parser.error(f"--warmup must be at least 0, got {args.warmup}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.way:
        print(json.dumps(measure(args.way, args.size, args.batch, args.steps, args.warmup)))
        return 0
    print(
        f"VGG19 U-Net training, frozen encoder: {args.size}x{args.size}, batch {args.batch}, "
        f"{args.warmup} warm-up + {args.steps} timed steps per run, {args.repeats} run(s) per way"
    )
    results: dict[str, list[dict]] = {way: [] for way in WAYS}
    for _ in range(args.repeats):
        for way in WAYS:
            if args.in_process:
                result = measure(way, args.size, args.batch, args.steps, args.warmup)
            else:
                result = _run_isolated(way, args)
            results[way].append(result)
            print(
                f"  {way:<8} {result['images_per_s']:7.3f} images/s  "
                f"{result['cpu_s_per_image']:7.3f} CPU s/image  ({result['device']}, "
                f"{result['threads']} threads)",
                flush=True,
            )
    speed = {w: statistics.median(r["images_per_s"] for r in results[w]) for w in WAYS}
    cpu = {w: statistics.median(r["cpu_s_per_image"] for r in results[w]) for w in WAYS}
    print(
        f"original: {speed['original']:.3f} images/s | package: {speed['package']:.3f} images/s"
        f" | ratio {speed['package'] / speed['original']:.2f}"
        f" (CPU time ratio {cpu['original'] / cpu['package']:.2f}; target >= {TARGET_RATIO})"
    )
    return 0
