"""Small arrays drawn as figures: grids of numbers, kernels, feature maps, and the step-by-step
pictures of convolution and transposed convolution (chapters 1-3).

Every function takes tensors or NumPy arrays and returns a :class:`matplotlib.figure.Figure`
(``draw_grid`` draws into an existing axes). The caller shows or closes the figure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from unet_tutorial.functional import conv2d, conv_transpose2d

ArrayLike = torch.Tensor | np.ndarray | Sequence
Window = tuple[int, int, int, int]  # (row, col, height, width)

#: Colours for highlighted windows, distinct from the cell colour map.
HIGHLIGHT_COLORS = ("tab:red", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink")

__all__ = [
    "HIGHLIGHT_COLORS",
    "as_2d",
    "draw_grid",
    "plot_grid",
    "plot_grids",
    "plot_kernel",
    "plot_feature_maps",
    "plot_conv_steps",
    "plot_transposed_conv_steps",
]


def as_2d(values: ArrayLike) -> np.ndarray:
    """A 2-D float NumPy array from a tensor/array whose extra dimensions all have size 1."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    array = np.asarray(values, dtype=float)
    if array.ndim > 2 and int(np.prod(array.shape[:-2])) == 1:
        array = array.reshape(array.shape[-2:])
    if array.ndim != 2:
        raise ValueError(
            f"expected a 2-D array (or one with leading dimensions of size 1), got shape "
            f"{np.shape(values)}."
        )
    return array


def _format_value(value: float) -> str:
    if np.isnan(value):
        return ""
    if float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.2f}"


def _fit_fontsize(
    arrays: Sequence[np.ndarray], cell_inches: float, fmt: Callable[[float], str]
) -> float:
    """A font size at which the longest printed value fits in a cell of ``cell_inches``."""
    longest = max((len(fmt(v)) for a in arrays for v in a.reshape(-1)), default=1)
    cell_points = cell_inches * 72
    # A digit is about 0.6 em wide; leave a little margin on both sides.
    return float(min(0.36 * cell_points, 0.85 * cell_points / (0.62 * max(longest, 1))))


def _as_windows(highlight: Window | Sequence[Window] | None) -> list[Window]:
    if highlight is None:
        return []
    if len(highlight) == 4 and all(isinstance(v, int | np.integer) for v in highlight):
        return [tuple(highlight)]  # type: ignore[list-item]
    return [tuple(window) for window in highlight]  # type: ignore[misc]


def draw_grid(
    ax: Axes,
    values: ArrayLike,
    *,
    title: str | None = None,
    highlight: Window | Sequence[Window] | None = None,
    highlight_colors: Sequence[str] = HIGHLIGHT_COLORS,
    dim: np.ndarray | None = None,
    fmt: Callable[[float], str] = _format_value,
    cmap: str | Colormap = "Blues",
    vmin: float | None = None,
    vmax: float | None = None,
    symmetric: bool = False,
    fontsize: float | None = None,
    corner_labels: dict[tuple[int, int], str] | None = None,
) -> None:
    """Draw a small matrix as coloured cells with its values printed in them.

    Args:
        ax: the axes to draw into.
        values: H×W array; NaN cells are left blank (e.g. outputs not computed yet).
        title: axes title.
        highlight: one window ``(row, col, height, width)`` or a list of them, outlined in
            ``highlight_colors`` (cycled).
        dim: optional H×W boolean mask of cells to grey out (e.g. zero padding).
        fmt: how a value is printed.
        cmap, vmin, vmax: colour scale of the cells (defaults: the finite values' range).
        symmetric: centre the colour scale on zero (for a diverging ``cmap`` such as "RdBu").
        fontsize: size of the numbers (default: smaller for bigger grids).
        corner_labels: small extra text per cell, drawn in its top-left corner
            (e.g. the kernel weight a cell is multiplied by).
    """
    array = as_2d(values)
    rows, cols = array.shape
    finite = array[np.isfinite(array)]
    low = vmin if vmin is not None else (float(finite.min()) if finite.size else 0.0)
    high = vmax if vmax is not None else (float(finite.max()) if finite.size else 1.0)
    if high <= low:
        high = low + 1.0
    colormap = plt.get_cmap(cmap).with_extremes(bad="white")
    # Keep cells light (the scale reaches past the values) so the printed numbers stay readable.
    if symmetric:
        bound = max(abs(low), abs(high))
        norm = TwoSlopeNorm(vcenter=0.0, vmin=-1.6 * bound, vmax=1.6 * bound)
    else:
        norm = Normalize(vmin=low - 0.15 * (high - low), vmax=high + 0.6 * (high - low))
    ax.imshow(np.ma.masked_invalid(array), cmap=colormap, norm=norm)

    size = fontsize or max(6.0, 13.0 - 0.6 * max(rows, cols))
    for (r, c), value in np.ndenumerate(array):
        greyed = dim is not None and bool(dim[r, c])
        if greyed:
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, color="0.85", zorder=1))
        ax.text(
            c,
            r,
            fmt(value),
            ha="center",
            va="center",
            fontsize=size,
            color="0.45" if greyed else "black",
            zorder=2,
        )
    for (r, c), label in (corner_labels or {}).items():
        ax.text(
            c - 0.42,
            r - 0.42,
            label,
            ha="left",
            va="top",
            fontsize=size * 0.6,
            color="tab:red",
            zorder=2,
        )

    # Cell borders as plain lines: tick-based grids make layout (and so every figure) slow.
    ax.hlines(np.arange(-0.5, rows), -0.5, cols - 0.5, color="0.3", linewidth=0.8, zorder=2)
    ax.vlines(np.arange(-0.5, cols), -0.5, rows - 0.5, color="0.3", linewidth=0.8, zorder=2)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    for i, (r, c, h, w) in enumerate(_as_windows(highlight)):
        color = highlight_colors[i % len(highlight_colors)]
        ax.add_patch(
            Rectangle((c - 0.5, r - 0.5), w, h, fill=False, edgecolor=color, linewidth=3, zorder=3)
        )
    if title:
        ax.set_title(title, fontsize=10)


