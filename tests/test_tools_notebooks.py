"""tools.notebooks: syncing a chapter's Colab notebook with its source."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tools.notebooks import (
    SOLUTION_TITLE,
    ConversionError,
    bibliography,
    book_url,
    colab_markdown,
    myst_leftovers,
    new_state,
    problems,
    release_tag,
    render_notebook,
    repository_url,
    setup_source,
    sync,
)

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def write_source(path: Path, body: str) -> Path:
    """A chapter file: the header, a title and ``body`` (MyST markdown)."""
    path.write_text(HEADER + "\n# A\n\n" + body)
    return path


def write_chapter(path: Path, cells: list[str]) -> Path:
    body = "\n\n".join(f"```{{code-cell}} ipython3\n{code}\n```" for code in cells)
    path.write_text(HEADER + "\n# A chapter\n\n" + body + "\n")
    return path


def cell_ids(notebook_file: Path) -> list[str]:
    return [cell.id for cell in nbformat.read(notebook_file, as_version=4).cells]


def test_sync_writes_a_notebook_without_problems(tmp_path: Path) -> None:
    chapter = write_chapter(tmp_path / "01_a.md", ["x = 1", "print(x)"])
    assert problems(chapter) == [f"{tmp_path / '01_a.ipynb'} is missing: run `make sync`"]
    notebook = sync(chapter)
    assert notebook == tmp_path / "01_a.ipynb"
    assert problems(chapter) == []
    write_chapter(chapter, ["x = 2", "print(x)"])
    assert "has drifted" in problems(chapter)[0]


def test_sync_keeps_the_ids_of_unchanged_cells(tmp_path: Path) -> None:
    chapter = write_chapter(tmp_path / "01_a.md", ["x = 1", "print(x)", "y = x"])
    before = cell_ids(sync(chapter))
    assert cell_ids(sync(chapter)) == before  # nothing changed: nothing in the file changes

    write_chapter(chapter, ["x = 1", "print(x + 1)", "y = x", "z = y"])
    after = cell_ids(sync(chapter))
    # Cells 0 (the title), 1 and 3 are unchanged; the edited and the new cell get new ids.
    assert [after[0], after[1], after[3]] == [before[0], before[1], before[3]]
    assert after[2] not in before and len(set(after)) == len(after)
    assert problems(chapter) == []


def test_repeated_cells_get_distinct_ids(tmp_path: Path) -> None:
    chapter = write_chapter(tmp_path / "01_a.md", ["plt.show()", "x = 1", "plt.show()"])
    sync(chapter)
    write_chapter(chapter, ["plt.show()", "x = 1", "plt.show()", "plt.show()"])
    ids = cell_ids(sync(chapter))
    assert len(set(ids)) == len(ids)


def convert(text: str) -> str:
    return colab_markdown(text, "test")


def test_citations_become_author_year_links_and_a_reference_list(tmp_path: Path) -> None:
    link = book_url() + "book/bibliography.html"
    assert convert("as shown {cite}`ronneberger2015unet`.") == (
        f"as shown ([Ronneberger et al., 2015]({link}))."
    )
    assert convert("{cite:t}`long2015fcn` argue") == f"[Long et al. (2015)]({link}) argue"
    assert convert("{cite}`dumoulin2016guide,he2016resnet`").count("](") == 2
    assert "Dumoulin and Visin, 2016" in convert("{cite}`dumoulin2016guide`")
    chapter = tmp_path / "01_a.md"
    chapter.write_text(HEADER + "\n# A chapter\n\nAs {cite:t}`ronneberger2015unet` say.\n")
    notebook = render_notebook(chapter)
    assert notebook.cells[-1].source.startswith("## References")
    assert "*U-Net: Convolutional Networks for Biomedical Image Segmentation*" in (
        notebook.cells[-1].source
    )


def test_directives_become_markdown_a_notebook_shows() -> None:
    note = convert(":::{note}\nSome *text*\nover two lines.\n:::\n\nAfter.")
    assert note == "> **Note**\n>\n> Some *text*\n> over two lines.\n\nAfter."
    titled = convert(":::{admonition} Why 572?\n:class: tip\nBecause.\n:::")
    assert titled == "> **Why 572?**\n>\n> Because."
    assert convert("(sec-label)=\n# Title\n% a comment\n") == "# Title"
    assert convert("```{math}\na = b\n```") == "$$\na = b\n$$"
    assert convert("see {numref}`Figure %s <fig-x>` and {math}`x^2`") == "see Figure and $x^2$"


def test_exercises_and_solutions_are_numbered_headings() -> None:
    state = new_state()
    first = colab_markdown(":::{exercise-start}\n:label: ex-a\n:::\n\nDo it.", "t", state)
    assert first == "**Exercise 1**\n\nDo it."
    second = colab_markdown(":::{exercise} Harder\n:label: ex-b\nAgain.\n:::", "t", state)
    assert second == "**Exercise 2** (Harder)\n\nAgain."
    solution = colab_markdown(":::{solution-start} ex-a\n:class: dropdown\n:::", "t", state)
    assert solution == "**Solution to exercise 1**"
    assert colab_markdown(":::{solution-end}\n:::", "t", state) == ""


def test_exercises_carry_the_chapter_number_as_in_the_book(tmp_path: Path) -> None:
    state = new_state("8")
    first = colab_markdown(":::{exercise}\n:label: ex-a\nDo it.\n:::", "t", state)
    assert first.startswith("**Exercise 8.1**")
    solution = colab_markdown(":::{solution} ex-a\nDone.\n:::", "t", state)
    assert solution.startswith("**Solution to exercise 8.1**")
    chapter = write_source(tmp_path / "08_training.md", ":::{exercise}\nDo it.\n:::\n")
    assert "**Exercise 8.1**" in render_notebook(chapter).cells[0].source


def test_glue_and_unknown_markup_are_refused_with_a_reason() -> None:
    with pytest.raises(ConversionError, match="print the number in a cell"):
        convert("the loss was {glue:text}`loss:.3f`")
    with pytest.raises(ConversionError, match="display the figure in its cell"):
        convert(":::{glue:figure} fig\n:::")
    with pytest.raises(ConversionError, match="lacks"):
        convert("{cite}`nobody2099`")
    with pytest.raises(ConversionError, match="tab-set"):
        convert("::::{tab-set}\n::::")


def test_leftover_myst_is_found() -> None:
    assert myst_leftovers("plain *markdown* with $x$ and `code`") == []
    assert myst_leftovers("{glue:text}`x`")[0].startswith("a MyST role")
    assert myst_leftovers("text\n:::{note}\nx\n:::")[0].startswith("a ':::' directive")
    assert myst_leftovers("(label)=\n# Heading")[0].startswith("a label target")


def test_chapters_marked_for_a_gpu_get_colab_s_accelerator(tmp_path: Path) -> None:
    chapter = tmp_path / "01_a.md"
    chapter.write_text(HEADER.replace("---\n", "---\nunet_tutorial:\n  gpu: true\n", 1) + "\n# A\n")
    notebook = render_notebook(chapter)
    assert notebook.metadata["accelerator"] == "GPU"
    assert notebook.metadata["colab"]["gpuType"] == "T4"
    assert "unet_tutorial" not in notebook.metadata
    plain = tmp_path / "02_b.md"
    plain.write_text(HEADER + "\n# B\n")
    assert "accelerator" not in render_notebook(plain).metadata


def test_a_figure_caption_follows_its_cell_as_markdown(tmp_path: Path) -> None:
    chapter = write_source(
        tmp_path / "01_a.md",
        "```{code-cell} ipython3\n---\nmystnb:\n  figure:\n    caption: Loss (solid)"
        "\n      and IoU, as in {cite}`ronneberger2015unet`.\n    name: fig-a\n---\nplot()\n```"
        "\n\n```{code-cell} ipython3\nprint(1)\n```\n",
    )
    cells = render_notebook(chapter).cells
    kinds = [cell.cell_type for cell in cells]
    assert kinds == ["markdown", "code", "markdown", "code", "markdown"]  # + References
    caption = cells[2].source
    assert caption.startswith("*Figure: Loss (solid) and IoU, as in ([Ronneberger et al., 2015](")
    assert not myst_leftovers(caption)


def test_solution_code_is_folded_until_opened(tmp_path: Path) -> None:
    chapter = write_source(
        tmp_path / "03_a.md",
        "```{code-cell} ipython3\nshown = 1\n```\n\n"
        ":::{exercise-start}\n:label: ex-a\n:::\n\nDo it.\n\n:::{exercise-end}\n:::\n\n"
        ":::{solution-start} ex-a\n:class: dropdown\n:::\n\n"
        "```{code-cell} ipython3\nanswer = 42\n```\n\n:::{solution-end}\n:::\n\n"
        "```{code-cell} ipython3\nafter = 2\n```\n",
    )
    code = [cell for cell in render_notebook(chapter).cells if cell.cell_type == "code"]
    shown, answer, after = code
    assert answer.source == f"{SOLUTION_TITLE}\nanswer = 42"
    assert answer.metadata["cellView"] == "form"
    assert answer.metadata["jupyter"]["source_hidden"] is True
    for cell in (shown, after):
        assert not cell.source.startswith("# @title")
        assert "cellView" not in cell.metadata


def test_reference_names_are_plain_unicode() -> None:
    entries = bibliography()
    assert all("{" not in entry["full"] and "\\" not in entry["full"] for entry in entries.values())
    assert "Dollár" in entries["he2017maskrcnn"]["full"]


SETUP_CELL = """# Set-up for Google Colab: installs the book's package there.
import subprocess
import sys

