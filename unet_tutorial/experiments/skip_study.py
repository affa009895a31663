"""Chapter 4's experiment: the same plain U-Net without skips, with additive skips and with
concatenated (U-Net) skips, trained on the same synthetic segmentation task.

Each variant (:class:`~unet_tutorial.models.unet.UNet` with ``skip`` in ``{"none", "add",
"concat"}``) trains with the package's :class:`~unet_tutorial.training.trainer.Trainer` for
``profile.skip_study.steps`` Adam steps on seeded random batches of the task
(:func:`unet_tutorial.data.shapes.synthetic_shapes`), recording the loss and the first layer's
gradient norm at every step, then is scored on held-out images. Runs are kept in the run store
(:mod:`.runs`), so a rebuild reuses them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import torch

from unet_tutorial.data.shapes import synthetic_shapes
from unet_tutorial.inference import predict_logits
from unet_tutorial.metrics import SegmentationMetrics, boundary_iou
from unet_tutorial.models import count_parameters
from unet_tutorial.models.unet import SKIP_MODES, SkipMode, UNet
from unet_tutorial.profiles import Profile
from unet_tutorial.runs.store import open_run
from unet_tutorial.runtime import default_device
from unet_tutorial.training.trainer import TrainConfig, Trainer

#: Summary scores where lower is better (the others are better higher).
LOWER_IS_BETTER = frozenset({"final_loss", "seconds"})


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
    """Seeded training and test sets of :func:`synthetic_shapes` at the study's image size."""
    size = profile.skip_study.image_size
    train_images, train_masks = synthetic_shapes(train, size, seed=seed)
    test_images, test_masks = synthetic_shapes(test, size, seed=seed + 1)
    return SkipData(train_images, train_masks, test_images, test_masks)


def random_batches(
    data: SkipData, batch_size: int, steps: int, seed: int, device: torch.device
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """``steps`` batches drawn with replacement from the training set, in a seeded order."""
    order = torch.Generator().manual_seed(seed)
    images, masks = data.train_images.to(device), data.train_masks.to(device)
    for _ in range(steps):
        index = torch.randint(len(images), (batch_size,), generator=order).to(device)
        yield images[index], masks[index]


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
    """Train one variant and measure it.

    ``profile.skip_study.steps`` Adam steps on batches of ``profile.batch_size`` images drawn
    (seeded) from ``data``, BCE-with-logits loss, width ``profile.base_channels``. The same
    ``seed`` gives every variant the same batches and the same initialisation of the layers
    they share.

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
    model = UNet(1, 1, profile.base_channels, depth, skip)
    trainer = Trainer(model, TrainConfig(epochs=1, lr=lr), device=device, verbose=False)
    run = SkipRun(skip, count_parameters(model, trainable_only=True))

    def record(loss: torch.Tensor) -> None:
        run.first_layer_grad_norms.append(float(model.first_layer.weight.grad.norm()))
        run.losses.append(float(loss))

    start = time.perf_counter()
    batches = random_batches(data, profile.batch_size, profile.skip_study.steps, seed, device)
    trainer.train_one_epoch(batches, on_step=record)
    run.seconds = time.perf_counter() - start

    logits = predict_logits(model, data.test_images)
    metrics = SegmentationMetrics()
    metrics.update(logits, data.test_masks)
    run.test = metrics.compute()
    run.boundary_iou = boundary_iou(logits, data.test_masks)
    run.test_probabilities = torch.sigmoid(logits[:keep])
    return run


def run_spec(skip: str, profile: Profile, seed: int, device: torch.device) -> dict:
    """Everything that determines one variant's run (its key in the run store)."""
    return {
        "experiment": "skip_study",
        "skip": skip,
        "image_size": profile.skip_study.image_size,
        "steps": profile.skip_study.steps,
        "batch_size": profile.batch_size,
        "base_channels": profile.base_channels,
        "seed": seed,
        "device": device.type,
    }


def run_experiment(
    profile: Profile,
    *,
    seed: int = 0,
    skips: Sequence[SkipMode] = SKIP_MODES,
    device: torch.device | None = None,
    refresh: bool = False,
) -> dict[str, SkipRun]:
    """Every variant in ``skips``, trained on the same data with the same seed (or reused from
    the run store): ``{skip: record}``."""
    device = device or default_device()
    data = make_data(profile, seed=seed)
    runs = {}
    for skip in skips:
        run = open_run(f"skip-study-{profile.name}/{skip}", run_spec(skip, profile, seed, device))
        if run.status() == "finished" and not refresh:
            saved = torch.load(run.path("outputs.pt"), weights_only=True)
            runs[skip] = SkipRun(**saved)
            continue
        run.start()
        runs[skip] = train_variant(skip, profile, data, seed=seed, device=device)
        torch.save(vars(runs[skip]), run.path("outputs.pt"))
        run.finish(runs[skip].summary())
    return runs


def ranking(runs: dict[str, SkipRun], score: str) -> str:
    """The variants ordered by a :meth:`SkipRun.summary` score, best first, e.g.
    ``"add (0.911) > concat (0.902) > none (0.784)"`` for ``score="iou"`` (for a loss, best is
    lowest)."""
    values = {skip: run.summary()[score] for skip, run in runs.items()}
    ordered = sorted(values, key=values.__getitem__, reverse=score not in LOWER_IS_BETTER)
    return " > ".join(f"{skip} ({values[skip]:.3f})" for skip in ordered)
