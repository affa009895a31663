"""The short lines chapters 8-10 print about the flood segmenter, so that their prose can point
at printed numbers instead of stating them.

Each function prints a few readable lines (or returns them) for one thing the chapters show:
the measured choice of the ``cpu`` profile's network, a finished training stage, two stages
side by side, and the test scores of the kept model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from unet_tutorial.models import model_info
from unet_tutorial.profiles import PROFILES


def without_paths(text: str) -> str:
    """``text`` with absolute file paths (of the machine that wrote it) replaced by their file
    names: printed output shows no folder of the build machine."""
    return re.sub(r"(?<![\w.])/(?:[\w.-]+/)+([\w.-]+)", r"\1", text)


def choice_lines(choice: Mapping[str, Any]) -> list[str]:
    """What the model-choice measurement chose, how the VGG19 U-Net fared in it, and what the
    ``cpu`` profile took from it (see :mod:`unet_tutorial.experiments.model_choice`)."""
    from unet_tutorial.experiments.model_choice import best_row

    rows = choice["rows"]
    chosen = best_row(rows)
    per_epoch = chosen["train_seconds"] / chosen["epochs"]
    lines = [
        f"chosen: {chosen['label']}: {chosen['epochs']} epochs in the budget "
        f"({per_epoch:.1f} s each), best validation IoU {chosen['val_iou']:.3f}",
    ]
    vgg = next((row for row in rows if model_info(row["model"]).pretrained_encoder), None)
    if vgg is not None:
        lines.append(
            f"VGG19 U-Net: {vgg['epochs']} epochs in the budget, best validation IoU "
            f"{vgg['val_iou']:.3f}; encoder weights: {without_paths(vgg['weights'])}"
        )
    cpu = PROFILES["cpu"].training
    built = book_epoch_seconds()
    pace = (
        f"{built:.1f} s each in a book build, which also validates and draws a frame"
        if built is not None
        else "at the pace above"
    )
    lines.append(
        f"the 'cpu' profile trains it for at most {cpu.epochs} epochs "
        f"({pace}: about {cpu.epochs * (built or per_epoch) / 60:.0f} min), then fine-tunes it "
        f"for at most {cpu.finetune_epochs} epochs"
    )
    return lines


def book_epoch_seconds() -> float | None:
    """Seconds per epoch of the ``cpu`` profile's flood training in the book build whose times
    the package ships (:mod:`unet_tutorial.experiments.timing`), or ``None`` without one."""
    from unet_tutorial.experiments.timing import matching_times

    times = matching_times(
        "flood",
        PROFILES["cpu"],
        torch.device("cpu"),
        stage="train",
        model=PROFILES["cpu"].training.model,
    )
    return float(times[0]["seconds_per_unit"]) if times else None


def print_choice(choice: Mapping[str, Any]) -> None:
    """Print :func:`choice_lines`."""
    print("\n".join(choice_lines(choice)))


def variant_words(settings: Mapping[str, Any]) -> str:
    """A recipe variant's settings in words, e.g. ``"constant rate, Adam, weight average 0.99"``."""
    rate = "cosine decay" if settings["schedule"] == "cosine" else "constant rate"
    optimiser = (
        f"AdamW (decay {settings['weight_decay']:g})" if settings["weight_decay"] else "Adam"
    )
    average = f"weight average {settings['ema']:g}" if settings["ema"] else "no weight average"
    return f"{rate}, {optimiser}, {average}"


