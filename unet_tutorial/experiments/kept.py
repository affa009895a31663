"""Which trained flood segmenter the results chapter keeps, found without loading any data.

Chapter 10 loads both stages of the flood segmenter (:mod:`.flood`) and keeps the one whose best
epoch scored better on the validation split (:func:`.flood.select_final`). The HTML book's
in-browser panel (``book/_ext/segmenter_panel.py``) exports that same checkpoint to ONNX after
the chapters ran; :func:`kept_flood_run` tells it which one it is, from the run store alone:
the run folders ``<profile>-<dataset>-<stage>`` (the dataset's folder name, or ``synthetic``
when no real dataset is found, exactly as the chapters choose) and the validation scores their
``metrics.json`` recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from unet_tutorial.experiments.flood import STAGES, select_final
from unet_tutorial.paths import runs_dir
from unet_tutorial.profiles import get_profile


@dataclass(frozen=True)
class KeptRun:
    """The run chapter 10 keeps.

    Attributes:
        name: the run folder's name, e.g. ``cpu-flood-area-segmentation-finetune``.
        stage: ``"train"`` or ``"finetune"``.
        checkpoint: its ``best.pt``.
        metrics: its ``metrics.json`` (test scores at the photos' own size, the model's spec).
    """

    name: str
    stage: str
    checkpoint: Path
    metrics: dict[str, Any]


def kept_flood_run(profile: str | None = None, root: Path | None = None) -> KeptRun | None:
    """The flood segmenter chapter 10 keeps under ``profile`` (default: the active one), or
    ``None`` when the run store (``root``, default :func:`~unet_tutorial.paths.runs_dir`) lacks
    a finished run of either stage (the chapter has not run yet).

    With both stages finished, the one with the better best validation score of the profile's
    ``monitor`` wins, ties going to the first stage (the rule of :func:`.flood.select_final`).
    """
    from unet_tutorial.data.locate import locate_dataset

    settings = get_profile(profile)
    found = locate_dataset()
    dataset = found.name if found is not None else "synthetic"
    root = runs_dir() if root is None else Path(root)
    runs: dict[str, KeptRun] = {}
    for stage in STAGES:
        folder = root / f"{settings.name}-{dataset}-{stage}"
        checkpoint, metrics = folder / "best.pt", folder / "metrics.json"
        if checkpoint.is_file() and metrics.is_file():
            runs[stage] = KeptRun(folder.name, stage, checkpoint, json.loads(metrics.read_text()))
    if len(runs) < len(STAGES):
        return None
    first, second = (
        SimpleNamespace(best=runs[s].metrics["validation"], run=runs[s]) for s in STAGES
    )
    return select_final(first, second, settings.training.monitor).run
