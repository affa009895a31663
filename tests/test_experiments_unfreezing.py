"""unet_tutorial.experiments.unfreezing: the demo's settings, its stages and what they move."""

from __future__ import annotations

import pytest

from unet_tutorial.experiments import unfreezing
from unet_tutorial.profiles import PROFILES, get_profile

TINY = get_profile("smoke").replace(name="tiny", max_samples=6, image_size=32, batch_size=2)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_settings_follow_the_gpu_recipe_at_a_small_size() -> None:
    cpu = unfreezing.demo_settings(PROFILES["cpu"])
    assert cpu.image_size == 64 and cpu.image_size % 16 == 0
    assert cpu.recipe == PROFILES["gpu"].training
    assert unfreezing.demo_settings(TINY).image_size == 32
    assert unfreezing.demo_settings(PROFILES["smoke"]).epochs == 1
    frozen = unfreezing.stage_config(PROFILES["cpu"], "frozen")
    unfrozen = unfreezing.stage_config(PROFILES["cpu"], "unfrozen")
    assert frozen.lr == PROFILES["gpu"].training.lr
    assert unfrozen.lr == PROFILES["gpu"].training.finetune_lr
    with pytest.raises(ValueError, match="stage"):
        unfreezing.stage_config(PROFILES["cpu"], "thawed")


def test_frozen_parts_do_not_move_and_block_5_does_after_unfreezing(
    tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr("unet_tutorial.models.weights.can_reach", lambda *args, **kwargs: False)
    data = unfreezing.load_demo_data(TINY, synthetic=True, verbose=False, cache_dir=None)
    stages, model = unfreezing.run_demo(TINY, data, verbose=False)
    frozen, unfrozen = stages
    assert "random" in frozen.weights_note
    assert unfrozen.trainable - frozen.trainable == 4 * (512 * 512 * 9 + 512)
    for block in range(1, 5):
        assert frozen.moved[f"encoder block {block}"] == 0.0
        assert unfrozen.moved[f"encoder block {block}"] == 0.0
    assert frozen.moved["encoder block 5"] == 0.0 and unfrozen.moved["encoder block 5"] > 0
    assert frozen.moved["decoder"] > 0 and frozen.moved["head"] > 0
    assert unfreezing.demo_stored(TINY, data)
    again, _ = unfreezing.run_demo(TINY, data, verbose=False)
    assert again == stages  # loaded from the run store
    unfreezing.print_demo(stages)
    unfreezing.print_trainable(model)
    out = capsys.readouterr().out
    assert "encoder block 5" in out and "whole model" in out
