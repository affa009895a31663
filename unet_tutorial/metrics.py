"""Segmentation metrics for one foreground class (flood, or the shapes of chapter 4), and for
several classes (confusion matrices, per-class and mean IoU; see the end of the module).

Everything starts from the four confusion counts of each image, over its pixels:

- ``tp`` (true positives): predicted foreground, truly foreground;
- ``fp`` (false positives): predicted foreground, truly background;
- ``fn`` (false negatives): predicted background, truly foreground;
- ``tn`` (true negatives): predicted background, truly background.

From them (for the foreground class)::

    IoU       = tp / (tp + fp + fn)          (Jaccard index)
    Dice      = 2 tp / (2 tp + fp + fn)      (= F1 score, the harmonic mean of the next two)
    precision = tp / (tp + fp)
    recall    = tp / (tp + fn)
    pixel accuracy = (tp + tn) / (tp + fp + fn + tn)

Two ways to summarise a set of images, both reported:

- **micro** (dataset level): sum the counts over all images, then take the ratios. Large images
  and large objects weigh more. This is what ``torchmetrics`` computes by default.
- **per image**: take the ratios on each image, then average them. Every image weighs the same.

Empty masks. A ratio whose denominator is 0 (``0 / 0``) is defined as **1 when the prediction has
no error at all** (``fp == fn == 0``) and **0 otherwise**:

- truth and prediction both empty: IoU = Dice = precision = recall = 1 (nothing to find, nothing
  falsely found);
- truth empty, prediction not: IoU = Dice = precision = 0 and recall (0/0) = 0;
- prediction empty, truth not: IoU = Dice = recall = 0 and precision (0/0) = 0.

This keeps Dice the harmonic mean of precision and recall in every case.

Thresholds. Predictions can be given as ``"logits"`` (raw model outputs, the default),
``"probabilities"`` (after a sigmoid) or ``"masks"`` (already 0/1). A pixel is predicted foreground
when its probability is strictly greater than ``threshold`` (default 0.5), which for logits means
``logit > log(threshold / (1 - threshold))`` (``logit > 0`` at 0.5); masks must hold only 0 and 1.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import torch
import torch.nn.functional as F

PredictionKind = Literal["logits", "probabilities", "masks"]

SCORE_NAMES: tuple[str, ...] = ("iou", "dice", "precision", "recall", "pixel_accuracy")
"""The names of the scores, in the order the book's tables show them."""

COUNT_NAMES: tuple[str, ...] = ("tp", "fp", "fn", "tn")
"""Column order of the count tensors returned by :func:`confusion_counts`."""


def _as_image_batch(x: torch.Tensor, name: str) -> torch.Tensor:
    """``H×W``, ``N×H×W`` or ``N×1×H×W`` -> ``N×H×W``."""
    if x.ndim == 2:
        return x.unsqueeze(0)
    if x.ndim == 3:
        return x
    if x.ndim == 4 and x.shape[1] == 1:
        return x[:, 0]
    raise ValueError(
        f"{name} has shape {tuple(x.shape)}; expected H×W, N×H×W or N×1×H×W "
        "(one foreground class: a single channel)."
    )


def _check_binary(mask: torch.Tensor, name: str) -> torch.Tensor:
    """A 0/1 (or bool) tensor as bool; anything else is refused with a hint."""
    if mask.dtype == torch.bool:
        return mask
    bad = (mask != 0) & (mask != 1)
    if bool(bad.any()):
        value = mask[bad].flatten()[0].item()
        raise ValueError(
            f"{name} must hold only 0 and 1, found {value!r}; for 0-255 masks threshold them "
            "first (e.g. `mask > 127`)."
        )
    return mask != 0


