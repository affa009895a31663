"""What a network costs before it is trained: parameters and arithmetic (chapter 11).

:func:`model_cost` builds a network of the registry on PyTorch's ``meta`` device, where tensors
have shapes but no memory and no values, so even a 55-million-parameter network is counted in a
fraction of a second. It returns the number of parameters and the floating-point operations of
one forward pass on a square image, as counted by
:class:`torch.utils.flop_counter.FlopCounterMode` (the matrix products and convolutions,
transposed ones included, at two operations per multiply-add; batch norm, ReLU and pooling are
not counted: they are cheap by comparison). :func:`training_operations` scales that to a
whole training, for estimating its length where no time has been measured.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from unet_tutorial.models.freezing import count_parameters
from unet_tutorial.models.registry import create_model, model_info


@dataclass(frozen=True)
class ModelCost:
    """The size and arithmetic of one network.

    Attributes:
        parameters: all its parameters.
        flops: floating-point operations of one forward pass on one ``side``×``side`` RGB image.
        side: the image side the operations were counted for.
    """

    parameters: int
    flops: int
    side: int

    @property
    def millions(self) -> float:
        """Parameters in millions."""
        return self.parameters / 1e6

    @property
    def gflops(self) -> float:
        """Operations in billions (GFLOP)."""
        return self.flops / 1e9


def model_cost(name: str, width: int | None = None, side: int = 128) -> ModelCost:
    """Parameters and forward-pass operations of the registry's network ``name``.

    Args:
        name: a key of :data:`unet_tutorial.models.MODELS`.
        width: channels of its first level (``base_channels``); ignored for a network with
            fixed widths (the VGG19 U-Net), required for the others.
        side: the side of the square image one forward pass is counted on.

    Nothing is allocated or computed: the network lives on the ``meta`` device.
    """
    info = model_info(name)
    if info.has_width:
        if width is None:
            raise ValueError(f"{info.title} needs a width (base_channels) to be built.")
        kwargs: dict[str, object] = {"base_channels": width}
    else:
        kwargs = {"pretrained": False}  # the weights do not change the counts
    with torch.device("meta"):
        model = create_model(name, **kwargs).eval()
    image = torch.zeros(1, 3, side, side, device="meta")
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(image)
    return ModelCost(count_parameters(model), int(counter.get_total_flops()), side)


def training_operations(
    name: str,
    width: int | None,
    side: int,
    *,
    train_images: int,
    val_images: int,
    epochs: int,
) -> int:
    """Floating-point operations of ``epochs`` epochs of training network ``name``.

    Per epoch, a forward and a backward pass over each of ``train_images`` (the backward
    counted as twice the forward: one product for the gradient of the input, one for the
    weights) and a forward pass over each of ``val_images``, on ``side``×``side`` images. An
    upper bound for a network with frozen layers, whose weight gradients are skipped.
    """
    forward = model_cost(name, width, side).flops
    return forward * (3 * train_images + val_images) * epochs
