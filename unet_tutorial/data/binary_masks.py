"""Binary masks (water / background) and the one rule that reads them.

The rule, for every binary mask: a mask whose largest value is at most 1 is a 0/1 mask and a pixel
is water when its value is ``> 0``; a mask whose largest value is 128 or more is a 0/255 mask,
possibly with anti-aliased edges, and a pixel is water when its value is ``> 127``. Anything else
is refused with a :class:`~unet_tutorial.data.io.MaskValuesError` that says what to do, rather
than binarised silently: a mask whose values stop between 2 and 127 (class indices such as 0, 1,
2), a palette mask using more than two palette entries, or a colour (not grey) RGB mask. Those
are multi-class masks; :mod:`unet_tutorial.data.class_masks` reads them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from unet_tutorial.data.io import CorruptFileError, MaskValuesError, converted, open_file

BinaryKind = Literal["0/1", "0/255", "class-like"]
"""What the largest value of a mask makes it under the rule."""

#: The rule's cut per readable kind: a pixel is water when its value is above it.
THRESHOLDS: dict[str, int] = {"0/1": 0, "0/255": 127}

#: Colour RGB masks (channels differing by more than this) are not read as grey.
GREY_TOLERANCE = 32

#: Pillow modes whose values are read as they are (16-bit and 32-bit masks), not as 8-bit grey.
WIDE_MODES = ("I", "I;16", "I;16B", "I;16L", "F")


def binary_kind(top: float) -> BinaryKind:
    """The kind of a mask whose largest value is ``top``: ``"0/1"`` (at most 1), ``"class-like"``
    (between 2 and 127: class indices) or ``"0/255"``."""
    if 2 <= top <= 127:
        return "class-like"
    return "0/1" if top <= 1 else "0/255"


def _listed(values: np.ndarray, limit: int = 8) -> str:
    found = [int(v) if float(v).is_integer() else float(v) for v in np.unique(values)[:limit]]
    return ", ".join(map(str, found)) + (", ..." if np.unique(values).size > limit else "")


def class_like_values(values: np.ndarray) -> str | None:
    """Why ``values`` look like the classes of a multi-class mask rather than a binary mask
    (``None`` when they are 0/1 or 0/255-like): the largest value lies between 2 and 127."""
    if values.size == 0 or binary_kind(values.max()) != "class-like":
        return None
    return (
        f"its values ({_listed(values)}) stop at {values.max():g}: class indices of a "
        f"multi-class mask, not a 0/1 or 0/255 binary mask"
    )


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
        raise MaskValuesError(
            f"this mask cannot be binary: {reason}. {multiclass_advice(top + 1)}", "class-like"
        )
    kind = binary_kind(values.max()) if values.size else "0/1"
    return (values > THRESHOLDS[kind]).astype(np.uint8)


def _refuse_multiclass_modes(path: Path, image: Image.Image) -> None:
    """Refuse palette masks with more than two entries in use and colour RGB masks."""
    if image.mode == "P":
        indices = np.unique(np.asarray(converted(path, image, "P")))
        if indices.size > 2:
            advice = multiclass_advice(int(indices.max()) + 1)
            raise MaskValuesError(
                f"{path}: a palette mask using {indices.size} palette entries "
                f"({_listed(indices)}) is a multi-class mask, not a binary one. {advice}",
                "palette",
            )
    elif image.mode in ("RGB", "RGBA"):
        rgb = np.asarray(converted(path, image, "RGB"), dtype=np.int16)
        spread = int(np.abs(np.diff(rgb, axis=-1)).max()) if rgb.size else 0
        if spread > GREY_TOLERANCE:
            raise MaskValuesError(
                f"{path}: a colour mask (its red, green and blue differ, not a grey one) is a "
                "multi-class mask: give its colour table (--color R,G,B=CLASS for each class, "
                "or classes.json beside the data) to train on it.",
                "colour",
            )


def binary_mask_values(path: str | Path, image: Image.Image) -> np.ndarray:
    """The raw H×W values of a mask that :func:`binarize_mask` turns into 0/1: grey levels
    (palette, RGB and RGBA masks read as grey), or the values of a 16-bit or 32-bit mask.

    Args:
        path: the file ``image`` was opened from (named in errors).

    Raises:
        CorruptFileError: naming the file when it cannot be decoded.
        MaskValuesError: naming the file, with ``kind`` ``"palette"`` or ``"colour"``, for a
            multi-class palette or colour mask.
    """
    path = Path(path)
    if image.mode in WIDE_MODES:
        try:
            return np.asarray(image)
        except (OSError, SyntaxError, ValueError) as error:
            raise CorruptFileError.naming(path, error) from error
    _refuse_multiclass_modes(path, image)
    return np.asarray(converted(path, image, "L"))


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
        values = binary_mask_values(path, image)
    try:
        return binarize_mask(values)
    except MaskValuesError as error:
        raise MaskValuesError(f"{path}: {error}", error.kind) from None