def binarize(
    prediction: torch.Tensor, kind: PredictionKind = "logits", threshold: float = 0.5
) -> torch.Tensor:
    """The predicted foreground as a bool tensor of the same shape as ``prediction``.

    Args:
        prediction: logits, probabilities in [0, 1], or a 0/1 mask (see ``kind``); any shape.
        kind: ``"logits"``, ``"probabilities"`` or ``"masks"``.
        threshold: probability above which (strictly) a pixel counts as foreground; in (0, 1).
            Ignored for ``"masks"``.

    Raises:
        ValueError: for an unknown ``kind``, a threshold outside (0, 1), probabilities outside
            [0, 1] or a mask with values other than 0 and 1.
    """
    if kind == "masks":
        return _check_binary(prediction, "prediction mask")
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must lie strictly between 0 and 1, got {threshold}.")
    if kind == "logits":
        # Comparing logits avoids the sigmoid's saturation at 0 and 1 in float32.
        return prediction > math.log(threshold / (1.0 - threshold))
    if kind == "probabilities":
        if bool(((prediction < 0) | (prediction > 1)).any()):
            raise ValueError(
                "probabilities must lie in [0, 1], found values from "
                f"{prediction.min().item():.3g} to {prediction.max().item():.3g}; "
                'pass kind="logits" for raw model outputs.'
            )
        return prediction > threshold
    raise ValueError(f'kind must be "logits", "probabilities" or "masks", got {kind!r}.')


def confusion_counts(
    prediction: torch.Tensor,
    target: torch.Tensor,
    kind: PredictionKind = "logits",
    threshold: float = 0.5,
) -> torch.Tensor:
    """The confusion counts of every image: an ``N×4`` int64 tensor with columns tp, fp, fn, tn.

    Args:
        prediction: ``N×1×H×W``, ``N×H×W`` or ``H×W`` logits / probabilities / 0-1 masks
            (see :func:`binarize` for ``kind`` and ``threshold``).
        target: the true 0/1 masks, same ``N``, ``H`` and ``W`` (``N×1×H×W``, ``N×H×W`` or ``H×W``).

    Raises:
        ValueError: when the shapes differ (upsample the logits to the mask's size first), or the
            inputs are not valid predictions / 0-1 masks.
    """
    predicted = _as_image_batch(binarize(prediction, kind, threshold), "prediction")
    truth = _check_binary(_as_image_batch(target, "target"), "target")
    if predicted.shape != truth.shape:
        raise ValueError(
            f"prediction {tuple(prediction.shape)} and target {tuple(target.shape)} cover "
            "different pixels; resize the logits to the mask's size first "
            "(F.interpolate(logits, size=mask.shape[-2:], mode='bilinear'))."
        )
    if predicted.shape[-1] * predicted.shape[-2] == 0:
        raise ValueError(f"prediction has no pixels (shape {tuple(prediction.shape)}).")
    predicted = predicted.flatten(1)
    truth = truth.flatten(1)
    tp = (predicted & truth).sum(1)
    fp = (predicted & ~truth).sum(1)
    fn = (~predicted & truth).sum(1)
    tn = (~predicted & ~truth).sum(1)
    return torch.stack([tp, fp, fn, tn], dim=1).to(torch.int64)


def ratio_or_perfect(
    numerator: torch.Tensor, denominator: torch.Tensor, perfect: torch.Tensor
) -> torch.Tensor:
    """``numerator / denominator``, with 0/0 -> 1 where the prediction is perfect, else 0."""
    safe = torch.where(denominator > 0, denominator, torch.ones_like(denominator))
    value = numerator / safe
    return torch.where(denominator > 0, value, perfect.to(value.dtype))


def scores_from_counts(counts: torch.Tensor) -> dict[str, torch.Tensor]:
    """IoU, Dice, precision, recall and pixel accuracy from confusion counts.

    Args:
        counts: ``...×4`` counts (tp, fp, fn, tn), e.g. ``N×4`` per image or ``4`` summed.

    Returns:
        ``{name: tensor of shape ...}`` (float64) for every name in :data:`SCORE_NAMES`, with the
        empty-mask rule of this module's docstring.
    """
    if counts.shape[-1] != 4:
        raise ValueError(
            f"counts must end in 4 columns (tp, fp, fn, tn), got {tuple(counts.shape)}."
        )
    tp, fp, fn, tn = counts.to(torch.float64).unbind(-1)
    perfect = (fp == 0) & (fn == 0)
    return {
        "iou": ratio_or_perfect(tp, tp + fp + fn, perfect),
        "dice": ratio_or_perfect(2 * tp, 2 * tp + fp + fn, perfect),
        "precision": ratio_or_perfect(tp, tp + fp, perfect),
        "recall": ratio_or_perfect(tp, tp + fn, perfect),
        "pixel_accuracy": ratio_or_perfect(tp + tn, tp + fp + fn + tn, perfect),
    }


