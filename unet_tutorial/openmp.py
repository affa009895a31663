"""The one OpenMP setting the package makes, before PyTorch starts its thread pool.

PyTorch's CPU kernels run on an OpenMP thread pool. By default an idle OpenMP thread keeps
spinning for a while, waiting for the next parallel region, instead of sleeping. On a machine
whose cores are shared (two cores, a notebook beside a browser, a CI runner) the spinning threads
take the CPU away from the threads doing the work: an epoch of the book's training ran about
five times slower from the command line under concurrent load than with
``OMP_WAIT_POLICY=PASSIVE`` (idle threads sleep), with identical losses.

OpenMP reads the setting once, when its runtime library is loaded, which happens when
``torch`` is imported. So :func:`prefer_passive_waiting` must run before that: the package's
``__init__`` calls it first thing, which covers the command line (``python -m unet_tutorial``),
the chapters (``start_chapter`` is imported from the package) and the benchmarks. A value the
user set (even an empty one) is kept. This module imports nothing heavy.
"""

from __future__ import annotations

import os
import sys

WAIT_POLICY_VAR = "OMP_WAIT_POLICY"
PASSIVE = "PASSIVE"

#: What :func:`prefer_passive_waiting` found and did (see :func:`wait_policy_state`).
_STATE: dict[str, object] = {}


def prefer_passive_waiting() -> str:
    """Set ``OMP_WAIT_POLICY=PASSIVE`` unless the environment already names a policy.

    Returns:
        The policy in force for this process's OpenMP runtime: ``"PASSIVE"``, the user's value,
        or ``"(set after torch was imported)"`` when PyTorch was loaded before this call, in
        which case the OpenMP runtime has read its settings already and changing the variable
        would change nothing (the variable is then left alone).
    """
    if _STATE:
        return str(_STATE["policy"])
    user_value = os.environ.get(WAIT_POLICY_VAR)
    torch_loaded = "torch" in sys.modules
    if user_value is not None:
        policy = user_value
    elif torch_loaded:
        policy = "(set after torch was imported)"
    else:
        os.environ[WAIT_POLICY_VAR] = PASSIVE
        policy = PASSIVE
    _STATE.update(policy=policy, set_by_package=user_value is None and not torch_loaded)
    return policy


def wait_policy_state() -> dict[str, object]:
    """``{"policy": ..., "set_by_package": bool}`` as decided when the package was imported."""
    return dict(_STATE) if _STATE else {"policy": prefer_passive_waiting(), "set_by_package": False}
