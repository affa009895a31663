"""Which flood segmenter chapter 10 keeps, read from the run store (experiments/kept.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from unet_tutorial.experiments.kept import kept_flood_run


def write_run(root: Path, name: str, val_iou: float) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "best.pt").write_bytes(b"weights")
    metrics = {"validation": {"val_loss": 1.0, "val_iou": val_iou, "val_dice": 0.5}}
    (folder / "metrics.json").write_text(json.dumps(metrics))


@pytest.fixture(autouse=True)
def no_real_data(monkeypatch: pytest.MonkeyPatch) -> None:
    import unet_tutorial.data.locate as locate

    monkeypatch.setattr(locate, "locate_dataset", lambda root=None: None)


def test_the_better_validation_iou_wins(tmp_path: Path) -> None:
    write_run(tmp_path, "smoke-synthetic-train", 0.40)
    write_run(tmp_path, "smoke-synthetic-finetune", 0.45)
    run = kept_flood_run("smoke", tmp_path)  # smoke monitors val_iou
    assert (run.name, run.stage) == ("smoke-synthetic-finetune", "finetune")
    assert run.checkpoint == tmp_path / "smoke-synthetic-finetune" / "best.pt"
    assert run.metrics["validation"]["val_iou"] == 0.45


def test_a_tie_keeps_the_first_stage(tmp_path: Path) -> None:
    write_run(tmp_path, "smoke-synthetic-train", 0.40)
    write_run(tmp_path, "smoke-synthetic-finetune", 0.40)
    assert kept_flood_run("smoke", tmp_path).stage == "train"


def test_no_run_until_both_stages_finished(tmp_path: Path) -> None:
    write_run(tmp_path, "smoke-synthetic-train", 0.40)
    assert kept_flood_run("smoke", tmp_path) is None
    write_run(tmp_path, "cpu-synthetic-finetune", 0.50)  # another profile's run does not count
    assert kept_flood_run("smoke", tmp_path) is None
