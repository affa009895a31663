"""U-Net++, Attention U-Net, V-Net-style U-Net and their shared blocks and padding helper."""

from __future__ import annotations

import time

import pytest
import torch
from torch import nn

from unet_tutorial.models.attention_unet import AttentionGate, AttentionUNet
from unet_tutorial.models.blocks import ConvBlock, level_channels
from unet_tutorial.models.mirror_padded import MirrorPaddedUNet, padded_input_side
from unet_tutorial.models.padding import crop_to, pad_to_multiple, padding_to_multiple
from unet_tutorial.models.paper_unet import PaperUNet
from unet_tutorial.models.tiling import predict_tiled
from unet_tutorial.models.unet_plus_plus import UNetPlusPlus, deep_supervision_loss
from unet_tutorial.models.vnet_style import VNetStyleUNet

VARIANTS = [UNetPlusPlus, AttentionUNet, VNetStyleUNet]


pytestmark = pytest.mark.usefixtures("one_thread")


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def small(cls: type[nn.Module], **kwargs: object) -> nn.Module:
    torch.manual_seed(0)
    return cls(base_channels=4, depth=3, **kwargs)


# --- padding -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "multiple", "expected"), [((64, 64), 16, (0, 0)), ((37, 50), 16, (11, 14))]
)
def test_padding_to_multiple(size, multiple, expected) -> None:
    assert padding_to_multiple(*size, multiple) == expected


def test_pad_then_crop_returns_the_input_and_pads_by_reflection() -> None:
    x = torch.arange(2 * 3 * 5 * 7, dtype=torch.float32).reshape(2, 3, 5, 7)
    padded, size = pad_to_multiple(x, 4)
    assert padded.shape == (2, 3, 8, 8) and size == (5, 7)
    assert torch.equal(crop_to(padded, size), x)
    assert torch.equal(padded[..., 5, :7], x[..., 3, :])  # row 5 mirrors row 3 about row 4


def test_pad_falls_back_to_replication_on_tiny_inputs() -> None:
    x = torch.rand(1, 1, 1, 3)
    padded, _ = pad_to_multiple(x, 8)
    assert padded.shape == (1, 1, 8, 8)
    assert torch.equal(padded[0, 0, 7, :3], x[0, 0, 0])


def test_padding_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="multiple"):
        padding_to_multiple(5, 5, 0)
    with pytest.raises(ValueError, match="N×C×H×W"):
        pad_to_multiple(torch.rand(3, 5, 5), 4)
    with pytest.raises(ValueError, match="larger"):
        crop_to(torch.rand(1, 1, 4, 4), (5, 4))


# --- blocks ------------------------------------------------------------------------------------


def test_conv_block_keeps_the_size_and_counts_its_parameters() -> None:
    block = ConvBlock(3, 8, num_convs=2)
    assert block(torch.rand(2, 3, 9, 11)).shape == (2, 8, 9, 11)
    # two bias-free 3×3 convolutions, each followed by a BatchNorm (scale and shift per channel)
    assert n_params(block) == 3 * 8 * 9 + 8 * 8 * 9 + 2 * (2 * 8)


def test_level_channels_double_and_reject_bad_sizes() -> None:
    assert level_channels(32, 4) == [32, 64, 128, 256, 512]
    with pytest.raises(ValueError, match="depth"):
        level_channels(32, 0)


# --- every variant -----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", VARIANTS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("size", [(32, 32), (37, 45), (17, 8), (1, 1)])
def test_output_matches_the_input_size(cls, size) -> None:
    model = small(cls, num_classes=2).eval()
    with torch.no_grad():
        out = model(torch.rand(2, 3, *size))
    assert out.shape == (2, 2, *size)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("cls", VARIANTS, ids=lambda c: c.__name__)
def test_wrong_channel_count_is_a_clear_error(cls) -> None:
    with pytest.raises(ValueError, match=r"N×3×H×W"):
        small(cls)(torch.rand(1, 1, 16, 16))


def overfit_losses(model: nn.Module, steps: int = 40) -> list[float]:
    """Train on one fixed batch of two 32×32 images whose mask is a bright disk."""
    generator = torch.Generator().manual_seed(0)
    yy, xx = torch.meshgrid(torch.arange(32), torch.arange(32), indexing="ij")
    masks = torch.stack([((yy - 12) ** 2 + (xx - 18) ** 2 < 64), ((yy - 20) ** 2 + xx**2 < 120)])
    masks = masks.float().unsqueeze(1)
    images = 0.5 * torch.rand(2, 3, 32, 32, generator=generator) + masks
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.BCEWithLogitsLoss()
    losses = []
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(images), masks)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("cls", VARIANTS, ids=lambda c: c.__name__)
def test_overfits_one_batch(cls) -> None:
    losses = overfit_losses(small(cls))
    assert losses[-1] < 0.3 * losses[0], f"loss went from {losses[0]:.3f} to {losses[-1]:.3f}"


def test_parameter_counts_at_the_defaults(capsys) -> None:
    counts = {cls.__name__: n_params(cls()) for cls in VARIANTS}
    with capsys.disabled():
        print("\nparameters at the defaults (base 32, depth 4):", counts)
    # Zhou et al. (2018, Table 1) report 9.04 M parameters for UNet++ with 32..512 channels; ours
    # differs only by the BatchNorm layers and bias-free convolutions.
    assert 9.0e6 < counts["UNetPlusPlus"] < 9.1e6
    # A gate adds far fewer parameters than a level of the network; V-Net's strided convolutions
    # and 3-convolution stages cost more.
    assert counts["AttentionUNet"] < counts["UNetPlusPlus"] < counts["VNetStyleUNet"]
    assert counts == {
        "UNetPlusPlus": 9_045_825,
        "AttentionUNet": 8_112_645,
        "VNetStyleUNet": 13_845_953,
    }


