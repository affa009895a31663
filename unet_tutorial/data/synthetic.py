"""Procedurally generated flood scenes with exact water masks: the book's embedded default dataset.

When the real photos are not available (a fresh clone without a download, a CI machine), the
chapters still need images that *look like* the task: an outdoor view with a sky, land, flood
water and things standing in it. :func:`render_flood_scene` paints one such view:

- a sky gradient with soft clouds, and a hazy line of hills or trees on the horizon;
- a ground plane seen in perspective (textures shrink towards the horizon; the camera pitch
  varies from a street-level view to an aerial one), with fields and vegetation;
- flood water filling the low parts of a random terrain, coloured muddy brown, grey or green,
  with horizontal ripples and a reflection of the sky that grows towards the horizon;
- houses and trees standing on land and in the water; those in the water are mirrored in it,
  and every object hides the water behind it.

The mask is exact: a pixel is water when the water surface is what the camera sees there
(reflections are water; roofs, walls and trees in front of the water are not). Everything is
drawn from one ``numpy`` generator, so a scene depends only on its seed and size.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter

COARSE = 4  # smooth noise fields are computed on a 4× coarser grid and upsampled

# Palettes (RGB 0-255); each scene jitters the colours it picks.
SKIES = (
    ((72, 118, 186), (188, 208, 228)),  # clear blue
    ((118, 130, 146), (200, 204, 210)),  # overcast
    ((96, 128, 170), (214, 206, 196)),  # hazy, warm horizon
)
WATERS = ((138, 110, 74), (124, 100, 70), (150, 124, 86), (104, 108, 96), (96, 108, 114))
LANDS = ((80, 108, 50), (100, 122, 58), (62, 92, 44), (112, 118, 70), (54, 78, 40))
WALLS = ((226, 222, 210), (204, 186, 160), (176, 92, 72), (196, 196, 190), (232, 214, 170))
ROOFS = ((150, 60, 44), (92, 84, 80), (120, 72, 52), (70, 80, 96), (180, 180, 176))
TREES = ((46, 78, 36), (60, 92, 40), (38, 64, 34), (72, 100, 52))


def _jitter(rng: np.random.Generator, colour: tuple[int, ...], amount: float) -> np.ndarray:
    return np.clip(np.asarray(colour, float) + rng.normal(0, amount, 3), 0, 255)


def _pick(rng: np.random.Generator, palette: tuple, amount: float = 10.0) -> np.ndarray:
    return _jitter(rng, palette[int(rng.integers(len(palette)))], amount)


class _Noise:
    """Smooth value noise at arbitrary (u, v) coordinates, from a random 256×256 lattice."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.table = rng.random(256 * 256, dtype=np.float32)
        self.offsets = rng.uniform(0, 256, (8, 2))

    def value(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        iu, iv = np.floor(u), np.floor(v)
        fu, fv = (u - iu).astype(np.float32), (v - iv).astype(np.float32)
        fu, fv = fu * fu * (3 - 2 * fu), fv * fv * (3 - 2 * fv)
        i0, j0 = iu.astype(np.int32) & 255, (iv.astype(np.int32) & 255) << 8
        i1, j1 = (i0 + 1) & 255, (j0 + 256) & 0xFF00
        t = self.table
        top = t[j0 | i0] + (t[j0 | i1] - t[j0 | i0]) * fu
        bottom = t[j1 | i0] + (t[j1 | i1] - t[j1 | i0]) * fu
        return top + (bottom - top) * fv

    def fbm(self, u: np.ndarray, v: np.ndarray, octaves: int = 4, gain: float = 0.5) -> np.ndarray:
        """Fractal sum of ``octaves`` octaves, scaled to about [0, 1]."""
        u, v = np.broadcast_arrays(np.asarray(u, float), np.asarray(v, float))
        total, amplitude, norm = np.zeros(u.shape), 1.0, 0.0
        for octave in range(octaves):
            du, dv = self.offsets[octave % len(self.offsets)]
            scale = 2.0**octave
            total += amplitude * self.value(u * scale + du, v * scale + dv)
            norm += amplitude
            amplitude *= gain
        return total / norm


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0, 1)
    return t * t * (3 - 2 * t)


