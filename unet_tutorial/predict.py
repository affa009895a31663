"""Segmenting your own photos with a trained checkpoint: what ``python -m unet_tutorial predict``
does, safely and in bounded memory.

For every photo it writes, at the photo's own size:

- ``<name>_mask.png``: binary models 0 (land) / 255 (water); multi-class models a palette PNG
  whose pixel values are the class indices (viewers show the class colours);
- ``<name>_overlay.png``: the photo with the predicted water (or every class but class 0, taken
  as background) tinted.

**Safe.** Inputs are photo files or folders (searched recursively; the outputs keep the photos'
paths relative to the folder). :func:`plan_outputs` checks everything before anything is
written: two inputs that would write the same output file, or an output that already exists
(unless ``overwrite``), stop the command with the list of clashes. A photo that cannot be
decoded is named and skipped; the others go on.

**Bounded memory.** The book's networks see whole photos shrunk to S×S, so the default path is:
decode (JPEG at a reduced scale), shrink to S×S exactly as training did
(:func:`~unet_tutorial.data.transforms.photo_to_input`), predict (several photos per forward
pass), then resize the logits to the photo's size block by block
(:func:`~unet_tutorial.inference.label_map`) into a uint8 mask, write it, keep it
packed 8 pixels to a byte (binary), decode the photo again
(:func:`~unet_tutorial.data.io.read_bgr`: 3 bytes per pixel) and draw the overlay on it in
strips of rows (:func:`~unet_tutorial.viz.overlay.tint`). Beside PyTorch itself,
only the decoded photo, the mask and one block of logits are in memory at a time (measured on a
12000×9000 PNG: see the README). ``tile`` selects the
other path, for networks trained at the photos' own scale: overlapping tiles at full
resolution with blended logits (:func:`~unet_tutorial.inference.tiled_label_map`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from unet_tutorial.data.class_masks import class_mask_image
from unet_tutorial.data.classes import ClassTable
from unet_tutorial.data.io import IMAGE_EXTENSIONS, CorruptFileError, open_file, read_bgr, read_rgb
from unet_tutorial.inference import label_map, predict_logits, tiled_label_map
from unet_tutorial.models import model_from_spec
from unet_tutorial.training.checkpoint import CheckpointError, load_checkpoint
from unet_tutorial.training.step import memory_format_for, model_device
from unet_tutorial.viz.overlay import tint

#: Rows of the overlay drawn at a time.
STRIP_ROWS = 64

#: Largest photo ``predict`` decodes unless told otherwise (pixels). Pillow's own guard against
#: decompression bombs stops at 179 megapixels with a warning from 89; this limit replaces it.
MAX_PIXELS = 600_000_000


class PredictionError(ValueError):
    """A problem that stops ``predict`` before it writes anything (clashing or existing
    outputs, no photos)."""


@dataclass
class Predictor:
    """A trained network ready to segment photos.

    Attributes:
        model: the network, in eval mode on its device.
        image_size: S, the side of the square its training photos were shrunk to.
        table: the class table of a multi-class model (``None``: binary, one water logit).
        threshold: water probability above which a pixel is water (binary only).
        meta: the checkpoint's ``meta`` (the run's spec).
    """

    model: nn.Module
    image_size: int
    table: ClassTable | None = None
    threshold: float = 0.5
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return 1 if self.table is None else self.table.num_classes

    def to(self, device: str | torch.device) -> Predictor:
        device = torch.device(device)
        self.model = self.model.to(device, memory_format=memory_format_for(device)).eval()
        return self


def class_table_from_meta(meta: dict[str, Any], num_classes: int) -> ClassTable | None:
    """The class table a checkpoint was trained with (``None`` for a binary model)."""
    if num_classes < 2:
        return None
    stored = meta.get("classes")
    if stored:
        table = ClassTable.from_dict(stored, "the checkpoint's class table")
        if table.num_classes == num_classes:
            return table
    return ClassTable.default(num_classes)


def load_predictor(path: str | Path, device: str | torch.device = "cpu") -> Predictor:
    """The network, its training image size and its classes from a checkpoint of this package.

    Raises:
        FileNotFoundError: no such file.
        CheckpointError: not a checkpoint of this package, or its weights do not fit the model.
    """
    checkpoint = load_checkpoint(path)
    meta: dict[str, Any] = checkpoint.get("meta") or {}
    if "model" not in meta or "image_size" not in meta:
        raise CheckpointError(
            f"{path} is incompatible: it does not say which model and image size it was trained "
            "with (no 'model'/'image_size' in its meta). Use a best.pt written by "
            "`python -m unet_tutorial train`."
        )
    try:
        model = model_from_spec(meta["model"], pretrained=False)
        model.load_state_dict(checkpoint["model"])
    except (ValueError, RuntimeError, TypeError) as error:
        first_line = str(error).splitlines()[0]
        raise CheckpointError(
            f"{path} is incompatible with {meta['model'].get('name')!r}: {first_line}"
        ) from error
    classes = int(getattr(model, "num_classes", 1))
    threshold = float((checkpoint.get("config") or {}).get("threshold", 0.5))
    predictor = Predictor(
        model.eval(), int(meta["image_size"]), class_table_from_meta(meta, classes), threshold, meta
    )
    return predictor.to(device)


# --------------------------------------------------------------------------------------------
# Which photos, which outputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One photo and where its outputs go."""

    photo: Path
    mask: Path
    overlay: Path


