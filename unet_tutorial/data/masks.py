"""Multi-class masks: the class table, reading class masks, and the classes a folder holds.

A binary mask (0/1 or 0/255, the flood masks) marks one class; :func:`~.io.read_mask` reads it.
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
error naming the file and the value: nothing is mapped to a class silently.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from unet_tutorial.data.io import MaskValuesError, _corrupt, open_file

CLASSES_FILE = "classes.json"
"""The class table's file name beside the data (in the dataset folder)."""

#: Display colours of classes without their own colour (Okabe-Ito, colour-blind safe; class 0
#: dark grey so that "background" recedes).
DEFAULT_COLORS: tuple[tuple[int, int, int], ...] = (
    (64, 64, 64),
    (0, 114, 178),
    (230, 159, 0),
    (0, 158, 115),
    (204, 121, 167),
    (86, 180, 233),
    (213, 94, 0),
    (240, 228, 66),
    (255, 255, 255),
    (0, 0, 0),
)

#: Raw values (or colours) recorded per mask by :func:`mask_histogram`; more means "not classes".
MAX_DISTINCT = 256

Color = tuple[int, int, int]


@dataclass(frozen=True)
class ClassTable:
    """The classes of a multi-class task and how mask pixels map to them.

    Attributes:
        names: one name per class, in class order (class ``i`` is ``names[i]``).
        values: the mask value of each class (index masks); default ``0 .. C-1``.
        colors: the mask colour of each class (colour masks), or ``None`` for index masks.
        display: colours to draw each class with (palette PNGs, overlays); default ``colors``
            when given, else :data:`DEFAULT_COLORS`.
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
                DEFAULT_COLORS[i % len(DEFAULT_COLORS)] for i in range(count)
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
        """``reader(path)``: :func:`read_class_mask` with this table (one object per table, with
        a ``key`` for caches)."""
        return MaskReader(self)

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


class MaskReader:
    """A class table's mask reader: ``reader(path)`` gives the mask's class indices."""

    def __init__(self, table: ClassTable) -> None:
        self.table = table
        self.key = f"classes-{table.key}"

    def __call__(self, path: str | Path) -> np.ndarray:
        return read_class_mask(path, self.table)


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


def class_mask_image(labels: np.ndarray, table: ClassTable) -> Image.Image:
    """A palette PNG image of class indices ``H×W``: pixel values are the classes, drawn in
    the table's display colours (viewers show colours, programs read the indices)."""
    labels = np.ascontiguousarray(labels, dtype=np.uint8)
    height, width = labels.shape
    image = Image.frombuffer("P", (width, height), labels, "raw", "P", 0, 1)  # no copy
    image.putpalette(table.palette())
    return image


# --------------------------------------------------------------------------------------------
# Reading masks
# --------------------------------------------------------------------------------------------


def _index_values(path: Path, image: Image.Image) -> np.ndarray:
    """The raw values of an index mask: palette indices, grey levels, or 16-bit values."""
    try:
        if image.mode in ("P", "L", "I", "I;16", "I;16B", "I;16L"):
            return np.asarray(image)
        if image.mode == "1":
            return np.asarray(image).astype(np.uint8)
        if image.mode in ("LA", "PA"):
            return np.asarray(image.getchannel(0))
        rgb = np.asarray(image.convert("RGB"))
    except (OSError, SyntaxError, ValueError) as error:
        raise _corrupt(path, error) from error
    if rgb.size and int(np.abs(np.diff(rgb.astype(np.int16), axis=-1)).max()) > 0:
        raise MaskValuesError(
            f"{path}: a colour mask (red, green and blue differ) needs a colour table: "
            "--color R,G,B=CLASS for each class, or classes.json with a colour per class."
        )
    return rgb[..., 0]


def _rgb_keys(path: Path, image: Image.Image) -> np.ndarray:
    try:
        rgb = np.asarray(image.convert("RGB"), dtype=np.uint32)
    except (OSError, SyntaxError, ValueError) as error:
        raise _corrupt(path, error) from error
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def _key_color(key: int) -> Color:
    return ((key >> 16) & 255, (key >> 8) & 255, key & 255)


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
        if table.colors is not None:
            raw = _rgb_keys(path, image)
            known = [(r << 16) | (g << 8) | b for r, g, b in table.colors]
        else:
            raw = _index_values(path, image)
            known = list(table.values)
    classes, unknown = _lookup(raw, known)
    if unknown.size:
        raise MaskValuesError(f"{path}: {_unknown_message(unknown, table)}")
    return classes


def _unknown_message(unknown: np.ndarray, table: ClassTable) -> str:
    if table.colors is not None:
        shown = ", ".join(f"rgb{_key_color(int(k))}" for k in unknown[:5])
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


