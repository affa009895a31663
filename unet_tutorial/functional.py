"""Convolution, pooling and transposed convolution written from scratch.

These are the operations chapters 1-3 teach. They are vectorized (no Python loop over pixels) and
tested against :mod:`torch.nn.functional`; the U-Net chapters then use the PyTorch versions.

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

IntOrPair = int | tuple[int, int] | Sequence[int]

__all__ = [
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


def _check_4d(x: torch.Tensor, name: str = "x") -> None:
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}.")
    if x.ndim != 4:
        raise ValueError(
            f"{name} must be a 4-D N×C×H×W tensor, got {x.ndim}-D shape {tuple(x.shape)}; "
            "add a batch dimension with x.unsqueeze(0) for a single C×H×W image."
        )


def _check_bias(bias: torch.Tensor | None, channels: int) -> None:
    if bias is not None and tuple(bias.shape) != (channels,):
        raise ValueError(
            f"bias must have shape ({channels},) (one value per output channel), "
            f"got {tuple(bias.shape)}."
        )


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
# Sliding windows (im2col) and the operations built on them
# --------------------------------------------------------------------------------------------


def _windows(
    x: torch.Tensor, kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int]
) -> torch.Tensor:
    """Every k×k window of the zero-padded input, as an N×C×H'×W'×kh×kw view (im2col).

    ``Tensor.unfold`` makes a strided view, so no pixel is copied until the windows are used.
    """
    _check_fits((x.shape[2], x.shape[3]), kernel, padding)
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    if ph or pw:
        x = torch.nn.functional.pad(x, (pw, pw, ph, ph))
    return x.unfold(2, kh, sh).unfold(3, kw, sw)


def conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
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

    Raises:
        ValueError: for tensors of the wrong dimension, channel counts that do not match,
            or invalid kernel, stride or padding.
    """
    _check_4d(x)
    _check_4d(weight, "weight")
    if weight.shape[1] != x.shape[1]:
        raise ValueError(
            f"weight expects {weight.shape[1]} input channels (shape F×C×kh×kw = "
            f"{tuple(weight.shape)}) but x has {x.shape[1]} (shape {tuple(x.shape)})."
        )
    _check_bias(bias, weight.shape[0])
    kernel = (weight.shape[2], weight.shape[3])
    windows = _windows(
        x, kernel, _pair(stride, "stride", minimum=1), _pair(padding, "padding", minimum=0)
    )
    # Sum over channel c and kernel offsets (k, l) of window × filter, for every filter f.
    out = torch.einsum("nchwkl,fckl->nfhw", windows, weight)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out


def _pool(
    x: torch.Tensor, kernel_size: IntOrPair, stride: IntOrPair | None, reduce: str
) -> torch.Tensor:
    _check_4d(x)
    kernel = _pair(kernel_size, "kernel_size", minimum=1)
    strides = kernel if stride is None else _pair(stride, "stride", minimum=1)
    windows = _windows(x, kernel, strides, (0, 0))
    if reduce == "max":
        return windows.amax(dim=(-2, -1))
    return windows.mean(dim=(-2, -1))


def max_pool2d(
    x: torch.Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None
) -> torch.Tensor:
    """Max pooling, from scratch: the largest value of each k×k window, channel by channel.

    Args:
        x: input, N×C×H×W.
        kernel_size: k, window size.
        stride: s, step between windows; defaults to ``kernel_size`` (windows do not overlap).

    Returns:
        N×C×H'×W' with H' = floor((H − k) / s) + 1; with k = s = 2 this halves H and W.
    """
    return _pool(x, kernel_size, stride, "max")


def avg_pool2d(
    x: torch.Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None
) -> torch.Tensor:
    """Average pooling, from scratch: the mean of each k×k window, channel by channel.

    Args:
        x: input, N×C×H×W.
        kernel_size: k, window size.
        stride: s, step between windows; defaults to ``kernel_size``.

    Returns:
        N×C×H'×W' with H' = floor((H − k) / s) + 1.
    """
    return _pool(x, kernel_size, stride, "mean")


def conv_transpose2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
) -> torch.Tensor:
    """Transposed convolution ("up-convolution"), from scratch, as a scatter-add.

    Every input value x[n, c, i, j] scales the kernel weight[c, o] and adds the scaled kh×kw copy
    into output channel o with its top-left corner at (i·s, j·s); where copies overlap, they add
    up. ``padding`` then crops P rows/columns from each side, ``output_padding`` adds some at the
    bottom/right. This is the exact transpose (and gradient) of :func:`conv2d` with the same
    weight, stride and padding.

    Args:
        x: input, N×C_in×H×W.
        weight: kernels, C_in×C_out×kh×kw (PyTorch's layout for transposed convolution).
        bias: optional, shape (C_out,).
        stride: s, distance between the kernel copies of neighbouring input values.
        padding: P, cropped from every side of the result.
        output_padding: extra rows/columns at the bottom/right, smaller than the stride.

    Returns:
        N×C_out×H'×W' with H' = (H − 1)·s − 2P + kh + output_padding (the same for W).

    Raises:
        ValueError: for tensors of the wrong dimension, channel counts that do not match, or
            invalid kernel, stride or padding.
    """
    _check_4d(x)
    _check_4d(weight, "weight")
    if weight.shape[0] != x.shape[1]:
        raise ValueError(
            f"weight expects {weight.shape[0]} input channels (shape C_in×C_out×kh×kw = "
            f"{tuple(weight.shape)}) but x has {x.shape[1]} (shape {tuple(x.shape)})."
        )
    n, _, h, w = x.shape
    c_out, kh, kw = weight.shape[1], weight.shape[2], weight.shape[3]
    _check_bias(bias, c_out)
    sh, sw = _pair(stride, "stride", minimum=1)
    ph, pw = _pair(padding, "padding", minimum=0)
    out_h, out_w = conv_transpose_output_size((h, w), (kh, kw), stride, padding, output_padding)

    # One scaled kernel copy per input pixel: N×C_out×H×W×kh×kw, summed over input channels.
    copies = torch.einsum("nchw,cokl->nohwkl", x, weight)

    # Where each copy element lands on the full canvas of size ((H−1)s + kh) × ((W−1)s + kw).
    full_h, full_w = (h - 1) * sh + kh, (w - 1) * sw + kw
    rows = (torch.arange(h) * sh).view(h, 1, 1, 1) + torch.arange(kh).view(1, 1, kh, 1)
    cols = (torch.arange(w) * sw).view(1, w, 1, 1) + torch.arange(kw).view(1, 1, 1, kw)
    target = (rows * full_w + cols).reshape(-1).to(x.device)

    canvas = x.new_zeros(n, c_out, full_h * full_w)
    canvas = canvas.index_add(2, target, copies.reshape(n, c_out, -1))
    canvas = canvas.view(n, c_out, full_h, full_w)

    # Crop P from the top/left; output_padding may reach past the canvas, where it is zero.
    extra_h = max(0, ph + out_h - full_h)
    extra_w = max(0, pw + out_w - full_w)
    if extra_h or extra_w:
        canvas = torch.nn.functional.pad(canvas, (0, extra_w, 0, extra_h))
    out = canvas[:, :, ph : ph + out_h, pw : pw + out_w]
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out