def summarize_counts(counts: torch.Tensor) -> dict[str, float]:
    """Micro and per-image scores of a set of images from their ``N×4`` counts.

    Returns:
        ``iou``, ``dice``, ``precision``, ``recall``, ``pixel_accuracy`` (micro: counts summed
        over the images, then the ratio), the same names prefixed ``per_image_`` (the ratio on
        each image, then the mean over images), and ``images`` (N).
    """
    if counts.ndim != 2 or counts.shape[1] != 4 or counts.shape[0] == 0:
        raise ValueError(f"expected N×4 counts of at least one image, got {tuple(counts.shape)}.")
    micro = scores_from_counts(counts.sum(0))
    per_image = scores_from_counts(counts)
    summary = {name: float(micro[name]) for name in SCORE_NAMES}
    summary.update({f"per_image_{name}": float(per_image[name].mean()) for name in SCORE_NAMES})
    summary["images"] = int(counts.shape[0])
    return summary


def segmentation_scores(
    prediction: torch.Tensor,
    target: torch.Tensor,
    kind: PredictionKind = "logits",
    threshold: float = 0.5,
) -> dict[str, float]:
    """Micro and per-image scores of one batch (see :func:`summarize_counts` for the keys)."""
    return summarize_counts(confusion_counts(prediction, target, kind, threshold))


