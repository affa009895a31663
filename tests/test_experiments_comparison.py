"""unet_tutorial.experiments.comparison: the models, the fixed budget, one stored run."""

from __future__ import annotations

import json

import pytest
import torch

from unet_tutorial.analysis.cost import model_cost
from unet_tutorial.experiments.comparison import (
    load_comparison_data,
    run_comparison,
    run_spec,
    train_config,
    training_operations,
)
from unet_tutorial.models import MODELS, count_parameters
from unet_tutorial.profiles import ComparisonSettings, get_profile
from unet_tutorial.report.tables import comparison_records, comparison_table
from unet_tutorial.runs import build_model
from unet_tutorial.runs.store import run_key

TINY = get_profile("smoke").replace(
    name="tiny", max_samples=6, base_channels=4, comparison=ComparisonSettings(16, 1)
)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("name", [n for n in MODELS if n != "vgg19_unet"])
def test_every_small_model_maps_images_to_one_logit_per_pixel(name) -> None:
    model, note = build_model(run_spec(name, TINY))
    assert note
    with torch.no_grad():
        out = model.eval()(torch.rand(1, 3, 32, 48))
    assert out.shape == (1, 1, 32, 48)


def test_vgg19_without_imagenet_weights_trains_everything(monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", "/nonexistent-torch-home")
    from unet_tutorial.models import weights

    def unavailable(*args, **kwargs):
        raise weights.PretrainedWeightsUnavailable("offline")

    monkeypatch.setattr(weights, "load_vgg19_feature_weights", unavailable)
    monkeypatch.setattr("unet_tutorial.models.vgg19_unet.load_vgg19_feature_weights", unavailable)
    model, note = build_model(run_spec("vgg19_unet", TINY))
    assert note == "no ImageNet weights: the whole network trains from scratch"
    assert all(p.requires_grad for p in model.parameters())


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unet_plus_plus"):
        run_spec("segformer", TINY)
    with pytest.raises(ValueError, match="Unknown models"):
        run_comparison(TINY, data=None, names=["segformer"])  # type: ignore[arg-type]


def test_every_model_gets_the_same_fixed_budget() -> None:
    config = train_config(TINY)
    assert config.epochs == config.min_epochs == TINY.comparison.epochs  # no early stop
    assert config.loss == TINY.training.loss and config.lr == TINY.training.lr


def test_one_run_is_stored_and_reused_until_its_settings_change(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    data = load_comparison_data(TINY, synthetic=True, verbose=False, cache_dir=None)
    assert data.train.image_size == 16
    rows, models = run_comparison(TINY, data, names=["attention_unet"], verbose=False)
    row = rows[0]
    assert row.parameters == count_parameters(models["attention_unet"])
    assert 0 <= row.test_iou <= row.test_dice <= 1  # Dice >= IoU always
    assert row.test_iou_low <= row.test_iou <= row.test_iou_high
    assert row.train_images_per_s > 0 and row.epochs_run == 1
    saved = json.loads((tmp_path / "data/runs/compare-tiny/attention_unet/run.json").read_text())
    assert saved["key"] == run_key(run_spec("attention_unet", TINY).key(data)) and saved["finished"]

    again, models_again = run_comparison(TINY, data, names=["attention_unet"], verbose=False)
    assert again == rows  # the stored row, times included: nothing was retrained
    for a, b in zip(
        models["attention_unet"].state_dict().values(),
        models_again["attention_unet"].state_dict().values(),
        strict=True,
    ):
        torch.testing.assert_close(a, b)
    longer = TINY.replace(comparison=ComparisonSettings(16, 2))
    assert run_key(run_spec("attention_unet", longer).key(data)) != saved["key"]
    assert comparison_records(rows)[0]["model"] == "Attention U-Net"
    rendered = comparison_table(rows)
    assert rendered.count("<tr>") == 1 + len(rows) and "<th>Attention U-Net</th>" in rendered
    assert rendered.count("<th>") == len(comparison_records(rows)[0]) + len(rows)


def test_training_operations_use_the_comparison_settings() -> None:
    profile = get_profile("smoke").replace(
        base_channels=4, comparison=ComparisonSettings(image_size=32, epochs=2)
    )
    one_epoch = model_cost("unet", 4, side=32).flops * (3 * 3 + 1)
    assert training_operations("unet", profile, train_images=3, val_images=1) == 2 * one_epoch
