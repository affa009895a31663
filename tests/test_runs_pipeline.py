"""unet_tutorial.runs: one specification, one rule for a run folder, one training function."""

from __future__ import annotations

import json

import pytest
import torch

from unet_tutorial.data import load_dataset
from unet_tutorial.models import info_of, model_spec_for, size_multiple
from unet_tutorial.profiles import PROFILES
from unet_tutorial.runs import (
    METRICS_FORMAT,
    ForeignFolderError,
    RunSpec,
    SettingsChangedError,
    build_model,
    load_run,
    open_run,
    spec_from_profile,
    train_run,
)
from unet_tutorial.training.trainer import TrainConfig

pytestmark = pytest.mark.usefixtures("one_thread")

SMOKE = PROFILES["smoke"]


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    monkeypatch.delenv("UNET_TUTORIAL_DATA", raising=False)
    return load_dataset(32, max_samples=9, synthetic=True, verbose=False, manifest=None)


def tiny_spec(**chosen) -> RunSpec:
    settings = {"image_size": 32, "width": 2, "epochs": 1, "batch_size": 4} | chosen
    return spec_from_profile(SMOKE, purpose={"experiment": "test"}, **settings)


# -- the specification -----------------------------------------------------------------------


def test_spec_from_profile_takes_the_recipe_and_replaces_what_is_chosen() -> None:
    recipe = spec_from_profile(PROFILES["cpu"])
    plan = PROFILES["cpu"].training
    assert recipe.model == {"name": plan.model, "kwargs": {"num_classes": 1, "base_channels": 8}}
    assert recipe.config.epochs == plan.epochs and recipe.config.lr == plan.lr
    assert recipe.image_size == PROFILES["cpu"].image_size
    chosen = spec_from_profile(PROFILES["cpu"], epochs=5, lr=3e-4, model="unet")
    assert chosen.config.epochs == 5 and chosen.config.lr == 3e-4
    assert chosen.config.min_epochs == 5  # capped at epochs
    assert chosen.model["name"] == "unet"
    finetune = spec_from_profile(PROFILES["cpu"], "finetune")
    assert finetune.config.lr == plan.finetune_lr and finetune.config.schedule == "constant"


def test_spec_with_classes_takes_the_multiclass_loss_and_output_channels() -> None:
    classes = {"classes": [{"name": n, "value": i} for i, n in enumerate("abc")]}
    spec = spec_from_profile(SMOKE, classes=classes)
    assert spec.num_classes == 3 and spec.model["kwargs"]["num_classes"] == 3
    assert spec.config.loss == "ce+dice"  # the profile's bce+dice, for classes


def test_a_spec_that_cannot_train_is_refused_when_made() -> None:
    with pytest.raises(ValueError, match="does not fit 1 class"):
        tiny_spec(loss="ce")
    with pytest.raises(ValueError, match="at least 16 pixels"):
        tiny_spec(image_size=8)
    with pytest.raises(ValueError, match="Unknown model 'segformer'"):
        tiny_spec(model="segformer")
    with pytest.raises(TypeError, match="unknown settings"):
        spec_from_profile(SMOKE, dropout=0.5)
    with pytest.raises(ValueError, match="output channels"):
        RunSpec(
            model=model_spec_for("unet", num_classes=2, width=2),
            config=TrainConfig(epochs=1),
            image_size=32,
            batch_size=2,
        )


def test_model_abilities_are_registry_facts() -> None:
    vgg = model_spec_for("vgg19_unet", width=64, pretrained="auto")
    assert vgg["kwargs"] == {"num_classes": 1, "pretrained": "auto"}  # no width to take
    unet = model_spec_for("unet", width=8, pretrained=True)
    assert unet["kwargs"] == {"num_classes": 1, "base_channels": 8}  # no encoder to load
    from unet_tutorial.models import create_model

    paper = create_model("paper_unet", base_channels=4)
    assert size_multiple(paper) is None and not info_of(paper).any_size
    assert size_multiple(create_model("attention_unet", base_channels=4)) == 16
    assert info_of(create_model("vgg19_unet", pretrained=False)).pretrained_encoder


# -- the folder rule -------------------------------------------------------------------------


def test_the_store_plans_train_reuse_resume_and_refuses_other_settings(tmp_path) -> None:
    run = open_run(tmp_path / "run", {"a": 1})
    assert run.plan() == "train"
    run.start()
    assert run.plan() == "resume"  # started, not finished
    run.finish()
    assert run.plan() == "reuse" and run.plan(required=["best.pt"]) == "resume"
    assert run.plan(overwrite=True) == "train"
    other = open_run(tmp_path / "run", {"a": 2})
    with pytest.raises(SettingsChangedError, match="a: saved 1, now 2"):
        other.plan()
    assert other.plan(overwrite=True) == "train"
    (tmp_path / "run" / "notes.txt").write_text("mine")
    with pytest.raises(ForeignFolderError, match="notes.txt"):
        other.plan(overwrite=True)


# -- the one training function ---------------------------------------------------------------


