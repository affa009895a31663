"""Small fixes to the HTML that Jupyter Book 1's Sphinx stack writes, found by tests/browser.

- Inline scripts added by extensions after the builder started (sphinx-thebe's
  ``const THEBE_JS_URL = ...``) are written twice by Sphinx 7.4; the second ``const`` is a
  JavaScript SyntaxError in every reader's console. Each page keeps one copy of each script.
- A figure image without alt text gets docutils' fallback, its file name, which a screen reader
  reads out; inside a captioned figure (e.g. a ``glue:figure``) it gets the caption instead.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx


def _script_key(script: Any) -> tuple[str, ...]:
    attributes = getattr(script, "attributes", None)
    if attributes is None:  # older Sphinx: plain file names
        return (str(script),)
    filename = getattr(script, "filename", None) or ""
    return (filename, *sorted(f"{name}={value}" for name, value in attributes.items()))


def drop_duplicate_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    seen: set[tuple[str, ...]] = set()
    unique = []
    for script in context.get("script_files", []):
        if (key := _script_key(script)) not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def alt_from_caption(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for figure in doctree.findall(nodes.figure):
        caption = next(iter(figure.findall(nodes.caption)), None)
        if caption is None or not caption.astext().strip():
            continue
        for image in figure.findall(nodes.image):
            if not image.get("alt"):
                image["alt"] = " ".join(caption.astext().split())


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    app.connect("doctree-resolved", alt_from_caption)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
