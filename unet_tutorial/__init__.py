"""unet_tutorial: the tested code behind the book "U-Net image segmentation".

Each chapter of the book imports this package, so the code a reader sees is the code CI tests.
Modules, one concern each:

- :mod:`unet_tutorial.profiles` -- the smoke / cpu / gpu sizes the chapters run under.
- :mod:`unet_tutorial.runtime` -- device choice, seeding, process settings, ``start_chapter``.
- :mod:`unet_tutorial.paths` -- where the project, its data and its runs live.
- :mod:`unet_tutorial.functional` -- convolution, pooling and transposed convolution written from
  scratch (chapters 1-3).
- :mod:`unet_tutorial.data` -- datasets: the flood photos (finding, checking, splitting,
  augmenting, serving), synthetic scenes and shapes, a sample photo.
- :mod:`unet_tutorial.models` -- the networks, one file each, and :func:`create_model`, the
  registry that builds them by name.
- :mod:`unet_tutorial.losses` -- binary cross-entropy, soft Dice, their sum, and the paper's
  weighted cross-entropy with its border weight map.
- :mod:`unet_tutorial.metrics` -- IoU, Dice, precision, recall from confusion counts.
- :mod:`unet_tutorial.training` -- the training step, the epoch and evaluation loops, the
  trainer, checkpoints, speed measurements.
- :mod:`unet_tutorial.inference` -- the one path from photos to logits at their own size.
- :mod:`unet_tutorial.evaluation` -- scores at each photo's own resolution, result cases.
- :mod:`unet_tutorial.runs` -- a run's specification, the run store, and :func:`train_run`, the
  one function every training run of the book and of the command line goes through.
- :mod:`unet_tutorial.experiments` -- the book's orchestration: its experiments, on top of
  everything above (nothing above imports it).
- :mod:`unet_tutorial.analysis` -- measurements that explain the networks (shift tolerance,
  gradient flow, attention maps, baselines, the training GIF's frames, where errors fall, what
  a network costs).
- :mod:`unet_tutorial.report` -- the tables and printed lines the book shows.
- :mod:`unet_tutorial.viz` -- the figures of the book.
- :mod:`unet_tutorial.cli` -- the command line, ``python -m unet_tutorial``.
- :mod:`unet_tutorial.openmp` -- idle CPU threads sleep (set before PyTorch loads).
- :mod:`unet_tutorial.predict` -- segmenting your own photos (``predict``) in bounded memory.
- :mod:`unet_tutorial.export` -- ONNX export of a trained checkpoint.
"""

# Before anything imports PyTorch: OpenMP reads its settings when PyTorch loads it.
from unet_tutorial.openmp import prefer_passive_waiting

prefer_passive_waiting()

# ruff: noqa: E402
from unet_tutorial.profiles import Profile, get_profile
from unet_tutorial.runtime import default_device, seed_everything, start_chapter

__version__ = "0.1.0"

__all__ = [
    "Profile",
    "get_profile",
    "default_device",
    "seed_everything",
    "start_chapter",
    "__version__",
]
