"""unet_tutorial.report.text: the lines the package prints."""

from __future__ import annotations

from unet_tutorial.profiles import PROFILES
from unet_tutorial.report.text import plan_summary, side_by_side
from unet_tutorial.training.progress import (
    best_epoch_line,
    epoch_header,
    epoch_line,
    print_history,
)

HISTORY = [
    {
        "epoch": 1,
        "train_loss": 0.5,
        "val_loss": 0.4,
        "val_iou": 0.6,
        "val_dice": 0.75,
        "seconds": 2.0,
        "best": True,
    },
    {
        "epoch": 2,
        "train_loss": 0.4,
        "val_loss": 0.45,
        "val_iou": 0.55,
        "val_dice": 0.7,
        "seconds": 2.5,
        "best": False,
    },
]


def test_epoch_line_marks_improvements_and_pads_the_epoch() -> None:
    assert epoch_header(10) == (
        "      epoch | train loss | val loss | val IoU | val Dice | seconds"
    )
    assert epoch_line(HISTORY[0], 10) == (
        "epoch  1/10 |     0.5000 |   0.4000 |   0.600 |    0.750 |     2.0 | best"
    )
    # every column sits under its title
    header, line = epoch_header(100), epoch_line(HISTORY[1] | {"epoch": 42}, 100)
    assert [i for i, c in enumerate(header) if c == "|"] == [
        i for i, c in enumerate(line) if c == "|"
    ]
    assert not epoch_line(HISTORY[1], 2).endswith("best")
    assert len(epoch_line(HISTORY[0], 100)) <= 77  # fits a notebook's and the book's column
    assert best_epoch_line(HISTORY, 1) == (
        "best epoch 1: val loss 0.4000, val IoU 0.600 (weights restored); 4 s in all"
    )


def test_a_replay_prints_the_lines_of_the_run(capsys) -> None:
    print_history(HISTORY, 1, 2)
    assert capsys.readouterr().out.splitlines() == [
        epoch_header(2),
        epoch_line(HISTORY[0], 2),
        epoch_line(HISTORY[1], 2),
        best_epoch_line(HISTORY, 1),
    ]


def test_plans_side_by_side() -> None:
    plan = plan_summary(PROFILES["gpu"])
    assert plan["model"] == "U-Net with VGG19 encoder" and "block 5 unfrozen" in plan["fine-tuning"]
    assert plan_summary(PROFILES["cpu"])["model"] == "Attention U-Net (width 8)"
    text = side_by_side(
        {"a": {"x": "1", "long label": "22"}, "bb": {"x": "333", "long label": "4"}}
    )
    lines = text.splitlines()
    assert lines[0].split() == ["a", "bb"] and lines[1].split() == ["x", "1", "333"]
    assert len({line.index(line.split()[-1]) for line in lines[1:]}) == 1  # aligned column
