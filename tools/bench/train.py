"""``python -m tools.bench train``: one training epoch end to end, data and model.

Both ways train the same model (same initial weights) at the same size on the same photos for
one epoch (batch 16, Adam, ``BCEWithLogitsLoss``), in one run:

- **original**: the tutorial's way: full-size PIL images held in memory, converted, resized and
  augmented every epoch (its transform order), the model in NCHW float32 (on CUDA: float16
  autocast with a gradient scaler, as the original's ``torch.cuda.amp``);
- **package**: :class:`~unet_tutorial.data.datasets.FloodDataset` (decoded and shrunk once, the
  cache warmed before timing: a steady-state epoch) and
  :meth:`~unet_tutorial.training.trainer.Trainer.train_one_epoch`, whose steps are
  :func:`unet_tutorial.training.step.train_step` (fused Adam, freed memory kept for reuse on the
  CPU; on CUDA channels-last and bfloat16 or float16 autocast).

On a CPU the VGG19 U-Net trains at well under one 224×224 image per second, so by default only
the first 48 training photos make up the epoch there (``--limit``); on CUDA all of them do.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from tools.bench.data import OriginalStyleDataset, synthetic_photos
from unet_tutorial.data.cache import DecodedCache
from unet_tutorial.data.checks import check_pairs
from unet_tutorial.data.datasets import FloodDataset, make_loader
from unet_tutorial.data.locate import find_layout, locate_dataset
from unet_tutorial.data.pairing import pair_files
from unet_tutorial.data.transforms import train_transforms
from unet_tutorial.models import MODELS, create_model
from unet_tutorial.runtime import default_device
from unet_tutorial.training.step import precision_name
from unet_tutorial.training.trainer import TrainConfig, Trainer


def original_epoch(
    model: nn.Module, optimizer: torch.optim.Optimizer, loader, device: torch.device
) -> int:
    """One epoch the original's way (NCHW, float32 or fp16 autocast + scaler); returns images."""
    model.train()
    loss_fn = nn.BCEWithLogitsLoss()
    use_amp = device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    count = 0
    for images, masks in loader:
        images, masks = images.to(device), masks.to(device)
        optimizer.zero_grad()
        with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
            loss = loss_fn(model(images), masks)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        count += images.shape[0]
    return count


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _fresh_model(name: str, width: int, device: torch.device) -> nn.Module:
    torch.manual_seed(0)
    width_kwargs = {"base_channels": width} if MODELS[name].has_width else {}
    return create_model(name, num_classes=1, **width_kwargs).to(device)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench train", description=__doc__)
    parser.add_argument("--root", help="dataset folder (default: the one the chapters use)")
    parser.add_argument("--model", choices=list(MODELS), default="vgg19_unet")
    parser.add_argument("--width", type=int, default=16, help="base channels (not for VGG19)")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--limit", type=int, default=None, help="photos per epoch (default: 48 on CPU, all on CUDA)"
    )
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = default_device()
    limit = args.limit if args.limit is not None else (None if device.type == "cuda" else 48)

    with tempfile.TemporaryDirectory(prefix="unet-bench-train-") as scratch:
        root = locate_dataset(args.root)
        if root is not None:
            pairs, *_ = check_pairs(pair_files(find_layout(root), warn=False).pairs)
            where = f"the real dataset at {root}"
        else:
            pairs = synthetic_photos(Path(scratch) / "photos", limit or 60, (2048, 1365))
            where = "synthetic scenes saved as 2048×1365 JPEGs (no real dataset found)"
        pairs = pairs[:limit] if limit else pairs
        size = args.image_size
        print(
            f"train benchmark: one epoch of {len(pairs)} photos from {where}; model {args.model} "
            f"at {size}×{size}, batch {args.batch_size}, device {device.type}, "
            f"{torch.get_num_threads()} torch threads"
        )

        original_data = OriginalStyleDataset(pairs, size)
        original_loader = torch.utils.data.DataLoader(
            original_data, batch_size=args.batch_size, shuffle=True
        )
        model = _fresh_model(args.model, args.width, device)
        # Built before the clock starts, as the package's is: the first optimizer of a process
        # pays for importing torch's compiler machinery, which is no part of an epoch.
        optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
        _sync(device)
        start = time.perf_counter()
        count = original_epoch(model, optimizer, original_loader, device)
        _sync(device)
        original_seconds = time.perf_counter() - start
        print(
            f"original: {original_seconds:.2f} s = {count / original_seconds:.2f} images/s "
            "(full-size images resized every epoch; NCHW float32"
            + (", fp16 autocast)" if device.type == "cuda" else ")")
        )
        del original_data, original_loader, model

        cache = DecodedCache(size, Path(scratch) / "cache")
        dataset = FloodDataset(pairs, size, train_transforms(size, seed=0), cache=cache).preload()
        loader = make_loader(dataset, args.batch_size, shuffle=True, seed=0)
        model = _fresh_model(args.model, args.width, device)
        trainer = Trainer(model, TrainConfig(epochs=1), device=device, verbose=False)
        _sync(device)
        start = time.perf_counter()
        trainer.train_one_epoch(loader)
        _sync(device)
        package_seconds = time.perf_counter() - start
        print(
            f"package:  {package_seconds:.2f} s = {len(dataset) / package_seconds:.2f} images/s "
            f"(decoded once, cache warm; train_step, {precision_name(device)})"
        )
        print(f"ratio original/package time: {original_seconds / package_seconds:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
