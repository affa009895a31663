"""``python -m tools.run_times``: the times of a book build's runs, as the package ships them.

Reads every finished run of a run store (default: this project's ``data/runs``) and writes
``unet_tutorial/measurements/run_times.json``: per run, the experiment, profile, device and the
seconds one epoch (or one step, for the skip study) took, labelled with the machine. Run it on
the machine that made the runs, right after a book build (``make book``), so that the label is
true; ``--machine`` names the machine when the default description is not enough.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
from pathlib import Path
from typing import Any

import torch

from unet_tutorial.paths import runs_dir
from unet_tutorial.runs import METRICS_FORMAT
from unet_tutorial.runs.store import RUN_FILE

OUT = Path(__file__).resolve().parents[1] / "unet_tutorial" / "measurements" / "run_times.json"


def describe_machine() -> str:
    if torch.cuda.is_available():
        return f"an {torch.cuda.get_device_name()} GPU"
    return f"a {os.cpu_count()}-core {platform.machine()} CPU without a GPU"


def collect(root: Path, machine: str, date: str) -> list[dict[str, Any]]:
    """One record per finished run under ``root``: every run of the pipeline from its
    ``metrics.json`` (:data:`~unet_tutorial.runs.METRICS_FORMAT`), the skip study's steps from
    its ``run.json``."""
    records = []
    for run_file in sorted(root.rglob(RUN_FILE)):
        saved = json.loads(run_file.read_text())
        if not saved.get("finished"):
            continue
        spec, result, folder = saved["spec"], saved.get("result") or {}, run_file.parent
        metrics_file = folder / "metrics.json"
        base = {"machine": f"{machine} ({date})"}
        if metrics_file.is_file():
            metrics = json.loads(metrics_file.read_text())
            if metrics.get("format") != METRICS_FORMAT:
                continue
            purpose, training = metrics["purpose"], metrics["training"]
            record = base | {"experiment": purpose["experiment"]}
            if "stage" in purpose:
                record["stage"] = purpose["stage"]
            record |= {
                "profile": purpose.get("profile"),
                "model": metrics["model"]["name"],
                "device": metrics["device"],
                "unit": "epoch",
                "seconds_per_unit": training["train_seconds"] / training["epochs_run"],
            }
        elif spec.get("experiment") == "skip_study":
            record = base | {
                "experiment": "skip_study",
                "skip": spec["skip"],
                "profile": folder.parent.name.removeprefix("skip-study-"),
                "device": spec["device"],
                "unit": "step",
                "seconds_per_unit": result["seconds"] / spec["steps"],
            }
        else:
            continue
        record["device_name"] = "CPU" if record["device"] == "cpu" else machine
        record["seconds_per_unit"] = round(record["seconds_per_unit"], 4)
        records.append(record)
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.run_times", description=__doc__)
    parser.add_argument("--runs", type=Path, default=None, help="run store (default: data/runs)")
    parser.add_argument("--machine", default=None, help="the machine's description")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    date = datetime.date.today().isoformat()
    records = collect(args.runs or runs_dir(), args.machine or describe_machine(), date)
    kept = [r for r in records if r["profile"] in ("cpu", "gpu")]
    args.out.write_text(json.dumps({"runs": kept}, indent=2) + "\n")
    print(f"wrote {len(kept)} run times to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
