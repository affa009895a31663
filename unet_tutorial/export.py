"""ONNX export of a trained checkpoint, so the model runs outside PyTorch (onnxruntime, ...).

``python -m unet_tutorial export --checkpoint best.pt --onnx model.onnx`` writes one ONNX file
whose input ``images`` is a batch ``N×3×H×W`` of photos normalised as the network saw them in
training (RGB scaled to [0, 1], then minus the ImageNet mean, divided by its standard
deviation; the file's metadata repeats these numbers) and whose output ``logits`` is
``N×C×H×W``: one logit per pixel for a binary model (water where it is above 0), one per class
otherwise (the class is the argmax). N, H and W are **dynamic**: any batch size and any height
and width of at least the network's size multiple (16 for the book's networks).

How: the padded networks pad their input to a multiple of ``2**depth`` and crop the output back
(:mod:`unet_tutorial.models.padding`), with Python arithmetic that an export would freeze at the
example's size. :class:`PaddedForExport` therefore pads with traced tensor arithmetic before the
network (reflection, as the network itself pads), so the network always sees a multiple and its
own padding is a no-op; the export traces that once. The paper's valid-convolution U-Net
accepts only certain sizes and is exported at its training size S×S.

:func:`check_onnx` runs the file with onnxruntime on a few inputs and returns the largest
absolute difference from PyTorch's logits. ``onnx`` and ``onnxruntime`` are optional
dependencies (``pip install "unet-tutorial[export]"``); without them the export stops with a
message naming the missing package.
"""

from __future__ import annotations

import importlib.util
import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from unet_tutorial.data.transforms import IMAGENET_MEAN, IMAGENET_STD
from unet_tutorial.models.registry import size_multiple

OPSET = 17
"""The ONNX operator set the export targets (onnxruntime 1.14 and newer run it)."""

TOLERANCE = 1e-4
"""Largest absolute logit difference between PyTorch and onnxruntime the check accepts."""


class ExportError(RuntimeError):
    """The export cannot run (a missing package) or its check failed."""


def require_onnx() -> None:
    """Raise :class:`ExportError` naming ``onnx`` / ``onnxruntime`` when one is not installed."""
    missing = [name for name in ("onnx", "onnxruntime") if importlib.util.find_spec(name) is None]
    if missing:
        raise ExportError(
            f"export needs the package(s) {' and '.join(missing)}, which are not installed: "
            'pip install "unet-tutorial[export]" (or pip install onnx onnxruntime).'
        )


class PaddedForExport(nn.Module):
    """``model`` with its padding to a multiple of ``multiple`` done in traceable arithmetic.

    Shapes: ``N×3×H×W`` → ``N×C×H×W`` for any H, W of at least ``multiple``; the same logits as
    ``model`` (it pads by reflection too, then crops back).
    """

    def __init__(self, model: nn.Module, multiple: int) -> None:
        super().__init__()
        self.model = model
        self.multiple = multiple

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        height, width = images.shape[-2], images.shape[-1]
        pad_h = (self.multiple - height % self.multiple) % self.multiple
        pad_w = (self.multiple - width % self.multiple) % self.multiple
        padded = F.pad(images, (0, pad_w, 0, pad_h), mode="reflect")
        return self.model(padded)[..., :height, :width]


def onnx_metadata(meta: dict[str, Any], multiple: int | None) -> dict[str, str]:
    """What the ONNX file says about itself (``metadata_props``): how to prepare its input
    and read its output."""
    classes = meta.get("classes")
    return {
        "unet_tutorial": json.dumps(
            {
                "model": meta.get("model"),
                "image_size": meta.get("image_size"),
                "classes": classes,
                "output": "one logit per pixel (water where > 0)"
                if not classes
                else "one logit per class (argmax = class)",
                "input": "RGB in [0, 1], minus mean, divided by std",
                "mean": list(IMAGENET_MEAN),
                "std": list(IMAGENET_STD),
                "min_side": multiple,
                "dynamic_height_width": multiple is not None,
            }
        )
    }


def export_onnx(
    model: nn.Module, path: str | Path, image_size: int, meta: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Write ``model`` (on the CPU, in eval mode) to the ONNX file ``path``.

    Returns:
        ``{"path", "dynamic" (H and W dynamic), "min_side", "opset"}``.

    Raises:
        ExportError: without ``onnx``/``onnxruntime``, or when PyTorch cannot export the model.
    """
    require_onnx()
    import onnx

    model = model.to("cpu", memory_format=torch.contiguous_format).eval()
    multiple = size_multiple(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    example = torch.zeros(1, 3, image_size, image_size)
    axes = {0: "batch"} if multiple is None else {0: "batch", 2: "height", 3: "width"}
    wrapped = model if multiple is None else PaddedForExport(model, multiple)
    options: dict[str, Any] = {
        "input_names": ["images"],
        "output_names": ["logits"],
        "dynamic_axes": {"images": axes, "logits": axes},
        "opset_version": OPSET,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python arithmetic on shapes
        try:
            try:
                torch.onnx.export(wrapped, (example,), str(path), dynamo=False, **options)
            except TypeError:  # a PyTorch without the `dynamo` switch: the tracing exporter
                torch.onnx.export(wrapped, (example,), str(path), **options)
        except Exception as error:  # noqa: BLE001 -- any exporter failure, reported as one
            raise ExportError(f"PyTorch could not export the model: {error}") from error
    exported = onnx.load(str(path))
    for key, value in onnx_metadata(meta or {}, multiple).items():
        entry = exported.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(exported, str(path))
    return {"path": path, "dynamic": multiple is not None, "min_side": multiple, "opset": OPSET}


@torch.no_grad()
def check_onnx(path: str | Path, model: nn.Module, inputs: Sequence[torch.Tensor]) -> float:
    """The largest absolute difference between onnxruntime's and PyTorch's logits (CPU,
    float32) over ``inputs`` (each ``N×3×H×W``)."""
    require_onnx()
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    model = model.to("cpu", memory_format=torch.contiguous_format).eval()
    largest = 0.0
    for images in inputs:
        expected = model(images.float()).numpy()
        (got,) = session.run(["logits"], {"images": images.float().numpy()})
        if got.shape != expected.shape:
            raise ExportError(f"onnxruntime gave shape {got.shape}, PyTorch {expected.shape}.")
        largest = max(largest, float(np.abs(got - expected).max()))
    return largest
