"""Loading the ImageNet weights offline, and failing clearly (and fast) when they are missing.

torchvision's checkpoint name is fixed by its URL (``vgg19-dcbb9e9d.pth``; the suffix is the
start of the real file's SHA-256). ``torch.hub`` checks that hash only while downloading; a file
already in the cache is loaded as it is. The test therefore writes its own checkpoint under that
name into a temporary ``TORCH_HOME``: it exercises exactly the cache path a user with a copied
file takes, and its content obviously does not match the real file's hash.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch

from unet_tutorial.models import weights
from unet_tutorial.models.vgg19_unet import VGG19UNet, vgg19_features


@pytest.fixture
def torch_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    # never touch the network in tests: the server is "unreachable"
    monkeypatch.setattr(weights, "can_reach", lambda url, timeout=0: False)
    return tmp_path


def test_checkpoint_path_follows_torch_home(torch_home: Path) -> None:
    assert weights.checkpoint_path() == torch_home / "hub" / "checkpoints" / "vgg19-dcbb9e9d.pth"


def test_pretrained_true_loads_the_cached_checkpoint(torch_home: Path) -> None:
    torch.manual_seed(123)
    features = vgg19_features()
    state = {f"features.{k}": v for k, v in features.state_dict().items()}
    state["classifier.6.bias"] = torch.zeros(1000)  # the real file also holds the classifier
    path = weights.checkpoint_path()
    path.parent.mkdir(parents=True)
    torch.save(state, path)
    model = VGG19UNet(pretrained=True)
    assert model.pretrained_loaded and "loaded" in model.weights_note
    loaded = {
        name: tensor for block in model.encoder for name, tensor in block.state_dict().items()
    }
    for name, tensor in features.state_dict().items():
        if int(name.split(".")[0]) < 36:
            assert torch.equal(loaded[name], tensor), name


def test_pretrained_true_without_weights_names_file_and_folder(torch_home: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(weights.PretrainedWeightsUnavailable) as error:
        VGG19UNet(pretrained=True)
    message = str(error.value)
    assert str(weights.checkpoint_path()) in message and "TORCH_HOME" in message
    assert time.perf_counter() - started < 30


def test_pretrained_auto_falls_back_with_one_line_on_stdout(
    torch_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = VGG19UNet(pretrained="auto")
    out, err = capsys.readouterr()
    assert not model.pretrained_loaded
    assert len(out.strip().splitlines()) == 1 and "random" in out and err == ""
    assert "random initialisation" in model.weights_note


def test_a_checkpoint_without_features_is_rejected(torch_home: Path) -> None:
    path = weights.checkpoint_path()
    path.parent.mkdir(parents=True)
    torch.save({"fc.weight": torch.zeros(2, 2)}, path)
    with pytest.raises(weights.PretrainedWeightsUnavailable, match="features"):
        VGG19UNet(pretrained=True)


def test_can_reach_fails_fast_for_an_unroutable_host() -> None:
    started = time.perf_counter()
    assert not weights.can_reach("https://invalid.invalid/x.pth", timeout=2.0)
    assert time.perf_counter() - started < 10
