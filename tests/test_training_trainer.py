"""unet_tutorial.training.trainer: it learns, stops early on the best weights, checkpoints,
resumes exactly."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from unet_tutorial.training.callbacks import PredictionRecorder
from unet_tutorial.training.checkpoint import load_checkpoint
from unet_tutorial.training.trainer import TrainConfig, Trainer, learning_rate

pytestmark = pytest.mark.usefixtures("one_thread")


class TinyNet(nn.Module):
    """A two-layer fully convolutional net with dropout: N×3×H×W -> N×1×H×W."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Dropout2d(0.1))
        self.head = nn.Conv2d(8, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def colour_data(n: int = 8, size: int = 16, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Images whose 'water' is where the blue channel beats the red one: learnable per pixel."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(n, 3, size, size, generator=g)
    masks = (images[:, 2:3] > images[:, 0:1]).float()
    return images, masks


def new_model(seed: int = 0) -> TinyNet:
    torch.manual_seed(seed)
    return TinyNet()


def loaders(seed: int = 0) -> tuple[DataLoader, DataLoader]:
    images, masks = colour_data(12, seed=seed)
    train = DataLoader(
        TensorDataset(images[:8], masks[:8]),
        batch_size=4,
        shuffle=True,
        generator=torch.Generator().manual_seed(1),
    )
    val = DataLoader(TensorDataset(images[8:], masks[8:]), batch_size=4)
    return train, val


def fit(model, train, val, config, *, resume=False, **options):
    return Trainer(model, config, **options).fit(train, val, resume=resume)


def without_seconds(history: list[dict]) -> list[dict]:
    return [{k: v for k, v in record.items() if k != "seconds"} for record in history]


def test_overfits_one_batch() -> None:
    batch = colour_data(4)
    config = TrainConfig(epochs=40, lr=3e-2, patience=1000, min_epochs=1)
    result = fit(new_model(), [batch], [batch], config, device="cpu", verbose=False)
    losses = result.column("train_loss")
    assert losses[-1] < 0.3 * losses[0]
    assert result.best["val_iou"] > 0.9
    assert result.best_epoch == min(range(1, 41), key=lambda e: result.history[e - 1]["val_loss"])


def test_early_stopping_restores_the_best_weights(tmp_path) -> None:
    images, masks = colour_data(4)
    # Validating on inverted masks: the better the model learns, the worse validation gets.
    inverted = [(images, 1 - masks)]
    snapshots: dict[int, dict[str, torch.Tensor]] = {}

    def snapshot(trainer: Trainer, record: dict) -> None:
        snapshots[record["epoch"]] = {k: v.clone() for k, v in trainer.model.state_dict().items()}

    config = TrainConfig(epochs=50, lr=1e-2, patience=3, min_epochs=6)
    trainer = Trainer(
        new_model(), config, device="cpu", run_dir=tmp_path, callbacks=[snapshot], verbose=False
    )
    result = trainer.fit([(images, masks)], inverted)
    val_losses = result.column("val_loss")
    best = min(range(len(val_losses)), key=val_losses.__getitem__) + 1
    assert result.stopped_early
    assert result.best_epoch == best
    assert result.epochs_run == max(config.min_epochs, best + config.patience)
    final = trainer.model.state_dict()
    assert all(torch.equal(final[k], snapshots[best][k]) for k in final)
    assert not all(torch.equal(final[k], snapshots[result.epochs_run][k]) for k in final)
    saved = load_checkpoint(tmp_path / "best.pt")
    assert saved["epoch"] == best
    assert all(torch.equal(final[k], saved["model"][k]) for k in final)


def test_min_epochs_delays_stopping() -> None:
    images, masks = colour_data(4)
    config = TrainConfig(epochs=12, lr=1e-2, patience=1, min_epochs=9)
    result = fit(new_model(), [(images, masks)], [(images, 1 - masks)], config, verbose=False)
    assert result.epochs_run >= 9


@pytest.mark.parametrize(
    ("schedule", "weight_decay", "ema"),
    [("constant", 0.0, 0.0), ("cosine", 0.0, 0.0), ("cosine", 0.05, 0.8)],
)
def test_resume_reproduces_the_uninterrupted_run(
    tmp_path, schedule: str, weight_decay: float, ema: float
) -> None:
    config = TrainConfig(
        epochs=4,
        lr=1e-2,
        patience=10,
        min_epochs=1,
        schedule=schedule,
        weight_decay=weight_decay,
        ema=ema,
    )
    probe = colour_data(1, seed=5)[0][0]

    train, val = loaders()
    recorder = PredictionRecorder(probe)
    whole = Trainer(
        new_model(),
        config,
        device="cpu",
        run_dir=tmp_path / "a",
        callbacks=[recorder],
        verbose=False,
    )
    expected = whole.fit(train, val)

    class Disconnect(Exception):
        pass

    def disconnect_at_epoch_3(trainer: Trainer, record: dict) -> None:
        if record["epoch"] == 3:
            raise Disconnect

    train, val = loaders()
    interrupted = Trainer(
        new_model(),
        config,
        device="cpu",
        run_dir=tmp_path / "b",
        callbacks=[PredictionRecorder(probe), disconnect_at_epoch_3],
        verbose=False,
    )
    with pytest.raises(Disconnect):
        interrupted.fit(train, val)
    assert load_checkpoint(tmp_path / "b" / "last.pt")["epoch"] == 2

    train, val = loaders()
    resumed_recorder = PredictionRecorder(probe)
    # A different initialisation proves the weights come from last.pt, not from the constructor.
    resumed = Trainer(
        new_model(seed=123),
        config,
        device="cpu",
        run_dir=tmp_path / "b",
        callbacks=[resumed_recorder],
        verbose=False,
    )
    result = resumed.fit(train, val, resume=True)

    assert without_seconds(result.history) == without_seconds(expected.history)
    assert result.best_epoch == expected.best_epoch
    for key, value in whole.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[key], value, rtol=0, atol=0)
    assert resumed_recorder.epochs == [1, 2, 3, 4]
    assert torch.equal(resumed_recorder.probabilities, recorder.probabilities)
    saved_a = load_checkpoint(tmp_path / "a" / "last.pt")["optimizer"]["state"]
    saved_b = load_checkpoint(tmp_path / "b" / "last.pt")["optimizer"]["state"]
    for index, state in saved_a.items():
        torch.testing.assert_close(saved_b[index]["exp_avg"], state["exp_avg"], rtol=0, atol=0)


def test_weight_average_is_what_validation_scores_and_the_run_keeps(tmp_path) -> None:
    train, val = loaders()
    raw: dict[int, dict[str, torch.Tensor]] = {}

    def keep_raw(trainer: Trainer, record: dict) -> None:
        raw[record["epoch"]] = {k: v.clone() for k, v in trainer.model.state_dict().items()}

    config = TrainConfig(epochs=3, lr=1e-2, patience=10, min_epochs=1, ema=0.7)
    trainer = Trainer(
        new_model(), config, device="cpu", run_dir=tmp_path, callbacks=[keep_raw], verbose=False
    )
    assert isinstance(trainer.optimizer, torch.optim.Adam)
    result = trainer.fit(train, val)
    # 3 epochs of 2 steps: the average saw 6 steps, and it is not the last raw weights.
    assert int(trainer.averaged.n_averaged) == 6
    averaged = trainer.averaged.module.state_dict()
    assert not torch.equal(averaged["head.weight"], raw[3]["head.weight"])
    saved_last = load_checkpoint(tmp_path / "last.pt")
    assert saved_last["averaged_steps"] == 6
    assert torch.equal(saved_last["model"]["head.weight"], averaged["head.weight"])
    assert torch.equal(saved_last["trained"]["head.weight"], raw[3]["head.weight"])
    # The validation scores are the average's, and the kept weights are the best average.
    best = load_checkpoint(tmp_path / "best.pt")
    assert best["epoch"] == result.best_epoch
    kept = trainer.model.state_dict()
    assert all(torch.equal(kept[k], best["model"][k]) for k in kept)
    assert trainer.evaluate(val)["loss"] == pytest.approx(result.best["val_loss"])


def test_weight_decay_makes_adamw() -> None:
    config = TrainConfig(epochs=1, weight_decay=0.01)
    trainer = Trainer(new_model(), config, device="cpu", verbose=False)
    assert isinstance(trainer.optimizer, torch.optim.AdamW)
    assert trainer.optimizer.param_groups[0]["weight_decay"] == 0.01


@pytest.mark.parametrize(("field", "value"), [("ema", 1.0), ("ema", -0.1), ("weight_decay", 1.5)])
def test_config_refuses_impossible_averages_and_decays(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        TrainConfig(epochs=1, **{field: value})


def test_resume_refuses_other_settings(tmp_path) -> None:
    train, val = loaders()
    fit(new_model(), train, val, TrainConfig(epochs=1), run_dir=tmp_path, verbose=False)
    with pytest.raises(ValueError, match="lr"):
        fit(
            new_model(),
            train,
            val,
            TrainConfig(epochs=2, lr=5e-4),
            run_dir=tmp_path,
            resume=True,
            verbose=False,
        )


def test_cosine_resume_refuses_another_length(tmp_path) -> None:
    train, val = loaders()
    config = TrainConfig(epochs=2, schedule="cosine")
    fit(new_model(), train, val, config, run_dir=tmp_path, verbose=False)
    longer = TrainConfig(epochs=4, schedule="cosine")
    with pytest.raises(ValueError, match="epochs"):
        fit(new_model(), train, val, longer, run_dir=tmp_path, resume=True, verbose=False)


def test_learning_rate_schedules() -> None:
    constant = TrainConfig(epochs=10, lr=1e-3)
    assert [learning_rate(constant, e) for e in (1, 5, 10)] == [1e-3] * 3
    cosine = TrainConfig(epochs=10, lr=1e-3, schedule="cosine")
    rates = [learning_rate(cosine, e) for e in range(1, 11)]
    assert rates[0] == pytest.approx(1e-3)
    assert learning_rate(cosine, 6) == pytest.approx(5e-4)  # midway: half
    assert all(a > b for a, b in zip(rates, rates[1:], strict=False))
    assert 0 < rates[-1] < 0.03e-3
    with pytest.raises(ValueError, match="schedule"):
        TrainConfig(epochs=3, schedule="linear")


def test_the_optimiser_follows_the_schedule() -> None:
    config = TrainConfig(epochs=3, lr=1e-2, patience=10, min_epochs=1, schedule="cosine")
    seen: list[float] = []

    def read_rate(trainer: Trainer, record: dict) -> None:
        seen.append(trainer.optimizer.param_groups[0]["lr"])

    train, val = loaders()
    Trainer(new_model(), config, device="cpu", callbacks=[read_rate], verbose=False).fit(train, val)
    assert seen == pytest.approx([learning_rate(config, e) for e in (1, 2, 3)])


def test_checkpoints_round_trip_with_weights_only(tmp_path) -> None:
    train, val = loaders()
    model = new_model()
    meta = {"profile": "test", "image_size": 16, "model": {"name": "TinyNet", "kwargs": {}}}
    result = fit(
        model,
        train,
        val,
        TrainConfig(epochs=2),
        run_dir=tmp_path,
        device="cpu",
        meta=meta,
        verbose=False,
    )
    for name in ("best.pt", "last.pt"):
        checkpoint = torch.load(tmp_path / name, weights_only=True)
        assert {"model", "optimizer", "epoch", "history", "config", "meta"} <= set(checkpoint)
        assert checkpoint["meta"] == meta
        assert checkpoint["config"]["epochs"] == 2
    last = torch.load(tmp_path / "last.pt", weights_only=True)
    assert last["epoch"] == 2 and len(last["history"]) == 2
    assert last["history"][0]["train_loss"] == result.history[0]["train_loss"]
    best = torch.load(tmp_path / "best.pt", weights_only=True)
    copy = new_model(seed=7)
    copy.load_state_dict(best["model"])
    copy.eval()
    model.eval()
    x = colour_data(2, seed=3)[0]
    torch.testing.assert_close(copy(x), model.cpu()(x))


def test_frozen_parameters_stay_frozen() -> None:
    model = new_model()
    model.features.requires_grad_(False)
    before = {k: v.clone() for k, v in model.features.state_dict().items()}
    fit(model, *loaders(), TrainConfig(epochs=2, lr=1e-2), device="cpu", verbose=False)
    assert all(torch.equal(model.features.state_dict()[k], v) for k, v in before.items())
    model.requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        Trainer(model, TrainConfig(epochs=1), device="cpu")


def test_progress_is_one_line_per_epoch(capsys) -> None:
    fit(new_model(), *loaders(), TrainConfig(epochs=3), device="cpu")
    lines = capsys.readouterr().out.splitlines()
    epoch_lines = [line for line in lines if line.startswith("epoch ")]
    assert len(epoch_lines) == 3
    assert epoch_lines[0].startswith("epoch 1/3")
    header = lines[lines.index(epoch_lines[0]) - 1]
    assert "val IoU" in header and "train loss" in header


def test_config_validates_its_settings() -> None:
    with pytest.raises(ValueError, match="monitor"):
        TrainConfig(epochs=1, monitor="val_acc")
    with pytest.raises(ValueError, match="'focal'"):
        TrainConfig(epochs=1, loss="focal")


def test_a_step_callback_sees_every_step_with_its_gradients() -> None:
    images, masks = colour_data(8)
    batches = [(images[:4], masks[:4]), (images[4:], masks[4:])]
    seen = []
    trainer = Trainer(new_model(), TrainConfig(epochs=1), device="cpu", verbose=False)

    def record(loss: torch.Tensor) -> None:
        seen.append((float(loss), float(trainer.model.head.weight.grad.norm())))

    mean = trainer.train_one_epoch(batches, on_step=record)
    assert len(seen) == 2 and all(grad > 0 for _, grad in seen)
    assert mean == pytest.approx(sum(loss for loss, _ in seen) / 2, rel=1e-6)
