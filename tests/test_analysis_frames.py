"""unet_tutorial.analysis.frames: the GIF's frames in numbers."""

from __future__ import annotations

import pytest
import torch

from unet_tutorial.analysis.frames import frame_scores, key_frames, print_frames
from unet_tutorial.training.callbacks import PredictionRecorder


def test_frames_are_scored_against_the_photos_mask(capsys) -> None:
    mask = torch.zeros(1, 4, 4)
    mask[0, :2] = 1
    recorder = PredictionRecorder(torch.zeros(3, 4, 4))
    unsure = torch.full((4, 4), 120, dtype=torch.uint8)  # p = 0.47: unsure, land
    sure = (mask[0] * 255).to(torch.uint8)  # exactly the mask
    recorder.load_state_dict(
        {"probabilities": torch.stack([unsure, sure]), "epochs": [1, 2], "val_iou": [0.1, 0.9]}
    )
    first, last = frame_scores(recorder, mask)
    assert (first.epoch, first.photo_iou, first.unsure) == (1, 0.0, 1.0)
    assert (last.epoch, last.photo_iou, last.unsure, last.val_iou) == (2, 1.0, 0.0, 0.9)
    assert key_frames([first, last])["best val IoU"] is last
    print_frames([first, last])
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_an_empty_recorder_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no frame"):
        frame_scores(PredictionRecorder(torch.zeros(3, 4, 4)), torch.zeros(4, 4))
