"""Final evaluation at each mask's original resolution, and the per-image cases behind the figures.

The network sees every photo shrunk to S×S; a flood map is wanted at the photo's own size. So
the final numbers are computed the way the model is used: predict at S×S, upsample the
**logits** bilinearly to the photo's H×W (:func:`unet_tutorial.inference.predict_logits`,
the path ``predict`` uses too), threshold, and compare with the original mask. Scores computed
on the S×S masks instead would grade a blurred copy of the labels.

A network with C >= 2 output channels is scored the same way with C classes
(:class:`MulticlassEvaluation`): the resized logits' argmax against the class mask, one C×C
confusion matrix per image, per-class IoU and Dice, their means, and the pixel accuracy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from unet_tutorial.inference import label_map, predict_logits
from unet_tutorial.losses import make_loss
from unet_tutorial.metrics import (
    SCORE_NAMES,
    MulticlassMetrics,
    SegmentationMetrics,
    binarize,
    class_counts,
    multiclass_scores,
    scores_from_counts,
)
from unet_tutorial.runtime import default_device
from unet_tutorial.training.step import memory_format_for, model_device

Sample = tuple[torch.Tensor, torch.Tensor, str]
"""``(image 3×S×S normalized, mask 1×H×W or H×W at the original size, sample id)``."""


@dataclass
class NativeEvaluation:
    """Scores of a split at the original resolution.

    Attributes:
        summary: micro scores (``iou``, ``dice``, ``precision``, ``recall``, ``pixel_accuracy``:
            counts summed over all pixels of all images), the same prefixed ``per_image_`` (mean
            of each image's score) and ``images``.
        ids: the sample ids, in evaluation order.
        per_image: for each score name, one value per image (same order as ``ids``).
        sizes: each image's original ``(H, W)``.
        counts: each image's confusion counts ``[tp, fp, fn, tn]`` (same order as ``ids``).
    """

    summary: dict[str, float]
    ids: list[str]
    per_image: dict[str, list[float]] = field(default_factory=dict)
    sizes: list[tuple[int, int]] = field(default_factory=list)
    counts: list[list[int]] = field(default_factory=list)

    def scores(self) -> dict[str, float]:
        """The five micro scores (what ``metrics.json`` stores under ``test``)."""
        return {name: self.summary[name] for name in SCORE_NAMES}

    def ranked(self, key: str = "iou") -> list[int]:
        """Positions of the images from the worst to the best ``key`` score."""
        values = self.per_image[key]
        return sorted(range(len(values)), key=lambda i: (values[i], self.ids[i]))

    def worst_and_best(self, count: int, key: str = "iou") -> tuple[list[int], list[int]]:
        """The ``count`` worst (lowest first) and ``count`` best (highest first) positions."""
        order = self.ranked(key)
        count = min(count, len(order) // 2) or min(count, len(order))
        return order[:count], order[::-1][:count]

    def bootstrap(
        self,
        key: str = "iou",
        *,
        groups: Iterable[Sequence[str]] = (),
        samples: int = 2000,
        level: float = 0.95,
        seed: int = 0,
    ) -> tuple[float, float]:
        """A percentile bootstrap interval of the micro ``key`` score (:func:`group_bootstrap`).

        Args:
            groups: groups of ids drawn together (the split's near-duplicate groups); every
                other image is a group of its own. Ids not evaluated are ignored.

        It shows how much the number could move with another test set of the same size from
        the same source (it says nothing about other sources of photos).
        """
        if not self.counts:
            raise ValueError("no per-image counts stored: evaluate with evaluate_native().")
        counts = torch.tensor(self.counts, dtype=torch.float64)
        positions = position_groups(self.ids, groups)
        return group_bootstrap(counts, positions, key, samples=samples, level=level, seed=seed)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per image (id, size and scores), e.g. for a table."""
        return [
            {"id": sample_id, "height": h, "width": w}
            | {name: self.per_image[name][i] for name in SCORE_NAMES}
            for i, (sample_id, (h, w)) in enumerate(zip(self.ids, self.sizes, strict=True))
        ]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values, enough to rebuild it (:meth:`from_dict`)."""
        return {
            "kind": "binary",
            "summary": dict(self.summary),
            "ids": list(self.ids),
            "per_image": {name: list(values) for name, values in self.per_image.items()},
            "sizes": [list(size) for size in self.sizes],
            "counts": [list(counts) for counts in self.counts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NativeEvaluation:
        return cls(
            summary=dict(data["summary"]),
            ids=list(data["ids"]),
            per_image={name: list(values) for name, values in data["per_image"].items()},
            sizes=[(int(h), int(w)) for h, w in data["sizes"]],
            counts=[list(counts) for counts in data["counts"]],
        )


def position_groups(ids: Sequence[str], groups: Iterable[Sequence[str]]) -> list[list[int]]:
    """The positions in ``ids`` grouped: each of ``groups`` (restricted to ``ids``, empty ones
    dropped), then every other position as a group of its own, in order."""
    where = {sample_id: n for n, sample_id in enumerate(ids)}
    grouped = [[where[i] for i in group if i in where] for group in groups]
    grouped = [group for group in grouped if group]
    taken = {n for group in grouped for n in group}
    return grouped + [[n] for n in range(len(ids)) if n not in taken]


def group_bootstrap(
    counts: torch.Tensor,
    groups: Sequence[Sequence[int]],
    key: str = "iou",
    *,
    samples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """A percentile bootstrap interval of a micro score, resampling groups of images.

    Each group's confusion counts are summed; the groups are drawn with replacement
    ``samples`` times, the micro ``key`` score is computed from each draw's summed counts, and
    the interval holds the middle ``level`` of those scores. Near-duplicate photos are drawn
    together, as one piece of evidence; with groups of one image each this is the ordinary
    bootstrap over images.

    Args:
        counts: ``N×4`` confusion counts (tp, fp, fn, tn) of the images.
        groups: positions (rows of ``counts``) of the images of each group; every image in one.
    """
    group_counts = torch.stack([counts[list(group)].sum(0) for group in groups])  # G×4
    generator = torch.Generator().manual_seed(seed)
    draws = torch.randint(len(groups), (samples, len(groups)), generator=generator)
    scores = scores_from_counts(group_counts[draws].sum(1))[key]  # one per draw
    tail = (1 - level) / 2
    bounds = torch.tensor([tail, 1 - tail], dtype=scores.dtype)
    low, high = torch.quantile(scores, bounds)
    return float(low), float(high)


@dataclass
class MulticlassEvaluation:
    """Scores of a split with C classes at the original resolution.

    Attributes:
        summary: ``mean_iou``, ``mean_dice`` (over the classes present in the truth or the
            prediction), ``pixel_accuracy``, ``per_class`` (each score of
            :data:`~unet_tutorial.metrics.SCORE_NAMES` per class, and ``present``) and
            ``images``; all from the confusion matrix summed over the images.
        ids: the sample ids, in evaluation order.
        names: the class names.
        sizes: each image's original ``(H, W)``.
        matrices: each image's C×C confusion matrix ``[true][predicted]`` (pixel counts).
    """

    summary: dict[str, Any]
    ids: list[str]
    names: list[str]
    sizes: list[tuple[int, int]] = field(default_factory=list)
    matrices: list[list[list[int]]] = field(default_factory=list)

    @property
    def num_classes(self) -> int:
        return len(self.names)

    def scores(self) -> dict[str, float]:
        """``mean_iou``, ``mean_dice`` and ``pixel_accuracy``."""
        return {k: self.summary[k] for k in ("mean_iou", "mean_dice", "pixel_accuracy")}

    def confusion(self, normalize: bool = False) -> np.ndarray:
        """The C×C matrix summed over the images (rows: true class, columns: predicted);
        ``normalize=True`` divides each row by its sum (the share of each true class's pixels
        given each class; rows of absent classes stay 0)."""
        matrix = np.asarray(self.matrices, dtype=np.int64).sum(0)
        if not normalize:
            return matrix
        rows = matrix.sum(1, keepdims=True)
        return np.divide(matrix, rows, out=np.zeros(matrix.shape), where=rows > 0)

    def per_class(self) -> list[dict[str, Any]]:
        """One dict per class: ``index``, ``name``, the scores of ``SCORE_NAMES``,
        ``present`` and ``share`` (its share of the true pixels)."""
        matrix = self.confusion()
        total = matrix.sum() or 1
        table = self.summary["per_class"]
        return [
            {"index": i, "name": name, "share": float(matrix[i].sum() / total)}
            | {key: table[key][i] for key in (*SCORE_NAMES, "present")}
            for i, name in enumerate(self.names)
        ]

    def bootstrap(
        self, key: str = "mean_iou", *, samples: int = 2000, level: float = 0.95, seed: int = 0
    ) -> tuple[float, float]:
        """A percentile bootstrap interval of ``key`` (``mean_iou``, ``mean_dice`` or
        ``pixel_accuracy``) over the images, as :meth:`NativeEvaluation.bootstrap` does."""
        if not self.matrices:
            raise ValueError("no per-image confusion matrices stored.")
        matrices = torch.tensor(self.matrices, dtype=torch.int64)
        generator = torch.Generator().manual_seed(seed)
        draws = torch.randint(len(matrices), (samples, len(matrices)), generator=generator)
        summed = matrices[draws].sum(1)  # samples×C×C
        if key == "pixel_accuracy":
            values = summed.diagonal(dim1=-2, dim2=-1).sum(-1) / summed.sum((-2, -1))
        else:
            counts = class_counts(summed)
            present = counts[..., :3].sum(-1) > 0
            per_class = scores_from_counts(counts)[key.removeprefix("mean_")]
            values = (per_class * present).sum(-1) / present.sum(-1).clamp(min=1)
        values = values.to(torch.float64)
        tail = (1 - level) / 2
        low, high = torch.quantile(values, torch.tensor([tail, 1 - tail], dtype=torch.float64))
        return float(low), float(high)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per image: id, size, mean IoU, pixel accuracy and each class's IoU."""
        out = []
        for sample_id, (h, w), matrix in zip(self.ids, self.sizes, self.matrices, strict=True):
            scores = multiclass_scores(torch.tensor(matrix))
            row = {"id": sample_id, "height": h, "width": w}
            row |= {"mean_iou": scores["mean_iou"], "pixel_accuracy": scores["pixel_accuracy"]}
            for name, iou, present in zip(
                self.names,
                scores["per_class"]["iou"],
                scores["per_class"]["present"],
                strict=True,
            ):
                row[f"iou_{name}"] = iou if present else None
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (``metrics.json``); :meth:`from_dict` reads them back."""
        return {
            "kind": "multi-class",
            "summary": self.summary,
            "ids": self.ids,
            "names": self.names,
            "sizes": [list(s) for s in self.sizes],
            "matrices": self.matrices,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MulticlassEvaluation:
        return cls(
            dict(data["summary"]),
            list(data["ids"]),
            list(data["names"]),
            [tuple(s) for s in data["sizes"]],
            data["matrices"],
        )


Evaluation = NativeEvaluation | MulticlassEvaluation


def evaluation_from_dict(data: dict[str, Any]) -> Evaluation:
    """The evaluation a ``to_dict()`` wrote: binary or multi-class, by its ``kind``."""
    if data.get("kind") == "multi-class":
        return MulticlassEvaluation.from_dict(data)
    return NativeEvaluation.from_dict(data)


def score_summary(evaluation: Evaluation) -> dict[str, Any]:
    """The test scores a run reports (``metrics.json``'s ``test``): the micro scores, a 95 %
    bootstrap interval of the (mean) IoU, per-image means (binary) or per-class scores and the
    confusion matrix (multi-class), and the whole evaluation (:func:`evaluation_from_dict`)."""
    if isinstance(evaluation, MulticlassEvaluation):
        low, high = evaluation.bootstrap("mean_iou")
        return {
            "kind": "multi-class",
            "scores": evaluation.scores(),
            "interval_95": {"mean_iou": [low, high]},
            "per_class": evaluation.per_class(),
            "confusion": evaluation.confusion().tolist(),
            "evaluation": evaluation.to_dict(),
        }
    low, high = evaluation.bootstrap("iou")
    return {
        "kind": "binary",
        "scores": evaluation.scores(),
        "interval_95": {"iou": [low, high]},
        "per_image_mean": {n: evaluation.summary[f"per_image_{n}"] for n in SCORE_NAMES},
        "evaluation": evaluation.to_dict(),
    }


def describe_test(test: dict[str, Any]) -> list[str]:
    """The lines ``train`` and ``evaluate`` print about a :func:`score_summary`."""
    scores = test["scores"]
    if test["kind"] == "binary":
        low, high = test["interval_95"]["iou"]
        return [
            f"IoU {scores['iou']:.3f} (95% bootstrap interval {low:.3f}-{high:.3f}), "
            f"Dice {scores['dice']:.3f}, precision {scores['precision']:.3f}, recall "
            f"{scores['recall']:.3f}, pixel accuracy {scores['pixel_accuracy']:.3f}"
        ]
    low, high = test["interval_95"]["mean_iou"]
    lines = [
        f"mean IoU {scores['mean_iou']:.3f} (95% bootstrap interval {low:.3f}-{high:.3f}), "
        f"mean Dice {scores['mean_dice']:.3f}, pixel accuracy {scores['pixel_accuracy']:.3f}"
    ]
    for row in test["per_class"]:
        lines.append(
            f"  {row['index']} {row['name']}: IoU {row['iou']:.3f}, Dice {row['dice']:.3f}, "
            f"{row['share']:.1%} of the pixels"
        )
    return lines


def _samples(dataset_or_samples: Any) -> Iterable[Sample]:
    """Samples from a dataset with ``native_item(i)`` or from an iterable of samples."""
    if hasattr(dataset_or_samples, "native_item"):
        return (dataset_or_samples.native_item(i) for i in range(len(dataset_or_samples)))
    return dataset_or_samples


def _as_mask(mask: torch.Tensor) -> torch.Tensor:
    """An ``H×W`` or ``1×H×W`` mask as ``1×1×H×W``."""
    mask = torch.as_tensor(mask)
    if mask.ndim == 2:
        mask = mask[None]
    if mask.ndim != 3 or mask.shape[0] != 1:
        raise ValueError(f"expected a 1×H×W or H×W mask, got shape {tuple(mask.shape)}.")
    return mask[None]


def _on_device(model: nn.Module, device: str | torch.device | None) -> nn.Module:
    device = torch.device(device) if device is not None else default_device()
    return model.to(device, memory_format=memory_format_for(device))


def output_channels(model: nn.Module) -> int:
    """The model's output channels (its ``num_classes``; 1 when it does not say)."""
    return int(getattr(model, "num_classes", 1))


@torch.no_grad()
def evaluate_native(
    model: nn.Module,
    dataset_or_samples: Any,
    *,
    device: str | torch.device | None = None,
    threshold: float = 0.5,
    class_names: Sequence[str] | None = None,
) -> NativeEvaluation | MulticlassEvaluation:
    """Score ``model`` at each mask's original resolution.

    Args:
        model: maps ``N×3×S×S`` to ``N×1×S×S`` logits (binary), or to ``N×C×S×S`` logits of C
            classes (its ``num_classes``), scored with :func:`evaluate_classes`.
        dataset_or_samples: a dataset with ``native_item(i)`` (the package's datasets) or an
            iterable of samples ``(image 3×S×S, mask 1×H×W, id)``.
        device: where to run the model (default: CUDA when available).
        threshold: probability above which a pixel counts as water (binary only).
        class_names: names of the C classes (multi-class only; default ``class 0``, ...).

    Returns:
        A :class:`NativeEvaluation` (binary) or a :class:`MulticlassEvaluation`.
    """
    if output_channels(model) >= 2:
        return evaluate_classes(model, dataset_or_samples, device=device, names=class_names)
    model = _on_device(model, device)
    metrics = SegmentationMetrics(kind="logits", threshold=threshold)
    ids, sizes = [], []
    for image, mask, sample_id in _samples(dataset_or_samples):
        mask = _as_mask(mask)
        size = (int(mask.shape[-2]), int(mask.shape[-1]))
        metrics.update(predict_logits(model, image[None], size), mask)
        ids.append(str(sample_id))
        sizes.append(size)
    if not ids:
        raise ValueError("nothing to evaluate: the split is empty.")
    per_image = {name: values.tolist() for name, values in metrics.per_image().items()}
    counts = metrics.counts().tolist()
    return NativeEvaluation(metrics.compute(), ids, per_image, sizes, counts)


@torch.no_grad()
def evaluate_classes(
    model: nn.Module,
    dataset_or_samples: Any,
    *,
    device: str | torch.device | None = None,
    names: Sequence[str] | None = None,
) -> MulticlassEvaluation:
    """Score a C-class ``model`` at each mask's original resolution: each image's S×S logits
    are resized to the mask's size and their argmax compared with the class mask (through
    :func:`~unet_tutorial.inference.label_map`, the path ``predict`` takes)."""
    model = _on_device(model, device)
    classes = output_channels(model)
    names = list(names) if names is not None else [f"class {i}" for i in range(classes)]
    if len(names) != classes:
        raise ValueError(f"{len(names)} class names for a model with {classes} classes.")
    metrics = MulticlassMetrics(classes)
    ids, sizes = [], []
    for image, mask, sample_id in _samples(dataset_or_samples):
        mask = _as_mask(mask)
        size = (int(mask.shape[-2]), int(mask.shape[-1]))
        logits = predict_logits(model, image[None]).to(model_device(model))
        predicted = torch.from_numpy(label_map(logits, size))
        metrics.update_classes(predicted[None], mask)
        ids.append(str(sample_id))
        sizes.append(size)
    if not ids:
        raise ValueError("nothing to evaluate: the split is empty.")
    summary = metrics.compute()
    summary.pop("iou"), summary.pop("dice")
    return MulticlassEvaluation(summary, ids, names, sizes, metrics.matrices().tolist())


def _shrink(array: np.ndarray, max_side: int, resample: Image.Resampling) -> np.ndarray:
    height, width = array.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return array
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(array).resize(size, resample))


@torch.no_grad()
def native_cases(
    model: nn.Module,
    dataset: Any,
    positions: Sequence[int],
    *,
    device: str | torch.device | None = None,
    threshold: float = 0.5,
    max_side: int = 480,
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Photos, true masks and predicted masks of some samples, for result grids.

    The prediction is made at the original resolution (as in :func:`evaluate_native`), then the
    three pictures are shrunk together to at most ``max_side`` pixels for display.

    Args:
        dataset: a dataset with ``native_item(i)`` and ``native_arrays(i)``.
        positions: which samples.

    Returns:
        ``(images H×W×3 uint8, masks H×W uint8, predictions H×W uint8)``, one of each per position
        (masks and predictions 0/1, or class indices for a multi-class model).
    """
    model = _on_device(model, device)
    images, truths, predictions = [], [], []
    for position in positions:
        image, mask, _ = dataset.native_item(position)
        photo, _ = dataset.native_arrays(position)
        size = tuple(mask.shape[-2:])
        if output_channels(model) >= 2:
            predicted = label_map(predict_logits(model, image[None]).to(model_device(model)), size)
        else:
            logits = predict_logits(model, image[None], size)
            predicted = binarize(logits, "logits", threshold).reshape(size).numpy()
        truth = mask.reshape(size).numpy().astype(np.uint8)
        predicted = predicted.astype(np.uint8)
        images.append(_shrink(np.asarray(photo, dtype=np.uint8), max_side, Image.Resampling.BOX))
        truths.append(_shrink(truth, max_side, Image.Resampling.NEAREST))
        predictions.append(_shrink(predicted, max_side, Image.Resampling.NEAREST))
    return images, truths, predictions


def mean_loss(
    model: nn.Module,
    dataset: Any,
    loss: str = "bce",
    *,
    batch_size: int = 16,
    device: str | torch.device | None = None,
) -> float:
    """Mean loss of ``model`` over a split at the training size (the original tutorial reported
    the validation ``BCEWithLogitsLoss`` this way), computed by the loop of the trainer's
    validation (:func:`unet_tutorial.training.loop.evaluate`)."""
    from unet_tutorial.data import make_loader
    from unet_tutorial.training.loop import evaluate

    model = _on_device(model, device)
    loss_fn = make_loss(loss).to(model_device(model))
    return evaluate(model, make_loader(dataset, batch_size), loss_fn)["loss"]
