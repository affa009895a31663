"""The lines a training run prints: column titles, one line per epoch, the closing line.

One formatter per kind of line, so that a live run (:class:`~.trainer.Trainer`) and a replayed
one (:func:`print_history`) print the same text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def epoch_header(epochs: int) -> str:
    """The column titles printed above the epoch lines (see :func:`epoch_line`)."""
    width = 7 + 2 * len(str(epochs))
    return f"{'epoch':>{width}} | train loss | val loss | val IoU | val Dice | seconds"


def epoch_line(record: Mapping[str, Any], epochs: int) -> str:
    """The progress line of one epoch, under :func:`epoch_header`'s titles, e.g.
    ``epoch   3/100 |     0.4120 |   0.3810 |   0.612 |    0.759 |     4.1 | best`` (``best``:
    the best epoch so far).

    Args:
        record: the epoch's record (keys of :data:`unet_tutorial.training.trainer.HISTORY_KEYS`,
            and ``best``: whether the epoch improved on every earlier one).
        epochs: the most epochs the run may take (the number after the slash).
    """
    width = len(str(epochs))
    return (
        f"epoch {record['epoch']:>{width}}/{epochs}"
        f" | {record['train_loss']:10.4f}"
        f" | {record['val_loss']:8.4f}"
        f" | {record['val_iou']:7.3f}"
        f" | {record['val_dice']:8.3f}"
        f" | {record['seconds']:7.1f}" + (" | best" if record.get("best") else "")
    )


def best_epoch_line(history: Sequence[Mapping[str, Any]], best_epoch: int) -> str:
    """The line that closes a run: the epoch whose weights were kept, and the total time."""
    best = history[best_epoch - 1]
    seconds = sum(record["seconds"] for record in history)
    return (
        f"best epoch {best_epoch}: val loss {best['val_loss']:.4f}, "
        f"val IoU {best['val_iou']:.3f} (weights restored); {seconds:.0f} s in all"
    )


def print_history(history: Sequence[Mapping[str, Any]], best_epoch: int, epochs: int) -> None:
    """Print a finished run's epoch lines again, as the run printed them (without the lines
    before and after them: the device, the parameters, why it stopped)."""
    print(epoch_header(epochs))
    for record in history:
        print(epoch_line(record, epochs))
    print(best_epoch_line(history, best_epoch))
