"""unet_tutorial: the tested code behind the book "U-Net image segmentation".

Each chapter of the book imports this package, so the code a reader sees is the code CI tests.
Modules (one concern each):

- :mod:`unet_tutorial.profiles` -- the smoke / cpu / gpu size profiles the chapters run under.
- :mod:`unet_tutorial.runtime` -- device choice and seeding.
- :mod:`unet_tutorial.paths` -- where the project, its data and its runs live.
- :mod:`unet_tutorial.ops` -- convolution, pooling and transposed convolution written from scratch.
- :mod:`unet_tutorial.viz` -- the figures of the book.
- :mod:`unet_tutorial.sample_images` -- a real photo for the filters of chapter 1.
- :mod:`unet_tutorial.shift` -- how much a one-pixel shift changes a (pooled) map.
- :mod:`unet_tutorial.notebooks` -- keeping the Colab notebooks in step with the MyST chapters.
"""

from unet_tutorial.profiles import Profile, get_profile
from unet_tutorial.runtime import default_device, seed_everything, start_chapter

__version__ = "0.1.0"

__all__ = [
    "Profile",
    "get_profile",
    "default_device",
    "seed_everything",
    "start_chapter",
    "__version__",
]
