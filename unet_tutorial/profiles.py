"""Size profiles: how big the chapters' runs are.

Every chapter takes its sizes (image size, epochs, dataset subset, model width, ...) from the
active profile and never branches on anything else:

- ``smoke``: seconds per chapter; used by nbmake and CI to prove every cell runs.
- ``cpu``: the configuration chosen for a 2-core CPU (the default without CUDA).
- ``gpu``: the full recipe (the default when CUDA is available), for Colab or a local GPU.

The profile is read from the environment variable ``UNET_TUTORIAL_PROFILE``.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import torch

PROFILE_ENV_VAR = "UNET_TUTORIAL_PROFILE"


@dataclass(frozen=True)
class Profile:
    """The sizes one profile gives the chapters.

    Attributes:
        name: ``"smoke"``, ``"cpu"`` or ``"gpu"``.
        description: one line a chapter prints to say what it runs.
        image_size: side of the square images models are trained on, in pixels.
        batch_size: training batch size.
        epochs: training epochs for chapter experiments.
        max_samples: cap on the number of dataset samples used (``None`` = all).
        base_channels: channels of the first level of the small U-Nets built in the chapters.
        demo_steps: optimisation steps of the small in-chapter experiments (chapter 4).
        demo_image_size: image side of the synthetic data in the in-chapter experiments.
    """

    name: str
    description: str
    image_size: int
    batch_size: int
    epochs: int
    max_samples: int | None
    base_channels: int
    demo_steps: int
    demo_image_size: int

    def replace(self, **changes: object) -> Profile:
        """A copy of this profile with some fields changed (for experiments in a notebook)."""
        return dataclasses.replace(self, **changes)


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        description="seconds per chapter: tiny sizes that only prove every cell runs",
        image_size=64,
        batch_size=4,
        epochs=1,
        max_samples=16,
        base_channels=8,
        demo_steps=30,
        demo_image_size=32,
    ),
    "cpu": Profile(
        name="cpu",
        description="a 2-core CPU: small models and images, minutes per chapter",
        image_size=128,
        batch_size=8,
        epochs=20,
        max_samples=None,
        base_channels=16,
        demo_steps=400,
        demo_image_size=48,
    ),
    "gpu": Profile(
        name="gpu",
        description="a CUDA GPU (Colab or local): the full recipe at 224x224",
        image_size=224,
        batch_size=16,
        epochs=200,
        max_samples=None,
        base_channels=64,
        demo_steps=1500,
        demo_image_size=64,
    ),
}


def default_profile_name() -> str:
    """``"gpu"`` when CUDA is available, else ``"cpu"``."""
    return "gpu" if torch.cuda.is_available() else "cpu"


def get_profile(name: str | None = None) -> Profile:
    """The profile called ``name``, else the one named by ``UNET_TUTORIAL_PROFILE``, else the default.

    Raises:
        ValueError: for an unknown profile name, listing the known ones.
    """
    chosen = name or os.environ.get(PROFILE_ENV_VAR, "").strip() or default_profile_name()
    try:
        return PROFILES[chosen.lower()]
    except KeyError:
        raise ValueError(
            f"Unknown profile {chosen!r} (from {PROFILE_ENV_VAR} or the argument); "
            f"choose one of {sorted(PROFILES)}."
        ) from None
