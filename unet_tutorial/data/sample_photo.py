"""A real photo for the early chapters, without any download.

Matplotlib ships a portrait of Grace Hopper (``grace_hopper.jpg``, 512×600) in its sample data;
if a Matplotlib installation lacks it, a synthetic picture with edges, gradients and texture is
drawn instead, so the chapters always run.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

SAMPLE_PHOTO = "grace_hopper.jpg"


def sample_photo_path() -> Path | None:
    """Where Matplotlib's sample photo lives, or ``None`` if this installation has none."""
    try:
        from matplotlib import cbook

        path = Path(cbook.get_sample_data(SAMPLE_PHOTO, asfileobj=False))
    except (OSError, ValueError):
        return None
    return path if path.is_file() else None


def synthetic_photo(height: int = 256, width: int = 256) -> np.ndarray:
    """A stand-in "photo" (H×W×3 uint8): a bright disc, a dark bar, a gradient and some texture."""
    rows, cols = np.mgrid[0:height, 0:width] / max(height, width)
    image = 0.25 + 0.5 * cols  # left-to-right gradient
    disc = (rows - 0.4) ** 2 + (cols - 0.35) ** 2 < 0.2**2
    image = np.where(disc, 0.95, image)
    bar = (np.abs(rows - 0.75) < 0.06) & (cols > 0.5)
    image = np.where(bar, 0.05, image)
    image = image + 0.05 * np.sin(2 * math.pi * 12 * rows) * (cols < 0.2)  # fine stripes
    rgb = np.stack([image, image * 0.9, image * 0.8], axis=-1)
    return (np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8)


def load_sample_photo(gray: bool = False, max_side: int | None = None) -> torch.Tensor:
    """The sample photo as a float tensor in [0, 1].

    Args:
        gray: return one luminance channel instead of RGB.
        max_side: if given, shrink the photo (keeping its aspect ratio) so that its longer side
            is at most this many pixels.

    Returns:
        C×H×W float32 tensor, C = 1 when ``gray`` else 3 (600×512 for the Grace Hopper photo).
    """
    if max_side is not None and max_side < 1:
        raise ValueError(f"max_side must be a positive number of pixels, got {max_side}.")
    path = sample_photo_path()
    image = Image.open(path).convert("RGB") if path else Image.fromarray(synthetic_photo())
    if gray:
        image = image.convert("L")
    if max_side is not None and max(image.size) > max_side:
        scale = max_side / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BILINEAR)
    array = np.asarray(image, dtype=np.float32) / 255.0
    if array.ndim == 2:
        array = array[:, :, None]
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()
