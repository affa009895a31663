"""unet_tutorial.training.checkpoint: safe loading with clear errors."""

from __future__ import annotations

import pytest
import torch

from unet_tutorial.training.checkpoint import CheckpointError, load_checkpoint


def test_load_checkpoint_errors(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        load_checkpoint(tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="junk.pt") as caught:
        load_checkpoint(junk)
    # PyTorch's own message suggests weights_only=False, which would run the file's code
    assert "weights_only" not in str(caught.value)
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="no 'model'"):
        load_checkpoint(tmp_path / "other.pt")