if "google.colab" in sys.modules:
    repository = "{repository_url}"
    release = "{release_tag}"
    subprocess.run([sys.executable, "-m", "pip", "install",
                    f"unet-tutorial[colab] @ git+{repository}@{release}"])"""


@pytest.fixture
def book_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Point tools.notebooks at a throw-away _config.yml and pyproject.toml; returns a function
    that writes them (repository address, version)."""
    import tools.notebooks as notebooks

    config, pyproject = tmp_path / "_config.yml", tmp_path / "pyproject.toml"

    def write(url: str, version: str = "1.2.3") -> None:
        config.write_text(f"title: x\nrepository:\n  url: {url}\n  branch: main\n")
        pyproject.write_text(f'[project]\nname = "x"\nversion = "{version}"\n')
        notebooks.repository_url.cache_clear()
        notebooks.release_tag.cache_clear()

    monkeypatch.setattr(notebooks, "CONFIG", config)
    monkeypatch.setattr(notebooks, "PYPROJECT", pyproject)
    yield write
    notebooks.repository_url.cache_clear()
    notebooks.release_tag.cache_clear()


def test_the_pages_address_follows_the_configured_repository(book_settings) -> None:
    book_settings("https://github.com/Some-Fork/my-unet-book/")
    assert repository_url() == "https://github.com/Some-Fork/my-unet-book"
    assert book_url() == "https://some-fork.github.io/my-unet-book/"
    assert release_tag() == "v1.2.3"
    book_settings("https://gitlab.com/someone/book")
    with pytest.raises(ConversionError, match="not https://github.com/OWNER/REPO"):
        repository_url()


