"""The flood segmenter of chapters 8-10: the book's recipe for a profile, trained as runs.

A chapter calls :func:`load_or_train` for a stage (``"train"`` or ``"finetune"``). The stage is
a run of :func:`unet_tutorial.runs.train_run` in ``data/runs/<profile>-<dataset>-<stage>``,
specified by :func:`stage_spec` (the profile's recipe,
:func:`unet_tutorial.runs.spec_from_profile`): a finished run with the same spec is loaded, an
interrupted one resumes from ``last.pt``, and a run whose recipe changed is replaced (the
book's runs are its cache; the command line never replaces a run without ``--overwrite``).
So every chapter runs on its own (Colab opens one chapter) and a book build trains each stage
once.

Each finished stage leaves in its folder: ``run.json`` (the spec), ``best.pt`` and ``last.pt``
(:mod:`unet_tutorial.training.checkpoint`), ``metrics.json`` (the pipeline's schema) and
``training.gif`` (the prediction on one validation image after every epoch).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from unet_tutorial.analysis.cost import training_operations
from unet_tutorial.data.identity import dataset_name
from unet_tutorial.evaluation import Evaluation
from unet_tutorial.models import model_info
from unet_tutorial.models.registry import ModelSpec
from unet_tutorial.paths import runs_dir, shown_path
from unet_tutorial.profiles import Profile, TrainingPlan
from unet_tutorial.runs import RunResult, RunSpec, build_model, open_run, train_run
from unet_tutorial.runs.spec import STAGES, check_stage, spec_from_profile
from unet_tutorial.training.callbacks import PredictionRecorder
from unet_tutorial.training.progress import print_history
from unet_tutorial.training.trainer import TrainConfig

__all__ = [
    "STAGES",
    "StageRun",
    "flood_model_spec",
    "load_or_train",
    "new_network",
    "prepare_finetuning",
    "run_name",
    "select_final",
    "stage_operations",
    "stage_spec",
    "train_config",
    "train_stage",
]


def stage_spec(profile: Profile, data: Any, stage: str = "train", seed: int = 42) -> RunSpec:
    """The run of ``stage`` under ``profile``: the profile's recipe, its purpose
    ``{"experiment": "flood", "profile": ..., "stage": ...}``.

    The fine-tuning stage's purpose also holds the key of the stage it starts from, so changing
    the first stage retrains both, while changing only the fine-tuning settings keeps the first.
    """
    purpose: dict[str, Any] = {"experiment": "flood", "profile": profile.name, "stage": stage}
    if stage == "finetune":
        purpose["starts_from"] = stage_spec(profile, data, "train", seed).key(data)
        if model_info(profile.training.model).pretrained_encoder:
            purpose["unfreeze_from_block"] = profile.training.unfreeze_from_block
    return spec_from_profile(profile, stage, seed=seed, purpose=purpose)


def new_network(profile: Profile, seed: int = 42) -> nn.Module:
    """The profile's network for the first stage with fresh, seeded weights, built as
    :func:`train_stage` builds it (:func:`unet_tutorial.runs.build_model`)."""
    return build_model(stage_spec(profile, None, "train", seed))[0]


def flood_model_spec(plan: TrainingPlan) -> ModelSpec:
    """How to build the plan's network (see :func:`unet_tutorial.models.model_spec_for`)."""
    from unet_tutorial.models import model_spec_for

    return model_spec_for(plan.model, num_classes=1, width=plan.width, pretrained=plan.pretrained)


def train_config(profile: Profile, stage: str, seed: int = 42) -> TrainConfig:
    """The :class:`TrainConfig` of a stage under ``profile``."""
    check_stage(stage)
    return spec_from_profile(profile, stage, seed=seed).config


def prepare_finetuning(model: nn.Module, plan: TrainingPlan) -> nn.Module:
    """Unfreeze the encoder from ``plan.unfreeze_from_block`` on, for networks with a
    pretrained encoder (the VGG19 U-Net); from-scratch networks are trainable everywhere."""
    if model_info(plan.model).pretrained_encoder:
        model.unfreeze_encoder(from_block=plan.unfreeze_from_block)
    return model


def run_name(profile: Profile, data: Any, stage: str) -> str:
    """``<profile>-<dataset>-<stage>``, e.g. ``cpu-flood-area-segmentation-train``."""
    check_stage(stage)
    return f"{profile.name}-{dataset_name(data)}-{stage}"


def stage_folder(profile: Profile, data: Any, stage: str) -> Path:
    """The stage's run folder, ``data/runs/<profile>-<dataset>-<stage>/``."""
    return runs_dir() / run_name(profile, data, stage)


def stage_status(profile: Profile, data: Any, stage: str, seed: int = 42) -> str:
    """The run store's status of the stage's folder (``new``, ``changed``, ``interrupted`` or
    ``finished``)."""
    spec = stage_spec(profile, data, stage, seed)
    return open_run(stage_folder(profile, data, stage), spec.key(data)).status()


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


