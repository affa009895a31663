"""The from-scratch operations against torch.nn.functional; the size formulas against nn layers."""

from __future__ import annotations

import random

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from unet_tutorial import functional

N_RANDOM_CASES = 100
ATOL = 1e-5


def random_conv_case(seed: int) -> dict:
    """A random, valid convolution set-up: shapes, non-square kernels, strides, paddings."""
    rng = random.Random(seed)
    kh, kw = rng.randint(1, 5), rng.randint(1, 5)
    sh, sw = rng.randint(1, 3), rng.randint(1, 3)
    ph, pw = rng.randint(0, 2), rng.randint(0, 2)
    h = rng.randint(max(1, kh - 2 * ph), 12)
    w = rng.randint(max(1, kw - 2 * pw), 12)
    as_int = kh == kw and sh == sw and ph == pw and rng.random() < 0.5
    return {
        "n": rng.randint(1, 3),
        "c": rng.randint(1, 4),
        "f": rng.randint(1, 4),
        "h": h,
        "w": w,
        "kernel": (kh, kw),
        "stride": sh if as_int else (sh, sw),
        "padding": ph if as_int else (ph, pw),
        "bias": rng.random() < 0.5,
    }


def seeded_tensor(*shape: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator)


@pytest.mark.parametrize("seed", range(N_RANDOM_CASES))
def test_conv2d_matches_pytorch(seed: int) -> None:
    case = random_conv_case(seed)
    x = seeded_tensor(case["n"], case["c"], case["h"], case["w"], seed=seed)
    weight = seeded_tensor(case["f"], case["c"], *case["kernel"], seed=seed + 1000)
    bias = seeded_tensor(case["f"], seed=seed + 2000) if case["bias"] else None
    ours = functional.conv2d(x, weight, bias, stride=case["stride"], padding=case["padding"])
    theirs = F.conv2d(x, weight, bias, stride=case["stride"], padding=case["padding"])
    assert ours.shape == theirs.shape
    torch.testing.assert_close(ours, theirs, atol=ATOL, rtol=1e-5)


@pytest.mark.parametrize("seed", range(N_RANDOM_CASES))
def test_conv_transpose2d_matches_pytorch(seed: int) -> None:
    case = random_conv_case(seed)
    rng = random.Random(seed + 7)
    x = seeded_tensor(case["n"], case["c"], case["h"], case["w"], seed=seed)
    weight = seeded_tensor(case["c"], case["f"], *case["kernel"], seed=seed + 1000)
    bias = seeded_tensor(case["f"], seed=seed + 2000) if case["bias"] else None
    stride = functional._pair(case["stride"], "stride", minimum=1)
    output_padding = tuple(rng.randint(0, s - 1) for s in stride)
    padding = functional._pair(case["padding"], "padding", minimum=0)
    full = [
        (n - 1) * s + k
        for n, s, k in zip((case["h"], case["w"]), stride, case["kernel"], strict=True)
    ]
    if any(f + op - 2 * p < 1 for f, op, p in zip(full, output_padding, padding, strict=True)):
        padding = (0, 0)  # this padding would crop everything away; PyTorch refuses it too
    args = {"stride": case["stride"], "padding": padding, "output_padding": output_padding}
    ours = functional.conv_transpose2d(x, weight, bias, **args)
    theirs = F.conv_transpose2d(x, weight, bias, **args)
    assert ours.shape == theirs.shape
    torch.testing.assert_close(ours, theirs, atol=ATOL, rtol=1e-5)


@pytest.mark.parametrize("seed", range(N_RANDOM_CASES))
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_matches_pytorch(seed: int, kind: str) -> None:
    rng = random.Random(seed)
    kernel = (rng.randint(1, 4), rng.randint(1, 4))
    stride = None if rng.random() < 0.3 else (rng.randint(1, 3), rng.randint(1, 3))
    shape = (
        rng.randint(1, 3),
        rng.randint(1, 4),
        rng.randint(kernel[0], 11),
        rng.randint(kernel[1], 11),
    )
    x = seeded_tensor(*shape, seed=seed)
    ours_fn, theirs_fn = {
        "max": (functional.max_pool2d, F.max_pool2d),
        "avg": (functional.avg_pool2d, F.avg_pool2d),
    }[kind]
    ours, theirs = ours_fn(x, kernel, stride), theirs_fn(x, kernel, stride)
    assert ours.shape == theirs.shape
    torch.testing.assert_close(ours, theirs, atol=ATOL, rtol=1e-5)


