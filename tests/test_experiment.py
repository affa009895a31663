"""The chapters' runs: saved with their settings, reused only when the settings match."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
import torch

from unet_tutorial.data import load_flood_data
from unet_tutorial.evaluate import NativeEvaluation
from unet_tutorial.experiment import (
    build_model,
    describe_plan,
    load_or_train,
    load_stage,
    prepare_finetuning,
    scores_table,
    select_final,
)
from unet_tutorial.profiles import PROFILES

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    monkeypatch.delenv("UNET_TUTORIAL_DATA", raising=False)
    smoke = PROFILES["smoke"]
    plan = dataclasses.replace(smoke.training, width=2, epochs=1, finetune_epochs=1)
    profile = dataclasses.replace(smoke, name="tiny", image_size=32, max_samples=9, training=plan)
    return profile, load_flood_data(profile, verbose=False)


def test_a_finished_run_is_reused_only_with_the_same_settings(tiny) -> None:
    profile, data = tiny
    trained = load_or_train(profile, "train", data, verbose=False)
    assert not trained.loaded and trained.run_dir.name == "tiny-synthetic-train"
    again = load_or_train(profile, "train", data, verbose=False)
    assert again.loaded
    for key, value in trained.model.state_dict().items():
        assert torch.equal(again.model.state_dict()[key], value.cpu())
    assert again.metrics["test"] == trained.metrics["test"]
    assert again.evaluation.counts == trained.evaluation.counts
    other_lr = dataclasses.replace(profile.training, lr=5e-4)
    assert load_stage(dataclasses.replace(profile, training=other_lr), data, "train") is None
    assert load_stage(dataclasses.replace(profile, batch_size=2), data, "train") is None


def test_fine_tuning_starts_from_the_first_stage(tiny) -> None:
    profile, data = tiny
    first = load_or_train(profile, "train", data, verbose=False)
    second = load_or_train(profile, "finetune", data, verbose=False)
    assert second.run_dir.name == "tiny-synthetic-finetune"
    assert second.metrics["stage"] == "finetune"
    assert second.metrics["train_config"]["lr"] == profile.training.finetune_lr
    assert first.run_dir.is_dir() and second.gif.is_file()


def test_select_final_decides_on_validation_only() -> None:
    def run(val_loss: float, val_iou: float, test_iou: float) -> SimpleNamespace:
        return SimpleNamespace(
            best={"val_loss": val_loss, "val_iou": val_iou}, metrics={"test": {"iou": test_iou}}
        )

    first, second = run(0.30, 0.70, 0.90), run(0.25, 0.72, 0.50)
    assert select_final(first, second, "val_iou") is second
    assert select_final(first, second, "val_loss") is second
    assert select_final(second, first, "val_iou") is second
    assert select_final(first, run(0.30, 0.70, 0.99), "val_iou") is first  # ties: first stage


def test_vgg19_finetuning_unfreezes_the_last_block() -> None:
    model = build_model({"name": "vgg19_unet", "kwargs": {"num_classes": 1}}, pretrained=False)
    frozen = sum(p.numel() for p in model.parameters() if p.requires_grad)
    prepare_finetuning(model, PROFILES["gpu"].training)
    unfrozen = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert unfrozen - frozen == 4 * (512 * 512 * 9 + 512)
    with pytest.raises(ValueError, match="cannot build"):
        build_model({"name": "resnet", "kwargs": {}})


def test_tables_describe_what_they_show() -> None:
    summary = {n: 0.5 for n in ("iou", "dice", "precision", "recall", "pixel_accuracy")}
    summary |= {f"per_image_{n}": 0.25 for n in list(summary)}
    table = scores_table({"after training": NativeEvaluation(summary, ["a", "b"])})
    assert "<th>after training</th><td>2</td><td>0.500 (0.250)</td>" in table
    plan = describe_plan(PROFILES["gpu"])
    assert plan["model"] == "vgg19_unet" and "block 5 unfrozen" in plan["fine-tuning"]