def gif_sample(data: Any) -> int:
    """The validation image the GIF follows: the first whose water covers 25-60 % of it."""
    for index in range(len(data.val)):
        fraction = float(data.val[index][1].mean())
        if 0.25 <= fraction <= 0.6:
            return index
    return 0


@dataclass
class StageRun:
    """A trained stage: the run's result and the GIF of its training.

    Attributes:
        stage: ``"train"`` or ``"finetune"``.
        result: the run (:class:`~unet_tutorial.runs.RunResult`): model, history, metrics,
            test evaluation, folder.
        gif: the training GIF.
        recorder: the GIF's raw predictions (``probabilities``, ``epochs``, ``val_iou``).
        gif_index: the validation sample the GIF follows.
    """

    stage: str
    result: RunResult
    gif: Path
    recorder: PredictionRecorder
    gif_index: int

    @property
    def model(self) -> nn.Module:
        """The network with the best epoch's weights, in eval mode."""
        return self.result.model

    @property
    def history(self) -> list[dict[str, Any]]:
        return self.result.history

    @property
    def best_epoch(self) -> int:
        return self.result.best_epoch

    @property
    def best(self) -> dict[str, Any]:
        return self.result.best

    @property
    def epochs_run(self) -> int:
        return self.result.epochs_run

    @property
    def max_epochs(self) -> int:
        return self.result.max_epochs

    @property
    def train_seconds(self) -> float:
        return self.result.train_seconds

    @property
    def evaluation(self) -> Evaluation:
        return self.result.evaluation

    @property
    def metrics(self) -> dict[str, Any]:
        return self.result.metrics

    @property
    def run_dir(self) -> Path:
        return self.result.folder

    @property
    def loaded(self) -> bool:
        return self.result.loaded


def _write_gif(folder: Path, data: Any, recorder: PredictionRecorder, index: int) -> Path:
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
    return save_training_gif(frames, folder / "training.gif")


def train_stage(
    profile: Profile,
    data: Any,
    stage: str = "train",
    *,
    overwrite: bool = False,
    replace_changed: bool = True,
    seed: int = 42,
    device: str | torch.device | None = None,
    verbose: bool = True,
) -> StageRun:
    """Train one stage under ``profile`` on ``data`` (from ``load_flood_data``) through
    :func:`~unet_tutorial.runs.train_run`, or resume or reuse it, and write its GIF.

    The ``"finetune"`` stage starts from the best weights of the ``"train"`` stage (loaded, or
    trained first) with the encoder unfrozen from ``unfreeze_from_block`` on.

    Args:
        overwrite: train afresh even over a finished run of the same recipe.
        replace_changed: replace a stored run whose recipe differs (the book's cache); the
            command line passes ``False``, so that such a run is refused instead.
    """
    spec = stage_spec(profile, data, stage, seed)
    folder = stage_folder(profile, data, stage)
    gif_index = gif_sample(data)
    recorder = PredictionRecorder(data.val[gif_index][0])

    def from_first_stage() -> nn.Module:
        base = train_stage(
            profile, data, "train", replace_changed=replace_changed, seed=seed, verbose=False
        )
        model = build_model(spec)[0]
        model.load_state_dict(base.model.state_dict())
        return prepare_finetuning(model, profile.training)

    result = train_run(
        spec,
        data,
        folder,
        start_from=from_first_stage if stage == "finetune" else None,
        callbacks=[recorder],
        overwrite=overwrite,
        replace_changed=replace_changed,
        device=device,
        verbose=verbose,
    )
    if stage == "finetune" and result.loaded:
        prepare_finetuning(result.model, profile.training)
    gif = folder / "training.gif"
    if not gif.is_file() or not result.loaded:
        gif = _write_gif(folder, data, recorder, gif_index)
    return StageRun(stage, result, gif, recorder, gif_index)


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
    stored = not retrain and stage_status(profile, data, stage, seed) == "finished"
    run = train_stage(
        profile, data, stage, overwrite=retrain, seed=seed, device=device,
        verbose=verbose and not stored,
    )  # fmt: skip
    if verbose and run.loaded:
        print(
            f"loaded the finished run {shown_path(run.run_dir)} "
            f"({run.epochs_run} epochs, {run.train_seconds:.0f} s of training)"
            + ("; its epoch lines:" if replay else "")
        )
        if replay:
            print_history(run.history, run.best_epoch, run.max_epochs)
    return run


def select_final(first: StageRun, second: StageRun, monitor: str) -> StageRun:
    """The stage whose best epoch scored better on the **validation** split (never the test).

    Ties go to the first stage: a second stage has to earn its place.
    """
    key = "val_loss" if monitor == "val_loss" else "val_iou"
    sign = 1 if key == "val_loss" else -1
    return second if sign * second.best[key] < sign * first.best[key] else first
