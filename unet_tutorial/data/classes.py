"""The classes of a multi-class task: the class table, where it comes from, and ``classes.json``.

A binary mask (0/1 or 0/255, the flood masks) marks one class; :mod:`.binary_masks` reads it.
A multi-class mask gives every pixel one of C classes and comes in two kinds:

- **index masks**: 8-bit (or 16-bit) grey PNGs, or palette PNGs, whose pixel values are the
  classes, ``0 .. C-1`` by default. A palette PNG is read by its palette *indices*, never by the
  colours its palette shows.
- **colour masks**: RGB images where a colour stands for a class (``(0, 0, 255)`` = water, ...).

A :class:`ClassTable` says how many classes there are, what they are called, and how mask pixels
map to them: a mask **value** per class (index masks) or a mask **colour** per class (colour
masks). It comes from the command line (``--classes N``: values ``0 .. N-1``; ``--color
R,G,B=CLASS``, repeated) or from a small ``classes.json`` beside the data, for example::

    {"classes": [
        {"name": "background", "color": [0, 0, 0]},
        {"name": "water", "color": [0, 0, 255]},
        {"name": "building", "color": [255, 0, 0]}
    ]}

(``"value": 3`` instead of ``"color"`` maps the mask value 3 to that class; an entry without
either takes its position as value). A pixel whose value or colour the table does not know is an
error naming the file and the value (:mod:`.class_masks` reads the masks): nothing is mapped to
a class silently.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from unet_tutorial.viz.palette import CLASS_COLORS, Color

if TYPE_CHECKING:
    from unet_tutorial.data.class_masks import MaskReader

CLASSES_FILE = "classes.json"
"""The class table's file name beside the data (in the dataset folder)."""


