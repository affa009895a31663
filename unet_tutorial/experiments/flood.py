"""The flood segmenter of chapters 8-10: build, train, fine-tune, evaluate, save, reload.

A chapter calls :func:`load_or_train` for a stage (``"train"`` or ``"finetune"``). The stage's
run lives in the run store (:mod:`.runs`) under ``<profile>-<dataset>-<stage>``: a finished run
with the same spec (model, training settings, sizes, data and split) is loaded, an interrupted
one resumes from ``last.pt``, anything else is trained under the profile's
:class:`~unet_tutorial.profiles.TrainingPlan`. So every chapter runs on its own (Colab opens one
chapter) and a book build trains each stage once.

Each finished stage leaves in its folder: ``run.json`` (the spec), ``best.pt`` and ``last.pt``
(:mod:`unet_tutorial.training.checkpoint`), ``metrics.json`` (test scores at the photos' own
resolution) and ``training.gif`` (the prediction on one validation image after every epoch).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from unet_tutorial.analysis.cost import training_operations
from unet_tutorial.evaluation import NativeEvaluation, evaluate_native
from unet_tutorial.experiments.runs import Run, open_run
from unet_tutorial.metrics import SCORE_NAMES
from unet_tutorial.models import count_parameters, model_from_spec, model_spec
from unet_tutorial.paths import shown_path
from unet_tutorial.profiles import Profile, TrainingPlan
from unet_tutorial.report.text import print_history
from unet_tutorial.runtime import default_device, seed_everything
from unet_tutorial.training.callbacks import PredictionRecorder
from unet_tutorial.training.checkpoint import load_checkpoint
from unet_tutorial.training.trainer import FitResult, TrainConfig, Trainer

STAGES = ("train", "finetune")


def flood_model_spec(plan: TrainingPlan) -> dict[str, Any]:
    """How to build the plan's network (see :func:`unet_tutorial.models.model_spec`)."""
    if plan.model == "vgg19_unet":
        return model_spec("vgg19_unet", num_classes=1, pretrained=plan.pretrained)
    return model_spec(plan.model, num_classes=1, base_channels=plan.width)


def build_flood_model(plan: TrainingPlan) -> nn.Module:
    """The plan's network for the first stage. A VGG19 U-Net keeps its encoder frozen when the
    ImageNet weights loaded; without them (offline) the whole network trains from scratch."""
    model = model_from_spec(flood_model_spec(plan))
    if hasattr(model, "train_all_unless_pretrained"):
        model.train_all_unless_pretrained()
    return model


def prepare_finetuning(model: nn.Module, plan: TrainingPlan) -> nn.Module:
    """Unfreeze the encoder from ``plan.unfreeze_from_block`` on, for models that have a frozen
    encoder (the VGG19 U-Net); from-scratch models are trainable everywhere already."""
    if hasattr(model, "unfreeze_encoder"):
        model.unfreeze_encoder(from_block=plan.unfreeze_from_block)
    return model


def dataset_name(data: Any) -> str:
    """``"synthetic"`` or the real dataset's folder name (e.g. ``flood-area-segmentation``)."""
    if getattr(data, "scan", None) is not None:
        return Path(data.scan.root).name
    return "synthetic"


def run_name(profile: Profile, data: Any, stage: str) -> str:
    """``<profile>-<dataset>-<stage>``, e.g. ``cpu-flood-area-segmentation-train``."""
    _check_stage(stage)
    return f"{profile.name}-{dataset_name(data)}-{stage}"


def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}.")


def train_config(profile: Profile, stage: str, seed: int = 42) -> TrainConfig:
    """The :class:`TrainConfig` of a stage under ``profile``."""
    _check_stage(stage)
    plan = profile.training
    if stage == "train":
        epochs, lr, patience, min_epochs = plan.epochs, plan.lr, plan.patience, plan.min_epochs
        schedule = plan.schedule
    else:
        epochs, lr = plan.finetune_epochs, plan.finetune_lr
        patience, min_epochs = plan.finetune_patience, plan.finetune_min_epochs
        schedule = "constant"
    return TrainConfig(
        epochs=epochs,
        lr=lr,
        patience=patience,
        min_epochs=min_epochs,
        loss=plan.loss,
        monitor=plan.monitor,
        schedule=schedule,
        seed=seed,
    )