HistogramKind = str
"""``"binary"`` (the grey levels :func:`~.io.read_mask` binarises), ``"index"`` (the values
:func:`read_class_mask` maps) or ``"colour"`` (RGB colours as ``0xRRGGBB``)."""


def mask_histogram(path: str | Path, kind: HistogramKind = "index") -> dict[int, int] | str:
    """Pixel count of each raw value of a mask, as the reader of ``kind`` sees it.

    Returns:
        ``{value: pixels}``, or a word when there is no such histogram: ``"many"`` (more than
        :data:`MAX_DISTINCT` values), ``"colour"`` (a colour mask read as grey or index values),
        ``"palette"`` (a palette mask with more than two entries read as binary).
    """
    path = Path(path)
    with open_file(path) as image:
        if kind == "colour":
            raw = _rgb_keys(path, image)
        elif kind == "index":
            try:
                raw = _index_values(path, image)
            except MaskValuesError:
                return "colour"
        else:
            raw = _binary_values(path, image)
            if isinstance(raw, str):
                return raw
    values, counts = np.unique(raw, return_counts=True)
    if values.size > MAX_DISTINCT:
        return "many"
    return {int(v): int(c) for v, c in zip(values, counts, strict=True)}


def _binary_values(path: Path, image: Image.Image) -> np.ndarray | str:
    """What :func:`~.io.read_mask` binarises, or why it would refuse the mask."""
    from unet_tutorial.data.io import _check_binary_mode, _decoded

    try:
        _check_binary_mode(path, image)
    except MaskValuesError as error:
        return "palette" if "palette" in str(error) else "colour"
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        return np.asarray(image)
    return np.asarray(_decoded(path, image, "L"))


# --------------------------------------------------------------------------------------------
# What a folder of masks holds
# --------------------------------------------------------------------------------------------


@dataclass
class MaskReport:
    """The mask values of a dataset and what they mean (``inspect`` prints it).

    Attributes:
        masks: masks read.
        kinds: for binary segmentation, how many masks are of each kind (below); for a class
            table only ``unreadable`` masks are counted here.
        examples: a few mask ids per kind (the problems first).
        table: the class table (``None``: binary).
        pixels: pixels per class (class table) or ``{0: background, 1: foreground}`` (binary,
            over the masks that are binary).
        masks_with: how many masks hold each class.
        unknown: raw values (or ``rgb(...)`` colours) the table does not know, with a mask id.
        values: raw values found over all masks (up to :data:`MAX_DISTINCT`; for the advice).

    The binary kinds: ``0/1``, ``0/255`` (grey levels thresholded at 127), ``class-like`` (values
    stop between 2 and 127), ``palette`` (more than two palette entries), ``colour``,
    ``unreadable``.
    """

    masks: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    table: ClassTable | None = None
    pixels: dict[int, int] = field(default_factory=dict)
    masks_with: dict[int, int] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)
    values: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.pixels.values())

    def shares(self) -> dict[int, float]:
        """Share of the pixels per class (or background/foreground for binary)."""
        total = self.total or 1
        return {k: v / total for k, v in sorted(self.pixels.items())}

    def problems(self) -> bool:
        """Whether the masks do not fit the segmentation asked for."""
        bad = {"class-like", "palette", "colour", "unreadable"}
        return bool(self.unknown) or any(self.kinds.get(k) for k in bad)

    def advice(self) -> str | None:
        """What to do when :meth:`problems` is true (``None`` otherwise)."""
        if not self.problems():
            return None
        if self.table is None:
            if self.kinds.get("colour"):
                return (
                    "colour masks are multi-class: give their colour table (--color "
                    "R,G,B=CLASS per class, or classes.json)."
                )
            top = max(self.values) if self.values else 2
            return (
                f"the masks look multi-class: pass --classes {top + 1} (values 0 .. {top}), or "
                "map their values to classes in classes.json."
            )
        return "add the unknown values or colours to the class table (classes.json or --color)."

    def lines(self) -> list[str]:
        """The human-readable report."""
        out = []
        if self.table is None:
            kinds = ", ".join(f"{k} {v}" for k, v in self.kinds.items() if v)
            out.append(f"masks: {self.masks} read as binary ({kinds})")
            if self.pixels:
                share = self.shares().get(1, 0.0)
                out.append(f"  foreground (1) share of the pixels: {share:.1%}")
            for kind in ("class-like", "palette", "colour", "unreadable"):
                if self.kinds.get(kind):
                    out.append(f"  {kind}: {', '.join(self.examples[kind][:5])}")
        else:
            out.append(f"masks: {self.masks}; {self.table.describe()}")
            shares = self.shares()
            for index, name in enumerate(self.table.names):
                out.append(
                    f"  {index} {name}: {shares.get(index, 0.0):.1%} of the pixels, in "
                    f"{self.masks_with.get(index, 0)} of {self.masks} masks"
                )
            for raw, where in list(self.unknown.items())[:10]:
                out.append(f"  unknown {raw} (e.g. in {where})")
        advice = self.advice()
        if advice:
            out.append(f"  what to do: {advice}")
        return out

    def to_dict(self) -> dict[str, Any]:
        """The ``masks`` entry of ``inspect --json``."""
        report: dict[str, Any] = {"masks": self.masks, "problems": self.problems()}
        if self.table is None:
            report |= {
                "segmentation": "binary",
                "kinds": self.kinds,
                "examples": self.examples,
                "foreground_share": self.shares().get(1, 0.0) if self.pixels else None,
            }
        else:
            shares = self.shares()
            report |= {
                "segmentation": "multi-class",
                "classes": [
                    {
                        "index": i,
                        "name": name,
                        "share": shares.get(i, 0.0),
                        "masks": self.masks_with.get(i, 0),
                    }
                    for i, name in enumerate(self.table.names)
                ],
                "unknown": self.unknown,
            }
        report["advice"] = self.advice()
        return report