def plot_grid(
    values: ArrayLike, *, title: str | None = None, cell_inches: float = 0.45, **kwargs
) -> Figure:
    """One matrix as a grid of numbers (see :func:`draw_grid` for the options). Returns a Figure."""
    return plot_grids([values], titles=[title], cell_inches=cell_inches, **kwargs)


def plot_grids(
    grids: Sequence[ArrayLike],
    *,
    titles: Sequence[str | None] | None = None,
    highlights: Sequence[Window | Sequence[Window] | None] | None = None,
    cell_inches: float = 0.45,
    **kwargs,
) -> Figure:
    """Several matrices side by side, each a grid of numbers (e.g. input, kernel, output).

    Args:
        grids: the 2-D arrays, drawn left to right.
        titles: one title per grid.
        highlights: per grid, a window or list of windows to outline (see :func:`draw_grid`).
        cell_inches: the size of one cell on the page.
        **kwargs: passed to :func:`draw_grid` for every grid.

    Returns:
        A Figure with one axes per grid.
    """
    arrays = [as_2d(g) for g in grids]
    fmt = kwargs.get("fmt", _format_value)
    kwargs.setdefault("fontsize", _fit_fontsize(arrays, cell_inches, fmt))
    titles = list(titles) if titles is not None else [None] * len(arrays)
    highlights = list(highlights) if highlights is not None else [None] * len(arrays)
    widths = [a.shape[1] for a in arrays]
    height = max(a.shape[0] for a in arrays)
    fig, axes = plt.subplots(
        1,
        len(arrays),
        squeeze=False,
        gridspec_kw={"width_ratios": widths},
        figsize=(max(2.5, cell_inches * (sum(widths) + len(arrays))), cell_inches * height + 0.8),
        layout="constrained",
    )
    for ax, array, title, highlight in zip(axes[0], arrays, titles, highlights, strict=True):
        draw_grid(ax, array, title=title, highlight=highlight, **kwargs)
    return fig