def stage_operations(profile: Profile, data: Any, stage: str) -> int:
    """Floating-point operations of a stage's longest training (all its epochs, no early stop),
    at most: :func:`~unet_tutorial.analysis.cost.training_operations`."""
    plan = profile.training
    return training_operations(
        plan.model,
        plan.width,
        profile.image_size,
        train_images=len(data.train),
        val_images=len(data.val),
        epochs=train_config(profile, stage).epochs,
    )


def data_identity(data: Any) -> dict[str, Any]:
    """What identifies the data of a run: the dataset, its source and the exact split."""
    ids = "|".join(",".join(getattr(data, name).ids) for name in ("train", "val", "test"))
    return {
        "dataset": dataset_name(data),
        "source": data.source,
        "split": data.sizes(),
        "split_digest": hashlib.sha1(ids.encode()).hexdigest()[:16],
    }


def stage_spec(profile: Profile, data: Any, stage: str, seed: int = 42) -> dict[str, Any]:
    """Everything that determines a stage's result (its key in the run store, and the ``meta``
    of its checkpoints: ``predict`` rebuilds the model and its input size from it).

    The fine-tuning stage also names the spec of the stage it starts from, so changing the
    first stage retrains both, while changing only the fine-tuning settings keeps the first.
    """
    spec: dict[str, Any] = {
        "experiment": "flood",
        "stage": stage,
        "model": flood_model_spec(profile.training),
        "image_size": profile.image_size,
        "batch_size": profile.batch_size,
        "max_samples": profile.max_samples,
        "config": train_config(profile, stage, seed).to_dict(),
        "data": data_identity(data),
    }
    if stage == "finetune":
        spec["starts_from"] = stage_spec(profile, data, "train", seed)
        if profile.training.model == "vgg19_unet":
            spec["unfreeze_from_block"] = profile.training.unfreeze_from_block
    return spec


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
        history: the per-epoch records (see :mod:`unet_tutorial.training.trainer`).
        best_epoch, epochs_run, train_seconds: from the training run.
        max_epochs: the stage's epoch cap.
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
    max_epochs: int
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


def _write_gif(run: Run, data: Any, recorder: PredictionRecorder, index: int) -> Path:
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
    return save_training_gif(frames, run.path("training.gif"))


