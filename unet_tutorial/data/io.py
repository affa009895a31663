"""Reading image and mask files by their content, whatever their extension says.

This dataset names WEBP and PNG files ``.jpg`` and holds one RGBA image, so every file is opened
with Pillow, which recognises the format from the bytes, and converted to RGB.

Mask rule (one rule for every binary mask): a mask whose largest value is at most 1 is a 0/1 mask
and a pixel is water when its value is ``> 0``; a mask whose largest value is 128 or more is a
0/255 mask, possibly with anti-aliased edges, and a pixel is water when its value is ``> 127``.
Anything else is refused with a :class:`MaskValuesError` that says what to do, rather than
binarised silently: a mask whose values stop between 2 and 127 (class indices such as 0, 1, 2), a
palette mask using more than two palette entries, or a colour (not grey) RGB mask. Those are
multi-class masks; :mod:`unet_tutorial.data.masks` reads them.
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


class MaskValuesError(ValueError):
    """A mask whose values do not fit the segmentation asked for (binary or a class table)."""


#: Colour RGB masks (channels differing by more than this) are not read as grey.
GREY_TOLERANCE = 32


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


def _listed(values: np.ndarray, limit: int = 8) -> str:
    found = [int(v) if float(v).is_integer() else float(v) for v in np.unique(values)[:limit]]
    return ", ".join(map(str, found)) + (", ..." if np.unique(values).size > limit else "")


def class_like_values(values: np.ndarray) -> str | None:
    """Why ``values`` look like the classes of a multi-class mask rather than a binary mask
    (``None`` when they are 0/1 or 0/255-like): the largest value lies between 2 and 127."""
    if values.size == 0:
        return None
    top = values.max()
    if 2 <= top <= 127:
        return (
            f"its values ({_listed(values)}) stop at {top:g}: class indices of a multi-class "
            f"mask, not a 0/1 or 0/255 binary mask"
        )
    return None


def multiclass_advice(classes: int | None = None) -> str:
    """What to do with a multi-class mask where a binary one was expected."""
    flag = f"--classes {classes}" if classes else "--classes N (N = number of classes)"
    return (
        f"For multi-class segmentation pass {flag} to `python -m unet_tutorial train` (or a "
        "class table: --color R,G,B=CLASS or classes.json beside the data); to keep it binary, "
        "store the mask with 0 = background and 1 or 255 = foreground."
    )


def binarize_mask(values: np.ndarray) -> np.ndarray:
    """Water (1) / background (0) from raw mask values, by the module's one rule.

    Args:
        values: H×W array of mask values (any integer or float type).

    Returns:
        H×W ``uint8`` array of 0 and 1: ``values > 0`` if ``values.max() <= 1`` (0/1 masks),
        else ``values > 127`` (0/255 masks with anti-aliased edges).

    Raises:
        MaskValuesError: when the largest value lies between 2 and 127 (class indices, see
            :func:`class_like_values`): binarising such a mask would silently turn every class
            into background.
    """
    if values.ndim != 2:
        raise ValueError(f"a mask must be a 2-D H×W array, got shape {values.shape}")
    reason = class_like_values(values)
    if reason is not None:
        top = int(values.max())
        raise MaskValuesError(f"this mask cannot be binary: {reason}. {multiclass_advice(top + 1)}")
    threshold = 0 if values.size == 0 or values.max() <= 1 else 127
    return (values > threshold).astype(np.uint8)


def _check_binary_mode(path: Path, image: Image.Image) -> None:
    """Refuse palette masks with more than two entries in use and colour RGB masks."""
    if image.mode == "P":
        indices = np.unique(np.asarray(_decoded(path, image, "P")))
        if indices.size > 2:
            advice = multiclass_advice(int(indices.max()) + 1)
            raise MaskValuesError(
                f"{path}: a palette mask using {indices.size} palette entries "
                f"({_listed(indices)}) is a multi-class mask, not a binary one. {advice}"
            )
    elif image.mode in ("RGB", "RGBA"):
        rgb = np.asarray(_decoded(path, image, "RGB"), dtype=np.int16)
        spread = int(np.abs(np.diff(rgb, axis=-1)).max()) if rgb.size else 0
        if spread > GREY_TOLERANCE:
            raise MaskValuesError(
                f"{path}: a colour mask (its red, green and blue differ, not a grey one) is a "
                "multi-class mask: give its colour table (--color R,G,B=CLASS for each class, "
                "or classes.json beside the data) to train on it."
            )


def read_mask(path: str | Path) -> np.ndarray:
    """Decode a mask file into an H×W ``uint8`` array of 0/1 (see :func:`binarize_mask`).

    Grey, palette, RGB and RGBA masks are read as grey levels; 16-bit masks keep their values.

    Raises:
        CorruptFileError: naming the file when it cannot be decoded.
        MaskValuesError: naming the file when it is a multi-class mask (see the module
            docstring), with what to do.
    """
    path = Path(path)
    with open_file(path) as image:
        if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
            try:
                values = np.asarray(image)
            except (OSError, SyntaxError, ValueError) as error:
                raise _corrupt(path, error) from error
        else:
            _check_binary_mode(path, image)
            values = np.asarray(_decoded(path, image, "L"))
    try:
        return binarize_mask(values)
    except MaskValuesError as error:
        raise MaskValuesError(f"{path}: {error}") from None
