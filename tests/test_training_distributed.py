"""Data parallelism with torchrun (issue 25): two CPU processes on Gloo, tiny synthetic data.

The processes are forked from the test with the environment torchrun gives its workers
(``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``), so the command
line runs exactly as under ``torchrun --nproc_per_node=2`` without starting a new Python per
process (seconds instead of half a minute on a busy 2-core machine).
"""

from __future__ import annotations

import copy
import json
import multiprocessing
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import pytest
import torch

from unet_tutorial.training.distributed import (
    SINGLE,
    Processes,
    launched_by_torchrun,
    per_process_batch,
    share,
)
from unet_tutorial.training.parallel_check import (
    free_port,
    largest_difference,
    parallel_step,
    sgd_step,
)

pytestmark = [
    pytest.mark.usefixtures("one_thread"),
    pytest.mark.skipif(sys.platform != "linux", reason="forks the processes (Linux)"),
]

FORK = multiprocessing.get_context("fork")


def _worker(rank: int, world: int, port: int, folder: str, target: Any, args: tuple) -> None:
    """One forked process with torchrun's environment: runs ``target(*args)``, its output and
    error (traceback) in ``folder/rank<r>.out`` / ``.err``, its return value as the exit code."""
    os.environ.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world),
        LOCAL_WORLD_SIZE=str(world),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    torch.set_num_threads(1)
    code = 1
    with open(f"{folder}/rank{rank}.out", "w") as out, open(f"{folder}/rank{rank}.err", "w") as err:
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        sys.stdout, sys.stderr = out, err  # past pytest's capture
        try:
            code = int(target(*args) or 0)
        except BaseException:  # noqa: BLE001 - shown in the .err file
            traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def run_ranks(
    tmp: Path, target: Any, *args: Any, world: int = 2, limit: float = 120.0
) -> list[tuple[int, str, str]]:
    """Run ``target(*args)`` in ``world`` forked processes; ``(exit code, stdout, stderr)``
    per rank. Fails the test if a process is still running after ``limit`` seconds."""
    logs = tmp / f"logs-{time.monotonic_ns()}"
    logs.mkdir()
    port = free_port()
    processes = [
        FORK.Process(target=_worker, args=(rank, world, port, str(logs), target, args))
        for rank in range(world)
    ]
    for process in processes:
        process.start()
    deadline = time.monotonic() + limit
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    hung = [p for p in processes if p.is_alive()]
    for process in hung:
        process.kill()
    assert not hung, f"{len(hung)} process(es) still ran after {limit} s"
    return [
        (p.exitcode, (logs / f"rank{r}.out").read_text(), (logs / f"rank{r}.err").read_text())
        for r, p in enumerate(processes)
    ]


def cli(*argv: str) -> int:
    from unet_tutorial.cli import main

    return main(list(argv))


@pytest.fixture
def scenes(tmp_path, monkeypatch):
    """A folder of 12 synthetic photo/mask pairs; caches under ``tmp_path``."""
    from unet_tutorial.data.synthetic import save_scene_folder

    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path / "home"))
    return save_scene_folder(tmp_path / "scenes", 12, size=(48, 64), seed=5)


# -- the pieces -------------------------------------------------------------------------------


def test_without_torchrun_there_is_one_process():
    assert not launched_by_torchrun({})
    assert not launched_by_torchrun({"WORLD_SIZE": "1", "RANK": "0"})
    assert launched_by_torchrun({"WORLD_SIZE": "2", "RANK": "1"})
    assert not SINGLE.active and SINGLE.is_writer


def test_share_splits_the_sorted_list_without_gaps_or_repeats():
    items = list(range(7))
    shares = [share(items, Processes(rank, 3)) for rank in range(3)]
    assert shares == [[0, 3, 6], [1, 4], [2, 5]]
    assert sorted(sum(shares, [])) == items


def test_batch_size_is_the_global_batch():
    assert per_process_batch(8, Processes(0, 2)) == 4
    with pytest.raises(ValueError, match="multiple of the 2 processes"):
        per_process_batch(5, Processes(0, 2))


# -- 6(a): two processes × 4 photos take the step of one process × 8 photos --------------------


