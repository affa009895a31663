"""unet_tutorial.skips: the synthetic task, the three skip modes, the residual demo, training."""

from __future__ import annotations

import pytest
import torch

from unet_tutorial.profiles import get_profile
from unet_tutorial.skips import (
    SKIP_MODES,
    ResidualBlock,
    SkipRun,
    TinyEncoderDecoder,
    gradient_through_depth,
    make_data,
    ranking,
    results_table,
    synthetic_shapes,
    train_variant,
)


def test_generator_is_seeded_and_masks_are_valid() -> None:
    images, masks = synthetic_shapes(6, 32, seed=3)
    again_images, again_masks = synthetic_shapes(6, 32, seed=3)
    other_images, other_masks = synthetic_shapes(6, 32, seed=4)
    assert images.shape == masks.shape == (6, 1, 32, 32)
    assert images.dtype == masks.dtype == torch.float32
    assert torch.equal(images, again_images) and torch.equal(masks, again_masks)
    assert not torch.equal(masks, other_masks)
    assert set(masks.unique().tolist()) == {0.0, 1.0}
    coverage = masks.mean(dim=(1, 2, 3))
    assert (coverage > 0.02).all() and (coverage < 0.9).all()
    # Foreground is brighter on average, but noise makes single pixels ambiguous.
    foreground, background = images[masks == 1], images[masks == 0]
    assert foreground.mean() - background.mean() == pytest.approx(1.0, abs=0.15)
    midpoint = (foreground.mean() + background.mean()) / 2
    assert (foreground < midpoint).float().mean() > 0.1


def test_generator_has_fine_structures() -> None:
    # Thin bars and wavy edges: many foreground pixels touch the background.
    _, masks = synthetic_shapes(16, 48, seed=0)
    eroded = -torch.nn.functional.max_pool2d(-masks, 3, stride=1, padding=1)
    boundary_share = ((masks - eroded).sum() / masks.sum()).item()
    assert boundary_share > 0.2


def test_generator_refuses_bad_sizes() -> None:
    with pytest.raises(ValueError, match="size=8"):
        synthetic_shapes(2, 8)


@pytest.mark.parametrize("skip", SKIP_MODES)
def test_shapes_for_each_skip_mode(skip: str) -> None:
    model = TinyEncoderDecoder(in_channels=2, base_channels=4, depth=2, skip=skip)
    assert model(torch.randn(3, 2, 16, 24)).shape == (3, 1, 16, 24)
    assert model.first_layer.in_channels == 2


def test_concat_widens_the_decoder_and_add_does_not() -> None:
    counts = {
        skip: sum(p.numel() for p in TinyEncoderDecoder(1, 4, 2, skip).parameters())
        for skip in SKIP_MODES
    }
    assert counts["none"] == counts["add"] < counts["concat"]
    model = TinyEncoderDecoder(1, 4, 2, "concat")
    assert [block[0].in_channels for block in model.decoder] == [16, 8]


def test_skips_carry_detail_that_the_bottleneck_cannot() -> None:
    # With the bottleneck's output zeroed, only skip connections can bring the input to the output.
    torch.manual_seed(0)
    x, other = torch.randn(2, 1, 1, 16, 16)
    for skip in SKIP_MODES:
        model = TinyEncoderDecoder(1, 4, 2, skip).eval()
        model.bottleneck.register_forward_hook(lambda module, args, out: torch.zeros_like(out))
        with torch.no_grad():
            sees_input = not torch.allclose(model(x), model(other))
        assert sees_input == (skip != "none"), skip


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="'sum'"):
        TinyEncoderDecoder(skip="sum")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="divisible by 2\\*\\*depth = 4"):
        TinyEncoderDecoder(1, 4, 2)(torch.zeros(1, 1, 18, 16))


def test_residual_block_keeps_shape_and_gradients_through_depth() -> None:
    block = ResidualBlock(6)
    assert block(torch.randn(2, 6, 8, 8)).shape == (2, 6, 8, 8)
    assert ResidualBlock(6, batch_norm=False)(torch.randn(2, 6, 8, 8)).shape == (2, 6, 8, 8)
    norms = gradient_through_depth([1, 8], channels=4, size=8)
    # Without normalisation the plain stack's gradient vanishes; the identity path keeps it.
    assert norms["plain"][1] < 1e-3 * norms["plain"][0]
    assert 0.5 < norms["residual"][1] / norms["residual"][0] < 2
    assert set(norms) == {"plain", "residual", "plain + BN", "residual + BN"}


def test_a_short_training_reduces_the_loss_and_is_reproducible() -> None:
    profile = get_profile("smoke").replace(demo_steps=16, demo_image_size=16, base_channels=4)
    data = make_data(profile, train=32, test=8)
    run = train_variant("concat", profile, data, depth=2, device=torch.device("cpu"))
    assert len(run.losses) == len(run.first_layer_grad_norms) == 16
    assert sum(run.losses[-4:]) / 4 < sum(run.losses[:4]) / 4
    assert 0.0 <= run.test["iou"] <= 1.0 and 0.0 <= run.boundary_iou <= 1.0
    assert run.test_probabilities.shape == (4, 1, 16, 16)
    again = train_variant("concat", profile, data, depth=2, device=torch.device("cpu"))
    assert again.losses == pytest.approx(run.losses, rel=1e-4)
    table = results_table({"concat": run})
    assert table.count("\n") == 2 and "| concat |" in table
    html = results_table({"concat": run}, "html")
    assert html.count("<tr>") == 2 and "<td>concat</td>" in html
    assert run.summary()["final_loss"] == pytest.approx(run.losses[-1])
    worse = SkipRun(
        "none", 1, losses=[1.0], first_layer_grad_norms=[1.0], test={"iou": -1, "dice": 0}
    )
    assert ranking({"none": worse, "concat": run}, "iou").startswith("concat (")
