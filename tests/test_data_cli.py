"""``python -m unet_tutorial.data inspect|download``: the JSON report, fast offline failure."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from unet_tutorial.data import download
from unet_tutorial.data.__main__ import main


def dataset(root: Path) -> Path:
    (root / "Image").mkdir(parents=True)
    (root / "Mask").mkdir()
    rng = np.random.default_rng(0)
    for n in range(8):
        size = (40, 30) if n != 5 else (30, 40)
        pixels = rng.integers(0, 255, (4, 5, 3), dtype=np.uint8)
        Image.fromarray(pixels).resize(size, Image.Resampling.BICUBIC).save(
            root / "Image" / f"{n}.jpg"
        )
        Image.new("L", (40, 30)).save(root / "Mask" / f"{n}.png")
    Image.new("L", (40, 30)).save(root / "Mask" / "99.png")  # a mask without photo
    return root


def test_inspect_json_prints_exactly_one_object(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    assert main(["inspect", str(dataset(tmp_path / "d")), "--json"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out)
    assert {"pairs", "usable", "excluded", "orphans", "duplicate_groups", "split"} <= set(report)
    assert report["pairs"] == 8 and report["usable"] == 7
    assert report["excluded"][0]["id"] == "5" and "differs" in report["excluded"][0]["reason"]
    assert [o["id"] for o in report["orphans"]] == ["99"]
    assert set(report["split"]) == {"train", "val", "test"}
    assert sum(report["split"].values()) == 7


def test_inspect_text_report(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    assert main(["inspect", str(dataset(tmp_path / "d")), "--no-cache"]) == 0
    out = capsys.readouterr().out
    for words in ("pairs found: 8", "orphans: 1", "excluded pairs: 1", "near-duplicate", "split"):
        assert words in out


def test_inspect_missing_folder_fails_with_advice(tmp_path: Path, capsys) -> None:
    assert main(["inspect", str(tmp_path / "none")]) == 1
    assert "download" in capsys.readouterr().err


def test_download_fails_fast_offline(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(download, "_reachable", lambda host, timeout: False)
    start = time.perf_counter()
    with pytest.raises(download.DownloadError, match="by hand.*Image/"):
        download.download_dataset(tmp_path / "target")
    assert main(["download", str(tmp_path / "target")]) == 1
    assert "kaggle.com" in capsys.readouterr().err
    assert time.perf_counter() - start < 5


def test_download_keeps_an_existing_copy(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(download, "_reachable", lambda host, timeout: pytest.fail("no network"))
    root = dataset(tmp_path / "d")
    assert download.download_dataset(root) == root