def _metrics_json(
    profile: Profile,
    data: Any,
    stage: str,
    model: nn.Module,
    result: FitResult,
    evaluation: NativeEvaluation,
    config: TrainConfig,
    device: torch.device,
) -> dict[str, Any]:
    return {
        "profile": profile.name,
        "dataset": dataset_name(data),
        "dataset_description": getattr(data, "description", ""),
        "split": data.sizes(),
        "image_size": profile.image_size,
        "model": {
            **flood_model_spec(profile.training),
            "parameters": count_parameters(model),
            "trainable_parameters": count_parameters(model, trainable_only=True),
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
        "train_config": config.to_dict(),
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
    if stage == "train":
        return build_flood_model(profile.training)
    base = load_or_train(profile, "train", data, seed=seed, verbose=False)
    return prepare_finetuning(base.model, profile.training)


def _stage_run(profile: Profile, data: Any, stage: str, seed: int) -> Run:
    return open_run(run_name(profile, data, stage), stage_spec(profile, data, stage, seed))


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

    Args:
        resume: continue an interrupted run of the same spec from its ``last.pt``.
    """
    device = torch.device(device) if device is not None else default_device()
    run = _stage_run(profile, data, stage, seed)
    model = _new_model(profile, data, stage, seed)
    resume = resume and run.status() == "interrupted" and run.path("last.pt").is_file()
    run.start(keep=resume)
    gif_index = gif_sample(data)
    recorder = PredictionRecorder(data.val[gif_index][0])
    config = train_config(profile, stage, seed)
    trainer = Trainer(
        model,
        config,
        run_dir=run.folder,
        device=device,
        callbacks=[recorder],
        meta=run.spec,
        verbose=verbose,
    )
    from unet_tutorial.data import make_loader

    train_loader = make_loader(data.train, profile.batch_size, shuffle=True, seed=seed)
    val_loader = make_loader(data.val, profile.batch_size)
    result = trainer.fit(train_loader, val_loader, resume=resume)
    evaluation = evaluate_native(trainer.model, data.test, device=device)
    metrics = _metrics_json(profile, data, stage, trainer.model, result, evaluation, config, device)
    run.path("metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    gif = _write_gif(run, data, recorder, gif_index)
    run.finish({"best_epoch": result.best_epoch, "epochs_run": result.epochs_run})
    trainer.model.eval()
    return StageRun(
        stage,
        trainer.model,
        result.history,
        result.best_epoch,
        result.epochs_run,
        result.train_seconds,
        config.epochs,
        evaluation,
        metrics,
        run.folder,
        gif,
        recorder,
        gif_index,
        loaded=False,
    )


def load_stage(
    profile: Profile, data: Any, stage: str = "train", seed: int = 42
) -> StageRun | None:
    """The finished run of ``stage`` from the run store, or ``None`` when there is none with
    this spec (other settings, another split, or an interrupted run)."""
    run = _stage_run(profile, data, stage, seed)
    files = [run.path(name) for name in ("best.pt", "last.pt", "metrics.json")]
    if run.status() != "finished" or not all(path.is_file() for path in files):
        return None
    last = load_checkpoint(run.path("last.pt"))
    model = model_from_spec(last["meta"]["model"], pretrained=False)
    if stage == "finetune":
        prepare_finetuning(model, profile.training)
    model.load_state_dict(load_checkpoint(run.path("best.pt"))["model"])
    model.eval()
    gif_index = gif_sample(data)
    recorder = PredictionRecorder(data.val[gif_index][0])
    state = last["callbacks"].get(recorder.name)
    if state is not None:
        recorder.load_state_dict(state)
    metrics = json.loads(run.path("metrics.json").read_text())
    gif = run.path("training.gif")
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
        int(last["config"]["epochs"]),
        _evaluation_from_json(metrics),
        metrics,
        run.folder,
        gif,
        recorder,
        gif_index,
        loaded=True,
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
    """The run of ``stage`` under ``profile``: loaded from the run store when a finished one
    with the same spec is there, resumed when an interrupted one is, trained otherwise.

    Args:
        profile: the active profile (its ``training`` plan, image size, batch size).
        stage: ``"train"`` or ``"finetune"``.
        data: the output of :func:`unet_tutorial.data.load_flood_data` (loaded when ``None``).
        retrain: ignore a saved run and train again from scratch.
        verbose: print progress (one line per epoch when training).
        replay: for a loaded run, also print the lines its training printed.
    """
    if data is None:
        from unet_tutorial.data import load_flood_data

        data = load_flood_data(profile, seed=seed)
    if not retrain:
        loaded = load_stage(profile, data, stage, seed)
        if loaded is not None:
            if verbose:
                print(
                    f"loaded the finished run {shown_path(loaded.run_dir)} "
                    f"({loaded.epochs_run} epochs, {loaded.train_seconds:.0f} s of training)"
                    + ("; its epoch lines:" if replay else "")
                )
            if verbose and replay:
                print_history(loaded.history, loaded.best_epoch, loaded.max_epochs)
            return loaded
    return train_stage(
        profile, data, stage, resume=not retrain, seed=seed, device=device, verbose=verbose
    )


def select_final(first: StageRun, second: StageRun, monitor: str) -> StageRun:
    """The stage whose best epoch scored better on the **validation** split (never the test).

    Ties go to the first stage: a second stage has to earn its place.
    """
    key = "val_loss" if monitor == "val_loss" else "val_iou"
    sign = 1 if key == "val_loss" else -1
    return second if sign * second.best[key] < sign * first.best[key] else first
