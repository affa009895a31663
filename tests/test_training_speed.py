"""unet_tutorial.training.speed: the timer, training and inference throughput, the timed loader."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from unet_tutorial.training.speed import (
    TimedLoader,
    inference_throughput,
    timed,
    training_throughput,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_timed_loader_counts_images_and_passes_attributes_through() -> None:
    loader = torch.utils.data.DataLoader(
        [(torch.zeros(3, 4, 4), torch.zeros(1, 4, 4))] * 5, batch_size=2
    )
    timed = TimedLoader(loader)
    assert len(timed) == 3 and timed.dataset is loader.dataset
    for _ in range(2):
        assert sum(len(batch[0]) for batch in timed) == 5
    assert timed.images == 10 and timed.seconds > 0 and timed.images_per_second > 0


def test_inference_throughput_is_positive_and_leaves_eval_mode() -> None:
    model = nn.Sequential(nn.Conv2d(3, 1, 3, padding=1), nn.Dropout(0.5))
    assert inference_throughput(model, 2, 8) > 0
    assert not model.training


def test_timed_warms_up_first_and_times_each_call() -> None:
    calls = []
    seconds = timed(lambda: calls.append(1), torch.device("cpu"), repeats=3, warmup=2)
    assert len(calls) == 5 and len(seconds) == 3 and all(s >= 0 for s in seconds)


def test_training_throughput_trains_the_model_it_is_given() -> None:
    torch.manual_seed(0)
    model = nn.Conv2d(3, 1, 3, padding=1)
    before = model.weight.detach().clone()
    assert training_throughput(model, 8, batch_size=2, steps=2, device="cpu") > 0
    assert not torch.equal(before, model.weight)