def recipe_lines(result: Mapping[str, Any]) -> list[str]:
    """What the recipe measurement chose and by how much, against the recipe before it and the
    spread between seeds (see :mod:`unet_tutorial.experiments.recipe_choice`)."""
    summary, chosen = result["summary"], result["chosen"]
    best = summary[chosen]
    lines = [
        f"chosen: {chosen} ({variant_words(result['variants'][chosen])})",
        "  the best mean validation IoU; within the seeds' spread of it, the lowest jitter",
    ]
    if "before" in summary and chosen != "before":
        before = summary["before"]
        for key, label in (("val_iou", "validation IoU"), ("test_iou", "test IoU")):
            gain = best[key]["mean"] - before[key]["mean"]
            spread = max(
                before[key]["max"] - before[key]["min"], best[key]["max"] - best[key]["min"]
            )
            lines.append(
                f"  {label}: {best[key]['mean']:.3f} against {before[key]['mean']:.3f} before "
                f"({gain:+.3f}; one variant's seeds lie up to {spread:.3f} apart)"
            )
        lines.append(
            f"  validation IoU jitter: {best['val_jitter']['mean']:.3f} against "
            f"{before['val_jitter']['mean']:.3f} before"
        )
    lines.append(
        "flip test-time augmentation on the chosen variant (means over its seeds, each photo "
        "scored at its own size):"
    )
    for key, label in (("val_native_iou", "validation IoU"), ("test_iou", "test IoU")):
        plain, flipped = best[key]["mean"], best[f"{key}_flip"]["mean"]
        lines.append(f"  {label}: {flipped:.3f} against {plain:.3f} ({flipped - plain:+.3f})")
    return lines


def print_recipe(result: Mapping[str, Any]) -> None:
    """Print :func:`recipe_lines`."""
    print("\n".join(recipe_lines(result)))


def load_recipe() -> dict[str, Any]:
    """The recipe measurement the package ships
    (:func:`unet_tutorial.experiments.recipe_choice.load_recipe`)."""
    from unet_tutorial.experiments.recipe_choice import load_recipe as shipped

    return shipped()


def variants_table(result: Mapping[str, Any]) -> Any:
    """The variants of the recipe measurement as a displayable HTML table."""
    from IPython.display import HTML

    from unet_tutorial.report.tables import variants_table as table

    return HTML(table(result))


def load_choice() -> dict[str, Any]:
    """The model-choice measurement the package ships
    (:func:`unet_tutorial.experiments.model_choice.load_choice`)."""
    from unet_tutorial.experiments.model_choice import load_choice as shipped

    return shipped()


def print_measurement(choice: Mapping[str, Any]) -> None:
    """How, where and on what the model-choice measurement was made
    (:func:`unet_tutorial.report.text.describe_measurement`)."""
    from unet_tutorial.report.text import describe_measurement

    print(describe_measurement(choice))


def choice_table(choice: Mapping[str, Any]) -> Any:
    """The candidates of the model-choice measurement as a displayable HTML table."""
    from IPython.display import HTML

    from unet_tutorial.report.tables import choice_table as table

    return HTML(table(choice))


def recipe_table(profile: Any) -> Any:
    """The ``gpu`` recipe beside ``profile``'s, as a displayable HTML table."""
    from IPython.display import HTML

    from unet_tutorial.report.tables import plans_table

    return HTML(plans_table(PROFILES["gpu"], profile))


def print_epoch_times(profile: Any, train_images: int) -> None:
    """Time two training steps of the original VGG19 U-Net and of ``profile``'s network, on
    batches of the profile's size at its image size, and print each as the seconds one epoch of
    ``train_images`` photos would take (without validation)."""
    from unet_tutorial.experiments.flood import flood_model_spec
    from unet_tutorial.models import model_from_spec, model_spec
    from unet_tutorial.training.speed import training_throughput

    specs = {"vgg19_unet": model_spec("vgg19_unet", num_classes=1)}
    specs[profile.training.model] = flood_model_spec(profile.training)
    for name, spec in specs.items():
        label = name + (" (this profile)" if name == profile.training.model else "")
        model = model_from_spec(spec, pretrained=False)
        speed = training_throughput(
            model, profile.image_size, batch_size=profile.batch_size, steps=2
        )
        print(f"{label:>30}: {speed:6.2f} images/s, {train_images / speed:5.0f} s per epoch")


def stage_lines(run: Any) -> list[str]:
    """A finished stage (a :class:`~unet_tutorial.experiments.flood.StageRun`) in two lines:
    how long it ran and why it stopped, and the epoch whose weights it kept."""
    stopped = run.metrics["training"]["stopped_early"]
    why = "stopped early" if stopped else "ran to its cap"
    best = run.best
    seconds = run.train_seconds
    spent = f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"
    return [
        f"{run.epochs_run} epochs of at most {run.max_epochs} ({why}), "
        f"{spent} of training "
        f"({run.train_seconds / run.epochs_run:.1f} s per epoch, validation included)",
        f"kept epoch {run.best_epoch}: validation loss {best['val_loss']:.4f}, "
        f"IoU {best['val_iou']:.3f}, Dice {best['val_dice']:.3f}",
    ]


