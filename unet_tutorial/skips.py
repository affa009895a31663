"""Chapter 4's experiment: the same tiny encoder-decoder without skips, with additive skips and
with concatenated (U-Net) skips, trained on the same synthetic segmentation task.

- :func:`synthetic_shapes` draws the task: noisy grey images of wavy blobs and thin bars, whose
  masks have fine boundaries that a network must recover at full resolution.
- :class:`TinyEncoderDecoder` is the model, with ``skip`` in ``{"none", "add", "concat"}``.
- :class:`ResidualBlock` and :func:`input_gradient_norm` are the small residual (ResNet) demo.
- :func:`train_variant` trains one model and returns a :class:`SkipRun` record;
  :func:`run_experiment` trains the three variants on identical data from identical seeds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from unet_tutorial.metrics import SegmentationMetrics, boundary_iou
from unet_tutorial.models.blocks import ConvBlock, level_channels
from unet_tutorial.profiles import Profile
from unet_tutorial.runtime import default_device
from unet_tutorial.viz.tables import html_table

SkipMode = Literal["none", "add", "concat"]
SKIP_MODES: tuple[SkipMode, ...] = ("none", "add", "concat")


# --- the synthetic task -------------------------------------------------------------------------


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


# --- the models ---------------------------------------------------------------------------------


class TinyEncoderDecoder(nn.Module):
    """A small encoder-decoder whose skip connections can be switched off, added or concatenated.

    The encoder has ``depth`` levels, each a :class:`~unet_tutorial.models.blocks.ConvBlock`
    (two padded 3×3 convolutions with batch norm and ReLU) followed by 2×2 max pooling
    (channels ``c, 2c, 4c, ...`` for ``c = base_channels``), then a bottleneck block at
    ``1 / 2**depth`` resolution. Each decoder level upsamples with a 2×2 transposed convolution of
    stride 2 that halves the channels, then merges the encoder feature map of the same
    resolution according to ``skip``:

    - ``"none"``: nothing is merged; all detail must pass through the bottleneck;
    - ``"add"``: element-wise sum (a residual-style skip; the channel counts match);
    - ``"concat"``: concatenation along the channels, as in U-Net (the next block sees twice as
      many input channels).

    A final 1×1 convolution gives one logit per pixel.

    Args:
        in_channels: image channels.
        base_channels: channels of the first level.
        depth: number of poolings; the image side must be divisible by ``2**depth``.
        skip: ``"none"``, ``"add"`` or ``"concat"``.

    Shapes: ``N×in_channels×H×W`` -> ``N×1×H×W`` logits.
    """

    def __init__(
        self,
        in_channels: int = 1,
        base_channels: int = 16,
        depth: int = 3,
        skip: SkipMode = "concat",
    ) -> None:
        super().__init__()
        if skip not in SKIP_MODES:
            raise ValueError(f"skip must be one of {SKIP_MODES}, got {skip!r}.")
        if depth < 1 or base_channels < 1:
            raise ValueError(
                f"need depth >= 1 and base_channels >= 1, got {depth}, {base_channels}."
            )
        self.skip = skip
        self.depth = depth
        widths = level_channels(base_channels, depth)
        self.encoder = nn.ModuleList(
            ConvBlock(c_in, c_out)
            for c_in, c_out in zip([in_channels, *widths[:-2]], widths[:-1], strict=True)
        )
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = ConvBlock(widths[-2], widths[-1])
        self.up = nn.ModuleList(
            nn.ConvTranspose2d(widths[level + 1], widths[level], 2, stride=2)
            for level in reversed(range(depth))
        )
        merge = 2 if skip == "concat" else 1
        self.decoder = nn.ModuleList(
            ConvBlock(merge * widths[level], widths[level]) for level in reversed(range(depth))
        )
        self.head = nn.Conv2d(widths[0], 1, 1)

    @property
    def first_layer(self) -> nn.Conv2d:
        """The first convolution (whose gradient the chapter measures)."""
        return self.encoder[0][0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        side = 2**self.depth
        if x.shape[-1] % side or x.shape[-2] % side:
            raise ValueError(
                f"input {tuple(x.shape)}: height and width must be divisible by 2**depth = {side}."
            )
        features = []
        for block in self.encoder:
            x = block(x)
            features.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for up, block, skipped in zip(self.up, self.decoder, reversed(features), strict=True):
            x = up(x)
            if self.skip == "add":
                x = x + skipped
            elif self.skip == "concat":
                x = torch.cat([x, skipped], dim=1)
            x = block(x)
        return self.head(x)


class ResidualBlock(nn.Module):
    """The basic residual block of ResNet: ``y = relu(x + F(x))``, ``F`` = conv-BN-ReLU-conv-BN.

    The addition needs ``F(x)`` to have the shape of ``x``: ``N×C×H×W`` -> ``N×C×H×W``.

    Args:
        channels: ``C``.
        residual: with ``False`` the same layers run without the addition (``y = relu(F(x))``),
            for comparison.
        batch_norm: with ``False`` the batch norms are left out (as in the original U-Net).
    """

    def __init__(self, channels: int, residual: bool = True, batch_norm: bool = True) -> None:
        super().__init__()
        self.residual = residual

        def norm() -> nn.Module:
            return nn.BatchNorm2d(channels) if batch_norm else nn.Identity()

        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=not batch_norm),
            norm(),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1, bias=not batch_norm),
            norm(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        return torch.relu(x + out if self.residual else out)


def input_gradient_norm(
    blocks: int,
    residual: bool,
    *,
    batch_norm: bool = False,
    channels: int = 8,
    size: int = 16,
    seed: int = 0,
) -> float:
    """How much gradient reaches the input of a stack of ``blocks`` freshly initialised blocks.

    Builds ``blocks`` :class:`ResidualBlock` s (with or without the addition; without batch norm
    by default), passes a seeded random ``2×channels×size×size`` input, back-propagates a fixed
    random direction ``v`` of unit norm from the output (the gradient of ``<v, output>``) and
    returns the L2 norm of the gradient with respect to the input: how strongly a signal at the
    output reaches the first layer.
    """
    torch.manual_seed(seed)
    stack = nn.Sequential(*(ResidualBlock(channels, residual, batch_norm) for _ in range(blocks)))
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(2, channels, size, size, generator=generator).requires_grad_(True)
    direction = torch.randn(x.shape, generator=generator)
    (stack(x) * direction / direction.norm()).sum().backward()
    return float(x.grad.norm())


def gradient_through_depth(depths: Sequence[int], **kwargs: int) -> dict[str, list[float]]:
    """:func:`input_gradient_norm` for each stack depth in ``depths``, in four settings.

    Returns:
        ``{"plain": [...], "residual": [...], "plain + BN": [...], "residual + BN": [...]}``,
        one value per depth. ``kwargs`` go to :func:`input_gradient_norm` (channels, size, seed).
    """
    settings = {
        "plain": (False, False),
        "residual": (True, False),
        "plain + BN": (False, True),
        "residual + BN": (True, True),
    }
    return {
        name: [input_gradient_norm(d, residual, batch_norm=bn, **kwargs) for d in depths]
        for name, (residual, bn) in settings.items()
    }


# --- training -----------------------------------------------------------------------------------


@dataclass
class SkipRun:
    """The record of one trained variant.

    Attributes:
        skip: the skip mode.
        parameters: trainable parameter count.
        losses: training loss (BCE) after each step.
        first_layer_grad_norms: L2 norm of the first convolution's weight gradient at each step.
        test: micro and per-image test scores (see :func:`unet_tutorial.metrics.summarize_counts`).
        boundary_iou: boundary IoU (1-pixel band) on the test set.
        seconds: training time.
        test_probabilities: ``k×1×H×W`` predicted probabilities of the first test images
            (for figures).
    """

    skip: str
    parameters: int
    losses: list[float] = field(default_factory=list)
    first_layer_grad_norms: list[float] = field(default_factory=list)
    test: dict[str, float] = field(default_factory=dict)
    boundary_iou: float = float("nan")
    seconds: float = 0.0
    test_probabilities: torch.Tensor | None = None

    def summary(self) -> dict[str, float]:
        """The numbers the chapter reports.

        ``final_loss`` is the mean loss over the last tenth of the steps (one step is noisy);
        ``grad_first`` is the first-layer gradient norm at the first step (fresh weights; with
        the same seed every variant sees the same batch there), ``grad_end`` its mean over the
        last tenth; ``iou``, ``dice`` (micro) and ``boundary_iou`` are test scores.
        """
        if not self.losses:
            raise ValueError(f"run {self.skip!r} has no recorded steps.")
        tenth = max(1, len(self.losses) // 10)
        grads = self.first_layer_grad_norms
        return {
            "final_loss": sum(self.losses[-tenth:]) / tenth,
            "grad_first": grads[0],
            "grad_end": sum(grads[-tenth:]) / tenth,
            "iou": self.test["iou"],
            "dice": self.test["dice"],
            "boundary_iou": self.boundary_iou,
            "seconds": self.seconds,
        }


@dataclass
class SkipData:
    """Training and test images and masks (``N×1×S×S`` each) of one experiment."""

    train_images: torch.Tensor
    train_masks: torch.Tensor
    test_images: torch.Tensor
    test_masks: torch.Tensor


def make_data(profile: Profile, seed: int = 0, train: int = 512, test: int = 64) -> SkipData:
    """Seeded training and test sets of :func:`synthetic_shapes` at ``profile.demo_image_size``."""
    size = profile.demo_image_size
    train_images, train_masks = synthetic_shapes(train, size, seed=seed)
    test_images, test_masks = synthetic_shapes(test, size, seed=seed + 1)
    return SkipData(train_images, train_masks, test_images, test_masks)


def train_variant(
    skip: SkipMode,
    profile: Profile,
    data: SkipData,
    *,
    seed: int = 0,
    lr: float = 3e-3,
    depth: int = 3,
    keep: int = 4,
    device: torch.device | None = None,
) -> SkipRun:
    """Train one :class:`TinyEncoderDecoder` and measure it.

    ``profile.demo_steps`` Adam steps on batches of ``profile.batch_size`` images drawn (seeded)
    from ``data``, BCE-with-logits loss, width ``profile.base_channels``. The same ``seed`` gives
    every variant the same batches and the same initialisation of the layers they share.

    Args:
        skip: the skip mode to train.
        profile: sizes (steps, batch size, width).
        data: from :func:`make_data`.
        seed: seed for initialisation and batch order.
        lr: Adam learning rate.
        depth: poolings of the encoder.
        keep: how many test predictions to keep in the record.
        device: defaults to :func:`unet_tutorial.runtime.default_device`.
    """
    device = device or default_device()
    torch.manual_seed(seed)
    model = TinyEncoderDecoder(1, profile.base_channels, depth, skip).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    order = torch.Generator().manual_seed(seed)
    images, masks = data.train_images.to(device), data.train_masks.to(device)
    run = SkipRun(skip, sum(p.numel() for p in model.parameters() if p.requires_grad))

    start = time.perf_counter()
    model.train()
    for _ in range(profile.demo_steps):
        index = torch.randint(len(images), (profile.batch_size,), generator=order).to(device)
        loss = F.binary_cross_entropy_with_logits(model(images[index]), masks[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        run.first_layer_grad_norms.append(float(model.first_layer.weight.grad.norm()))
        run.losses.append(loss.item())
        optimizer.step()
    run.seconds = time.perf_counter() - start

    model.eval()
    with torch.no_grad():
        logits = model(data.test_images.to(device)).cpu()
    metrics = SegmentationMetrics()
    metrics.update(logits, data.test_masks)
    run.test = metrics.compute()
    run.boundary_iou = boundary_iou(logits, data.test_masks)
    run.test_probabilities = torch.sigmoid(logits[:keep])
    return run


def run_experiment(
    profile: Profile,
    *,
    seed: int = 0,
    skips: Sequence[SkipMode] = SKIP_MODES,
    device: torch.device | None = None,
) -> dict[str, SkipRun]:
    """Train every variant in ``skips`` on the same data with the same seed: ``{skip: record}``."""
    data = make_data(profile, seed=seed)
    return {skip: train_variant(skip, profile, data, seed=seed, device=device) for skip in skips}


def results_table(runs: dict[str, SkipRun], fmt: Literal["markdown", "html"] = "markdown") -> str:
    """The runs as a table, one row per variant, from :meth:`SkipRun.summary`.

    Args:
        runs: ``{skip: SkipRun}``.
        fmt: ``"markdown"`` (for printing) or ``"html"`` (for ``IPython.display.HTML`` in a
            notebook and the book, whose Markdown outputs do not render tables).
    """
    header = [
        "skips",
        "parameters",
        "final train loss",
        "test IoU",
        "test Dice",
        "boundary IoU",
        "first-layer grad., step 1",
        "first-layer grad., last tenth",
        "seconds",
    ]
    rows = []
    for run in runs.values():
        row = run.summary()
        rows.append(
            [
                run.skip,
                f"{run.parameters:,}",
                f"{row['final_loss']:.3f}",
                f"{row['iou']:.3f}",
                f"{row['dice']:.3f}",
                f"{row['boundary_iou']:.3f}",
                f"{row['grad_first']:.3g}",
                f"{row['grad_end']:.3g}",
                f"{run.seconds:.1f}",
            ]
        )
    if fmt == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
        lines += ["| " + " | ".join(cells) + " |" for cells in rows]
        return "\n".join(lines)
    if fmt == "html":
        return html_table(header, rows, row_headers=False)
    raise ValueError(f'fmt must be "markdown" or "html", got {fmt!r}.')


def ranking(runs: dict[str, SkipRun], score: str) -> str:
    """The variants ordered by a :meth:`SkipRun.summary` score, best first, e.g.
    ``"add (0.911) > concat (0.902) > none (0.784)"`` for ``score="iou"``."""
    values = {skip: run.summary()[score] for skip, run in runs.items()}
    ordered = sorted(values, key=values.__getitem__, reverse=True)
    return " > ".join(f"{skip} ({values[skip]:.3f})" for skip in ordered)