def _photos_in(folder: Path) -> list[Path]:
    found = [
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in IMAGE_EXTENSIONS
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]
    return sorted(found)


def plan_outputs(inputs: Sequence[Path], out: Path, *, overwrite: bool = False) -> list[Job]:
    """The jobs for ``inputs`` (photo files, or folders searched recursively), writing under
    ``out``: ``<name>_mask.png`` and ``<name>_overlay.png``, a folder's photos keeping their
    relative paths.

    Raises:
        FileNotFoundError: for an input that does not exist.
        PredictionError: when two photos would write the same output, when an output exists
            and ``overwrite`` is false, or when there is no photo at all. Nothing is written.
    """
    jobs: list[Job] = []
    seen: set[Path] = set()
    for item in inputs:
        item = Path(item)
        if item.is_dir():
            photos = [(p, p.relative_to(item).parent) for p in _photos_in(item)]
        elif item.is_file():
            photos = [(item, Path())]
        else:
            raise FileNotFoundError(f"{item}: no such file or folder")
        for photo, relative in photos:
            resolved = photo.resolve()
            if resolved in seen:  # the same photo named twice
                continue
            seen.add(resolved)
            folder = out / relative
            jobs.append(
                Job(photo, folder / f"{photo.stem}_mask.png", folder / f"{photo.stem}_overlay.png")
            )
    if not jobs:
        raise PredictionError(
            f"no photos found in {', '.join(map(str, inputs))} (looked for "
            f"{', '.join(sorted(IMAGE_EXTENSIONS))})."
        )
    by_output: dict[Path, list[Path]] = {}
    for job in jobs:
        by_output.setdefault(job.mask, []).append(job.photo)
    clashes = {k: v for k, v in by_output.items() if len(v) > 1}
    if clashes:
        lines = [
            f"  {out_path}: {', '.join(map(str, photos))}" for out_path, photos in clashes.items()
        ]
        raise PredictionError(
            "several photos would write the same output (their names differ only in the "
            "extension or folder); nothing was written. Rename them, or segment them in "
            "separate runs with different --out folders:\n" + "\n".join(lines[:10])
        )
    if not overwrite:
        existing = [p for job in jobs for p in (job.mask, job.overlay) if p.exists()]
        if existing:
            shown = "\n".join(f"  {p}" for p in existing[:10])
            more = f"\n  ... and {len(existing) - 10} more" if len(existing) > 10 else ""
            raise PredictionError(
                f"{len(existing)} output file(s) exist already; nothing was written. Pass "
                f"--overwrite to replace them, or choose another --out:\n{shown}{more}"
            )
    return jobs


# --------------------------------------------------------------------------------------------
# One photo
# --------------------------------------------------------------------------------------------


class PhotoError(ValueError):
    """A photo ``predict`` cannot segment (named, with what to check); the others go on."""


