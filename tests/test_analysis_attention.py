"""unet_tutorial.analysis.attention: the gates' coefficients on chosen photos and on water."""

from __future__ import annotations

import pytest
import torch

from unet_tutorial.analysis.attention import attention_examples, attention_on_water
from unet_tutorial.data import SyntheticFloodDataset
from unet_tutorial.models import AttentionUNet

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def setting():
    torch.manual_seed(0)
    return AttentionUNet(base_channels=4).eval(), SyntheticFloodDataset(5, 16)


def test_examples_spread_over_the_water_fractions(setting) -> None:
    model, dataset = setting
    examples = attention_examples(model, dataset, count=2)
    assert len(examples.ids) == 2 and examples.water == sorted(examples.water)
    assert examples.water[0] == min(float(dataset[i][1].mean()) for i in range(len(dataset)))
    assert examples.gate_names == ["1/1", "1/8"]
    assert examples.attention[0].shape == (2, 16, 16) and examples.images[0].shape == (16, 16, 3)
    assert 0 <= examples.attention[1].min() and examples.attention[1].max() <= 1


def test_attention_on_water_has_one_pair_per_gate(setting) -> None:
    model, dataset = setting
    contrast = attention_on_water(model, dataset)
    assert list(contrast) == ["1/1", "1/2", "1/4", "1/8"]
    assert all(0 <= a <= 1 and 0 <= b <= 1 for a, b in contrast.values())
    with pytest.raises(ValueError, match="non-empty"):
        attention_on_water(model, [])


def test_attention_on_water_is_the_mean_coefficient_on_each_kind_of_pixel(setting) -> None:
    model, dataset = setting
    images = torch.stack([dataset[i][0] for i in range(len(dataset))])
    water = torch.stack([dataset[i][1] for i in range(len(dataset))]) > 0.5
    finest = model.attention_maps(images)[0]
    on_water, elsewhere = attention_on_water(model, dataset)["1/1"]
    assert on_water == pytest.approx(float(finest[water].mean()))
    assert elsewhere == pytest.approx(float(finest[~water].mean()))
    dry = [(dataset[0][0], torch.zeros_like(dataset[0][1]), "dry")]
    on_water, elsewhere = attention_on_water(model, dry)["1/1"]
    assert on_water != on_water and 0 <= elsewhere <= 1  # no water pixel: NaN
