"""The synthetic segmentation task of chapter 4: wavy blobs and thin bars under noise.

Its masks have fine boundaries (toothed blob edges, bars one or two pixels wide) that a network
must recover at full resolution, which is what skip connections are for.
"""

from __future__ import annotations

import math

import torch


def synthetic_shapes(
    n: int,
    size: int,
    *,
    seed: int = 0,
    noise: float = 0.5,
    blobs: tuple[int, int] = (2, 4),
    bars: tuple[int, int] = (1, 3),
) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded batch of the synthetic segmentation task.

    Each image holds a few "wavy blobs" (discs whose radius oscillates with the angle, giving
    boundaries with fine teeth) and thin bars one or two pixels wide. The foreground is brighter
    than the background by 1 on average, under a smooth random illumination gradient and
    Gaussian pixel noise of standard deviation ``noise``, so a single pixel is ambiguous but its
    neighbourhood is not.

    Args:
        n: number of images.
        size: image side in pixels (at least 16).
        seed: the same seed gives the same images and masks.
        noise: standard deviation of the pixel noise.
        blobs: inclusive range of the number of blobs per image.
        bars: inclusive range of the number of thin bars per image.

    Returns:
        ``images`` ``n×1×size×size`` float32 (roughly zero mean, unit contrast) and ``masks``
        ``n×1×size×size`` float32 holding 0 and 1.
    """
    if n < 1 or size < 16:
        raise ValueError(f"need n >= 1 and size >= 16, got n={n}, size={size}.")
    g = torch.Generator().manual_seed(seed)

    def uniform(*shape: int, low: float = 0.0, high: float = 1.0) -> torch.Tensor:
        return low + (high - low) * torch.rand(*shape, generator=g)

    coords = torch.arange(size, dtype=torch.float32) + 0.5
    y, x = coords.view(1, 1, size, 1), coords.view(1, 1, 1, size)  # broadcast over n × shapes

    # Wavy blobs: r(theta) = r0 * (1 + a * sin(k * theta + phase)).
    k_blobs = blobs[1]
    present = torch.arange(k_blobs).view(1, -1) < torch.randint(
        blobs[0], blobs[1] + 1, (n, 1), generator=g
    )
    cy = uniform(n, k_blobs, low=0.2 * size, high=0.8 * size)[..., None, None]
    cx = uniform(n, k_blobs, low=0.2 * size, high=0.8 * size)[..., None, None]
    r0 = uniform(n, k_blobs, low=0.10 * size, high=0.22 * size)[..., None, None]
    amplitude = uniform(n, k_blobs, low=0.15, high=0.35)[..., None, None]
    lobes = torch.randint(4, 10, (n, k_blobs), generator=g).float()[..., None, None]
    phase = uniform(n, k_blobs, high=2 * math.pi)[..., None, None]
    theta = torch.atan2(y - cy, x - cx)
    radius = r0 * (1 + amplitude * torch.sin(lobes * theta + phase))
    inside = torch.hypot(y - cy, x - cx) < radius
    mask = (inside & present[..., None, None]).any(1)

    # Thin bars: points within half a width of a random segment.
    k_bars = bars[1]
    present = torch.arange(k_bars).view(1, -1) < torch.randint(
        bars[0], bars[1] + 1, (n, 1), generator=g
    )
    start_y = uniform(n, k_bars, high=size)[..., None, None]
    start_x = uniform(n, k_bars, high=size)[..., None, None]
    angle = uniform(n, k_bars, high=math.pi)[..., None, None]
    length = uniform(n, k_bars, low=0.3 * size, high=0.7 * size)[..., None, None]
    half_width = uniform(n, k_bars, low=0.5, high=1.0)[..., None, None]
    dy, dx = torch.sin(angle), torch.cos(angle)
    along = ((y - start_y) * dy + (x - start_x) * dx).clamp(min=torch.zeros(()), max=length)
    distance = torch.hypot(y - start_y - along * dy, x - start_x - along * dx)
    mask |= ((distance < half_width) & present[..., None, None]).any(1)

    mask = mask.float().unsqueeze(1)
    # A smooth illumination gradient: a global threshold on brightness is not enough.
    tilt_y = uniform(n, 1, 1, 1, low=-0.6, high=0.6)
    tilt_x = uniform(n, 1, 1, 1, low=-0.6, high=0.6)
    illumination = (tilt_y * (y - size / 2) + tilt_x * (x - size / 2)) / size
    images = mask - 0.5 + illumination + noise * torch.randn(n, 1, size, size, generator=g)
    return images.float(), mask