@contextlib.contextmanager
def pixel_limit(max_pixels: int) -> Iterator[None]:
    """Replace Pillow's decompression-bomb guard by ``max_pixels`` (checked in
    :func:`photo_size`) while predicting."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _unreadable(path: Path, error: Exception) -> PhotoError:
    cause = error.__cause__ or error
    return PhotoError(
        f"{path}: cannot be decoded as an image ({type(cause).__name__}: {cause}). Is it a "
        "photo file (JPEG, PNG, WEBP, TIFF, BMP, ...), complete and not damaged? It was "
        "skipped."
    )


def photo_size(path: Path, max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """``(height, width)`` from the photo's header.

    Raises:
        PhotoError: for a file that is not an image, or one above ``max_pixels``.
    """
    try:
        with open_file(path) as image:
            width, height = image.size
    except CorruptFileError as error:
        raise _unreadable(path, error) from None
    if width * height > max_pixels:
        raise PhotoError(
            f"{path}: {width}×{height} pixels ({width * height / 1e6:.0f} megapixels) is more "
            f"than the limit of {max_pixels / 1e6:.0f} megapixels; raise --max-pixels if the "
            "file is a photo you trust. It was skipped."
        )
    return height, width


@contextlib.contextmanager
def skipped_if_undecodable(path: Path) -> Iterator[None]:
    """Turn a :class:`~unet_tutorial.data.io.CorruptFileError` while decoding ``path`` into the
    :class:`PhotoError` that names the photo and says it was skipped."""
    try:
        yield
    except CorruptFileError as error:
        raise _unreadable(path, error) from None


def network_input(path: Path, image_size: int) -> torch.Tensor:
    """The photo as the network sees it: ``3×S×S``, prepared as in training."""
    from unet_tutorial.data.transforms import photo_to_input

    with skipped_if_undecodable(path):
        photo = read_rgb(path, (image_size, image_size))
    return photo_to_input(photo, image_size)


def class_pixels(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Pixels per class of a label map, counted a strip at a time (no full-size copy)."""
    counts = np.zeros(max(num_classes, 2), np.int64)
    for top in range(0, labels.shape[0], STRIP_ROWS):
        counts += np.bincount(labels[top : top + STRIP_ROWS].ravel(), minlength=len(counts))
    return counts


