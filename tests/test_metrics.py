"""unet_tutorial.metrics: against torchmetrics on random inputs, hand-worked and empty cases."""

from __future__ import annotations

import math

import pytest
import torch
from torchmetrics.classification import (
    BinaryAccuracy,
    BinaryF1Score,
    BinaryJaccardIndex,
    BinaryPrecision,
    BinaryRecall,
)

from unet_tutorial.metrics import (
    SegmentationMetrics,
    binarize,
    boundary_band,
    boundary_iou,
    confusion_counts,
    scores_from_counts,
    segmentation_scores,
)

TORCHMETRICS = {
    "iou": BinaryJaccardIndex,
    "dice": BinaryF1Score,
    "precision": BinaryPrecision,
    "recall": BinaryRecall,
    "pixel_accuracy": BinaryAccuracy,
}


def random_batch(seed: int, n: int = 4, size: tuple[int, int] = (9, 13)):
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, 1, *size, generator=generator) * 2 + 0.3
    target = (torch.rand(n, 1, *size, generator=generator) < 0.4).float()
    return logits, target


@pytest.mark.parametrize("seed", range(5))
def test_micro_scores_match_torchmetrics_over_several_batches(seed: int) -> None:
    ours = SegmentationMetrics(kind="logits")
    theirs = {name: cls(threshold=0.5) for name, cls in TORCHMETRICS.items()}
    for batch in range(3):
        logits, target = random_batch(seed * 10 + batch, n=2 + batch, size=(7 + batch, 11))
        ours.update(logits, target)
        for metric in theirs.values():
            metric.update(torch.sigmoid(logits), target.int())
    result = ours.compute()
    for name, metric in theirs.items():
        assert result[name] == pytest.approx(metric.compute().item(), abs=1e-6), name
    assert result["images"] == 2 + 3 + 4


@pytest.mark.parametrize("seed", range(3))
def test_per_image_scores_match_torchmetrics_samplewise(seed: int) -> None:
    logits, target = random_batch(100 + seed, n=6)
    probabilities = torch.sigmoid(logits)
    ours = scores_from_counts(confusion_counts(logits, target))
    for name in ("dice", "precision", "recall", "pixel_accuracy"):
        metric = TORCHMETRICS[name](multidim_average="samplewise")
        expected = metric(probabilities[:, 0], target[:, 0].int())
        torch.testing.assert_close(ours[name], expected.double(), atol=1e-6, rtol=0)
    # BinaryJaccardIndex has no samplewise mode: one image at a time.
    expected_iou = [
        BinaryJaccardIndex()(p, t.int()).item() for p, t in zip(probabilities, target, strict=True)
    ]
    torch.testing.assert_close(ours["iou"], torch.tensor(expected_iou).double(), atol=1e-6, rtol=0)


def test_logits_probabilities_and_masks_agree() -> None:
    logits, target = random_batch(7)
    probabilities = torch.sigmoid(logits)
    masks = (logits > 0).float()
    from_logits = confusion_counts(logits, target, "logits")
    assert torch.equal(from_logits, confusion_counts(probabilities, target, "probabilities"))
    assert torch.equal(from_logits, confusion_counts(masks, target, "masks"))
    assert torch.equal(from_logits, confusion_counts(masks.bool(), target.bool(), "masks"))


def test_threshold_is_strict_and_applies_to_logits() -> None:
    probabilities = torch.tensor([0.2, 0.5, 0.7, 0.9])
    assert binarize(probabilities, "probabilities").tolist() == [False, False, True, True]
    assert binarize(probabilities, "probabilities", 0.8).tolist() == [False, False, False, True]
    logits = torch.logit(probabilities.double())
    assert binarize(logits, "logits", 0.8).tolist() == [False, False, False, True]
    # Large logits saturate the float32 sigmoid at 1; the logit comparison still separates them.
    assert binarize(torch.tensor([18.0, 19.0]), "logits", 1 - 1e-8).tolist() == [False, True]


def test_hand_worked_example() -> None:
    # truth:      prediction:
    # 1 1 0 0     1 0 0 0
    # 1 1 0 0     1 1 1 0
    # 0 0 0 0     0 0 1 0
    truth = torch.tensor([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]])
    prediction = torch.tensor([[1, 0, 0, 0], [1, 1, 1, 0], [0, 0, 1, 0]])
    counts = confusion_counts(prediction, truth, "masks")
    assert counts.tolist() == [[3, 2, 1, 6]]  # tp, fp, fn, tn
    scores = segmentation_scores(prediction, truth, "masks")
    assert scores["iou"] == pytest.approx(3 / 6)
    assert scores["dice"] == pytest.approx(6 / 9)
    assert scores["precision"] == pytest.approx(3 / 5)
    assert scores["recall"] == pytest.approx(3 / 4)
    assert scores["pixel_accuracy"] == pytest.approx(9 / 12)
    assert scores["per_image_iou"] == pytest.approx(scores["iou"])  # one image: both agree


