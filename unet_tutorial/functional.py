"""Convolution, pooling and transposed convolution written from scratch.

These are the operations chapters 1-3 teach, written in view there: :func:`pair`, :func:`windows`
and :func:`conv2d` in chapter 1, :func:`max_pool2d` and :func:`avg_pool2d` in chapter 2,
:func:`conv_transpose2d` in chapter 3 (the chapters' cells and these definitions are kept
identical by ``tools/in_view.py``). They follow their formulas with no Python loop over pixels
and are tested against :mod:`torch.nn.functional`; the U-Net chapters then use the PyTorch
versions. Like the lesson code they are, they leave argument checks to PyTorch's own errors
(``unfold`` refuses a window larger than the padded input, ``einsum`` mismatched channels); the
size formulas below check their arguments and name what is wrong.

All tensors are in N×C×H×W layout: a batch of N images with C channels of H rows and W columns.
``kernel_size``, ``stride`` and ``padding`` may be an ``int`` (the same for rows and columns) or a
pair ``(for_rows, for_columns)``.

The two size formulas, per spatial dimension (input size H, kernel k, stride s, padding P):

- convolution and pooling:  H' = floor((H + 2P − k) / s) + 1
- transposed convolution:   H' = (H − 1)·s − 2P + k + output_padding
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import torch
import torch.nn.functional as F

IntOrPair = int | tuple[int, int] | Sequence[int]

__all__ = [
    "pair",
    "windows",
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "conv_transpose2d",
    "conv_output_size",
    "conv_transpose_output_size",
]


# --------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------


def _pair(value: IntOrPair, name: str, *, minimum: int) -> tuple[int, int]:
    """``value`` as a (rows, columns) pair of ints, each at least ``minimum``."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}.")
    if _is_int(value):
        pair = (int(value), int(value))
    elif isinstance(value, Sequence) and len(value) == 2 and all(_is_int(v) for v in value):
        pair = (int(value[0]), int(value[1]))
    else:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}.")
    if min(pair) < minimum:
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{name} must be {kind}, got {value!r}.")
    return pair


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_fits(size: tuple[int, int], kernel: tuple[int, int], padding: tuple[int, int]) -> None:
    for axis, n, k, p in zip(("height", "width"), size, kernel, padding, strict=True):
        if k > n + 2 * p:
            raise ValueError(
                f"kernel {axis} {k} is larger than the padded input {axis} {n} + 2·{p} = "
                f"{n + 2 * p}; use a smaller kernel or more padding."
            )


# --------------------------------------------------------------------------------------------
# Size formulas
# --------------------------------------------------------------------------------------------


def conv_output_size(
    size: IntOrPair, kernel_size: IntOrPair, stride: IntOrPair = 1, padding: IntOrPair = 0
) -> int | tuple[int, int]:
    """Output size of a convolution or pooling layer: H' = floor((H + 2P − k) / s) + 1.

    The kernel fits at positions 0, s, 2s, ... of the padded input of size H + 2P as long as it
    does not run past the end, which gives floor((H + 2P − k) / s) steps after the first one.

    Args:
        size: input height H (or a pair (H, W)).
        kernel_size: k (or a pair).
        stride: s (or a pair).
        padding: P, zeros added on each side (or a pair).

    Returns:
        H' as an int when every argument is an int, else the pair (H', W').

    Raises:
        ValueError: for a non-positive size, kernel or stride, a negative padding, or a kernel
            larger than the padded input.
    """
    sizes = _pair(size, "size", minimum=1)
    kernel = _pair(kernel_size, "kernel_size", minimum=1)
    strides = _pair(stride, "stride", minimum=1)
    pads = _pair(padding, "padding", minimum=0)
    _check_fits(sizes, kernel, pads)
    out = tuple(
        (n + 2 * p - k) // s + 1 for n, k, s, p in zip(sizes, kernel, strides, pads, strict=True)
    )
    if all(_is_int(v) for v in (size, kernel_size, stride, padding)):
        return out[0]
    return out  # type: ignore[return-value]


def conv_transpose_output_size(
    size: IntOrPair,
    kernel_size: IntOrPair,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
) -> int | tuple[int, int]:
    """Output size of a transposed convolution: H' = (H − 1)·s − 2P + k + output_padding.

    The H input values are placed s apart, so the first kernel copy starts at 0 and the last at
    (H − 1)·s; it reaches (H − 1)·s + k. ``padding`` then crops P from each side, and
    ``output_padding`` adds rows at the end: several convolution input sizes give the same output
    size when s > 1, and ``output_padding`` (< s) picks one of them.

    Args:
        size: input height H (or a pair (H, W)).
        kernel_size: k (or a pair).
        stride: s (or a pair).
        padding: P cropped from each side (or a pair).
        output_padding: extra rows/columns added at the bottom/right, smaller than the stride.

    Returns:
        H' as an int when every argument is an int, else the pair (H', W').

    Raises:
        ValueError: for a non-positive size, kernel or stride, a negative padding, an
            output_padding not smaller than the stride, or a non-positive result.
    """
    sizes = _pair(size, "size", minimum=1)
    kernel = _pair(kernel_size, "kernel_size", minimum=1)
    strides = _pair(stride, "stride", minimum=1)
    pads = _pair(padding, "padding", minimum=0)
    extra = _pair(output_padding, "output_padding", minimum=0)
    for op, s in zip(extra, strides, strict=True):
        if op >= s:
            raise ValueError(
                f"output_padding {output_padding!r} must be smaller than the stride {stride!r}."
            )
    out = tuple(
        (n - 1) * s - 2 * p + k + op
        for n, k, s, p, op in zip(sizes, kernel, strides, pads, extra, strict=True)
    )
    if min(out) < 1:
        raise ValueError(
            f"padding {padding!r} crops away the whole output: (H − 1)·s − 2P + k + output_padding "
            f"= {out} for size {size!r}, kernel {kernel_size!r}, stride {stride!r}; "
            "use less padding."
        )
    if all(_is_int(v) for v in (size, kernel_size, stride, padding, output_padding)):
        return out[0]
    return out  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# Sliding windows (im2col) and the operations built on them (written in view in chapters 1-3)
