"""Each chapter as a learner meets it in Jupyter or Colab: its notebook, executed in an empty
folder outside the repository (``make nbmake`` does that, under the ``smoke`` profile), exported
to HTML by nbconvert as a notebook front end renders it, and opened in headless Chromium.

A chapter fails when its notebook shows fewer figures than its page in the book, when an image
does not load, or when MyST markup (roles, directives, label targets) shows as text. The counts
per chapter are printed at the end of the run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from book_browser import HERE, NOTEBOOK_FIGURES, WAIT_S
from bs4 import BeautifulSoup


def book_figures(html_dir: Path, chapter: str) -> int:
    """Images in the cell outputs of a chapter's page in the built book."""
    soup = BeautifulSoup((html_dir / f"{chapter}.html").read_text(), "html.parser")
    return len(soup.select(".cell_output img"))


def show_gifs_as_jupyter_does(notebook: nbformat.NotebookNode) -> None:
    """JupyterLab and Colab render an ``image/gif`` output (the training GIF) as an image;
    nbconvert's HTML templates skip it. Give such outputs the ``<img>`` those front ends show."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/gif" in data and "text/html" not in data:
                gif = str(data["image/gif"]).replace("\n", "")
                data["text/html"] = f'<img src="data:image/gif;base64,{gif}" alt="animation">'


@pytest.fixture(scope="session")
def notebook_dir(request: pytest.FixtureRequest) -> Path:
    folder = request.config.getoption("--notebook-dir")
    if not folder:
        pytest.skip("no --notebook-dir: pass the folder of notebooks `make nbmake` executed")
    return Path(folder)


@pytest.fixture(scope="session")
def notebook_html(notebook_dir: Path) -> Callable[[str], Path]:
    """``notebook_html(chapter)``: the executed notebook of a chapter, exported by nbconvert."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exported: dict[str, Path] = {}

    def export(chapter: str) -> Path:
        name = Path(chapter).name
        if name not in exported:
            source = notebook_dir / f"{name}.ipynb"
            if not source.is_file():
                pytest.fail(f"{source} is missing: `make nbmake` executes the notebooks there")
            notebook = nbformat.read(source, as_version=4)
            if not any(cell.get("outputs") for cell in notebook.cells):
                pytest.fail(f"{source} has no outputs: it was not executed")
            show_gifs_as_jupyter_does(notebook)
            body, _ = exporter.from_notebook_node(notebook)
            exported[name] = notebook_dir / f"{name}.html"
            exported[name].write_text(body)
        return exported[name]

    return export


@pytest.fixture(scope="session")
def notebook_view(driver: Any, notebook_html: Callable[[str], Path]) -> Callable[[str], dict]:
    collect = (HERE / "collect_notebook.js").read_text()
    views: dict[str, dict] = {}

    def view(chapter: str) -> dict:
        if chapter not in views:
            driver.get(notebook_html(chapter).as_uri())
            data = driver.execute_async_script(collect, WAIT_S * 1000)
            if "scriptError" in data:
                pytest.fail(f"{chapter}: the notebook check script failed: {data['scriptError']}")
            views[chapter] = data
        return views[chapter]

    return view


def test_the_notebook_shows_every_figure_of_the_page(notebook_view, book, chapter) -> None:
    in_book = book_figures(book.html_dir, chapter)
    images = notebook_view(chapter)["outputImages"]
    NOTEBOOK_FIGURES[chapter] = (in_book, len(images))
    assert len(images) >= in_book, (
        f"{chapter}: the book's page shows {in_book} figures, the executed notebook "
        f"{len(images)}: a figure is missing in Jupyter and Colab"
    )


def test_the_notebook_images_load(notebook_view, chapter) -> None:
    broken = [img for img in notebook_view(chapter)["outputImages"] if not img["naturalWidth"]]
    assert not broken, f"{chapter}: images that do not load in the notebook: {broken}"


def test_the_notebook_shows_no_myst_markup(notebook_view, chapter) -> None:
    view = notebook_view(chapter)
    assert view["markdownCells"] > 0, f"{chapter}: no Markdown cell found in the export"
    assert not view["rawMyst"], f"{chapter}: MyST markup shown as text: {view['rawMyst']}"
