"""tools.bench.smp: the equal-time budget, the summary over seeds, smp as an extra only, and a
tiny end-to-end run (skipped without segmentation_models_pytorch)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from tools.bench import smp as bench_smp
from tools.bench.__main__ import BENCHMARKS
from tools.deps import ROOT, floors
from unet_tutorial.experiments.model_choice import epochs_for_budget
from unet_tutorial.models.freezing import count_parameters
from unet_tutorial.profiles import PROFILES
from unet_tutorial.runs.pipeline import build_model
from unet_tutorial.runs.spec import spec_from_profile

pytestmark = pytest.mark.usefixtures("one_thread")


def test_the_recipe_budget_gives_the_recipe_epochs_back() -> None:
    # 0.1 s per image, 90 training + 30 validation images: 9 + 1 = 10 s an epoch.
    assert bench_smp.recipe_budget(10, 0.1, 90, 30) == pytest.approx(100.0)
    for seconds in (0.013, 0.0217, 0.1, 0.37):
        for epochs in (1, 7, 100, 149):
            budget = bench_smp.recipe_budget(epochs, seconds, 232, 29)
            assert epochs_for_budget(budget, seconds, 232, 29) == epochs


def test_each_network_gets_the_epochs_that_fit_the_budget_at_its_speed() -> None:
    # Epochs of 10, 25 and 50 s: 100 s hold 10, 4 and 2 of them.
    speeds = {"book": 0.1, "resnet18": 0.25, "mobilenet_v2": 0.5}
    assert bench_smp.plan_epochs(100, speeds, 90, 30, max_epochs=150) == {
        "book": 10,
        "resnet18": 4,
        "mobilenet_v2": 2,
    }
    assert bench_smp.plan_epochs(100, speeds, 90, 30, max_epochs=3) == {
        "book": 3,
        "resnet18": 3,
        "mobilenet_v2": 2,
    }
    assert bench_smp.plan_epochs(1, speeds, 90, 30, max_epochs=3)["mobilenet_v2"] == 1


def run(network: str, seed: int, val_iou: float, test_iou: float, epochs: int) -> dict:
    return {
        "network": network,
        "label": network.upper(),
        "seed": seed,
        "val_iou": val_iou,
        "test_iou": test_iou,
        "test_dice": 2 * test_iou / (1 + test_iou),
        "epochs": epochs,
        "train_seconds": 10.0 * epochs,
        "parameters": 1000 if network == "a" else 5000,
        "ms_per_image": 2.0,
    }


def test_the_summary_gives_mean_and_spread_over_the_seeds() -> None:
    runs = [
        run("a", 1, 0.60, 0.50, 10),
        run("b", 1, 0.70, 0.65, 4),
        run("a", 2, 0.70, 0.56, 10),
        run("a", 3, 0.80, 0.62, 10),
    ]
    a, b = bench_smp.summarise(runs)
    assert (a["network"], a["label"], a["parameters"], a["seeds"]) == ("a", "A", 1000, [1, 2, 3])
    assert a["val_iou"]["mean"] == pytest.approx(0.70)
    assert a["val_iou"]["sd"] == pytest.approx(0.10)  # the sample standard deviation
    assert (a["val_iou"]["min"], a["val_iou"]["max"], a["val_iou"]["n"]) == (0.60, 0.80, 3)
    assert a["test_iou"]["mean"] == pytest.approx(0.56)
    assert a["test_iou"]["sd"] == pytest.approx(0.06)
    assert a["epochs"] == {"n": 3, "mean": 10.0, "sd": 0.0, "min": 10.0, "max": 10.0}
    assert b["seeds"] == [1] and b["val_iou"]["sd"] is None  # no spread from one seed
    assert b["train_seconds"]["mean"] == 40.0


def test_missing_smp_is_an_error_naming_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "segmentation_models_pytorch", None)  # import fails
    with pytest.raises(ModuleNotFoundError, match=r"\.\[bench\]"):
        bench_smp.import_smp()
    # The command stops before it loads or trains anything.
    monkeypatch.setattr(bench_smp, "measure_speed", lambda *a: pytest.fail("timed a network"))
    assert bench_smp.main(["--networks", "book", "resnet18", "--max-samples", "3"]) == 1
    err = capsys.readouterr().err
    assert "segmentation-models-pytorch" in err and "--networks book" in err


def test_smp_is_a_maintainers_extra_the_package_never_imports() -> None:
    pyproject = ROOT / "pyproject.toml"
    assert "segmentation-models-pytorch==0.5.0" in floors(pyproject, ["bench"])
    readers = floors(pyproject, ["colab", "export", "book", "test"])
    assert not [line for line in readers if "segmentation" in line or "timm" in line]
    an_import = re.compile(r"^\s*(import|from)\s+segmentation_models_pytorch\b", re.M)
    importing = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "unet_tutorial").rglob("*.py")
        if an_import.search(path.read_text())
    ]
    assert importing == []
    assert "smp" in BENCHMARKS


def test_a_tiny_benchmark_runs_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("segmentation_models_pytorch")
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    monkeypatch.delenv("UNET_TUTORIAL_DATA", raising=False)  # the synthetic scenes
    out = tmp_path / "smp.json"
    argv = ["--max-samples", "6", "--seeds", "1", "2", "--budget", "0.01", "--max-epochs", "1"]
    assert bench_smp.main([*argv, "--timing-steps", "1", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["dataset"] == "synthetic" and result["image_size"] == 128
    assert result["command"] == "python -m tools.bench smp " + " ".join(argv) + (
        f" --timing-steps 1 --out {out}"
    )
    assert [(r["network"], r["seed"]) for r in result["runs"]] == [
        ("book", 1),
        ("mobilenet_v2", 1),
        ("resnet18", 1),
        ("book", 2),
        ("mobilenet_v2", 2),
        ("resnet18", 2),
    ]
    assert all(r["epochs"] == 1 and 0 <= r["test_iou"] <= 1 for r in result["runs"])
    summary = {row["network"]: row for row in result["summary"]}
    assert summary["resnet18"]["parameters"] == 14_328_209  # smp's Unet, ResNet18 encoder
    assert summary["mobilenet_v2"]["parameters"] == 6_628_945
    book = build_model(spec_from_profile(PROFILES["cpu"]))[0]
    assert summary["book"]["parameters"] == count_parameters(book)  # the cpu recipe's network
    assert all(row["val_iou"]["n"] == 2 for row in summary.values())
    assert result["recipe_config"]["loss"] == "bce+dice"  # the cpu recipe's settings
    printed = capsys.readouterr().out
    assert "smp Unet, resnet18 encoder" in printed and "Attention U-Net, width 8 (book)" in printed
