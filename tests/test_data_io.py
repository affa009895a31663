"""Opening files by content (lying extensions, RGBA) and decoding photos (RGB, and BGR for
``predict``'s overlays)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from unet_tutorial.data.io import CorruptFileError, file_format, read_bgr, read_rgb


def photo() -> np.ndarray:
    rng = np.random.default_rng(0)
    values = np.zeros((20, 30, 3), np.uint8)
    values[:, :15] = (200, 30, 40)
    values[:, 15:] = (20, 90, 220)
    return values + rng.integers(0, 3, values.shape, dtype=np.uint8)


@pytest.mark.parametrize("fmt", ["WEBP", "PNG", "JPEG"])
def test_reads_by_content_whatever_the_extension(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "image.jpg"
    options = {"WEBP": {"lossless": True}, "JPEG": {"quality": 95, "subsampling": 0}}.get(fmt, {})
    Image.fromarray(photo()).save(path, fmt, **options)
    assert file_format(path) == fmt
    image = np.asarray(read_rgb(path))
    assert image.shape == (20, 30, 3)
    error = np.abs(image.astype(int) - photo())
    if fmt == "JPEG":  # lossy: close on average
        assert error.mean() < 3
    else:
        assert error.max() == 0


def test_rgba_named_jpg_becomes_rgb(tmp_path: Path) -> None:
    rgba = np.dstack([photo(), np.full((20, 30), 255, np.uint8)])
    path = tmp_path / "2.jpg"
    Image.fromarray(rgba, "RGBA").save(path, "PNG")
    image = read_rgb(path)
    assert image.mode == "RGB"
    assert np.array_equal(np.asarray(image), photo())


def test_grey_and_palette_photos_become_rgb(tmp_path: Path) -> None:
    Image.fromarray(photo()).convert("L").save(tmp_path / "grey.jpg", "PNG")
    Image.fromarray(photo()).convert("P").save(tmp_path / "palette.jpg", "PNG")
    for name in ("grey.jpg", "palette.jpg"):
        assert np.asarray(read_rgb(tmp_path / name)).shape == (20, 30, 3)


def test_jpeg_draft_gives_a_smaller_image_at_least_the_size_asked(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    Image.new("RGB", (800, 600), (10, 120, 30)).save(path, "JPEG")
    image = read_rgb(path, min_size=(90, 70))
    assert image.size[0] >= 90 and image.size[1] >= 70
    assert image.size[0] < 800


def test_truncated_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.jpg"
    Image.fromarray(photo()).resize((300, 200)).save(path, "JPEG")
    path.write_bytes(path.read_bytes()[:400])
    with pytest.raises(CorruptFileError, match="cut.jpg"):
        read_rgb(path)


def test_not_an_image_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    with pytest.raises(CorruptFileError, match="notes.png"):
        read_rgb(path)
    with pytest.raises(CorruptFileError, match="notes.png"):
        read_bgr(path, (2, 2))


def test_read_bgr_is_read_rgb_reversed(tmp_path: Path) -> None:
    Image.fromarray(photo()).save(tmp_path / "p.png")
    bgr = read_bgr(tmp_path / "p.png", (20, 30))
    assert bgr.shape == (20, 30, 3) and bgr.dtype == np.uint8
    assert np.array_equal(bgr[..., ::-1], np.asarray(read_rgb(tmp_path / "p.png")))


def test_read_bgr_falls_back_to_pillow_for_what_opencv_cannot_read(tmp_path: Path) -> None:
    path = tmp_path / "p.jpg"  # a WEBP named .jpg, with a size OpenCV's buffer does not match
    Image.fromarray(photo()).save(path, "WEBP", lossless=True)
    assert np.array_equal(read_bgr(path, (5, 5))[..., ::-1], np.asarray(read_rgb(path)))