def seeded_unet_and_batch(photos: int) -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    """A small plain U-Net in eval mode (BatchNorm on its running statistics, the same in every
    process) and ``photos`` random 32×32 photos with 0/1 masks, all drawn after seed 0."""
    from unet_tutorial.models import create_model

    torch.manual_seed(0)
    model = create_model("unet", base_channels=4, depth=2).eval()
    images = torch.randn(photos, 3, 32, 32)
    masks = (torch.rand(photos, 1, 32, 32) > 0.5).float()
    return model, images, masks


def test_two_replicas_take_the_step_of_one_process_on_the_whole_batch():
    """Plain SGD and BatchNorm in eval mode (running statistics, the same in every process):
    only the averaging of the gradients is compared."""
    model, images, masks = seeded_unet_and_batch(8)
    before = copy.deepcopy(model.state_dict())
    two = parallel_step(model, images, masks, lr=0.1, world_size=2)
    assert largest_difference(model.state_dict(), before) == 0  # the model is left alone
    one = copy.deepcopy(model)
    sgd_step(one, images, masks, lr=0.1)
    assert largest_difference(one.state_dict(), before) > 1e-3  # the step moved the weights
    assert largest_difference(one.state_dict(), two) < 1e-5
    # each process on its own half alone would not give that step
    half = copy.deepcopy(model)
    sgd_step(half, images[:4], masks[:4], lr=0.1)
    assert largest_difference(half.state_dict(), two) > 1e-3


def test_a_batch_that_does_not_divide_evenly_is_refused_before_any_process_starts():
    from unet_tutorial.models import create_model

    model = create_model("unet", base_channels=4, depth=2).eval()
    images, masks = torch.zeros(7, 3, 32, 32), torch.zeros(7, 1, 32, 32)
    with pytest.raises(ValueError, match="7 photos do not divide evenly over 2 processes"):
        parallel_step(model, images, masks, lr=0.1, world_size=2)


def test_spawned_processes_take_the_forked_processes_step_and_leave_the_model_alone(
    monkeypatch,
):
    """macOS and Windows start the processes afresh ('spawn'): each new Python imports the
    package's ``replica_step`` and receives the network in shared memory, one for both
    processes, so each must step its own copy (or the step is taken twice, in the caller's
    network). Ten to twenty seconds: two new Pythons import torch."""
    from types import SimpleNamespace

    from unet_tutorial.training import parallel_check

    model, images, masks = seeded_unet_and_batch(4)
    before = copy.deepcopy(model.state_dict())
    forked = parallel_step(model, images, masks, lr=0.1, world_size=2)
    monkeypatch.setattr(parallel_check, "sys", SimpleNamespace(platform="darwin"))
    spawned = parallel_step(model, images, masks, lr=0.1, world_size=2)
    assert largest_difference(model.state_dict(), before) == 0
    assert largest_difference(forked, before) > 1e-3  # the step moved the weights
    assert largest_difference(spawned, forked) < 1e-6


# -- 6(b): a two-epoch, two-process run writes one run folder -----------------------------------


def test_two_process_run_writes_one_run_folder_that_evaluates_to_its_score(scenes, tmp_path):
    from unet_tutorial.data import load_dataset
    from unet_tutorial.evaluation import evaluate_native
    from unet_tutorial.runs import METRICS_FORMAT, load_run

    run = tmp_path / "run"
    argv = ("train", "--profile", "smoke", "--data", str(scenes), "--out", str(run))
    results = run_ranks(tmp_path, cli, *argv, "--epochs", "2", "--batch-size", "4")
    assert [code for code, _, _ in results] == [0, 0], results
    assert "2 processes (torchrun), backend gloo" in results[0][1]
    assert results[1][1] == ""  # rank 1 prints nothing
    assert sorted(p.name for p in run.iterdir()) == [
        "best.pt",
        "last.pt",
        "metrics.json",
        "run.json",
    ]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("run")] == ["run"]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["format"] == METRICS_FORMAT
    assert metrics["training"]["epochs_run"] == 2
    assert metrics["settings"]["batch_size"] == 4
    result = load_run(run)
    data = load_dataset(
        metrics["settings"]["image_size"],
        max_samples=metrics["settings"]["max_samples"],
        root=scenes,
        seed=42,
        manifest=None,
    )
    assert data.test.ids == metrics["split"]["test"]
    evaluation = evaluate_native(result.model, data.test, device="cpu")
    assert evaluation.summary["iou"] == pytest.approx(metrics["test"]["scores"]["iou"], abs=1e-9)

    # Run again with two processes: the finished run is reused, nothing is written.
    stamps = {p.name: p.stat().st_mtime_ns for p in run.iterdir()}
    again = run_ranks(tmp_path, cli, *argv, "--epochs", "2", "--batch-size", "4")
    assert [code for code, _, _ in again] == [0, 0], again
    assert "reused" in again[0][1]
    assert {p.name: p.stat().st_mtime_ns for p in run.iterdir()} == stamps
    # Other settings are refused on every rank, naming them, unless --overwrite.
    changed = run_ranks(tmp_path, cli, *argv, "--epochs", "3", "--batch-size", "4")
    assert [code for code, _, _ in changed] == [2, 2]
    assert "epochs" in changed[0][2] and "--overwrite" in changed[0][2]


