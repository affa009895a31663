"""unet_tutorial.experiments.recipe_choice: the summary arithmetic, a tiny end-to-end run, and
the shipped measurement against the cpu profile."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tools.bench.recipe import parse_plan
from unet_tutorial.experiments.flood_text import recipe_lines, variant_words
from unet_tutorial.experiments.recipe_choice import (
    VARIANTS,
    chosen_variant,
    jitter,
    load_recipe,
    run_recipe,
    summarize,
)
from unet_tutorial.profiles import PROFILES
from unet_tutorial.report.tables import variants_table
from unet_tutorial.report.text import describe_measurement


def test_jitter_is_the_mean_step_over_the_second_half() -> None:
    # second half: 0.5, 0.7, 0.6 -> steps 0.2 and 0.1
    assert jitter([0.1, 0.9, 0.2, 0.5, 0.7, 0.6]) == pytest.approx(0.15)
    assert jitter([0.1, 0.2, 0.3]) == 0.0


def test_summarize_gives_mean_and_range() -> None:
    rows = [{"x": 0.8}, {"x": 0.86}, {"x": 0.83}]
    assert summarize(rows, "x") == {"mean": 0.83, "min": 0.8, "max": 0.86}
    with pytest.raises(ValueError, match="no rows"):
        summarize([], "x")


def test_the_best_validation_iou_is_chosen_and_a_tie_goes_to_the_steadier_variant() -> None:
    def variant(mean: float, low: float, high: float, jitter: float) -> dict:
        return {
            "val_iou": {"mean": mean, "min": low, "max": high},
            "val_jitter": {"mean": jitter},
        }

    clear = {
        "before": variant(0.75, 0.748, 0.752, 0.010),
        "ema": variant(0.76, 0.758, 0.762, 0.020),
        "cosine": variant(0.74, 0.739, 0.741, 0.001),
    }
    assert chosen_variant(clear) == "ema"  # 0.01 better: beyond the spread (0.004)
    tied = clear | {"before": variant(0.758, 0.756, 0.760, 0.010)}
    assert chosen_variant(tied) == "before"  # 0.002 worse: a tie, and it jitters less
    wide = clear | {"cosine": variant(0.74, 0.72, 0.76, 0.001)}
    assert chosen_variant(wide) == "cosine"  # seeds 0.04 apart: all three tied
    with pytest.raises(ValueError):
        chosen_variant({})


def test_the_plan_takes_own_seeds_or_the_default_ones() -> None:
    assert parse_plan(["before", "ema:1,2"], [7, 8]) == {"before": [7, 8], "ema": [1, 2]}
    with pytest.raises(SystemExit, match="unknown variant"):
        parse_plan(["warm"], [1])
    with pytest.raises(SystemExit, match="whole numbers"):
        parse_plan(["ema:x"], [1])


def test_a_tiny_recipe_measurement_runs_end_to_end(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    monkeypatch.delenv("UNET_TUTORIAL_DATA", raising=False)
    base = dataclasses.replace(PROFILES["smoke"], max_samples=9)
    result = run_recipe({"before": [1, 2], "ema": [1]}, base=base, verbose=False)
    assert [(row["variant"], row["seed"]) for row in result["rows"]] == [
        ("before", 1),
        ("before", 2),
        ("ema", 1),
    ]
    rows = result["rows"]
    assert all(0 <= row[k] <= 1 for row in rows for k in ("test_iou", "test_iou_flip"))
    before = [row["val_iou"] for row in rows[:2]]
    assert result["summary"]["before"]["val_iou"]["min"] == min(before)
    assert result["chosen"] in ("before", "ema")
    assert result["variants"]["ema"] == VARIANTS["ema"]
    json.dumps(result)  # JSON-ready
    assert "seeds: 1, 2" in describe_measurement(result)
    table = variants_table(result)
    assert table.count("<tr>") == 3 and "(chosen)" in table
    epochs = ", ".join(str(row["epochs_run"]) for row in rows[:2])
    assert f"<td>1, 2</td><td>{epochs}</td>" in table  # before: its seeds, their epochs
    assert (tmp_path / "data/runs/recipe-ema-seed1/run.json").is_file()
    # a second measurement reuses the finished runs: same rows
    again = run_recipe({"ema": [1]}, base=base)
    assert again["rows"] == [rows[2]]
    assert "measures the synthetic scenes: pass --root" in capsys.readouterr().out
    with pytest.raises(ValueError, match="unknown variants"):
        run_recipe({"warm": [1]}, base=base)


def test_the_lines_compare_the_chosen_variant_with_the_recipe_before() -> None:
    def entry(mean: float, low: float, high: float) -> dict[str, float]:
        return {"mean": mean, "min": low, "max": high}

    result = {
        "chosen": "ema",
        "variants": VARIANTS,
        "summary": {
            "before": {
                "val_iou": entry(0.75, 0.74, 0.76),
                "test_iou": entry(0.83, 0.82, 0.85),
                "val_jitter": entry(0.02, 0.02, 0.02),
            },
            "ema": {
                "val_iou": entry(0.76, 0.755, 0.765),
                "test_iou": entry(0.85, 0.84, 0.86),
                "test_iou_flip": entry(0.855, 0.85, 0.86),
                "val_native_iou": entry(0.77, 0.76, 0.78),
                "val_native_iou_flip": entry(0.775, 0.77, 0.78),
                "val_jitter": entry(0.004, 0.003, 0.005),
            },
        },
    }
    lines = recipe_lines(result)
    assert lines[0] == "chosen: ema (constant rate, Adam, weight average 0.99)"
    assert "lowest jitter" in lines[1]
    assert (
        "test IoU: 0.850 against 0.830 before (+0.020; one variant's seeds lie up to 0.030"
        in (lines[3])
    )
    assert lines[-2] == "  validation IoU: 0.775 against 0.770 (+0.005)"
    assert lines[-1] == "  test IoU: 0.855 against 0.850 (+0.005)"
    words = variant_words(VARIANTS["adamw"])
    assert words == "constant rate, AdamW (decay 0.0001), no weight average"


def test_the_shipped_measurement_is_how_the_cpu_profile_trains() -> None:
    result = load_recipe()
    cpu = PROFILES["cpu"]
    assert result["dataset_source"] == "real", "the shipped measurement must be of the photos"
    assert result["chosen"] == chosen_variant(result["summary"])
    chosen = result["variants"][result["chosen"]]
    assert chosen == {
        "schedule": cpu.training.schedule,
        "weight_decay": cpu.training.weight_decay,
        "ema": cpu.training.ema,
    }, "the cpu profile must train with the variant the shipped measurement chose"
    assert result["network"] == {
        "model": cpu.training.model,
        "width": cpu.training.width,
        "image_size": cpu.image_size,
    }, "the shipped measurement trained another network: run the benchmark again"
    assert result["common"]["lr"] == cpu.training.lr
    assert result["common"]["epochs"] == cpu.training.epochs
    assert result["common"]["patience"] == cpu.training.patience
    assert "before" in result["summary"] and len(result["summary"][result["chosen"]]) > 0
    for row in result["rows"]:
        assert result["variants"][row["variant"]] == VARIANTS[row["variant"]]
