"""unet_tutorial.losses: soft Dice, BCE + Dice, and building a loss by name."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from unet_tutorial.losses import (
    BCEDiceLoss,
    SoftDiceLoss,
    border_weight_map,
    make_loss,
    weighted_bce,
)


def test_losses() -> None:
    logits = torch.tensor([[[[20.0, -20.0]]]])
    target = torch.tensor([[[[1.0, 0.0]]]])
    assert SoftDiceLoss()(logits, target).item() == pytest.approx(0.0, abs=1e-6)
    assert SoftDiceLoss()(-logits, target).item() == pytest.approx(1 - 1 / 3, abs=1e-6)
    bce = nn.BCEWithLogitsLoss()(-logits, target).item()
    assert BCEDiceLoss()(-logits, target).item() == pytest.approx(bce + 2 / 3, abs=1e-5)
    assert isinstance(make_loss("bce"), nn.BCEWithLogitsLoss)
    with pytest.raises(ValueError, match="'focal'"):
        make_loss("focal")


def test_pos_weight_makes_a_missed_water_pixel_cost_more() -> None:
    logits, target = torch.tensor([[[[-2.0, 2.0]]]]), torch.tensor([[[[1.0, 0.0]]]])
    plain, weighted = make_loss("bce")(logits, target), make_loss("bce", 3.0)(logits, target)
    miss = nn.functional.softplus(torch.tensor(2.0))  # -log(sigmoid(-2)): the missed pixel
    assert (weighted - plain).item() == pytest.approx(2 * miss.item() / 2, rel=1e-5)
    assert make_loss("bce+dice", 3.0)(logits, target) > make_loss("bce+dice")(logits, target)
    with pytest.raises(ValueError, match="pos_weight"):
        make_loss("bce", 0)


def test_border_weights_peak_in_the_gap_between_two_objects() -> None:
    mask = np.zeros((20, 30), np.uint8)
    mask[5:15, 5:13] = 1
    mask[5:15, 15:25] = 1  # a gap of two columns (13, 14) between the two objects
    weights = border_weight_map(mask, w0=10, sigma=5)
    gap, far = weights[10, 13], weights[0, 0]
    background = mask.size / (2 * (mask == 0).sum())
    # at column 13 the objects' nearest pixels are 1 and 2 columns away: d1 + d2 = 3
    assert gap == pytest.approx(background + 10 * np.exp(-(3**2) / 50), rel=1e-5)
    assert gap > far > background  # far from both objects the border term fades
    assert weights[10, 8] == pytest.approx(mask.size / (2 * mask.sum()))  # on an object
    single = np.zeros((10, 10), np.uint8)
    single[2:5, 2:5] = 1
    assert set(np.unique(border_weight_map(single, balance=False))) == {1.0}  # no second object


def test_weighted_bce_with_unit_weights_is_bce() -> None:
    logits, target = torch.randn(2, 1, 4, 4), (torch.rand(2, 1, 4, 4) > 0.5).float()
    assert weighted_bce(logits, target, torch.ones_like(target)).item() == pytest.approx(
        nn.BCEWithLogitsLoss()(logits, target).item(), rel=1e-6
    )


def test_class_indices_take_index_masks_and_refuse_one_hot() -> None:
    from unet_tutorial.losses import class_indices

    masks = torch.tensor([[[[0.0, 2.0], [1.0, 1.0]]]])  # N×1×H×W floats, as the datasets give
    assert class_indices(masks).tolist() == [[[0, 2], [1, 1]]]
    assert class_indices(masks[:, 0]).dtype == torch.int64
    with pytest.raises(ValueError, match="one-hot"):
        class_indices(torch.zeros(1, 3, 2, 2))


def test_softmax_cross_entropy_is_pytorchs_on_class_indices() -> None:
    from unet_tutorial.losses import SoftmaxCrossEntropyLoss

    torch.manual_seed(0)
    logits, targets = torch.randn(2, 3, 4, 5), torch.randint(0, 3, (2, 1, 4, 5)).float()
    expected = torch.nn.CrossEntropyLoss()(logits, targets[:, 0].long())
    assert torch.allclose(SoftmaxCrossEntropyLoss()(logits, targets), expected)
    with pytest.raises(ValueError, match="binary"):
        SoftmaxCrossEntropyLoss()(torch.randn(2, 1, 4, 5), targets)