# --------------------------------------------------------------------------------------------


def pair(value: int | tuple[int, int]) -> tuple[int, int]:
    """A kernel size, stride or padding as a (rows, columns) pair: ``3`` → ``(3, 3)``."""
    if isinstance(value, int):
        return value, value
    return tuple(value)


def windows(
    x: torch.Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> torch.Tensor:
    """Every kh×kw window of the zero-padded input, ``stride`` apart (im2col, chapter 1).

    ``Tensor.unfold(dim, size, step)`` makes a strided view: no pixel is copied until the
    windows are used.

    Args:
        x: input, N×C×H×W.
        kernel_size: (kh, kw), the window's height and width (an int for both).
        stride: s, the step between windows.
        padding: P, zeros added on every side first.

    Returns:
        N×C×H'×W'×kh×kw: ``out[n, c, i, j]`` is the window whose top-left corner is at
        (i·s, j·s) of the padded input, with H' = floor((H + 2P − kh) / s) + 1.
    """
    (kh, kw), (sh, sw) = pair(kernel_size), pair(stride)
    ph, pw = pair(padding)
    x = F.pad(x, (pw, pw, ph, ph))  # left, right, top, bottom
    return x.unfold(2, kh, sh).unfold(3, kw, sw)


def conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> torch.Tensor:
    """2-D convolution (cross-correlation, as in every deep-learning library), from scratch.

    Each of the F filters is a C×kh×kw block of weights; output channel f at position (i, j) is
    the dot product of filter f with the C×kh×kw input window whose top-left corner is at
    (i·s, j·s) of the zero-padded input, plus ``bias[f]``.

    Args:
        x: input, N×C×H×W.
        weight: filters, F×C×kh×kw.
        bias: optional, shape (F,).
        stride: s, step between windows.
        padding: P, zeros added on every side.

    Returns:
        N×F×H'×W' with H' = floor((H + 2P − kh) / s) + 1 (the same for W).
    """
    kernel_size = (weight.shape[2], weight.shape[3])
    patches = windows(x, kernel_size, stride, padding)
    # n image, c channel, (i, j) output position, (a, b) offset in the window, f filter
    out = torch.einsum("ncijab,fcab->nfij", patches, weight)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out


def max_pool2d(
    x: torch.Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
) -> torch.Tensor:
    """Max pooling, from scratch: the largest value of each k×k window, channel by channel.

    Args:
        x: input, N×C×H×W.
        kernel_size: k, window size.
        stride: s, step between windows; defaults to ``kernel_size`` (windows do not overlap).

    Returns:
        N×C×H'×W' with H' = floor((H − k) / s) + 1; with k = s = 2 this halves H and W.
    """
    if stride is None:
        stride = kernel_size
    return windows(x, kernel_size, stride).amax(dim=(-2, -1))


def avg_pool2d(
    x: torch.Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
) -> torch.Tensor:
    """Average pooling, from scratch: the mean of each k×k window, channel by channel.

    Args:
        x: input, N×C×H×W.
        kernel_size: k, window size.
        stride: s, step between windows; defaults to ``kernel_size``.

    Returns:
        N×C×H'×W' with H' = floor((H − k) / s) + 1.
    """
    if stride is None:
        stride = kernel_size
    return windows(x, kernel_size, stride).mean(dim=(-2, -1))


def conv_transpose2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    output_padding: int | tuple[int, int] = 0,
) -> torch.Tensor:
    """Transposed convolution ("up-convolution"), from scratch, one kernel offset at a time.

    Every input value x[n, c, i, j] scales the kernel weight[c, o] and adds the scaled kh×kw copy
    into output channel o with its top-left corner at (i·s, j·s):
    ``y[o, i·s + a, j·s + b] += x[c, i, j] · weight[c, o, a, b]``. For one kernel offset (a, b)
    the targets of all (i, j) are the rows a, a + s, ... and the columns b, b + s, ...: one
    strided slice, so a loop over the kh·kw offsets adds everything. ``padding`` then crops P
    rows/columns from each side, ``output_padding`` adds some at the bottom/right. This is the
    exact transpose (and gradient) of :func:`conv2d` with the same weight, stride and padding.

    Args:
        x: input, N×C_in×H×W.
        weight: kernels, C_in×C_out×kh×kw (PyTorch's layout for transposed convolution).
        bias: optional, shape (C_out,).
        stride: s, distance between the kernel copies of neighbouring input values.
        padding: P, cropped from every side of the result.
        output_padding: extra rows/columns at the bottom/right, smaller than the stride.

    Returns:
        N×C_out×H'×W' with H' = (H − 1)·s − 2P + kh + output_padding (the same for W).
    """
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    extra_h, extra_w = pair(output_padding)
    n, _, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    full_h = (h - 1) * sh + kh + extra_h
    full_w = (w - 1) * sw + kw + extra_w
    out = x.new_zeros(n, c_out, full_h, full_w)
    for a in range(kh):
        for b in range(kw):
            # x[n, c, i, j] · weight[c, o, a, b], summed over c
            stamp = torch.einsum("ncij,co->noij", x, weight[:, :, a, b])
            rows = slice(a, a + (h - 1) * sh + 1, sh)
            cols = slice(b, b + (w - 1) * sw + 1, sw)
            out[:, :, rows, cols] += stamp
    out = out[:, :, ph : full_h - ph, pw : full_w - pw]
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out
