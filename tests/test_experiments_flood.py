"""unet_tutorial.experiments.flood: the chapters' runs, saved with their spec, reused only when
the spec matches."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import pytest
import torch

from unet_tutorial.analysis.cost import model_cost
from unet_tutorial.data import load_flood_data
from unet_tutorial.experiments.flood import (
    load_or_train,
    prepare_finetuning,
    select_final,
    stage_operations,
    stage_spec,
    stage_status,
    train_config,
)
from unet_tutorial.models import count_parameters, model_from_spec, model_spec
from unet_tutorial.models.weights import PretrainedWeightsUnavailable
from unet_tutorial.profiles import PROFILES
from unet_tutorial.runs import METRICS_FORMAT, build_model, load_run

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
    assert (trained.run_dir / "run.json").is_file()
    again = load_or_train(profile, "train", data, verbose=False)
    assert again.loaded
    for key, value in trained.model.state_dict().items():
        assert torch.equal(again.model.state_dict()[key], value.cpu())
    assert again.metrics == trained.metrics
    assert again.metrics["format"] == METRICS_FORMAT
    assert again.evaluation.counts == trained.evaluation.counts
    other_lr = dataclasses.replace(profile.training, lr=5e-4)
    assert stage_status(profile, data, "train") == "finished"
    assert stage_status(dataclasses.replace(profile, training=other_lr), data, "train") == "changed"
    assert stage_status(dataclasses.replace(profile, batch_size=2), data, "train") == "changed"


def test_fine_tuning_starts_from_the_first_stage(tiny) -> None:
    profile, data = tiny
    first = load_or_train(profile, "train", data, verbose=False)
    second = load_or_train(profile, "finetune", data, verbose=False)
    assert second.run_dir.name == "tiny-synthetic-finetune"
    assert second.metrics["purpose"] == {
        "experiment": "flood",
        "profile": "tiny",
        "stage": "finetune",
    }
    assert second.metrics["settings"]["lr"] == profile.training.finetune_lr
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
    model = model_from_spec(model_spec("vgg19_unet", num_classes=1), pretrained=False)
    frozen = count_parameters(model, trainable_only=True)
    prepare_finetuning(model, PROFILES["gpu"].training)
    unfrozen = count_parameters(model, trainable_only=True)
    assert unfrozen - frozen == 4 * (512 * 512 * 9 + 512)


def test_without_imagenet_weights_the_gpu_plan_trains_the_whole_vgg19_unet(monkeypatch) -> None:
    def unavailable():
        raise PretrainedWeightsUnavailable("offline")

    monkeypatch.setattr("unet_tutorial.models.vgg19_unet.load_vgg19_feature_weights", unavailable)
    gpu = PROFILES["gpu"]
    model, note = build_model(stage_spec(gpu, SimpleNamespace(), "train"))
    assert note == "no ImageNet weights: the whole network trains from scratch"
    assert not model.pretrained_loaded
    assert count_parameters(model, trainable_only=True) == count_parameters(model)


def test_with_imagenet_weights_the_gpu_plan_keeps_the_encoder_frozen() -> None:
    model = model_from_spec(model_spec("vgg19_unet", num_classes=1), pretrained=False)
    model.pretrained_loaded = True  # as after a download
    decoder = count_parameters(model, trainable_only=True)
    assert model.train_all_unless_pretrained() is False
    assert count_parameters(model, trainable_only=True) == decoder < count_parameters(model)


def test_changing_only_the_fine_tuning_keeps_the_first_stage(tiny) -> None:
    profile, data = tiny
    first = load_or_train(profile, "train", data, verbose=False)
    load_or_train(profile, "finetune", data, verbose=False)
    other = dataclasses.replace(profile.training, finetune_lr=5e-5)
    changed = dataclasses.replace(profile, training=other)
    assert stage_spec(changed, data, "train") == stage_spec(profile, data, "train")
    assert stage_status(changed, data, "train") == "finished"  # the first stage is reused ...
    assert stage_status(changed, data, "finetune") == "changed"  # ... the second is not
    assert load_run(first.run_dir).best_epoch == first.best_epoch


def test_an_interrupted_run_resumes_and_prints_what_it_printed(tiny, capsys) -> None:
    profile, data = tiny
    longer = dataclasses.replace(profile.training, epochs=2, patience=5, min_epochs=2)
    profile = dataclasses.replace(profile, training=longer)
    trained = load_or_train(profile, "train", data)
    live = capsys.readouterr().out.splitlines()
    loaded = load_or_train(profile, "train", data)
    replay = capsys.readouterr().out.splitlines()
    assert loaded.loaded and not trained.loaded
    shown = [line for line in live if line.startswith(("epoch ", "best epoch"))]
    header = [line for line in live if "| train loss |" in line]
    assert len(shown) == 3 and len(header) == 1
    assert replay[1:] == header + shown  # the replay prints what the run printed
    # Cut the run after its first epoch: the store then resumes it instead of starting over.
    run_json = trained.run_dir / "run.json"
    saved = json.loads(run_json.read_text())
    run_json.write_text(json.dumps(saved | {"finished": False}))
    resumed = load_or_train(profile, "train", data)
    assert "resuming" in capsys.readouterr().out
    assert resumed.epochs_run == 2 and not resumed.loaded


def test_stage_operations_count_every_epoch_of_the_stage(tiny) -> None:
    profile, data = tiny
    plan = profile.training
    for stage in ("train", "finetune"):
        epochs = train_config(profile, stage).epochs
        one_epoch = model_cost(plan.model, plan.width, profile.image_size).flops * (
            3 * len(data.train) + len(data.val)
        )
        assert stage_operations(profile, data, stage) == epochs * one_epoch
