"""Showing the package's own code on the page: what a chapter teaches is the code that runs.

:func:`show_source` returns the source of a function, method or class of the package (as
:func:`inspect.getsource` reads it from the installed files), highlighted, with a first comment
line saying where it lives. A chapter cell that ends with ``show_source(UNet.forward)`` displays
it in the book and in Jupyter or Colab alike; if the object is renamed or removed, the cell
fails, and so does the chapter's test.
"""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path
from typing import Any


def source_text(obj: Any) -> str:
    """The dedented source of ``obj`` under a comment naming its file and lines, e.g.
    ``# unet_tutorial/models/unet.py, lines 88-106``."""
    target = inspect.unwrap(obj.fget if isinstance(obj, property) else obj)
    lines, first = inspect.getsourcelines(target)
    path = Path(inspect.getsourcefile(target) or "?")
    parts = path.parts
    shown = Path(*parts[parts.index("unet_tutorial") :]) if "unet_tutorial" in parts else path
    where = f"# {shown.as_posix()}, lines {first}-{first + len(lines) - 1}"
    return where + "\n" + textwrap.dedent("".join(lines)).rstrip()


def show_source(obj: Any) -> Any:
    """The source of ``obj`` (see :func:`source_text`), highlighted for a notebook or the book
    (an ``IPython.display.Code`` whose HTML sits in a ``<div class="package-source">``, which the
    book's style sheet sizes to fit the text column; printed, it is plain text)."""
    from IPython.display import Code

    class PackageSource(Code):
        def _repr_html_(self) -> str:
            # Monospace on the wrapper: some notebook front ends give output <pre> no font.
            style = "font-family: var(--jp-code-font-family, monospace)"
            return f'<div class="package-source" style="{style}">{super()._repr_html_()}</div>'

    return PackageSource(source_text(obj), language="python")
