"""tools.run_times: the shipped run times come from finished runs of the run store."""

from __future__ import annotations

import json

import torch

from tools.run_times import collect
from unet_tutorial.data import load_flood_data
from unet_tutorial.experiments import skip_study
from unet_tutorial.experiments.flood import load_or_train
from unet_tutorial.paths import runs_dir
from unet_tutorial.profiles import PROFILES, SkipStudySettings


def test_finished_runs_become_labelled_times(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    monkeypatch.delenv("UNET_TUTORIAL_DATA", raising=False)
    smoke = PROFILES["smoke"]
    tiny = smoke.replace(
        name="cpu",  # the collector keeps the cpu and gpu profiles only; the name is all it reads
        image_size=32,
        max_samples=9,
        skip_study=SkipStudySettings(image_size=16, steps=2),
        base_channels=2,
    )
    data = load_flood_data(tiny, verbose=False)
    run = load_or_train(tiny, "train", data, verbose=False)
    cpu = torch.device("cpu")
    stored = skip_study.stored_run("none", tiny, cpu)
    stored.start()
    skip_data = skip_study.make_data(tiny, train=8, test=4)
    model, losses = skip_study.train_variant("none", skip_data, 2, 4, 2, device=cpu)
    scores, _ = skip_study.score_variant(model, skip_data, cpu)
    skip_study.save_record(stored, skip_study.SkipRun("none", 1, losses, scores, 0.5))
    records = collect(runs_dir(), "a test machine", "2026-11-30")
    flood = next(r for r in records if r["experiment"] == "flood")
    assert flood["machine"] == "a test machine (2026-11-30)" and flood["device_name"] == "CPU"
    metrics = json.loads((run.run_dir / "metrics.json").read_text())
    training = metrics["training"]
    expected = training["train_seconds"] / training["epochs_run"]
    assert abs(flood["seconds_per_unit"] - expected) < 1e-3 and flood["unit"] == "epoch"
    assert flood["stage"] == "train" and flood["model"] == "attention_unet"
    skip = next(r for r in records if r["experiment"] == "skip_study")
    assert skip["unit"] == "step" and skip["skip"] == "none" and skip["profile"] == "cpu"
    assert skip["seconds_per_unit"] == 0.5 / 2  # 0.5 s over the profile's 2 steps
