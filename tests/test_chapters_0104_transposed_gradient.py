"""Chapter 3's rule, for every small size: the input gradient of a strided convolution is the
transposed convolution of the upstream gradient with the same weight, stride and padding, and
``output_padding = (H + 2P - k) mod s`` (the rows the convolution's floor dropped)."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from unet_tutorial import functional

CASES = [
    (h, k, s, p)
    for h, k, s, p in itertools.product(range(3, 12), (1, 2, 3, 4), (1, 2, 3), (0, 1, 2))
    if h + 2 * p >= k and p < k
]


@pytest.mark.parametrize(("h", "k", "s", "p"), CASES)
def test_input_gradient_is_transposed_conv_with_output_padding(h: int, k: int, s: int, p: int):
    generator = torch.Generator().manual_seed(h * 1000 + k * 100 + s * 10 + p)
    x = torch.randn(1, 2, h, h + 1, generator=generator, dtype=torch.float64)
    weight = torch.randn(3, 2, k, k, generator=generator, dtype=torch.float64)
    x.requires_grad_(True)
    out = F.conv2d(x, weight, stride=s, padding=p)
    upstream = torch.randn(out.shape, generator=generator, dtype=torch.float64)
    (grad,) = torch.autograd.grad(out, x, upstream)
    dropped = ((h + 2 * p - k) % s, (h + 1 + 2 * p - k) % s)
    ours = functional.conv_transpose2d(
        upstream, weight, stride=s, padding=p, output_padding=dropped
    )
    torch.testing.assert_close(ours, grad)


def test_without_output_padding_the_gradient_is_short_when_the_floor_drops_rows() -> None:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(1, 1, 10, 10, generator=generator).requires_grad_(True)
    weight = torch.randn(1, 1, 3, 3, generator=generator)
    out = F.conv2d(x, weight, stride=2, padding=1)
    (grad,) = torch.autograd.grad(out, x, torch.ones_like(out))
    plain = functional.conv_transpose2d(torch.ones_like(out), weight, stride=2, padding=1)
    assert grad.shape[-2:] == (10, 10)
    assert plain.shape[-2:] == (9, 9)
    # the row the transposed convolution misses carries gradient: it is not padding
    assert grad[..., -1, :].abs().max() > 0
