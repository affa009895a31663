"""Timing a model: training and inference throughput, and the timer both use.

On CUDA the GPU runs asynchronously, so a clock read right after a call measures only the
launch of its kernels; :func:`timed` waits for the device after the warm-up and after every
timed call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import nn

from unet_tutorial.training.step import forward, model_device


def synchronize(device: torch.device) -> None:
    """Wait until ``device`` has finished its queued work (a no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(
    step: Callable[[], Any], device: torch.device, *, repeats: int = 1, warmup: int = 1
) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``step`` after ``warmup`` untimed calls.

    The warm-up pays for allocations and kernel selection; ``device`` is synchronised after it
    and after each timed call.
    """
    for _ in range(warmup):
        step()
    synchronize(device)
    seconds = []
    for _ in range(repeats):
        began = time.perf_counter()
        step()
        synchronize(device)
        seconds.append(time.perf_counter() - began)
    return seconds


def training_throughput(
    model: nn.Module,
    image_size: int,
    *,
    batch_size: int = 1,
    steps: int = 1,
    device: str | torch.device | None = None,
) -> float:
    """Training images per second of ``model`` (forward, backward and Adam step per batch),
    on random data, after one warm-up step. The model is trained by it: pass a fresh one."""
    from unet_tutorial.training.trainer import TrainConfig, Trainer

    trainer = Trainer(model, TrainConfig(epochs=1), device=device, verbose=False)
    images = torch.randn(batch_size, 3, image_size, image_size)
    masks = (torch.rand(batch_size, 1, image_size, image_size) > 0.5).float()
    seconds = timed(
        lambda: trainer.train_one_epoch([(images, masks)]), trainer.device, repeats=steps
    )
    return batch_size * steps / sum(seconds)


@torch.no_grad()
def inference_throughput(
    model: nn.Module, batch_size: int, image_size: int, *, repeats: int = 2
) -> float:
    """Images per second of the model's forward pass in eval mode, without gradients, on its
    device: the best of ``repeats`` timed passes over one random ``batch_size``×3×S×S batch
    after a warm-up. The model is left in eval mode."""
    model.eval()
    generator = torch.Generator().manual_seed(0)
    images = torch.randn(batch_size, 3, image_size, image_size, generator=generator)
    images = images.to(model_device(model))
    return batch_size / min(
        timed(lambda: forward(model, images), model_device(model), repeats=repeats)
    )


class TimedLoader:
    """A training loader that counts the images it serves and the seconds each pass takes.

    ``images / seconds`` is then the end-to-end training throughput (loading, augmentation,
    forward, backward and optimiser step) of the epochs run, without the validation passes.
    Other attributes (``dataset``, ``generator``: the trainer re-seeds them) are the loader's.
    """

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.images = 0
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[Any]:
        began = time.perf_counter()
        for batch in self.loader:
            self.images += len(batch[0])
            yield batch
        self.seconds += time.perf_counter() - began

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds if self.seconds else float("nan")