def test_pooling_accepts_int_kernel_and_halves_with_2x2() -> None:
    x = seeded_tensor(2, 3, 8, 6, seed=0)
    assert functional.max_pool2d(x, 2).shape == (2, 3, 4, 3)
    torch.testing.assert_close(functional.avg_pool2d(x, 2), F.avg_pool2d(x, 2))


def test_gradients_flow_like_pytorch() -> None:
    x = seeded_tensor(2, 3, 6, 7, seed=1).requires_grad_()
    weight = seeded_tensor(4, 3, 3, 3, seed=2).requires_grad_()
    functional.conv2d(x, weight, stride=2, padding=1).square().sum().backward()
    ours = (x.grad.clone(), weight.grad.clone())
    x.grad, weight.grad = None, None
    F.conv2d(x, weight, stride=2, padding=1).square().sum().backward()
    # float32 rounding: the two add the same products in a different order
    torch.testing.assert_close(ours[0], x.grad, atol=ATOL, rtol=1e-5)
    torch.testing.assert_close(ours[1], weight.grad, atol=ATOL, rtol=1e-5)


def test_conv_transpose_is_the_gradient_of_conv() -> None:
    x = seeded_tensor(1, 3, 9, 9, seed=3).requires_grad_()
    weight = seeded_tensor(5, 3, 3, 3, seed=4)
    y = functional.conv2d(x, weight, stride=2, padding=1)
    upstream = seeded_tensor(*y.shape, seed=5)
    (grad,) = torch.autograd.grad(y, x, upstream)
    torch.testing.assert_close(
        grad, functional.conv_transpose2d(upstream, weight, stride=2, padding=1)
    )


def test_worked_example_2x2_input_2x2_kernel_gives_3x3() -> None:
    x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    kernel = torch.tensor([[[[1.0, 0.0], [-1.0, 2.0]]]])
    # Each input value scales the kernel; the four copies overlap in the middle and add up:
    # 1·K at (0,0), 2·K at (0,1), 3·K at (1,0), 4·K at (1,1).
    expected = torch.tensor(
        [
            [1.0, 0 + 2, 0],
            [-1 + 3, 2 - 2 + 0 + 4, 4 + 0],
            [-3, 6 - 4, 8],
        ]
    )
    out = functional.conv_transpose2d(x, kernel)
    assert out.shape == (1, 1, 3, 3)
    torch.testing.assert_close(out[0, 0], expected)


def test_worked_example_convolution_by_hand() -> None:
    x = torch.arange(16.0).view(1, 1, 4, 4)
    kernel = torch.tensor([[[[1.0, 0.0], [0.0, -1.0]]]])
    # Every window's top-left minus bottom-right: always -5 on this ramp.
    torch.testing.assert_close(functional.conv2d(x, kernel), torch.full((1, 1, 3, 3), -5.0))


def test_stride_2_kernel_2_transposed_conv_doubles_the_size() -> None:
    x = seeded_tensor(1, 2, 5, 7, seed=6)
    weight = seeded_tensor(2, 3, 2, 2, seed=7)
    assert functional.conv_transpose2d(x, weight, stride=2).shape == (1, 3, 10, 14)


SIZE_TABLE = [
    # (H, k, s, P)
    (572, 3, 1, 0),
    (570, 2, 2, 0),
    (224, 3, 1, 1),
    (224, 7, 2, 3),
    (5, 3, 2, 1),
    (7, 3, 3, 0),
    (6, 4, 2, 1),
    (1, 1, 1, 0),
    (3, 5, 1, 1),
    (10, 10, 4, 0),
    (13, 2, 5, 2),
]


@pytest.mark.parametrize(("h", "k", "s", "p"), SIZE_TABLE)
def test_conv_output_size_matches_nn_conv2d(h: int, k: int, s: int, p: int) -> None:
    layer = nn.Conv2d(1, 1, k, stride=s, padding=p)
    measured = layer(torch.zeros(1, 1, h, h + 1)).shape[-2:]
    assert functional.conv_output_size(h, k, s, p) == measured[0]
    assert functional.conv_output_size((h, h + 1), k, s, p) == tuple(measured)


