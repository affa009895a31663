"""The command line: check a folder of photos and masks, train, evaluate, segment, export.

    python -m unet_tutorial inspect DATA_DIR [--classes N | --color R,G,B=K ...] [--json]
    python -m unet_tutorial train [--data DIR] [--out RUN_DIR] [--model NAME] [--epochs N] ...
    python -m unet_tutorial evaluate --checkpoint RUN_DIR/best.pt DATA_DIR [--split test|all]
    python -m unet_tutorial predict --checkpoint RUN_DIR/best.pt PHOTO_OR_FOLDER... --out DIR
    python -m unet_tutorial export --checkpoint RUN_DIR/best.pt --onnx model.onnx

``train`` without any setting runs the book's recipe for the profile (chapters 8-9: both
stages, the run in ``data/runs/<profile>-<dataset>-<stage>/``, reused by the chapters). Any
setting (``--model``, ``--image-size``, ``--width``, ``--epochs``, ``--batch-size``, ``--lr``,
``--loss``, ``--patience``, ``--ema``, ``--weight-decay``, ``--classes``, ``--pretrained``,
``--out``) trains one stage with those settings, the profile filling in the rest, in ``--out``
(default ``runs/<model>-<data>``);
so does a dataset folder holding a ``classes.json`` (see :mod:`unet_tutorial.runs`). Run twice,
``train`` reuses a finished run with the same settings and refuses one with other settings
(naming them) unless ``--overwrite``: nothing a run wrote is replaced without it.
Masks are binary (0/1 or 0/255) unless ``--classes N`` (values ``0 .. N-1``), ``--color
R,G,B=CLASS`` options or a ``classes.json`` beside the data say they hold classes
(:mod:`unet_tutorial.data.classes`).

``predict`` writes ``<name>_mask.png`` and ``<name>_overlay.png`` per photo at the photo's own
size (:mod:`unet_tutorial.predict`). ``export`` writes an ONNX file with dynamic height and width
and checks it against onnxruntime (:mod:`unet_tutorial.export`).
(Installed with pip, ``unet-tutorial`` is the same command as ``python -m unet_tutorial``.)

Several processes (chapter 13, :mod:`unet_tutorial.training.distributed`)::

    torchrun --standalone --nproc_per_node=N -m unet_tutorial train --data DIR --out RUN ...
    torchrun --standalone --nproc_per_node=N -m unet_tutorial predict --checkpoint ... --out DIR

``train`` then trains one run with data parallelism (``--batch-size`` is the global batch,
split over the N processes; rank 0 alone prints and writes the run folder); ``predict`` gives
process r the photos r, r+N, r+2N, ... of its sorted list, and writes the files one process
would. On several machines, the same command on each with ``--nnodes=M --node_rank=I
--rdzv-backend=c10d --rdzv-endpoint=HOST:29400`` instead of ``--standalone``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from unet_tutorial.profiles import PROFILES, get_profile
from unet_tutorial.training.checkpoint import CheckpointError

#: ``train`` options that leave the book's recipe for a run with your own settings.
SETTINGS = (
    "model",
    "image_size",
    "width",
    "epochs",
    "batch_size",
    "lr",
    "loss",
    "patience",
    "ema",
    "weight_decay",
    "classes",
    "color",
    "pretrained",
    "out",
)


def _parser() -> argparse.ArgumentParser:
    from unet_tutorial.data.classes import add_class_options
    from unet_tutorial.data.inspection import add_inspect_arguments
    from unet_tutorial.losses import LOSS_NAMES
    from unet_tutorial.models import MODELS

    parser = argparse.ArgumentParser(
        prog="python -m unet_tutorial",
        description="Check, train, evaluate, apply and export the book's segmentation networks.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    inspect = commands.add_parser("inspect", help="check a folder of photos and masks")
    add_inspect_arguments(inspect, folder_required=True)

    train = commands.add_parser("train", help="train a network")
    train.add_argument("--profile", choices=sorted(PROFILES), help="default: UNET_TUTORIAL_PROFILE")
    train.add_argument("--data", type=Path, help="dataset folder (default: the chapters' search)")
    train.add_argument("--out", type=Path, help="run folder (default: runs/<model>-<data>)")
    train.add_argument("--model", choices=list(MODELS), help="network (default: the profile's)")
    train.add_argument("--image-size", type=int, help="side S photos are shrunk to")
    train.add_argument("--width", type=int, help="channels of the first level")
    train.add_argument("--epochs", type=int, help="most epochs")
    train.add_argument("--batch-size", type=int, help="photos per step")
    train.add_argument("--lr", type=float, help="Adam's learning rate")
    train.add_argument("--loss", choices=LOSS_NAMES, help="bce* binary, ce* multi-class")
    train.add_argument("--patience", type=int, help="early stopping: epochs without progress")
    train.add_argument(
        "--ema",
        type=float,
        metavar="DECAY",
        help="moving average of the weights, validated and kept (0: none; default: the profile's)",
    )
    train.add_argument(
        "--weight-decay", type=float, help="AdamW's weight decay (0: Adam; default: the profile's)"
    )
    add_class_options(train)
    train.add_argument(
        "--pretrained",
        action=argparse.BooleanOptionalAction,
        help="ImageNet weights for the VGG19 encoder (vgg19_unet)",
    )
    train.add_argument(
        "--stage",
        choices=["train", "finetune", "all"],
        default="all",
        help="the book's recipe only: 'finetune' starts from the 'train' stage (default: all)",
    )
    train.add_argument(
        "--resume",
        action="store_true",
        help="what train always does: continue an interrupted run, reuse a finished one with "
        "the same settings (kept for scripts that pass it)",
    )
    train.add_argument(
        "--overwrite",
        action="store_true",
        help="train afresh where the run folder holds a run (finished, interrupted or with "
        "other settings); without it nothing a run wrote is replaced",
    )
    train.add_argument("--seed", type=int, default=42)
    train.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    _add_dist_timeout(train)

    evaluate = commands.add_parser("evaluate", help="score a checkpoint on a folder of pairs")
    evaluate.add_argument("--checkpoint", type=Path, required=True, help="best.pt of a run")
    evaluate.add_argument("data", type=Path, help="dataset folder (images/ + masks/)")
    evaluate.add_argument(
        "--split",
        choices=["all", "test"],
        default="all",
        help="all pairs (default), or the test split drawn as training draws it",
    )
    evaluate.add_argument("--out", type=Path, help="folder for per_image.csv and summary.json")
    evaluate.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    evaluate.add_argument("--device", help="cpu or cuda (default: cuda when available)")

    predict = commands.add_parser("predict", help="segment photos with a trained checkpoint")
    predict.add_argument("--checkpoint", type=Path, required=True, help="best.pt of a run")
    predict.add_argument(
        "images", nargs="+", type=Path, help="photos or folders (searched recursively)"
    )
    predict.add_argument("--out", type=Path, required=True, help="folder for the outputs")
    predict.add_argument("--threshold", type=float, help="water probability cut (binary)")
    predict.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    predict.add_argument(
        "--tile",
        type=int,
        help="segment at the photos' own resolution in overlapping tiles of this side "
        "(for networks trained at that scale; default: shrink to S×S as in training)",
    )
    predict.add_argument("--overlap", type=int, help="pixels shared by tiles (default tile/4)")
    predict.add_argument(
        "--batch-size",
        type=int,
        help="photos or tiles per forward pass (default: 8 on a GPU, 1 on the CPU, where one "
        "photo at a time gives exactly the numbers `evaluate` computes)",
    )
    predict.add_argument(
        "--max-pixels", type=float, default=600e6, help="skip larger photos (default 600e6)"
    )
    predict.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    _add_dist_timeout(predict)

    export = commands.add_parser("export", help="export a checkpoint to ONNX")
    export.add_argument("--checkpoint", type=Path, required=True, help="best.pt of a run")
    export.add_argument("--onnx", type=Path, required=True, help="the ONNX file to write")
    export.add_argument(
        "--check",
        nargs="+",
        type=Path,
        help="photos to compare PyTorch and onnxruntime on (default: 3 synthetic scenes)",
    )
    export.add_argument("--overwrite", action="store_true", help="replace an existing file")
    return parser


def _add_dist_timeout(command: argparse.ArgumentParser) -> None:
    from unet_tutorial.training.distributed import DEFAULT_TIMEOUT_S

    command.add_argument(
        "--dist-timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help="under torchrun: how long a process waits for the others before the run ends "
        f"with an error (default {DEFAULT_TIMEOUT_S:.0f})",
    )


@contextlib.contextmanager
def _silent_unless(writer: bool) -> Any:
    """Rank 0 prints; the other ranks' messages go nowhere (an uncaught error still shows:
    it is printed after the block)."""
    if writer:
        yield
        return
    with (
        open(os.devnull, "w") as nowhere,
        contextlib.redirect_stdout(nowhere),
        contextlib.redirect_stderr(nowhere),
    ):
        yield


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _device(name: str | None) -> torch.device:
    from unet_tutorial.runtime import default_device

    return torch.device(name) if name else default_device()


# --------------------------------------------------------------------------------------------
# inspect
# --------------------------------------------------------------------------------------------


def inspect_command(args: argparse.Namespace) -> int:
    from unet_tutorial.data.inspection import inspect_from_args

    return inspect_from_args(args)


# --------------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------------


def _runtime_line(device: torch.device) -> str:
    from unet_tutorial.runtime import thread_settings

    threads = thread_settings()
    return (
        f"device {device.type}; CPU threads {threads['threads']}, "
        f"OMP_WAIT_POLICY={threads['omp_wait_policy']}"
    )


CLI_VERSION = 1
"""Part of a command-line run's identity: bump when a change here changes results."""


