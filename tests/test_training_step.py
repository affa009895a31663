"""unet_tutorial.training.step: layout and precision per device, fused Adam, the shared forward
pass, loss going down."""

from __future__ import annotations

import platform
import subprocess
import sys
from unittest import mock

import pytest
import torch
from torch import nn

from unet_tutorial.models.paper_unet import PaperUNet
from unet_tutorial.training import step
from unet_tutorial.training.step import (
    autocast_dtype,
    forward,
    make_adam,
    make_grad_scaler,
    memory_format_for,
    model_device,
    precision_name,
    prepare_training,
    train_step,
)

CPU = torch.device("cpu")


def test_cpu_is_channels_last_float32() -> None:
    assert memory_format_for(CPU) is torch.channels_last
    assert autocast_dtype(CPU) is None and make_grad_scaler(CPU) is None
    assert memory_format_for(torch.device("cuda")) is torch.channels_last
    assert memory_format_for(torch.device("meta")) is torch.contiguous_format


def test_keep_freed_memory_applies_on_linux_glibc() -> None:
    # In a child process: the setting is process-wide and must not leak into the other tests.
    code = "from unet_tutorial.runtime import keep_freed_memory; print(keep_freed_memory())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    on_glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert result.stdout.strip() == str(on_glibc), result.stderr


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


@pytest.mark.parametrize(
    ("gpu", "capability", "dtype", "scaled"),
    [
        ("Tesla T4 (Colab's free GPU)", (7, 5), torch.float16, True),
        ("Tesla V100", (7, 0), torch.float16, True),
        ("A100", (8, 0), torch.bfloat16, False),
        ("H100", (9, 0), torch.bfloat16, False),
    ],
)
def test_bfloat16_only_from_compute_capability_8(gpu, capability, dtype, scaled) -> None:
    cuda = torch.device("cuda")
    # Asked the old way, a T4 claims bfloat16 (emulated): the choice must not rely on it.
    with (
        mock.patch.object(torch.cuda, "get_device_capability", return_value=capability),
        mock.patch.object(torch.cuda, "is_bf16_supported", return_value=True),
        mock.patch.object(torch.amp, "GradScaler", wraps=lambda device: ("scaler", device)),
    ):
        assert autocast_dtype(cuda) is dtype, gpu
        assert precision_name(cuda) == str(dtype).removeprefix("torch.")
        scaler = make_grad_scaler(cuda)
    assert (scaler == ("scaler", "cuda")) is scaled, gpu
    assert (scaler is None) is not scaled


def test_forward_runs_on_the_model_device_in_float32() -> None:
    model = nn.Conv2d(3, 2, 1)
    x = torch.randn(2, 3, 5, 5, dtype=torch.float64).float()
    out = forward(model, x)
    assert out.dtype == torch.float32 and out.shape == (2, 2, 5, 5)
    torch.testing.assert_close(out, model(x))
    assert model_device(nn.ReLU()) == torch.device("cpu")  # no parameters: the CPU
    assert step.BFLOAT16_CAPABILITY == (8, 0)
