"""Plain-text lines the book prints: settings side by side, measurements described.

(Training progress lines live with the trainer, in :mod:`unet_tutorial.training.progress`.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def side_by_side(columns: Mapping[str, Mapping[str, str]]) -> str:
    """Several ``{label: value}`` columns as aligned text, the labels in the first column.

    Args:
        columns: ``{column title: {row label: value}}``; every column has the same labels.
    """
    titles = list(columns)
    labels = list(next(iter(columns.values())))
    label_width = max(14, *(len(label) for label in labels))
    widths = [
        max(len(title), *(len(column[label]) for label in labels))
        for title, column in columns.items()
    ]
    header = " " * (label_width + 2) + "  ".join(
        f"{title:<{width}}" for title, width in zip(titles, widths, strict=True)
    )
    lines = [header.rstrip()]
    for label in labels:
        cells = "  ".join(
            f"{columns[title][label]:<{width}}" for title, width in zip(titles, widths, strict=True)
        )
        lines.append(f"{label:>{label_width}}  {cells}".rstrip())
    return "\n".join(lines)


def describe_measurement(result: Mapping[str, Any]) -> str:
    """A few lines saying how, where and on what a model-choice or recipe measurement was made
    (see :mod:`unet_tutorial.experiments.model_choice` and
    :mod:`~unet_tutorial.experiments.recipe_choice`)."""
    machine = result["machine"]
    split = "/".join(str(n) for n in result["split"].values())
    data = (
        f"the real photos ({result['dataset']})"
        if result["dataset_source"] == "real"
        else "the synthetic scenes"
    )
    return "\n".join(
        [
            f"measured on {result['date']} with:",
            f"  {result['command']}",
            f"machine: {machine['cpu_count']} {machine['processor']} cores "
            f"({machine.get('device', 'cpu')}), "
            f"torch {machine['torch']}",
            f"data: {data},",
            f"  split {split} (train/val/test)",
            f"budget: {result['budget_seconds']:.0f} s of training per candidate"
            if "budget_seconds" in result
            else f"seeds: {', '.join(str(seed) for seed in result['seeds'])}",
        ]
    )


def plan_summary(profile: Any) -> dict[str, str]:
    """A profile's training plan for the flood segmenter, in words (see :func:`print_plans`)."""
    from unet_tutorial.models import model_info

    plan = profile.training
    title = model_info(plan.model).title
    vgg = model_info(plan.model).pretrained_encoder
    blocks = (
        f"block {plan.unfreeze_from_block}"
        if plan.unfreeze_from_block == 5
        else f"blocks {plan.unfreeze_from_block}-5"
    )
    return {
        "model": title if vgg else f"{title} (width {plan.width})",
        "encoder": "VGG19 with ImageNet weights, frozen (where the weights are missing, "
        "trained with the rest)"
        if vgg
        else "its own, trained from random weights like the rest",
        "image size": f"{profile.image_size}×{profile.image_size}",
        "batch size": str(profile.batch_size),
        "loss": plan.loss,
        "learning rate": f"{plan.lr:.0e}"
        + (", cosine decay" if plan.schedule == "cosine" else ", constant"),
        "optimiser": f"AdamW, weight decay {plan.weight_decay:g}"
        if plan.weight_decay > 0
        else "Adam",
        "weight average": f"moving average, decay {plan.ema:g} per step (validated and kept)"
        if plan.ema > 0
        else "none (the latest weights are validated and kept)",
        "max epochs": str(plan.epochs),
        "early stopping": f"{plan.monitor}, patience {plan.patience}, from epoch {plan.min_epochs}",
        "fine-tuning": (f"{blocks} unfrozen, " if vgg else "")
        + f"lr {plan.finetune_lr:.0e}, patience {plan.finetune_patience}, "
        f"max {plan.finetune_epochs} epoch{'s' if plan.finetune_epochs != 1 else ''}",
    }


def print_plans(*profiles: Any) -> None:
    """Print the training plans of several profiles side by side."""
    print(side_by_side({profile.name: plan_summary(profile) for profile in profiles}))
