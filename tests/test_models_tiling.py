"""Overlap-tile prediction: mirror padding, tile layout, and agreement with one whole pass."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from unet_tutorial.models.paper_unet import PaperUNet, is_valid_input_size
from unet_tutorial.models.tiling import mirror_pad, predict_tiled, reflect_indices, tile_plan


def test_mirror_pad_matches_torch_reflect_padding() -> None:
    x = torch.randn(2, 3, 7, 9)
    assert torch.equal(mirror_pad(x, 3, 4, 5, 6), F.pad(x, (5, 6, 3, 4), mode="reflect"))


def test_mirror_pad_wider_than_the_image_matches_numpy() -> None:
    x = torch.arange(12.0).reshape(1, 1, 3, 4)
    expected = np.pad(x.numpy(), ((0, 0), (0, 0), (7, 9), (10, 2)), mode="reflect")
    assert np.array_equal(mirror_pad(x, 7, 9, 10, 2).numpy(), expected)
    assert reflect_indices(1, 2, 2).tolist() == [0, 0, 0, 0, 0]


def test_tile_plan() -> None:
    margin, step, tiles = tile_plan(1000, 572)
    assert (margin, step, tiles) == (92, 384, 3)  # 388 rounded down to a multiple of 16
    with pytest.raises(ValueError, match="556 or 572"):
        tile_plan(1000, 570)


@pytest.mark.parametrize("tile_size", [52, 60])
def test_tiled_prediction_equals_one_pass_over_the_mirrored_image(tile_size: int) -> None:
    torch.manual_seed(0)
    model = PaperUNet(in_channels=3, num_classes=2, base_channels=4, depth=2).eval()
    image = torch.randn(2, 3, 37, 50)
    margin = 20  # (input - output) / 2 for depth 2
    whole = mirror_pad(image, margin, margin + 3, margin, margin + 2)  # 37+43=80, 50+42=92: valid
    assert is_valid_input_size(whole.shape[-2], 2) and is_valid_input_size(whole.shape[-1], 2)
    with torch.no_grad():
        expected = model(whole)[..., :37, :50]
    tiled = predict_tiled(model, image, tile_size=tile_size, batch_size=3)
    assert tiled.shape == (2, 2, 37, 50)
    torch.testing.assert_close(tiled, expected, rtol=1e-5, atol=1e-5)


def test_the_step_is_rounded_down_to_a_multiple_of_the_pooling_block() -> None:
    """Depth 3, 100-pixel tiles: a 12-pixel output, so tiles advance by 8, not 12."""
    assert tile_plan(37, 100, depth=3) == (44, 8, 5)
    torch.manual_seed(0)
    model = PaperUNet(in_channels=1, num_classes=2, base_channels=2, depth=3).eval()
    for parameter in model.parameters():  # the paper's initialisation: outputs of size ~1, so
        if parameter.dim() > 1:  # tiles at unaligned offsets differ by far more than rounding
            torch.nn.init.kaiming_normal_(parameter, nonlinearity="relu")
    image = torch.randn(1, 1, 37, 50)
    # One pass over the image mirrored by the margin, padded at the bottom and right to the
    # next valid sides: 37 + 88 -> 132 and 50 + 88 -> 140.
    whole = mirror_pad(image, 44, 132 - 37 - 44, 44, 140 - 50 - 44)
    assert is_valid_input_size(132, 3) and is_valid_input_size(140, 3)
    with torch.no_grad():
        expected = model(whole)[..., :37, :50]
    tiled = predict_tiled(model, image, tile_size=100)
    torch.testing.assert_close(tiled, expected, rtol=1e-5, atol=1e-5)


def test_tiles_at_unaligned_offsets_would_differ() -> None:
    """Why tiles advance by multiples of 2**depth: a one-pixel shift changes the pooling grid."""
    torch.manual_seed(0)
    model = PaperUNet(1, 1, base_channels=4, depth=2).eval()
    x = torch.randn(1, 1, 53, 52)
    with torch.no_grad():
        aligned = model(x[..., :52, :])[..., 1:, :]
        shifted = model(x[..., 1:, :])[..., :-1, :]
    assert not torch.allclose(aligned, shifted, atol=1e-4)


def test_predict_tiled_keeps_the_training_mode() -> None:
    model = PaperUNet(1, 1, base_channels=2, depth=2).train()
    predict_tiled(model, torch.randn(1, 1, 10, 10), tile_size=52)
    assert model.training