def print_stage(run: Any) -> None:
    """Print :func:`stage_lines`."""
    print("\n".join(stage_lines(run)))


def print_stages(runs: Mapping[str, Any]) -> None:
    """Stages side by side on the validation split (the test split is not shown: nothing is
    chosen by it), then how the best validation IoU changed from the first to the last."""
    print(
        f"{'':>18}  {'epochs':>6}  {'kept epoch':>10}  {'val loss':>8}"
        f"  {'val IoU':>7}  {'val Dice':>8}"
    )
    for name, run in runs.items():
        best = run.best
        print(
            f"{name:>18}  {run.epochs_run:>6}  {run.best_epoch:>10}  {best['val_loss']:>8.4f}"
            f"  {best['val_iou']:>7.3f}  {best['val_dice']:>8.3f}"
        )
    stages = list(runs.values())
    if len(stages) >= 2:
        # Rounded first, so that the printed change is the difference of the printed scores.
        before, after = round(stages[0].best["val_iou"], 3), round(stages[-1].best["val_iou"], 3)
        change = round(after - before, 3)
        word = "rose" if change > 0 else "fell" if change < 0 else "did not change"
        print(f"best validation IoU {word}: {before:.3f} -> {after:.3f} (change {change:+.3f})")


def test_lines(evaluation: Any, level: float = 0.95) -> list[str]:
    """The test scores of a :class:`~unet_tutorial.evaluation.NativeEvaluation`: the five micro
    scores, the mean IoU over photos, and a bootstrap interval of the IoU."""
    s = evaluation.summary
    low, high = evaluation.bootstrap("iou", level=level)
    return [
        f"{len(evaluation.ids)} test photos, at their own resolution",
        f"IoU {s['iou']:.3f}, Dice {s['dice']:.3f}, precision {s['precision']:.3f}, "
        f"recall {s['recall']:.3f}, pixel accuracy {s['pixel_accuracy']:.3f}",
        f"mean IoU over photos {s['per_image_iou']:.3f}",
        f"{level:.0%} bootstrap interval of the IoU: {low:.3f} to {high:.3f}",
    ]


def print_test(evaluation: Any) -> None:
    """Print :func:`test_lines`."""
    print("\n".join(test_lines(evaluation)))


def water_share_line(evaluation: Any, positions: Sequence[int], label: str) -> str:
    """``label`` and the number of photos, then each photo at ``positions`` with its IoU and
    share of water pixels, e.g. ``best 3: IoU 0.95 / water 61%; ...``."""
    parts = []
    for i in positions:
        tp, fp, fn, tn = evaluation.counts[i]
        share = (tp + fn) / max(1, tp + fp + fn + tn)
        parts.append(f"IoU {evaluation.per_image['iou'][i]:.2f} / water {share:.0%}")
    return f"{label} {len(positions)}: " + "; ".join(parts)


def size_line(evaluation: Any, image_size: int) -> str:
    """The network's input size beside the range of the test photos' own sizes."""
    heights, widths = zip(*evaluation.sizes, strict=True)
    return (
        f"the network sees {image_size}×{image_size} pixels; the test photos are "
        f"{min(widths)} to {max(widths)} pixels wide and {min(heights)} to {max(heights)} high"
    )


def print_frames(run: Any, data: Any) -> None:
    """For the first frame of a stage's training GIF, the one with the best validation IoU and
    the last: the IoU of the followed photo's prediction, its unsure share and the split's
    validation IoU (:func:`unet_tutorial.analysis.frames.frame_scores`)."""
    from unet_tutorial.analysis.frames import frame_scores
    from unet_tutorial.analysis.frames import print_frames as print_scores

    print_scores(frame_scores(run.recorder, data.val[run.gif_index][1]))
