"""Reading image and mask files by their content, whatever their extension says.

This dataset names WEBP and PNG files ``.jpg`` and holds one RGBA image, so every file is opened
with Pillow, which recognises the format from the bytes, and converted to RGB.

Mask rule (one rule for every mask): a mask whose largest value is at most 1 is a 0/1 mask and a
pixel is water when its value is ``> 0``; any other mask is a 0/255 mask, possibly with
anti-aliased edges, and a pixel is water when its value is ``> 127``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

#: Extensions the folder scanners treat as image files (the content decides the real format).
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".jfif"}
)


class CorruptFileError(ValueError):
    """An image or mask file that cannot be decoded (corrupt, truncated or not an image)."""


def _corrupt(path: Path, error: Exception) -> CorruptFileError:
    return CorruptFileError(
        f"{path}: cannot be decoded ({type(error).__name__}: {error}). Replace the file "
        "(download the dataset again) or remove the pair; loaders skip such pairs with a "
        "warning when called with on_error='skip'."
    )


def open_file(path: str | Path) -> Image.Image:
    """Open an image file lazily (only the header is read), whatever its extension.

    Raises:
        CorruptFileError: naming the file when it is not a readable image.
        FileNotFoundError: when it does not exist.
    """
    path = Path(path)
    try:
        return Image.open(path)
    except FileNotFoundError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise _corrupt(path, error) from error


def image_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` of an image file, from its header only (no decoding)."""
    with open_file(path) as image:
        return image.size


def file_format(path: str | Path) -> str:
    """The format found in the file's bytes (``"JPEG"``, ``"WEBP"``, ``"PNG"``, ...)."""
    with open_file(path) as image:
        return str(image.format)


def _decoded(path: Path, image: Image.Image, mode: str) -> Image.Image:
    try:
        return image.convert(mode)
    except (OSError, SyntaxError, ValueError) as error:  # truncated or damaged data
        raise _corrupt(path, error) from error


def read_rgb(path: str | Path, min_size: tuple[int, int] | None = None) -> Image.Image:
    """Decode an image file into an RGB ``PIL.Image`` (alpha, palette and grey are converted).

    Args:
        path: the file; its extension is ignored.
        min_size: ``(width, height)`` the caller will shrink the image to. JPEG files are then
            decoded directly at a reduced scale that is still at least this big (``draft``),
            which is several times faster for large photos.
    """
    path = Path(path)
    with open_file(path) as image:
        if min_size is not None and image.format == "JPEG":
            image.draft("RGB", min_size)
        return _decoded(path, image, "RGB")


def binarize_mask(values: np.ndarray) -> np.ndarray:
    """Water (1) / background (0) from raw mask values, by the module's one rule.

    Args:
        values: H×W array of mask values (any integer or float type).

    Returns:
        H×W ``uint8`` array of 0 and 1: ``values > 0`` if ``values.max() <= 1`` (0/1 masks),
        else ``values > 127`` (0/255 masks with anti-aliased edges).
    """
    if values.ndim != 2:
        raise ValueError(f"a mask must be a 2-D H×W array, got shape {values.shape}")
    threshold = 0 if values.size == 0 or values.max() <= 1 else 127
    return (values > threshold).astype(np.uint8)


def read_mask(path: str | Path) -> np.ndarray:
    """Decode a mask file into an H×W ``uint8`` array of 0/1 (see :func:`binarize_mask`).

    Grey, palette, RGB and RGBA masks are read as grey levels; 16-bit masks keep their values.
    """
    path = Path(path)
    with open_file(path) as image:
        if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
            try:
                values = np.asarray(image)
            except (OSError, SyntaxError, ValueError) as error:
                raise _corrupt(path, error) from error
        else:
            values = np.asarray(_decoded(path, image, "L"))
    return binarize_mask(values)
