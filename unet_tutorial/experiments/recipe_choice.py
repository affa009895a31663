"""How the ``cpu`` profile trains its network, measured (``python -m tools.bench recipe``).

:mod:`~unet_tutorial.experiments.model_choice` chose *which* network a two-core processor
trains; this measurement chooses *how*: every variant of the recipe trains the same network
(the ``cpu`` profile's) on the same split, for the same number of epochs at most, with the same
early-stopping rule, from the same seeds, so each gets the same CPU time; only the named
settings differ. A difference between two variants counts only where it is larger than the
spread between seeds of one variant (one run moves by about 0.02 test IoU from seed to seed).

For every variant and seed it records: the epochs run and the kept epoch, the training
seconds, the best validation IoU, the test IoU and Dice at each photo's own resolution, the
test IoU with flip test-time augmentation (:class:`~unet_tutorial.inference.FlipAverage`; also
the validation IoU at the photos' resolution with and without it, which decides it) and
the **jitter** of the validation IoU: the mean absolute change from one epoch to the next over
the second half of the run, which says how much the choice of the kept epoch hinges on one
noisy epoch. Choices are made on the validation split (:func:`chosen_variant`); the test
scores are reported.

The book ships one result, ``unet_tutorial/measurements/cpu_recipe.json``; chapter 8 draws
its table from it. Each run lies in the run store under ``recipe-<variant>-seed<seed>``, so a
second invocation reuses the finished runs and only scores them again.
"""

from __future__ import annotations

import datetime
import statistics
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from unet_tutorial.data.identity import dataset_name
from unet_tutorial.evaluation import evaluate_native
from unet_tutorial.experiments.measured import load_measurement, machine
from unet_tutorial.inference import FlipAverage
from unet_tutorial.profiles import PROFILES, Profile
from unet_tutorial.runs import spec_from_profile, train_run

#: The file chapter 8 reads (written by ``python -m tools.bench recipe --out ...``).
SHIPPED = "cpu_recipe.json"

#: The command that makes the measurement.
COMMAND = "python -m tools.bench recipe"

#: The variants: settings of :func:`~unet_tutorial.runs.spec_from_profile` that replace the
#: profile's. ``before`` is the ``cpu`` recipe as it was (Adam at a constant rate, no average).
VARIANTS: dict[str, dict[str, Any]] = {
    "before": {"schedule": "constant", "weight_decay": 0.0, "ema": 0.0},
    "cosine": {"schedule": "cosine", "weight_decay": 0.0, "ema": 0.0},
    "adamw": {"schedule": "constant", "weight_decay": 1e-4, "ema": 0.0},
    "ema": {"schedule": "constant", "weight_decay": 0.0, "ema": 0.99},
    "cosine+ema": {"schedule": "cosine", "weight_decay": 0.0, "ema": 0.99},
}

SEEDS: tuple[int, ...] = (42, 43, 44)


