"""unet_tutorial.experiments.imbalance: the land/water ratio, the settings, stored runs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from unet_tutorial.experiments import imbalance
from unet_tutorial.profiles import PROFILES, get_profile
from unet_tutorial.runs.store import run_key

TINY = get_profile("smoke").replace(name="tiny", max_samples=6, image_size=32)

pytestmark = pytest.mark.usefixtures("one_thread")


class Masks:
    """A stand-in dataset: ``arrays(i)`` returns (image, mask)."""

    def __init__(self, masks):
        self.masks = masks

    def __len__(self):
        return len(self.masks)

    def arrays(self, index):
        return None, self.masks[index]


def test_ratio_counts_land_pixels_per_water_pixel() -> None:
    one = np.zeros((4, 4), np.uint8)
    one[0, :] = 1  # 4 of 16 pixels
    two = np.zeros((4, 4), np.uint8)  # no water
    masks = Masks([one, two])
    assert imbalance.water_share(masks) == pytest.approx(4 / 32)
    assert imbalance.land_water_ratio(masks) == pytest.approx(28 / 4)
    with pytest.raises(ValueError, match="no water"):
        imbalance.land_water_ratio(Masks([two]))


def test_settings_halve_the_image_and_cap_the_epochs() -> None:
    cpu = imbalance.imbalance_settings(PROFILES["cpu"])
    assert cpu.image_size == PROFILES["cpu"].image_size // 2
    assert cpu.epochs == imbalance.MAX_EPOCHS
    smoke = imbalance.imbalance_settings(PROFILES["smoke"])
    assert smoke.epochs == PROFILES["smoke"].training.epochs
    assert imbalance.imbalance_settings(TINY).image_size == 32  # never below 32
    config = imbalance.imbalance_config(PROFILES["cpu"], 2.5)
    assert config.loss == "bce" and config.pos_weight == 2.5
    assert config.patience == config.min_epochs == config.epochs  # every epoch trained


def test_runs_are_stored_and_reused(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    data = imbalance.load_imbalance_data(TINY, synthetic=True, verbose=False, cache_dir=None)
    assert data.train.image_size == 32
    weights = [1.0, 3.0]
    assert not imbalance.runs_stored(TINY, data, weights)
    rows = imbalance.run_imbalance(TINY, data, weights)
    assert [row.pos_weight for row in rows] == weights
    for row in rows:
        assert 0 <= row.precision <= 1 and 0 <= row.recall <= 1 and 0 <= row.iou <= 1
        assert 0 < row.true_water < 1
    assert imbalance.runs_stored(TINY, data, weights)
    folder = tmp_path / "data/runs/imbalance-tiny-synthetic/pos-weight-3"
    saved = json.loads((folder / "run.json").read_text())
    assert saved["finished"] and saved["key"] == run_key(imbalance.run_spec(TINY, 3.0).key(data))
    assert imbalance.run_imbalance(TINY, data, weights) == rows  # loaded, times included
    imbalance.print_imbalance(rows)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[0] == "pos_weight" and len(lines) == 3