def train_command(args: argparse.Namespace) -> int:
    """Train, or reuse, or resume: the run store's one rule (:meth:`unet_tutorial.runs.Run.plan`)
    for the book's recipe and for a run with settings alike. A finished run with the same
    settings is reused (saying so), an interrupted one resumed; a run with other settings is
    refused, naming the differences, unless ``--overwrite``."""
    from unet_tutorial.data.classes import CLASSES_FILE
    from unet_tutorial.training.distributed import launched_by_torchrun, process_group

    table_file = args.data is not None and (args.data / CLASSES_FILE).is_file()
    custom = table_file or any(getattr(args, name) is not None for name in SETTINGS)
    command = train_settings_command if custom else train_recipe_command
    if not launched_by_torchrun():
        return command(args)
    with process_group(args.device, args.dist_timeout) as (processes, device):
        args.device = str(device)
        with _silent_unless(processes.is_writer):
            print(
                f"{processes.world_size} processes (torchrun), backend "
                f"{torch.distributed.get_backend()}; --batch-size is the global batch, "
                "split evenly over them"
            )
            return command(args)


def _train_errors() -> tuple[type[Exception], ...]:
    from unet_tutorial.data.io import CorruptFileError, MaskValuesError
    from unet_tutorial.runs import ForeignFolderError, SettingsChangedError

    return (SettingsChangedError, ForeignFolderError, MaskValuesError, CorruptFileError)


