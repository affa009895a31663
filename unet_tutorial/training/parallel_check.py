"""The check of data parallelism chapter 13 runs: N replicas, each on its share of a batch,
take the optimisation step one process takes on the whole batch.

:func:`sgd_step` is one plain SGD step with the binary cross-entropy; :func:`replica_step` is
what each of N processes does (join a Gloo process group, wrap the network in
``DistributedDataParallel``, take the step on its share of the batch; DDP averages the
gradients); :func:`parallel_step` starts the N processes on the CPU and returns the weights
they agree on. Plain SGD, not Adam: Adam's first step divides each gradient by its own size,
so where a gradient is near zero it turns rounding into a full step; SGD's update is the
gradient times the learning rate, so the comparison measures the averaging itself.
"""

from __future__ import annotations

import copy
import socket
import sys
import tempfile
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel


def sgd_step(model: nn.Module, images: torch.Tensor, masks: torch.Tensor, lr: float) -> None:
    """One SGD step on ``images`` ``N×3×H×W`` and ``masks`` ``N×1×H×W`` (0/1) with the mean
    binary cross-entropy over every pixel."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss = F.binary_cross_entropy_with_logits(model(images), masks)
    optimizer.zero_grad()
    loss.backward()  # with DDP: the gradients are averaged over the processes here
    optimizer.step()


def replica_step(
    rank: int,
    world_size: int,
    address: str,
    model: nn.Module,
    images: torch.Tensor,
    masks: torch.Tensor,
    lr: float,
    out: str,
) -> None:
    """Process ``rank`` of ``world_size``: one :func:`sgd_step` on its share of the batch
    (photos ``rank*n .. rank*n + n - 1``, n = N / world_size) with the gradients averaged
    over the processes; rank 0 saves the weights to ``out``. The step changes a copy of
    ``model``: a spawned process receives the network in shared memory, the same for every
    process, where the processes' steps would add up (and change the caller's network)."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=address, rank=rank, world_size=world_size)
    try:
        replica = DistributedDataParallel(copy.deepcopy(model))  # a copy
        n = images.shape[0] // world_size
        mine = slice(rank * n, (rank + 1) * n)
        sgd_step(replica, images[mine], masks[mine], lr)
        if rank == 0:  # replica.module: the network inside the DDP wrapper
            torch.save(replica.module.state_dict(), out)
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    """A TCP port on this machine that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def parallel_step(
    model: nn.Module,
    images: torch.Tensor,
    masks: torch.Tensor,
    lr: float,
    world_size: int = 2,
) -> dict[str, torch.Tensor]:
    """The weights after one step of ``world_size`` CPU processes, each on its share of the
    batch (:func:`replica_step`); ``model`` itself is not changed.

    The processes meet at a free TCP port of this machine. They are forked from this process
    on Linux (no new Python to start: a fraction of a second) and started afresh elsewhere
    (macOS and Windows cannot fork safely); a started process imports its target by module
    and name, which is why the worker is the package's :func:`replica_step`. Rank 0 saves the
    weights, the same in every replica after the step, to a temporary file read back here.

    Raises:
        ValueError: the batch does not divide evenly over the processes.
        torch.multiprocessing.ProcessRaisedException: a process raised an error (its
            traceback in the message); ``ProcessExitedException``: a process died.
    """
    if images.shape[0] % world_size:
        raise ValueError(
            f"{images.shape[0]} photos do not divide evenly over {world_size} processes."
        )
    address = f"tcp://127.0.0.1:{free_port()}"
    method = "fork" if sys.platform == "linux" else "spawn"
    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / "weights.pt")
        mp.start_processes(
            replica_step,
            args=(world_size, address, model, images, masks, lr, out),
            nprocs=world_size,
            start_method=method,
        )  # returns when every process has ended
        return torch.load(out, weights_only=True)


def largest_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    """The largest absolute difference between two sets of weights (floating-point tensors)."""
    return max(
        (a[name].float() - b[name].float()).abs().max().item()
        for name in a
        if a[name].is_floating_point()
    )
