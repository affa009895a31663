"""A practitioner's whole workflow through the command line, on a temporary folder of photos with
0/255, 0/1 and three-class masks: inspect, train, evaluate, predict, export (issue 15).

Every run is smoke-sized (32-pixel images, width 2, one or two epochs).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from unet_tutorial.cli import main
from unet_tutorial.data.synthetic import save_scene_folder

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = ["--image-size", "32", "--width", "2", "--epochs", "2", "--batch-size", "4"]
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Three datasets of the same 9 scenes: masks 0/255, 0/1, and three classes (palette PNGs
    with a classes.json), plus the three-class masks as plain 0/1/2 grey PNGs without a table."""
    root = tmp_path_factory.mktemp("data")
    binary = save_scene_folder(root / "binary255", 9, size=(40, 60))
    ones = root / "binary01"
    shutil.copytree(binary, ones)
    for path in (ones / "masks").glob("*.png"):
        values = np.asarray(Image.open(path))
        Image.fromarray((values > 127).astype(np.uint8)).save(path)
    classes = save_scene_folder(root / "classes", 9, size=(40, 60), classes=True)
    raw = root / "raw012"
    shutil.copytree(classes, raw)
    (raw / "classes.json").unlink()
    for path in (raw / "masks").glob("*.png"):
        Image.fromarray(np.asarray(Image.open(path)), "L").save(path)
    return {"255": binary, "01": ones, "classes": classes, "raw": raw}


