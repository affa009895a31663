"""unet_tutorial.models.unet: the plain padded U-Net and its three kinds of skip."""

from __future__ import annotations

import pytest
import torch

from unet_tutorial.models import SKIP_MODES, UNet, count_parameters


@pytest.mark.parametrize("skip", SKIP_MODES)
def test_shapes_for_each_skip_mode(skip: str) -> None:
    model = UNet(in_channels=2, num_classes=1, base_channels=4, depth=2, skip=skip)
    assert model(torch.randn(3, 2, 16, 24)).shape == (3, 1, 16, 24)
    assert model.encoder[0][0].in_channels == 2


def test_concat_widens_the_decoder_and_add_does_not() -> None:
    counts = {skip: count_parameters(UNet(1, 1, 4, 2, skip)) for skip in SKIP_MODES}
    assert counts["none"] == counts["add"] < counts["concat"]
    model = UNet(1, 1, 4, 2, "concat")
    assert [block[0].in_channels for block in model.decoder] == [16, 8]


def test_skips_carry_detail_that_the_bottleneck_cannot() -> None:
    # With the bottleneck's output zeroed, only skip connections can bring the input to the output.
    torch.manual_seed(0)
    x, other = torch.randn(2, 1, 1, 16, 16)
    for skip in SKIP_MODES:
        model = UNet(1, 1, 4, 2, skip).eval()
        model.bottleneck.register_forward_hook(lambda module, args, out: torch.zeros_like(out))
        with torch.no_grad():
            sees_input = not torch.allclose(model(x), model(other))
        assert sees_input == (skip != "none"), skip


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="'sum'"):
        UNet(skip="sum")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="N×1×H×W"):
        UNet(1, 1, 4, 2)(torch.zeros(1, 3, 16, 16))


def test_any_size_comes_back_at_its_own_size_with_num_classes_channels() -> None:
    model = UNet(3, 4, base_channels=2, depth=3).eval()
    assert model(torch.rand(2, 3, 19, 27)).shape == (2, 4, 19, 27)