def plot_kernel(
    kernel: ArrayLike,
    *,
    title: str | None = None,
    titles: Sequence[str] | None = None,
    cell_inches: float = 0.5,
) -> Figure:
    """A kernel (or a stack of them, K×kh×kw) as grids of weights on a diverging colour scale.

    Positive weights are blue, negative ones red, zero white, so the sign pattern that makes an
    edge or blur filter is visible at a glance. ``title`` goes over the figure, ``titles`` over
    the individual kernels.
    """
    if isinstance(kernel, torch.Tensor):
        kernel = kernel.detach().cpu().numpy()
    stack = np.asarray(kernel, dtype=float)
    stack = stack.reshape(-1, *stack.shape[-2:]) if stack.ndim >= 2 else stack
    if stack.ndim != 3:
        raise ValueError(f"kernel must be kh×kw or K×kh×kw, got shape {np.shape(kernel)}.")
    bound = float(np.abs(stack).max()) or 1.0
    fig = plot_grids(
        list(stack),
        titles=titles,
        cell_inches=cell_inches,
        cmap="RdBu",
        vmin=-bound,
        vmax=bound,
        symmetric=True,
    )
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_feature_maps(
    maps: ArrayLike | Sequence[ArrayLike],
    *,
    titles: Sequence[str] | None = None,
    signed: bool = False,
    cmap: str | None = None,
    suptitle: str | None = None,
    colorbar: bool = True,
    percentile: float = 100.0,
    width_inches: float = 2.6,
) -> Figure:
    """A row of images, one per channel (feature map), each on its own colour scale.

    Args:
        maps: C×H×W (a leading batch dimension of 1 is dropped) or a list of H×W arrays.
        titles: one per map.
        signed: draw on a diverging scale centred on zero (for responses such as edges that
            can be negative); otherwise grey from the map's minimum to its maximum.
        cmap: override the colour map.
        suptitle: a title over the whole row.
        colorbar: add a colour bar beside each map.
        percentile: clip the colour scale at this percentile of the values (of their magnitude
            when ``signed``), so that a few extreme values do not wash out the rest; 100 = no
            clipping.
        width_inches: width of one map on the page.

    Returns:
        A Figure with one axes per map (plus one per colour bar).
    """
    if isinstance(maps, torch.Tensor | np.ndarray):
        stack = maps.detach().cpu().numpy() if isinstance(maps, torch.Tensor) else maps
        stack = stack[0] if stack.ndim == 4 and stack.shape[0] == 1 else stack
        images = [stack] if stack.ndim == 2 else list(stack)
    else:
        images = [as_2d(m) for m in maps]
    if any(np.ndim(image) != 2 for image in images):
        raise ValueError("maps must be C×H×W, 1×C×H×W, or a list of H×W arrays.")
    titles = list(titles) if titles is not None else [f"channel {i}" for i in range(len(images))]
    if not 0 < percentile <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {percentile}.")
    if len(titles) != len(images):
        raise ValueError(f"got {len(titles)} titles for {len(images)} maps.")
    first = np.asarray(images[0])
    aspect = first.shape[0] / first.shape[1]
    fig, axes = plt.subplots(
        1,
        len(images),
        squeeze=False,
        figsize=(width_inches * len(images), 0.8 * width_inches * aspect + 0.5),
        layout="constrained",
    )
    for ax, image, title in zip(axes[0], images, titles, strict=True):
        image = np.asarray(image, dtype=float)
        if signed:
            bound = float(np.percentile(np.abs(image), percentile)) or 1.0
            shown = ax.imshow(image, cmap=cmap or "RdBu_r", vmin=-bound, vmax=bound)
        else:
            low, high = np.percentile(image, [100.0 - percentile, percentile])
            shown = ax.imshow(image, cmap=cmap or "gray", vmin=low, vmax=high)
        if colorbar:
            fig.colorbar(shown, ax=ax, fraction=0.05, pad=0.03)
        ax.set_title(title, fontsize=10)
        ax.set_axis_off()
    if suptitle:
        fig.suptitle(suptitle, fontsize=11)
    return fig


def _signed(value: float) -> str:
    """A value for an inline product: negative numbers in parentheses, as in 2·(-1)."""
    text = _format_value(value)
    return f"({text})" if value < 0 else text


def _product_terms(window: np.ndarray, kernel: np.ndarray) -> str:
    """ "a·w + b·v + ..." one line per kernel row, for the arithmetic of one output value."""
    lines = []
    for window_row, kernel_row in zip(window, kernel, strict=True):
        terms = [f"{_signed(a)}·{_signed(w)}" for a, w in zip(window_row, kernel_row, strict=True)]
        lines.append(" + ".join(terms))
    return "\n+ ".join(lines)


