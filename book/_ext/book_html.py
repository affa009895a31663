"""Small fixes to the HTML that Jupyter Book 1's Sphinx stack writes, found by tests/browser.

- Inline scripts added by extensions after the builder started (sphinx-thebe's
  ``const THEBE_JS_URL = ...``) are written twice by Sphinx 7.4; the second ``const`` is a
  JavaScript SyntaxError in every reader's console. Each page keeps one copy of each script.
- A figure image without alt text gets docutils' fallback, its file name, which a screen reader
  reads out; inside a captioned figure (e.g. a ``glue:figure``) it gets the caption instead.
- ``nb_merge_streams`` (myst-nb 1.4) merges a cell's stream outputs of one name into the first
  of them, in place, while rendering; the executed notebook the page offers for download
  (``_sources/.../*.ipynb``) keeps the others too, so it printed their lines twice. Each cell
  of those notebooks keeps one stream output per name, holding all of its text once.
"""

from __future__ import annotations

import json
from pathlib import Path
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


def one_stream_per_name(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A cell's outputs with each stream (stdout, stderr) in one output, its text once.

    ``nb_merge_streams`` appended each later output of a name, as ``text.rstrip() + "\\n"``, to
    the first one. Where the first output ends with exactly that, the later ones are leftovers
    and go; otherwise (a notebook the merge never touched) their text is appended here.
    """
    streams: dict[str, list[dict[str, Any]]] = {}
    kept = []
    for output in outputs:
        if output.get("output_type") != "stream":
            kept.append(output)
        elif output["name"] in streams:
            streams[output["name"]].append(output)
        else:
            streams[output["name"]] = [output]
            kept.append(output)
    for first, *later in streams.values():
        if not later:
            continue
        text = "".join(first.get("text", ""))
        appended = "".join(
            f"{part.rstrip()}\n"
            for part in ("".join(o.get("text", "")) for o in later)
            if part.rstrip()
        )
        merged = text.endswith(appended) and text[: len(text) - len(appended)].strip()
        if not merged:
            text = text.rstrip("\n") + "\n" + appended
        first["text"] = text
    return kept


def downloadable_notebooks_print_once(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or not app.config.nb_merge_streams:
        return
    for path in Path(app.outdir, "_sources").rglob("*.ipynb"):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        before = json.dumps(notebook)
        for cell in notebook.get("cells", []):
            if cell.get("outputs"):
                cell["outputs"] = one_stream_per_name(cell["outputs"])
        if json.dumps(notebook) != before:
            path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", "utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    app.connect("doctree-resolved", alt_from_caption)
    app.connect("build-finished", downloadable_notebooks_print_once)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
