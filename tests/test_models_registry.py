"""unet_tutorial.models.registry: every network the book trains, built by name."""

from __future__ import annotations

import pytest
import torch

from unet_tutorial.models import (
    MODELS,
    AttentionUNet,
    MirrorPaddedUNet,
    UNet,
    VGG19UNet,
    create_model,
    model_from_spec,
    model_info,
    model_spec,
)

pytestmark = pytest.mark.usefixtures("one_thread")

SMALL = {"base_channels": 2}


def test_the_registry_holds_the_books_networks() -> None:
    assert list(MODELS) == [
        "paper_unet",
        "unet",
        "vgg19_unet",
        "unet_plus_plus",
        "attention_unet",
        "vnet_style",
    ]
    assert all(info.title and info.note for info in MODELS.values())
    assert isinstance(create_model("paper_unet", **SMALL), MirrorPaddedUNet)
    assert isinstance(create_model("unet", **SMALL), UNet)
    assert isinstance(create_model("attention_unet", **SMALL), AttentionUNet)


@pytest.mark.parametrize("name", [n for n in MODELS if n != "vgg19_unet"])
@pytest.mark.parametrize("classes", [1, 3])
def test_every_network_keeps_the_size_and_gives_num_classes_channels(name, classes) -> None:
    model = create_model(name, num_classes=classes, **SMALL).eval()
    with torch.no_grad():
        assert model(torch.rand(1, 3, 30, 44)).shape == (1, classes, 30, 44)


def test_vgg19_takes_no_width_and_num_classes_means_channels() -> None:
    with pytest.raises(ValueError, match="no base_channels"):
        create_model("vgg19_unet", base_channels=8)
    model = create_model("vgg19_unet", num_classes=2)
    assert isinstance(model, VGG19UNet) and model.head.out_channels == 2


def test_the_plain_unet_gets_the_variants_initialisation() -> None:
    torch.manual_seed(0)
    registered = create_model("unet", **SMALL)
    torch.manual_seed(0)
    plain = UNet(**SMALL)
    bn = registered.encoder[0][1]
    assert torch.equal(bn.weight, torch.ones_like(bn.weight))
    assert not torch.equal(registered.encoder[0][0].weight, plain.encoder[0][0].weight)


def test_specs_rebuild_the_same_network() -> None:
    spec = model_spec("attention_unet", num_classes=1, base_channels=2)
    assert spec == {"name": "attention_unet", "kwargs": {"num_classes": 1, "base_channels": 2}}
    model = model_from_spec(spec, pretrained=False)  # ignored: not a VGG19 U-Net
    assert isinstance(model, AttentionUNet) and model.num_classes == 1
    vgg = model_from_spec(model_spec("vgg19_unet", pretrained="auto"), pretrained=False)
    assert not vgg.pretrained_loaded


def test_unknown_names_and_arguments_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="Unknown model 'segformer'.*attention_unet"):
        create_model("segformer")
    with pytest.raises(ValueError, match="cannot build a model called 'resnet'"):
        model_from_spec({"name": "resnet", "kwargs": {}})
    with pytest.raises(ValueError, match="cannot build 'unet'"):
        create_model("unet", widht=3)
    assert model_info("unet").title == "U-Net (padded, BatchNorm)"
