"""The flood segmenter of chapters 8-10: build, train, fine-tune, evaluate, save, reload.

A chapter calls :func:`load_or_train` for a stage (``"train"`` or ``"finetune"``). When the run
folder ``data/runs/<profile>-<dataset>-<stage>/`` holds a finished run made with the same
settings and the same split, it is loaded; an interrupted one is resumed from ``last.pt``;
otherwise the stage is trained under the profile's :class:`~unet_tutorial.profiles.TrainingPlan`.
So every chapter runs on its own (Colab opens one chapter) and a book build trains only once.

Each finished stage leaves in its folder: ``best.pt`` and ``last.pt`` (see
:mod:`unet_tutorial.train`), ``metrics.json`` (test scores at the original resolution) and
``training.gif`` (the prediction on one validation image after every epoch).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from unet_tutorial.evaluate import NativeEvaluation, evaluate_native
from unet_tutorial.metrics import SCORE_NAMES
from unet_tutorial.paths import runs_dir
from unet_tutorial.profiles import Profile, TrainingPlan
from unet_tutorial.runtime import default_device, seed_everything
from unet_tutorial.train import (
    PredictionRecorder,
    TrainConfig,
    Trainer,
    load_checkpoint,
)
from unet_tutorial.viz.tables import html_table

STAGES = ("train", "finetune")
MODEL_NAMES = ("vgg19_unet", "attention_unet", "unet_plus_plus", "vnet_style")


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


def model_spec(plan: TrainingPlan) -> dict[str, Any]:
    """How to build the plan's model: ``{"name": ..., "kwargs": {...}}`` (saved in checkpoints)."""
    if plan.model == "vgg19_unet":
        return {"name": "vgg19_unet", "kwargs": {"num_classes": 1, "pretrained": plan.pretrained}}
    if plan.model in MODEL_NAMES:
        return {"name": plan.model, "kwargs": {"num_classes": 1, "base_channels": plan.width}}
    raise ValueError(
        f"Unknown model {plan.model!r} in the training plan; choose one of {MODEL_NAMES}."
    )


def build_model(spec: dict[str, Any], *, pretrained: bool | str | None = None) -> nn.Module:
    """The model a spec describes (``pretrained`` overrides the spec's, e.g. ``False`` before
    loading a checkpoint that holds all weights anyway).

    Raises:
        ValueError: for an unknown model name (an incompatible checkpoint).
    """
    from unet_tutorial.models.attention_unet import AttentionUNet
    from unet_tutorial.models.unet_plus_plus import UNetPlusPlus
    from unet_tutorial.models.vgg19_unet import VGG19UNet
    from unet_tutorial.models.vnet_style import VNetStyleUNet

    name = spec.get("name")
    kwargs = dict(spec.get("kwargs", {}))
    if name == "vgg19_unet":
        if pretrained is not None:
            kwargs["pretrained"] = pretrained
        return VGG19UNet(**kwargs)
    classes: dict[str, type[nn.Module]] = {
        "attention_unet": AttentionUNet,
        "unet_plus_plus": UNetPlusPlus,
        "vnet_style": VNetStyleUNet,
    }
    if name not in classes:
        raise ValueError(
            f"cannot build a model called {name!r}: this package knows {MODEL_NAMES}. "
            "Was the checkpoint written by another program?"
        )
    return classes[name](**kwargs)


def count_trainable(model: nn.Module) -> tuple[int, int]:
    """``(trainable, total)`` parameter counts."""
    total = sum(p.numel() for p in model.parameters())
    return sum(p.numel() for p in model.parameters() if p.requires_grad), total


def prepare_finetuning(model: nn.Module, plan: TrainingPlan) -> nn.Module:
    """Unfreeze the encoder from ``plan.unfreeze_from_block`` on, for models that have a frozen
    encoder (the VGG19 U-Net); from-scratch models are trainable everywhere already."""
    if hasattr(model, "unfreeze_encoder"):
        model.unfreeze_encoder(from_block=plan.unfreeze_from_block)
    return model


# --------------------------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------------------------


def dataset_name(data: Any) -> str:
    """``"synthetic"`` or the real dataset's folder name (e.g. ``flood-area-segmentation``)."""
    if getattr(data, "scan", None) is not None:
        return Path(data.scan.root).name
    return "synthetic"