@pytest.fixture(scope="module")
def runs(folders, tmp_path_factory):
    """One trained run per kind of mask (the runs the other tests use)."""
    out = tmp_path_factory.mktemp("runs")
    env = {"UNET_TUTORIAL_PROFILE": "smoke", "UNET_TUTORIAL_HOME": str(out / "home")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        made = {}
        for kind, extra in (("255", []), ("01", []), ("classes", []), ("raw", ["--classes", "3"])):
            folder = out / kind
            code = main(
                ["train", "--data", str(folders[kind]), "--out", str(folder), *TINY, *extra]
            )
            assert code == 0, kind
            made[kind] = folder
        yield made
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_inspect_reports_binary_masks_and_their_kind(folders, capsys):
    for kind, label in (("255", "0/255 9"), ("01", "0/1 9")):
        assert main(["inspect", str(folders[kind]), "--no-cache"]) == 0
        out = capsys.readouterr().out
        assert f"masks: 9 read as binary ({label})" in out
        assert "foreground (1) share of the pixels" in out


def test_inspect_reports_the_classes_and_their_shares(folders, capsys):
    assert main(["inspect", str(folders["classes"]), "--no-cache", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["masks"]
    assert report["segmentation"] == "multi-class" and not report["problems"]
    names = [c["name"] for c in report["classes"]]
    assert names == ["other", "water", "building"]
    assert abs(sum(c["share"] for c in report["classes"]) - 1) < 1e-9
    assert all(c["masks"] > 0 for c in report["classes"])


def test_inspect_says_what_to_do_with_class_values_read_as_binary(folders, capsys):
    assert main(["inspect", str(folders["raw"]), "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert "class-like 9" in out and "--classes 3" in out
    assert main(["inspect", str(folders["raw"]), "--no-cache", "--classes", "3"]) == 0


def test_train_refuses_class_values_without_classes_and_writes_nothing(folders, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--data", str(folders["raw"]), "--out", str(out), *TINY])
    assert code == 2
    error = capsys.readouterr().err
    assert "cannot be binary" in error and "--classes 3" in error
    assert not out.exists()


def test_train_writes_the_settings_split_and_data_identity(runs):
    for kind in ("255", "01"):
        metrics = json.loads((runs[kind] / "metrics.json").read_text())
        assert metrics["settings"]["image_size"] == 32 and metrics["classes"] is None
        assert metrics["settings"]["epochs"] == 2
        assert metrics["model"]["kwargs"] == {"num_classes": 1, "base_channels": 2}
        assert sum(len(ids) for ids in metrics["split"].values()) == 9
        assert metrics["data"]["files"] and metrics["data"]["split_digest"]
        assert set(metrics["test"]["scores"]) == {
            "iou",
            "dice",
            "precision",
            "recall",
            "pixel_accuracy",
        }
        run = json.loads((runs[kind] / "run.json").read_text())
        assert run["finished"] and run["spec"]["config"]["epochs"] == 2
    # 0/255 and 0/1 masks are the same masks: the same split and the same scores
    a, b = (json.loads((runs[k] / "metrics.json").read_text()) for k in ("255", "01"))
    assert a["split"] == b["split"] and a["test"]["scores"] == b["test"]["scores"]


def test_train_multiclass_scores_each_class(runs):
    for kind in ("classes", "raw"):
        metrics = json.loads((runs[kind] / "metrics.json").read_text())
        assert len(metrics["classes"]["classes"]) == 3
        assert metrics["model"]["kwargs"]["num_classes"] == 3
        assert metrics["settings"]["loss"] == "ce+dice"
        test = metrics["test"]
        assert test["kind"] == "multi-class"
        assert len(test["per_class"]) == 3 and np.asarray(test["confusion"]).shape == (3, 3)
        low, high = test["interval_95"]["mean_iou"]
        assert low <= test["scores"]["mean_iou"] <= high


def test_train_again_reuses_and_refuses_other_settings(runs, folders, capsys, monkeypatch):
    monkeypatch.setenv("UNET_TUTORIAL_PROFILE", "smoke")
    args = ["train", "--data", str(folders["255"]), "--out", str(runs["255"])]
    best = (runs["255"] / "best.pt").read_bytes()
    for extra in ([], ["--resume"]):  # --resume is what train does anyway
        assert main([*args, *TINY, *extra]) == 0
        assert "reusing the finished run" in capsys.readouterr().out
    changed = [*TINY[:-4], "--epochs", "3", "--batch-size", "4"]
    assert main([*args, *changed]) == 2
    error = capsys.readouterr().err
    assert "other settings" in error and "config.epochs: saved 2, now 3" in error
    assert "--overwrite" in error
    assert (runs["255"] / "best.pt").read_bytes() == best  # nothing was replaced


def test_out_never_touches_a_folder_of_strangers(folders, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("UNET_TUTORIAL_PROFILE", "smoke")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.txt").write_text("precious")
    code = main(["train", "--data", str(folders["255"]), "--out", str(out), *TINY, "--overwrite"])
    assert code == 2 and "no run of this package wrote" in capsys.readouterr().err
    assert (out / "thesis.txt").read_text() == "precious"


def test_evaluate_scores_a_folder_and_writes_csv_and_json(runs, folders, tmp_path, capsys):
    out = tmp_path / "eval"
    code = main(
        ["evaluate", "--checkpoint", str(runs["01"] / "best.pt"), str(folders["255"])]
        + ["--out", str(out)]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "9 photos" in text and "95% bootstrap interval" in text
    summary = json.loads((out / "summary.json").read_text())
    assert summary["photos"] == 9 and summary["test"]["kind"] == "binary"
    lines = (out / "per_image.csv").read_text().splitlines()
    assert lines[0].startswith("id,height,width,iou") and len(lines) == 10
    # the test split, drawn as training drew it, scores exactly what training scored
    out_test = tmp_path / "eval-test"
    checkpoint = str(runs["01"] / "best.pt")
    assert (
        main(["evaluate", "--checkpoint", checkpoint, str(folders["01"]), "--split", "test"])
        + main(["evaluate", "--checkpoint", checkpoint, str(folders["01"])] + ["--split", "test"])
        == 2  # the second refuses to overwrite the first's outputs
    )
    assert "--overwrite" in capsys.readouterr().err
    default = runs["01"] / "evaluate-binary01-test"
    scored = json.loads((default / "summary.json").read_text())["test"]["scores"]
    trained = json.loads((runs["01"] / "metrics.json").read_text())["test"]["scores"]
    assert scored == pytest.approx(trained)
    assert not out_test.exists()


def test_evaluate_multiclass(runs, folders, capsys, tmp_path):
    out = tmp_path / "eval"
    code = main(
        ["evaluate", "--checkpoint", str(runs["classes"] / "best.pt"), str(folders["classes"])]
        + ["--split", "test", "--out", str(out)]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "mean IoU" in text and "2 building" in text
    rows = (out / "per_image.csv").read_text().splitlines()
    assert rows[0] == "id,height,width,mean_iou,pixel_accuracy,iou_other,iou_water,iou_building"


def test_predict_multiclass_writes_palette_masks_keeping_folders(runs, folders, tmp_path, capsys):
    photos = tmp_path / "photos"
    shutil.copytree(folders["classes"] / "images", photos / "a" / "b")
    out = tmp_path / "out"
    checkpoint = str(runs["classes"] / "best.pt")
    assert main(["predict", "--checkpoint", checkpoint, str(photos), "--out", str(out)]) == 0
    mask = Image.open(out / "a" / "b" / "scene-4_mask.png")
    assert mask.mode == "P" and mask.size == (60, 40)
    assert set(np.unique(np.asarray(mask))) <= {0, 1, 2}
    overlay = Image.open(out / "a" / "b" / "scene-4_overlay.png")
    assert overlay.mode == "RGB" and overlay.size == (60, 40)
    lines = capsys.readouterr().out.splitlines()
    assert "other" in lines[0] and "building" in lines[0]
    assert json.loads(lines[-1]) == {"images": 9, "failed": 0, "out": str(out)}
    # again into the same folder: refused, nothing changed, unless --overwrite
    before = (out / "a" / "b" / "scene-4_mask.png").stat().st_mtime_ns
    assert main(["predict", "--checkpoint", checkpoint, str(photos), "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "a" / "b" / "scene-4_mask.png").stat().st_mtime_ns == before
    code = main(
        ["predict", "--checkpoint", checkpoint, str(photos), "--out", str(out)] + ["--overwrite"]
    )
    assert code == 0


def test_predict_never_writes_two_photos_to_one_name(runs, folders, tmp_path, capsys):
    a = folders["255"] / "images" / "scene-0.jpg"
    b = tmp_path / "scene-0.png"
    shutil.copy(folders["255"] / "images" / "scene-1.png", b)
    out = tmp_path / "out"
    checkpoint = str(runs["255"] / "best.pt")
    assert main(["predict", "--checkpoint", checkpoint, str(a), str(b), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert "scene-0_mask.png" in error and "nothing was written" in error
    assert not out.exists()


def test_predict_tiles_at_native_resolution(runs, folders, tmp_path):
    out = tmp_path / "tiled"
    checkpoint = str(runs["255"] / "best.pt")
    photo = str(folders["255"] / "images" / "scene-1.png")
    assert (
        main(["predict", "--checkpoint", checkpoint, photo, "--out", str(out), "--tile", "32"]) == 0
    )
    mask = np.asarray(Image.open(out / "scene-1_mask.png"))
    assert mask.shape == (40, 60) and set(np.unique(mask)) <= {0, 255}


def test_predict_names_an_undecodable_photo_without_dataset_advice(runs, tmp_path, capsys):
    broken = tmp_path / "holiday.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    out = tmp_path / "out"
    code = main(
        ["predict", "--checkpoint", str(runs["255"] / "best.pt"), str(broken), "--out", str(out)]
    )
    assert code == 1
    error = capsys.readouterr().err
    assert "holiday.jpg" in error and "skipped" in error
    assert "dataset" not in error and "pair" not in error


def test_checkpoint_errors_never_suggest_unsafe_loading(tmp_path, capsys):
    fake = tmp_path / "model.pt"
    fake.write_bytes(b"PK\x03\x04 definitely not a checkpoint")
    photo = tmp_path / "p.png"
    Image.new("RGB", (20, 20)).save(photo)
    assert (
        main(["predict", "--checkpoint", str(fake), str(photo), "--out", str(tmp_path / "o")]) == 2
    )
    error = capsys.readouterr().err
    assert "model.pt" in error and "weights_only" not in error


@pytest.mark.skipif(
    any(importlib.util.find_spec(name) is None for name in ("onnx", "onnxruntime")),
    reason="onnx and onnxruntime are not installed (pip install 'unet-tutorial[export]')",
)
@pytest.mark.parametrize("kind", ["255", "classes"])
def test_export_onnx_with_dynamic_height_and_width(runs, folders, tmp_path, capsys, kind):
    import onnxruntime

    path = tmp_path / "model.onnx"
    checkpoint = str(runs[kind] / "best.pt")
    code = main(
        ["export", "--checkpoint", checkpoint, "--onnx", str(path), "--check"]
        + [str(folders[kind] / "images")]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "dynamic height and width" in text and ": ok" in text
    largest = float(text.split("largest |logit difference| ")[1].split()[0])
    assert largest < 1e-4
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, {"images": np.zeros((2, 3, 45, 70), np.float32)})
    assert logits.shape == (2, 1 if kind == "255" else 3, 45, 70)
    assert main(["export", "--checkpoint", checkpoint, "--onnx", str(path)]) == 2  # no overwrite


def test_export_names_the_missing_package(runs, tmp_path, capsys, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "onnxruntime" else real(name, *a),
    )
    path = tmp_path / "model.onnx"
    assert main(["export", "--checkpoint", str(runs["255"] / "best.pt"), "--onnx", str(path)]) == 2
    error = capsys.readouterr().err
    assert "onnxruntime" in error and "unet-tutorial[export]" in error


def test_the_command_line_makes_idle_openmp_threads_sleep(tmp_path):
    """OpenMP reads OMP_WAIT_POLICY when PyTorch loads it: the CLI process must have it set by
    then. With OMP_DISPLAY_ENV=VERBOSE, GNU OpenMP prints its settings: PASSIVE sets the spin
    count to 0 (it stays 300000 when the variable comes too late)."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env["OMP_DISPLAY_ENV"] = "VERBOSE"
    result = subprocess.run(
        [sys.executable, "-m", "unet_tutorial", "inspect", str(tmp_path / "none")],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 1  # no such folder
    if "GOMP_SPINCOUNT" not in result.stderr:
        pytest.skip("this PyTorch does not use GNU OpenMP (nothing to read the setting from)")
    assert "OMP_WAIT_POLICY = 'PASSIVE'" in result.stderr
    assert "GOMP_SPINCOUNT = '0'" in result.stderr
    # a value the user chose is kept
    env["OMP_WAIT_POLICY"] = "ACTIVE"
    result = subprocess.run(
        [sys.executable, "-m", "unet_tutorial", "inspect", str(tmp_path / "none")],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert "OMP_WAIT_POLICY = 'ACTIVE'" in result.stderr