def jitter(values: Sequence[float]) -> float:
    """Mean absolute change between consecutive values over the second half of ``values``
    (0 for fewer than 4 values): how much a score moves from one epoch to the next once
    training has settled."""
    if len(values) < 4:
        return 0.0
    half = list(values[len(values) // 2 :])
    return statistics.fmean(abs(b - a) for a, b in zip(half, half[1:], strict=False))


def summarize(rows: Sequence[Mapping[str, Any]], key: str) -> dict[str, float]:
    """Mean, lowest and highest of ``key`` over ``rows`` (one variant's seeds)."""
    values = [float(row[key]) for row in rows]
    if not values:
        raise ValueError(f"no rows to summarize {key!r} over.")
    return {
        "mean": round(statistics.fmean(values), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
    }


def measure(
    variant: str,
    settings: Mapping[str, Any],
    seed: int,
    data: Any,
    base: Profile,
    *,
    verbose: bool = True,
) -> dict[str, Any]:
    """Train (or reuse) one variant from one seed on ``data``; return its row."""
    spec = spec_from_profile(
        base,
        seed=seed,
        purpose={"experiment": "recipe", "variant": variant},
        **settings,
    )
    run = train_run(spec, data, f"recipe-{variant}-seed{seed}", replace_changed=True, verbose=False)
    model = run.model.eval()
    flipped = evaluate_native(FlipAverage(model), data.test, device="cpu")
    # Whether flipping helps is judged on the validation split, at the photos' resolution.
    val_plain = evaluate_native(model, data.val, device="cpu").scores()["iou"]
    val_flipped = evaluate_native(FlipAverage(model), data.val, device="cpu").scores()["iou"]
    row = {
        "variant": variant,
        "seed": seed,
        "epochs_run": run.epochs_run,
        "best_epoch": run.best_epoch,
        "train_seconds": round(run.train_seconds, 1),
        "val_iou": round(run.best["val_iou"], 4),
        "val_jitter": round(jitter([r["val_iou"] for r in run.history]), 4),
        "test_iou": round(run.evaluation.scores()["iou"], 4),
        "test_dice": round(run.evaluation.scores()["dice"], 4),
        "test_iou_flip": round(flipped.scores()["iou"], 4),
        "val_native_iou": round(val_plain, 4),
        "val_native_iou_flip": round(val_flipped, 4),
    }
    if verbose:
        print(
            f"{variant:>12} seed {seed}: {row['epochs_run']} epochs "
            f"({row['train_seconds']:.0f} s), "
            f"kept {row['best_epoch']}: val IoU {row['val_iou']:.3f}, test IoU "
            f"{row['test_iou']:.3f} (flip {row['test_iou_flip']:.3f}), "
            f"jitter {row['val_jitter']:.3f}",
            flush=True,
        )
    return row


def chosen_variant(summary: Mapping[str, Mapping[str, Mapping[str, float]]]) -> str:
    """The variant the measurement keeps: the best mean validation IoU, where a difference
    within the seeds' spread is a tie, broken by the steadier score.

    Variants whose mean validation IoU lies within the spread (the widest range, highest minus
    lowest, of any variant's seeds) of the best mean are tied; of these, the one whose
    validation IoU jitters least (:func:`jitter`, mean over the seeds) is chosen: the kept
    epoch then hinges least on one noisy epoch. Ties of jitter too: the first.
    """
    if not summary:
        raise ValueError("no variant was measured.")
    means = {name: entry["val_iou"]["mean"] for name, entry in summary.items()}
    spread = max(entry["val_iou"]["max"] - entry["val_iou"]["min"] for entry in summary.values())
    best = max(means.values())
    tied = [name for name, mean in means.items() if mean >= best - spread]
    return min(tied, key=lambda name: summary[name]["val_jitter"]["mean"])


def run_recipe(
    plan: Mapping[str, Sequence[int]],
    *,
    base: Profile | None = None,
    root: str | None = None,
    verbose: bool = True,
) -> dict[str, Any]:
    """Measure every variant of ``plan`` (a name of :data:`VARIANTS` → its seeds); the result
    as a JSON-ready dict."""
    from unet_tutorial.data import load_flood_data

    unknown = [name for name in plan if name not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown variants {unknown}; choose among {list(VARIANTS)}.")
    if not plan or not all(plan.values()):
        raise ValueError("give every variant at least one seed.")
    base = base or PROFILES["cpu"]
    began = time.perf_counter()
    data = load_flood_data(base, root=root, verbose=False)
    if verbose and not data.is_real:
        print(
            "The flood photos were not found, so this measures the synthetic scenes: pass "
            "--root DATASET (or set UNET_TUTORIAL_DATA) to measure the real photos.",
            flush=True,
        )
    rows = [
        measure(name, VARIANTS[name], seed, data, base, verbose=verbose)
        for name, seeds in plan.items()
        for seed in seeds
    ]
    summary = {
        name: {
            key: summarize([r for r in rows if r["variant"] == name], key)
            for key in (
                "val_iou",
                "test_iou",
                "test_iou_flip",
                "val_native_iou",
                "val_native_iou_flip",
                "val_jitter",
                "train_seconds",
            )
        }
        for name in plan
    }
    recipe = base.training
    return {
        "command": f"{COMMAND} --variants "
        + " ".join(f"{name}:{','.join(str(s) for s in seeds)}" for name, seeds in plan.items()),
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "dataset": dataset_name(data),
        "dataset_source": data.source,
        "split": data.sizes(),
        "network": {
            "model": recipe.model,
            "width": recipe.width,
            "image_size": base.image_size,
        },
        "common": {
            "loss": recipe.loss,
            "lr": recipe.lr,
            "epochs": recipe.epochs,
            "patience": recipe.patience,
            "min_epochs": recipe.min_epochs,
            "batch_size": base.batch_size,
        },
        "variants": {name: VARIANTS[name] for name in plan},
        "seeds": sorted({seed for seeds in plan.values() for seed in seeds}),
        "rows": rows,
        "summary": summary,
        "chosen": chosen_variant(summary),
        "total_seconds": round(time.perf_counter() - began, 1),
    }


def load_recipe(path: str | Path | None = None) -> dict[str, Any]:
    """A saved measurement: ``path``, or the one shipped with the package."""
    return load_measurement(SHIPPED, path)
