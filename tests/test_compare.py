"""The model comparison of chapter 11: models, timing, one cached run."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from unet_tutorial.compare import (
    MODELS,
    AllWater,
    TimedLoader,
    all_water_scores,
    attention_examples,
    attention_on_water,
    build_model,
    html_table,
    inference_throughput,
    load_comparison_data,
    run_comparison,
    run_key,
    table,
    train_config,
    water_share,
)
from unet_tutorial.profiles import get_profile

TINY = get_profile("smoke").replace(
    name="tiny", max_samples=6, base_channels=4, compare_image_size=16, compare_epochs=1
)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("name", [n for n in MODELS if n != "vgg19_unet"])
def test_every_small_model_maps_images_to_one_logit_per_pixel(name) -> None:
    model, note = build_model(name, TINY)
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
    model, note = build_model("vgg19_unet", TINY)
    assert "scratch" in note
    assert all(p.requires_grad for p in model.parameters())


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unet_plus_plus"):
        build_model("segformer", TINY)
    with pytest.raises(ValueError, match="Unknown models"):
        run_comparison(TINY, data=None, names=["segformer"])  # type: ignore[arg-type]


def test_timed_loader_counts_images_and_passes_attributes_through() -> None:
    loader = torch.utils.data.DataLoader(
        [(torch.zeros(3, 4, 4), torch.zeros(1, 4, 4))] * 5, batch_size=2
    )
    timed = TimedLoader(loader)
    assert len(timed) == 3 and timed.dataset is loader.dataset
    for _ in range(2):
        assert sum(len(batch[0]) for batch in timed) == 5
    assert timed.images == 10 and timed.seconds > 0 and timed.images_per_second > 0


def test_water_share_counts_pixels_over_the_whole_split() -> None:
    masks = [torch.ones(1, 2, 2), torch.zeros(1, 2, 2), torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])]
    assert water_share([(None, m, str(i)) for i, m in enumerate(masks)]) == pytest.approx(5 / 12)
    with pytest.raises(ValueError, match="non-empty"):
        water_share([])


def test_water_everywhere_scores_the_share_of_water() -> None:
    mask = torch.zeros(1, 8, 8)
    mask[:, :2] = 1  # a quarter of the pixels
    samples = [(torch.rand(3, 4, 4), mask, "a"), (torch.rand(3, 4, 4), torch.ones(1, 8, 8), "b")]
    assert AllWater()(torch.rand(2, 3, 5, 7)).shape == (2, 1, 5, 7)
    scores = all_water_scores(samples)
    assert scores["iou"] == pytest.approx((16 + 64) / 128)
    assert scores["per_image_iou"] == pytest.approx((0.25 + 1) / 2)
    assert scores["recall"] == 1.0


def test_inference_throughput_is_positive_and_leaves_eval_mode() -> None:
    model = nn.Sequential(nn.Conv2d(3, 1, 3, padding=1), nn.Dropout(0.5))
    assert inference_throughput(model, 2, 8, device=torch.device("cpu")) > 0
    assert not model.training


def test_every_model_gets_the_same_fixed_budget() -> None:
    config = train_config(TINY)
    assert config.epochs == config.min_epochs == TINY.compare_epochs  # no early stop
    assert config.loss == TINY.training.loss and config.lr == TINY.training.lr


def test_one_run_is_cached_and_reused_until_its_settings_change(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    data = load_comparison_data(TINY, synthetic=True, verbose=False, cache_dir=None)
    assert data.train.image_size == 16
    rows, models = run_comparison(TINY, data, names=["attention_unet"], verbose=False)
    row = rows[0]
    assert row.parameters == sum(p.numel() for p in models["attention_unet"].parameters())
    assert 0 <= row.test_iou <= row.test_dice <= 1  # Dice >= IoU always
    assert row.test_iou_low <= row.test_iou <= row.test_iou_high
    assert row.train_images_per_s > 0 and row.epochs_run == 1
    saved = json.loads((tmp_path / "data/runs/compare-tiny/attention_unet/row.json").read_text())
    assert saved["key"] == run_key("attention_unet", TINY, data)

    again, models_again = run_comparison(TINY, data, names=["attention_unet"], verbose=False)
    assert again == rows  # the cached row, times included: nothing was retrained
    for a, b in zip(
        models["attention_unet"].state_dict().values(),
        models_again["attention_unet"].state_dict().values(),
        strict=True,
    ):
        torch.testing.assert_close(a, b)
    assert run_key("attention_unet", TINY.replace(compare_epochs=2), data) != saved["key"]
    assert table(rows)[0]["model"] == "Attention U-Net"
    examples = attention_examples(models["attention_unet"], data.all_samples, count=2)
    assert len(examples.ids) == 2 and examples.water == sorted(examples.water)
    assert examples.gate_names == ["1/1", "1/8"]
    assert examples.attention[0].shape == (2, 16, 16) and examples.images[0].shape == (16, 16, 3)
    assert 0 <= examples.attention[1].min() and examples.attention[1].max() <= 1
    contrast = attention_on_water(models["attention_unet"], data.all_samples)
    assert list(contrast) == ["1/1", "1/2", "1/4", "1/8"]
    assert all(0 <= a <= 1 and 0 <= b <= 1 for a, b in contrast.values())
    rendered = html_table(rows)
    assert rendered.count("<tr>") == 1 + len(rows) and "<th>Attention U-Net</th>" in rendered
    assert rendered.count("<th>") == len(table(rows)[0]) + len(rows)
