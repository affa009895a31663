"""unet_tutorial.inference: logits resized to the photo's own size."""

from __future__ import annotations

import torch

from unet_tutorial.inference import predict_logits, upsample_logits


def test_upsample_logits_keeps_the_boundary_smooth() -> None:
    logits = torch.tensor([[[[-1.0, 1.0]]]])
    up = upsample_logits(logits, (1, 4))
    assert up.shape == (1, 1, 1, 4)
    assert (up[0, 0, 0, :2] < 0).all() and (up[0, 0, 0, 2:] > 0).all()
    assert upsample_logits(logits, (1, 2)) is logits


def test_predict_logits_is_the_model_in_eval_mode_resized() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 3, padding=1), torch.nn.Dropout2d(0.5))
    model.train()
    images = torch.randn(2, 3, 8, 8)
    logits = predict_logits(model, images)
    assert not model.training and logits.dtype == torch.float32 and logits.device.type == "cpu"
    with torch.no_grad():
        torch.testing.assert_close(logits, model(images))
    resized = predict_logits(model, images, (12, 20))
    assert resized.shape == (2, 2, 12, 20)
    torch.testing.assert_close(resized, upsample_logits(logits, (12, 20)))


def test_predict_mask_is_the_predict_commands_path() -> None:
    """Shrink as in training, predict, resize the logits to the photo, threshold: the same
    mask as ``predict_logits`` followed by ``label_map`` (the ``predict`` command's path)."""
    import numpy as np

    from unet_tutorial.data.transforms import photo_to_input
    from unet_tutorial.inference import label_map, predict_mask

    torch.manual_seed(0)
    model = torch.nn.Conv2d(3, 1, 3, padding=1)
    photo = np.random.default_rng(0).integers(0, 256, (37, 53, 3), dtype=np.uint8)
    mask = predict_mask(model, photo, 16)
    expected = label_map(predict_logits(model, photo_to_input(photo, 16)[None]), (37, 53))
    assert mask.shape == (37, 53) and mask.dtype == np.uint8
    assert np.array_equal(mask, expected) and 0 < mask.mean() < 1
    everything = predict_mask(model, photo, 16, threshold=1e-6)
    assert everything.all()
