"""unet_tutorial.experiments.skip_study: training the three variants, reusing stored runs."""

from __future__ import annotations

import pytest
import torch

from unet_tutorial.experiments.skip_study import (
    SkipRun,
    make_data,
    ranking,
    run_experiment,
    train_variant,
)
from unet_tutorial.profiles import SkipStudySettings, get_profile
from unet_tutorial.report.tables import skip_study_table


def test_a_short_training_reduces_the_loss_and_is_reproducible() -> None:
    profile = get_profile("smoke").replace(
        skip_study=SkipStudySettings(image_size=16, steps=16), base_channels=4
    )
    data = make_data(profile, train=32, test=8)
    run = train_variant("concat", profile, data, depth=2, device=torch.device("cpu"))
    assert len(run.losses) == len(run.first_layer_grad_norms) == 16
    assert sum(run.losses[-4:]) / 4 < sum(run.losses[:4]) / 4
    assert 0.0 <= run.test["iou"] <= 1.0 and 0.0 <= run.boundary_iou <= 1.0
    assert run.test_probabilities.shape == (4, 1, 16, 16)
    again = train_variant("concat", profile, data, depth=2, device=torch.device("cpu"))
    assert again.losses == pytest.approx(run.losses, rel=1e-4)
    html = skip_study_table({"concat": run})
    assert html.count("<tr>") == 2 and "<td>concat</td>" in html
    assert run.summary()["final_loss"] == pytest.approx(run.losses[-1])
    worse = SkipRun(
        "none", 1, losses=[1.0], first_layer_grad_norms=[1.0], test={"iou": -1, "dice": 0}
    )
    assert ranking({"none": worse, "concat": run}, "iou").startswith("concat (")
    # for a loss, best is lowest
    assert ranking({"none": worse, "concat": run}, "final_loss").startswith("concat (")


def test_runs_are_stored_and_reused(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    profile = get_profile("smoke").replace(
        name="tiny", skip_study=SkipStudySettings(image_size=16, steps=3), base_channels=2
    )
    cpu = torch.device("cpu")
    runs = run_experiment(profile, skips=["none"], device=cpu)
    assert (tmp_path / "data/runs/skip-study-tiny/none/run.json").is_file()
    again = run_experiment(profile, skips=["none"], device=cpu)
    assert again["none"].losses == runs["none"].losses
    assert again["none"].seconds == runs["none"].seconds  # stored, not retrained
    assert torch.equal(again["none"].test_probabilities, runs["none"].test_probabilities)