def _print_result(result: Any, label: str = "") -> None:
    from unet_tutorial.evaluation import describe_test

    training = result.metrics["training"]
    lines = describe_test(result.metrics["test"])
    print(f"{label}test (each photo at its own size): {lines[0]}")
    for line in lines[1:]:
        print(line)
    print(
        f"{label}{training['epochs_run']} epochs, {training['seconds_per_epoch']:.1f} s per "
        f"epoch; best epoch {training['best_epoch']}; "
        f"{'reused' if result.loaded else 'wrote'} {result.folder}/best.pt, last.pt, "
        "metrics.json"
    )


def train_recipe_command(args: argparse.Namespace) -> int:
    """The book's recipe for the profile, both stages by default (chapters 8-9)."""
    from unet_tutorial.data import DatasetNotFoundError, load_flood_data
    from unet_tutorial.experiments.flood import train_stage
    from unet_tutorial.training.distributed import writer_first

    profile = get_profile(args.profile)
    device = _device(args.device)
    print(_runtime_line(device))
    try:
        data = writer_first(lambda: load_flood_data(profile, root=args.data, seed=args.seed))
    except (DatasetNotFoundError, ValueError) as error:
        return _error(str(error))
    stages = ["train", "finetune"] if args.stage == "all" else [args.stage]
    for stage in stages:
        try:
            run = train_stage(
                profile,
                data,
                stage,
                overwrite=args.overwrite,
                replace_changed=False,
                seed=args.seed,
                device=device,
            )
        except _train_errors() as error:
            return _error(str(error))
        _print_result(run.result, f"{stage}: ")
    return 0


