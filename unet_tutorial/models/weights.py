"""ImageNet weights for the VGG19 encoder, through torchvision's weights API, failing fast offline.

torchvision names the checkpoint after its URL (``vgg19-dcbb9e9d.pth``, the suffix being the first
hex digits of the file's SHA-256) and keeps it in ``$TORCH_HOME/hub/checkpoints``
(``~/.cache/torch/hub/checkpoints`` by default). ``torch.hub`` checks the hash while it downloads;
a file already in the cache is trusted by its name and loaded as it is. So a checkpoint copied
there by hand (from a machine with internet) is used without any network access.
"""

from __future__ import annotations

import socket
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import torch
from torchvision.models import VGG19_Weights

#: The weights the encoder uses: VGG19 trained on ImageNet-1k (torchvision's only VGG19 weights).
VGG19_IMAGENET_WEIGHTS = VGG19_Weights.IMAGENET1K_V1

#: Seconds to wait for the download server before concluding that there is no network.
CONNECT_TIMEOUT_S = 5.0


class PretrainedWeightsUnavailable(RuntimeError):
    """The ImageNet weights are neither in the torch hub cache nor downloadable."""


def checkpoint_path(weights: VGG19_Weights = VGG19_IMAGENET_WEIGHTS) -> Path:
    """Where torch hub keeps (or would keep) the checkpoint file of ``weights``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(weights.url).path).name


def can_reach(url: str, timeout: float = CONNECT_TIMEOUT_S) -> bool:
    """Whether a TCP connection to the host of ``url`` opens within ``timeout`` seconds."""
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 443), timeout=timeout):
            return True
    except OSError:
        return False


@contextmanager
def _socket_timeout(seconds: float):
    """Make a stalled download raise instead of hanging (urllib uses the default timeout)."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def load_vgg19_feature_weights(
    weights: VGG19_Weights = VGG19_IMAGENET_WEIGHTS,
) -> dict[str, torch.Tensor]:
    """The state dict of VGG19's ``features`` (keys ``"0.weight"``, ..., ``"34.bias"``).

    Uses the cached checkpoint when present, otherwise downloads it (hash-checked by torch hub).

    Raises:
        PretrainedWeightsUnavailable: when the file is not cached and the server cannot be
            reached; the message names the expected file and the cache folder.
    """
    path = checkpoint_path(weights)
    if not path.is_file() and not can_reach(weights.url):
        raise PretrainedWeightsUnavailable(
            f"The ImageNet weights for VGG19 ({weights}) are not in the torch hub cache and "
            f"{urlparse(weights.url).hostname} cannot be reached. Expected file: {path} "
            f"(cache folder {path.parent}, set by TORCH_HOME). Download {weights.url} on a "
            "machine with internet and copy it there, or build the model with pretrained='auto' "
            "or pretrained=False to start from random weights."
        )
    try:
        with _socket_timeout(60.0):
            state = weights.get_state_dict(progress=False, check_hash=True, weights_only=True)
    except OSError as error:  # a download that started but failed
        raise PretrainedWeightsUnavailable(
            f"Could not download {weights.url} to {path}: {error}. Copy the file there by hand "
            "or use pretrained='auto' or pretrained=False."
        ) from error
    prefix = "features."
    features = {key[len(prefix) :]: value for key, value in state.items() if key.startswith(prefix)}
    if not features:
        raise PretrainedWeightsUnavailable(
            f"{path} holds no 'features.*' tensors: it is not a torchvision VGG19 checkpoint. "
            "Delete it and download the weights again."
        )
    return features