@dataclass(frozen=True)
class _Camera:
    """Maps image rows below the horizon to distances on a flat ground plane."""

    height: int
    width: int
    horizon: int  # row of the horizon
    flatness: float  # 0.1: street level, strong perspective; 1.5: nearly top-down

    def plane(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ground coordinates (x across, z away) and nearness (1 at the bottom row, 0 far)."""
        rows = np.arange(self.height, dtype=float)[:, None]
        cols = np.arange(self.width, dtype=float)[None, :]
        below = np.clip((rows - self.horizon + 1) / (self.height - self.horizon), 0.02, 1)
        z = (1 + self.flatness) / (below + self.flatness)  # 1 at the bottom, grows far away
        x = (cols - self.width / 2) / self.width * z
        near = np.broadcast_to((below + self.flatness) / (1 + self.flatness), x.shape)
        return x, np.broadcast_to(z, x.shape), near

    def scale_at(self, row: float) -> float:
        """Pixels per ground unit at an image row (objects shrink towards the horizon)."""
        below = max((row - self.horizon + 1) / (self.height - self.horizon), 0.02)
        return (below + self.flatness) / (1 + self.flatness)


def _upsample(field: np.ndarray, height: int, width: int) -> np.ndarray:
    return cv2.resize(field.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)


def _sky(rng, noise: _Noise, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Sky colours for every pixel (gradient and clouds), and the colour at the horizon."""
    top, bottom = (_jitter(rng, c, 8) for c in SKIES[int(rng.integers(len(SKIES)))])
    t = np.linspace(0, 1, height, dtype=np.float32)[:, None, None] ** 0.8
    sky = np.broadcast_to(top * (1 - t) + bottom * t, (height, width, 3))
    rows, cols = np.mgrid[0:height:COARSE, 0:width:COARSE].astype(float)
    scale = rng.uniform(2.0, 4.5) / width
    cloud = _upsample(noise.fbm(cols * scale, rows * scale * 2.8 + 40, octaves=5), height, width)
    cover = rng.uniform(0.42, 0.62)
    alpha = _smoothstep(cover, cover + 0.2, cloud) * rng.uniform(0.6, 0.95)
    shade = 1 - 0.3 * _smoothstep(0.0, 0.25, cloud - cover)  # thick cloud: greyer
    cloud_colour = _jitter(rng, (238, 238, 236), 6)[None, None, :] * shade[..., None]
    sky = sky * (1 - alpha[..., None]) + cloud_colour * alpha[..., None]
    return sky, bottom


def _terrain(rng, noise: _Noise, camera: _Camera, water_fraction: float):
    """Land colours and the water layout of the ground plane (+ the coarse plane, for reuse).

    The water fills the low parts of a random terrain up to the level that floods
    ``water_fraction`` of the ground; a road, when there is one, runs on a raised bank.
    """
    h, w = camera.height, camera.width
    x, z, near = camera.plane()
    cx, cz = x[::COARSE, ::COARSE], z[::COARSE, ::COARSE]
    k = rng.uniform(1.2, 2.6)
    terrain = _upsample(noise.fbm(cx * k + 10, cz * k + 10, octaves=5, gain=0.55), h, w)
    ground = np.broadcast_to(np.arange(h)[:, None] >= camera.horizon, (h, w))
    level = float(np.quantile(terrain[ground], water_fraction))

    # Land: vegetation in two shades by large patches, a few fields, fine leafy texture.
    patches = _upsample(noise.fbm(cx * k * 2.5 + 50, cz * k * 2.5 + 50, octaves=3), h, w)
    land_a, land_b = _pick(rng, LANDS, 10), _pick(rng, LANDS, 10)
    mix = _smoothstep(0.4, 0.6, patches)[..., None]
    land = land_a * (1 - mix) + land_b * mix
    detail = noise.fbm(x * k * 16 + 90, z * k * 16 + 90, octaves=2) - 0.5
    canopy = _smoothstep(0.55, 0.68, patches + 0.35 * detail)
    land = land * (1 + 0.45 * detail[..., None]) * (1 - 0.3 * canopy[..., None])

    if rng.random() < 0.6:  # a road on a bank, running away from the camera
        centre = rng.uniform(-0.3, 0.3) + rng.uniform(-0.25, 0.25) * (z - 1)
        road = np.abs(x - centre) < rng.uniform(0.02, 0.05)
        terrain = np.where(road, np.maximum(terrain, level + 0.02 * rng.random()), terrain)
        land = np.where(road[..., None], _jitter(rng, (128, 124, 116), 8), land)

    water = ground & (terrain < level)
    shore = _smoothstep(level + 0.015, level, terrain)[..., None]  # wet, muddy band
    land = land * (1 - 0.4 * shore) + np.array([98, 84, 62]) * 0.4 * shore
    return land, water, (x, z, near)


def _water(rng, noise: _Noise, camera: _Camera, sky: np.ndarray, plane) -> np.ndarray:
    """Colour of the water surface everywhere below the horizon (silt, ripples, sky)."""
    h, w = camera.height, camera.width
    x, z, near = plane
    colour = _pick(rng, WATERS, 10)
    silt = _upsample(noise.fbm(x[::COARSE, ::COARSE] * 3 + 200, z[::COARSE, ::COARSE] * 3, 3), h, w)
    # Ripples: noise stretched across the view, so the streaks lie horizontally.
    ripple = noise.fbm(x * 5 + 300, z * 45 + 300, octaves=2) - 0.5
    # The water mirrors the sky: row h + d shows the sky at row h - d (clamped to the sky).
    rows = np.arange(h)
    mirror = np.clip(2 * camera.horizon - rows, 0, max(camera.horizon - 1, 0))
    shift = np.clip((np.arange(w)[None, :] + ripple * 8).round().astype(int), 0, w - 1)
    reflected = sky[mirror[:, None], shift]
    fresnel = (0.12 + 0.6 * (1 - near) ** 2)[..., None] * rng.uniform(0.7, 1.1)
    surface = colour * (1 + 0.25 * (silt[..., None] - 0.5))
    surface = surface * (1 - fresnel) + reflected * fresnel
    surface = surface * (1 + 0.16 * ripple[..., None])
    glints = _smoothstep(0.2, 0.3, ripple)[..., None] * 0.3 * (1 - near[..., None])
    return surface * (1 - glints) + 235 * glints


def _hills(rng, noise: _Noise, image: np.ndarray, horizon: int, haze: np.ndarray) -> np.ndarray:
    """A hazy line of hills or trees just above the horizon (it hides sky only)."""
    height, width = image.shape[:2]
    cols = np.arange(width, dtype=float)
    amplitude = rng.uniform(0.02, 0.08) * height
    ridge = horizon - amplitude * (0.3 + noise.fbm(cols / width * 6 + 700, cols * 0 + 3, 4))
    ridge -= 0.012 * height * noise.fbm(cols / 2 + 5, cols * 0 + 9, 2)  # tree tops
    rows = np.arange(height, dtype=float)[:, None]
    inside = (rows >= ridge[None, :]) & (rows < horizon)
    tone = _jitter(rng, (66, 84, 66), 10) * 0.6 + haze * 0.4
    return np.where(inside[..., None], tone, image)


def _house(rng, width: int, height: int) -> Image.Image:
    """An RGBA sprite of a house: walls, windows, a door and a gabled or flat roof."""
    sprite = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(sprite)
    wall = tuple(int(c) for c in _pick(rng, WALLS, 10))
    roof = tuple(int(c) for c in _pick(rng, ROOFS, 10))
    gabled = rng.random() < 0.6
    roof_h = int(height * (rng.uniform(0.25, 0.4) if gabled else 0.08))
    draw.rectangle([0, roof_h, width - 1, height - 1], fill=(*wall, 255))
    # A darker side wall gives the box some volume.
    side = max(1, int(width * rng.uniform(0.18, 0.3)))
    shaded = tuple(int(c * 0.72) for c in wall)
    draw.rectangle([width - side, roof_h, width - 1, height - 1], fill=(*shaded, 255))
    if gabled:
        draw.polygon([(0, roof_h), (width // 2, 0), (width - 1, roof_h)], fill=(*roof, 255))
    else:
        draw.rectangle([0, 0, width - 1, roof_h], fill=(*roof, 255))
    glass = tuple(int(c) for c in _jitter(rng, (52, 60, 70), 8))
    floors = max(1, int((height - roof_h) / max(6, width * 0.35)))
    cols = max(1, int((width - side) / 7))
    for f in range(floors):
        top = roof_h + (f + 0.3) * (height - roof_h) / floors
        for c in range(cols):
            left = (c + 0.3) * (width - side) / cols
            w = max(1, (width - side) / cols * 0.4)
            h = max(1, (height - roof_h) / floors * 0.35)
            draw.rectangle([left, top, left + w, top + h], fill=(*glass, 255))
    return sprite


def _tree(rng, width: int, height: int) -> Image.Image:
    """An RGBA sprite of a tree or bush: a trunk under overlapping leafy blobs."""
    sprite = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(sprite)
    trunk_w = max(1, width // 9)
    crown_bottom = int(height * rng.uniform(0.6, 0.85))
    draw.rectangle(
        [width // 2 - trunk_w // 2, crown_bottom - 2, width // 2 + trunk_w // 2, height - 1],
        fill=(74, 58, 40, 255),
    )
    base = _pick(rng, TREES, 8)
    for _ in range(int(rng.integers(5, 10))):
        cx, cy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.15, 0.55) * crown_bottom
        rx, ry = rng.uniform(0.18, 0.32) * width, rng.uniform(0.18, 0.35) * crown_bottom
        shade = tuple(int(c) for c in np.clip(base * rng.uniform(0.75, 1.25), 0, 255))
        draw.ellipse([cx - rx, cy - ry, cx + rx, min(cy + ry, crown_bottom)], fill=(*shade, 255))
    return sprite


def _place_objects(rng, camera: _Camera, count: int) -> list[tuple]:
    """``(kind, x, base_row, width, height)`` of houses and trees, far ones first.

    Houses gather in one to three villages; trees stand in rows and alone, on land or in water.
    """
    h, w = camera.height, camera.width
    first = camera.horizon + 2
    villages = [
        (rng.uniform(0.1, 0.9) * w, rng.uniform(first, h)) for _ in range(rng.integers(1, 4))
    ]
    objects = []
    for _ in range(count):
        if rng.random() < 0.55:
            cx, cy = villages[int(rng.integers(len(villages)))]
            spread = camera.scale_at(cy) * w * 0.25
            col, row = cx + rng.normal(0, spread), cy + rng.normal(0, spread * 0.45)
        else:
            col, row = rng.uniform(0, w), rng.uniform(first, h)
        row = float(np.clip(row, first, h + 4))
        scale = camera.scale_at(row) * w
        if rng.random() < 0.5:
            size = scale * rng.uniform(0.06, 0.14)
            objects.append(("house", col, row, size * rng.uniform(0.9, 1.5), size))
        else:
            size = scale * rng.uniform(0.05, 0.11)
            objects.append(("tree", col, row, size, size * rng.uniform(1.0, 1.5)))
    return sorted(objects, key=lambda o: o[2])


def _ripple_shift(rng, rows: int) -> np.ndarray:
    phase, freq = rng.uniform(0, 2 * np.pi), rng.uniform(0.6, 1.2)
    return np.round(1.5 * np.sin(np.arange(rows) * freq + phase)).astype(int)


SCENE_CLASS_NAMES: tuple[str, ...] = ("other", "water", "building")
"""The classes of :func:`render_scene_classes`: 0 everything else (land, sky, trees), 1 water,
2 buildings (walls and roofs)."""


def render_flood_scene(
    seed: int | np.random.Generator, height: int = 192, width: int = 288
) -> tuple[np.ndarray, np.ndarray]:
    """Paint one flood-like outdoor scene and its exact water mask.

    Args:
        seed: an integer seed (or a ``numpy`` generator); the same seed and size give the same
            scene.
        height, width: size of the scene in pixels (at least 32×32).

    Returns:
        ``(image, mask)``: H×W×3 ``uint8`` RGB, and H×W ``uint8`` with 1 where water is seen.
    """
    image, labels = _render(seed, height, width)
    return image, (labels == 1).astype(np.uint8)


def render_scene_classes(
    seed: int | np.random.Generator, height: int = 192, width: int = 288
) -> tuple[np.ndarray, np.ndarray]:
    """The scene of :func:`render_flood_scene` (same seed, same pixels) with three classes.

    Returns:
        ``(image, labels)``: H×W×3 ``uint8`` RGB, and H×W ``uint8`` class indices: 0 other,
        1 water (exactly :func:`render_flood_scene`'s mask), 2 building (the visible walls and
        roofs; a tree in front of a house hides it, a house's reflection is water). See
        :data:`SCENE_CLASS_NAMES`.
    """
    return _render(seed, height, width)


def _render(
    seed: int | np.random.Generator, height: int, width: int
) -> tuple[np.ndarray, np.ndarray]:
    if height < 32 or width < 32:
        raise ValueError(f"a scene needs at least 32×32 pixels, got {height}×{width}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    noise = _Noise(rng)
    flatness = float(rng.choice([rng.uniform(0.12, 0.4), rng.uniform(0.5, 1.6)]))
    # Street-level views always show some sky; aerial views (flat) sometimes none at all.
    low, high = (0.18, 0.42) if flatness < 0.45 else (-0.12, 0.3)
    horizon = max(0, int(height * rng.uniform(low, high)))
    camera = _Camera(height, width, horizon, flatness)

    sky, haze = _sky(rng, noise, height, width)
    land, water, plane = _terrain(rng, noise, camera, rng.uniform(0.3, 0.9))
    surface = _water(rng, noise, camera, sky, plane)
    ground = np.arange(height)[:, None, None] >= horizon
    image = np.where(ground, np.where(water[..., None], surface, land), sky)
    # Atmospheric haze: far ground fades towards the horizon colour.
    fade = ((1 - plane[2]) ** 3 * 0.6)[..., None] * ground
    image = image * (1 - fade) + haze * fade
    image = _hills(rng, noise, image, horizon, haze)

    canvas = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    occluded = Image.new("L", (width, height), 0)
    houses = Image.new("L", (width, height), 0)  # visible house pixels (no random draws)
    count = int(rng.integers(8, 40))
    for kind, col, row, w, h in _place_objects(rng, camera, count):
        w, h = max(3, int(round(w))), max(4, int(round(h)))
        sprite = (_house if kind == "house" else _tree)(rng, w, h)
        col, row = int(col), int(row)
        left, top = col - w // 2, row - h
        if water[min(row, height - 1), min(max(col, 0), width - 1)]:
            _reflect(rng, canvas, sprite, left, row, water)
        canvas.paste(sprite, (left, top), sprite)
        occluded.paste(255, (left, top), sprite.getchannel("A"))
        houses.paste(255 if kind == "house" else 0, (left, top), sprite.getchannel("A"))

    mask = water & (np.asarray(occluded) < 128)
    labels = np.where(mask, 1, np.where(np.asarray(houses) >= 128, 2, 0)).astype(np.uint8)
    finished = canvas.filter(ImageFilter.GaussianBlur(radius=0.5))
    pixels = np.asarray(finished, dtype=float)
    rows, cols = np.mgrid[0:height, 0:width]
    vignette = 1 - 0.18 * (((rows / height - 0.5) ** 2 + (cols / width - 0.5) ** 2) * 2)
    pixels = pixels * vignette[..., None] + rng.normal(0, 2.5, pixels.shape)
    return np.clip(pixels, 0, 255).astype(np.uint8), labels


def _reflect(
    rng, canvas: Image.Image, sprite: Image.Image, left: int, base: int, water: np.ndarray
) -> None:
    """Mirror ``sprite`` into the water below ``base``: darker, fainter and rippled."""
    mirrored = np.asarray(sprite.transpose(Image.Transpose.FLIP_TOP_BOTTOM), dtype=np.float32)
    h, w = mirrored.shape[:2]
    # Ripples shift each row of the reflection sideways by a pixel or two.
    columns = (np.arange(w)[None, :] - _ripple_shift(rng, h)[:, None]) % w
    mirrored = mirrored[np.arange(h)[:, None], columns]
    height, width = water.shape
    top, bottom = base, min(base + h, height)
    lo, hi = max(left, 0), min(left + w, width)
    if bottom <= top or hi <= lo:
        return
    part = mirrored[: bottom - top, lo - left : hi - left]
    fade = np.linspace(0.55, 0.1, h, dtype=np.float32)[: bottom - top, None, None]
    alpha = part[..., 3:4] / 255 * fade * water[top:bottom, lo:hi, None]
    region = np.asarray(canvas.crop((lo, top, hi, bottom)), dtype=np.float32)
    blended = region * (1 - alpha) + part[..., :3] * 0.7 * alpha
    canvas.paste(Image.fromarray(np.clip(blended, 0, 255).astype(np.uint8)), (lo, top))


def save_scene_folder(
    root: str | Path,
    count: int,
    size: tuple[int, int] = (192, 288),
    seed: int = 0,
    *,
    classes: bool = False,
) -> Path:
    """Write ``count`` scenes as a folder of "your own data": ``root/images/`` in JPEG, PNG and
    WEBP (cycling) and ``root/masks/`` as 0/255 PNG, matched by stem. Returns ``root``.

    With ``classes=True`` the masks are the three classes of :func:`render_scene_classes` as
    palette PNGs (class indices 0, 1, 2) and ``root/classes.json`` names them.
    """
    root = Path(root)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    formats = ((".jpg", "JPEG"), (".png", "PNG"), (".webp", "WEBP"))
    table = None
    if classes:
        from unet_tutorial.data.class_masks import class_mask_image
        from unet_tutorial.data.classes import CLASSES_FILE, ClassTable

        table = ClassTable(SCENE_CLASS_NAMES)
        (root / CLASSES_FILE).write_text(json.dumps(table.to_dict(), indent=1) + "\n")
    for index in range(count):
        image, labels = _render(np.random.default_rng([seed, index]), *size)
        suffix, kind = formats[index % len(formats)]
        Image.fromarray(image).save(root / "images" / f"scene-{index}{suffix}", kind)
        if table is None:
            Image.fromarray((labels == 1).astype(np.uint8) * 255).save(
                root / "masks" / f"scene-{index}.png"
            )
        else:
            class_mask_image(labels, table).save(root / "masks" / f"scene-{index}.png")
    return root


def synthetic_flood_batch(
    batch_size: int, image_size: int, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of synthetic flood scenes painted at S×S, normalised as every network input is.

    Returns:
        ``(images, masks)``: N×3×S×S float32 and N×1×S×S float32 in {0, 1} (1 = water).
    """
    from unet_tutorial.data.transforms import photo_to_input

    scenes = [render_flood_scene(seed + i, image_size, image_size) for i in range(batch_size)]
    images = torch.stack([photo_to_input(image, image_size) for image, _ in scenes])
    masks = torch.from_numpy(np.stack([mask for _, mask in scenes])).unsqueeze(1).float()
    return images, masks