def run_name(profile: Profile, data: Any, stage: str) -> str:
    """``<profile>-<dataset>-<stage>``, e.g. ``cpu-flood-area-segmentation-train``."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}.")
    return f"{profile.name}-{dataset_name(data)}-{stage}"


def train_config(profile: Profile, stage: str) -> TrainConfig:
    """The :class:`TrainConfig` of a stage under ``profile``."""
    plan = profile.training
    schedule = "constant"
    if stage == "train":
        epochs, lr, patience, min_epochs = plan.epochs, plan.lr, plan.patience, plan.min_epochs
        schedule = plan.schedule
    elif stage == "finetune":
        epochs, lr = plan.finetune_epochs, plan.finetune_lr
        patience, min_epochs = plan.finetune_patience, plan.finetune_min_epochs
    else:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}.")
    return TrainConfig(
        epochs=epochs,
        lr=lr,
        patience=patience,
        min_epochs=min_epochs,
        loss=plan.loss,
        monitor=plan.monitor,
        schedule=schedule,
    )


def _split_digest(data: Any) -> str:
    ids = "|".join(",".join(getattr(data, name).ids) for name in ("train", "val", "test"))
    return hashlib.sha1(ids.encode()).hexdigest()[:16]


def run_meta(profile: Profile, data: Any, stage: str) -> dict[str, Any]:
    """What identifies a run (saved in its checkpoints; a difference means: train again)."""
    return {
        "stage": stage,
        "profile": profile.name,
        "plan": asdict(profile.training),
        "image_size": profile.image_size,
        "batch_size": profile.batch_size,
        "max_samples": profile.max_samples,
        "dataset": dataset_name(data),
        "split": data.sizes(),
        "split_digest": _split_digest(data),
        "model": model_spec(profile.training),
    }


def gif_sample(data: Any) -> int:
    """The validation image the GIF follows: the first whose water covers 25-60 % of it."""
    for index in range(len(data.val)):
        fraction = float(data.val[index][1].mean())
        if 0.25 <= fraction <= 0.6:
            return index
    return 0


@dataclass
class StageRun:
    """A trained stage: the model (best weights), its history and test evaluation.

    Attributes:
        stage: ``"train"`` or ``"finetune"``.
        model: the model with the best weights, in eval mode.
        history: the per-epoch records (see :mod:`unet_tutorial.train`).
        best_epoch, epochs_run, train_seconds: from the training run.
        evaluation: test scores at the original resolution.
        metrics: the content of ``metrics.json``.
        run_dir: the run folder.
        gif: the training GIF.
        recorder: the GIF's raw predictions (``probabilities``, ``epochs``, ``val_iou``).
        gif_index: the validation sample the GIF follows.
        loaded: ``True`` when the run was loaded from disk rather than trained now.
    """

    stage: str
    model: nn.Module
    history: list[dict[str, Any]]
    best_epoch: int
    epochs_run: int
    train_seconds: float
    evaluation: NativeEvaluation
    metrics: dict[str, Any]
    run_dir: Path
    gif: Path
    recorder: PredictionRecorder
    gif_index: int
    loaded: bool

    @property
    def best(self) -> dict[str, Any]:
        return self.history[self.best_epoch - 1]


def _loaders(profile: Profile, data: Any, seed: int) -> tuple[Any, Any]:
    from unet_tutorial.data import make_loader

    train = make_loader(data.train, profile.batch_size, shuffle=True, seed=seed)
    val = make_loader(data.val, profile.batch_size)
    return train, val


def _write_gif(run: Path, data: Any, recorder: PredictionRecorder, index: int) -> Path:
    from unet_tutorial.data import denormalize
    from unet_tutorial.viz.training import save_training_gif, training_gif_frames

    image, mask, _ = data.val[index]
    frames = training_gif_frames(
        denormalize(image).permute(1, 2, 0).numpy(),
        mask[0].numpy(),
        recorder.probabilities.numpy(),
        recorder.epochs,
        recorder.val_iou,
    )
    return save_training_gif(frames, run / "training.gif")


def _metrics_json(
    profile: Profile,
    data: Any,
    stage: str,
    model: nn.Module,
    result: Any,
    evaluation: NativeEvaluation,
    device: torch.device,
) -> dict[str, Any]:
    trainable, total = count_trainable(model)
    spec = model_spec(profile.training)
    return {
        "profile": profile.name,
        "dataset": dataset_name(data),
        "dataset_description": getattr(data, "description", ""),
        "split": data.sizes(),
        "image_size": profile.image_size,
        "model": {
            **spec,
            "parameters": total,
            "trainable_parameters": trainable,
            "weights": getattr(
                model, "weights_note", "random initialisation (trained from scratch)"
            ),
        },
        "stage": stage,
        "epochs_run": result.epochs_run,
        "best_epoch": result.best_epoch,
        "stopped_early": result.stopped_early,
        "train_seconds": round(result.train_seconds, 2),
        "device": device.type,
        "train_config": train_config(profile, stage).to_dict(),
        "validation": {k: result.best[k] for k in ("val_loss", "val_iou", "val_dice")},
        "test": evaluation.scores(),
        "test_per_image_mean": {n: evaluation.summary[f"per_image_{n}"] for n in SCORE_NAMES},
        "test_images": [
            {"id": row["id"], "height": row["height"], "width": row["width"]}
            | {n: round(row[n], 6) for n in SCORE_NAMES}
            | {"counts": counts}
            for row, counts in zip(evaluation.rows(), evaluation.counts, strict=True)
        ],
    }


def _evaluation_from_json(metrics: dict[str, Any]) -> NativeEvaluation:
    rows = metrics["test_images"]
    summary = dict(metrics["test"])
    summary.update({f"per_image_{n}": v for n, v in metrics["test_per_image_mean"].items()})
    summary["images"] = len(rows)
    return NativeEvaluation(
        summary=summary,
        ids=[row["id"] for row in rows],
        per_image={n: [row[n] for row in rows] for n in SCORE_NAMES},
        sizes=[(row["height"], row["width"]) for row in rows],
        counts=[row["counts"] for row in rows],
    )


def _new_model(profile: Profile, data: Any, stage: str, seed: int) -> nn.Module:
    seed_everything(seed)
    spec = model_spec(profile.training)
    if stage == "train":
        return build_model(spec)
    base = load_or_train(profile, "train", data, seed=seed, verbose=False)
    return prepare_finetuning(base.model, profile.training)


def train_stage(
    profile: Profile,
    data: Any,
    stage: str = "train",
    *,
    resume: bool = False,
    seed: int = 42,
    device: str | torch.device | None = None,
    verbose: bool = True,
) -> StageRun:
    """Train one stage under ``profile`` on ``data`` (from ``load_flood_data``), evaluate it on
    the test split at the original resolution, and write the run folder.

    The ``"finetune"`` stage starts from the best weights of the ``"train"`` stage (loaded, or
    trained first) with the encoder unfrozen from ``unfreeze_from_block`` on.
    """
    device = torch.device(device) if device is not None else default_device()
    run = runs_dir() / run_name(profile, data, stage)
    model = _new_model(profile, data, stage, seed)
    gif_index = gif_sample(data)
    recorder = PredictionRecorder(data.val[gif_index][0])
    trainer = Trainer(
        model,
        train_config(profile, stage),
        run_dir=run,
        device=device,
        callbacks=[recorder],
        meta=run_meta(profile, data, stage),
        verbose=verbose,
    )
    train_loader, val_loader = _loaders(profile, data, seed)
    result = trainer.fit(train_loader, val_loader, resume=resume)
    evaluation = evaluate_native(trainer.model, data.test, device=device)
    metrics = _metrics_json(profile, data, stage, trainer.model, result, evaluation, device)
    (run / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    gif = _write_gif(run, data, recorder, gif_index)
    trainer.model.eval()
    return StageRun(
        stage,
        trainer.model,
        result.history,
        result.best_epoch,
        result.epochs_run,
        result.train_seconds,
        evaluation,
        metrics,
        run,
        gif,
        recorder,
        gif_index,
        loaded=False,
    )


def _finished(checkpoint: dict[str, Any]) -> bool:
    return (
        bool(checkpoint["stopped_early"]) or checkpoint["epoch"] >= checkpoint["config"]["epochs"]
    )


def load_stage(profile: Profile, data: Any, stage: str = "train") -> StageRun | None:
    """The finished run of ``stage`` from disk, or ``None`` when there is none, it was made
    with other settings or another split, or it was interrupted."""
    run = runs_dir() / run_name(profile, data, stage)
    paths = [run / name for name in ("best.pt", "last.pt", "metrics.json")]
    if not all(path.is_file() for path in paths):
        return None
    last = load_checkpoint(run / "last.pt")
    expected_config = train_config(profile, stage).to_dict()
    if last["meta"] != run_meta(profile, data, stage) or last["config"] != expected_config:
        return None
    if not _finished(last):
        return None
    model = build_model(last["meta"]["model"], pretrained=False)
    if stage == "finetune":
        prepare_finetuning(model, profile.training)
    model.load_state_dict(load_checkpoint(run / "best.pt")["model"])
    model.eval()
    gif_index = gif_sample(data)
    recorder = PredictionRecorder(data.val[gif_index][0])
    state = last["callbacks"].get("0")
    if state is not None:
        recorder.load_state_dict(state)
    metrics = json.loads((run / "metrics.json").read_text())
    gif = run / "training.gif"
    if not gif.is_file() and recorder.epochs:
        gif = _write_gif(run, data, recorder, gif_index)
    history = list(last["history"])
    return StageRun(
        stage,
        model,
        history,
        int(last["best_epoch"]),
        len(history),
        float(sum(r["seconds"] for r in history)),
        _evaluation_from_json(metrics),
        metrics,
        run,
        gif,
        recorder,
        gif_index,
        loaded=True,
    )


def print_history(history: list[dict[str, Any]], best_epoch: int) -> None:
    """Replay the per-epoch lines of a loaded run."""
    width = len(str(len(history)))
    for r in history:
        print(
            f"epoch {r['epoch']:>{width}} | train loss {r['train_loss']:.4f}"
            f" | val loss {r['val_loss']:.4f} | val IoU {r['val_iou']:.3f}"
            f" | val Dice {r['val_dice']:.3f} | {r['seconds']:.1f} s"
            + (" | restored (best)" if r["epoch"] == best_epoch else "")
        )


def load_or_train(
    profile: Profile,
    stage: str = "train",
    data: Any = None,
    *,
    seed: int = 42,
    retrain: bool = False,
    device: str | torch.device | None = None,
    verbose: bool = True,
    replay: bool = True,
) -> StageRun:
    """The run of ``stage`` under ``profile``: loaded from ``data/runs/`` when a finished one with
    the same settings is there, resumed when an interrupted one is, trained otherwise.

    Args:
        profile: the active profile (its ``training`` plan, image size, batch size).
        stage: ``"train"`` or ``"finetune"``.
        data: the output of :func:`unet_tutorial.data.load_flood_data` (loaded when ``None``).
        retrain: ignore a saved run and train again from scratch.
        verbose: print progress (one line per epoch when training).
        replay: for a loaded run, also print its epochs' lines again.
    """
    if data is None:
        from unet_tutorial.data import load_flood_data

        data = load_flood_data(profile, seed=seed)
    if not retrain:
        loaded = load_stage(profile, data, stage)
        if loaded is not None:
            if verbose:
                print(
                    f"loaded the finished run {loaded.run_dir.name} from {loaded.run_dir.parent} "
                    f"({loaded.epochs_run} epochs, {loaded.train_seconds:.0f} s of training)"
                    + ("; its epochs were:" if replay else "")
                )
            if verbose and replay:
                print_history(loaded.history, loaded.best_epoch)
            return loaded
    run = runs_dir() / run_name(profile, data, stage)
    resume = not retrain and (run / "last.pt").is_file() and _resumable(run, profile, data, stage)
    return train_stage(
        profile, data, stage, resume=resume, seed=seed, device=device, verbose=verbose
    )


def _resumable(run: Path, profile: Profile, data: Any, stage: str) -> bool:
    try:
        last = load_checkpoint(run / "last.pt")
    except (FileNotFoundError, ValueError):
        return False
    return (
        last["meta"] == run_meta(profile, data, stage)
        and last["config"] == train_config(profile, stage).to_dict()
    )


# --------------------------------------------------------------------------------------------
# What the chapters show besides the runs
# --------------------------------------------------------------------------------------------


def select_final(first: StageRun, second: StageRun, monitor: str) -> StageRun:
    """The stage whose best epoch scored better on the **validation** split (never the test).

    Ties go to the first stage: a second stage has to earn its place.
    """
    key = "val_loss" if monitor == "val_loss" else "val_iou"
    sign = 1 if key == "val_loss" else -1
    return second if sign * second.best[key] < sign * first.best[key] else first


def training_throughput(
    spec: dict[str, Any],
    image_size: int,
    *,
    batch_size: int = 1,
    steps: int = 1,
    device: str | torch.device | None = None,
) -> float:
    """Training images per second of a model (one forward + backward + Adam step per batch),
    measured after one warm-up step on random data."""
    device = torch.device(device) if device is not None else default_device()
    torch.manual_seed(0)
    model = build_model(spec, pretrained=False)
    trainer = Trainer(model, TrainConfig(epochs=1), device=device, verbose=False)
    images = torch.randn(batch_size, 3, image_size, image_size)
    masks = (torch.rand(batch_size, 1, image_size, image_size) > 0.5).float()
    trainer.train_one_epoch([(images, masks)])  # warm-up: allocations, kernel choice
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    trainer.train_one_epoch([(images, masks)] * steps)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return batch_size * steps / (time.perf_counter() - start)


def validation_bce(model: nn.Module, dataset: Any, batch_size: int = 16) -> float:
    """Mean ``BCEWithLogitsLoss`` of ``model`` on a split at the training size (what the original
    tutorial reported as its validation loss)."""
    from unet_tutorial.data import make_loader

    trainer = Trainer(model, TrainConfig(epochs=1, loss="bce"), verbose=False)
    return trainer.evaluate(make_loader(dataset, batch_size))["loss"]


def scores_table(evaluations: dict[str, NativeEvaluation]) -> str:
    """An HTML table of the test scores, one row per evaluation: micro scores, with the mean
    over images in brackets."""
    names = {"iou": "IoU", "dice": "Dice", "precision": "precision", "recall": "recall"}
    names["pixel_accuracy"] = "pixel accuracy"
    rows = [
        [label, str(len(evaluation.ids))]
        + [
            f"{evaluation.summary[n]:.3f} ({evaluation.summary['per_image_' + n]:.3f})"
            for n in SCORE_NAMES
        ]
        for label, evaluation in evaluations.items()
    ]
    return html_table(["", "test photos", *names.values()], rows)


def describe_plan(profile: Profile) -> dict[str, str]:
    """The training settings of a profile, in words (for a side-by-side table)."""
    plan = profile.training
    model = plan.model if plan.model == "vgg19_unet" else f"{plan.model} (width {plan.width})"
    frozen = "frozen (ImageNet weights)" if plan.model == "vgg19_unet" else "none (from scratch)"
    return {
        "model": model,
        "encoder": frozen,
        "image size": f"{profile.image_size}×{profile.image_size}",
        "batch size": str(profile.batch_size),
        "loss": plan.loss,
        "learning rate": f"{plan.lr:.0e}"
        + (", cosine decay" if plan.schedule == "cosine" else ", constant"),
        "max epochs": str(plan.epochs),
        "early stopping": f"{plan.monitor}, patience {plan.patience}, from epoch {plan.min_epochs}",
        "fine-tuning": (
            (
                f"block {plan.unfreeze_from_block} unfrozen, "
                if plan.unfreeze_from_block == 5
                else f"blocks {plan.unfreeze_from_block}-5 unfrozen, "
            )
            if plan.model == "vgg19_unet"
            else ""
        )
        + f"lr {plan.finetune_lr:.0e}, patience {plan.finetune_patience}, "
        f"max {plan.finetune_epochs} epochs",
    }


def print_plans(*profiles: Profile) -> None:
    """Print the training settings of several profiles side by side."""
    plans = [describe_plan(p) for p in profiles]
    widths = [
        max(len(p.name), *(len(v) for v in plan.values()))
        for p, plan in zip(profiles, plans, strict=True)
    ]
    print(" " * 16 + "  ".join(f"{p.name:<{w}}" for p, w in zip(profiles, widths, strict=True)))
    for key in plans[0]:
        cells = "  ".join(f"{plan[key]:<{w}}" for plan, w in zip(plans, widths, strict=True))
        print(f"{key:>14}  {cells}")
