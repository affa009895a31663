"""unet_tutorial.report.source: the package's code, as the chapters display it."""

from __future__ import annotations

import inspect

import pytest

from unet_tutorial.models import UNet
from unet_tutorial.report.source import show_source, source_text
from unet_tutorial.training.step import train_step


def test_source_text_is_the_running_code_with_its_location() -> None:
    text = source_text(UNet.forward)
    header, body = text.split("\n", 1)
    lines, first = inspect.getsourcelines(UNet.forward)
    assert header == f"# unet_tutorial/models/unet.py, lines {first}-{first + len(lines) - 1}"
    assert body.startswith("def forward(self, x: torch.Tensor)")  # dedented
    assert "torch.cat([x, skipped], dim=1)" in body
    assert source_text(train_step).split("\n")[1].startswith("def train_step(")


def test_show_source_renders_highlighted_html() -> None:
    shown = show_source(UNet)
    html = shown._repr_html_()
    assert "<style" in html and '<span class="nc">UNet</span>' in html  # a highlighted name
    assert html.startswith('<div class="package-source" style="font-family:')
    assert "class UNet(nn.Module):" in repr(shown)


def test_a_missing_object_fails_loudly() -> None:
    with pytest.raises(TypeError):
        source_text(42)