def test_the_setup_cell_gets_the_repository_and_release_written_in(
    tmp_path: Path, book_settings
) -> None:
    book_settings("https://github.com/a-fork/book", "2.0.1")
    chapter = write_chapter(tmp_path / "01_a.md", [SETUP_CELL, "x = 1"])
    setup = render_notebook(chapter).cells[1].source
    assert 'repository = "https://github.com/a-fork/book"' in setup
    assert 'release = "v2.0.1"' in setup
    assert "{repository_url}" not in setup and "{release_tag}" not in setup
    assert render_notebook(chapter).cells[2].source == "x = 1"  # other cells untouched
    asks = 'import sys\nif "google.colab" in sys.modules:\n    photo = "upload"'
    other = write_chapter(tmp_path / "02_b.md", [SETUP_CELL, asks])
    assert render_notebook(other).cells[2].source == asks  # asking for Colab is not set-up
    sync(chapter)
    assert problems(chapter) == []
    book_settings("https://github.com/a-fork/book", "2.0.2")  # a new version, not synced
    assert any("has drifted" in problem for problem in problems(chapter))


def test_a_setup_cell_without_placeholders_is_refused(tmp_path: Path, book_settings) -> None:
    book_settings("https://github.com/a-fork/book")
    spelled = SETUP_CELL.replace("{repository_url}", "https://github.com/someone/else")
    chapter = write_chapter(tmp_path / "01_a.md", [spelled])
    with pytest.raises(ConversionError, match=r"lacks \{repository_url\}"):
        render_notebook(chapter)
    both = SETUP_CELL + "\n# see https://github.com/someone/else"
    with pytest.raises(ConversionError, match="spells a GitHub address"):
        setup_source(both, "test")
    with pytest.raises(ConversionError, match="lacks"):
        setup_source('if "google.colab" in sys.modules:\n    pass', "test")
