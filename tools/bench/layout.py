"""``python -m tools.bench layout``: training steps in the NCHW layout against channels-last.

:func:`unet_tutorial.training.step.memory_format_for` decides in which order the numbers of
the images, activations and weights lie in memory on each device. This benchmark is how that
decision is made: for each network it times training steps (forward, loss, backward, Adam) of
the same model on the same batch, once with the default layout (``torch.contiguous_format``,
N×C×H×W) and once channels-last (N×H×W×C), in alternating rounds so that a busy machine slows
both alike, and prints milliseconds per step and their ratio (above 1: channels-last is
faster). Run it on the machine the decision is for; threads are PyTorch's default unless
``--threads`` says otherwise.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from unet_tutorial.losses import make_loss
from unet_tutorial.models import model_from_spec, model_spec_for

#: (model, width, image size): the cpu profile's network, chapter 11's, and the gpu recipe's.
NETWORKS: tuple[tuple[str, int, int], ...] = (
    ("attention_unet", 8, 128),
    ("unet", 16, 80),
    ("vgg19_unet", 64, 128),
)


def step_seconds(
    model: torch.nn.Module,
    images: torch.Tensor,
    masks: torch.Tensor,
    layout: torch.memory_format,
    steps: int,
) -> float:
    """Mean seconds of ``steps`` training steps in ``layout`` (after one warm-up step)."""
    model = model.to(memory_format=layout)
    images = images.contiguous(memory_format=layout)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    loss_fn = make_loss("bce+dice")
    for step in range(steps + 1):
        if step == 1:
            began = time.perf_counter()
        loss = loss_fn(model(images), masks)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - began) / steps


def compare(
    name: str, width: int, size: int, *, batch: int, steps: int, rounds: int
) -> dict[str, float]:
    """Milliseconds per step in both layouts (median over ``rounds``) and their ratio."""
    torch.manual_seed(0)
    spec = model_spec_for(name, num_classes=1, width=width, pretrained=False)
    model = model_from_spec(spec, pretrained=False).train()
    images = torch.randn(batch, 3, size, size)
    masks = (torch.rand(batch, 1, size, size) > 0.5).float()
    nchw, last = [], []
    for _ in range(rounds):
        nchw.append(step_seconds(model, images, masks, torch.contiguous_format, steps))
        last.append(step_seconds(model, images, masks, torch.channels_last, steps))
    a, b = statistics.median(nchw), statistics.median(last)
    return {"nchw_ms": 1000 * a, "channels_last_ms": 1000 * b, "ratio": a / b}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench layout", description=__doc__)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per round (3)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (3)")
    parser.add_argument("--threads", type=int, help="PyTorch threads (default: PyTorch's)")
    parser.add_argument("--networks", nargs="+", help="model:width:size, e.g. unet:16:80")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    networks = NETWORKS
    if args.networks:
        networks = tuple(
            (n, int(w), int(s)) for n, w, s in (item.split(":") for item in args.networks)
        )
    threads = torch.get_num_threads()
    print(f"CPU, {threads} threads, batch {args.batch_size}, torch {torch.__version__}")
    print(f"{'network':<28} {'NCHW ms/step':>13} {'channels-last':>14} {'ratio':>6}")
    for name, width, size in networks:
        row = compare(
            name, width, size, batch=args.batch_size, steps=args.steps, rounds=args.rounds
        )
        label = f"{name} w{width} {size}×{size}"
        print(
            f"{label:<28} {row['nchw_ms']:13.0f} {row['channels_last_ms']:14.0f} "
            f"{row['ratio']:6.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
