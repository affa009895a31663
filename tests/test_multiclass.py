"""Multi-class segmentation: the three-class scenes, losses, metrics, training and evaluation
(class tables and masks: ``test_data_classes.py``, ``test_data_class_masks.py``)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from unet_tutorial.data.synthetic import render_flood_scene, render_scene_classes
from unet_tutorial.evaluation import MulticlassEvaluation, evaluate_native
from unet_tutorial.losses import (
    MulticlassDiceLoss,
    SoftmaxCrossEntropyLoss,
    loss_for_classes,
    make_loss,
)
from unet_tutorial.metrics import MulticlassMetrics, confusion_matrices, multiclass_scores
from unet_tutorial.models import create_model
from unet_tutorial.training.trainer import TrainConfig, Trainer

pytestmark = pytest.mark.usefixtures("one_thread")

LABELS = np.array([[0, 1, 2, 2], [1, 1, 0, 2]], np.uint8)


# -- scenes ---------------------------------------------------------------------------------------


def test_scene_classes_extend_the_water_scene():
    image, labels = render_scene_classes(7, 96, 144)
    same_image, water = render_flood_scene(7, 96, 144)
    assert np.array_equal(image, same_image)
    assert np.array_equal(labels == 1, water == 1)
    assert set(np.unique(labels)) <= {0, 1, 2} and (labels == 2).any()


# -- losses and metrics ---------------------------------------------------------------------------


def test_multiclass_losses():
    logits = torch.randn(2, 3, 5, 6, requires_grad=True)
    targets = torch.randint(0, 3, (2, 1, 5, 6)).float()
    expected = torch.nn.functional.cross_entropy(logits, targets[:, 0].long())
    assert torch.allclose(SoftmaxCrossEntropyLoss()(logits, targets), expected)
    perfect = torch.nn.functional.one_hot(targets[:, 0].long(), 3).permute(0, 3, 1, 2) * 50.0
    assert MulticlassDiceLoss()(perfect, targets) < 1e-3
    loss = make_loss("ce+dice")(logits, targets)
    loss.backward()
    assert logits.grad is not None
    with pytest.raises(ValueError, match="one logit per class"):
        make_loss("ce")(torch.randn(2, 1, 5, 6), targets)
    with pytest.raises(ValueError, match="pos_weight"):
        make_loss("ce", pos_weight=2.0)


def test_loss_for_classes():
    assert loss_for_classes("bce+dice", 3) == "ce+dice" and loss_for_classes("ce", 1) == "bce"
    assert loss_for_classes(None, 1) == "bce+dice" and loss_for_classes("ce", 4) == "ce"


def test_confusion_and_scores_match_torchmetrics():
    from torchmetrics.functional.classification import (
        multiclass_confusion_matrix,
        multiclass_jaccard_index,
    )

    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 3, 8, 9, generator=generator)
    target = torch.randint(0, 3, (4, 8, 9), generator=generator)
    metrics = MulticlassMetrics(3)
    metrics.update(logits, target[:, None].float())
    assert metrics.matrices().shape == (4, 3, 3)
    expected = multiclass_confusion_matrix(logits.argmax(1), target, 3)
    assert torch.equal(metrics.confusion(), expected)
    per_class = multiclass_jaccard_index(logits.argmax(1), target, 3, average="none")
    scores = metrics.compute()
    assert np.allclose(scores["per_class"]["iou"], per_class.numpy())
    assert scores["mean_iou"] == pytest.approx(float(per_class.mean()))


def test_absent_classes_leave_the_means():
    matrix = confusion_matrices(torch.tensor([[0, 0, 1]]), torch.tensor([[0, 0, 1]]), 3)[0]
    scores = multiclass_scores(matrix)
    assert scores["per_class"]["present"] == [True, True, False]
    assert scores["mean_iou"] == 1.0 and scores["pixel_accuracy"] == 1.0


# -- training and evaluation ----------------------------------------------------------------------


def _batches(classes: int = 3):
    generator = torch.Generator().manual_seed(1)
    images = torch.randn(4, 3, 16, 16, generator=generator)
    masks = torch.randint(0, classes, (4, 1, 16, 16), generator=generator).float()
    return [(images, masks)]


def test_trainer_trains_a_multiclass_network():
    torch.manual_seed(0)
    model = create_model("unet", num_classes=3, base_channels=2)
    config = TrainConfig(epochs=2, loss="ce+dice", monitor="val_iou", min_epochs=1)
    result = Trainer(model, config, device="cpu", verbose=False).fit(_batches(), _batches())
    assert len(result.history) == 2
    assert result.history[1]["train_loss"] < result.history[0]["train_loss"]
    # the model holds the best epoch's weights: its validation mean IoU is the one recorded
    with torch.no_grad():
        logits = model.eval()(_batches()[0][0])
    metrics = MulticlassMetrics(3)
    metrics.update(logits, _batches()[0][1])
    assert result.best["val_iou"] == pytest.approx(metrics.compute()["iou"], abs=1e-12)


def test_evaluate_native_scores_classes_at_each_mask_size():
    torch.manual_seed(0)
    model = create_model("unet", num_classes=3, base_channels=2).eval()
    samples = [
        (torch.randn(3, 16, 16), torch.randint(0, 3, (1, 23, 31)).float(), f"s{i}")
        for i in range(3)
    ]
    evaluation = evaluate_native(model, samples, device="cpu", class_names=["a", "b", "c"])
    assert isinstance(evaluation, MulticlassEvaluation)
    assert evaluation.sizes == [(23, 31)] * 3 and evaluation.confusion().sum() == 3 * 23 * 31
    low, high = evaluation.bootstrap("mean_iou", samples=200)
    assert low <= high
    again = MulticlassEvaluation.from_dict(json.loads(json.dumps(evaluation.to_dict())))
    assert again.scores() == evaluation.scores()
    assert len(evaluation.rows()) == 3 and "iou_b" in evaluation.rows()[0]