def write_mask(path: Path, labels: np.ndarray, table: ClassTable | None) -> None:
    """The mask PNG: 0/255 grey (binary) or a palette PNG of class indices, written from
    ``labels`` without a full-size copy (binary labels are scaled to 255 and back in place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if table is not None:
        class_mask_image(labels, table).save(path)
        return
    np.multiply(labels, np.uint8(255), out=labels)
    try:
        Image.frombuffer("L", labels.shape[::-1], labels, "raw", "L", 0, 1).save(path)
    finally:
        np.floor_divide(labels, np.uint8(255), out=labels)


class LabelRows:
    """A label map kept compactly while the overlay is drawn: a binary mask packed 8 pixels
    to a byte (13.5 MB instead of 108 MB for 12000×9000), class indices as they are."""

    def __init__(self, labels: np.ndarray, binary: bool) -> None:
        self.width = labels.shape[1]
        self.binary = binary
        self.data = np.packbits(labels, axis=1) if binary else labels

    def rows(self, top: int, bottom: int) -> np.ndarray:
        """``labels[top:bottom]`` as uint8."""
        if not self.binary:
            return self.data[top:bottom]
        return np.unpackbits(self.data[top:bottom], axis=1, count=self.width)


def decode_bgr(path: Path, size: tuple[int, int]) -> np.ndarray:
    """The whole photo of ``size`` ``(height, width)`` as an ``H×W×3`` uint8 BGR array
    (:func:`~unet_tutorial.data.io.read_bgr`).

    Raises:
        PhotoError: naming a photo that cannot be decoded.
    """
    with skipped_if_undecodable(path):
        return read_bgr(path, size)


def draw_overlay(
    path: Path, labels: LabelRows, photo: np.ndarray, table: ClassTable | None
) -> None:
    """The overlay PNG, drawn on the BGR ``photo`` (:func:`decode_bgr`) in place,
    :data:`STRIP_ROWS` rows at a time."""
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    for top in range(0, photo.shape[0], STRIP_ROWS):
        rows = slice(top, top + STRIP_ROWS)
        bottom = min(photo.shape[0], top + STRIP_ROWS)
        photo[rows] = tint(photo[rows], labels.rows(top, bottom), table, bgr=True)
    if not cv2.imwrite(str(path), photo, [cv2.IMWRITE_PNG_COMPRESSION, 3]):
        Image.fromarray(np.ascontiguousarray(photo[..., ::-1])).save(path)


def describe_result(job: Job, labels: np.ndarray, table: ClassTable | None) -> str:
    """The line ``predict`` prints for a photo: its water share or its class shares."""
    counts = class_pixels(labels, 1 if table is None else table.num_classes)
    shares = counts / max(1, labels.size)
    outputs = f"{job.mask.name}, {job.overlay.name}"
    if table is None:
        return f"{job.photo}: water {shares[1]:.1%} -> {outputs}"
    parts = ", ".join(
        f"{name} {share:.1%}"
        for name, share in zip(table.names, shares[: table.num_classes], strict=True)
    )
    return f"{job.photo}: {parts} -> {outputs}"


@dataclass
class PredictionSummary:
    """What a ``predict`` run did."""

    images: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def predict_photos(
    predictor: Predictor,
    jobs: Sequence[Job],
    *,
    batch_size: int = 8,
    tile: int | None = None,
    overlap: int | None = None,
    max_pixels: int = MAX_PIXELS,
    echo: Any = print,
    warn: Any = None,
) -> PredictionSummary:
    """Segment every job's photo and write its outputs (see the module docstring).

    Args:
        batch_size: photos (default path) or tiles (``tile``) per forward pass.
        tile: segment at the photo's own resolution in tiles of this side (``None``: shrink to
            S×S as in training).
        overlap: pixels shared by neighbouring tiles (default a quarter of ``tile``).
        max_pixels: larger photos are skipped with a message.
        echo, warn: where the per-photo lines and the error messages go.
    """
    summary = PredictionSummary(images=len(jobs))
    warn = warn or echo
    model, device = predictor.model, model_device(predictor.model)

    def fail(error: Exception) -> None:
        summary.failed += 1
        summary.errors.append(str(error))
        warn(f"error: {error}")

    def finish(job: Job, labels: list[np.ndarray], photo: np.ndarray | None = None) -> None:
        """Write a photo's outputs; ``labels`` is a one-element list, emptied here so that
        only the compact copy stays while the photo is decoded."""
        write_mask(job.mask, labels[0], predictor.table)
        line = describe_result(job, labels[0], predictor.table)
        size = labels[0].shape
        rows = LabelRows(labels.pop(), binary=predictor.table is None)
        photo = photo if photo is not None else decode_bgr(job.photo, size)
        draw_overlay(job.overlay, rows, photo, predictor.table)
        del photo
        summary.lines.append(line)
        echo(line)

    with pixel_limit(max_pixels):
        if tile is not None:
            for job in jobs:
                try:
                    photo = decode_bgr(job.photo, photo_size(job.photo, max_pixels))
                    labels = tiled_label_map(
                        model,
                        photo[..., ::-1],  # RGB view
                        tile,
                        overlap,
                        predictor.threshold,
                        batch_size=batch_size,
                    )
                    finish(job, [labels], photo)
                    del labels, photo
                except (PhotoError, OSError) as error:
                    fail(error)
            return summary
        for start in range(0, len(jobs), batch_size):
            batch, inputs, sizes = [], [], []
            for job in jobs[start : start + batch_size]:
                try:
                    sizes.append(photo_size(job.photo, max_pixels))
                    inputs.append(network_input(job.photo, predictor.image_size))
                    batch.append(job)
                except (PhotoError, OSError) as error:
                    if len(sizes) > len(inputs):
                        sizes.pop()
                    fail(error)
            if not batch:
                continue
            logits = predict_logits(model, torch.stack(inputs)).to(device)
            for index, (job, size) in enumerate(zip(batch, sizes, strict=True)):
                try:
                    finish(job, [label_map(logits[index : index + 1], size, predictor.threshold)])
                except (PhotoError, OSError) as error:
                    fail(error)
    return summary


def summary_json(summary: PredictionSummary, out: Path) -> str:
    """The last line of ``predict``: ``{"images": n, "failed": k, "out": "..."}``."""
    return json.dumps({"images": summary.images, "failed": summary.failed, "out": str(out)})
