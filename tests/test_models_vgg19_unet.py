"""The VGG19 U-Net: encoder split, shapes for any size, freezing that really freezes, split
skips."""

from __future__ import annotations

import copy

import pytest
import torch
import torchvision
from torch import nn

from unet_tutorial.models.freezing import count_parameters, is_frozen
from unet_tutorial.models.split_skip import SplitSkipDecoderStep, split_frozen_skips
from unet_tutorial.models.summary import summarize
from unet_tutorial.models.vgg19_unet import ENCODER_SPLITS, VGG19UNet, encoder_table


@pytest.fixture(scope="module")
def base_model() -> VGG19UNet:
    torch.manual_seed(0)
    return VGG19UNet(dropout=0.0)


@pytest.fixture
def model(base_model: VGG19UNet) -> VGG19UNet:
    return copy.deepcopy(base_model)


def test_encoder_is_vgg19_features_split_before_each_pooling(model: VGG19UNet) -> None:
    with torch.device("meta"):
        vgg = torchvision.models.vgg19()
    expected = {
        k: v.shape for k, v in vgg.features.state_dict().items() if int(k.split(".")[0]) < 36
    }
    ours = {}
    for (start, stop), block in zip(ENCODER_SPLITS, model.encoder, strict=True):
        assert [int(name) for name, _ in block.named_children()] == list(range(start, stop))
        ours |= {k: v.shape for k, v in block.state_dict().items()}
    assert ours == expected
    assert all(isinstance(block[-1], nn.ReLU) for block in model.encoder)  # pooling dropped


def test_encoder_outputs_five_resolution_levels(model: VGG19UNet) -> None:
    with torch.no_grad():
        features = model.encode(torch.randn(1, 3, 64, 64))
    assert [tuple(f.shape[1:]) for f in features] == [
        (64, 64, 64),
        (128, 32, 32),
        (256, 16, 16),
        (512, 8, 8),
        (512, 4, 4),
    ]


@pytest.mark.parametrize("size", [(64, 64), (50, 37), (17, 90)])
def test_output_matches_input_size(model: VGG19UNet, size: tuple[int, int]) -> None:
    with torch.no_grad():
        assert model(torch.randn(2, 3, *size)).shape == (2, 1, *size)


def test_shapes_for_224(model: VGG19UNet) -> None:
    table = summarize(model, (1, 3, 224, 224), max_depth=1)
    assert [row.output_shape for row in table.rows][4:] == [
        (1, 512, 14, 14),
        (1, 512, 28, 28),
        (1, 256, 56, 56),
        (1, 128, 112, 112),
        (1, 64, 224, 224),
        (1, 1, 224, 224),
    ]


@pytest.mark.parametrize("num_classes", [1, 2, 3])
def test_num_classes_is_the_number_of_output_channels(num_classes: int) -> None:
    # the meaning every network of the package gives it
    assert VGG19UNet(num_classes=num_classes).head.out_channels == num_classes