@pytest.mark.parametrize(
    ("prediction", "truth", "expected"),
    [
        # both empty: perfect
        ([0, 0, 0, 0], [0, 0, 0, 0], dict(iou=1, dice=1, precision=1, recall=1, pixel_accuracy=1)),
        # truth empty, one false alarm
        (
            [1, 0, 0, 0],
            [0, 0, 0, 0],
            dict(iou=0, dice=0, precision=0, recall=0, pixel_accuracy=0.75),
        ),
        # prediction empty, two pixels missed
        (
            [0, 0, 0, 0],
            [1, 1, 0, 0],
            dict(iou=0, dice=0, precision=0, recall=0, pixel_accuracy=0.5),
        ),
        # all foreground, all found
        ([1, 1, 1, 1], [1, 1, 1, 1], dict(iou=1, dice=1, precision=1, recall=1, pixel_accuracy=1)),
    ],
    ids=["both-empty", "truth-empty", "prediction-empty", "all-foreground"],
)
def test_empty_mask_cases(prediction: list, truth: list, expected: dict) -> None:
    scores = segmentation_scores(
        torch.tensor(prediction).view(1, 2, 2), torch.tensor(truth).view(1, 2, 2), "masks"
    )
    for name, value in expected.items():
        assert scores[name] == pytest.approx(value), name
        assert scores[f"per_image_{name}"] == pytest.approx(value), name


def test_micro_and_per_image_differ_on_a_crafted_example() -> None:
    # Image 1: a large object found perfectly (100 pixels). Image 2: a 1-pixel object missed,
    # with one false alarm. Micro IoU is dominated by the large object; the per-image mean is not.
    truth = torch.zeros(2, 1, 20, 20)
    truth[0, 0, :10, :10] = 1
    truth[1, 0, 5, 5] = 1
    prediction = truth.clone()
    prediction[1, 0, 5, 5] = 0
    prediction[1, 0, 15, 15] = 1
    scores = segmentation_scores(prediction, truth, "masks")
    assert scores["iou"] == pytest.approx(100 / 102)
    assert scores["per_image_iou"] == pytest.approx((1 + 0) / 2)
    assert scores["recall"] == pytest.approx(100 / 101)
    assert scores["per_image_recall"] == pytest.approx(0.5)
    assert scores["pixel_accuracy"] == pytest.approx(798 / 800)
    assert scores["per_image_pixel_accuracy"] == pytest.approx((1 + 398 / 400) / 2)


def test_accumulator_takes_images_of_different_sizes_one_at_a_time() -> None:
    metrics = SegmentationMetrics()
    sizes = [(5, 8), (12, 3), (7, 7)]
    all_counts = []
    for i, size in enumerate(sizes):
        logits, target = random_batch(50 + i, n=1, size=size)
        all_counts.append(metrics.update(logits[0], target[0, 0]))  # 1×H×W logits, H×W mask
    counts = torch.cat(all_counts)
    assert counts.shape == (3, 4)
    assert counts.sum(1).tolist() == [h * w for h, w in sizes]
    assert torch.equal(metrics.counts(), counts)
    assert metrics.per_image()["iou"].shape == (3,)
    tp, fp, fn, _ = counts.sum(0).tolist()
    assert metrics.compute()["iou"] == pytest.approx(tp / (tp + fp + fn))
    metrics.reset()
    with pytest.raises(ValueError, match="before any update"):
        metrics.compute()


def test_bad_inputs_are_refused_with_a_hint() -> None:
    logits, target = random_batch(3)
    with pytest.raises(ValueError, match="resize the logits"):
        confusion_counts(logits, target[..., :-1])
    with pytest.raises(ValueError, match="mask > 127"):
        confusion_counts(logits, target * 255)
    with pytest.raises(ValueError, match='kind="logits"'):
        confusion_counts(logits, target, "probabilities")
    with pytest.raises(ValueError, match="strictly between"):
        SegmentationMetrics(threshold=1.0)
    with pytest.raises(ValueError, match="kind must be"):
        binarize(logits, "scores")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="single channel"):
        confusion_counts(torch.zeros(2, 3, 4, 4), torch.zeros(2, 3, 4, 4))


def test_boundary_band_and_boundary_iou_by_hand() -> None:
    square = torch.zeros(1, 1, 7, 7)
    square[0, 0, 1:6, 1:6] = 1  # a 5×5 square: its 1-pixel inner band is a ring of 16 pixels
    band = boundary_band(square, width=1)
    assert int(band.sum()) == 16
    assert not band[0, 0, 2:5, 2:5].any()
    assert boundary_iou(square, square, "masks") == 1.0
    # Shrink the prediction by one pixel: its ring (8 pixels) lies inside the true ring's hole,
    # so the boundaries do not overlap at all, while the ordinary IoU is still 9/25.
    smaller = torch.zeros_like(square)
    smaller[0, 0, 2:5, 2:5] = 1
    assert boundary_iou(smaller, square, "masks") == 0.0
    assert segmentation_scores(smaller, square, "masks")["iou"] == pytest.approx(9 / 25)
    # A 2-pixel band sees the overlap: 8 shared pixels (the smaller square minus its centre) of 25.
    assert boundary_iou(smaller, square, "masks", width=2) == pytest.approx(8 / 25)
    assert boundary_iou(torch.zeros_like(square), torch.zeros_like(square), "masks") == 1.0
    assert math.isclose(boundary_iou(-square, square), 0.0)  # logits of the opposite mask