# -- 6(c): predict with two processes writes the files one process writes -----------------------


def test_two_process_predict_writes_the_masks_of_one_process(scenes, tmp_path):
    from unet_tutorial.cli import main

    run = tmp_path / "run"
    assert main(["train", "--profile", "smoke", "--data", str(scenes), "--out", str(run)]) == 0
    photos = scenes / "images"
    one = tmp_path / "one"
    assert (
        main(["predict", "--checkpoint", str(run / "best.pt"), str(photos), "--out", str(one)]) == 0
    )
    two = tmp_path / "two"
    argv = ("predict", "--checkpoint", str(run / "best.pt"), str(photos), "--out", str(two))
    results = run_ranks(tmp_path, cli, *argv)
    assert [code for code, _, _ in results] == [0, 0], results
    files = sorted(p.relative_to(one) for p in one.rglob("*.png"))
    assert sorted(p.relative_to(two) for p in two.rglob("*.png")) == files
    assert len(files) == 2 * 12
    for name in files:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    # each process segmented its share (photos 0, 2, 4, ... and 1, 3, 5, ...) once
    lines = [[line for line in out.splitlines() if "->" in line] for _, out, _ in results]
    assert [len(part) for part in lines] == [6, 6]
    summary = json.loads(results[0][1].splitlines()[-1])
    assert summary["images"] == 12 and summary["failed"] == 0


# -- 6(d): a process that raises ends the run within the timeout, its error shown ----------------


class BrokenOnRankOne(torch.utils.data.Dataset):
    """Photos that rank 1 cannot read after the first batch."""

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if int(os.environ["RANK"]) == 1 and index not in (1, 3):
            raise RuntimeError(f"photo {index} is broken on rank 1")
        generator = torch.Generator().manual_seed(index)
        image = torch.randn(3, 16, 16, generator=generator)
        return image, (image[:1] > 0).float()


def train_with_a_broken_photo(timeout_s: float) -> int:
    from unet_tutorial.models import create_model
    from unet_tutorial.training.distributed import process_group, train_sampler
    from unet_tutorial.training.trainer import TrainConfig, Trainer

    with process_group("cpu", timeout_s) as (processes, device):
        data = BrokenOnRankOne()
        sampler = train_sampler(data, processes, seed=0)
        loader = torch.utils.data.DataLoader(data, batch_size=1, sampler=sampler)
        model = create_model("unet", base_channels=2, depth=1)
        config = TrainConfig(epochs=3, min_epochs=1)
        trainer = Trainer(model, config, device=device, processes=processes, verbose=False)
        trainer.fit(loader, torch.utils.data.DataLoader(data, batch_size=4))
    return 0


def test_a_failing_process_ends_the_run_with_its_error(tmp_path):
    began = time.monotonic()
    results = run_ranks(tmp_path, train_with_a_broken_photo, 5.0, limit=60.0)
    seconds = time.monotonic() - began
    assert all(code != 0 for code, _, _ in results), results
    assert "RuntimeError: photo" in results[1][2] and "is broken on rank 1" in results[1][2]
    assert "RuntimeError" in results[0][2], "rank 0 ended without naming an error"
    assert seconds < 60