# --- U-Net++ -----------------------------------------------------------------------------------


def test_unetpp_grid_has_the_nested_nodes() -> None:
    model = small(UNetPlusPlus)
    names = set(model.nodes)
    assert len(names) == 10  # (depth + 1)(depth + 2) / 2 nodes for depth 3
    assert {"x_0_0", "x_0_3", "x_3_0", "x_1_2"} <= names and "x_1_3" not in names
    # X[0][2] sees X[0][0], X[0][1] and the upsampled X[1][1]: three maps of level-0 width
    assert model.nodes["x_0_2"][0].in_channels == 3 * 4


def test_unetpp_deep_supervision_heads_and_their_average() -> None:
    model = small(UNetPlusPlus, deep_supervision=True).eval()
    x = torch.rand(2, 3, 20, 28)
    with torch.no_grad():
        heads = model.forward_heads(x)
        out = model(x)
    assert len(heads) == 3 and all(h.shape == (2, 1, 20, 28) for h in heads)
    assert not torch.allclose(heads[0], heads[-1])
    torch.testing.assert_close(out, torch.stack(heads).mean(dim=0))
    target = torch.rand(2, 1, 20, 28).round()
    loss = deep_supervision_loss(heads, target, nn.BCEWithLogitsLoss())
    expected = sum(nn.functional.binary_cross_entropy_with_logits(h, target) for h in heads) / 3
    torch.testing.assert_close(loss, expected)
    assert len(small(UNetPlusPlus).forward_heads(x)) == 1


def test_unetpp_deep_supervision_trains_every_head() -> None:
    model = small(UNetPlusPlus, deep_supervision=True)
    heads = model.forward_heads(torch.rand(1, 3, 16, 16))
    deep_supervision_loss(heads, torch.ones(1, 1, 16, 16), nn.BCEWithLogitsLoss()).backward()
    assert all(
        head.weight.grad is not None and head.weight.grad.abs().sum() > 0 for head in model.heads
    )


# --- Attention U-Net ---------------------------------------------------------------------------


def test_attention_coefficients_have_the_skip_shapes_and_lie_in_0_1() -> None:
    model = small(AttentionUNet)
    model(torch.rand(2, 3, 37, 45))
    shapes = [tuple(a.shape) for a in model.last_attention]
    assert shapes == [(2, 1, 37, 45), (2, 1, 19, 23), (2, 1, 10, 12)]
    for alpha in model.last_attention:
        assert alpha.min() >= 0 and alpha.max() <= 1 and not alpha.requires_grad
    maps = model.attention_maps(torch.rand(1, 3, 37, 45))
    assert [tuple(m.shape) for m in maps] == [(1, 1, 37, 45)] * 3
    assert model.training  # attention_maps restores the mode it found


def test_attention_gate_scales_the_skip_by_its_coefficients() -> None:
    torch.manual_seed(0)
    gate = AttentionGate(skip_channels=4, gate_channels=8, inter_channels=2)
    nn.init.zeros_(gate.psi.weight)
    nn.init.constant_(gate.psi.bias, -50.0)  # sigmoid(-50) ≈ 0: the gate closes
    gate.out = nn.Identity()
    x, g = torch.rand(1, 4, 8, 8), torch.rand(1, 8, 4, 4)
    gated, alpha = gate(x, g)
    assert alpha.shape == (1, 1, 8, 8) and alpha.max() < 1e-20
    assert gated.abs().max() < 1e-20
    nn.init.constant_(gate.psi.bias, 50.0)  # and opens
    gated, _ = gate(x, g)
    torch.testing.assert_close(gated, x)


# --- V-Net style -------------------------------------------------------------------------------


def test_vnet_downsamples_with_learned_strided_convolutions_not_pooling() -> None:
    model = small(VNetStyleUNet)
    assert not any(isinstance(m, nn.MaxPool2d) for m in model.modules())
    strided = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.stride == (2, 2)]
    assert len(strided) == 3
    assert sum(isinstance(m, nn.ConvTranspose2d) for m in model.modules()) == 3


def test_vnet_stage_is_residual() -> None:
    model = small(VNetStyleUNet).eval()
    stage = model.encoders[0]
    for p in stage.body.parameters():
        nn.init.zeros_(p)  # the body now outputs ReLU(0) = 0, so the stage is the identity
    x = torch.rand(1, 8, 6, 6)
    torch.testing.assert_close(stage(x), x)


def test_forward_is_fast_enough_for_the_chapter() -> None:
    model = small(VNetStyleUNet).eval()
    start = time.perf_counter()
    with torch.no_grad():
        model(torch.rand(4, 3, 64, 64))
    assert time.perf_counter() - start < 5.0


# --- the paper's network, mirror-padded for same-size training ---------------------------------


def test_mirror_padded_paper_unet_matches_the_overlap_tile_prediction() -> None:
    torch.manual_seed(0)
    model = MirrorPaddedUNet(PaperUNet(in_channels=3, num_classes=1, base_channels=4)).eval()
    assert padded_input_side(128) == 316 and padded_input_side(1) == 188
    x = torch.rand(1, 3, 37, 50)
    with torch.no_grad():
        out = model(x)
        tiled = predict_tiled(model.unet, x, tile_size=204)  # several 20-pixel tiles
    assert out.shape == (1, 1, 37, 50)
    torch.testing.assert_close(out, tiled, atol=1e-4, rtol=1e-4)
