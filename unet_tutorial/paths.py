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


def shown_path(path: str | Path) -> str:
    """A path as a reader should see it in printed output: relative to the project folder when
    inside it (``data/runs/...``), so the book shows no folder of the machine that built it."""
    path = Path(path)
    try:
        return path.resolve().relative_to(project_dir()).as_posix()
    except ValueError:
        return str(path)


def data_dir() -> Path:
    """``<project>/data``: downloads, caches and runs land here (git-ignored)."""
    return project_dir() / "data"


def runs_dir() -> Path:
    """``<project>/data/runs``: training checkpoints and metrics."""
    return data_dir() / "runs"


#: Where :func:`use_google_drive` keeps the book's files on a mounted Google Drive.
DRIVE_FOLDER = "/content/drive/MyDrive/unet-tutorial"


def use_google_drive(folder: str | Path = DRIVE_FOLDER) -> Path:
    """In Colab: mount Google Drive and keep the book's files in ``folder`` on it.

    Sets ``UNET_TUTORIAL_HOME`` (the dataset, its cache, the split and every training run go
    to ``folder/data``) and ``TORCH_HOME`` (downloaded ImageNet weights go to ``folder/torch``).
    Each Colab notebook runs on a fresh machine; with this, a chapter finds what an earlier
    chapter downloaded or trained instead of doing it again. Call it before anything else of
    the package (the chapters' set-up cell does, when asked).

    Returns:
        ``folder``.

    Raises:
        RuntimeError: outside Colab (there is no Drive to mount).
    """
    try:
        from google.colab import drive  # type: ignore[import-not-found]
    except ImportError:
        raise RuntimeError(
            "use_google_drive() works in Google Colab only; elsewhere set UNET_TUTORIAL_HOME "
            "to the folder that should keep the book's data and runs."
        ) from None
    drive.mount("/content/drive")
    home = Path(folder)
    home.mkdir(parents=True, exist_ok=True)
    os.environ[HOME_ENV_VAR] = str(home)
    os.environ["TORCH_HOME"] = str(home / "torch")
    print(f"runs, data and downloaded weights are kept in {home}")
    return home