def test_train_run_writes_one_schema_and_reuses_the_finished_run(data, tmp_path) -> None:
    spec = tiny_spec()
    trained = train_run(spec, data, tmp_path / "run", verbose=False)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics == trained.metrics and metrics["format"] == METRICS_FORMAT
    assert set(metrics) == {
        "format",
        "purpose",
        "model",
        "settings",
        "classes",
        "data",
        "split",
        "device",
        "training",
        "validation",
        "test",
    }
    assert metrics["purpose"] == {"experiment": "test"}
    assert metrics["training"]["epochs_run"] == 1 and metrics["training"]["max_epochs"] == 1
    assert metrics["training"]["train_images_per_second"] > 0
    assert metrics["validation"]["val_iou"] == trained.best["val_iou"]
    assert metrics["test"]["scores"]["iou"] == trained.evaluation.summary["iou"]
    assert metrics["data"]["split"] == data.sizes() == {"train": 5, "val": 2, "test": 2}
    assert metrics["split"]["test"] == list(data.test.ids)

    again = train_run(spec, data, tmp_path / "run", verbose=False)
    assert again.loaded and again.metrics == trained.metrics
    for key, value in trained.model.state_dict().items():
        assert torch.equal(again.model.state_dict()[key], value.cpu())
    loaded = load_run(tmp_path / "run")
    assert loaded.best_epoch == trained.best_epoch
    assert loaded.evaluation.counts == trained.evaluation.counts


def test_train_run_refuses_other_settings_unless_overwrite(data, tmp_path) -> None:
    train_run(tiny_spec(), data, tmp_path / "run", verbose=False)
    best = (tmp_path / "run" / "best.pt").read_bytes()
    with pytest.raises(SettingsChangedError, match="config.lr: saved 0.001, now 0.0005"):
        train_run(tiny_spec(lr=5e-4), data, tmp_path / "run", verbose=False)
    assert (tmp_path / "run" / "best.pt").read_bytes() == best  # nothing replaced
    replaced = train_run(tiny_spec(lr=5e-4), data, tmp_path / "run", overwrite=True, verbose=False)
    assert not replaced.loaded and replaced.metrics["settings"]["lr"] == 5e-4
    cached = train_run(tiny_spec(lr=2e-4), data, tmp_path / "run", replace_changed=True)
    assert not cached.loaded and cached.metrics["settings"]["lr"] == 2e-4


def test_train_run_never_touches_a_folder_of_strangers(data, tmp_path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.txt").write_text("precious")
    with pytest.raises(ForeignFolderError):
        train_run(tiny_spec(), data, folder, overwrite=True, verbose=False)
    assert sorted(p.name for p in folder.iterdir()) == ["thesis.txt"]


def test_an_interrupted_run_is_resumed_to_the_uninterrupted_result(data, tmp_path) -> None:
    spec = tiny_spec(epochs=2, patience=5)
    whole = train_run(spec, data, tmp_path / "whole", verbose=False)

    def cut_in_epoch_2(trainer, record) -> None:
        if record["epoch"] == 2:
            raise KeyboardInterrupt  # before epoch 2's checkpoint is written

    with pytest.raises(KeyboardInterrupt):
        train_run(spec, data, tmp_path / "cut", callbacks=[cut_in_epoch_2], verbose=False)
    assert open_run(tmp_path / "cut", spec.key(data)).status() == "interrupted"
    resumed = train_run(spec, data, tmp_path / "cut", verbose=False)
    assert not resumed.loaded and resumed.epochs_run == 2
    assert resumed.history[1]["val_iou"] == whole.history[1]["val_iou"]
    assert resumed.history[1]["train_loss"] == whole.history[1]["train_loss"]


def test_a_vgg19_run_trained_without_imagenet_loads_back_trainable_everywhere(
    data, tmp_path
) -> None:
    """Offline, the VGG19 U-Net trains whole; read back, it must not come back with a frozen
    encoder (fine-tuning would then freeze the blocks the first stage trained)."""
    from unet_tutorial.models import count_parameters

    spec = tiny_spec(model="vgg19_unet", pretrained=False)
    trained = train_run(spec, data, tmp_path / "vgg", verbose=False)
    assert trained.metrics["model"]["imagenet_encoder"] is False
    loaded = load_run(tmp_path / "vgg")
    assert count_parameters(loaded.model, trainable_only=True) == count_parameters(loaded.model)
    metrics_file = tmp_path / "vgg" / "metrics.json"
    metrics = json.loads(metrics_file.read_text())
    metrics["model"]["imagenet_encoder"] = True  # as if ImageNet weights had been loaded
    metrics_file.write_text(json.dumps(metrics))
    frozen = load_run(tmp_path / "vgg").model
    assert count_parameters(frozen, trainable_only=True) < count_parameters(frozen)


def test_the_starting_network_is_built_only_when_the_run_trains(data, tmp_path) -> None:
    """A reused run never builds its starting network (fine-tuning's would load and copy the
    first stage; the comparison's would announce a training that does not happen)."""
    built = []

    def network():
        built.append(True)
        return build_model(spec)[0]

    spec = tiny_spec()
    train_run(spec, data, tmp_path / "run", start_from=network, verbose=False)
    assert built == [True]
    again = train_run(spec, data, tmp_path / "run", start_from=network, verbose=False)
    assert again.loaded and built == [True]
