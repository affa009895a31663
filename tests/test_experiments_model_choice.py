"""unet_tutorial.experiments.model_choice: the budget arithmetic, a tiny end-to-end run, and the
shipped measurement agreeing with the cpu profile."""

from __future__ import annotations

import dataclasses
import json

import pytest

from unet_tutorial.experiments import model_choice as choice
from unet_tutorial.experiments.flood_text import book_epoch_seconds
from unet_tutorial.experiments.model_choice import (
    Candidate,
    best_row,
    candidate_profile,
    epochs_for_budget,
    load_choice,
    run_choice,
)
from unet_tutorial.profiles import PROFILES
from unet_tutorial.report.tables import choice_table
from unet_tutorial.report.text import describe_measurement

pytestmark = pytest.mark.usefixtures("one_thread")


def test_epochs_for_budget() -> None:
    # 0.1 s per image, 90 training + 30 validation images: 9 + 1 = 10 s an epoch.
    assert epochs_for_budget(100, 0.1, 90, 30) == 10
    assert epochs_for_budget(99, 0.1, 90, 30) == 9
    assert epochs_for_budget(1, 0.1, 90, 30) == 1  # at least one epoch
    with pytest.raises(ValueError, match="positive"):
        epochs_for_budget(100, 0, 90, 30)


def test_candidate_profile_trains_exactly_the_epochs_given() -> None:
    base = PROFILES["cpu"]
    profile = candidate_profile(base, Candidate("attention_unet", 8, 96), 7)
    plan = profile.training
    assert (plan.model, plan.width, profile.image_size) == ("attention_unet", 8, 96)
    assert plan.epochs == plan.patience == plan.min_epochs == 7
    assert (plan.lr, plan.loss, plan.schedule) == (
        base.training.lr,
        base.training.loss,
        base.training.schedule,
    )
    assert profile.name == "choice-attention_unet-w8-96"
    assert plan.pretrained == base.training.pretrained
    vgg = candidate_profile(base, Candidate("vgg19_unet", 64, 128), 2)
    assert vgg.training.pretrained == "auto"  # ImageNet weights for the frozen encoder, if any


def test_best_row_goes_by_validation_not_test() -> None:
    rows = [
        {"label": "a", "val_iou": 0.70, "test_iou": 0.90},
        {"label": "b", "val_iou": 0.75, "test_iou": 0.60},
    ]
    assert best_row(rows)["label"] == "b"
    with pytest.raises(ValueError, match="no candidate"):
        best_row([])


def test_a_tiny_choice_runs_end_to_end(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    monkeypatch.delenv("UNET_TUTORIAL_DATA", raising=False)
    smoke = PROFILES["smoke"]
    base = dataclasses.replace(smoke, max_samples=9)
    candidates = (Candidate("attention_unet", 2, 32), Candidate("attention_unet", 4, 32))
    result = run_choice(candidates, base=base, budget_seconds=0.01, max_epochs=2, verbose=False)
    assert [row["epochs"] for row in result["rows"]] == [1, 1]  # the budget allows the minimum
    assert all(0 <= row["test_iou"] <= 1 and row["ms_per_image"] > 0 for row in result["rows"])
    assert result["chosen"] == {
        k: best_row(result["rows"])[k] for k in ("model", "width", "image_size")
    }
    json.dumps(result)  # JSON-ready
    line = describe_measurement(result)
    assert "python -m tools.bench choice" in line and "synthetic" in line
    assert (tmp_path / "data/runs/choice-attention_unet-w2-32-synthetic-train/run.json").is_file()
    table = choice_table(result)
    assert table.count("<tr>") == 3 and "(chosen)" in table


def test_the_shipped_measurement_is_what_the_cpu_profile_trains() -> None:
    result = load_choice()
    cpu = PROFILES["cpu"]
    chosen = best_row(result["rows"])
    assert result["chosen"] == {k: chosen[k] for k in ("model", "width", "image_size")}
    assert result["chosen"] == {
        "model": cpu.training.model,
        "width": cpu.training.width,
        "image_size": cpu.image_size,
    }, "the cpu profile must train the candidate the shipped measurement chose"
    assert result["recipe"] == {
        "loss": cpu.training.loss,
        "lr": cpu.training.lr,
        "schedule": cpu.training.schedule,
        "batch_size": cpu.batch_size,
    }, "the shipped measurement was made with another recipe: run the benchmark again"
    labels = {row["label"] for row in result["rows"]}
    assert {c.label for c in choice.CANDIDATES} == labels


def test_the_cpu_profile_trains_within_the_budget() -> None:
    # The budget stands for the time chapter 8 may train: at the time per epoch of the flood
    # training in the book build whose times ship (tools.run_times), the profile's epoch cap
    # must fit in it (10 % leeway for a noisy build). The cap itself is the one the recipe
    # measurement trained (cpu_recipe.json; a test of recipe_choice checks it).
    result = load_choice()
    per_epoch = book_epoch_seconds()
    assert per_epoch is not None, "no book build's time of the cpu flood training ships"
    seconds = PROFILES["cpu"].training.epochs * per_epoch
    assert seconds <= 1.1 * result["budget_seconds"], (
        f"the cpu profile's epochs take about {seconds:.0f} s, the budget is "
        f"{result['budget_seconds']:.0f} s"
    )
