"""How a photo becomes the network's input: shrinking, augmentation and normalisation
(albumentations), and ``denormalize`` for display.

Every photo is shrunk to S×S once (:func:`shrink_to_square`: Pillow's Lanczos filter, which
averages the many source pixels behind each output pixel), for training, evaluation and
prediction alike (:func:`photo_to_input`); the pipelines below then act on S×S arrays.

Geometric transforms act on the image and the mask together, so they stay aligned; masks are
always resized with nearest neighbour so they stay 0/1. Colour transforms act on the image only
and come *before* ``Normalize``: brightness and contrast are meant for 0-255 pixels, and on
normalised values they would shift the ImageNet statistics the encoder expects (the original
tutorial had this order backwards; :func:`original_transforms` keeps it for the benchmark).
"""

from __future__ import annotations

import os
import random

# albumentations looks for a newer release on PyPI at import time and warns on stderr when it
# cannot reach it (offline machines, CI): the book does not want that warning in its pages.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import albumentations as A  # noqa: E402
import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from albumentations.pytorch import ToTensorV2  # noqa: E402
from PIL import Image  # noqa: E402

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def shrink_to_square(image: Image.Image | np.ndarray, image_size: int) -> np.ndarray:
    """A photo shrunk (or enlarged) to ``image_size``×``image_size``: S×S×3 uint8 RGB.

    The aspect ratio is not kept, as in the original tutorial: the network sees the whole photo.
    """
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    size = (image_size, image_size)
    return np.array(image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0), np.uint8)


def shrink_mask_to_square(mask: np.ndarray, image_size: int) -> np.ndarray:
    """A mask resized to S×S by nearest neighbour, so it keeps its values (0/1 or class ids)."""
    size = (image_size, image_size)
    return np.array(Image.fromarray(mask).resize(size, Image.Resampling.NEAREST), np.uint8)


def photo_to_input(image: Image.Image | np.ndarray, image_size: int) -> torch.Tensor:
    """The network's input for one photo: shrunk to S×S, normalised, ``3×S×S`` float32.

    Exactly what the datasets give the network for an evaluation sample.
    """
    small = shrink_to_square(image, image_size)
    return eval_transforms(image_size)(image=small)["image"].float()


def photo_to_tensor(image: np.ndarray) -> torch.Tensor:
    """A photo (or a tile of one) as the network's input at its own size: ``3×H×W`` float32,
    normalised as :func:`photo_to_input` normalises, without any resizing."""
    pipeline = A.Compose([A.Normalize(mean=IMAGENET_MEAN, std=IMAGENET_STD), ToTensorV2()])
    return pipeline(image=np.ascontiguousarray(image, np.uint8))["image"].float()


def reseed(pipeline: A.Compose, seed: int) -> A.Compose:
    """Make ``pipeline``'s random draws a function of ``seed``: all its transforms share one
    NumPy and one Python generator seeded with it, drawing from them in turn.

    Why not ``A.Compose(..., seed=seed)``: albumentations 2 then gives every transform its own
    generator *with the same seed*, so two steps of the same probability draw the same number
    and always act together (the original's two flips: the image only ever kept or turned by
    180°; here the flip and the shift-scale-rotate step).
    """
    pipeline.set_random_state(np.random.default_rng(seed), random.Random(seed))
    return pipeline


def _resize(image_size: int) -> A.Resize:
    return A.Resize(
        image_size,
        image_size,
        interpolation=cv2.INTER_AREA,
        mask_interpolation=cv2.INTER_NEAREST,
    )


def train_transforms(
    image_size: int,
    *,
    shift_scale_rotate: bool = False,
    color: bool = True,
    normalize: bool = True,
    seed: int | None = None,
) -> A.Compose:
    """Training pipeline: resize, a horizontal flip (p=0.5), optional shift-scale-rotate,
    brightness/contrast (±0.4), then Normalize (ImageNet) and ToTensorV2.

    No vertical flip (the original flipped both ways with p=0.75 each): an upside-down street
    photo, sky below and water above, is a view no test photo shows; a mirrored one is common.

    Args:
        image_size: output side S; images come out as 3×S×S float tensors, masks as S×S.
        shift_scale_rotate: add a random shift (±6 %), scale (0.9-1.1) and rotation (±15°).
        color: add the brightness/contrast change.
        normalize: end with Normalize + ToTensorV2 (``False`` keeps uint8 H×W×3 arrays, for
            figures).
        seed: seeds the pipeline's random draws (see :func:`reseed`; ``None``: fresh entropy).
            The datasets of this package reseed it for every sample from PyTorch's generator,
            so ``torch.manual_seed`` fixes the augmentations.
    """
    steps: list = [
        A.Resize(
            image_size,
            image_size,
            interpolation=cv2.INTER_AREA,
            mask_interpolation=cv2.INTER_NEAREST,
        ),
        A.HorizontalFlip(p=0.5),
    ]
    if shift_scale_rotate:
        # ShiftScaleRotate is deprecated in albumentations 2; Affine does the same job.
        steps.append(
            A.Affine(
                translate_percent=(-0.0625, 0.0625),
                scale=(0.9, 1.1),
                rotate=(-15, 15),
                interpolation=cv2.INTER_LINEAR,
                mask_interpolation=cv2.INTER_NEAREST,
                border_mode=cv2.BORDER_REFLECT_101,
                p=0.5,
            )
        )
    if color:
        steps.append(A.RandomBrightnessContrast(brightness_limit=0.4, contrast_limit=0.4, p=1.0))
    if normalize:
        steps += [A.Normalize(mean=IMAGENET_MEAN, std=IMAGENET_STD), ToTensorV2()]
    pipeline = A.Compose(steps)
    return pipeline if seed is None else reseed(pipeline, seed)


def eval_transforms(image_size: int, *, normalize: bool = True) -> A.Compose:
    """Evaluation pipeline: resize (mask by nearest neighbour), Normalize, ToTensorV2."""
    steps: list = [_resize(image_size)]
    if normalize:
        steps += [A.Normalize(mean=IMAGENET_MEAN, std=IMAGENET_STD), ToTensorV2()]
    return A.Compose(steps)


def original_transforms(image_size: int = 224, seed: int | None = None) -> A.Compose:
    """The original tutorial's training pipeline, order included (Normalize before the colour
    change): kept only to compare speed and to show the pitfall."""
    pipeline = A.Compose(
        [
            A.Resize(image_size, image_size),
            A.HorizontalFlip(p=0.75),
            A.VerticalFlip(p=0.75),
            A.Normalize(mean=IMAGENET_MEAN, std=IMAGENET_STD),
            A.RandomBrightnessContrast(brightness_limit=0.4, contrast_limit=0.4, p=1.0),
            ToTensorV2(),
        ]
    )
    return pipeline if seed is None else reseed(pipeline, seed)


def denormalize(images: torch.Tensor) -> torch.Tensor:
    """Undo ImageNet normalisation for display: 3×H×W or N×3×H×W in, same shape in [0, 1] out."""
    if images.ndim not in (3, 4) or images.shape[-3] != 3:
        raise ValueError(f"expected 3×H×W or N×3×H×W images, got shape {tuple(images.shape)}")
    shape = (3, 1, 1)
    mean = torch.tensor(IMAGENET_MEAN, dtype=images.dtype, device=images.device).view(shape)
    std = torch.tensor(IMAGENET_STD, dtype=images.dtype, device=images.device).view(shape)
    return (images * std + mean).clamp(0, 1)
