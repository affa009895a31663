"""``python -m tools.bench parallel``: training throughput with data parallelism (chapter 13).

Trains the same U-Net on the same synthetic scenes with the same global batch, and prints the
training photos per second of

- on the CPU: 1 process × T threads against T processes × 1 thread (T = ``--threads``,
  default the cores: 2 on this project's machine), the processes started by ``torchrun``
  (Gloo, gradients averaged by all-reduce);
- with ``--gpus``: 1 GPU against all of them (one process each, NCCL).

The first epoch warms up (allocator, Gloo's buffers) and is not timed; the next ``--epochs``
are. Photos per second counts every process's photos. The ratio is the speed-up of the
processes over the single process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import torch

WORKER = "--worker"


def _dataset(count: int, size: int) -> torch.utils.data.TensorDataset:
    from unet_tutorial.data.synthetic import render_flood_scene
    from unet_tutorial.data.transforms import photo_to_input, shrink_mask_to_square

    images, masks = [], []
    for seed in range(count):
        photo, mask = render_flood_scene(seed, size, size)
        images.append(photo_to_input(photo, size))
        masks.append(torch.from_numpy(shrink_mask_to_square(mask, size)).float()[None])
    return torch.utils.data.TensorDataset(torch.stack(images), torch.stack(masks))


def worker(args: argparse.Namespace) -> None:
    """One process (of one, or of several under torchrun): warm-up epoch, timed epochs; rank 0
    prints one JSON line."""
    from unet_tutorial.models import create_model
    from unet_tutorial.runtime import seed_everything
    from unet_tutorial.training.distributed import (
        per_process_batch,
        process_group,
        train_sampler,
    )
    from unet_tutorial.training.loop import train_one_epoch
    from unet_tutorial.training.trainer import TrainConfig, Trainer

    torch.set_num_threads(args.threads)
    with process_group(args.device) as (processes, device):
        data = _dataset(args.photos, args.image_size)
        batch = per_process_batch(args.batch_size, processes)
        sampler = train_sampler(data, processes, seed=0) if processes.active else None
        loader = torch.utils.data.DataLoader(
            data, batch_size=batch, sampler=sampler, shuffle=sampler is None
        )
        seed_everything(0)
        model = create_model("unet", base_channels=args.width)
        config = TrainConfig(epochs=1, loss="bce")
        trainer = Trainer(model, config, device=device, processes=processes, verbose=False)
        photos, began = 0, 0.0
        for epoch in range(args.epochs + 1):
            if sampler is not None:
                sampler.set_epoch(epoch)
            if epoch == 1:
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                began = time.perf_counter()
            train_one_epoch(trainer.replica, loader, trainer.loss_fn, trainer.optimizer)
            if epoch >= 1:
                photos += len(loader) * batch * processes.world_size
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        seconds = time.perf_counter() - began
        if processes.is_writer:
            print(json.dumps({"processes": processes.world_size, "photos_per_s": photos / seconds}))


def _measure(args: argparse.Namespace, processes: int, threads: int, device: str) -> float:
    """Photos per second of ``processes`` processes × ``threads`` threads (a child run)."""
    options = [
        WORKER,
        f"--threads={threads}",
        f"--device={device}",
        f"--photos={args.photos}",
        f"--image-size={args.image_size}",
        f"--width={args.width}",
        f"--batch-size={args.batch_size}",
        f"--epochs={args.epochs}",
    ]
    bench = [sys.executable, "-m", "tools.bench", "parallel", *options]
    if processes > 1:
        launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
        command = [*launcher, f"--nproc_per_node={processes}", "-m", "tools.bench"]
        command += ["parallel", *options]
    else:
        command = bench
    env = os.environ | {"OMP_NUM_THREADS": str(threads)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    line = [x for x in done.stdout.splitlines() if x.startswith("{")][-1]
    return float(json.loads(line)["photos_per_s"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench parallel", description=__doc__)
    parser.add_argument(WORKER, action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--gpus", action="store_true", help="1 GPU against all GPUs")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--photos", type=int, default=64, help="training photos")
    parser.add_argument("--image-size", type=int, default=96)
    parser.add_argument("--width", type=int, default=8, help="the U-Net's first channels")
    parser.add_argument("--batch-size", type=int, default=8, help="the global batch")
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs")
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    print(
        f"U-Net width {args.width}, {args.photos} photos at {args.image_size} px, global batch "
        f"{args.batch_size}, {args.epochs} timed epochs after one warm-up"
    )
    if args.gpus:
        count = torch.cuda.device_count()
        if count < 1:
            print("no CUDA GPU here")
            return 1
        one = _measure(args, 1, 1, "cuda")
        all_ = _measure(args, count, 1, "cuda") if count > 1 else one
        print(
            f"1 GPU: {one:.1f} photos/s; {count} GPUs: {all_:.1f} photos/s; ratio {all_ / one:.2f}"
        )
        return 0
    threads = args.threads
    one = _measure(args, 1, threads, "cpu")
    many = _measure(args, threads, 1, "cpu")
    print(
        f"CPU: 1 process × {threads} threads {one:.1f} photos/s; {threads} processes × 1 "
        f"thread {many:.1f} photos/s; ratio {many / one:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
