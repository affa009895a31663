"""Multi-class segmentation: class tables and masks, losses, metrics, training and evaluation."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from unet_tutorial.data.io import MaskValuesError, binarize_mask, read_mask
from unet_tutorial.data.masks import (
    ClassTable,
    class_mask_image,
    describe_masks,
    parse_color,
    read_class_mask,
    resolve_class_table,
)
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


# -- tables and masks ---------------------------------------------------------------------------


def test_class_table_from_json_with_values_and_colours(tmp_path):
    path = tmp_path / "classes.json"
    path.write_text(json.dumps({"classes": [{"name": "pet", "value": 1}, "bg", {"value": 3}]}))
    with pytest.raises(ValueError, match="its own mask value"):
        ClassTable.from_json(path)  # "bg" takes value 1 (its position) like "pet"
    path.write_text(json.dumps({"classes": [{"name": "pet", "value": 1}, {"value": 2}]}))
    table = ClassTable.from_json(path)
    assert table.values == (1, 2) and table.names == ("pet", "class 1")
    path.write_text(json.dumps({"classes": [{"color": [0, 0, 0]}, {"name": "w"}]}))
    with pytest.raises(ValueError, match="every class has a mask colour"):
        ClassTable.from_json(path)
    assert ClassTable.from_dict(table.to_dict()) == table


def test_colour_options_and_parse_color():
    table = ClassTable.from_color_options(["0,0,0=0", "#0000ff=1", "255 0 0 = 2"])
    assert table.colors == ((0, 0, 0), (0, 0, 255), (255, 0, 0)) and table.kind == "colour"
    assert parse_color("#ff8000") == (255, 128, 0)
    with pytest.raises(ValueError, match="classes must be 0 .. 1"):
        ClassTable.from_color_options(["0,0,0=0", "1,1,1=2"])
    with pytest.raises(ValueError, match="not a colour"):
        parse_color("blue")


def test_resolve_class_table_order(tmp_path):
    assert resolve_class_table() is None and resolve_class_table(1) is None
    assert resolve_class_table(3).num_classes == 3
    (tmp_path / "classes.json").write_text(json.dumps({"classes": ["a", "b"]}))
    assert resolve_class_table(None, None, tmp_path).names == ("a", "b")
    assert resolve_class_table(1, None, tmp_path) is None  # --classes 1: binary
    with pytest.raises(ValueError, match="disagrees"):
        resolve_class_table(3, None, tmp_path)


@pytest.mark.parametrize("kind", ["L", "P", "I;16"])
def test_index_masks_are_read_by_value_not_by_palette_colour(tmp_path, kind):
    path = tmp_path / "m.png"
    table = ClassTable(("a", "b", "c"))
    if kind == "P":
        image = class_mask_image(LABELS, table)  # colours grey, blue, orange
    elif kind == "L":
        image = Image.fromarray(LABELS)
    else:
        image = Image.fromarray(LABELS.astype(np.uint16))
    image.save(path)
    assert np.array_equal(read_class_mask(path, table), LABELS)


def test_value_tables_and_colour_masks(tmp_path):
    Image.fromarray(LABELS + 1).save(tmp_path / "trimap.png")  # values 1, 2, 3
    table = ClassTable(("pet", "bg", "border"), values=(1, 2, 3))
    assert np.array_equal(read_class_mask(tmp_path / "trimap.png", table), LABELS)
    colours = ClassTable.from_color_options(["0,0,0=0", "0,0,255=1", "255,0,0=2"])
    rgb = np.asarray(colours.colors, np.uint8)[LABELS]
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    assert np.array_equal(read_class_mask(tmp_path / "rgb.png", colours), LABELS)


def test_unknown_values_are_named_with_advice(tmp_path):
    Image.fromarray(LABELS).save(tmp_path / "m.png")
    with pytest.raises(MaskValuesError, match=r"m.png.*value\(s\) 2 .*--classes 3"):
        read_class_mask(tmp_path / "m.png", ClassTable.default(2))
    Image.fromarray((LABELS > 0).astype(np.uint8) * 255).save(tmp_path / "b.png")
    with pytest.raises(MaskValuesError, match="binary: leave out --classes"):
        read_class_mask(tmp_path / "b.png", ClassTable.default(2))
    rgb = np.zeros((2, 4, 3), np.uint8)
    rgb[0, 0] = (10, 20, 30)
    Image.fromarray(rgb).save(tmp_path / "c.png")
    with pytest.raises(MaskValuesError, match="colour mask"):
        read_class_mask(tmp_path / "c.png", ClassTable.default(2))


def test_binary_reading_refuses_class_masks_instead_of_binarising_them(tmp_path):
    with pytest.raises(MaskValuesError, match="--classes 3"):
        binarize_mask(LABELS)
    Image.fromarray(LABELS).save(tmp_path / "m.png")
    with pytest.raises(MaskValuesError, match="m.png"):
        read_mask(tmp_path / "m.png")
    class_mask_image(LABELS, ClassTable.default(3)).save(tmp_path / "p.png")
    with pytest.raises(MaskValuesError, match="palette mask using 3 palette entries"):
        read_mask(tmp_path / "p.png")
    red = np.zeros((2, 4, 3), np.uint8)
    red[:, 2:] = (255, 0, 0)
    Image.fromarray(red).save(tmp_path / "red.png")
    with pytest.raises(MaskValuesError, match="colour mask"):
        read_mask(tmp_path / "red.png")
    # 0/1, 0/255 and anti-aliased masks stay binary
    Image.fromarray((LABELS > 0).astype(np.uint8)).save(tmp_path / "01.png")
    assert read_mask(tmp_path / "01.png").sum() == 6


def test_describe_masks_counts_class_shares(tmp_path):
    table = ClassTable(("a", "b", "c"))
    for n in range(2):
        class_mask_image(LABELS, table).save(tmp_path / f"{n}.png")
    report = describe_masks([(str(n), tmp_path / f"{n}.png") for n in range(2)], table)
    assert report.pixels == {0: 4, 1: 6, 2: 6} and report.masks_with == {0: 2, 1: 2, 2: 2}
    assert not report.problems()
    report = describe_masks([("0", tmp_path / "0.png")], ClassTable.default(2))
    assert report.problems() and "value 2" in report.unknown


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
