"""What a folder of masks holds: each mask's raw values counted once, and what they mean for the
segmentation asked for (``inspect`` prints it).

For binary segmentation every mask gets a kind by the rule of :mod:`.binary_masks` (``0/1``,
``0/255``, or why it is no binary mask) and the foreground's share of the pixels is counted; with
a class table each class's share of the pixels, and the values or colours no class explains.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from unet_tutorial.data.binary_masks import THRESHOLDS, binary_kind, binary_mask_values, read_mask
from unet_tutorial.data.class_masks import color_keys, index_values
from unet_tutorial.data.classes import ClassTable, key_color
from unet_tutorial.data.io import MaskValuesError, open_file

#: Raw values (or colours) recorded per mask by :func:`mask_histogram`; more means "not classes".
MAX_DISTINCT = 256

HistogramKind = Literal["binary", "index", "colour"]
"""How a mask is read: ``"binary"`` (the values :func:`~.binary_masks.read_mask` binarises),
``"index"`` (the values :func:`~.class_masks.read_class_mask` maps) or ``"colour"`` (RGB
colours as ``0xRRGGBB``)."""

HistogramProblem = Literal["many", "colour", "palette", "unreadable"]
"""Why a mask has no histogram: ``"many"`` (more than :data:`MAX_DISTINCT` values),
``"colour"`` (a colour mask read as grey or index values), ``"palette"`` (a palette mask with
more than two entries read as binary), ``"unreadable"`` (the file cannot be decoded)."""


@dataclass(frozen=True)
class Histogram:
    """The pixel count of each raw value of one mask, or why there is none.

    Attributes:
        counts: ``{raw value: pixels}``; empty when ``problem`` is set.
        problem: ``None``, or why the mask has no histogram (:data:`HistogramProblem`).
    """

    counts: dict[int, int] = field(default_factory=dict)
    problem: HistogramProblem | None = None

    def to_json(self) -> dict[str, int] | str:
        """The form kept in the fact store: ``{"value": pixels}``, or the problem."""
        if self.problem is not None:
            return self.problem
        return {str(value): count for value, count in self.counts.items()}

    @classmethod
    def from_json(cls, stored: dict[str, int] | str) -> Histogram:
        """The histogram :meth:`to_json` stored."""
        if isinstance(stored, str):
            return cls(problem=stored)  # type: ignore[arg-type]
        return cls({int(value): count for value, count in stored.items()})


def mask_histogram(path: str | Path, kind: HistogramKind = "index") -> Histogram:
    """Pixel count of each raw value of a mask, as the reader of ``kind`` sees it.

    Raises:
        CorruptFileError: naming the file when it cannot be decoded.
    """
    path = Path(path)
    with open_file(path) as image:
        try:
            if kind == "colour":
                raw = color_keys(path, image)
            elif kind == "index":
                raw = index_values(path, image)
            else:
                raw = binary_mask_values(path, image)
        except MaskValuesError as error:  # a palette or colour mask where they do not fit
            return Histogram(problem=error.kind)  # type: ignore[arg-type]
    values, counts = np.unique(raw, return_counts=True)
    if values.size > MAX_DISTINCT:
        return Histogram(problem="many")
    return Histogram({int(v): int(c) for v, c in zip(values, counts, strict=True)})


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
    kind: HistogramKind = (
        "binary" if table is None else "colour" if table.colors is not None else "index"
    )
    for sample_id, path in items:
        report.masks += 1
        histogram = _cached_histogram(path, kind, facts)
        if histogram.problem == "unreadable":
            report.kinds["unreadable"] = report.kinds.get("unreadable", 0) + 1
            report.examples.setdefault("unreadable", []).append(sample_id)
            continue
        if len(found) <= MAX_DISTINCT:
            found.update(histogram.counts)
        if table is None:
            _add_binary(report, sample_id, path, histogram)
        else:
            _add_classes(report, sample_id, histogram, table)
    report.values = sorted(found)[:MAX_DISTINCT]
    if facts is not None:
        facts.save()
    return report


def _cached_histogram(path: Path, kind: HistogramKind, facts: Any) -> Histogram:
    name = f"mask_{kind}_values"
    stored = facts.get(path, name) if facts is not None else None
    if stored is not None:
        return Histogram.from_json(stored)
    try:
        histogram = mask_histogram(path, kind)
    except (ValueError, OSError):  # CorruptFileError is a ValueError
        return Histogram(problem="unreadable")
    if facts is not None:
        facts.put(path, name, histogram.to_json())
    return histogram


def _add_binary(report: MaskReport, sample_id: str, path: Path, histogram: Histogram) -> None:
    if histogram.problem is None:
        kind = binary_kind(max(histogram.counts, default=0))
    elif histogram.problem == "many":
        kind = "0/255"  # more than 256 integer values: the largest is above 255
    else:
        kind = histogram.problem
    report.kinds[kind] = report.kinds.get(kind, 0) + 1
    report.examples.setdefault(kind, []).append(sample_id)
    if kind not in THRESHOLDS:
        return
    if histogram.problem == "many":  # count by the rule itself
        mask = read_mask(path)
        counts = {1: int(mask.sum()), 0: int(mask.size - mask.sum())}
    else:
        cut = THRESHOLDS[kind]
        counts = {}
        for value, count in histogram.counts.items():
            counts[int(value > cut)] = counts.get(int(value > cut), 0) + count
    for key, count in counts.items():
        report.pixels[key] = report.pixels.get(key, 0) + count


def _add_classes(
    report: MaskReport, sample_id: str, histogram: Histogram, table: ClassTable
) -> None:
    if histogram.problem is not None:
        label = f"more than {MAX_DISTINCT} values" if histogram.problem == "many" else "colour mask"
        report.unknown.setdefault(label, sample_id)
        return
    position = {key: index for index, key in enumerate(table.mask_keys())}
    for raw, count in histogram.counts.items():
        index = position.get(raw)
        if index is None:
            label = f"rgb{key_color(raw)}" if table.colors is not None else f"value {raw}"
            report.unknown.setdefault(label, sample_id)
            continue
        report.pixels[index] = report.pixels.get(index, 0) + count
        report.masks_with[index] = report.masks_with.get(index, 0) + 1
