"""One training step, and the forward pass every part of the package shares.

:func:`forward` is the one path from a batch of images to float32 logits: onto the model's
device, into the memory layout measured fastest there, the forward pass under autocast, back to
float32. :func:`train_step` (the trainer, the sanity check, the benchmarks) and the inference
functions of :mod:`unet_tutorial.inference` all call it, so training, evaluation and
prediction see the same numbers. What they do, and why (measured by ``python -m tools.bench
model``):

- **Frozen encoder** (built into :class:`~unet_tutorial.models.vgg19_unet.VGG19UNet`): no gradient
  is computed for what only a frozen encoder would need.
- **Memory kept for reuse on CPU** (:func:`unet_tutorial.runtime.keep_freed_memory`, called by
  :func:`prepare_training`): later steps reuse the memory of earlier ones.
- **Fused Adam** where PyTorch supports it: one kernel updates all parameters.
- **On CUDA**: channels-last memory format and autocast: bfloat16 on GPUs of compute capability
  8.0 and newer (A100, RTX 30xx, H100), float16 with a gradient scaler on older ones (T4, V100).
  On this book's 2-core CPU, channels-last made the weight-gradient convolutions about three
  times slower, so the CPU keeps the default layout and float32 (the CPU has no fast
  low-precision arithmetic).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext

import torch
from torch import nn

from unet_tutorial.runtime import keep_freed_memory

#: The first CUDA compute capability with native bfloat16 arithmetic (Ampere).
BFLOAT16_CAPABILITY = (8, 0)


def model_device(model: nn.Module) -> torch.device:
    """Where ``model``'s parameters (or buffers) live; the CPU for a model without any."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


def memory_format_for(device: torch.device) -> torch.memory_format:
    """Channels-last on CUDA and on the CPU; the default NCHW layout on other devices.

    On the book's two-core CPU with torch 2.14, a training step of the ``cpu`` profile's network
    and of the VGG19 U-Net ran faster channels-last, a plain U-Net's at 80×80 a little slower:
    ``python -m tools.bench layout`` measures it on another machine.
    """
    if device.type in ("cuda", "cpu"):
        return torch.channels_last
    return torch.contiguous_format


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """The 16-bit type autocast uses on ``device``, or ``None`` (float32).

    bfloat16 where the GPU computes it natively (compute capability 8.0 or newer), float16 on
    older GPUs (Colab's T4 is 7.5), ``None`` on a CPU. ``torch.cuda.is_bf16_supported()`` is not
    asked: by default it answers ``True`` on a T4 too, where bfloat16 is only emulated (slow).
    """
    if device.type != "cuda":
        return None
    capability = torch.cuda.get_device_capability(device)
    return torch.bfloat16 if capability >= BFLOAT16_CAPABILITY else torch.float16


def precision_name(device: torch.device) -> str:
    """``"float32"``, ``"bfloat16"`` or ``"float16"``: what :func:`forward` computes in."""
    dtype = autocast_dtype(device)
    return "float32" if dtype is None else str(dtype).removeprefix("torch.")


def autocast(device: torch.device) -> AbstractContextManager:
    """The mixed-precision context the forward pass runs in on ``device``."""
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
    parameters: Iterable[nn.Parameter],
    lr: float,
    device: torch.device,
    weight_decay: float = 0.0,
) -> torch.optim.Adam:
    """Adam over the parameters that require a gradient, fused into one kernel when supported;
    with ``weight_decay`` AdamW (the decay decoupled from the gradient's running averages)."""
    trainable = [p for p in parameters if p.requires_grad]
    kind = torch.optim.AdamW if weight_decay > 0 else torch.optim.Adam
    try:
        return kind(trainable, lr=lr, weight_decay=weight_decay, fused=True)
    except (RuntimeError, TypeError, ValueError):  # older PyTorch: no fused Adam on this device
        return kind(trainable, lr=lr, weight_decay=weight_decay, foreach=device.type == "cuda")


def prepare_training(model: nn.Module, device: torch.device) -> nn.Module:
    """Move ``model`` to ``device`` in the memory format :func:`forward` expects.

    On CPU it also calls :func:`~unet_tutorial.runtime.keep_freed_memory` (a process-wide
    allocator setting).
    """
    if device.type == "cpu":
        keep_freed_memory()
    return model.to(device, memory_format=memory_format_for(device))


def forward(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The model's float32 logits for a batch ``N×C×H×W``, computed on the model's device.

    The images move to that device in its memory format; the pass runs under :func:`autocast`.
    Gradients are recorded or not as the caller decides (``torch.no_grad()`` for inference).
    """
    device = model_device(model)
    images = images.to(device, memory_format=memory_format_for(device), non_blocking=True)
    with autocast(device):
        logits = model(images)
    return logits.float()


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
        images: N×C×H×W batch (moved to the model's device and memory format by :func:`forward`).
        targets: what ``loss_fn`` compares the logits with, e.g. N×1×H×W masks in {0, 1}.
        loss_fn: ``loss_fn(logits, targets)``, computed in float32.
        optimizer: e.g. from :func:`make_adam`.
        scaler: from :func:`make_grad_scaler` when training in float16 on CUDA, else ``None``.
    """
    optimizer.zero_grad(set_to_none=True)
    logits = forward(model, images)
    loss = loss_fn(logits, targets.to(logits.device, non_blocking=True))
    if scaler is None:
        loss.backward()
        optimizer.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    return loss.detach()