def _binary_kind(histogram: dict[int, int] | str) -> str:
    if isinstance(histogram, str):
        return "0/255" if histogram == "many" else histogram
    top = max(histogram, default=0)
    if top <= 1:
        return "0/1"
    return "class-like" if top <= 127 else "0/255"


def describe_masks(
    items: Iterable[tuple[str, Path]],
    table: ClassTable | None = None,
    facts: Any = None,
) -> MaskReport:
    """Read every mask once (the raw value counts are cached in ``facts``, a
    :class:`~unet_tutorial.data.cache.FactStore`) and report what the values mean.

    Args:
        items: ``(id, mask path)`` pairs.
        table: the class table, or ``None`` for binary segmentation.
    """
    report = MaskReport(table=table)
    found: set[int] = set()
    kind = "binary" if table is None else "colour" if table.colors is not None else "index"
    for sample_id, path in items:
        report.masks += 1
        histogram = _cached_histogram(path, kind, facts)
        if histogram == "unreadable":
            report.kinds["unreadable"] = report.kinds.get("unreadable", 0) + 1
            report.examples.setdefault("unreadable", []).append(sample_id)
            continue
        if isinstance(histogram, dict) and len(found) <= MAX_DISTINCT:
            found.update(histogram)
        if table is None:
            _add_binary(report, sample_id, path, histogram)
        else:
            _add_classes(report, sample_id, histogram, table)
    report.values = sorted(found)[:MAX_DISTINCT]
    if facts is not None:
        facts.save()
    return report


def _cached_histogram(path: Path, kind: str, facts: Any) -> dict[int, int] | str:
    name = f"mask_{kind}_values"
    stored = facts.get(path, name) if facts is not None else None
    if stored is not None:
        return stored if isinstance(stored, str) else {int(k): v for k, v in stored.items()}
    try:
        histogram = mask_histogram(path, kind)
    except (ValueError, OSError):  # CorruptFileError is a ValueError
        return "unreadable"
    if facts is not None:
        value = (
            histogram if isinstance(histogram, str) else {str(k): v for k, v in histogram.items()}
        )
        facts.put(path, name, value)
    return histogram


def _add_binary(
    report: MaskReport, sample_id: str, path: Path, histogram: dict[int, int] | str
) -> None:
    kind = _binary_kind(histogram)
    report.kinds[kind] = report.kinds.get(kind, 0) + 1
    report.examples.setdefault(kind, []).append(sample_id)
    if kind not in ("0/1", "0/255"):
        return
    if isinstance(histogram, str):  # many 16-bit levels: count by the 0/255 rule
        from unet_tutorial.data.io import read_mask

        mask = read_mask(path)
        counts = {1: int(mask.sum()), 0: int(mask.size - mask.sum())}
    else:
        cut = 0 if kind == "0/1" else 127
        counts = {}
        for value, count in histogram.items():
            counts[int(value > cut)] = counts.get(int(value > cut), 0) + count
    for key, count in counts.items():
        report.pixels[key] = report.pixels.get(key, 0) + count


def _add_classes(report: MaskReport, sample_id: str, histogram: Any, table: ClassTable) -> None:
    if isinstance(histogram, str):
        label = f"more than {MAX_DISTINCT} values" if histogram == "many" else "colour mask"
        report.unknown.setdefault(label, sample_id)
        return
    if table.colors is not None:
        known = [(r << 16) | (g << 8) | b for r, g, b in table.colors]
    else:
        known = list(table.values)
    position = {value: index for index, value in enumerate(known)}
    for raw, count in histogram.items():
        index = position.get(raw)
        if index is None:
            label = f"rgb{_key_color(raw)}" if table.colors is not None else f"value {raw}"
            report.unknown.setdefault(label, sample_id)
            continue
        report.pixels[index] = report.pixels.get(index, 0) + count
        report.masks_with[index] = report.masks_with.get(index, 0) + 1
