"""One recipe, six networks: the comparison of chapter 11.

Every model is trained the same way under the active profile: the same split and augmentation
(:func:`load_comparison_data`), the same loss, learning rate, image size
(``profile.compare_image_size``), batch size and number of epochs (``profile.compare_epochs``,
no early stopping), the same seed, with the package's :class:`~unet_tutorial.train.Trainer`.
Each run gives one :class:`ComparisonRow`: parameters, training and inference speed, test IoU
and Dice at each photo's original resolution (:func:`~unet_tutorial.evaluate.evaluate_native`),
and the training time.

Runs are cached: each model's row and best weights go to ``data/runs/compare-<profile>/<model>/``
with a key made of everything that determines the result (profile sizes, training settings,
data and split, model, this module's :data:`COMPARE_VERSION`). A rebuild with the same key
reuses them instead of training again; any change trains afresh.
"""

from __future__ import annotations

import hashlib
import html
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from unet_tutorial import experiment
from unet_tutorial.data import FloodData, load_flood_data, make_loader
from unet_tutorial.evaluate import evaluate_native
from unet_tutorial.fast import autocast, memory_format_for
from unet_tutorial.models.attention_unet import AttentionUNet
from unet_tutorial.models.blocks import init_weights
from unet_tutorial.models.freezing import count_parameters
from unet_tutorial.models.mirror_padded import MirrorPaddedUNet
from unet_tutorial.models.paper_unet import PaperUNet
from unet_tutorial.paths import runs_dir
from unet_tutorial.profiles import Profile
from unet_tutorial.runtime import default_device, seed_everything
from unet_tutorial.skips import TinyEncoderDecoder
from unet_tutorial.train import TrainConfig, Trainer
from unet_tutorial.viz import tables as viz_tables

#: Bump when a change here changes the results, so cached rows are not reused.
COMPARE_VERSION = 3

SEED = 42

#: The compared models, in the order of the table, with their display names.
MODELS: dict[str, str] = {
    "paper_unet": "U-Net (paper, mirror-padded)",
    "unet": "U-Net (padded, BatchNorm)",
    "vgg19_unet": "U-Net with VGG19 encoder",
    "unet_plus_plus": "U-Net++",
    "attention_unet": "Attention U-Net",
    "vnet_style": "V-Net-style U-Net (2D)",
}

NOTES: dict[str, str] = {
    "unet": "chapter 4's U-Net at depth 4: the baseline of the three variants",
    "unet_plus_plus": "nested dense skips, no deep supervision",
    "attention_unet": "additive attention gates on the 4 skips",
    "vnet_style": "strided convolutions, residual stages (2D)",
}


@dataclass(frozen=True)
class ComparisonRow:
    """One model's line of the comparison table.

    Attributes:
        model: key in :data:`MODELS`; ``name``: its display name.
        parameters / trainable: all parameters and those the optimiser updates.
        train_images_per_s: training throughput over all epochs, data loading included
            (:class:`TimedLoader`).
        infer_images_per_s: forward passes on a random batch of the profile's batch size and
            the comparison's image size, without gradients (:func:`inference_throughput`).
        test_iou / test_dice: flood-class IoU and Dice over the test split (micro: counts summed
            over all test pixels), each prediction upsampled to its photo's original size.
        test_precision / test_recall: the share of predicted water that is water, and of the
            water that is found (micro); a model that marks everything as water has recall 1.
        test_iou_per_image: the mean of the per-image IoUs (every photo weighs the same).
        test_iou_low / test_iou_high: a 95 % bootstrap interval of ``test_iou`` over the test
            photos: how much the score could move with another test set of the same size.
        train_minutes: wall-clock minutes of training (validation after each epoch included).
        epochs_run / best_epoch: epochs trained and the one whose weights were kept.
        best_val_iou: the validation IoU of that epoch.
        last_train_loss / last_val_loss: the losses of the last epoch (their gap is a sign of
            overfitting when the validation loss is the larger).
        note: how the model was set up (weights, padding), for the table's reader.
    """

    model: str
    name: str
    parameters: int
    trainable: int
    train_images_per_s: float
    infer_images_per_s: float
    test_iou: float
    test_dice: float
    test_precision: float
    test_recall: float
    test_iou_per_image: float
    test_iou_low: float
    test_iou_high: float
    train_minutes: float
    epochs_run: int
    best_epoch: int
    best_val_iou: float
    last_train_loss: float
    last_val_loss: float
    note: str


