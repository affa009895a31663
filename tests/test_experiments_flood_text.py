"""unet_tutorial.experiments.flood_text: the printed lines of chapters 8-10."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from unet_tutorial.evaluation import NativeEvaluation
from unet_tutorial.experiments import flood_text
from unet_tutorial.experiments.model_choice import load_choice
from unet_tutorial.metrics import summarize_counts
from unet_tutorial.profiles import PROFILES


def _run(best_val_iou: float, epochs: int = 3) -> SimpleNamespace:
    history = [
        {
            "epoch": e,
            "val_loss": 0.5,
            "val_iou": best_val_iou if e == 2 else 0.1,
            "val_dice": 0.5,
            "seconds": 2.0,
        }
        for e in range(1, epochs + 1)
    ]
    return SimpleNamespace(
        history=history,
        best=history[1],
        best_epoch=2,
        epochs_run=epochs,
        max_epochs=10,
        train_seconds=2.0 * epochs,
        metrics={"training": {"stopped_early": True}},
    )


def test_choice_names_the_winner_and_the_cpu_caps() -> None:
    lines = flood_text.choice_lines(load_choice())
    assert lines[0].startswith("chosen: ") and "VGG19 U-Net" in lines[1]
    assert f"at most {PROFILES['cpu'].training.epochs} epochs" in lines[-1]


def test_stage_and_stages(capsys) -> None:
    lines = flood_text.stage_lines(_run(0.7))
    assert "stopped early" in lines[0] and "kept epoch 2" in lines[1]
    flood_text.print_stages({"a": _run(0.5), "b": _run(0.6)})
    assert "rose: 0.500 -> 0.600" in capsys.readouterr().out
    # the change is that of the printed scores: 0.7484 -> 0.7416 is 0.748 -> 0.742, -0.006
    flood_text.print_stages({"a": _run(0.7484), "b": _run(0.7416)})
    assert "fell: 0.748 -> 0.742 (change -0.006)" in capsys.readouterr().out


def test_test_lines_and_water_shares() -> None:
    counts = [[8, 2, 0, 90], [0, 0, 10, 90]]
    evaluation = NativeEvaluation(
        summarize_counts(torch.tensor(counts)),
        ["a", "b"],
        {"iou": [0.8, 0.0]},
        [(10, 10), (20, 30)],
        counts,
    )
    lines = flood_text.test_lines(evaluation)
    assert lines[0].startswith("2 test photos") and "bootstrap" in lines[-1]
    assert flood_text.water_share_line(evaluation, [0, 1], "all") == (
        "all 2: IoU 0.80 / water 8%; IoU 0.00 / water 10%"
    )
    assert "10 to 30 pixels wide" in flood_text.size_line(evaluation, 64)


def test_printed_notes_show_no_folder_of_the_build_machine() -> None:
    note = "ImageNet weights not found at /root/.cache/torch/hub/checkpoints/vgg19.pth, offline"
    assert flood_text.without_paths(note) == "ImageNet weights not found at vgg19.pth, offline"
    assert flood_text.without_paths("train/val/test 193/44/42") == "train/val/test 193/44/42"
