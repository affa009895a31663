"""Training figures: the GIF is animated with one frame per epoch; overlays colour the errors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from unet_tutorial.viz.training import (
    FN_COLOR,
    FP_COLOR,
    TP_COLOR,
    error_overlay,
    figure_to_png_bytes,
    gif_display,
    plot_history,
    plot_results,
    save_training_gif,
    to_uint8_rgb,
    training_gif_frames,
)


def gif_inputs(k: int = 5, size: int = 24):
    rng = np.random.default_rng(0)
    # Eight colours only, so that the GIF's 256-colour palettes reproduce the frames exactly.
    image = rng.integers(0, 2, (size, size, 3)).astype(np.float32)
    mask = np.zeros((size, size), np.uint8)
    mask[size // 2 :] = 1
    # The prediction sharpens towards the mask epoch by epoch.
    probabilities = np.stack(
        [(255 * (0.5 + (mask - 0.5) * (e + 1) / k)).astype(np.uint8) for e in range(k)]
    )
    return image, mask, probabilities, list(range(1, k + 1)), [0.1 * e for e in range(1, k + 1)]


def test_gif_has_one_frame_per_epoch_and_is_animated(tmp_path) -> None:
    image, mask, probabilities, epochs, ious = gif_inputs(k=5)
    frames = training_gif_frames(image, mask, probabilities, epochs, ious, panel_size=40)
    path = save_training_gif(frames, tmp_path / "run" / "training.gif", fps=3)
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert gif.is_animated
        assert gif.n_frames == 5
        gif.seek(0)
        first = np.asarray(gif.convert("RGB")).copy()
        gif.seek(4)
        last = np.asarray(gif.convert("RGB")).copy()
    assert first.shape == frames[0].shape
    # The true mask (0/1 uint8) shows water in white in the middle panel, land in black.
    middle = frames[0][50:, first.shape[1] // 3 + 8 : 2 * first.shape[1] // 3 - 8]
    assert (middle == 255).all(axis=-1).any() and (middle == 0).all(axis=-1).any()
    assert not np.array_equal(first, last)
    # The prediction panel (right third) changes while the input panel (left) does not.
    third = first.shape[1] // 3
    assert np.array_equal(first[50:, :third], last[50:, :third])
    assert not np.array_equal(first[50:, 2 * third :], last[50:, 2 * third :])


def test_gif_display_embeds_the_bytes(tmp_path) -> None:
    frames = training_gif_frames(*gif_inputs(k=2), panel_size=32)
    path = save_training_gif(frames, tmp_path / "a.gif")
    shown = gif_display(path)
    assert shown.format == "gif"
    assert shown.data[:6] in (b"GIF89a", b"GIF87a")


def test_gif_inputs_must_agree() -> None:
    image, mask, probabilities, epochs, ious = gif_inputs(k=3)
    with pytest.raises(ValueError, match="one per epoch"):
        training_gif_frames(image, mask, probabilities, epochs[:2], ious)
    with pytest.raises(ValueError, match="no frames"):
        save_training_gif([], "never.gif")


def test_error_overlay_colours_tp_fp_fn() -> None:
    image = np.zeros((1, 4, 3), np.uint8)
    truth = np.array([[1, 1, 0, 0]])
    prediction = np.array([[1, 0, 1, 0]])
    overlay = error_overlay(image, truth, prediction, alpha=1.0)
    assert tuple(overlay[0, 0]) == TP_COLOR
    assert tuple(overlay[0, 1]) == FN_COLOR
    assert tuple(overlay[0, 2]) == FP_COLOR
    assert tuple(overlay[0, 3]) == (0, 0, 0)
    with pytest.raises(ValueError, match="same height and width"):
        error_overlay(image, truth[:, :3], prediction)


def test_to_uint8_rgb_accepts_tensors_layouts() -> None:
    chw = np.full((3, 2, 5), 0.5, np.float32)
    assert to_uint8_rgb(chw).shape == (2, 5, 3)
    assert to_uint8_rgb(chw)[0, 0, 0] == 128
    assert to_uint8_rgb(np.ones((2, 2), bool))[0, 0, 1] == 255


def test_result_grid_and_curves_draw() -> None:
    rng = np.random.default_rng(1)
    images = [rng.random((20, 30, 3)), rng.random((16, 16, 3))]
    truths = [rng.random((20, 30)) > 0.5, rng.random((16, 16)) > 0.5]
    predictions = [rng.random((20, 30)) > 0.5, rng.random((16, 16)) > 0.5]
    fig = plot_results(images, truths, predictions, titles=["a", "b"])
    assert len(fig.axes) == 8
    assert figure_to_png_bytes(fig)[:4] == b"\x89PNG"
    history = [
        {"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e, "val_iou": 0.1 * e, "val_dice": 0.1}
        for e in range(1, 4)
    ]
    fig = plot_history(history, best_epoch=3, finetune=history[:2], finetune_best_epoch=1)
    lines = fig.axes[0].get_lines()
    assert max(max(line.get_xdata()) for line in lines) == 5  # fine-tuning drawn after epoch 3
    plt.close(fig)
    with pytest.raises(ValueError, match="same positive number"):
        plot_results(images, truths[:1], predictions)


def test_result_grid_rows_follow_each_photo_and_text_is_legible() -> None:
    """Each row is as tall as its own photo (a portrait photo does not pad the wide rows), and the
    labels are at least 12 points in the 10-inch figure (about 11 px in the book's column)."""
    shapes = [(30, 60), (60, 40)]  # a wide photo (1:2), then a portrait one (3:2)
    images = [np.zeros((*shape, 3)) for shape in shapes]
    masks = [np.zeros(shape, bool) for shape in shapes]
    fig = plot_results(images, masks, masks, titles=["7\nIoU 0.50", "8\nIoU 0.90"])
    fig.canvas.draw()
    wide, tall = (fig.axes[4 * row].get_window_extent() for row in range(2))
    assert wide.height / wide.width == pytest.approx(0.5, rel=0.02)
    assert tall.height / tall.width == pytest.approx(1.5, rel=0.02)
    # no blank band: the figure is its two rows plus at most 1.6 inches of titles, gaps, legend
    assert fig.get_figheight() * fig.dpi < wide.height + tall.height + 1.6 * fig.dpi
    assert fig.axes[0].yaxis.label.get_fontsize() >= 12
    assert fig.axes[0].title.get_fontsize() >= 12
    assert min(text.get_fontsize() for text in fig.legends[0].get_texts()) >= 12
    plt.close(fig)