def build_model(name: str, profile: Profile) -> tuple[nn.Module, str]:
    """The model called ``name`` at the profile's width, and a note on how it is set up.

    The paper's network and the four padded-convolution networks (the plain U-Net of chapter 4
    and its three variants) get ``profile.base_channels`` channels at the first level and
    depth 4. The VGG19 U-Net keeps VGG19's widths (its encoder is VGG19): with ImageNet
    weights its encoder stays frozen as in the original recipe; without them (offline) a frozen
    random encoder would be useless, so the whole network trains from scratch.
    """
    if name == "paper_unet":
        unet = PaperUNet(in_channels=3, num_classes=1, base_channels=profile.base_channels)
        return MirrorPaddedUNet(unet), "valid convolutions, mirror-padded input (one overlap tile)"
    if name not in MODELS:
        raise ValueError(f"Unknown model {name!r}; choose one of {list(MODELS)}.")
    if name == "unet":
        model = TinyEncoderDecoder(3, profile.base_channels, depth=4, skip="concat")
        init_weights(model)  # the variants' initialisation, so that only the architecture differs
        return model, NOTES[name]
    if name == "vgg19_unet":
        model = experiment.build_model({"name": name, "kwargs": {"pretrained": "auto"}})
        if model.pretrained_loaded:
            return model, "ImageNet encoder, frozen"
        model.unfreeze_encoder(from_block=1)
        return model, "no ImageNet weights: trained from scratch"
    model = experiment.build_model(
        {"name": name, "kwargs": {"num_classes": 1, "base_channels": profile.base_channels}}
    )
    return model, NOTES[name]


def _time(step: Callable[[], None], repeats: int) -> float:
    """Best wall-clock seconds of ``repeats`` calls, after one warm-up call."""
    step()
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        step()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - began)
    return best


@torch.no_grad()
def inference_throughput(
    model: nn.Module,
    batch_size: int,
    image_size: int,
    *,
    repeats: int = 2,
    device: torch.device | None = None,
) -> float:
    """Images per second of the model's forward pass in eval mode, without gradients.

    Measured on one random ``batch_size``×3×S×S batch with the trainer's numerics and memory
    format (float32 on the CPU; autocast and channels-last on CUDA); the best of ``repeats``
    timed runs after a warm-up. The model is left in eval mode.
    """
    device = device or default_device()
    layout = memory_format_for(device)
    model = model.to(device, memory_format=layout).eval()
    generator = torch.Generator().manual_seed(0)
    images = torch.randn(batch_size, 3, image_size, image_size, generator=generator)
    images = images.to(device).contiguous(memory_format=layout)

    def step() -> None:
        with autocast(device):
            model(images)

    return batch_size / _time(step, repeats)


class TimedLoader:
    """A training loader that counts the images it serves and the seconds each pass takes.

    ``images / seconds`` is then the end-to-end training throughput (loading, augmentation,
    forward, backward and optimiser step) of the epochs run, without the validation passes.
    Other attributes (``dataset``, ``generator``: the trainer re-seeds them) are the loader's.
    """

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.images = 0
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[Any]:
        began = time.perf_counter()
        for batch in self.loader:
            self.images += len(batch[0])
            yield batch
        self.seconds += time.perf_counter() - began

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds if self.seconds else float("nan")


def comparison_profile(profile: Profile) -> Profile:
    """``profile`` with its image size set to the comparison's (``profile.compare_image_size``)."""
    return profile.replace(image_size=profile.compare_image_size)


