"""Chapter 10's in-browser segmenter in the built book (book/_ext/segmenter_panel.py): its files,
their size, the page that loads it, and the message a build without npm shows instead."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "book" / "_ext"))

import segmenter_panel  # noqa: E402

#: The most the panel may add to the built book (the issue's budget), in bytes.
MAX_ADDED_BYTES = 20 * 10**6


@pytest.fixture(scope="module")
def panel(html_dir: Path) -> dict:
    path = html_dir / "_static" / segmenter_panel.ASSETS / "panel.json"
    assert path.is_file(), f"{path} is missing: book/_ext/segmenter_panel.py did not run"
    return json.loads(path.read_text())


def test_without_npm_the_panel_says_how_to_enable_it(tmp_path: Path) -> None:
    folder = tmp_path / "html" / "_static" / "segmenter"
    info = segmenter_panel.prepare_panel(folder, repo=tmp_path / "checkout-without-node-modules")
    assert info["status"] == "disabled"
    assert "npm ci" in info["message"] and "make book" in info["message"], info["message"]
    assert list(folder.iterdir()) == [], "a disabled panel ships no files"


def test_the_panel_files_fit_the_budget(html_dir: Path, panel: dict) -> None:
    if panel["status"] != "ready":
        pytest.skip(f"built without the panel: {panel['message']}")
    folder = html_dir / "_static" / segmenter_panel.ASSETS
    names = {*segmenter_panel.RUNTIME_FILES, panel["model"]["file"], "panel.json"}
    names |= {sample["file"] for sample in panel["samples"]}
    assert {path.name for path in folder.iterdir()} == names
    added = sum(path.stat().st_size for path in folder.iterdir())
    added += sum(
        (html_dir / "_static" / name).stat().st_size
        for name in (segmenter_panel.SCRIPT, segmenter_panel.STYLE)
    )
    assert added <= MAX_ADDED_BYTES, f"the panel adds {added / 1e6:.1f} MB to the book"


def test_the_runtime_is_the_locked_release(panel: dict) -> None:
    if panel["status"] != "ready":
        pytest.skip(f"built without the panel: {panel['message']}")
    lock = json.loads((REPO / "package-lock.json").read_text())
    locked = lock["packages"][f"node_modules/{segmenter_panel.RUNTIME_PACKAGE}"]["version"]
    assert panel["runtime"]["version"] == locked


def test_only_the_results_page_loads_the_panel(html_dir: Path) -> None:
    pages = sorted(html_dir.glob("chapters/*.html"))
    loading = [p.stem for p in pages if segmenter_panel.SCRIPT in p.read_text(encoding="utf-8")]
    assert loading == [Path(segmenter_panel.PANEL_PAGE).name]
    page = (html_dir / f"{segmenter_panel.PANEL_PAGE}.html").read_text(encoding="utf-8")
    assert 'id="segmenter-panel"' in page