TRANSPOSE_TABLE = [
    (h, k, s, p, output_padding)
    for h, k, s, p in SIZE_TABLE
    for output_padding in (0, 1)
    # PyTorch rejects output_padding >= stride and outputs cropped to nothing, as ops does.
    if output_padding < s and (h - 1) * s - 2 * p + k + output_padding >= 1
]


@pytest.mark.parametrize(("h", "k", "s", "p", "output_padding"), TRANSPOSE_TABLE)
def test_conv_transpose_output_size_matches_nn(
    h: int, k: int, s: int, p: int, output_padding: int
) -> None:
    layer = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=output_padding)
    measured = layer(torch.zeros(1, 1, h, h)).shape[-1]
    assert functional.conv_transpose_output_size(h, k, s, p, output_padding) == measured


def test_size_formulas_with_pairs() -> None:
    assert functional.conv_output_size((10, 20), (3, 5), (1, 2), (1, 0)) == (10, 8)
    assert functional.conv_transpose_output_size((4, 5), 2, 2) == (8, 10)
    assert functional.conv_transpose_output_size(2, 2) == 3


def test_size_formulas_round_trip() -> None:
    # A stride-2 convolution maps sizes 9 and 10 both to 5; output_padding chooses the way back.
    assert functional.conv_output_size(9, 3, 2, 1) == functional.conv_output_size(10, 3, 2, 1) == 5
    assert functional.conv_transpose_output_size(5, 3, 2, 1, 0) == 9
    assert functional.conv_transpose_output_size(5, 3, 2, 1, 1) == 10


X = torch.zeros(1, 3, 5, 5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: functional.conv_output_size(4, 5), r"kernel height 5 .* 4 \+ 2·0 = 4"),
        (lambda: functional.conv_output_size(0, 1), r"size must be positive, got 0"),
        (lambda: functional.conv_output_size(4, 3, stride=2.5), r"stride .* 2.5"),
        (lambda: functional.conv_output_size(5, 3, stride=(1, -2)), r"\(1, -2\)"),
        (lambda: functional.conv_output_size(5, 3, stride=(1, 2, 3)), r"pair of ints"),
        (lambda: functional.conv_transpose_output_size(4, 0), r"kernel_size must be positive"),
        (
            lambda: functional.conv_transpose_output_size(5, 2, output_padding=1),
            r"output_padding 1 .* smaller than the stride 1",
        ),
        (lambda: functional.conv_transpose_output_size(1, 1, padding=1), r"crops away the whole"),
    ],
)
def test_invalid_sizes_raise_value_error_naming_the_values(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: functional.conv2d(X, torch.zeros(2, 3, 6, 3)),  # kernel taller than the input
        lambda: functional.conv2d(X, torch.zeros(2, 4, 3, 3)),  # 4 channels against 3
        lambda: functional.conv2d(X, torch.zeros(2, 3, 3, 3), stride=0),
        lambda: functional.conv2d(X, torch.zeros(2, 3, 3, 3), torch.zeros(3)),  # 3 biases
        lambda: functional.max_pool2d(X, 6),
        lambda: functional.avg_pool2d(X, 2, stride=0),
        lambda: functional.conv_transpose2d(X, torch.zeros(2, 3, 2, 2)),  # 2 channels against 3
    ],
)
def test_the_lesson_code_leaves_invalid_arguments_to_pytorch_errors(call) -> None:
    # The from-scratch operations check nothing themselves (they are the chapters' code);
    # PyTorch's unfold, einsum and broadcasting refuse these arguments instead of returning
    # a wrong result.
    with pytest.raises(RuntimeError):
        call()


def test_pair_and_windows() -> None:
    assert functional.pair(3) == (3, 3) and functional.pair((2, 5)) == (2, 5)
    x = torch.arange(20.0).view(1, 1, 4, 5)
    patches = functional.windows(x, (2, 3), stride=(2, 1), padding=(0, 1))
    assert patches.shape == (1, 1, 2, 5, 2, 3)
    # the window at output (1, 2): rows 2-3, padded columns 2-4 = input columns 1-3
    torch.testing.assert_close(patches[0, 0, 1, 2], x[0, 0, 2:4, 1:4])
    assert patches[0, 0, 0, 0, 0, 0] == 0  # a padding zero
