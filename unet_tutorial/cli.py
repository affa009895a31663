"""The command line: train the flood segmenter, or segment your own photos with a checkpoint.

    python -m unet_tutorial train [--profile P] [--data DIR] [--stage train|finetune|all] [--resume]
    python -m unet_tutorial predict --checkpoint data/runs/<run>/best.pt IMAGE... --out DIR

``train`` runs chapters 8-9's training under a profile and writes ``run.json``, ``best.pt``,
``last.pt``, ``metrics.json`` and ``training.gif`` to ``data/runs/<profile>-<dataset>-<stage>/``;
with
``--resume`` it continues an interrupted run from ``last.pt`` (and reuses a finished one).
``predict`` writes, for every photo, ``<name>_mask.png`` (0 = land, 255 = water) and
``<name>_overlay.png`` (the water tinted blue) at the photo's own size.
(Installed with pip, the same commands are ``unet-tutorial train`` and ``unet-tutorial predict``.)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from unet_tutorial.models import model_from_spec
from unet_tutorial.profiles import PROFILES, get_profile
from unet_tutorial.training.checkpoint import CheckpointError, load_checkpoint


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m unet_tutorial",
        description="Train the book's flood segmenter or segment photos with a checkpoint.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train (and fine-tune) under a profile")
    train.add_argument("--profile", choices=sorted(PROFILES), help="default: UNET_TUTORIAL_PROFILE")
    train.add_argument("--data", type=Path, help="dataset folder (default: the chapters' search)")
    train.add_argument(
        "--stage",
        choices=["train", "finetune", "all"],
        default="all",
        help="'finetune' starts from the 'train' stage's best weights (default: all)",
    )
    train.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run from last.pt (a finished one is reused)",
    )
    train.add_argument("--seed", type=int, default=42)

    predict = commands.add_parser("predict", help="segment photos with a trained checkpoint")
    predict.add_argument("--checkpoint", type=Path, required=True, help="best.pt of a run")
    predict.add_argument("images", nargs="+", type=Path, help="photos (JPEG, PNG, WEBP, ...)")
    predict.add_argument("--out", type=Path, required=True, help="folder for the outputs")
    predict.add_argument("--threshold", type=float, default=0.5, help="water probability cut")
    return parser


# --------------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------------


def train_command(args: argparse.Namespace) -> int:
    from unet_tutorial.data import DatasetNotFoundError, load_flood_data
    from unet_tutorial.experiments.flood import load_or_train

    profile = get_profile(args.profile)
    try:
        data = load_flood_data(profile, root=args.data, seed=args.seed)
    except DatasetNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stages = ["train", "finetune"] if args.stage == "all" else [args.stage]
    for stage in stages:
        run = load_or_train(profile, stage, data, seed=args.seed, retrain=not args.resume)
        scores = ", ".join(f"{k} {v:.3f}" for k, v in run.metrics["test"].items())
        print(f"{stage}: test (original resolution) {scores}")
        print(f"{stage}: wrote {run.run_dir}/best.pt, last.pt, metrics.json, training.gif")
    return 0


# --------------------------------------------------------------------------------------------
# predict
# --------------------------------------------------------------------------------------------


def load_predictor(path: Path) -> tuple[torch.nn.Module, int]:
    """The model and its training image size from a checkpoint of this package.

    Raises:
        FileNotFoundError: no such file.
        CheckpointError: not a checkpoint of this package, or its weights do not fit the model.
    """
    checkpoint = load_checkpoint(path)
    meta: dict[str, Any] = checkpoint.get("meta") or {}
    if "model" not in meta or "image_size" not in meta:
        raise CheckpointError(
            f"{path} is incompatible: it does not say which model and image size it was trained "
            "with (no 'model'/'image_size' in its meta). Use a best.pt written by "
            "`python -m unet_tutorial train`."
        )
    try:
        model = model_from_spec(meta["model"], pretrained=False)
        model.load_state_dict(checkpoint["model"])
    except (ValueError, RuntimeError, TypeError) as error:
        first_line = str(error).splitlines()[0]
        raise CheckpointError(
            f"{path} is incompatible with {meta['model'].get('name')!r}: {first_line}"
        ) from error
    return model.eval(), int(meta["image_size"])


@torch.no_grad()
def predict_file(
    model: torch.nn.Module, image_size: int, path: Path, out: Path, threshold: float
) -> tuple[Path, Path, float]:
    """Segment one photo; write its mask and overlay; return their paths and the water share."""
    from unet_tutorial.data.io import read_rgb
    from unet_tutorial.data.transforms import photo_to_input
    from unet_tutorial.metrics import binarize
    from unet_tutorial.training.inference import predict_logits
    from unet_tutorial.viz.training import water_overlay

    image = read_rgb(path, min_size=(image_size, image_size))
    photo = np.asarray(read_rgb(path))
    logits = predict_logits(model, photo_to_input(image, image_size)[None], photo.shape[:2])
    water = binarize(logits, "logits", threshold)[0, 0].numpy()
    out.mkdir(parents=True, exist_ok=True)
    mask_path = out / f"{path.stem}_mask.png"
    overlay_path = out / f"{path.stem}_overlay.png"
    Image.fromarray(water.astype(np.uint8) * 255).save(mask_path)
    Image.fromarray(water_overlay(photo, water)).save(overlay_path)
    return mask_path, overlay_path, float(water.mean())


def predict_command(args: argparse.Namespace) -> int:
    from unet_tutorial.data.io import CorruptFileError

    if not 0 < args.threshold < 1:
        print(f"error: --threshold must lie between 0 and 1, got {args.threshold}", file=sys.stderr)
        return 2
    try:
        model, image_size = load_predictor(args.checkpoint)
    except (FileNotFoundError, CheckpointError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    failures = 0
    for path in args.images:
        try:
            if not path.is_file():
                raise FileNotFoundError(f"{path}: no such file")
            mask_path, overlay_path, share = predict_file(
                model, image_size, path, args.out, args.threshold
            )
        except (FileNotFoundError, CorruptFileError, OSError) as error:
            print(f"error: cannot segment {path}: {error}", file=sys.stderr)
            failures += 1
            continue
        print(f"{path}: water {share:.1%} -> {mask_path.name}, {overlay_path.name}")
    summary = {"images": len(args.images), "failed": failures, "out": str(args.out)}
    print(json.dumps(summary))
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "train":
        return train_command(args)
    return predict_command(args)


if __name__ == "__main__":
    raise SystemExit(main())