def load_comparison_data(profile: Profile, **options: Any) -> FloodData:
    """The flood data at the comparison's image size (options go to ``load_flood_data``)."""
    return load_flood_data(comparison_profile(profile), **options)


def train_config(profile: Profile) -> TrainConfig:
    """The training settings every compared model gets under ``profile``.

    Loss, learning rate and the validation score that picks the best epoch are those of the
    profile's training plan (chapter 8); the budget is ``profile.compare_epochs`` epochs for every
    model, with no early stopping, so that no model gets more training than another.
    """
    plan = profile.training
    return TrainConfig(
        epochs=profile.compare_epochs,
        lr=plan.lr,
        loss=plan.loss,
        patience=profile.compare_epochs,
        min_epochs=profile.compare_epochs,
        monitor=plan.monitor,
        seed=SEED,
    )


def run_key(name: str, profile: Profile, data: FloodData) -> str:
    """A short hash of everything that determines one model's result."""
    description = {
        "version": COMPARE_VERSION,
        "model": name,
        # only what changes the result: editing another profile field keeps the cache valid
        "profile": profile.name,
        "sizes": [profile.compare_image_size, profile.batch_size, profile.base_channels],
        "max_samples": profile.max_samples,
        "config": train_config(profile).to_dict(),
        "data": data.source,
        "split": {split: list(getattr(data, split).ids) for split in ("train", "val", "test")},
        "device": default_device().type,
    }
    text = json.dumps(description, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def comparison_dir(profile: Profile) -> Path:
    """``data/runs/compare-<profile>/``: one folder per model."""
    return runs_dir() / f"compare-{profile.name}"


def _load_cached(folder: Path, key: str) -> ComparisonRow | None:
    path = folder / "row.json"
    if not (path.is_file() and (folder / "weights.pt").is_file()):
        return None
    try:
        saved = json.loads(path.read_text())
        return ComparisonRow(**saved["row"]) if saved.get("key") == key else None
    except (ValueError, TypeError, KeyError):
        return None  # an unreadable or outdated file: train again


def run_one(
    name: str, profile: Profile, data: FloodData, *, refresh: bool = False, verbose: bool = True
) -> tuple[ComparisonRow, nn.Module]:
    """Train and evaluate one model, or reuse its cached result; return the row and the model
    (with its best weights, in eval mode)."""
    folder = comparison_dir(profile) / name
    key = run_key(name, profile, data)
    cached = None if refresh else _load_cached(folder, key)
    seed_everything(SEED)  # every model starts from the same random state
    model, note = build_model(name, profile)
    if cached is not None:
        state = torch.load(folder / "weights.pt", map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        if verbose:
            print(f"{MODELS[name]}: reusing the cached run in {folder}")
        return cached, model.eval()

    size, batch = profile.compare_image_size, profile.batch_size
    if data.train.image_size != size:
        raise ValueError(
            f"The comparison trains at {size}x{size} (profile.compare_image_size) but the data "
            f"is at {data.train.image_size}x{data.train.image_size}; load it with "
            "load_comparison_data(profile)."
        )
    if verbose:
        print(f"{MODELS[name]}: {count_parameters(model):,} parameters; {note}")
    trainer = Trainer(model, train_config(profile), verbose=verbose)
    train_loader = TimedLoader(make_loader(data.train, batch, shuffle=True, seed=SEED))
    result = trainer.fit(train_loader, make_loader(data.val, batch))
    evaluation = evaluate_native(model, data.test, device=trainer.device)
    scores, (low, high) = evaluation.summary, evaluation.bootstrap("iou")
    infer_speed = inference_throughput(model, batch, size, device=trainer.device)
    row = ComparisonRow(
        model=name,
        name=MODELS[name],
        parameters=count_parameters(model),
        trainable=count_parameters(model, trainable_only=True),
        train_images_per_s=train_loader.images_per_second,
        infer_images_per_s=infer_speed,
        test_iou=float(scores["iou"]),
        test_dice=float(scores["dice"]),
        test_precision=float(scores["precision"]),
        test_recall=float(scores["recall"]),
        test_iou_per_image=float(scores["per_image_iou"]),
        test_iou_low=low,
        test_iou_high=high,
        train_minutes=result.train_seconds / 60,
        epochs_run=result.epochs_run,
        best_epoch=result.best_epoch,
        best_val_iou=float(result.best["val_iou"]),
        last_train_loss=float(result.history[-1]["train_loss"]),
        last_val_loss=float(result.history[-1]["val_loss"]),
        note=note,
    )
    folder.mkdir(parents=True, exist_ok=True)
    model = model.to("cpu", memory_format=torch.contiguous_format).eval()
    torch.save({k: v.contiguous() for k, v in model.state_dict().items()}, folder / "weights.pt")
    (folder / "row.json").write_text(json.dumps({"key": key, "row": asdict(row)}, indent=2))
    return row, model


def run_comparison(
    profile: Profile,
    data: FloodData,
    names: Sequence[str] = tuple(MODELS),
    *,
    refresh: bool = False,
    verbose: bool = True,
) -> tuple[list[ComparisonRow], dict[str, nn.Module]]:
    """Train (or reuse) every model in ``names``; return the rows and the trained models."""
    unknown = [name for name in names if name not in MODELS]
    if unknown:
        raise ValueError(f"Unknown models {unknown}; choose among {list(MODELS)}.")
    rows, models = [], {}
    for name in names:
        row, model = run_one(name, profile, data, refresh=refresh, verbose=verbose)
        rows.append(row)
        models[name] = model
    return rows, models


class AllWater(nn.Module):
    """A "model" that marks every pixel as water: N×3×H×W → N×1×H×W logits of +10.

    Its scores are the floor any trained model must beat: with much water in the test photos,
    predicting water everywhere already gives a sizeable IoU.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full_like(x[:, :1], 10.0)


def all_water_scores(dataset: Any) -> dict[str, float]:
    """Test scores of :class:`AllWater` at the photos' original resolution (micro and per image,
    keys as in :func:`~unet_tutorial.evaluate.evaluate_native`)."""
    return evaluate_native(AllWater(), dataset, device=torch.device("cpu")).summary


def water_share(dataset: Any) -> float:
    """The fraction of water pixels over all masks of a split (at the dataset's S×S)."""
    if len(dataset) == 0:
        raise ValueError("water_share needs a non-empty dataset.")
    water = sum(float(dataset[i][1].sum()) for i in range(len(dataset)))
    pixels = sum(dataset[i][1].numel() for i in range(len(dataset)))
    return water / pixels


@dataclass
class AttentionExamples:
    """Test photos with the Attention U-Net's coefficients, ready for ``plot_attention_maps``.

    Attributes:
        ids: the photos' sample ids.
        water: the fraction of each photo's pixels that are water.
        images: display images, S×S×3 floats in [0, 1].
        masks: true masks, S×S arrays of 0/1.
        attention: per photo, G×S×S coefficients of the chosen gates, upsampled to S×S.
        gate_names: what each gate sees, e.g. ``"1/1"`` (full resolution) or ``"1/8"``.
    """

    ids: list[str]
    water: list[float]
    images: list[Any]
    masks: list[Any]
    attention: list[Any]
    gate_names: list[str]


def attention_examples(
    model: AttentionUNet, dataset: Any, count: int = 3, gates: Sequence[int] = (0, -1)
) -> AttentionExamples:
    """The coefficients of some of ``model``'s gates on ``count`` photos of ``dataset``.

    The photos are spread over the range of water fractions (from the least to the most water),
    so that the figure shows both a little and a lot of flood. ``gates`` index
    :attr:`AttentionUNet.last_attention` (0: the finest, full-resolution gate; -1: the coarsest).
    """
    from unet_tutorial.data import denormalize

    if len(dataset) == 0:
        raise ValueError("attention_examples needs a non-empty dataset.")
    samples = [dataset[i] for i in range(len(dataset))]
    order = sorted(range(len(samples)), key=lambda i: (float(samples[i][1].mean()), i))
    count = min(count, len(order))
    picks = [order[round(k * (len(order) - 1) / max(count - 1, 1))] for k in range(count)]
    picks = list(dict.fromkeys(picks))  # a tiny split may pick one photo twice
    images = torch.stack([samples[i][0] for i in picks])
    maps = model.attention_maps(images.to(next(model.parameters()).device), upsample=True)
    chosen = [maps[g].cpu() for g in gates]
    levels = [g % len(maps) for g in gates]
    return AttentionExamples(
        ids=[str(samples[i][2]) for i in picks],
        water=[float(samples[i][1].mean()) for i in picks],
        images=list(denormalize(images).permute(0, 2, 3, 1).numpy()),
        masks=[samples[i][1][0].numpy() for i in picks],
        attention=[torch.cat([m[n] for m in chosen]).numpy() for n in range(len(picks))],
        gate_names=["1/1" if level == 0 else f"1/{2**level}" for level in levels],
    )


def attention_on_water(model: AttentionUNet, dataset: Any) -> dict[str, tuple[float, float]]:
    """Mean attention coefficient of each gate on water pixels and on the other pixels.

    Returns ``{gate: (mean on water, mean elsewhere)}`` over all photos of ``dataset`` at its
    S×S size, gates named by their resolution (``"1/1"`` the finest). A gate that has learned to
    let water features through has the first number above the second.
    """
    if len(dataset) == 0:
        raise ValueError("attention_on_water needs a non-empty dataset.")
    images = torch.stack([dataset[i][0] for i in range(len(dataset))])
    water = torch.stack([dataset[i][1] for i in range(len(dataset))]) > 0.5
    maps = model.attention_maps(images.to(next(model.parameters()).device), upsample=True)
    result = {}
    for level, alpha in enumerate(maps):
        alpha = alpha.cpu()
        on_water = float(alpha[water].mean()) if water.any() else float("nan")
        elsewhere = float(alpha[~water].mean()) if (~water).any() else float("nan")
        result["1/1" if level == 0 else f"1/{2**level}"] = (on_water, elsewhere)
    return result


def html_table(rows: Sequence[ComparisonRow]) -> str:
    """The rows of :func:`table` as an HTML table (for ``IPython.display.HTML``), the model's
    name as each row's header."""
    records = table(rows)
    if not records:
        raise ValueError("html_table needs at least one row.")
    header = [html.escape(key) for key in records[0]]
    cells = [
        [html.escape(str(value)) if key == "model" else str(value) for key, value in r.items()]
        for r in records
    ]
    return viz_tables.html_table(header, cells)


def table(rows: Sequence[ComparisonRow]) -> list[dict[str, Any]]:
    """The rows as dicts with readable column names and display values (rounded numbers; scores
    as three-decimal text), for a table or a DataFrame."""
    return [
        {
            "model": row.name,
            "parameters (M)": round(row.parameters / 1e6, 2),
            "trainable (M)": round(row.trainable / 1e6, 2),
            "train img/s": round(row.train_images_per_s, 1),
            "infer img/s": round(row.infer_images_per_s, 1),
            "test IoU [95 % interval]": (
                f"{row.test_iou:.3f} [{row.test_iou_low:.2f}, {row.test_iou_high:.2f}]"
            ),
            "test Dice": f"{row.test_dice:.3f}",
            "precision / recall": f"{row.test_precision:.2f} / {row.test_recall:.2f}",
            "IoU per image": f"{row.test_iou_per_image:.3f}",
            "train min": round(row.train_minutes, 1),
            "best epoch": f"{row.best_epoch}/{row.epochs_run}",
        }
        for row in rows
    ]
