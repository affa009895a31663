"""Training runs as a library: what a run is, where it lives, and the one function that trains it.

- :mod:`~unet_tutorial.runs.spec` -- :class:`RunSpec`, everything that determines a run's
  result, and :func:`spec_from_profile`, the book's recipe as a spec.
- :mod:`~unet_tutorial.runs.store` -- the run folders: reuse what is finished, resume what was
  cut, refuse to replace a run with other settings unless asked (:meth:`Run.plan`).
- :mod:`~unet_tutorial.runs.pipeline` -- :func:`train_run`, used by every chapter that trains
  and by ``python -m unet_tutorial train``; :func:`load_run` reads a finished run back.

The book's experiments (:mod:`unet_tutorial.experiments`) and the command line build on this
package; nothing here imports them.
"""

from unet_tutorial.runs.pipeline import (
    METRICS_FORMAT,
    RunResult,
    build_model,
    load_run,
    metrics_json,
    train_run,
)
from unet_tutorial.runs.spec import STAGES, RunSpec, check_stage, spec_from_profile
from unet_tutorial.runs.store import (
    ForeignFolderError,
    Run,
    SettingsChangedError,
    open_run,
    run_key,
    spec_differences,
)

__all__ = [
    "METRICS_FORMAT",
    "STAGES",
    "ForeignFolderError",
    "Run",
    "RunResult",
    "RunSpec",
    "SettingsChangedError",
    "build_model",
    "check_stage",
    "load_run",
    "metrics_json",
    "open_run",
    "run_key",
    "spec_differences",
    "spec_from_profile",
    "train_run",
]
