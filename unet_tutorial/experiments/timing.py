"""How long a training cell will take, said before it starts.

The package ships the times its runs took where they were measured
(``unet_tutorial/measurements/run_times.json``, written by ``python -m tools.run_times`` from a
book build's run store), each labelled with the machine. :func:`announce_training` prints, before
a chapter trains, what the cell will do: load a stored run (seconds), or train for up to so many
epochs, and how long that took on a machine like this one. A CPU is compared with the CPU the
time was measured on (yours may be faster or slower); a GPU only with the same model of GPU.
Where no measurement fits, it says so. For a GPU of :data:`ASSUMED_THROUGHPUT` (Colab's free T4)
and a training whose arithmetic is counted
(:func:`~unet_tutorial.analysis.cost.training_operations`), it adds an estimate from the
operation count (:func:`operations_estimate`), labelled as one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

import torch

from unet_tutorial.paths import shown_path
from unet_tutorial.profiles import Profile
from unet_tutorial.runtime import default_device

SHIPPED = "run_times.json"

#: Sustained training throughput (floating-point operations per second, float16 autocast)
#: assumed for a GPU on which no time of this book's runs has been measured: roughly a tenth to
#: a sixth of the T4's 65 TFLOP/s float16 tensor-core peak. An assumption, not a measurement;
#: replace it with shipped times (``python -m tools.run_times``) once a run on such a GPU exists.
ASSUMED_THROUGHPUT: dict[str, tuple[float, float]] = {"Tesla T4": (6e12, 10e12)}


def load_run_times(path: str | None = None) -> dict[str, Any]:
    """The shipped measurements (or those in ``path``): ``{"runs": [...], ...}``."""
    if path is not None:
        with open(path) as file:
            return json.load(file)
    shipped = resources.files("unet_tutorial") / "measurements" / SHIPPED
    return json.loads(shipped.read_text())


def device_name(device: torch.device | None = None) -> str:
    """``"CPU"`` or the GPU's name (``"Tesla T4"``)."""
    device = device or default_device()
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"


def matching_times(
    experiment: str, profile: Profile, device: torch.device | None = None, **match: Any
) -> list[dict[str, Any]]:
    """The shipped times of ``experiment`` under ``profile``'s name, measured on this kind of
    device, whose other fields equal ``match`` (e.g. ``stage="train"``, ``model="unet"``)."""
    name = device_name(device)
    return [
        run
        for run in load_run_times()["runs"]
        if run["experiment"] == experiment
        and run["profile"] == profile.name
        and (run["device_name"] == name or (name == "CPU" and run["device"] == "cpu"))
        and all(run.get(key) == value for key, value in match.items())
    ]


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def operations_estimate(operations: float, gpu: str) -> str | None:
    """How long ``operations`` floating-point operations take on ``gpu`` at the throughput
    :data:`ASSUMED_THROUGHPUT` assumes for it (a phrase: ``"10 PFLOP at an assumed ..."``), or
    ``None`` for a GPU it assumes nothing for."""
    if gpu not in ASSUMED_THROUGHPUT:
        return None
    slow, fast = ASSUMED_THROUGHPUT[gpu]
    return (
        f"{operations / 1e15:.2g} PFLOP at an assumed {slow / 1e12:.0f}-{fast / 1e12:.0f} "
        f"TFLOP/s on a {gpu}, about {operations / fast / 60:.0f}-{operations / slow / 60:.0f} "
        f"min (an estimate, not measured)"
    )


def expected_time(
    experiment: str,
    profile: Profile,
    epochs: int,
    *,
    device: torch.device | None = None,
    operations: float | None = None,
    **match: Any,
) -> str:
    """One sentence: how long ``epochs`` epochs (or steps: the measurement's unit) of
    ``experiment`` take per the shipped times, or that no time measured on this kind of device
    ships with the package (then, for a GPU of :data:`ASSUMED_THROUGHPUT`, an estimate from
    ``operations``, the floating-point operations of ``epochs`` epochs, where given)."""
    name = device_name(device)
    times = matching_times(experiment, profile, device, **match)
    if not times:
        missing = (
            f"No time measured on this kind of device ({name}) ships for this run of the "
            f"'{profile.name}' profile"
        )
        estimate = None if operations is None else operations_estimate(operations, name)
        if estimate is None:
            return f"{missing}, so its length cannot be predicted here."
        return f"{missing}. At most {epochs} epochs: {estimate}."
    run = times[0]
    unit = run["unit"]
    total = epochs * run["seconds_per_unit"]
    caveat = " (yours may be faster or slower)" if name == "CPU" else ""
    return (
        f"At most {epochs} {unit}{'s' if epochs != 1 else ''}: about {_duration(total)} at the "
        f"{run['seconds_per_unit']:.2g} s per {unit} measured on {run['machine']}{caveat}."
    )


def announce_training(
    experiment: str,
    profile: Profile,
    epochs: int,
    *,
    stored: bool,
    where: str = "",
    device: torch.device | None = None,
    operations: float | None = None,
    **match: Any,
) -> None:
    """Print what a training cell is about to do and how long it should take.

    Args:
        stored: a finished run with these settings is in the run store (it will be loaded).
        where: the run's folder, named when it is loaded.
        operations: the training's floating-point operations, for an estimate where no
            measured time fits (:func:`expected_time`).
    """
    if stored:
        place = f" in {shown_path(where)}" if where else ""
        stored_line = f"A finished run with these settings is stored{place}:"
        print(f"{stored_line} it is loaded, nothing is trained.")
        return
    print(
        f"This cell trains on {device_name(device)}. "
        + expected_time(experiment, profile, epochs, device=device, operations=operations, **match)
    )


def summarize_runs(runs: list[Mapping[str, Any]]) -> list[str]:
    """One line per shipped measurement (for the README and the chapters' notes)."""
    return [
        f"{run['experiment']} {run.get('stage') or run.get('model') or run.get('skip') or ''} "
        f"({run['profile']}): {run['seconds_per_unit']:.2g} s per {run['unit']} on "
        f"{run['machine']}"
        for run in runs
    ]
