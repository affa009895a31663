"""Chapter 10's in-browser segmenter (book/_ext/segmenter_panel.py, segmenter_panel.js) against
the package's ``predict``: the same photo and checkpoint must give the same mask.

The photos go in through the panel's file picker, as a reader's would. For each, the browser's
mask must agree with ``predict``'s mask (IoU >= 0.99) at the checkpoint's threshold and at a
threshold near the photo's median water probability, where half the pixels sit on each side
(so that a network that calls everything land cannot pass by agreeing on an empty mask). Any
error in the browser's console fails the test. The network's milliseconds per photo are printed
at the end of the run.
"""

from __future__ import annotations

import base64
import json
import math
import os
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from book_browser import PANEL_TIMES, WAIT_S, Book
from PIL import Image
from test_pages import is_favicon_404

from unet_tutorial.data.synthetic import render_flood_scene
from unet_tutorial.inference import predict_logits, upsample_logits
from unet_tutorial.paths import runs_dir
from unet_tutorial.predict import load_predictor, network_input, plan_outputs, predict_photos

PANEL_PAGE = "chapters/10_results"
MIN_IOU = 0.99
#: Timed runs of the network on one photo (the first run of a session is not among them).
TIMED_RUNS = 5

# (file name, seed, height, width): synthetic scenes of odd sizes, one shrunk by Lanczos alone,
# one large enough that Pillow first reduces it by box averages (5×3 blocks at 64 px).
PHOTOS = (("scene.png", 11, 333, 517), ("large.png", 13, 700, 1000))
#: A JPEG that Pillow decodes at 1/8 scale (``draft``), where the panel can only average the
#: browser's full decode over 8×8 blocks: how far (in 0-255 levels) its network input may be
#: from predict's. libjpeg's scaled decode takes each block's DC coefficient and repeats the
#: chroma instead of interpolating it; measured: at most 2 levels on this photo.
JPEG = ("scene.jpg", 12, 600, 800)
JPEG_MAX_LEVELS = 4

READ_RESULT = """
const [name, done] = [arguments[0], arguments[arguments.length - 1]];
const deadline = Date.now() + arguments[1];
function encode(array) {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}
(function poll() {
  const root = document.getElementById("segmenter-panel");
  const last = window.unetSegmenterPanel && window.unetSegmenterPanel.last;
  const state = root && root.dataset.state;
  if (state === "error" || (state === "done" && last && last.name === name)) {
    done({state, status: root.querySelector(".segmenter-status").textContent,
          last: last && {width: last.width, height: last.height, side: last.side,
                         threshold: last.threshold, draft: last.draft,
                         networkMs: last.networkMs, mask: encode(last.mask),
                         input: encode(last.input),
                         logits: encode(last.logits)}});
  } else if (Date.now() > deadline) {
    done({state, status: root ? root.textContent : "no panel", last: null});
  } else {
    setTimeout(poll, 50);
  }
})();
"""

SET_THRESHOLD = """
const slider = document.getElementById("segmenter-threshold");
slider.value = String(arguments[0]);
slider.dispatchEvent(new Event("input"));
return Number(slider.value);
"""

