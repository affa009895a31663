"""The original tutorial's model: a U-Net whose encoder is the feature extractor of VGG19.

VGG19 (Simonyan & Zisserman, 2015) is a stack of padded 3×3 convolutions with ReLU, interrupted by
2×2 max poolings. Cutting its ``features`` just before each pooling gives five blocks, one per
resolution level, which become the contracting path of a U-Net:

=====  ===================  ========  ==========
block  ``features`` slice   channels  resolution
=====  ===================  ========  ==========
1      ``[0:4]``            64        1
2      ``[4:9]``            128       1/2
3      ``[9:18]``           256       1/4
4      ``[18:27]``          512       1/8
5      ``[27:36]``          512       1/16
=====  ===================  ========  ==========

(the last pooling, ``features[36]``, is dropped). The decoder mirrors it: per level a 2×2
up-convolution with stride 2, concatenation with the encoder block of the same resolution, two
padded 3×3 convolutions with ReLU and 2-D dropout. A final 3×3 convolution gives the logits.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn
from torchvision.models.vgg import cfgs, make_layers

from unet_tutorial.models.freezing import count_parameters, is_frozen, set_trainable
from unet_tutorial.models.padding import crop_to, pad_to_multiple
from unet_tutorial.models.summary import Table
from unet_tutorial.models.weights import (
    VGG19_IMAGENET_WEIGHTS,
    PretrainedWeightsUnavailable,
    checkpoint_path,
    load_vgg19_feature_weights,
)

#: ``(start, stop)`` of each encoder block in ``torchvision.models.vgg19().features``.
ENCODER_SPLITS: tuple[tuple[int, int], ...] = ((0, 4), (4, 9), (9, 18), (18, 27), (27, 36))
#: Output channels of the five encoder blocks.
ENCODER_CHANNELS: tuple[int, ...] = (64, 128, 256, 512, 512)
#: The encoder halves H and W four times: inputs are padded to a multiple of this.
SIZE_MULTIPLE = 16


def vgg19_features() -> nn.Sequential:
    """VGG19's ``features`` (16 convolutions, 5 poolings) with torchvision's random initialisation.

    Built without the classifier, whose 120 million parameters the U-Net never uses.
    """
    features = make_layers(cfgs["E"], batch_norm=False)
    for layer in features.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    return features


def load_imagenet_weights(features: nn.Sequential, pretrained: bool | str) -> tuple[bool, str]:
    """Load VGG19's ImageNet weights into ``features`` as ``pretrained`` asks.

    Args:
        features: VGG19's ``features``, from :func:`vgg19_features`.
        pretrained: ``True`` loads torchvision's ``VGG19_Weights.IMAGENET1K_V1`` (from the torch
            hub cache or downloaded) and raises
            :class:`~unet_tutorial.models.weights.PretrainedWeightsUnavailable` when it cannot;
            ``"auto"`` falls back to the random weights with a one-line notice printed to stdout;
            ``False`` keeps the random weights.

    Returns:
        Whether the weights were loaded, and a note that says what happened in words (it names
        the checkpoint file, not the machine's cache folder).
    """
    if pretrained not in (True, False, "auto"):
        raise ValueError(f"pretrained must be True, False or 'auto', got {pretrained!r}.")
    if not pretrained:
        return False, "random initialisation (pretrained=False)"
    try:
        features.load_state_dict(load_vgg19_feature_weights())
    except PretrainedWeightsUnavailable:
        if pretrained is True:
            raise
        note = (
            f"random initialisation: ImageNet weights ({checkpoint_path().name}) not in the "
            "torch hub cache and not downloadable"
        )
        print(f"VGG19UNet(pretrained='auto'): {note}")
        return False, note
    return True, f"ImageNet weights {VGG19_IMAGENET_WEIGHTS} loaded"


class DecoderStep(nn.Module):
    """Up-convolution, concatenation with the skip map, two 3×3 convolutions + ReLU, dropout.

    Shapes: x N×C_in×H×W and skip N×C_out×2H×2W → N×C_out×2H×2W.
    """

    def __init__(self, in_channels: int, out_channels: int, dropout: float) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, out_channels, kernel_size=2, stride=2)
        self.conv = nn.Sequential(
            nn.Conv2d(2 * out_channels, out_channels, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Dropout2d(dropout),
        )

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.conv(torch.cat([self.up(x), skip], dim=1))


class VGG19UNet(nn.Module):
    """U-Net with a VGG19 encoder (ImageNet weights when available) for RGB images.

    Args:
        num_classes: output channels: 1 gives one logit per pixel (binary segmentation, to
            use with ``BCEWithLogitsLoss``); C gives one logit per class (``CrossEntropyLoss``).
            The same meaning as in every network of :mod:`unet_tutorial.models`.
        pretrained: ``True``, ``"auto"`` or ``False``: whether to load the ImageNet weights
            into the encoder (see :func:`load_imagenet_weights`). ``self.pretrained_loaded``
            records what happened and ``self.weights_note`` says it in words.
        dropout: probability of ``Dropout2d`` after each decoder step (0.25 in the original).

    The encoder is frozen at construction, as in the original; see :meth:`unfreeze_encoder`.
    Shapes: N×3×H×W (ImageNet-normalised) → N×num_classes×H×W logits.
    H and W need not be multiples of 16: the input is padded and the output cropped back.
    A faster backward pass for a frozen encoder, same results: :mod:`.split_skip`.
    """

    def __init__(
        self, num_classes: int = 1, pretrained: bool | str = False, dropout: float = 0.25
    ) -> None:
        super().__init__()
        if num_classes < 1:
            raise ValueError(f"num_classes must be at least 1, got {num_classes}.")
        self.num_classes = num_classes
        features = vgg19_features()
        self.pretrained_loaded, self.weights_note = load_imagenet_weights(features, pretrained)
        # Slicing keeps VGG's layer indices as names: encoder.4.34 is features[34].
        self.encoder = nn.ModuleList(features[start:stop] for start, stop in ENCODER_SPLITS)
        channels = ENCODER_CHANNELS
        self.decoder = nn.ModuleList(
            DecoderStep(channels[level + 1], channels[level], dropout)
            for level in reversed(range(len(channels) - 1))
        )
        self.head = nn.Conv2d(channels[0], num_classes, kernel_size=3, padding=1)
        self.freeze_encoder()

    def freeze_encoder(self) -> None:
        """Freeze every encoder parameter (``requires_grad_(False)``)."""
        set_trainable(self.encoder, False)

    def unfreeze_encoder(self, from_block: int = 5, from_layer: int | None = None) -> None:
        """Make encoder parameters trainable again, from a block or a VGG layer index on.

        Args:
            from_block: first encoder block (1-5) to unfreeze; the blocks after it follow.
            from_layer: alternatively, the first index into VGG19's ``features`` to unfreeze
                (the original tutorial meant ``index > 33``, i.e. ``from_layer=34``: the last
                convolution). Overrides ``from_block`` when given.
        """
        if from_layer is not None:
            if not 0 <= from_layer < ENCODER_SPLITS[-1][1]:
                raise ValueError(f"from_layer must be a features index in 0..35, got {from_layer}.")
            layers = [
                layer
                for block in self.encoder
                for name, layer in block.named_children()
                if int(name) >= from_layer
            ]
            set_trainable(layers, True)
        elif 1 <= from_block <= len(self.encoder):
            set_trainable(self.encoder[from_block - 1 :], True)
        else:
            raise ValueError(f"from_block must be between 1 and 5, got {from_block}.")

    def train_all_unless_pretrained(self) -> bool:
        """Without ImageNet weights, unfreeze the whole encoder and return ``True``.

        A frozen encoder is only worth keeping for the features ImageNet taught it; a frozen
        random one hands the decoder features nobody trained, so without the weights the
        whole network trains from scratch. With them, nothing changes (``False``).
        """
        if self.pretrained_loaded:
            return False
        self.unfreeze_encoder(from_block=1)
        return True

    def encode(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The five encoder outputs, full resolution first: N×64×H×W ... N×512×H/16×W/16."""
        outputs = []
        for block in self.encoder:
            x = block(x)
            outputs.append(x)
        return outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(
                f"Expected an N×3×H×W batch of RGB images, got shape {tuple(x.shape)}."
            )
        # Each decoder step undoes one halving: the sides must divide by 2**4.
        x, size = pad_to_multiple(x, 2 ** len(self.decoder))
        *skips, x = self.encode(x)
        for step, skip in zip(self.decoder, reversed(skips), strict=True):
            x = step(x, skip)
        return crop_to(self.head(x), size)


def encoder_table(model: VGG19UNet, input_size: int = 224) -> Table:
    """The five encoder blocks: their slice of VGG19's ``features``, their layers (every
    convolution is followed by a ReLU), output channels and size, and parameters."""
    rows = []
    blocks = zip(ENCODER_SPLITS, model.encoder, strict=True)
    for number, ((start, stop), block) in enumerate(blocks, start=1):
        layers = [
            f"conv {layer.in_channels}→{layer.out_channels}"
            if isinstance(layer, nn.Conv2d)
            else "max pool"
            for layer in block
            if isinstance(layer, nn.Conv2d | nn.MaxPool2d)
        ]
        layers = [f"{n} × {name}" if n > 1 else name for name, n in _runs(layers)]
        side = input_size // 2 ** (number - 1)
        rows.append(
            (
                str(number),
                f"[{start}:{stop}]",
                ", ".join(layers),
                f"{ENCODER_CHANNELS[number - 1]} × {side} × {side}",
                f"{count_parameters(block):,}",
                "no" if is_frozen(block) else "yes",
            )
        )
    header = ("block", "features", "layers", "output (C × H × W)", "parameters", "trainable")
    return Table(header, rows)


def _runs(items: list[str]) -> list[tuple[str, int]]:
    """Consecutive repeats counted: ``["a", "a", "b"]`` → ``[("a", 2), ("b", 1)]``."""
    return [(item, len(list(group))) for item, group in itertools.groupby(items)]
