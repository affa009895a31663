"""Reading and writing multi-class masks: each pixel's class index, by a
:class:`~unet_tutorial.data.classes.ClassTable`.

Index masks (grey, 16-bit or palette PNGs) are read by their values, a palette PNG by its
palette *indices*; colour masks by their colours. A value or colour the table does not know is a
:class:`~unet_tutorial.data.io.MaskValuesError` naming the file, the values and what to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from unet_tutorial.data.classes import ClassTable, key_color
from unet_tutorial.data.io import CorruptFileError, MaskValuesError, open_file


class MaskReader:
    """A class table's mask reader: ``reader(path)`` gives the mask's class indices."""

    def __init__(self, table: ClassTable) -> None:
        self.table = table
        self.key = f"classes-{table.key}"

    def __call__(self, path: str | Path) -> np.ndarray:
        return read_class_mask(path, self.table)


def class_mask_image(labels: np.ndarray, table: ClassTable) -> Image.Image:
    """A palette PNG image of class indices ``H×W``: pixel values are the classes, drawn in
    the table's display colours (viewers show colours, programs read the indices)."""
    labels = np.ascontiguousarray(labels, dtype=np.uint8)
    height, width = labels.shape
    image = Image.frombuffer("P", (width, height), labels, "raw", "P", 0, 1)  # no copy
    image.putpalette(table.palette())
    return image


def index_values(path: Path, image: Image.Image) -> np.ndarray:
    """The raw ``H×W`` values of an index mask: palette indices, grey levels, or 16-bit values.

    Raises:
        CorruptFileError: naming ``path`` when it cannot be decoded.
        MaskValuesError: naming ``path`` (``kind`` ``"colour"``) for a colour mask.
    """
    try:
        if image.mode in ("P", "L", "I", "I;16", "I;16B", "I;16L"):
            return np.asarray(image)
        if image.mode == "1":
            return np.asarray(image).astype(np.uint8)
        if image.mode in ("LA", "PA"):
            return np.asarray(image.getchannel(0))
        rgb = np.asarray(image.convert("RGB"))
    except (OSError, SyntaxError, ValueError) as error:
        raise CorruptFileError.naming(path, error) from error
    if rgb.size and int(np.abs(np.diff(rgb.astype(np.int16), axis=-1)).max()) > 0:
        raise MaskValuesError(
            f"{path}: a colour mask (red, green and blue differ) needs a colour table: "
            "--color R,G,B=CLASS for each class, or classes.json with a colour per class.",
            "colour",
        )
    return rgb[..., 0]


def color_keys(path: Path, image: Image.Image) -> np.ndarray:
    """The ``H×W`` colours of a colour mask as ``0xRRGGBB`` integers (``uint32``).

    Raises:
        CorruptFileError: naming ``path`` when it cannot be decoded.
    """
    try:
        rgb = np.asarray(image.convert("RGB"), dtype=np.uint32)
    except (OSError, SyntaxError, ValueError) as error:
        raise CorruptFileError.naming(path, error) from error
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def _lookup(raw: np.ndarray, known: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Class index of each raw value (by position in ``known``) and the unknown raw values."""
    order = np.argsort(known)
    keys = np.asarray(known, dtype=np.int64)[order]
    flat = raw.astype(np.int64)
    where = np.clip(np.searchsorted(keys, flat), 0, len(keys) - 1)
    found = keys[where] == flat
    classes = order[where].astype(np.uint8)
    return classes, np.unique(flat[~found])


def read_class_mask(path: str | Path, table: ClassTable) -> np.ndarray:
    """Decode a multi-class mask into an H×W ``uint8`` array of class indices ``0 .. C-1``.

    Raises:
        CorruptFileError: naming the file when it cannot be decoded.
        MaskValuesError: naming the file and the values (or colours) the table does not know,
            with what to do.
    """
    path = Path(path)
    with open_file(path) as image:
        raw = color_keys(path, image) if table.colors is not None else index_values(path, image)
    classes, unknown = _lookup(raw, table.mask_keys())
    if unknown.size:
        raise MaskValuesError(f"{path}: {_unknown_message(unknown, table)}")
    return classes


def _unknown_message(unknown: np.ndarray, table: ClassTable) -> str:
    if table.colors is not None:
        shown = ", ".join(f"rgb{key_color(int(k))}" for k in unknown[:5])
        more = ", ..." if unknown.size > 5 else ""
        return (
            f"{unknown.size} colour(s) not in the class table ({shown}{more}); the table "
            f"knows {table.describe()}. Add the colours (--color R,G,B=CLASS or classes.json); "
            "anti-aliased or JPEG-compressed colour masks cannot be class masks."
        )
    values = [int(v) for v in unknown[:8]]
    more = ", ..." if unknown.size > 8 else ""
    advice = (
        "a 0/255 mask is binary: leave out --classes"
        if set(values) == {255}
        else f"a mask with values 0 .. {max(values)} needs --classes {max(values) + 1}"
    )
    return (
        f"mask value(s) {', '.join(map(str, values))}{more} are no class of the table "
        f"({table.describe()}); {advice}, or map the values in classes.json "
        '({"name": ..., "value": V}).'
    )
