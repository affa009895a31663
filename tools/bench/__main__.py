"""Dispatch ``python -m tools.bench NAME [options]`` to ``tools.bench.NAME.main``."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "model": "training throughput of the VGG19 U-Net: the original way against this package's way",
    "data": "images/s of one epoch of data: the original pipeline against this package's pipeline",
    "train": "one training epoch end to end: the original way against this package's way",
    "choice": "the cpu profile's candidate networks under one time budget (chapter 8's table)",
    "recipe": "variants of the cpu recipe (schedule, AdamW, weight average) over seeds",
    "layout": "training steps in the NCHW layout against channels-last, on this machine",
    "parallel": "training photos/s: 1 process against N processes under torchrun (chapter 13)",
    "smp": "the cpu recipe's network against smp's Unet (MobileNetV2, ResNet18) in equal time",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in BENCHMARKS:
        print("usage: python -m tools.bench NAME [options]\n\nbenchmarks:")
        for name, what in BENCHMARKS.items():
            print(f"  {name:<6} {what}")
        return 0 if argv[:1] in ([], ["-h"], ["--help"]) else 2
    module = importlib.import_module(f"tools.bench.{argv[0]}")
    return module.main(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