def test_bad_arguments_are_clear_errors(model: VGG19UNet) -> None:
    with pytest.raises(ValueError, match="pretrained"):
        VGG19UNet(pretrained="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="from_block"):
        model.unfreeze_encoder(from_block=6)
    with pytest.raises(ValueError, match="3×H×W"):
        model(torch.zeros(1, 1, 32, 32))


def test_trainable_counts_before_and_after_unfreezing(model: VGG19UNet) -> None:
    decoder = sum(p.numel() for m in (model.decoder, model.head) for p in m.parameters())
    encoder = [sum(p.numel() for p in block.parameters()) for block in model.encoder]
    assert count_parameters(model) == decoder + sum(encoder)
    assert count_parameters(model, trainable_only=True) == decoder  # frozen at construction
    model.unfreeze_encoder()  # block 5
    assert count_parameters(model, trainable_only=True) == decoder + encoder[4]
    model.freeze_encoder()
    model.unfreeze_encoder(from_block=3)
    assert count_parameters(model, trainable_only=True) == decoder + sum(encoder[2:])
    model.freeze_encoder()
    model.unfreeze_encoder(from_layer=34)  # the original's "index > 33": the last convolution
    assert count_parameters(model, trainable_only=True) == decoder + 512 * 512 * 9 + 512


def test_the_original_tutorials_unfreezing_unfreezes_nothing(model: VGG19UNet) -> None:
    before = count_parameters(model, trainable_only=True)
    for index, layer in enumerate(model.encoder[4]):
        if index > 0:
            layer.requires_grad = True  # the original's mistake: an attribute on the module
    assert count_parameters(model, trainable_only=True) == before


def _train_steps(model: nn.Module, steps: int = 1) -> None:
    torch.manual_seed(1)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    x, y = torch.randn(1, 3, 32, 32), (torch.rand(1, 1, 32, 32) > 0.5).float()
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(model(x), y).backward()
        optimizer.step()


def test_frozen_parameters_stay_bit_identical_and_unfrozen_ones_change(model: VGG19UNet) -> None:
    model.unfreeze_encoder(from_block=5)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    _train_steps(model)
    for name, p in model.named_parameters():
        if p.requires_grad:
            assert not torch.equal(p, before[name]), f"{name} is trainable but did not change"
        else:
            assert torch.equal(p, before[name]), f"{name} is frozen but changed"
    assert sum(p.requires_grad for p in model.encoder[4].parameters()) == 8
    assert is_frozen(model.encoder[3])


@pytest.mark.parametrize("unfreeze_from", [None, 4])
def test_split_skips_compute_the_same_loss_and_gradients(
    model: VGG19UNet, unfreeze_from: int | None
) -> None:
    if unfreeze_from is not None:
        model.unfreeze_encoder(from_block=unfreeze_from)
    plain = copy.deepcopy(model)
    split_frozen_skips(model)
    assert all(isinstance(step, SplitSkipDecoderStep) for step in model.decoder)
    assert model.state_dict().keys() == plain.state_dict().keys()
    x, y = torch.randn(1, 3, 32, 32), (torch.rand(1, 1, 32, 32) > 0.5).float()
    grads = []
    for m in (model, plain):
        loss = nn.functional.binary_cross_entropy_with_logits(m(x), y)
        loss.backward()
        grads.append({n: p.grad for n, p in m.named_parameters() if p.grad is not None})
    fast, slow = grads
    assert fast.keys() == slow.keys()
    assert any(name.startswith("encoder.4") for name in fast) == (unfreeze_from is not None)
    for name in fast:
        torch.testing.assert_close(fast[name], slow[name], rtol=1e-4, atol=1e-6)


def test_split_skips_take_the_split_path_only_for_a_skip_without_gradient(
    model: VGG19UNet,
) -> None:
    split_frozen_skips(model)
    step, calls = model.decoder[0], []
    hook = step.conv[0].register_forward_hook(lambda *_: calls.append("concatenated"))
    x, skip = torch.randn(1, 512, 2, 2), torch.randn(1, 512, 4, 4)
    step(x, skip)  # frozen skip: the first convolution runs as two F.conv2d calls
    step(x, skip.requires_grad_())  # the skip needs its gradient: concatenate
    with torch.no_grad():
        step(x, skip)  # no autograd: nothing to save, concatenate
    hook.remove()
    assert calls == ["concatenated", "concatenated"]
    assert split_frozen_skips(model).decoder[0] is step  # applying it twice changes nothing


def test_frozen_blocks_produce_skip_maps_without_autograd_history(model: VGG19UNet) -> None:
    features = model.encode(torch.randn(1, 3, 32, 32))
    assert not any(f.requires_grad for f in features)
    model.unfreeze_encoder(from_block=4)
    features = model.encode(torch.randn(1, 3, 32, 32))
    assert [f.requires_grad for f in features] == [False, False, False, True, True]


def test_encoder_table_lists_the_five_blocks(model: VGG19UNet) -> None:
    table = encoder_table(model, input_size=224)
    assert [row[1] for row in table.rows] == ["[0:4]", "[4:9]", "[9:18]", "[18:27]", "[27:36]"]
    assert table.rows[4][2] == "max pool, 4 × conv 512→512"
    assert table.rows[4][3] == "512 × 14 × 14" and table.rows[4][5] == "no"
    model.unfreeze_encoder(from_block=5)
    assert encoder_table(model).rows[4][5] == "yes"
    assert "<table>" in encoder_table(model)._repr_html_() and "[27:36]" in str(table)
