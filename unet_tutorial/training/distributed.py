"""Data parallelism: one training run in N processes started by ``torchrun`` (chapter 13).

``torchrun --nproc_per_node=N -m unet_tutorial train ...`` starts N copies of the command and
tells each, through environment variables, who it is (``RANK`` 0 .. N-1 over all machines,
``LOCAL_RANK`` on its machine, ``WORLD_SIZE`` N, and ``MASTER_ADDR``/``MASTER_PORT`` where they
meet). This module turns that into a process group and the pieces data parallelism needs:

- :func:`start` / :func:`process_group`: the group from torchrun's environment, NCCL between
  GPUs (each process on ``cuda:LOCAL_RANK``), Gloo on CPUs, with a timeout, so that a rank that
  waits for a failed one ends with an error instead of hanging. Without torchrun (or with one
  process) there is no group and nothing changes: :data:`SINGLE`.
- :func:`replicate`: the network wrapped in ``DistributedDataParallel`` (:class:`Replica`):
  every process holds a replica, and after each backward pass the gradients are averaged over
  the processes (an all-reduce), so every replica takes the same optimiser step. Its
  ``state_dict`` is the network's, so checkpoints do not depend on the number of processes.
  BatchNorm layers become ``SyncBatchNorm`` on GPUs (statistics over the global batch);
  PyTorch's ``SyncBatchNorm`` runs only on GPUs, so on CPUs each process normalises with the
  statistics of its own share of the batch, and rank 0's running statistics are sent to the
  others before each forward pass (DDP's ``broadcast_buffers``).
- :func:`per_process_batch` and :func:`train_sampler`: ``--batch-size`` is the **global**
  batch, split evenly over the processes; a ``DistributedSampler`` gives each process its own
  share of the shuffled training photos (``set_epoch`` reshuffles every epoch). Because DDP
  averages the gradients of equal shares, one step with N processes × B/N photos is the step
  of one process with B photos (for losses that average over photos, and BatchNorm aside),
  so the learning rate keeps its meaning for the same global batch.
- :func:`from_writer`, :func:`broadcast`: decisions taken once, by rank 0, and sent to all;
  :func:`writer_first`: rank 0 fills the caches before the others read them.
- :func:`share`: a fixed split of a sorted list (``predict``'s photos): process r takes items
  r, r+N, r+2N, ...
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Dataset
from torch.utils.data.distributed import DistributedSampler

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 600.0
"""How long a process waits for the others at a collective step before it gives up, in
seconds (``--dist-timeout``): long enough for an epoch's validation on one process while the
others wait, short enough that a failed rank does not leave the others waiting for hours."""


@dataclass(frozen=True)
class Processes:
    """Who this process is among those of one run.

    Attributes:
        rank: 0 .. world_size - 1 over all machines; rank 0 is the one writer.
        world_size: N, the number of processes.
        local_rank: the process's number on its machine (its GPU there).
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def active(self) -> bool:
        """Whether several processes work together (a process group exists)."""
        return self.world_size > 1

    @property
    def is_writer(self) -> bool:
        """Whether this process writes (rank 0; the only process without torchrun)."""
        return self.rank == 0


SINGLE = Processes()
"""One process, no group: what every command is without torchrun."""


def launched_by_torchrun(environ: Mapping[str, str] | None = None) -> bool:
    """Whether torchrun started this process as one of several (``WORLD_SIZE`` > 1)."""
    environ = os.environ if environ is None else environ
    return int(environ.get("WORLD_SIZE", "1")) > 1


def current() -> Processes:
    """This process's place in the process group, or :data:`SINGLE` without one."""
    if not (dist.is_available() and dist.is_initialized()):
        return SINGLE
    return Processes(
        rank=dist.get_rank(),
        world_size=dist.get_world_size(),
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
    )


def process_device(name: str | None, processes: Processes) -> torch.device:
    """Where this process computes: ``cuda:LOCAL_RANK`` when CUDA is chosen (or available and
    nothing is chosen), else the CPU."""
    if name is not None and not name.startswith("cuda"):
        return torch.device(name)
    if torch.cuda.is_available():
        index = processes.local_rank if processes.active else torch.cuda.current_device()
        return torch.device("cuda", index)
    if name is not None:
        raise ValueError(f"--device {name} was asked for, but PyTorch sees no CUDA GPU.")
    return torch.device("cpu")


def start(
    device: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S
) -> tuple[Processes, torch.device]:
    """The process group torchrun's environment describes, and this process's device.

    Under torchrun with ``WORLD_SIZE`` > 1: NCCL when the device is a GPU (each process on
    ``cuda:LOCAL_RANK``), else Gloo, with ``timeout_s`` for every collective step. Otherwise
    no group: :data:`SINGLE` and ``device`` (default CUDA when available).

    Raises:
        ValueError: CUDA asked for but absent; fewer GPUs on the machine than processes.
    """
    if not launched_by_torchrun():
        from unet_tutorial.runtime import default_device

        return SINGLE, torch.device(device) if device else default_device()
    local = Processes(
        rank=int(os.environ["RANK"]),
        world_size=int(os.environ["WORLD_SIZE"]),
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
    )
    where = process_device(device, local)
    if where.type == "cuda":
        if local.local_rank >= torch.cuda.device_count():
            raise ValueError(
                f"process {local.local_rank} of this machine has no GPU (it has "
                f"{torch.cuda.device_count()}): start at most that many processes per machine "
                "(torchrun --nproc_per_node)."
            )
        torch.cuda.set_device(where)
    if not dist.is_initialized():
        dist.init_process_group(
            backend="nccl" if where.type == "cuda" else "gloo",
            timeout=datetime.timedelta(seconds=timeout_s),
            device_id=where if where.type == "cuda" else None,
        )
    return current(), where


