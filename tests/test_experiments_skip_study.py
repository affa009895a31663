"""unet_tutorial.experiments.skip_study: training and scoring a variant, storing its record."""

from __future__ import annotations

import pytest
import torch

from unet_tutorial.experiments.skip_study import (
    SkipRun,
    load_or_run,
    load_record,
    make_data,
    random_batches,
    save_record,
    score_variant,
    stored_run,
    train_variant,
)
from unet_tutorial.profiles import SkipStudySettings, get_profile

CPU = torch.device("cpu")


def tiny_profile(steps: int = 16):
    return get_profile("smoke").replace(
        name="tiny", skip_study=SkipStudySettings(image_size=16, steps=steps), base_channels=4
    )


def test_random_batches_are_seeded_draws_from_the_training_set() -> None:
    data = make_data(tiny_profile(), train=8, test=2)
    first = list(random_batches(data, batch_size=3, steps=2, seed=5))
    again = list(random_batches(data, batch_size=3, steps=2, seed=5))
    assert len(first) == 2 and first[0][0].shape == (3, 1, 16, 16)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(first, again, strict=True))
    assert any(torch.equal(first[0][0][0], image) for image in data.train_images)


def test_a_short_training_reduces_the_loss_and_is_reproducible() -> None:
    profile = tiny_profile()
    data = make_data(profile, train=32, test=8)
    model, losses = train_variant("concat", data, 16, profile.batch_size, 4, device=CPU)
    assert len(losses) == 16
    assert sum(losses[-4:]) / 4 < sum(losses[:4]) / 4
    _, again = train_variant("concat", data, 16, profile.batch_size, 4, device=CPU)
    assert again == pytest.approx(losses, rel=1e-4)
    scores, probabilities = score_variant(model, data, CPU)
    assert 0.0 <= scores["iou"] <= 1.0 and 0.0 <= scores["boundary_iou"] <= 1.0
    assert probabilities.shape == (4, 1, 16, 16)
    assert not model.training  # scored in eval mode
    run = SkipRun("concat", 10, losses, scores, 1.5, probabilities)
    assert run.summary()["final_loss"] == pytest.approx(losses[-1])
    assert run.summary()["boundary_iou"] == scores["boundary_iou"]


def test_a_stored_record_is_read_back(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    profile = tiny_profile(steps=3)
    stored = stored_run("none", profile, CPU)
    assert stored.status() == "new"
    stored.start()
    record = SkipRun("none", 7, [0.7, 0.6, 0.5], {"iou": 0.1, "dice": 0.2, "boundary_iou": 0.0})
    record.test_probabilities = torch.rand(2, 1, 16, 16)
    save_record(stored, record)
    assert (tmp_path / "data/runs/skip-study-tiny/none/run.json").is_file()
    again = stored_run("none", profile, CPU)
    assert again.status() == "finished"
    loaded = load_record(again)
    assert loaded.losses == record.losses and loaded.test == record.test
    assert torch.equal(loaded.test_probabilities, record.test_probabilities)
    # another profile's settings are another run
    assert stored_run("none", tiny_profile(steps=4), CPU).status() == "changed"


def test_load_or_run_trains_a_variant_once_and_then_reads_it_back(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    profile = tiny_profile(steps=3)
    calls = []

    def run_variant(skip: str) -> SkipRun:
        calls.append(skip)
        return SkipRun(skip, 7, [0.7, 0.6, 0.5], {"iou": 0.25, "dice": 0.4, "boundary_iou": 0.1})

    first = load_or_run("add", profile, CPU, run_variant)
    again = load_or_run("add", profile, CPU, run_variant)
    assert calls == ["add"]
    assert again.skip == "add" and again.losses == [0.7, 0.6, 0.5] and again.test == first.test
    load_or_run("add", tiny_profile(steps=4), CPU, run_variant)  # other settings: trained again
    assert calls == ["add", "add"]