@dataclass(frozen=True)
class ClassTable:
    """The classes of a multi-class task and how mask pixels map to them.

    Attributes:
        names: one name per class, in class order (class ``i`` is ``names[i]``).
        values: the mask value of each class (index masks); default ``0 .. C-1``.
        colors: the mask colour of each class (colour masks), or ``None`` for index masks.
        display: colours to draw each class with (palette PNGs, overlays); default ``colors``
            when given, else :data:`~unet_tutorial.viz.palette.CLASS_COLORS`.
    """

    names: tuple[str, ...]
    values: tuple[int, ...] = field(default=())
    colors: tuple[Color, ...] | None = None
    display: tuple[Color, ...] = field(default=())

    def __post_init__(self) -> None:
        count = len(self.names)
        if count > 256:
            raise ValueError(f"at most 256 classes fit a palette PNG, got {count}.")
        if count < 2:
            raise ValueError(
                f"a class table needs at least 2 classes, got {count}; a single foreground "
                "class is binary segmentation (leave out --classes)."
            )
        if not self.values:
            object.__setattr__(self, "values", tuple(range(count)))
        if len(self.values) != count or len(set(self.values)) != count:
            raise ValueError(f"each of the {count} classes needs its own mask value.")
        if self.colors is not None:
            colors = tuple(_color(c) for c in self.colors)
            if len(colors) != count or len(set(colors)) != count:
                raise ValueError(f"each of the {count} classes needs its own mask colour.")
            object.__setattr__(self, "colors", colors)
        if not self.display:
            default = self.colors or tuple(
                CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(count)
            )
            object.__setattr__(self, "display", tuple(default))
        object.__setattr__(self, "display", tuple(_color(c) for c in self.display))

    @property
    def num_classes(self) -> int:
        return len(self.names)

    @property
    def kind(self) -> str:
        """``"colour"`` (RGB masks with a colour per class) or ``"index"``."""
        return "colour" if self.colors is not None else "index"

    @classmethod
    def default(cls, num_classes: int) -> ClassTable:
        """Classes ``0 .. C-1`` stored as mask values ``0 .. C-1``, named ``class 0``, ..."""
        return cls(tuple(f"class {i}" for i in range(num_classes)))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (saved with a run and its checkpoints; see :meth:`from_dict`)."""
        entries = []
        for index, name in enumerate(self.names):
            entry: dict[str, Any] = {"name": name, "value": self.values[index]}
            if self.colors is not None:
                entry["color"] = list(self.colors[index])
            entry["display"] = list(self.display[index])
            entries.append(entry)
        return {"classes": entries}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "class table") -> ClassTable:
        """A table from ``{"classes": [...]}`` (see the module docstring).

        Raises:
            ValueError: naming ``source`` when the content is not a class table.
        """
        entries = data.get("classes") if isinstance(data, Mapping) else None
        if not isinstance(entries, list) or not entries:
            raise ValueError(
                f'{source}: expected {{"classes": [...]}} with one entry per class (a name, or '
                '{"name": ..., "value": ...} or {"name": ..., "color": [r, g, b]}).'
            )
        names, values, colors, display = [], [], [], []
        for index, entry in enumerate(entries):
            if isinstance(entry, str):
                entry = {"name": entry}
            if not isinstance(entry, Mapping):
                raise ValueError(f"{source}: class {index} is {entry!r}, not a name or an object.")
            names.append(str(entry.get("name", f"class {index}")))
            values.append(int(entry.get("value", index)))
            colors.append(entry.get("color"))
            display.append(entry.get("display") or entry.get("color"))
        given = [c is not None for c in colors]
        if any(given) and not all(given):
            raise ValueError(
                f"{source}: either every class has a mask colour (colour masks) or none has "
                "(index masks)."
            )
        try:
            return cls(
                tuple(names),
                tuple(values),
                tuple(map(tuple, colors)) if all(given) else None,  # type: ignore[arg-type]
                tuple(display) if all(d is not None for d in display) else (),
            )
        except (TypeError, ValueError) as error:
            raise ValueError(f"{source}: {error}") from None

    @classmethod
    def from_json(cls, path: str | Path) -> ClassTable:
        """The table in a ``classes.json``.

        Raises:
            ValueError: naming the file when it is not valid JSON or not a class table.
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not valid JSON ({error}).") from None
        return cls.from_dict(data, str(path))

    @classmethod
    def from_color_options(cls, options: Sequence[str]) -> ClassTable:
        """A colour table from ``R,G,B=CLASS`` (or ``#RRGGBB=CLASS``) options, one per class.

        Raises:
            ValueError: for a malformed option, or classes that are not exactly ``0 .. C-1``.
        """
        by_class: dict[int, Color] = {}
        for option in options:
            match = re.fullmatch(r"\s*(.+?)\s*=\s*(\d+)\s*", option)
            if not match:
                raise ValueError(f"--color {option!r}: expected R,G,B=CLASS, e.g. 0,0,255=1.")
            index = int(match.group(2))
            if index in by_class:
                raise ValueError(f"--color: class {index} is given twice.")
            by_class[index] = parse_color(match.group(1))
        expected = list(range(len(by_class)))
        if sorted(by_class) != expected:
            raise ValueError(
                f"--color: the classes must be 0 .. {len(by_class) - 1}, one colour each; "
                f"got classes {sorted(by_class)}."
            )
        colors = tuple(by_class[i] for i in expected)
        return cls(tuple(f"class {i}" for i in expected), colors=colors)

    @cached_property
    def key(self) -> str:
        """A short hash of how mask pixels map to classes (names and display colours aside)."""
        mapping = {"values": list(self.values), "colors": self.colors and list(self.colors)}
        return hashlib.sha1(json.dumps(mapping).encode()).hexdigest()[:12]

    @cached_property
    def reader(self) -> MaskReader:
        """``reader(path)``: :func:`~.class_masks.read_class_mask` with this table (one object
        per table, with a ``key`` for caches)."""
        # Imported here: reading class masks needs the table, not the other way round.
        from unet_tutorial.data.class_masks import MaskReader

        return MaskReader(self)

    def mask_keys(self) -> list[int]:
        """What a mask pixel holds for each class, in class order: the value (index masks) or
        the colour as ``0xRRGGBB`` (colour masks)."""
        if self.colors is None:
            return list(self.values)
        return [color_key(color) for color in self.colors]

    def palette(self) -> list[int]:
        """A 768-value PNG palette: class ``i`` drawn in ``display[i]``, the rest black."""
        flat = [channel for color in self.display for channel in color]
        return flat + [0] * (768 - len(flat))

    def describe(self) -> str:
        """One line: ``3 classes (index masks): 0 background, 1 water, 2 building``."""
        if self.colors is not None:
            pairs = enumerate(zip(self.names, self.colors, strict=True))
            parts = [f"{i} {n} = rgb{c}" for i, (n, c) in pairs]
        else:
            parts = [
                f"{i} {n}" + (f" (value {v})" if v != i else "")
                for i, (n, v) in enumerate(zip(self.names, self.values, strict=True))
            ]
        return f"{self.num_classes} classes ({self.kind} masks): " + ", ".join(parts)


