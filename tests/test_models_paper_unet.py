"""The paper's U-Net: exact size, parameter and layer counts, valid sizes, receptive field."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torchvision.transforms.v2.functional import center_crop as tv_center_crop

from unet_tutorial.models.paper_unet import (
    PaperUNet,
    center_crop,
    is_valid_input_size,
    nearest_valid_sizes,
    output_size,
    paper_unet_sizes,
    trace_sizes,
    valid_input_sizes,
)
from unet_tutorial.models.receptive_field import (
    crop_offsets,
    receptive_field_size,
    receptive_interval,
)
from unet_tutorial.models.summary import count_layers, summarize


@pytest.fixture(scope="module")
def paper_unet() -> PaperUNet:
    return PaperUNet()


def test_paper_network_has_the_papers_parameter_and_layer_counts(paper_unet: PaperUNet) -> None:
    assert sum(p.numel() for p in paper_unet.parameters()) == 31_030_658
    assert count_layers(paper_unet) == 23
    assert count_layers(paper_unet, (nn.MaxPool2d,)) == 1  # one pooling layer, used four times


def test_572_input_gives_388_output_through_the_real_layers(paper_unet: PaperUNet) -> None:
    table = summarize(paper_unet, (1, 1, 572, 572))
    assert table.output_shape == (1, 2, 388, 388)
    convs = [row for row in table.rows if row.kind in ("Conv2d", "ConvTranspose2d")]
    assert len(convs) == 23
    # the paper's Figure 1: 570, 568 after the first two convolutions; 28 at the bottleneck
    assert [row.output_shape[-1] for row in convs[:2]] == [570, 568]
    assert table.rows[table.rows.index(convs[9])].output_shape == (1, 1024, 28, 28)


def test_small_network_runs_for_real_with_the_predicted_size() -> None:
    torch.manual_seed(0)
    model = PaperUNet(in_channels=3, num_classes=4, base_channels=2, depth=4)
    out = model(torch.randn(2, 3, 204, 188))
    assert out.shape == (2, 4, output_size(204), output_size(188)) == (2, 4, 20, 4)


def test_sizes_follow_the_paper() -> None:
    sizes = paper_unet_sizes(572)
    assert sizes[:3] == [572, 568, 284] and sizes[-1] == 388
    assert output_size(572) == 388
    pairs = valid_input_sizes(600)
    assert pairs[0] == (188, 4) and (572, 388) in pairs
    assert all(b - a == 16 for (a, _), (b, _) in zip(pairs, pairs[1:], strict=False))
    assert all(i - o == 184 for i, o in pairs)
    assert [s for s, _ in valid_input_sizes(60, depth=2)] == [44, 48, 52, 56, 60]
    assert trace_sizes(572) == sizes and trace_sizes(570) is None and trace_sizes(0) is None
    assert trace_sizes(188)[2 * 4 + 1] == 4  # the smallest input leaves 4 pixels at the bottom


@pytest.mark.parametrize("size", [570, 571, 573, 100, 0])
def test_invalid_sizes_are_rejected_with_the_nearest_valid_ones(size: int) -> None:
    assert not is_valid_input_size(size)
    below, above = nearest_valid_sizes(size)
    assert is_valid_input_size(above) and (below is None or is_valid_input_size(below))
    with pytest.raises(ValueError, match=str(above)):
        paper_unet_sizes(size)


def test_forward_rejects_an_invalid_size_naming_valid_ones() -> None:
    model = PaperUNet(base_channels=1)
    with pytest.raises(ValueError, match="556 or 572"):
        model(torch.zeros(1, 1, 572, 570))
    with pytest.raises(ValueError, match="1×H×W"):
        model(torch.zeros(1, 3, 572, 572))


def test_center_crop_matches_torchvision() -> None:
    x = torch.arange(2 * 3 * 12 * 10, dtype=torch.float32).reshape(2, 3, 12, 10)
    assert torch.equal(center_crop(x, 8, 4), tv_center_crop(x, [8, 4]))
    with pytest.raises(ValueError, match="even"):
        center_crop(x, 7, 4)


def test_crop_offsets_match_the_network() -> None:
    table = summarize(PaperUNet(), (1, 1, 572, 572))
    skips = [row.output_shape[-1] for row in table.rows if row.name.endswith(".2")][:4]
    ups = [row.output_shape[-1] for row in table.rows if row.kind == "ConvTranspose2d"]
    assert [(s - u) // 2 for s, u in zip(skips, reversed(ups), strict=True)] == crop_offsets(4)


@pytest.mark.parametrize(("depth", "size"), [(2, 52), (3, 108)])
def test_receptive_field_matches_autograd(depth: int, size: int) -> None:
    """With average pooling and positive weights every path is active, so the input pixels with
    a non-zero gradient are exactly the receptive field."""
    torch.manual_seed(0)
    model = PaperUNet(1, 1, base_channels=2, depth=depth)
    model.pool = nn.AvgPool2d(2)
    for parameter in model.parameters():
        parameter.data.uniform_(0.05, 0.2)
    x = (torch.rand(1, 1, size, size) + 0.1).requires_grad_()
    y = model(x)
    assert y.shape[-2] > 2**depth  # enough output rows to see every position modulo 2**depth
    for i in range(y.shape[-2]):
        (grad,) = torch.autograd.grad(y[0, 0, i, 0], x, retain_graph=True)
        rows = grad[0, 0].abs().sum(dim=1).nonzero().flatten()
        assert (rows.min().item(), rows.max().item()) == receptive_interval(i, depth)


def test_receptive_field_of_the_paper_network() -> None:
    assert receptive_interval(0) == (0, 187)
    assert receptive_field_size(4) == 204
    assert receptive_field_size(2) < receptive_field_size(3) < receptive_field_size(4)
