"""unet_tutorial.evaluation: scores at the original resolution (logits upsampled, counts kept,
cases ranked) and the mean loss of a split."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from unet_tutorial.evaluation import evaluate_native, mean_loss
from unet_tutorial.inference import predict_logits


class LeftHalfIsWater(nn.Module):
    """Predicts water (logit +4) on the left half of any image and land (-4) on the right."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = torch.full((x.shape[0], 1, *x.shape[-2:]), -4.0)
        logits[..., : x.shape[-1] // 2] = 4.0
        return logits


def sample(mask: torch.Tensor, sample_id: str) -> tuple[torch.Tensor, torch.Tensor, str]:
    return torch.zeros(3, 8, 8), mask[None].float(), sample_id


def test_scores_are_computed_at_the_mask_resolution() -> None:
    perfect = torch.zeros(30, 40)
    perfect[:, :20] = 1
    third = torch.zeros(30, 40)
    third[:, :10] = 1  # predicted 20 columns, 10 of them right: IoU 1/2
    result = evaluate_native(
        LeftHalfIsWater(), [sample(perfect, "a"), sample(third, "b")], device="cpu"
    )
    assert result.sizes == [(30, 40), (30, 40)]
    assert result.per_image["iou"] == pytest.approx([1.0, 0.5])
    assert result.counts[1] == [300, 300, 0, 600]
    assert result.summary["iou"] == pytest.approx((600 + 300) / (600 + 300 + 300))
    assert result.scores().keys() == {"iou", "dice", "precision", "recall", "pixel_accuracy"}
    worst, best = result.worst_and_best(1)
    assert (worst, best) == ([1], [0])
    low, high = result.bootstrap("iou", samples=200)
    assert 0.5 <= low <= result.summary["iou"] <= high <= 1.0


def test_logits_upsample_to_the_requested_size() -> None:
    logits = predict_logits(LeftHalfIsWater(), torch.zeros(1, 3, 8, 8), (17, 33))
    assert logits.shape == (1, 1, 17, 33)
    assert (logits[..., :15] > 0).all() and (logits[..., 18:] < 0).all()


def test_evaluate_native_refuses_an_empty_split() -> None:
    with pytest.raises(ValueError, match="empty"):
        evaluate_native(LeftHalfIsWater(), [], device="cpu")


def test_mean_loss_is_the_bce_of_the_logits() -> None:
    masks = torch.zeros(3, 1, 8, 8)
    masks[..., :4] = 1  # exactly what LeftHalfIsWater predicts
    dataset = [(torch.zeros(3, 8, 8), mask, str(i)) for i, mask in enumerate(masks)]
    expected = nn.functional.binary_cross_entropy_with_logits(
        LeftHalfIsWater()(torch.zeros(3, 3, 8, 8)), masks
    ).item()
    assert mean_loss(LeftHalfIsWater(), dataset, "bce", batch_size=2) == pytest.approx(expected)


def test_group_bootstrap_draws_near_copies_together() -> None:
    """Two near-copies drawn as one group give the interval of one photo with both photos'
    counts; groups of one photo each give the ordinary photo bootstrap."""
    from unet_tutorial.evaluation import NativeEvaluation, group_bootstrap, position_groups

    counts = torch.tensor(
        [[50, 10, 5, 35], [48, 12, 6, 34], [10, 20, 30, 40], [70, 2, 3, 25]], dtype=torch.float64
    )
    merged = torch.stack([counts[0] + counts[1], counts[2], counts[3]])
    grouped = group_bootstrap(counts, [[0, 1], [2], [3]], samples=500)
    assert grouped == group_bootstrap(merged, [[0], [1], [2]], samples=500)
    assert grouped[0] < grouped[1]
    evaluation = NativeEvaluation({}, ["a", "b", "c", "d"], counts=counts.long().tolist())
    assert position_groups(evaluation.ids, [["b", "a"], ["x"]]) == [[1, 0], [2], [3]]
    photos = group_bootstrap(counts, [[0], [1], [2], [3]], samples=500)
    assert evaluation.bootstrap(samples=500) == photos
    assert evaluation.bootstrap(samples=500, groups=[["a", "b"]]) == grouped