def stop() -> None:
    """End the process group, if there is one."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


@contextmanager
def process_group(
    device: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S
) -> Iterator[tuple[Processes, torch.device]]:
    """:func:`start` for the ``with`` block, :func:`stop` after it (also after an error)."""
    try:
        yield start(device, timeout_s)
    finally:
        stop()


def broadcast(value: T, processes: Processes | None = None) -> T:
    """Rank 0's ``value`` on every rank (any picklable value: keep tensors on the CPU)."""
    processes = processes or current()
    if not processes.active:
        return value
    box = [value if processes.is_writer else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]  # type: ignore[return-value]


def from_writer(decide: Callable[[], T], processes: Processes | None = None) -> T:
    """``decide()`` run once, on rank 0, and its result (or its exception) on every rank.

    Every rank raises rank 0's exception, of the same type where it can be rebuilt from its
    message, so that all ranks stop together instead of some waiting for the others.
    """
    processes = processes or current()
    if not processes.active:
        return decide()
    outcome: tuple[Any, BaseException | None] = (None, None)
    if processes.is_writer:
        try:
            outcome = (decide(), None)
        except Exception as error:  # noqa: BLE001 - sent to every rank, then raised
            outcome = (None, error)
    try:
        value, error = broadcast(outcome, processes)
    except Exception:
        if outcome[1] is not None:
            raise outcome[1] from None
        raise
    if error is not None:
        if processes.is_writer:
            raise outcome[1]  # type: ignore[misc]
        raise error
    return value


def gather(value: T, processes: Processes | None = None) -> list[T]:
    """Every rank's ``value``, in rank order, on every rank."""
    processes = processes or current()
    if not processes.active:
        return [value]
    values: list[Any] = [None] * processes.world_size
    dist.all_gather_object(values, value)
    return values


def writer_first(make: Callable[[], T], processes: Processes | None = None) -> T:
    """``make()`` on rank 0 first, then on the other ranks: rank 0 fills the caches (decoded
    photos, the split's manifest), the others read them and write nothing. Rank 0's error
    stops every rank."""
    made: list[T] = []
    from_writer(lambda: made.append(make()), processes)
    return made[0] if made else make()


def share(items: Sequence[T], processes: Processes | None = None) -> list[T]:
    """Process r's share of ``items``: items r, r + N, r + 2N, ... (N processes).

    Every item is in exactly one share; the shares differ in length by at most one.
    """
    processes = processes or current()
    return list(items[processes.rank :: processes.world_size])


def per_process_batch(global_batch: int, processes: Processes) -> int:
    """Photos per process and step for a global batch of ``global_batch``.

    Raises:
        ValueError: ``global_batch`` is not a multiple of the number of processes.
    """
    if global_batch % processes.world_size:
        nearest = max(1, round(global_batch / processes.world_size))
        raise ValueError(
            f"--batch-size {global_batch} is the global batch; it must be a multiple of the "
            f"{processes.world_size} processes (e.g. {processes.world_size * nearest})."
        )
    return global_batch // processes.world_size


def train_sampler(dataset: Dataset, processes: Processes, seed: int) -> DistributedSampler:
    """Each process's share of the training photos, shuffled with ``seed`` and the epoch
    (call ``set_epoch`` before each epoch). When the photos do not divide evenly, the sampler
    repeats a few so that every process takes the same number of steps."""
    return DistributedSampler(
        dataset,
        num_replicas=processes.world_size,
        rank=processes.rank,
        shuffle=True,
        seed=seed,
    )


class Replica(DistributedDataParallel):
    """``DistributedDataParallel`` whose weights read and load as the wrapped network's (no
    ``module.`` prefix), so checkpoints are the same with 1 or N processes."""

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> Any:  # type: ignore[override]
        return self.module.load_state_dict(state_dict, strict=strict)


def has_batch_norm(model: nn.Module) -> bool:
    """Whether ``model`` holds a BatchNorm layer."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def replicate(model: nn.Module, device: torch.device, processes: Processes) -> nn.Module:
    """``model`` (already on ``device``) as this process's replica: a :class:`Replica` when
    several processes train, the model itself otherwise.

    On GPUs BatchNorm layers become ``SyncBatchNorm`` (in place: the model's own modules, same
    parameter names). The model must have its trainable parameters chosen already (DDP
    averages the gradients of the parameters that require them when it is built).
    """
    if not processes.active:
        return model
    if device.type == "cuda" and has_batch_norm(model):
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # the same model, unless a BN
    return Replica(
        model,
        device_ids=[device.index] if device.type == "cuda" else None,
    )
