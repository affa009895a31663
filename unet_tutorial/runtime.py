"""Where code runs (CUDA when available, else CPU) and how it is seeded."""

from __future__ import annotations

import os
import random
import textwrap

import numpy as np
import torch

from unet_tutorial.profiles import Profile, get_profile


def default_device() -> torch.device:
    """``cuda`` when a CUDA GPU is available, otherwise ``cpu``."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int = 42) -> torch.Generator:
    """Seed Python, NumPy and PyTorch (CPU and CUDA) and return a seeded ``torch.Generator``.

    The generator is meant for anything that should not depend on how many random numbers other
    code drew before (data shuffling, splits).
    """
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 -- seeds legacy global-state NumPy code in libraries
    torch.manual_seed(seed)  # also seeds every CUDA device
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


def describe_runtime(profile_name: str) -> str:
    """One line for a chapter to print: profile, device, and library versions."""
    device = default_device()
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    return (
        f"profile={profile_name} | device={device.type} ({where}) | torch {torch.__version__}"
        f" | threads={torch.get_num_threads()}"
    )


def start_chapter(seed: int = 42) -> Profile:
    """What every chapter runs first: seed everything, print profile and device, return the profile.

    The chapters take all their sizes from the returned :class:`~unet_tutorial.profiles.Profile`.
    """
    profile = get_profile()
    seed_everything(seed)
    print(describe_runtime(profile.name))
    print(textwrap.fill(f"profile '{profile.name}': {profile.description}", width=72))
    return profile