def parse_color(text: str) -> Color:
    """``"0,0,255"``, ``"0 0 255"`` or ``"#0000ff"`` as an RGB tuple.

    Raises:
        ValueError: for anything else.
    """
    text = text.strip()
    if re.fullmatch(r"#[0-9a-fA-F]{6}", text):
        return (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16))
    parts = re.split(r"[,\s]+", text)
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return _color([int(p) for p in parts])
    raise ValueError(f"{text!r} is not a colour: write R,G,B (0-255 each) or #RRGGBB.")


def _color(value: Iterable[Any]) -> Color:
    channels = tuple(int(c) for c in value)
    if len(channels) != 3 or not all(0 <= c <= 255 for c in channels):
        raise ValueError(f"a colour is three values from 0 to 255, got {value!r}.")
    return channels  # type: ignore[return-value]


def add_class_options(parser: argparse.ArgumentParser) -> None:
    """The command-line options that ask for classes, ``--classes N`` and ``--color R,G,B=CLASS``
    (repeated), read by :func:`resolve_class_table`."""
    parser.add_argument(
        "--classes",
        type=int,
        help="number of classes: masks hold class values 0..N-1 (default: binary masks, "
        "0/1 or 0/255; a classes.json beside the data also sets the classes)",
    )
    parser.add_argument(
        "--color",
        action="append",
        metavar="R,G,B=CLASS",
        help="colour masks: the mask colour of a class (repeat for every class)",
    )


def resolve_class_table(
    classes: int | None = None,
    colors: Sequence[str] | None = None,
    data_root: str | Path | None = None,
) -> ClassTable | None:
    """The class table a command asks for, or ``None`` for binary segmentation.

    Order: ``--color`` options; else ``classes.json`` in ``data_root`` (unless ``--classes 1``);
    else ``--classes N`` for ``N >= 2`` (values ``0 .. N-1``); else binary.

    Raises:
        ValueError: for a bad table, or a ``--classes`` that disagrees with the table.
    """
    if classes is not None and classes < 1:
        raise ValueError(f"--classes must be at least 1, got {classes}.")
    table = None
    if colors:
        table = ClassTable.from_color_options(colors)
    elif data_root is not None and classes != 1:
        path = Path(data_root) / CLASSES_FILE
        if path.is_file():
            table = ClassTable.from_json(path)
    if table is None:
        return ClassTable.default(classes) if classes is not None and classes >= 2 else None
    if classes is not None and classes != table.num_classes:
        raise ValueError(
            f"--classes {classes} disagrees with the class table, which has "
            f"{table.num_classes} classes ({table.describe()})."
        )
    return table


def color_key(color: Color) -> int:
    """A colour as one integer, ``0xRRGGBB`` (how colour masks are compared and counted)."""
    red, green, blue = color
    return (red << 16) | (green << 8) | blue


def key_color(key: int) -> Color:
    """The colour of a ``0xRRGGBB`` key (:func:`color_key`)."""
    return ((key >> 16) & 255, (key >> 8) & 255, key & 255)
