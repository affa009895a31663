"""unet_tutorial.experiments.timing: saying how long a training cell takes, before it starts."""

from __future__ import annotations

import json

import torch

from unet_tutorial.experiments import timing
from unet_tutorial.profiles import PROFILES

CPU = torch.device("cpu")
RUNS = {
    "runs": [
        {
            "experiment": "flood",
            "stage": "train",
            "profile": "cpu",
            "device": "cpu",
            "device_name": "CPU",
            "machine": "a 2-core x86_64 CPU without a GPU (2026-11-30)",
            "unit": "epoch",
            "seconds_per_unit": 4.1,
        },
        {
            "experiment": "flood",
            "stage": "train",
            "profile": "gpu",
            "device": "cuda",
            "device_name": "Tesla T4",
            "machine": "a Tesla T4 GPU (2026-11-30)",
            "unit": "epoch",
            "seconds_per_unit": 2.0,
        },
    ]
}


def use(monkeypatch, tmp_path) -> None:
    path = tmp_path / "run_times.json"
    path.write_text(json.dumps(RUNS))
    original = timing.load_run_times
    monkeypatch.setattr(timing, "load_run_times", lambda path=path: original(str(path)))


def test_a_cpu_is_compared_with_the_cpu_it_was_measured_on(monkeypatch, tmp_path) -> None:
    use(monkeypatch, tmp_path)
    text = timing.expected_time("flood", PROFILES["cpu"], 100, device=CPU, stage="train")
    assert text.startswith("At most 100 epochs: about 7 min at the 4.1 s per epoch")
    assert "2-core x86_64 CPU" in text and "faster or slower" in text


def test_no_fitting_measurement_is_said_plainly(monkeypatch, tmp_path) -> None:
    use(monkeypatch, tmp_path)
    assert timing.expected_time("flood", PROFILES["smoke"], 2, device=CPU).startswith(
        "No time measured on this kind of device (CPU)"
    )
    monkeypatch.setattr(timing, "device_name", lambda device=None: "NVIDIA A100-SXM4-40GB")
    gpu = timing.expected_time("flood", PROFILES["gpu"], 200, stage="train")
    assert "No time measured on this kind of device (NVIDIA A100" in gpu
    monkeypatch.setattr(timing, "device_name", lambda device=None: "Tesla T4")
    assert "about 7 min" in timing.expected_time("flood", PROFILES["gpu"], 200, stage="train")


def test_announce_says_a_stored_run_is_loaded(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    where = str(tmp_path / "data" / "runs" / "x")  # shown relative to the project folder
    timing.announce_training("flood", PROFILES["cpu"], 100, stored=True, where=where)
    assert "stored in data/runs/x: it is loaded, nothing is trained" in capsys.readouterr().out


def test_the_shipped_file_labels_every_time_with_its_machine() -> None:
    runs = timing.load_run_times()["runs"]
    assert runs, "the package ships no run times"
    for run in runs:
        assert run["profile"] in ("cpu", "gpu") and run["unit"] in ("epoch", "step")
        assert run["seconds_per_unit"] > 0
        assert run["machine"].endswith(")") and "(20" in run["machine"]  # dated
        assert run["device_name"] == "CPU" if run["device"] == "cpu" else run["device_name"]


def test_a_t4_without_a_measured_time_gets_an_estimate_from_the_operations(
    monkeypatch, tmp_path
) -> None:
    use(monkeypatch, tmp_path)
    monkeypatch.setattr(timing, "device_name", lambda device=None: "Tesla T4")
    # 3.6e15 operations at the assumed 6-10 TFLOP/s: 6 to 10 minutes.
    text = timing.expected_time("comparison", PROFILES["gpu"], 25, operations=3.6e15)
    assert text.startswith("No time measured on this kind of device (Tesla T4)")
    assert text.endswith(
        "At most 25 epochs: 3.6 PFLOP at an assumed 6-10 TFLOP/s on a Tesla T4, "
        "about 6-10 min (an estimate, not measured)."
    )
    # A measured time wins over the estimate.
    measured = timing.expected_time("flood", PROFILES["gpu"], 200, operations=3.6e15, stage="train")
    assert "about 7 min" in measured and "PFLOP" not in measured


def test_no_estimate_for_a_gpu_without_an_assumed_throughput(monkeypatch, tmp_path) -> None:
    use(monkeypatch, tmp_path)
    monkeypatch.setattr(timing, "device_name", lambda device=None: "NVIDIA A100-SXM4-40GB")
    text = timing.expected_time("comparison", PROFILES["gpu"], 25, operations=3.6e15)
    assert text.endswith("so its length cannot be predicted here.")
    assert timing.operations_estimate(3.6e15, "NVIDIA A100-SXM4-40GB") is None