TIME_SAMPLE = """
const [file, runs, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
(async () => {
  const api = window.unetSegmenterPanel;
  const blob = await (await fetch(new URL(file, api.panel.assets))).blob();
  const times = [];
  for (let i = 0; i < runs; i++) {
    await api.run(blob, file);
    times.push(api.last.networkMs);
  }
  done({times, side: api.last.side, width: api.last.width, height: api.last.height});
})().catch((error) => done({error: String(error)}));
"""


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two boolean masks; 1 when both are empty."""
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


@pytest.fixture(scope="module")
def panel_info(book: Book) -> dict[str, Any]:
    path = book.html_dir / "_static" / "segmenter" / "panel.json"
    if not path.is_file():
        pytest.fail(f"{path} is missing: the build did not run book/_ext/segmenter_panel.py")
    info = json.loads(path.read_text())
    if info["status"] != "ready":
        message = f"the book was built without the panel: {info['message']}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return info


@pytest.fixture(scope="module")
def checkpoint(panel_info: dict[str, Any]) -> Path:
    """The checkpoint the build exported, checked by its digest."""
    import hashlib

    path = runs_dir() / panel_info["checkpoint"]["run"] / "best.pt"
    if not path.is_file():
        pytest.fail(f"the book's panel was exported from {path}, which is gone: rebuild the book")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != panel_info["checkpoint"]["sha256"]:
        pytest.fail(f"{path} changed since the book was built (another digest): rebuild the book")
    return path


@pytest.fixture(scope="module")
def panel_page(driver: Any, server: str, panel_info: dict[str, Any]) -> Any:
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(f"{server}{PANEL_PAGE}.html")
    driver.execute_async_script(
        """const [wait, done] = arguments;
           const deadline = Date.now() + wait;
           (function poll() {
             const root = document.getElementById("segmenter-panel");
             if ((root && root.dataset.state !== "loading" && root.dataset.state) ||
                 Date.now() > deadline) done();
             else setTimeout(poll, 50);
           })();""",
        WAIT_S * 1000,
    )
    state = driver.execute_script(
        "const r = document.getElementById('segmenter-panel'); return r && r.dataset.state;"
    )
    assert state == "ready", f"{PANEL_PAGE}: the panel did not start (state {state!r})"
    return driver


def console_errors(driver: Any) -> list[str]:
    """The errors the browser's console logged since the last call (the favicon's 404 aside,
    which says nothing about the book: see test_pages.py)."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and not is_favicon_404(entry["message"])
    ]


def browser_result(driver: Any, name: str) -> dict[str, Any]:
    result = driver.execute_async_script(READ_RESULT, name, 8 * WAIT_S * 1000)
    assert result["state"] == "done", f"the panel did not segment {name}: {result['status']}"
    return result["last"]


def decode(text: str, dtype: Any, shape: tuple[int, ...]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=dtype).reshape(shape)


def predict_mask(checkpoint: Path, photo: Path, out: Path, threshold: float) -> np.ndarray:
    """``predict``'s mask for ``photo`` at ``threshold`` (bool, the photo's size)."""
    predictor = load_predictor(checkpoint)
    predictor.threshold = threshold
    jobs = plan_outputs([photo], out, overwrite=True)
    summary = predict_photos(predictor, jobs, echo=lambda line: None)
    assert summary.failed == 0, summary.errors
    return np.asarray(Image.open(jobs[0].mask)) > 0


def choose_photo(driver: Any, photo: Path, seed: int, height: int, width: int) -> dict[str, Any]:
    """Paint a synthetic scene into ``photo``, choose it in the panel's file picker, and return
    the panel's result."""
    Image.fromarray(render_flood_scene(seed, height, width)[0]).save(photo, quality=90)
    driver.find_element("id", "segmenter-file").send_keys(str(photo))
    return browser_result(driver, photo.name)


