"""Prediction in bounded memory: blockwise resizing, tiles, overlays, output planning, threads."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from unet_tutorial.data.transforms import photo_to_input, photo_to_tensor
from unet_tutorial.inference import (
    blend_weights,
    label_map,
    tile_starts,
    tiled_label_map,
    upsample_logits,
)
from unet_tutorial.metrics import binarize
from unet_tutorial.openmp import wait_policy_state
from unet_tutorial.predict import (
    LabelRows,
    PhotoError,
    PredictionError,
    decode_bgr,
    network_input,
    photo_size,
    plan_outputs,
)


@pytest.mark.parametrize(("channels", "size"), [(1, (701, 555)), (3, (640, 1001))])
def test_label_map_in_blocks_equals_the_one_shot_resize(channels, size):
    logits = torch.randn(1, channels, 64, 64, generator=torch.Generator().manual_seed(0)) * 4
    full = upsample_logits(logits, size)
    expected = binarize(full[0, 0], "logits") if channels == 1 else full[0].argmax(0)
    blocks = label_map(logits, size, max_elements=50_000)  # many column blocks
    assert np.array_equal(blocks, expected.numpy().astype(np.uint8))
    assert np.array_equal(label_map(logits, size), blocks)


def test_tiles_cover_the_side_and_blend_without_seams():
    assert tile_starts(100, 32, 8) == [0, 24, 48, 68] and tile_starts(20, 32, 8) == [0]
    assert blend_weights(10, 3).min() > 0 and blend_weights(10, 3).max() == 1
    # a network that looks at one pixel only: tiles must give exactly the whole-photo result
    model = torch.nn.Conv2d(3, 2, 1)
    photo = (np.random.default_rng(0).random((70, 95, 3)) * 255).astype(np.uint8)
    whole = model(photo_to_tensor(photo)[None]).argmax(1)[0].numpy()
    assert np.array_equal(tiled_label_map(model, photo, 32, 8, batch_size=3), whole)
    image = Image.fromarray(photo)
    assert np.array_equal(tiled_label_map(model, image, 32, 8), whole)


def test_photo_to_tensor_normalises_as_training_does():
    square = (np.random.default_rng(1).random((48, 48, 3)) * 255).astype(np.uint8)
    assert torch.equal(photo_to_tensor(square), photo_to_input(square, 48))


def test_labels_pack_eight_pixels_to_a_byte():
    water = (np.random.default_rng(2).random((7, 19)) > 0.5).astype(np.uint8)
    rows = LabelRows(water, binary=True)
    assert rows.data.shape == (7, 3)
    assert np.array_equal(rows.rows(2, 6), water[2:6])


def test_decode_bgr_matches_pillow_for_png(tmp_path):
    photo = (np.random.default_rng(3).random((31, 45, 3)) * 255).astype(np.uint8)
    Image.fromarray(photo).save(tmp_path / "p.png")
    assert photo_size(tmp_path / "p.png") == (31, 45)
    assert np.array_equal(decode_bgr(tmp_path / "p.png", (31, 45))[..., ::-1], photo)


def test_undecodable_photos_are_named_and_skipped(tmp_path):
    photo = tmp_path / "cut.jpg"
    noise = np.random.default_rng(4).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    Image.fromarray(noise).save(photo, "JPEG")
    photo.write_bytes(photo.read_bytes()[:2000])  # the header survives, the pixels do not
    assert photo_size(photo) == (200, 300)
    with pytest.raises(PhotoError, match=r"cut.jpg: cannot be decoded as an image.*skipped"):
        network_input(photo, 32)
    (tmp_path / "notes.png").write_text("hello")
    with pytest.raises(PhotoError, match="notes.png.*skipped"):
        decode_bgr(tmp_path / "notes.png", (2, 2))


def test_photo_limits_and_unreadable_photos(tmp_path):
    Image.new("RGB", (100, 80)).save(tmp_path / "big.png")
    with pytest.raises(PhotoError, match="max-pixels"):
        photo_size(tmp_path / "big.png", max_pixels=1000)
    (tmp_path / "notes.jpg").write_text("hello")
    with pytest.raises(PhotoError, match="notes.jpg.*skipped"):
        photo_size(tmp_path / "notes.jpg")


def test_plan_outputs(tmp_path):
    photos = tmp_path / "in"
    (photos / "x" / "y").mkdir(parents=True)
    (photos / ".hidden").mkdir()
    for name in ("a.jpg", "x/b.png", "x/y/c.webp", ".hidden/d.png", "x/notes.txt"):
        (photos / name).write_bytes(b"")
    out = tmp_path / "out"
    jobs = plan_outputs([photos, photos / "a.jpg"], out)  # a.jpg named twice: once
    assert [j.mask.relative_to(out).as_posix() for j in jobs] == [
        "a_mask.png",
        "x/b_mask.png",
        "x/y/c_mask.png",
    ]
    (photos / "a.png").write_bytes(b"")
    with pytest.raises(PredictionError, match="same output"):
        plan_outputs([photos], out)
    (photos / "a.png").unlink()
    (out / "x").mkdir(parents=True)
    (out / "x" / "b_overlay.png").write_bytes(b"")
    with pytest.raises(PredictionError, match="--overwrite"):
        plan_outputs([photos], out)
    assert len(plan_outputs([photos], out, overwrite=True)) == 3
    with pytest.raises(FileNotFoundError):
        plan_outputs([tmp_path / "missing.jpg"], out)
    (tmp_path / "empty").mkdir()
    with pytest.raises(PredictionError, match="no photos"):
        plan_outputs([tmp_path / "empty"], tmp_path / "o2")


def test_package_import_sets_the_wait_policy_unless_the_user_did():
    # here pytest's conftest imported torch first: the package says so instead of pretending
    assert wait_policy_state()["policy"] in (
        "PASSIVE",
        "(set after torch was imported)",
        os.environ.get("OMP_WAIT_POLICY"),
    )
    code = (
        "import os, unet_tutorial; from unet_tutorial.runtime import thread_settings; "
        "print(os.environ['OMP_WAIT_POLICY'], thread_settings()['set_by_package'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.stdout.split() == ["PASSIVE", "True"]
    late = "import torch, os, unet_tutorial; print(os.environ.get('OMP_WAIT_POLICY'))"
    result = subprocess.run([sys.executable, "-c", late], env=env, capture_output=True, text=True)
    assert result.stdout.strip() == "None"  # too late to matter: left alone
