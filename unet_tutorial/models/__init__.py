"""The book's networks and the tools around them.

Build a network by name with :func:`create_model` (the registry, :mod:`.registry`).

Networks, one file each:

- :mod:`~unet_tutorial.models.paper_unet` -- the U-Net of the paper (valid convolutions, 572 → 388)
  and which input sizes it accepts; :mod:`~unet_tutorial.models.mirror_padded` makes it keep its
  input size.
- :mod:`~unet_tutorial.models.unet` -- the plain padded U-Net, with switchable skips (chapter 4).
- :mod:`~unet_tutorial.models.vgg19_unet` -- the original tutorial's U-Net with a VGG19 encoder;
  :mod:`~unet_tutorial.models.weights` loads its ImageNet weights.
  :mod:`~unet_tutorial.models.split_skip` makes its backward pass cheaper while the encoder is
  frozen (an option, same function).
- :mod:`~unet_tutorial.models.unet_plus_plus`, :mod:`~unet_tutorial.models.attention_unet`,
  :mod:`~unet_tutorial.models.vnet_style` -- U-Net++, Attention U-Net and a 2D V-Net-style U-Net.

Around them:

- :mod:`~unet_tutorial.models.registry` -- :func:`create_model` and the display names.
- :mod:`~unet_tutorial.models.blocks` / :mod:`~unet_tutorial.models.padding` -- the padded
  conv-BN-ReLU block, the residual block and the pad-to-a-multiple / crop-back helpers.
- :mod:`~unet_tutorial.models.receptive_field` -- which input pixels one output pixel sees.
- :mod:`~unet_tutorial.models.tiling` -- the paper's overlap-tile prediction with mirror padding.
- :mod:`~unet_tutorial.models.freezing` -- freezing and counting parameters.
- :mod:`~unet_tutorial.models.summary` -- a per-layer table of any model.
"""

from unet_tutorial.models.attention_unet import AttentionGate, AttentionUNet
from unet_tutorial.models.blocks import ConvBlock, ResidualBlock
from unet_tutorial.models.freezing import count_parameters, is_frozen, set_trainable
from unet_tutorial.models.mirror_padded import MirrorPaddedUNet, padded_input_side
from unet_tutorial.models.padding import crop_to, pad_to_multiple
from unet_tutorial.models.paper_unet import (
    PaperUNet,
    is_valid_input_size,
    nearest_valid_sizes,
    output_size,
    paper_unet_sizes,
    valid_input_sizes,
)
from unet_tutorial.models.receptive_field import receptive_field_size, receptive_interval
from unet_tutorial.models.registry import (
    MODELS,
    ModelInfo,
    create_model,
    info_of,
    model_from_spec,
    model_info,
    model_spec,
    model_spec_for,
    size_multiple,
)
from unet_tutorial.models.summary import ModelSummary, count_layers, summarize
from unet_tutorial.models.tiling import mirror_pad, predict_tiled
from unet_tutorial.models.unet import SKIP_MODES, UNet
from unet_tutorial.models.unet_plus_plus import UNetPlusPlus, deep_supervision_loss
from unet_tutorial.models.vgg19_unet import ENCODER_CHANNELS, ENCODER_SPLITS, VGG19UNet
from unet_tutorial.models.vnet_style import VNetStyleUNet
from unet_tutorial.models.weights import PretrainedWeightsUnavailable, checkpoint_path

__all__ = [
    "MODELS",
    "SKIP_MODES",
    "AttentionGate",
    "AttentionUNet",
    "ConvBlock",
    "ENCODER_CHANNELS",
    "ENCODER_SPLITS",
    "MirrorPaddedUNet",
    "ModelInfo",
    "info_of",
    "model_spec_for",
    "size_multiple",
    "ModelSummary",
    "PaperUNet",
    "PretrainedWeightsUnavailable",
    "ResidualBlock",
    "UNet",
    "UNetPlusPlus",
    "VGG19UNet",
    "VNetStyleUNet",
    "checkpoint_path",
    "count_layers",
    "count_parameters",
    "create_model",
    "crop_to",
    "deep_supervision_loss",
    "is_frozen",
    "is_valid_input_size",
    "mirror_pad",
    "model_from_spec",
    "model_info",
    "model_spec",
    "nearest_valid_sizes",
    "output_size",
    "pad_to_multiple",
    "padded_input_side",
    "paper_unet_sizes",
    "predict_tiled",
    "receptive_field_size",
    "receptive_interval",
    "set_trainable",
    "summarize",
    "valid_input_sizes",
]
