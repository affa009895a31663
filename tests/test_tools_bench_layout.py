"""tools.bench.layout: both layouts time the same training step and the ratio is theirs."""

from __future__ import annotations

import pytest
import torch

from tools.bench import layout

pytestmark = pytest.mark.usefixtures("one_thread")


def test_compare_times_both_layouts_and_divides_them(monkeypatch) -> None:
    seen = []

    def fake_step_seconds(model, images, masks, fmt, steps):
        seen.append(fmt)
        return 0.3 if fmt is torch.contiguous_format else 0.2

    monkeypatch.setattr(layout, "step_seconds", fake_step_seconds)
    row = layout.compare("unet", 2, 32, batch=2, steps=1, rounds=2)
    assert seen == [torch.contiguous_format, torch.channels_last] * 2
    assert row["nchw_ms"] == pytest.approx(300) and row["channels_last_ms"] == pytest.approx(200)
    assert row["ratio"] == pytest.approx(1.5)


def test_a_step_trains_the_model_in_the_layout() -> None:
    torch.manual_seed(0)
    model = torch.nn.Conv2d(3, 1, 3, padding=1)
    before = model.weight.detach().clone()
    images, masks = torch.randn(2, 3, 8, 8), (torch.rand(2, 1, 8, 8) > 0.5).float()
    seconds = layout.step_seconds(model, images, masks, torch.channels_last, steps=1)
    assert seconds > 0
    assert model.weight.is_contiguous(memory_format=torch.channels_last)
    assert not torch.equal(model.weight, before)
