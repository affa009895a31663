"""The process the package runs in: device choice, seeding, and CPU memory and thread settings.

The CPU thread setting (idle OpenMP threads sleep instead of spinning) is made by
:mod:`unet_tutorial.openmp` when the package is imported, before PyTorch loads;
:func:`thread_settings` reports it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import random
import sys
import textwrap

import numpy as np
import torch

from unet_tutorial.openmp import prefer_passive_waiting, wait_policy_state
from unet_tutorial.profiles import Profile, get_profile

#: glibc ``mallopt`` parameters (from ``malloc.h``).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def default_device() -> torch.device:
    """``cuda`` when a CUDA GPU is available, otherwise ``cpu``."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int = 42) -> torch.Generator:
    """Seed Python, NumPy and PyTorch (CPU and CUDA) and return a seeded ``torch.Generator``.

    The generator is meant for anything that should not depend on how many random numbers other
    code drew before (data shuffling, splits). (Python's string hashing is seeded when the
    interpreter starts, from ``PYTHONHASHSEED``; nothing in this package depends on it.)
    """
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 -- seeds legacy global-state NumPy code in libraries
    torch.manual_seed(seed)  # also seeds every CUDA device
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


def keep_freed_memory() -> bool:
    """Make glibc keep freed memory for reuse instead of returning it to the kernel.

    A training step allocates and frees gigabytes of activations. By default glibc returns
    every large block to the kernel, which must zero fresh pages again at the next step
    (millions of page faults per step at 224×224, batch 8). Raising the thresholds above which
    glibc serves a block with its own ``mmap`` and trims the heap makes later steps reuse the
    memory of earlier ones. The price: the process keeps its peak memory until it exits.
    Affects only Linux with glibc; elsewhere it does nothing.

    Returns:
        Whether both settings were applied.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl)
        return False
    # Recent glibc accepts any threshold; old versions cap it at 32 MiB.
    mmap_ok = bool(mallopt(_M_MMAP_THRESHOLD, 2**30) or mallopt(_M_MMAP_THRESHOLD, 2**25))
    trim_ok = bool(mallopt(_M_TRIM_THRESHOLD, 2**31))
    return mmap_ok and trim_ok


def thread_settings() -> dict[str, object]:
    """PyTorch's CPU threads and the OpenMP wait policy in force (see :mod:`unet_tutorial.openmp`).

    Returns:
        ``{"threads": ..., "omp_wait_policy": ..., "set_by_package": ...}``.
    """
    state = wait_policy_state()
    return {
        "threads": torch.get_num_threads(),
        "omp_wait_policy": state["policy"],
        "set_by_package": state["set_by_package"],
    }


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
    prefer_passive_waiting()  # done when the package was imported; here for the record
    profile = get_profile()
    seed_everything(seed)
    print(describe_runtime(profile.name))
    print(textwrap.fill(f"profile '{profile.name}': {profile.description}", width=72))
    return profile
