"""The per-layer table: shapes from forward hooks, parameter counts, printable forms."""

from __future__ import annotations

import torch
from torch import nn

from unet_tutorial.models.paper_unet import PaperUNet
from unet_tutorial.models.summary import count_layers, summarize


def small() -> PaperUNet:
    torch.manual_seed(0)
    return PaperUNet(in_channels=1, num_classes=2, base_channels=2, depth=2)


def test_meta_and_real_passes_agree_and_leave_the_model_alone() -> None:
    model = small()
    before = {n: p.clone() for n, p in model.state_dict().items()}
    meta = summarize(model, (1, 1, 60, 60))
    real = summarize(model, (1, 1, 60, 60), device="cpu")
    assert meta.rows == real.rows
    assert real.output_shape == tuple(model(torch.zeros(1, 1, 60, 60)).shape)
    assert all(torch.equal(before[n], p) for n, p in model.state_dict().items())
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert not any(m._forward_hooks for m in model.modules())


def test_rows_in_execution_order_with_parameters_summing_to_the_total() -> None:
    model = small()
    table = summarize(model, (1, 1, 60, 60))
    assert table.rows[0].name == "down.0.0" and table.rows[-1].name == "head"
    assert [row.name for row in table.rows].count("pool") == 2  # one layer, called twice
    assert sum(row.parameters for row in table.rows) == table.total_parameters
    assert table.total_parameters == sum(p.numel() for p in model.parameters())
    assert not any(row.kind == "ReLU" for row in table.rows)


def test_depth_one_lists_blocks_and_looks_through_module_lists() -> None:
    table = summarize(small(), (1, 1, 60, 60), max_depth=1)
    assert [row.name for row in table.rows] == [
        "down.0", "pool", "down.1", "pool", "bottleneck", "up.0", "up.1", "head",
    ]  # fmt: skip


def test_trainable_count_and_text_and_html() -> None:
    model = small()
    model.down.requires_grad_(False)
    table = summarize(model, (1, 1, 60, 60))
    frozen = sum(p.numel() for p in model.down.parameters())
    assert table.trainable_parameters == table.total_parameters - frozen
    text = str(table)
    assert "output shape" in text and "1 × 2 × 20 × 20" in text
    assert f"{table.total_parameters:,}" in text
    assert table._repr_html_().startswith("<table>")


def test_count_layers() -> None:
    model = small()
    assert count_layers(model) == 2 * 2 + 2 + 2 * 3 + 1
    assert count_layers(model, (nn.ConvTranspose2d,)) == 2