class SegmentationMetrics:
    """Accumulates confusion counts over batches (an epoch, a test split) and summarises them.

    Batches may differ in size from one :meth:`update` to the next, so test images can be fed one
    at a time at their original resolution.

    Example::

        metrics = SegmentationMetrics()
        for images, masks in loader:
            metrics.update(model(images), masks)  # logits N×1×H×W, masks N×1×H×W
        metrics.compute()["iou"]

    Args:
        kind: what :meth:`update` receives as predictions (``"logits"``, ``"probabilities"``,
            ``"masks"``).
        threshold: foreground probability threshold (strict ``>``), see :func:`binarize`.
    """

    def __init__(self, kind: PredictionKind = "logits", threshold: float = 0.5) -> None:
        binarize(torch.zeros(1), kind, threshold)  # validate the arguments now, not at update
        self.kind = kind
        self.threshold = threshold
        self._counts: list[torch.Tensor] = []

    def reset(self) -> None:
        """Forget every image seen so far."""
        self._counts.clear()

    @torch.no_grad()
    def update(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Add a batch; return its ``N×4`` counts (tp, fp, fn, tn) on the CPU.

        Args:
            prediction: ``N×1×H×W`` (or ``N×H×W`` / ``H×W``) predictions of the chosen ``kind``.
            target: the 0/1 masks of the same size.
        """
        counts = confusion_counts(prediction.detach(), target, self.kind, self.threshold).cpu()
        self._counts.append(counts)
        return counts

    def counts(self) -> torch.Tensor:
        """The ``N×4`` counts of every image seen, in the order they came."""
        if not self._counts:
            return torch.zeros(0, 4, dtype=torch.int64)
        return torch.cat(self._counts)

    def per_image(self) -> dict[str, torch.Tensor]:
        """Each image's scores (1-D tensors, in update order), e.g. to find best and worst cases."""
        return scores_from_counts(self.counts())

    def compute(self) -> dict[str, float]:
        """Micro and per-image scores of everything seen (keys: see :func:`summarize_counts`).

        Raises:
            ValueError: before the first :meth:`update`.
        """
        if not self._counts:
            raise ValueError("SegmentationMetrics.compute() called before any update().")
        return summarize_counts(self.counts())


def boundary_band(mask: torch.Tensor, width: int = 1) -> torch.Tensor:
    """The inner boundary of 0/1 masks: foreground pixels within ``width`` pixels of background.

    Args:
        mask: ``N×1×H×W`` 0/1 or bool masks.
        width: band width in pixels (a square neighbourhood of side ``2 * width + 1``).

    Returns:
        ``N×1×H×W`` bool. The image border does not count as background.
    """
    if width < 1:
        raise ValueError(f"width must be a positive number of pixels, got {width}.")
    if mask.ndim != 4 or mask.shape[1] != 1:
        raise ValueError(f"mask must be N×1×H×W, got shape {tuple(mask.shape)}.")
    inside = _check_binary(mask, "mask")
    # Erosion = "no background pixel in the neighbourhood" = max-pool of the background is 0.
    background = (~inside).to(torch.float32)
    near_background = F.max_pool2d(background, 2 * width + 1, stride=1, padding=width) > 0
    return inside & near_background


def boundary_iou(
    prediction: torch.Tensor,
    target: torch.Tensor,
    kind: PredictionKind = "logits",
    threshold: float = 0.5,
    width: int = 1,
) -> float:
    """Boundary IoU (Cheng et al., 2021) over a batch, micro-averaged.

    The IoU of the inner boundary bands (:func:`boundary_band`) of the predicted and the true
    masks: it only looks at the pixels along the contours, so it rewards sharp, well-placed
    boundaries, where the ordinary IoU is dominated by the easy interior of large objects.
    Both bands empty gives 1.

    Args:
        prediction: ``N×1×H×W`` logits / probabilities / masks (see :func:`binarize`).
        target: ``N×1×H×W`` 0/1 masks.
        width: band width in pixels.
    """
    if prediction.shape != target.shape:
        raise ValueError(
            f"prediction {tuple(prediction.shape)} and target {tuple(target.shape)} differ in "
            "shape; both must be N×1×H×W."
        )
    predicted = boundary_band(binarize(prediction, kind, threshold), width)
    truth = boundary_band(target, width)
    intersection = (predicted & truth).sum().item()
    union = (predicted | truth).sum().item()
    return 1.0 if union == 0 else intersection / union


# --------------------------------------------------------------------------------------------
# Several classes
# --------------------------------------------------------------------------------------------
#
# With C classes every pixel has one true and one predicted class. The C×C **confusion matrix**
# counts them: ``matrix[t, p]`` pixels of true class t predicted as class p (rows: truth,
# columns: prediction). Each class c then has its own counts, one class against the rest:
# tp = matrix[c, c], fp = column c minus tp, fn = row c minus tp, tn = everything else, and the
# scores above. Averages over classes ("mean IoU", "mean Dice") give every class the same
# weight, however many pixels it covers; a class that appears neither in the truth nor in the
# prediction (nothing to score: 0/0) is left out of the averages.

MULTICLASS_SCORE_NAMES: tuple[str, ...] = ("mean_iou", "mean_dice", "pixel_accuracy")
"""The summary scores of a multi-class evaluation."""


def predicted_classes(logits: torch.Tensor) -> torch.Tensor:
    """The class of every pixel: the argmax over the channels of ``N×C×H×W`` logits (or
    probabilities), ``N×H×W`` int64. Ties go to the lower class index."""
    if logits.ndim != 4 or logits.shape[1] < 2:
        raise ValueError(
            f"expected N×C×H×W logits with C >= 2 classes, got shape {tuple(logits.shape)}."
        )
    return logits.argmax(dim=1)


def confusion_matrices(
    predicted: torch.Tensor, target: torch.Tensor, num_classes: int
) -> torch.Tensor:
    """One C×C confusion matrix per image: ``N×C×C`` int64, ``[n, true, predicted]``.

    Args:
        predicted: ``N×H×W`` (or ``H×W``) predicted classes.
        target: true classes of the same pixels (``N×1×H×W``, ``N×H×W`` or ``H×W``; any number
            type holding whole numbers ``0 .. C-1``).

    Raises:
        ValueError: when the shapes differ or a class lies outside ``0 .. C-1``.
    """
    predicted = _as_image_batch(predicted, "prediction").long()
    truth = _as_image_batch(target, "target")
    if predicted.shape != truth.shape:
        raise ValueError(
            f"prediction {tuple(predicted.shape)} and target {tuple(truth.shape)} cover "
            "different pixels; resize the logits to the mask's size first."
        )
    truth_long = truth.long()
    if bool((truth_long != truth).any()) or bool(
        ((truth_long < 0) | (truth_long >= num_classes)).any()
    ):
        raise ValueError(f"target classes must be whole numbers 0 .. {num_classes - 1}.")
    if bool(((predicted < 0) | (predicted >= num_classes)).any()):
        raise ValueError(f"predicted classes must lie in 0 .. {num_classes - 1}.")
    flat = (truth_long * num_classes + predicted).flatten(1)
    offsets = torch.arange(flat.shape[0], device=flat.device)[:, None] * num_classes**2
    counts = torch.bincount((flat + offsets).flatten(), minlength=flat.shape[0] * num_classes**2)
    return counts.view(-1, num_classes, num_classes).to(torch.int64).cpu()


def class_counts(matrix: torch.Tensor) -> torch.Tensor:
    """Per-class ``tp, fp, fn, tn`` of a ``...×C×C`` confusion matrix: ``...×C×4``."""
    diagonal = matrix.diagonal(dim1=-2, dim2=-1)
    predicted = matrix.sum(-2)  # column sums
    true = matrix.sum(-1)  # row sums
    total = matrix.sum((-2, -1))[..., None]
    tp, fp, fn = diagonal, predicted - diagonal, true - diagonal
    return torch.stack([tp, fp, fn, total - tp - fp - fn], dim=-1)


def multiclass_scores(matrix: torch.Tensor) -> dict[str, Any]:
    """Scores of one C×C confusion matrix (summed over the images for the micro scores).

    Returns:
        ``per_class``: for every name of :data:`SCORE_NAMES` a list of C values, plus
        ``present`` (whether the class appears in the truth or the prediction); ``mean_iou``
        and ``mean_dice`` over the present classes; ``pixel_accuracy`` (share of pixels with
        the right class).
    """
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"expected a C×C confusion matrix, got shape {tuple(matrix.shape)}.")
    counts = class_counts(matrix)
    scores = scores_from_counts(counts)
    present = (counts[:, 0] + counts[:, 1] + counts[:, 2]) > 0
    total = int(matrix.sum())
    chosen = present if bool(present.any()) else torch.ones_like(present)
    return {
        "per_class": {name: v.tolist() for name, v in scores.items()}
        | {"present": present.tolist()},
        "mean_iou": float(scores["iou"][chosen].mean()),
        "mean_dice": float(scores["dice"][chosen].mean()),
        "pixel_accuracy": (float(matrix.diagonal().sum()) / total if total else 1.0),
    }


