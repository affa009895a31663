"""One registry of the networks the book trains: build any of them by name.

:func:`create_model` is the entry point (segmentation_models_pytorch uses the same name for the
same job). Every registered network maps an ``N×3×H×W`` batch of normalised RGB images to
``N×num_classes×H×W`` logits for any H and W: one logit per pixel for a binary mask (train it
with ``BCEWithLogitsLoss``), or one per class (``CrossEntropyLoss``).

A *model spec*, ``{"name": ..., "kwargs": {...}}``, is how checkpoints record which network
they hold; :func:`model_from_spec` rebuilds it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from unet_tutorial.models.attention_unet import AttentionUNet
from unet_tutorial.models.blocks import init_weights
from unet_tutorial.models.mirror_padded import MirrorPaddedUNet
from unet_tutorial.models.paper_unet import PaperUNet
from unet_tutorial.models.unet import UNet
from unet_tutorial.models.unet_plus_plus import UNetPlusPlus
from unet_tutorial.models.vgg19_unet import VGG19UNet
from unet_tutorial.models.vnet_style import VNetStyleUNet

ModelSpec = dict[str, Any]


@dataclass(frozen=True)
class ModelInfo:
    """A registered network.

    Attributes:
        name: the registry key (``"attention_unet"``).
        title: its name in tables and prose (``"Attention U-Net"``).
        note: one line on what sets it apart.
        build: ``build(**kwargs)`` returns a new instance.
        has_width: whether it takes ``base_channels`` (the VGG19 U-Net's widths are VGG19's).
    """

    name: str
    title: str
    note: str
    build: Callable[..., nn.Module]
    has_width: bool = True


def _plain_unet(**kwargs: Any) -> UNet:
    model = UNet(**kwargs)
    init_weights(model)  # the variants' initialisation, so that only the architecture differs
    return model


def _paper_unet(in_channels: int = 3, num_classes: int = 1, **kwargs: Any) -> MirrorPaddedUNet:
    return MirrorPaddedUNet(PaperUNet(in_channels=in_channels, num_classes=num_classes, **kwargs))


MODELS: dict[str, ModelInfo] = {
    info.name: info
    for info in (
        ModelInfo(
            "paper_unet",
            "U-Net (paper, mirror-padded)",
            "valid convolutions, mirror-padded input (one overlap tile)",
            _paper_unet,
        ),
        ModelInfo(
            "unet",
            "U-Net (padded, BatchNorm)",
            "chapter 4's U-Net at depth 4: the baseline of the three variants",
            _plain_unet,
        ),
        ModelInfo(
            "vgg19_unet",
            "U-Net with VGG19 encoder",
            "VGG19's convolutions as the encoder (ImageNet weights where they load)",
            VGG19UNet,
            has_width=False,
        ),
        ModelInfo(
            "unet_plus_plus",
            "U-Net++",
            "nested dense skips, no deep supervision",
            UNetPlusPlus,
        ),
        ModelInfo(
            "attention_unet",
            "Attention U-Net",
            "additive attention gates on the 4 skips",
            AttentionUNet,
        ),
        ModelInfo(
            "vnet_style",
            "V-Net-style U-Net (2D)",
            "strided convolutions, residual stages (2D)",
            VNetStyleUNet,
        ),
    )
}
"""The registered networks, in the order of the book's comparison table."""


def model_info(name: str) -> ModelInfo:
    """The registry entry ``name``.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name!r}; choose one of {list(MODELS)}.") from None


def create_model(name: str, **kwargs: Any) -> nn.Module:
    """A new network from the registry, e.g. ``create_model("attention_unet", base_channels=8)``.

    Args:
        name: a key of :data:`MODELS`.
        kwargs: constructor arguments: ``num_classes`` (output channels, default 1),
            ``in_channels``, ``base_channels`` (not for ``"vgg19_unet"``), ``pretrained``
            (``"vgg19_unet"`` only: ``True``, ``False`` or ``"auto"``), ...

    Raises:
        ValueError: for an unknown name or an argument the network does not take.
    """
    info = model_info(name)
    if "base_channels" in kwargs and not info.has_width:
        raise ValueError(
            f"{info.title} has the fixed widths of its encoder: it takes no base_channels."
        )
    try:
        return info.build(**kwargs)
    except TypeError as error:
        raise ValueError(f"cannot build {name!r} with {kwargs}: {error}") from error


def model_spec(name: str, **kwargs: Any) -> ModelSpec:
    """The spec a checkpoint stores for ``create_model(name, **kwargs)``."""
    model_info(name)  # validates the name
    return {"name": name, "kwargs": dict(kwargs)}


def model_from_spec(spec: ModelSpec, **overrides: Any) -> nn.Module:
    """The network a spec describes; ``overrides`` replace its arguments (for example
    ``pretrained=False`` before loading a checkpoint that holds every weight anyway).

    Raises:
        ValueError: when the spec names no registered network (a checkpoint of another program).
    """
    name = spec.get("name") if isinstance(spec, dict) else None
    if name not in MODELS:
        raise ValueError(
            f"cannot build a model called {name!r}: this package knows {list(MODELS)}. "
            "Was the checkpoint written by another program?"
        )
    kwargs = {**spec.get("kwargs", {}), **overrides}
    if "pretrained" in overrides and name != "vgg19_unet":
        kwargs.pop("pretrained")
    return create_model(name, **kwargs)
