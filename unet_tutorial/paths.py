"""Where the project, its downloaded data and its training runs live.

Chapters run from ``chapters/`` (nbmake, Jupyter Book), from the repository root (the command
line) or from an arbitrary folder (Colab). ``project_dir()`` finds the repository root by
walking up to the folder holding ``_config.yml`` and ``unet_tutorial/``; without one (a pip
install in Colab) it uses the current folder.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV_VAR = "UNET_TUTORIAL_HOME"


def project_dir(start: Path | None = None) -> Path:
    """The repository root, or ``$UNET_TUTORIAL_HOME``, or the current folder."""
    if os.environ.get(HOME_ENV_VAR):
        return Path(os.environ[HOME_ENV_VAR]).expanduser().resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_config.yml").is_file() and (folder / "unet_tutorial").is_dir():
            return folder
    return here


def data_dir() -> Path:
    """``<project>/data``: downloads, caches and runs land here (git-ignored)."""
    return project_dir() / "data"


def runs_dir() -> Path:
    """``<project>/data/runs``: training checkpoints and metrics."""
    return data_dir() / "runs"