class MulticlassMetrics:
    """Accumulates per-image confusion matrices of C classes and summarises them.

    Example::

        metrics = MulticlassMetrics(3)
        for images, masks in loader:
            metrics.update(model(images), masks)  # logits N×3×H×W, masks of class indices
        metrics.compute()["mean_iou"]

    Args:
        num_classes: C (at least 2).
    """

    def __init__(self, num_classes: int) -> None:
        if num_classes < 2:
            raise ValueError(f"a multi-class metric needs at least 2 classes, got {num_classes}.")
        self.num_classes = num_classes
        self._matrices: list[torch.Tensor] = []

    def reset(self) -> None:
        self._matrices.clear()

    @torch.no_grad()
    def update(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Add a batch of ``N×C×H×W`` logits; return its ``N×C×C`` matrices."""
        if logits.shape[1] != self.num_classes:
            raise ValueError(
                f"the logits have {logits.shape[1]} channels, the metric {self.num_classes} "
                "classes."
            )
        return self.update_classes(predicted_classes(logits.detach()), target)

    @torch.no_grad()
    def update_classes(self, predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Add a batch of predicted classes (``N×H×W``); return its ``N×C×C`` matrices."""
        matrices = confusion_matrices(predicted, target, self.num_classes)
        self._matrices.append(matrices)
        return matrices

    def matrices(self) -> torch.Tensor:
        """The ``N×C×C`` matrices of every image seen, in the order they came."""
        if not self._matrices:
            return torch.zeros(0, self.num_classes, self.num_classes, dtype=torch.int64)
        return torch.cat(self._matrices)

    def confusion(self) -> torch.Tensor:
        """The C×C matrix summed over every image seen."""
        return self.matrices().sum(0)

    def compute(self) -> dict[str, Any]:
        """:func:`multiclass_scores` of the summed matrix, plus ``iou`` and ``dice`` (the means,
        under the names the trainer's history uses) and ``images``.

        Raises:
            ValueError: before the first update.
        """
        if not self._matrices:
            raise ValueError("MulticlassMetrics.compute() called before any update().")
        scores = multiclass_scores(self.confusion())
        scores["iou"], scores["dice"] = scores["mean_iou"], scores["mean_dice"]
        scores["images"] = int(self.matrices().shape[0])
        return scores