def train_settings_command(args: argparse.Namespace) -> int:
    """One stage with the settings given, the profile filling in the rest."""
    from unet_tutorial.data import DatasetNotFoundError, load_dataset
    from unet_tutorial.data.classes import resolve_class_table
    from unet_tutorial.data.identity import dataset_name
    from unet_tutorial.runs import spec_from_profile, train_run
    from unet_tutorial.training.distributed import writer_first

    if args.stage != "all":
        return _error("--stage belongs to the book's recipe; a run with settings has one stage.")
    profile = get_profile(args.profile)
    device = _device(args.device)
    try:
        table = resolve_class_table(args.classes, args.color, args.data)
        spec = spec_from_profile(
            profile,
            classes=None if table is None else table.to_dict(),
            seed=args.seed,
            purpose={"experiment": "cli", "version": CLI_VERSION},
            model=args.model,
            width=args.width,
            pretrained=args.pretrained,
            image_size=args.image_size,
            batch_size=args.batch_size,
            epochs=args.epochs,
            lr=args.lr,
            loss=args.loss,
            patience=args.patience,
            ema=args.ema,
            weight_decay=args.weight_decay,
        )
    except ValueError as error:
        return _error(str(error))
    print(_runtime_line(device))
    try:
        data = writer_first(
            lambda: load_dataset(
                spec.image_size,
                max_samples=spec.max_samples,
                root=args.data,
                seed=args.seed,
                classes=table,
                manifest=None,
            )
        )
    except (DatasetNotFoundError, ValueError) as error:
        return _error(str(error))
    out = args.out or Path("runs") / f"{spec.model_name}-{dataset_name(data)}"
    settings = {"model": spec.model, **spec.config.to_dict(), "image_size": spec.image_size}
    print(f"settings: {json.dumps(settings | {'batch_size': spec.batch_size})}")
    try:
        result = train_run(
            spec, data, out.expanduser().resolve(), overwrite=args.overwrite, device=device
        )
    except _train_errors() as error:
        return _error(str(error))
    _print_result(result)
    return 0


# --------------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------------


def _evaluation_table(predictor: Any, root: Path) -> Any:
    from unet_tutorial.data.classes import CLASSES_FILE, ClassTable

    table = predictor.table
    path = root / CLASSES_FILE
    if table is not None and path.is_file():
        local = ClassTable.from_json(path)
        if local.num_classes == table.num_classes:
            return local
    return table


