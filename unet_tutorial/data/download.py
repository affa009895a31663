"""Downloading the Kaggle "Flood Area Segmentation" dataset with ``kagglehub``.

Offline or blocked, it fails within seconds with a message that says how to place the files by
hand, instead of hanging on a network timeout.
"""

from __future__ import annotations

import shutil
import socket
import threading
from pathlib import Path

from unet_tutorial.data.locate import (
    DATASET_NAME,
    KAGGLE_HANDLE,
    KAGGLE_URL,
    DatasetNotFoundError,
    default_dataset_dir,
    find_layout,
)

KAGGLE_HOST = "www.kaggle.com"


class DownloadError(RuntimeError):
    """The dataset could not be downloaded; the message says how to place it by hand."""


def manual_steps(target: Path) -> str:
    """How to put the dataset in place without this command."""
    return (
        f"To place it by hand: download the archive from {KAGGLE_URL} (a free Kaggle account "
        f"may be needed), unzip it, and move its `Image/`, `Mask/` and `metadata.csv` into "
        f"{target}/ ; or set UNET_TUTORIAL_DATA to the unzipped folder. Without the real data, "
        "the chapters use the embedded synthetic flood scenes."
    )


def _reachable(host: str, timeout: float) -> bool:
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _kagglehub_download(timeout: float) -> Path:
    """``kagglehub.dataset_download`` in a thread, abandoned after ``timeout`` seconds."""
    import kagglehub

    result: dict[str, object] = {}

    def work() -> None:
        try:
            result["path"] = kagglehub.dataset_download(KAGGLE_HANDLE)
        except Exception as error:  # noqa: BLE001 - reported to the caller below
            result["error"] = error

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"no complete download after {timeout:.0f} s")
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return Path(str(result["path"]))


def download_dataset(
    target: str | Path | None = None, *, timeout: float = 300.0, connect_timeout: float = 5.0
) -> Path:
    """Download the dataset into ``target`` (default ``data/flood-area-segmentation``).

    Does nothing when ``target`` already holds the dataset.

    Args:
        timeout: seconds allowed for the whole download (about 100 MB).
        connect_timeout: seconds allowed to reach kaggle.com before giving up.

    Returns:
        the dataset folder.

    Raises:
        DownloadError: offline, on a timeout or a failed download, with the manual steps.
    """
    target = Path(target) if target is not None else default_dataset_dir()
    try:
        find_layout(target)
        return target
    except DatasetNotFoundError:
        pass
    if not _reachable(KAGGLE_HOST, connect_timeout):
        raise DownloadError(
            f"Cannot reach {KAGGLE_HOST} within {connect_timeout:.0f} s (offline?). "
            + manual_steps(target)
        )
    try:
        source = find_layout(_kagglehub_download(timeout)).root
    except Exception as error:  # noqa: BLE001 - any failure gets the same advice
        raise DownloadError(
            f"Downloading {KAGGLE_HANDLE} failed ({type(error).__name__}: {error}). "
            + manual_steps(target)
        ) from error
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        destination = target / entry.name
        if entry.is_dir():
            shutil.copytree(entry, destination, dirs_exist_ok=True)
        else:
            shutil.copy2(entry, destination)
    find_layout(target)
    return target


__all__ = ["DATASET_NAME", "DownloadError", "download_dataset", "manual_steps"]
