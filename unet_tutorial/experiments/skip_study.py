"""Chapter 4's experiment: the same plain U-Net without skips, with additive skips and with
concatenated (U-Net) skips, trained on the same synthetic segmentation task.

Chapter 4 writes the experiment's two steps in view, :func:`train_variant` (Adam steps on
seeded random batches, BCE loss) and :func:`score_variant` (IoU, Dice and boundary IoU on the
held-out images), and trains the three variants in a loop on the page. This module holds those
two functions (kept identical to the chapter's cells by ``tools/in_view.py``), the task's data
(:func:`make_data`, :func:`random_batches`), the record of a trained variant (:class:`SkipRun`)
and its place in the run store (:func:`load_or_run`, built on :func:`stored_run`,
:func:`load_record` and :func:`save_record`), so that a rebuild of the chapter reuses the
variants it trained.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from unet_tutorial.data.shapes import synthetic_shapes
from unet_tutorial.metrics import SegmentationMetrics, boundary_iou
from unet_tutorial.models.unet import UNet
from unet_tutorial.profiles import Profile
from unet_tutorial.runs.store import Run, open_run

#: Bumped when the training code changes, so that older stored runs are trained again.
RECORD_VERSION = 2


@dataclass
class SkipRun:
    """The record of one trained variant.

    Attributes:
        skip: the skip mode.
        parameters: parameter count.
        losses: training loss (BCE) of each step.
        test: test scores from :func:`score_variant` (``iou``, ``dice``, ..., ``boundary_iou``).
        seconds: training time.
        test_probabilities: ``k×1×H×W`` predicted probabilities of the first test images
            (for figures).
    """

    skip: str
    parameters: int
    losses: list[float] = field(default_factory=list)
    test: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    test_probabilities: torch.Tensor | None = None

    def summary(self) -> dict[str, float]:
        """The numbers the chapter reports: ``final_loss``, the mean loss over the last tenth of
        the steps (one step is noisy); the test ``iou``, ``dice`` (micro) and ``boundary_iou``;
        the training ``seconds``."""
        if not self.losses:
            raise ValueError(f"run {self.skip!r} has no recorded steps.")
        tenth = max(1, len(self.losses) // 10)
        return {
            "final_loss": sum(self.losses[-tenth:]) / tenth,
            "iou": self.test["iou"],
            "dice": self.test["dice"],
            "boundary_iou": self.test["boundary_iou"],
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
    data: SkipData, batch_size: int, steps: int, seed: int, device: torch.device | None = None
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """``steps`` batches drawn with replacement from the training set, in a seeded order."""
    order = torch.Generator().manual_seed(seed)
    images, masks = data.train_images.to(device), data.train_masks.to(device)
    for _ in range(steps):
        index = torch.randint(len(images), (batch_size,), generator=order).to(images.device)
        yield images[index], masks[index]


def train_variant(
    skip: str,
    data,
    steps: int,
    batch_size: int,
    base_channels: int,
    seed: int = 0,
    lr: float = 3e-3,
    device: torch.device | None = None,
) -> tuple[UNet, list[float]]:
    """Train one variant: a three-level :class:`UNet` with ``skip`` ("none", "add", "concat")
    on ``data`` (a :class:`SkipData`).

    ``steps`` Adam steps on batches of ``batch_size`` images drawn (seeded) from ``data``,
    binary cross-entropy on the logits. The same ``seed`` gives every variant the same batches
    and the same initial weights in the layers they share.

    Returns:
        The trained model (on ``device``) and the loss of every step.
    """
    torch.manual_seed(seed)
    model = UNet(1, 1, base_channels, depth=3, skip=skip).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for images, masks in random_batches(data, batch_size, steps, seed, device):
        logits = model(images)
        loss = F.binary_cross_entropy_with_logits(logits, masks)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


@torch.no_grad()
def score_variant(
    model: UNet, data, device: torch.device | None = None, keep: int = 4
) -> tuple[dict[str, float], torch.Tensor]:
    """Score ``model`` on the test images of ``data`` (a :class:`SkipData`).

    Returns:
        The micro IoU, Dice, precision, recall, pixel accuracy (and their per-image means, see
        :func:`unet_tutorial.metrics.summarize_counts`) with the ``boundary_iou`` added, and the
        predicted probabilities of the first ``keep`` test images (``keep×1×H×W``, on the CPU).
    """
    model.eval()
    logits = model(data.test_images.to(device)).cpu()
    metrics = SegmentationMetrics()
    metrics.update(logits, data.test_masks)
    scores = metrics.compute()
    scores["boundary_iou"] = boundary_iou(logits, data.test_masks)
    return scores, torch.sigmoid(logits[:keep])


def run_spec(skip: str, profile: Profile, seed: int, device: torch.device) -> dict:
    """Everything that determines one variant's run (its key in the run store)."""
    return {
        "experiment": "skip_study",
        "record_version": RECORD_VERSION,
        "skip": skip,
        "image_size": profile.skip_study.image_size,
        "steps": profile.skip_study.steps,
        "batch_size": profile.batch_size,
        "base_channels": profile.base_channels,
        "seed": seed,
        "device": torch.device(device).type,
    }


def stored_run(skip: str, profile: Profile, device: torch.device, seed: int = 0) -> Run:
    """The run-store entry of one variant under ``profile`` (``skip-study-<profile>/<skip>``).

    Its :meth:`~unet_tutorial.runs.store.Run.status` is ``"finished"`` when an earlier build
    trained this variant with the same settings: :func:`load_record` then reads it back.
    """
    return open_run(f"skip-study-{profile.name}/{skip}", run_spec(skip, profile, seed, device))


def save_record(run: Run, record: SkipRun) -> None:
    """Store ``record`` in ``run`` (``outputs.pt``) and mark the run finished with its
    summary (the folder must exist: call ``run.start()`` before training)."""
    torch.save(vars(record), run.path("outputs.pt"))
    run.finish(record.summary())


def load_record(run: Run) -> SkipRun:
    """The :class:`SkipRun` that :func:`save_record` stored in a finished ``run``."""
    return SkipRun(**torch.load(run.path("outputs.pt"), weights_only=True))


def load_or_run(
    skip: str,
    profile: Profile,
    device: torch.device,
    run_variant: Callable[[str], SkipRun],
    seed: int = 0,
) -> SkipRun:
    """The record of variant ``skip``: read back from the run store when an earlier build
    trained it with the same settings, else ``run_variant(skip)``, stored before it is returned.
    """
    stored = stored_run(skip, profile, device, seed)
    if stored.status() == "finished":
        return load_record(stored)
    stored.start()
    record = run_variant(skip)
    save_record(stored, record)
    return record
