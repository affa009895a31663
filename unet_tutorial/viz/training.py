"""Figures of training and results (chapters 8-10).

- :func:`training_gif_frames` / :func:`save_training_gif` / :func:`gif_display`: the animation of
  one validation image's prediction after each epoch (input, true mask, prediction, labelled with
  the epoch and the validation IoU), written with imageio.
- :func:`plot_history`: loss and metric curves, optionally with a fine-tuning stage after the
  first one.
- :func:`error_overlay` and :func:`plot_results`: result grids whose last column colours true
  positives, false positives and false negatives on the photo.

Images here are display images: ``H×W×3`` floats in [0, 1] or uint8 (de-normalize model inputs
first); masks are ``H×W`` arrays of 0/1 or booleans.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from PIL import Image, ImageDraw, ImageFont

from unet_tutorial.viz.palette import FALSE_ALARM, MISSED, OVERLAY_ALPHA, WATER

# The overlay's colours (Okabe-Ito): hits, false alarms, misses.
TP_COLOR, FP_COLOR, FN_COLOR = WATER, FALSE_ALARM, MISSED


def to_uint8_rgb(image: Any) -> np.ndarray:
    """``H×W×3`` (or ``3×H×W`` tensor/array, or ``H×W`` gray) in [0, 1] or 0-255 -> uint8 RGB."""
    array = np.asarray(image.detach().cpu() if hasattr(image, "detach") else image)
    if array.ndim == 3 and array.shape[0] in (1, 3) and array.shape[-1] not in (1, 3):
        array = np.moveaxis(array, 0, -1)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=-1)
    if array.ndim != 3 or array.shape[-1] != 3:
        raise ValueError(f"expected an H×W×3 image, got shape {array.shape}.")
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * 255
    return (np.clip(array.astype(np.float32), 0.0, 1.0) * 255).round().astype(np.uint8)


def as_mask_array(mask: Any) -> np.ndarray:
    """``H×W``, ``1×H×W`` or ``1×1×H×W`` (array or tensor) -> an ``H×W`` NumPy array."""
    array = np.asarray(mask.detach().cpu() if hasattr(mask, "detach") else mask)
    while array.ndim > 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2:
        raise ValueError(f"expected an H×W mask, got shape {array.shape}.")
    return array


def _mask_rgb(mask: Any) -> np.ndarray:
    """A mask as a uint8 gray RGB picture (white = water).

    Integer and boolean masks are taken as 0/1 labels; floats as probabilities in [0, 1].
    """
    array = as_mask_array(mask)
    if array.dtype == np.bool_ or np.issubdtype(array.dtype, np.integer):
        return to_uint8_rgb((array != 0).astype(np.uint8) * 255)
    return to_uint8_rgb(array.astype(np.float32))


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


# --------------------------------------------------------------------------------------------
# The training GIF
# --------------------------------------------------------------------------------------------


def training_gif_frames(
    image: Any,
    mask: Any,
    probabilities: Any,
    epochs: Sequence[int],
    val_iou: Sequence[float],
    *,
    panel_size: int = 160,
) -> list[np.ndarray]:
    """One RGB frame per epoch: photo | true mask | predicted water probability, with a caption.

    Args:
        image: the display image ``H×W×3`` (de-normalized).
        mask: its true mask ``H×W`` (0/1).
        probabilities: ``K×H×W`` predicted probabilities, uint8 0-255 or floats in [0, 1].
        epochs: the K epoch numbers.
        val_iou: the K validation IoUs (of the whole validation split, not this image).
        panel_size: height of each panel in pixels (width follows the aspect ratio).

    Returns:
        K frames, each an ``H'×W'×3`` uint8 array.
    """
    probabilities = np.asarray(probabilities)
    if probabilities.dtype == np.uint8:  # 0-255 -> [0, 1]
        probabilities = probabilities.astype(np.float32) / 255.0
    if probabilities.ndim != 3:
        raise ValueError(f"probabilities must be K×H×W, got shape {probabilities.shape}.")
    if not len(epochs) == len(val_iou) == probabilities.shape[0]:
        raise ValueError(
            f"got {probabilities.shape[0]} predictions, {len(epochs)} epochs and "
            f"{len(val_iou)} IoUs; they must match one per epoch."
        )
    height = panel_size
    width = max(1, round(panel_size * probabilities.shape[2] / probabilities.shape[1]))

    def panel(array: np.ndarray) -> Image.Image:
        return Image.fromarray(array).resize((width, height), Image.Resampling.NEAREST)

    gap, header = 4, 44
    canvas_size = (3 * width + 4 * gap, height + header + gap)
    fixed = [panel(to_uint8_rgb(image)), panel(_mask_rgb(mask))]
    font, small = _font(15), _font(12)
    labels = ("photo", "true mask", "predicted water")
    frames = []
    for k, epoch in enumerate(epochs):
        canvas = Image.new("RGB", canvas_size, (255, 255, 255))
        draw = ImageDraw.Draw(canvas)
        draw.text((gap, 4), f"epoch {epoch}    val IoU {val_iou[k]:.3f}", fill=(0, 0, 0), font=font)
        for i, picture in enumerate([*fixed, panel(_mask_rgb(probabilities[k]))]):
            left = gap + i * (width + gap)
            canvas.paste(picture, (left, header))
            text_left = left + (width - draw.textlength(labels[i], font=small)) / 2
            draw.text((text_left, header - 16), labels[i], fill=(80, 80, 80), font=small)
        frames.append(np.asarray(canvas))
    return frames


def save_training_gif(
    frames: Sequence[np.ndarray], path: str | Path, *, fps: float = 3.0, hold_last: int = 3
) -> Path:
    """Write ``frames`` as a looping GIF (``fps`` frames per second, the last one held longer).

    Returns:
        The path written.
    """
    if not frames:
        raise ValueError("no frames to write: train for at least one epoch first.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    durations = [1000.0 / fps] * len(frames)
    durations[-1] *= 1 + hold_last
    # Pillow wants a single number for a single frame.
    duration = durations if len(frames) > 1 else durations[0]
    iio.imwrite(path, np.stack(frames), extension=".gif", duration=duration, loop=0)
    return path


def gif_display(path: str | Path) -> Any:
    """An ``IPython.display.Image`` embedding the GIF's bytes (mime ``image/gif``).

    Embedding the bytes (rather than linking the file) makes the animation part of the notebook,
    so it shows in Jupyter, in Colab and in the HTML book alike.
    """
    from IPython.display import Image as IPythonImage

    return IPythonImage(data=Path(path).read_bytes(), format="gif")


# --------------------------------------------------------------------------------------------
# Curves
# --------------------------------------------------------------------------------------------


def plot_history(
    history: Sequence[dict[str, Any]],
    *,
    best_epoch: int | None = None,
    finetune: Sequence[dict[str, Any]] | None = None,
    finetune_best_epoch: int | None = None,
) -> Figure:
    """Loss curves (left) and validation IoU and Dice (right) over the epochs.

    Args:
        history: the per-epoch records of training (keys ``epoch``, ``train_loss``, ``val_loss``,
            ``val_iou``, ``val_dice``).
        best_epoch: marks the restored epoch with a dotted line.
        finetune: the records of a second (fine-tuning) stage, drawn after the first on a
            shaded background; its epochs are numbered on from the first stage's.
        finetune_best_epoch: the restored epoch of the fine-tuning stage (its own numbering).
    """
    if not history:
        raise ValueError("the history is empty: train for at least one epoch first.")
    fig, (loss_ax, score_ax) = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
    stages = [("", list(history), best_epoch, 0)]
    if finetune:
        stages.append((" (fine-tuning)", list(finetune), finetune_best_epoch, len(history)))
    for label, records, best, offset in stages:
        x = [offset + r["epoch"] for r in records]
        style = "o-" if not label else "o--"
        curves = [
            (loss_ax, "train_loss", "C0", "train"),
            (loss_ax, "val_loss", "C1", "val"),
            (score_ax, "val_iou", "C2", "val IoU"),
            (score_ax, "val_dice", "C3", "val Dice"),
        ]
        for ax, key, color, name in curves:
            values = [r[key] for r in records]
            ax.plot(x, values, style, color=color, markersize=3, label=name + label)
        if best is not None:
            for ax in (loss_ax, score_ax):
                ax.axvline(offset + best, color="0.4", linestyle=":", linewidth=1)
    if finetune:
        for ax in (loss_ax, score_ax):
            ax.axvspan(len(history) + 0.5, len(history) + len(finetune) + 0.5, color="0.93")
    loss_ax.set(xlabel="epoch", ylabel="loss", title="Loss (dotted: restored epoch)")
    score_ax.set(xlabel="epoch", ylabel="score", ylim=(0, 1), title="Validation IoU and Dice")
    for ax in (loss_ax, score_ax):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


# --------------------------------------------------------------------------------------------
# Result grids
# --------------------------------------------------------------------------------------------


def error_overlay(
    image: Any, truth: Any, prediction: Any, alpha: float = OVERLAY_ALPHA
) -> np.ndarray:
    """The photo with true positives, false positives and false negatives coloured.

    Args:
        image: ``H×W×3`` display image.
        truth, prediction: ``H×W`` 0/1 masks of the same size as the image.

    Returns:
        ``H×W×3`` uint8: blue = water found (TP), orange = false alarm (FP), pink = missed (FN);
        true negatives keep the photo.
    """
    rgb = to_uint8_rgb(image).astype(np.float32)
    truth = as_mask_array(truth).astype(bool)
    prediction = as_mask_array(prediction).astype(bool)
    if truth.shape != rgb.shape[:2] or prediction.shape != rgb.shape[:2]:
        raise ValueError(
            f"image {rgb.shape[:2]}, truth {truth.shape} and prediction {prediction.shape} must "
            "have the same height and width."
        )
    for where, color in (
        (truth & prediction, TP_COLOR),
        (~truth & prediction, FP_COLOR),
        (truth & ~prediction, FN_COLOR),
    ):
        rgb[where] = (1 - alpha) * rgb[where] + alpha * np.asarray(color, dtype=np.float32)
    return rgb.round().astype(np.uint8)


#: Font sizes (points) of the result grid: its 10-inch figure is shown about 6.6 inches wide in
#: the book's text column, so these come out at about 11-13 screen pixels there.
RESULT_FONT = {"header": 14, "label": 13, "legend": 13}


def plot_results(
    images: Sequence[Any],
    truths: Sequence[Any],
    predictions: Sequence[Any],
    *,
    titles: Sequence[str] | None = None,
    row_height: float | None = None,
) -> Figure:
    """A result grid: one row per image with photo, true mask, predicted mask and error overlay.

    Args:
        images: display images ``H×W×3`` (sizes may differ between rows).
        truths, predictions: the matching ``H×W`` 0/1 masks.
        titles: a label per row (e.g. the sample id and its IoU, on two lines), shown left of
            the photo.
        row_height: inches per row, the same for every row; by default each row is as tall as
            its own photo at a column's width, so no row is padded to the tallest photo's height.
    """
    n = len(images)
    if n == 0 or not n == len(truths) == len(predictions):
        raise ValueError(
            f"need the same positive number of images ({n}), true masks ({len(truths)}) and "
            f"predictions ({len(predictions)})."
        )
    column = 2.3  # inches: the width of each of the 4 columns in the 10-inch figure
    if row_height is None:
        heights = [
            column * min(np.asarray(image).shape[0] / np.asarray(image).shape[1], 1.5)
            for image in images
        ]
    else:
        heights = [row_height] * n
    header, legend, gap = 0.45, 0.5, 0.15  # inches: column titles, legend, between rows
    total = sum(heights) + gap * (n - 1) + header + legend
    fig, axes = plt.subplots(
        n, 4, figsize=(10, total), squeeze=False, gridspec_kw={"height_ratios": heights}
    )
    headers = ["photo", "true mask", "predicted mask", "overlay"]
    for row in range(n):
        panels = [
            to_uint8_rgb(images[row]),
            _mask_rgb(truths[row]),
            _mask_rgb(predictions[row]),
            error_overlay(images[row], truths[row], predictions[row]),
        ]
        for col, picture in enumerate(panels):
            ax = axes[row, col]
            ax.imshow(picture)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(headers[col], fontsize=RESULT_FONT["header"])
        if titles is not None:
            axes[row, 0].set_ylabel(titles[row], fontsize=RESULT_FONT["label"])
    fig.legend(
        handles=[
            Patch(color=np.asarray(TP_COLOR) / 255, label="water found (TP)"),
            Patch(color=np.asarray(FP_COLOR) / 255, label="false alarm (FP)"),
            Patch(color=np.asarray(FN_COLOR) / 255, label="missed water (FN)"),
        ],
        loc="lower center",
        ncol=3,
        fontsize=RESULT_FONT["legend"],
        frameon=False,
        borderaxespad=0.2,
    )
    fig.tight_layout(rect=(0, legend / total, 1, 1), h_pad=gap * 72 / RESULT_FONT["label"])
    return fig


def figure_to_png_bytes(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (closes it), for tests and for files beside a run."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()
