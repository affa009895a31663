"""Opening image files by their content, whatever their extension says, and decoding photos.

This dataset names WEBP and PNG files ``.jpg`` and holds one RGBA image, so every file is opened
with Pillow, which recognises the format from the bytes. :func:`read_rgb` is the one way a photo
is decoded (datasets, the dataset check, ``predict``); :func:`read_bgr` decodes a whole photo
into the least memory for ``predict``'s overlays. Masks are read by
:mod:`~unet_tutorial.data.binary_masks` and :mod:`~unet_tutorial.data.class_masks`, which share
this module's errors.
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


    @classmethod
    def naming(cls, path: Path, error: Exception) -> CorruptFileError:
        """The error for ``path``, which failed to decode with ``error``, saying what to do."""
        return cls(
            f"{path}: cannot be decoded ({type(error).__name__}: {error}). Replace the file "
            "(download the dataset again) or remove the pair; loaders skip such pairs with a "
            "warning when called with on_error='skip'."
        )


class MaskValuesError(ValueError):
    """A mask whose values do not fit the segmentation asked for (binary or a class table).

    Attributes:
        kind: what the mask is instead, where the reader knows: ``"class-like"`` (class values
            read as binary), ``"palette"`` (a palette mask of more than two entries read as
            binary), ``"colour"`` (a colour mask read as grey or index values); else ``None``.
    """

    def __init__(self, message: str, kind: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind


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
        raise CorruptFileError.naming(path, error) from error


def image_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` of an image file, from its header only (no decoding)."""
    with open_file(path) as image:
        return image.size


def file_format(path: str | Path) -> str:
    """The format found in the file's bytes (``"JPEG"``, ``"WEBP"``, ``"PNG"``, ...)."""
    with open_file(path) as image:
        return str(image.format)


def converted(path: Path, image: Image.Image, mode: str) -> Image.Image:
    """``image`` (opened from ``path``) decoded and converted to ``mode``.

    Raises:
        CorruptFileError: naming ``path`` when its data is truncated or damaged.
    """
    try:
        return image.convert(mode)
    except (OSError, SyntaxError, ValueError) as error:  # truncated or damaged data
        raise CorruptFileError.naming(path, error) from error


def read_rgb(path: str | Path, min_size: tuple[int, int] | None = None) -> Image.Image:
    """Decode an image file into an RGB ``PIL.Image`` (alpha, palette and grey are converted;
    an RGB file is not copied again).

    Args:
        path: the file; its extension is ignored.
        min_size: ``(width, height)`` the caller will shrink the image to. JPEG files are then
            decoded directly at a reduced scale that is still at least this big (``draft``),
            which is several times faster for large photos.

    Raises:
        CorruptFileError: naming the file when it is not an image or its data is damaged.
        FileNotFoundError: when it does not exist.
    """
    path = Path(path)
    with open_file(path) as image:
        if min_size is not None and image.format == "JPEG":
            image.draft("RGB", min_size)
        try:
            image.load()
        except (OSError, SyntaxError, ValueError) as error:  # truncated or damaged data
            raise CorruptFileError.naming(path, error) from error
        return image if image.mode == "RGB" else converted(path, image, "RGB")


def read_bgr(path: str | Path, size: tuple[int, int]) -> np.ndarray:
    """The whole photo as an ``H×W×3`` uint8 **BGR** array (OpenCV's order), decoded by
    OpenCV straight into it: 3 bytes per pixel, where a Pillow RGB image takes 4 and OpenCV
    without a given array briefly 6. EXIF orientation is ignored, as Pillow ignores it, so the
    pixels line up with masks read by Pillow. What this OpenCV cannot decode, :func:`read_rgb`
    decodes.

    Args:
        size: ``(height, width)`` of the photo (from its header, :func:`image_size` reversed).

    Raises:
        CorruptFileError: naming the file when neither decoder can read it.
    """
    import cv2

    buffer = np.empty((*size, 3), np.uint8)
    flags = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    decoded = None
    # imread into a given array returns that array untouched for a file it has no decoder for.
    if cv2.haveImageReader(str(path)):
        try:
            decoded = cv2.imread(str(path), buffer, flags)
        except (cv2.error, TypeError):  # an OpenCV without imread(filename, dst, flags)
            decoded = None
    if decoded is not None and decoded.shape == buffer.shape and decoded.dtype == np.uint8:
        return decoded
    del decoded, buffer
    rgb = read_rgb(path)
    return np.ascontiguousarray(np.asarray(rgb)[..., ::-1])
