"""``python -m unet_tutorial``: the command line (see :mod:`unet_tutorial.cli`)."""

from unet_tutorial.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