def plot_conv_steps(
    x: ArrayLike,
    kernel: ArrayLike,
    *,
    stride: int = 1,
    padding: int = 0,
    max_steps: int | None = None,
    cell_inches: float = 0.42,
) -> Figure:
    """Convolution step by step: one row per output value.

    Each row shows the (zero-padded) input with the current window outlined and the kernel
    weight each cell is multiplied by written in its corner, the sum of products, and the
    output filled in so far with the new value outlined.

    Args:
        x: H×W input (one channel).
        kernel: kh×kw kernel.
        stride, padding: as in :func:`unet_tutorial.functional.conv2d` (ints).
        max_steps: draw only the first steps (row by row) of a bigger output.
        cell_inches: size of one cell on the page.

    Returns:
        A Figure with ``steps`` rows of three axes (input, arithmetic, output).
    """
    image, weights = as_2d(x), as_2d(kernel)
    output = conv2d(
        torch.as_tensor(image)[None, None],
        torch.as_tensor(weights)[None, None],
        stride=stride,
        padding=padding,
    )[0, 0].numpy()
    padded = np.pad(image, padding)
    dim = np.pad(np.zeros_like(image, dtype=bool), padding, constant_values=True)
    kh, kw = weights.shape
    positions = [(i, j) for i in range(output.shape[0]) for j in range(output.shape[1])]
    positions = positions[:max_steps] if max_steps else positions
    width = cell_inches * (padded.shape[1] + output.shape[1] + 2) + 2.6
    height = cell_inches * max(padded.shape[0], 3) + 0.5
    fig, axes = plt.subplots(
        len(positions),
        3,
        squeeze=False,
        figsize=(width, height * len(positions)),
        gridspec_kw={"width_ratios": [padded.shape[1], 4.5, output.shape[1]]},
        layout="constrained",
    )
    bound_low, bound_high = float(np.nanmin(output)), float(np.nanmax(output))
    for step, (i, j) in enumerate(positions):
        r, c = i * stride, j * stride
        window = padded[r : r + kh, c : c + kw]
        corners = {
            (r + a, c + b): f"×{_format_value(weights[a, b])}" for a, b in np.ndindex(kh, kw)
        }
        left, middle, right = axes[step]
        draw_grid(
            left,
            padded,
            highlight=(r, c, kh, kw),
            dim=dim if padding else None,
            corner_labels=corners,
            title=f"step {step + 1}: window at ({r}, {c})",
        )
        middle.set_axis_off()
        middle.text(
            0.5,
            0.5,
            f"{_product_terms(window, weights)}\n= {_format_value(output[i, j])}",
            ha="center",
            va="center",
            fontsize=9,
            family="monospace",
            transform=middle.transAxes,
        )
        so_far = np.full_like(output, np.nan)
        flat = so_far.reshape(-1)
        flat[: step + 1] = output.reshape(-1)[: step + 1]
        draw_grid(
            right,
            so_far,
            highlight=(i, j, 1, 1),
            vmin=bound_low,
            vmax=bound_high,
            cmap="Oranges",
            title=f"output[{i}, {j}]",
        )
    return fig


def plot_transposed_conv_steps(
    x: ArrayLike, kernel: ArrayLike, *, stride: int = 1, cell_inches: float = 0.42
) -> Figure:
    """Transposed convolution step by step: each input value scales the kernel; the copies add up.

    Top row: the input (each value outlined in its own colour) and the kernel. Bottom row: one
    partial output per input value, the kernel scaled by that value and placed ``stride`` cells
    further for each step in the input, then the sum of all partial outputs.

    Args:
        x: H×W input (one channel).
        kernel: kh×kw kernel.
        stride: distance between neighbouring copies (int).
        cell_inches: size of one cell on the page.

    Returns:
        A Figure with 2 + H·W + 1 axes (input, kernel, the partial outputs, the sum).
    """
    image, weights = as_2d(x), as_2d(kernel)
    h, w = image.shape
    kh, kw = weights.shape
    total = conv_transpose2d(
        torch.as_tensor(image)[None, None], torch.as_tensor(weights)[None, None], stride=stride
    )[0, 0].numpy()
    out_h, out_w = total.shape
    n_partials = h * w
    panels = n_partials + 1
    fig = plt.figure(
        figsize=(
            cell_inches * (out_w + 1.2) * panels + 0.5,
            cell_inches * (out_h + max(h, kh)) + 2,
        ),
        layout="constrained",
    )
    grid = fig.add_gridspec(2, panels, height_ratios=[max(h, kh), out_h])
    cells = [(i, j, 1, 1) for i in range(h) for j in range(w)]
    draw_grid(fig.add_subplot(grid[0, 0]), image, title="input x", highlight=cells)
    draw_grid(fig.add_subplot(grid[0, 1]), weights, title="kernel K", cmap="Greens")
    bound = float(np.abs(total).max()) or 1.0
    for index, (i, j, _, _) in enumerate(cells):
        partial = np.full((out_h, out_w), np.nan)
        r, c = i * stride, j * stride
        partial[r : r + kh, c : c + kw] = image[i, j] * weights
        draw_grid(
            fig.add_subplot(grid[1, index]),
            partial,
            vmin=-bound,
            vmax=bound,
            highlight=(r, c, kh, kw),
            highlight_colors=[HIGHLIGHT_COLORS[index % len(HIGHLIGHT_COLORS)]],
            title=f"{_format_value(image[i, j])}·K at ({r}, {c})",
        )
    draw_grid(
        fig.add_subplot(grid[1, n_partials]),
        total,
        cmap="Oranges",
        title="sum = output",
    )
    return fig
