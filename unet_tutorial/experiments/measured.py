"""What the shipped measurements share: the machine they were made on, and how they are read.

A measurement (``python -m tools.bench choice`` or ``recipe``) records the machine beside its
numbers, and the package ships one result of each in ``unet_tutorial/measurements/``, which
the chapters read instead of typing numbers into their prose.
"""

from __future__ import annotations

import json
import os
import platform
from importlib import resources
from pathlib import Path
from typing import Any

import torch


def machine() -> dict[str, Any]:
    """This machine as a measurement records it: cores, PyTorch threads and version, processor
    and device."""
    return {
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "processor": platform.processor() or platform.machine(),
        "device": "cuda" if torch.cuda.is_available() else "cpu",
    }


def load_measurement(shipped: str, path: str | Path | None = None) -> dict[str, Any]:
    """A saved measurement: ``path``, or the file ``shipped`` of the package's
    ``measurements`` folder."""
    if path is not None:
        return json.loads(Path(path).read_text())
    return json.loads((resources.files("unet_tutorial") / "measurements" / shipped).read_text())
