"""The package's default way to train: one function per step, fast on a CPU and on CUDA.

:func:`train_step` is the training step every chapter and the trainer use; :func:`prepare_training`
sets up what it relies on. What they do, and why (measured by ``python -m unet_tutorial.bench
model``):

- **Frozen encoder** (built into :class:`~unet_tutorial.models.vgg19_unet.VGG19UNet`): no gradient
  is computed for what only a frozen encoder would need.
- **Memory kept for reuse on CPU** (:func:`keep_freed_memory`): a training step allocates and
  frees gigabytes of activations. By default glibc returns every large block to the kernel, which
  must zero fresh pages again at the next step (millions of page faults per step at 224×224,
  batch 8). Asking glibc to keep freed memory makes later steps reuse it.
- **Fused Adam** where PyTorch supports it: one kernel updates all parameters.
- **On CUDA**: channels-last memory format and autocast (bfloat16 where the GPU supports it,
  else float16 with a gradient scaler). On this book's 2-core CPU, channels-last made the
  weight-gradient convolutions about three times slower, so the CPU keeps the default layout and
  float32 (the CPU has no fast low-precision arithmetic).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext

import torch
from torch import nn

#: glibc ``mallopt`` parameters (from ``malloc.h``).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def keep_freed_memory() -> bool:
    """Make glibc keep freed memory for reuse instead of returning it to the kernel.

    Raises the thresholds above which glibc serves a block with its own ``mmap`` (unmapped again
    when freed) and trims the heap, so the activations of one training step reuse the memory of
    the previous one. The price: the process keeps its peak memory until it exits. Affects only
    Linux with glibc; elsewhere it does nothing.

    Returns:
        Whether both settings were applied.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl)
        return False
    # Recent glibc accepts any threshold; old versions cap it at 32 MiB.
    mmap_ok = bool(mallopt(_M_MMAP_THRESHOLD, 2**30) or mallopt(_M_MMAP_THRESHOLD, 2**25))
    trim_ok = bool(mallopt(_M_TRIM_THRESHOLD, 2**31))
    return mmap_ok and trim_ok


def memory_format_for(device: torch.device) -> torch.memory_format:
    """Channels-last on CUDA (faster convolutions there), the default NCHW layout elsewhere."""
    return torch.channels_last if device.type == "cuda" else torch.contiguous_format


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """bfloat16 on a CUDA GPU that supports it, float16 on older ones, ``None`` (float32) else."""
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def autocast(device: torch.device) -> AbstractContextManager:
    """The mixed-precision context :func:`train_step` runs the forward pass in."""
    dtype = autocast_dtype(device)
    if dtype is None:
        return nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def make_grad_scaler(device: torch.device) -> torch.amp.GradScaler | None:
    """A gradient scaler for float16 training (keeps small gradients from vanishing), else None."""
    if autocast_dtype(device) is torch.float16:
        return torch.amp.GradScaler(device.type)
    return None


def make_adam(
    parameters: Iterable[nn.Parameter], lr: float, device: torch.device
) -> torch.optim.Adam:
    """Adam over the parameters that require a gradient, fused into one kernel when supported."""
    trainable = [p for p in parameters if p.requires_grad]
    try:
        return torch.optim.Adam(trainable, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):  # older PyTorch: no fused Adam on this device
        return torch.optim.Adam(trainable, lr=lr, foreach=device.type == "cuda")


def prepare_training(model: nn.Module, device: torch.device) -> nn.Module:
    """Move ``model`` to ``device`` in the memory format :func:`train_step` expects.

    On CPU it also calls :func:`keep_freed_memory` (a process-wide allocator setting).
    """
    if device.type == "cpu":
        keep_freed_memory()
    return model.to(device, memory_format=memory_format_for(device))


def train_step(
    model: nn.Module,
    images: torch.Tensor,
    targets: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None = None,
) -> torch.Tensor:
    """One optimisation step on a batch; returns the (detached) loss.

    Args:
        model: a model prepared with :func:`prepare_training`, in training mode.
        images: N×C×H×W batch (moved to the model's device and memory format here).
        targets: what ``loss_fn`` compares the logits with, e.g. N×1×H×W masks in {0, 1}.
        loss_fn: ``loss_fn(logits, targets)``, computed in float32.
        optimizer: e.g. from :func:`make_adam`.
        scaler: from :func:`make_grad_scaler` when training in float16 on CUDA, else ``None``.
    """
    device = next(model.parameters()).device
    images = images.to(device, memory_format=memory_format_for(device), non_blocking=True)
    targets = targets.to(device, non_blocking=True)
    optimizer.zero_grad(set_to_none=True)
    with autocast(device):
        logits = model(images)
    loss = loss_fn(logits.float(), targets)
    if scaler is None:
        loss.backward()
        optimizer.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    return loss.detach()
