"""unet_tutorial.analysis.cost: parameters and operations counted on the meta device."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from unet_tutorial.analysis.cost import model_cost, training_operations
from unet_tutorial.models import MODELS, count_parameters, create_model


@pytest.mark.parametrize("name", [name for name in MODELS if MODELS[name].has_width])
def test_meta_counts_equal_those_of_a_real_network(name: str) -> None:
    cost = model_cost(name, width=4, side=32)
    model = create_model(name, base_channels=4).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.rand(1, 3, 32, 32))
    assert cost.parameters == count_parameters(model)
    assert cost.flops == counter.get_total_flops()
    assert cost.side == 32
    assert cost.millions == pytest.approx(cost.parameters / 1e6)
    assert cost.gflops == pytest.approx(cost.flops / 1e9)


def test_one_convolution_costs_what_the_formula_says() -> None:
    # the plain U-Net's first convolution alone: 3 -> 4 channels, 3x3, on 32x32
    cost = model_cost("unet", width=4, side=32)
    first = 2 * 3 * 4 * 9 * 32 * 32  # two operations per multiply-add
    assert cost.flops > first


def test_operations_grow_with_the_image_area() -> None:
    small = model_cost("unet", width=4, side=32)
    large = model_cost("unet", width=4, side=64)
    assert large.parameters == small.parameters
    assert large.flops == 4 * small.flops


def test_width_is_required_where_the_network_takes_one() -> None:
    with pytest.raises(ValueError, match="needs a width"):
        model_cost("unet")
    vgg = model_cost("vgg19_unet", side=32)
    assert vgg.parameters == model_cost("vgg19_unet", width=64, side=32).parameters
    assert vgg.parameters > model_cost("unet", width=8, side=32).parameters


def test_training_operations_bound_a_counted_training_from_above() -> None:
    model = create_model("unet", base_channels=4)
    images = torch.rand(3, 3, 32, 32)
    with FlopCounterMode(display=False) as training:
        model(images).sum().backward()
    with torch.no_grad(), FlopCounterMode(display=False) as validation:
        model.eval()(images[:1])
    counted = 2 * (training.get_total_flops() + validation.get_total_flops())
    estimate = training_operations("unet", 4, 32, train_images=3, val_images=1, epochs=2)
    # A backward pass is counted as twice the forward; the real one skips the gradient of the
    # photo (the input needs none), so the estimate is an upper bound, and a close one.
    assert counted <= estimate <= 1.05 * counted
