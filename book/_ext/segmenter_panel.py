"""The results chapter's in-browser segmentation panel: what the HTML build adds for it.

Chapter 10 holds an empty ``<div id="segmenter-panel">``; ``_static/segmenter_panel.js`` fills
it. After the chapters have run (``build-finished``), this extension writes
``_static/segmenter/`` in the HTML output:

- ``model.onnx``: the checkpoint chapter 10 keeps
  (:func:`unet_tutorial.experiments.kept.kept_flood_run`), exported and checked against
  onnxruntime by the package's own command, ``python -m unet_tutorial export``;
- onnxruntime-web's WebAssembly build (``ort.wasm.min.js``, its ``.mjs`` loader and ``.wasm``),
  copied from ``node_modules`` (``npm ci`` installs the version ``package-lock.json`` pins);
  the book serves them itself, no CDN;
- a few sample photos painted by the package's synthetic scene generator;
- ``panel.json``: what the panel shows and needs (the network's name, image size and test IoU,
  normalisation, threshold, overlay colour), or, with ``status`` other than ``"ready"``, the
  one message it shows instead: without ``node_modules`` (no npm where the book was built), for
  a multi-class checkpoint (out of scope), or for a model too large to send to a browser.

A missing npm never fails the build: the panel then says how to enable it. A failed export
does, since it is a defect of the package.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
PANEL_PAGE = "chapters/10_results"
SCRIPT, STYLE = "segmenter_panel.js", "segmenter_panel.css"
ASSETS = "segmenter"
RUNTIME_PACKAGE = "onnxruntime-web"
#: The onnxruntime-web files the panel loads: the WebAssembly-only bundle (it defines the
#: global ``ort``), the Emscripten loader it imports, and the WebAssembly binary.
RUNTIME_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
#: Largest ONNX file the panel offers a reader's browser (the book's whole addition stays under
#: 20 MB with onnxruntime-web's WebAssembly, about 14 MB); the gpu profile's VGG19 U-Net is
#: larger and gets a message instead.
MAX_MODEL_BYTES = 5_000_000
#: Sample photos: (seed, height, width, format) of synthetic flood scenes.
SAMPLES = (
    (2026_1207, 240, 360, "png"),
    (2026_1208, 320, 480, "jpeg"),
    (2026_1209, 400, 300, "png"),
)

ENABLE_HINT = (
    "install Node.js (which brings npm) and build the book again with `make book`: it runs "
    "`npm ci`, which installs the onnxruntime-web release package-lock.json pins. Until then, "
    "segment a photo with `python -m unet_tutorial predict`, as the cell below does."
)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def disabled(reason: str) -> dict[str, Any]:
    """The ``panel.json`` of a panel that cannot run: the message it shows."""
    return {
        "status": "disabled",
        "message": f"The in-browser segmenter is not part of this build: {reason}",
    }


def runtime_dir(repo: Path = REPO) -> Path:
    return repo / "node_modules" / RUNTIME_PACKAGE / "dist"


def write_samples(folder: Path) -> list[dict[str, str]]:
    """The sample photos (synthetic flood scenes) in ``folder``; their labels and file names."""
    from PIL import Image

    from unet_tutorial.data.synthetic import render_flood_scene

    samples = []
    for number, (seed, height, width, kind) in enumerate(SAMPLES, start=1):
        image, _ = render_flood_scene(seed, height, width)
        name = f"sample-{number}.{'jpg' if kind == 'jpeg' else 'png'}"
        options = {"quality": 90} if kind == "jpeg" else {}
        Image.fromarray(image).save(folder / name, **options)
        samples.append({"label": f"scene {number} ({width}×{height} {kind.upper()})", "file": name})
    return samples


def export_model(checkpoint: Path, onnx: Path, photos: list[Path]) -> str:
    """``python -m unet_tutorial export`` of ``checkpoint`` to ``onnx``, checked on ``photos``;
    its output. Raises :class:`ExtensionError` when the export or its check fails."""
    command = [sys.executable, "-m", "unet_tutorial", "export", "--checkpoint", str(checkpoint)]
    command += ["--onnx", str(onnx), "--overwrite", "--check", *map(str, photos)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ExtensionError(
            f"segmenter panel: exporting {checkpoint} to ONNX failed:\n{done.stdout}{done.stderr}"
        )
    return done.stdout.strip()


def prepare_panel(folder: Path, repo: Path = REPO, profile: str | None = None) -> dict[str, Any]:
    """Fill ``folder`` with the panel's files and return its ``panel.json`` content."""
    from unet_tutorial.data.transforms import IMAGENET_MEAN, IMAGENET_STD
    from unet_tutorial.experiments.kept import kept_flood_run
    from unet_tutorial.training.checkpoint import load_checkpoint
    from unet_tutorial.viz.palette import OVERLAY_ALPHA, WATER

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    runtime = runtime_dir(repo)
    missing = [name for name in RUNTIME_FILES if not (runtime / name).is_file()]
    if missing:
        return disabled(
            "onnxruntime-web was not installed where this book was built (no "
            f"{runtime.relative_to(repo) / missing[0]}). To enable it, {ENABLE_HINT}"
        )
    kept = kept_flood_run(profile)
    if kept is None:
        return disabled(
            "no trained flood segmenter was found in the run store when the book was built "
            "(chapter 10 had not run). Build the book with its chapters executed."
        )
    metrics = kept.metrics
    classes = int(metrics["model"].get("kwargs", {}).get("num_classes", 1))
    if classes != 1:
        return disabled(
            f"the kept checkpoint has {classes} classes; this panel handles binary (water / "
            "land) networks only. Use `python -m unet_tutorial predict` instead."
        )
    samples = write_samples(folder)
    onnx = folder / "model.onnx"
    check = export_model(kept.checkpoint, onnx, [folder / s["file"] for s in samples])
    size = onnx.stat().st_size
    if size > MAX_MODEL_BYTES:
        onnx.unlink()
        for sample in samples:
            (folder / sample["file"]).unlink()
        return disabled(
            f"the network's ONNX file has {size / 1e6:.0f} MB, more than the "
            f"{MAX_MODEL_BYTES / 1e6:.0f} MB this book sends to a reader's browser. Segment your "
            "photo with `python -m unet_tutorial predict` instead."
        )
    for name in RUNTIME_FILES:
        shutil.copy2(runtime / name, folder / name)
    version = json.loads((runtime.parent / "package.json").read_text())["version"]
    checkpoint = load_checkpoint(kept.checkpoint)
    threshold = float((checkpoint.get("config") or {}).get("threshold", 0.5))
    spec = metrics["model"]
    side = int(metrics["settings"]["image_size"])
    iou = metrics["test"]["scores"]["iou"]
    real = metrics["data"]["source"] == "real"
    dataset = "the real photos" if real else "the synthetic scenes"
    about = (
        f"The network: the {spec['title']} this chapter kept ({kept.stage} stage, "
        f"{spec['parameters']:,} parameters), trained on {dataset} at {side}×{side} px "
        f"under the '{metrics['purpose']['profile']}' profile; test IoU {iou:.3f} "
        "(its metrics.json). "
        "Your photo never leaves your machine: this page reads it and runs the network in your "
        f"browser (onnxruntime-web {version}, WebAssembly)."
    )
    return {
        "status": "ready",
        "about": about,
        "threshold": threshold,
        "model": {
            "file": onnx.name,
            "bytes": size,
            "sha256": sha256(onnx),
            "input": "images",
            "output": "logits",
            "image_size": side,
            "mean": list(IMAGENET_MEAN),
            "std": list(IMAGENET_STD),
            "name": spec["name"],
            "test_iou": iou,
            "export_check": check.splitlines()[-1],
        },
        "checkpoint": {"run": kept.name, "stage": kept.stage, "sha256": sha256(kept.checkpoint)},
        "overlay": {"color": list(WATER), "alpha": OVERLAY_ALPHA},
        "runtime": {"package": RUNTIME_PACKAGE, "version": version, "script": RUNTIME_FILES[0]},
        "samples": samples,
    }


def build_panel(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    folder = Path(app.outdir) / "_static" / ASSETS
    info = prepare_panel(folder)
    (folder / "panel.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n")
    added = sum(path.stat().st_size for path in folder.iterdir())
    state = "ready" if info["status"] == "ready" else f"disabled: {info['message']}"
    logger.info(f"segmenter panel: {added / 1e6:.1f} MB in _static/{ASSETS} ({state})")


def add_panel_files(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if pagename == PANEL_PAGE:
        app.add_js_file(SCRIPT, defer="defer")
        app.add_css_file(STYLE)


def setup(app: Sphinx) -> dict[str, Any]:
    # Before book_html's drop_duplicate_scripts, which replaces the page's list of scripts.
    app.connect("html-page-context", add_panel_files, priority=400)
    app.connect("build-finished", build_panel)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