@pytest.mark.parametrize(("name", "seed", "height", "width"), PHOTOS)
def test_panel_mask_agrees_with_predict(
    panel_page: Any,
    panel_info: dict[str, Any],
    checkpoint: Path,
    tmp_path: Path,
    screenshot_dir: Path,
    name: str,
    seed: int,
    height: int,
    width: int,
) -> None:
    driver = panel_page
    photo = tmp_path / name
    last = choose_photo(driver, photo, seed, height, width)
    side = panel_info["model"]["image_size"]
    assert (last["width"], last["height"], last["side"]) == (width, height, side)

    # The network's output at S×S, from the panel's input and from predict's.
    predictor = load_predictor(checkpoint)
    expected = predict_logits(predictor.model, network_input(photo, side)[None])
    got = torch.from_numpy(decode(last["logits"], np.float32, (1, 1, side, side)).copy())
    logit_gap = float((got - expected).abs().max())

    # The masks at the checkpoint's threshold and near the photo's median probability.
    median = float(upsample_logits(expected, (height, width)).median())
    near_median = min(0.95, max(0.05, round(1 / (1 + math.exp(-median)), 2)))
    scores = {}
    for threshold in (panel_info["threshold"], near_median):
        shown = driver.execute_script(SET_THRESHOLD, threshold)
        assert math.isclose(shown, threshold), (shown, threshold)
        last = browser_result(driver, name)
        browser_mask = decode(last["mask"], np.uint8, (height, width)) > 0
        reference = predict_mask(checkpoint, photo, tmp_path / f"out-{threshold}", threshold)
        scores[threshold] = (iou(browser_mask, reference), float(reference.mean()))
    driver.execute_script(SET_THRESHOLD, panel_info["threshold"])
    browser_result(driver, name)
    panel = driver.find_element("id", "segmenter-panel")
    driver.execute_script("arguments[0].scrollIntoView();", panel)
    panel.screenshot(str(screenshot_dir / f"segmenter_panel_{Path(name).suffix[1:]}.png"))
    errors = console_errors(driver)
    PANEL_TIMES[f"agreement {name} ({width}×{height}, draft 1/{last['draft']})"] = (
        f"IoU {', '.join(f'{v[0]:.4f} at t={t}' for t, v in scores.items())} "
        f"(predict's water share {', '.join(f'{v[1]:.2f}' for v in scores.values())}); "
        f"largest |logit difference| at {side}×{side}: {logit_gap:.2e}"
    )
    assert not errors, f"the browser console logged errors {errors}"
    _, (_, share) = list(scores.items())[1]
    assert 0.05 <= share <= 0.95, (
        f"{name}: predict's mask at the median threshold is {share:.0%} water, so the agreement "
        "test would not compare two informative masks"
    )
    for threshold, (score, _) in scores.items():
        assert score >= MIN_IOU, (
            f"{name}: at threshold {threshold} the browser's mask and predict's have IoU "
            f"{score:.4f} < {MIN_IOU} (largest logit difference at {side}×{side}: {logit_gap:.2e})"
        )


def test_panel_jpeg_input_is_close_to_predicts(
    panel_page: Any, panel_info: dict[str, Any], checkpoint: Path, tmp_path: Path
) -> None:
    name, seed, height, width = JPEG
    photo = tmp_path / name
    last = choose_photo(panel_page, photo, seed, height, width)
    side = panel_info["model"]["image_size"]
    assert last["draft"] > 1, "the photo should be one Pillow decodes at a reduced scale"
    std = torch.tensor(panel_info["model"]["std"]).view(3, 1, 1)
    got = torch.from_numpy(decode(last["input"], np.float32, (3, side, side)).copy())
    levels = float(((got - network_input(photo, side)) * std * 255).abs().max())
    reference = predict_mask(checkpoint, photo, tmp_path / "out", panel_info["threshold"])
    score = iou(decode(last["mask"], np.uint8, (height, width)) > 0, reference)
    PANEL_TIMES[f"JPEG {name} ({width}×{height}, draft 1/{last['draft']})"] = (
        f"network input at most {levels:.2f} levels from predict's; mask IoU {score:.4f} at "
        f"t={panel_info['threshold']} (predict's water share {reference.mean():.2f})"
    )
    errors = console_errors(panel_page)
    assert not errors, f"the browser console logged errors {errors}"
    assert levels <= JPEG_MAX_LEVELS, (
        f"{name}: the panel's network input is {levels:.2f} levels from predict's"
    )


def test_panel_time_per_photo(panel_page: Any, panel_info: dict[str, Any]) -> None:
    """The network's time per photo in this browser, at the model's size (printed at the end)."""
    driver = panel_page
    sample = panel_info["samples"][0]["file"]
    driver.execute_async_script(TIME_SAMPLE, sample, 1)  # the first run warms up
    result = driver.execute_async_script(TIME_SAMPLE, sample, TIMED_RUNS)
    assert "error" not in result, result.get("error")
    times = result["times"]
    side = result["side"]
    PANEL_TIMES[f"network time at {side}×{side} px, headless Chromium"] = (
        f"median {statistics.median(times):.1f} ms over {len(times)} runs "
        f"(min {min(times):.1f}, max {max(times):.1f}) on {sample} ({result['width']}×"
        f"{result['height']})"
    )
    errors = console_errors(driver)
    assert not errors, f"the browser console logged errors {errors}"
