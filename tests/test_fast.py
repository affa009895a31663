"""The package's training step: layout and precision per device, fused Adam, loss going down."""

from __future__ import annotations

import platform
import sys

import torch
from torch import nn

from unet_tutorial.fast import (
    autocast_dtype,
    keep_freed_memory,
    make_adam,
    make_grad_scaler,
    memory_format_for,
    prepare_training,
    train_step,
)
from unet_tutorial.models.paper_unet import PaperUNet

CPU = torch.device("cpu")


def test_cpu_keeps_nchw_float32() -> None:
    assert memory_format_for(CPU) is torch.contiguous_format
    assert autocast_dtype(CPU) is None and make_grad_scaler(CPU) is None
    assert memory_format_for(torch.device("cuda")) is torch.channels_last


def test_keep_freed_memory_applies_on_linux_glibc() -> None:
    applied = keep_freed_memory()
    on_glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert applied is on_glibc


def test_make_adam_takes_only_trainable_parameters() -> None:
    model = PaperUNet(base_channels=2, depth=2)
    model.down.requires_grad_(False)
    optimizer = make_adam(model.parameters(), lr=1e-3, device=CPU)
    params = [p for group in optimizer.param_groups for p in group["params"]]
    assert (
        len(params)
        == sum(p.requires_grad for p in model.parameters())
        < len(list(model.parameters()))
    )


def test_train_step_lowers_the_loss_and_returns_a_detached_scalar() -> None:
    torch.manual_seed(0)
    model = prepare_training(nn.Conv2d(1, 1, kernel_size=3, padding=1), CPU).train()
    optimizer = make_adam(model.parameters(), lr=0.05, device=CPU)
    x = torch.randn(4, 1, 16, 16)
    y = (x > 0).float()  # learnable by one convolution: positive pixels are foreground
    losses = [train_step(model, x, y, nn.BCEWithLogitsLoss(), optimizer) for _ in range(30)]
    assert losses[0].shape == () and not losses[0].requires_grad
    assert losses[-1] < 0.5 * losses[0]