def evaluate_command(args: argparse.Namespace) -> int:
    """Score a checkpoint on a folder of pairs at each mask's own resolution."""
    from unet_tutorial.data import DatasetNotFoundError, FloodDataset, scan_dataset
    from unet_tutorial.data.io import CorruptFileError, MaskValuesError
    from unet_tutorial.data.split import grouped_split
    from unet_tutorial.evaluation import describe_test, evaluate_native, score_summary
    from unet_tutorial.predict import load_predictor

    device = _device(args.device)
    try:
        predictor = load_predictor(args.checkpoint, device)
        table = _evaluation_table(predictor, args.data)
        scan = scan_dataset(args.data, cache_dir=None, warn=False)
    except (FileNotFoundError, CheckpointError, ValueError) as error:
        return _error(str(error))
    except DatasetNotFoundError as error:
        return _error(str(error))
    pairs = scan.usable
    if args.split == "test":
        seed = int((predictor.meta.get("config") or {}).get("seed", 42))
        split = grouped_split([p.id for p in pairs], scan.duplicate_groups, seed=seed)
        pairs = [p for p in pairs if p.id in set(split.test)]
    elif _same_folder(predictor.meta, args.data):
        print(
            f"note: {args.data} is the folder this checkpoint was trained on; --split all also "
            "scores its training photos (--split test scores only its test photos)."
        )
    out = args.out or args.checkpoint.parent / f"evaluate-{args.data.resolve().name}-{args.split}"
    outputs = [out / "per_image.csv", out / "summary.json"]
    if not args.overwrite and any(p.exists() for p in outputs):
        return _error(f"{out} holds an evaluation already: pass --overwrite or another --out.")
    reader = {} if table is None else {"mask_reader": table.reader}
    dataset = FloodDataset(pairs, predictor.image_size, cache_dir=None, **reader)
    names = None if table is None else list(table.names)
    try:
        evaluation = evaluate_native(
            predictor.model,
            dataset,
            device=device,
            threshold=predictor.threshold,
            class_names=names,
        )
    except (MaskValuesError, CorruptFileError) as error:
        return _error(str(error))
    except ValueError as error:  # an empty split
        return _error(str(error))
    summary = {
        "checkpoint": str(args.checkpoint),
        "data": str(args.data),
        "split": args.split,
        "photos": len(pairs),
        "excluded": [p.to_dict() for p in scan.excluded],
        "test": score_summary(evaluation),
    }
    summary["test"].pop("evaluation")
    out.mkdir(parents=True, exist_ok=True)
    rows = evaluation.rows()
    with open(outputs[0], "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    outputs[1].write_text(json.dumps(summary, indent=1) + "\n")
    print(f"{len(pairs)} photos of {args.data} ({args.split}), each at its own resolution")
    for line in describe_test(summary["test"]):
        print(line)
    print(f"wrote {outputs[0]} and {outputs[1]}")
    return 0


def _same_folder(meta: dict[str, Any], folder: Path) -> bool:
    root = meta.get("data_root")
    if root:
        return Path(root) == folder.resolve()
    dataset = (meta.get("data") or {}).get("dataset")
    return dataset == folder.resolve().name


# --------------------------------------------------------------------------------------------
# predict
# --------------------------------------------------------------------------------------------


def load_predictor(path: Path) -> tuple[torch.nn.Module, int]:
    """The model and its training image size from a checkpoint (see
    :func:`unet_tutorial.predict.load_predictor`, which also gives the classes)."""
    from unet_tutorial.predict import load_predictor as load

    predictor = load(path)
    return predictor.model, predictor.image_size


def predict_command(args: argparse.Namespace) -> int:
    """Segment the photos; under torchrun each process its share (see the module docstring)."""
    from unet_tutorial.training.distributed import launched_by_torchrun, process_group

    if not launched_by_torchrun():
        return _predict(args)
    with process_group(args.device, args.dist_timeout) as (_, device):
        args.device = str(device)
        return _predict(args)


def _predict(args: argparse.Namespace) -> int:
    from unet_tutorial.predict import (
        PredictionError,
        load_predictor,
        plan_outputs,
        predict_photos,
        summary_json,
    )
    from unet_tutorial.training.distributed import current, from_writer, gather, share

    if args.threshold is not None and not 0 < args.threshold < 1:
        return _error(f"--threshold must lie between 0 and 1, got {args.threshold}")
    if args.tile is not None and args.tile < 16:
        return _error(f"--tile must be at least 16 pixels, got {args.tile}")
    if args.overlap is not None and (args.tile is None or not 0 <= args.overlap < args.tile):
        return _error("--overlap goes with --tile and must be smaller than it")
    device = _device(args.device)
    try:
        predictor = load_predictor(args.checkpoint, device)
    except (FileNotFoundError, CheckpointError) as error:
        return _error(str(error))
    batch_size = args.batch_size or (8 if device.type == "cuda" else 1)
    if args.threshold is not None:
        predictor.threshold = args.threshold
    processes = current()
    try:  # rank 0 checks every output before any process writes one
        jobs = from_writer(lambda: plan_outputs(args.images, args.out, overwrite=args.overwrite))
    except (FileNotFoundError, PredictionError) as error:
        return _error(str(error)) if processes.is_writer else 2
    summary = predict_photos(
        predictor,
        share(jobs, processes),
        batch_size=max(1, batch_size),
        tile=args.tile,
        overlap=args.overlap,
        max_pixels=int(args.max_pixels),
        warn=lambda line: print(line, file=sys.stderr),
    )
    if processes.active:  # every process's counts, on every process
        parts = gather((summary.images, summary.failed), processes)
        summary.images = sum(images for images, _ in parts)
        summary.failed = sum(failed for _, failed in parts)
    if processes.is_writer:
        print(summary_json(summary, args.out))
    return 1 if summary.failed else 0


# --------------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------------


def _check_inputs(paths: Sequence[Path] | None, image_size: int, multiple: int | None) -> list:
    """Network inputs to compare PyTorch and onnxruntime on: each photo as ``predict`` feeds it
    (S×S) and, when H and W are dynamic, at another, non-square size, and a batch of two."""
    from PIL import Image

    from unet_tutorial.data.io import read_rgb
    from unet_tutorial.data.synthetic import render_flood_scene
    from unet_tutorial.data.transforms import photo_to_input, photo_to_tensor
    from unet_tutorial.predict import plan_outputs

    if paths:
        photos = [np.asarray(read_rgb(job.photo)) for job in plan_outputs(paths, Path("."))[:3]]
    else:
        side = max(48, image_size)
        photos = [render_flood_scene(seed, side, side * 3 // 2)[0] for seed in range(3)]
    inputs = [photo_to_input(photo, image_size)[None] for photo in photos]
    if multiple is not None:
        height, width = max(multiple, image_size * 3 // 4 + 3), image_size + 5
        for photo in photos:
            resized = np.asarray(Image.fromarray(photo).resize((width, height)))
            inputs.append(photo_to_tensor(resized)[None])
        inputs.append(torch.cat(inputs[:2]))
    return inputs


def export_command(args: argparse.Namespace) -> int:
    from unet_tutorial.export import TOLERANCE, ExportError, check_onnx, export_onnx
    from unet_tutorial.models import size_multiple
    from unet_tutorial.predict import load_predictor

    if args.onnx.exists() and not args.overwrite:
        return _error(f"{args.onnx} exists: pass --overwrite to replace it.")
    try:
        predictor = load_predictor(args.checkpoint, "cpu")
        meta = dict(predictor.meta)
        if predictor.table is not None:
            meta["classes"] = predictor.table.to_dict()
        info = export_onnx(predictor.model, args.onnx, predictor.image_size, meta)
        inputs = _check_inputs(args.check, predictor.image_size, size_multiple(predictor.model))
        largest = check_onnx(args.onnx, predictor.model, inputs)
    except (FileNotFoundError, CheckpointError, ExportError, ValueError) as error:
        return _error(str(error))
    channels = predictor.num_classes
    sides = (
        f"dynamic height and width (each at least {info['min_side']})"
        if info["dynamic"]
        else f"fixed {predictor.image_size}×{predictor.image_size} (this network accepts only "
        "certain sizes)"
    )
    print(
        f"wrote {args.onnx}: input 'images' N×3×H×W (normalised RGB), output 'logits' "
        f"N×{channels}×H×W; {sides}; ONNX opset {info['opset']}"
    )
    sizes = sorted({f"{x.shape[0]}×{x.shape[2]}×{x.shape[3]}" for x in inputs})
    verdict = "ok" if largest < TOLERANCE else "TOO LARGE"
    print(
        f"check against onnxruntime on {len(inputs)} inputs (N×H×W {', '.join(sizes)}): "
        f"largest |logit difference| {largest:.2e} (limit {TOLERANCE:.0e}): {verdict}"
    )
    return 0 if largest < TOLERANCE else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command ``argv`` names; under torchrun a failing process's error (its traceback)
    is recorded for torchrun's closing report."""
    from unet_tutorial.training.distributed import launched_by_torchrun

    if launched_by_torchrun():
        from torch.distributed.elastic.multiprocessing.errors import record

        return record(_main)(argv) or 0
    return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    commands = {
        "inspect": inspect_command,
        "train": train_command,
        "evaluate": evaluate_command,
        "predict": predict_command,
        "export": export_command,
    }
    return commands[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
