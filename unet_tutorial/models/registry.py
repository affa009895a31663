"""One registry of the networks the book trains: build any of them by name.

:func:`create_model` is the entry point (segmentation_models_pytorch uses the same name for the
same job). Every registered network maps an ``N×3×H×W`` batch of normalised RGB images to
``N×num_classes×H×W`` logits for any H and W: one logit per pixel for a binary mask (train it
with ``BCEWithLogitsLoss``), or one per class (``CrossEntropyLoss``).

A *model spec*, ``{"name": ..., "kwargs": {...}}``, is how checkpoints record which network
they hold; :func:`model_spec_for` writes one from plain choices (classes, width, weights) and
:func:`model_from_spec` rebuilds the network.

What a network can do is a fact of its registry entry (:class:`ModelInfo`): whether it takes a
width, whether its encoder can start from ImageNet weights, the multiple its input is padded
to. Code elsewhere asks the registry (:func:`model_info`, :func:`info_of`) instead of testing
names or classes.
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
        cls: the class of the instances ``build`` returns.
        has_width: whether it takes ``base_channels`` (the VGG19 U-Net's widths are VGG19's).
        pretrained_encoder: whether its encoder can start from ImageNet weights (it takes
            ``pretrained``, has ``train_all_unless_pretrained`` and ``unfreeze_encoder``).
        any_size: whether it accepts any input side of at least :func:`size_multiple`, padding
            internally (the paper's valid-convolution U-Net accepts only certain sizes).
    """

    name: str
    title: str
    note: str
    build: Callable[..., nn.Module]
    cls: type[nn.Module]
    has_width: bool = True
    pretrained_encoder: bool = False
    any_size: bool = True


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
            MirrorPaddedUNet,
            any_size=False,
        ),
        ModelInfo(
            "unet",
            "U-Net (padded, BatchNorm)",
            "chapter 4's U-Net at depth 4: the baseline of the three variants",
            _plain_unet,
            UNet,
        ),
        ModelInfo(
            "vgg19_unet",
            "U-Net with VGG19 encoder",
            "VGG19's convolutions as the encoder (ImageNet weights where they load)",
            VGG19UNet,
            VGG19UNet,
            has_width=False,
            pretrained_encoder=True,
        ),
        ModelInfo(
            "unet_plus_plus",
            "U-Net++",
            "nested dense skips, no deep supervision",
            UNetPlusPlus,
            UNetPlusPlus,
        ),
        ModelInfo(
            "attention_unet",
            "Attention U-Net",
            "additive attention gates on the 4 skips",
            AttentionUNet,
            AttentionUNet,
        ),
        ModelInfo(
            "vnet_style",
            "V-Net-style U-Net (2D)",
            "strided convolutions, residual stages (2D)",
            VNetStyleUNet,
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


def info_of(model: nn.Module) -> ModelInfo:
    """The registry entry of a network built by :func:`create_model`.

    Raises:
        ValueError: for a network this registry did not build.
    """
    for info in MODELS.values():
        if type(model) is info.cls:
            return info
    raise ValueError(f"{type(model).__name__} is not a network of this package's registry.")


def size_multiple(model: nn.Module) -> int | None:
    """The multiple a network pads its input's height and width to (``None`` for a network
    that accepts only certain sizes, such as the paper's U-Net)."""
    if not info_of(model).any_size:
        return None
    if info_of(model).pretrained_encoder:
        from unet_tutorial.models.vgg19_unet import SIZE_MULTIPLE

        return SIZE_MULTIPLE
    return 2 ** int(model.depth)


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


def model_spec_for(
    name: str,
    *,
    num_classes: int = 1,
    width: int | None = None,
    pretrained: bool | str = False,
) -> ModelSpec:
    """The spec of network ``name`` from plain choices: ``width`` (channels of the first level)
    goes to networks that take one, ``pretrained`` to networks whose encoder can start from
    ImageNet weights; each is left out where the network has no such setting.

    Raises:
        ValueError: for an unknown name, or a network with a width but none given.
    """
    info = model_info(name)
    kwargs: dict[str, Any] = {"num_classes": num_classes}
    if info.pretrained_encoder:
        kwargs["pretrained"] = pretrained
    if info.has_width:
        if width is None:
            raise ValueError(f"{info.title} needs a width (channels of its first level).")
        kwargs["base_channels"] = width
    return model_spec(name, **kwargs)


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
    if "pretrained" in overrides and not MODELS[name].pretrained_encoder:
        kwargs.pop("pretrained")
    return create_model(name, **kwargs)
