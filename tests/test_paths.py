"""unet_tutorial.paths: the project folder, and keeping it on Google Drive in Colab."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from unet_tutorial.paths import HOME_ENV_VAR, data_dir, project_dir, runs_dir, use_google_drive


def test_the_repository_is_found_from_inside_it(monkeypatch) -> None:
    monkeypatch.delenv(HOME_ENV_VAR, raising=False)
    root = Path(__file__).resolve().parents[1]
    assert project_dir(root / "chapters") == root
    monkeypatch.chdir(root / "chapters")
    assert runs_dir() == root / "data" / "runs"


def test_elsewhere_the_current_folder_or_the_home_variable(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(HOME_ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    assert project_dir() == tmp_path.resolve()
    monkeypatch.setenv(HOME_ENV_VAR, str(tmp_path / "home"))
    assert data_dir() == (tmp_path / "home" / "data").resolve()


def test_google_drive_holds_runs_data_and_weights(tmp_path, monkeypatch) -> None:
    mounted = []
    colab = types.ModuleType("google.colab")
    colab.drive = types.SimpleNamespace(mount=mounted.append)
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.delenv(HOME_ENV_VAR, raising=False)
    monkeypatch.delenv("TORCH_HOME", raising=False)
    folder = use_google_drive(tmp_path / "MyDrive" / "unet-tutorial")
    assert mounted == ["/content/drive"] and folder.is_dir()
    assert runs_dir() == (folder / "data" / "runs").resolve()
    import os

    assert os.environ["TORCH_HOME"] == str(folder / "torch")


def test_google_drive_outside_colab_says_what_to_do(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "google.colab", None)
    with pytest.raises(RuntimeError, match="UNET_TUTORIAL_HOME"):
        use_google_drive()
