"""The command line: `predict` end to end on a temporary photo, its errors, and a tiny `train`."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from PIL import Image

from unet_tutorial.cli import main
from unet_tutorial.data import FolderDataset
from unet_tutorial.data.synthetic import save_scene_folder
from unet_tutorial.evaluation import native_cases
from unet_tutorial.models import model_from_spec
from unet_tutorial.profiles import PROFILES
from unet_tutorial.runs import METRICS_FORMAT
from unet_tutorial.training.checkpoint import load_checkpoint
from unet_tutorial.training.trainer import TrainConfig, Trainer

SPEC = {"name": "attention_unet", "kwargs": {"num_classes": 1, "base_channels": 2}}


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def checkpoint(tmp_path):
    """A best.pt of a tiny model, written by the Trainer as a real run writes it."""
    torch.manual_seed(0)
    model = model_from_spec(SPEC)
    batch = (torch.randn(2, 3, 32, 32), (torch.rand(2, 1, 32, 32) > 0.5).float())
    run = tmp_path / "run"
    meta = {"model": SPEC, "image_size": 32}
    Trainer(model, TrainConfig(epochs=1), run_dir=run, device="cpu", meta=meta, verbose=False).fit(
        [batch], [batch]
    )
    return run / "best.pt"


def photo(path, size=(53, 37), mode="RGB"):
    rng = np.random.default_rng(0)
    channels = 4 if mode == "RGBA" else 3
    array = rng.integers(0, 255, (size[1], size[0], channels), dtype=np.uint8)
    Image.fromarray(array, mode).save(path, format="PNG")
    return path


def test_predict_writes_mask_and_overlay_at_the_original_size(tmp_path, checkpoint, capsys):
    # a PNG named .jpg with an alpha channel: opened by content, converted to RGB
    image = photo(tmp_path / "street.jpg", mode="RGBA")
    out = tmp_path / "out"
    code = main(["predict", "--checkpoint", str(checkpoint), str(image), "--out", str(out)])
    assert code == 0
    mask = np.asarray(Image.open(out / "street_mask.png"))
    overlay = Image.open(out / "street_overlay.png")
    assert mask.shape == (37, 53)
    assert set(np.unique(mask)) <= {0, 255}
    assert overlay.size == (53, 37) and overlay.mode == "RGB"
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary == {"images": 1, "failed": 0, "out": str(out)}


def test_predict_and_the_evaluation_see_the_same_mask(tmp_path, checkpoint):
    # One inference path: the mask `predict` writes for a photo is the one the book's
    # evaluation scores for that photo (same shrinking, normalisation, model and upsampling).
    folder = save_scene_folder(tmp_path / "scenes", 3, size=(40, 60))
    dataset = FolderDataset(folder, 32, cache_dir=None)
    model = model_from_spec(SPEC)
    model.load_state_dict(torch.load(checkpoint, weights_only=True)["model"])
    _, _, predictions = native_cases(model, dataset, range(len(dataset)), device="cpu")
    out = tmp_path / "out"
    photos = [pair.image for pair in dataset.pairs]
    assert (
        main(["predict", "--checkpoint", str(checkpoint), *map(str, photos), "--out", str(out)])
        == 0
    )
    for photo_path, predicted in zip(photos, predictions, strict=True):
        written = np.asarray(Image.open(out / f"{photo_path.stem}_mask.png")) // 255
        assert np.array_equal(written, predicted), photo_path.name


def test_predict_reports_a_missing_checkpoint(tmp_path, capsys):
    image = photo(tmp_path / "a.png")
    code = main(["predict", "--checkpoint", str(tmp_path / "nope.pt"), str(image), "--out", "x"])
    assert code == 2
    assert "nope.pt" in capsys.readouterr().err


def test_predict_reports_an_incompatible_checkpoint(tmp_path, checkpoint, capsys):
    image = photo(tmp_path / "a.png")
    saved = torch.load(checkpoint, weights_only=True)
    saved["meta"] = {}
    torch.save(saved, tmp_path / "no_meta.pt")
    assert (
        main(["predict", "--checkpoint", str(tmp_path / "no_meta.pt"), str(image)] + ["--out", "x"])
        == 2
    )
    assert "incompatible" in capsys.readouterr().err
    saved["meta"] = {
        "model": {**SPEC, "kwargs": {"num_classes": 1, "base_channels": 4}},
        "image_size": 32,
    }
    torch.save(saved, tmp_path / "wrong.pt")
    assert (
        main(["predict", "--checkpoint", str(tmp_path / "wrong.pt"), str(image), "--out", "x"]) == 2
    )
    assert "incompatible" in capsys.readouterr().err


def test_predict_names_an_unreadable_image_and_goes_on(tmp_path, checkpoint, capsys):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"this is not a photo")
    good = photo(tmp_path / "good.png")
    out = tmp_path / "out"
    code = main(
        ["predict", "--checkpoint", str(checkpoint), str(broken), str(good), "--out", str(out)]
    )
    assert code == 1
    assert "broken.jpg" in capsys.readouterr().err
    assert (out / "good_mask.png").is_file() and not (out / "broken_mask.png").exists()


@pytest.fixture
def tiny_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    monkeypatch.delenv("UNET_TUTORIAL_DATA", raising=False)
    smoke = PROFILES["smoke"]
    tiny = dataclasses.replace(
        smoke,
        name="tiny",
        image_size=32,
        max_samples=9,
        training=dataclasses.replace(smoke.training, width=2, epochs=1, finetune_epochs=1),
    )
    monkeypatch.setitem(PROFILES, "tiny", tiny)
    return tmp_path / "data" / "runs" / "tiny-synthetic-train"


def test_train_command_writes_a_run_in_the_pipeline_schema(tiny_profile) -> None:
    assert main(["train", "--profile", "tiny", "--stage", "train"]) == 0
    metrics = json.loads((tiny_profile / "metrics.json").read_text())
    assert metrics["format"] == METRICS_FORMAT
    assert metrics["purpose"] == {"experiment": "flood", "profile": "tiny", "stage": "train"}
    assert metrics["settings"]["image_size"] == 32 and metrics["settings"]["epochs"] == 1
    assert metrics["model"]["name"] == "attention_unet"
    assert metrics["model"]["kwargs"] == {"num_classes": 1, "base_channels": 2}
    assert metrics["training"]["epochs_run"] == 1 and metrics["training"]["best_epoch"] == 1
    scores = set(metrics["test"]["scores"])
    assert scores == {"iou", "dice", "precision", "recall", "pixel_accuracy"}
    assert sum(len(ids) for ids in metrics["split"].values()) == 9
    assert (tiny_profile / "training.gif").is_file()


def test_train_takes_the_weight_average_and_decay(tiny_profile, tmp_path) -> None:
    out = tmp_path / "averaged"
    args = ["train", "--profile", "tiny", "--ema", "0.9", "--weight-decay", "0.01"]
    assert main([*args, "--out", str(out)]) == 0
    settings = json.loads((out / "metrics.json").read_text())["settings"]
    assert settings["ema"] == 0.9 and settings["weight_decay"] == 0.01
    best = load_checkpoint(out / "best.pt")
    assert best["averaged_steps"] > 0 and "trained" in best
    assert main([*args[:-4], "--ema", "1.5", "--out", str(tmp_path / "x")]) == 2


def test_train_twice_keeps_the_first_run(tiny_profile, capsys) -> None:
    """The book's recipe run a second time reuses the finished run: nothing is retrained or
    deleted (it used to delete it and train again)."""
    assert main(["train", "--profile", "tiny", "--stage", "train"]) == 0
    first = {p.name: p.stat().st_mtime_ns for p in tiny_profile.iterdir()}
    best = (tiny_profile / "best.pt").read_bytes()
    capsys.readouterr()
    assert main(["train", "--profile", "tiny", "--stage", "train"]) == 0
    assert "reusing the finished run" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in tiny_profile.iterdir()} == first
    assert (tiny_profile / "best.pt").read_bytes() == best
    # --overwrite is the one way to train it again
    assert main(["train", "--profile", "tiny", "--stage", "train", "--overwrite"]) == 0
    assert (tiny_profile / "metrics.json").stat().st_mtime_ns > first["metrics.json"]


def test_train_refuses_a_stored_recipe_run_with_other_settings(tiny_profile, capsys) -> None:
    assert main(["train", "--profile", "tiny", "--stage", "train"]) == 0
    before = (tiny_profile / "best.pt").read_bytes()
    changed = dataclasses.replace(
        PROFILES["tiny"], training=dataclasses.replace(PROFILES["tiny"].training, lr=5e-4)
    )
    PROFILES["tiny"] = changed
    capsys.readouterr()
    assert main(["train", "--profile", "tiny", "--stage", "train"]) == 2
    error = capsys.readouterr().err
    assert "config.lr: saved 0.001, now 0.0005" in error and "--overwrite" in error
    assert (tiny_profile / "best.pt").read_bytes() == before
