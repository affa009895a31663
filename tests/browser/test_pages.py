"""Every page of ``_toc.yml`` as a reader's browser shows it (fixtures in conftest.py)."""

from __future__ import annotations

import base64
import io
import re
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from book_browser import WAIT_S, WINDOW, Book, PageReport
from PIL import Image

TRAINING = "chapters/08_training"
RESULTS = "chapters/10_results"
# Words a reader would search for; the search test uses the first one the book contains.
SEARCH_WORDS = ("convolution", "segmentation", "U-Net")

Visit = Callable[[str], PageReport]


# --- helpers ----------------------------------------------------------------------------------

_CODE = re.compile(r"^(`{3,}|~{3,}).*?^\1\s*$", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_MATH = re.compile(
    r"\$\$|\{math\}|\\begin\{|"
    # dollarmath's inline rule: no space after the opening or before the closing $,
    # and no digit right after the closing one (so "$5 and $6" is not math)
    r"(?<![\\$])\$(?=\S)[^$\n]+?(?<=\S)\$(?![\d$])"
)


def source_has_math(path: Path | None) -> bool:
    """Whether a page's MyST source writes math outside code cells and inline code."""
    if path is None or path.suffix != ".md":
        return False
    prose = _INLINE_CODE.sub("", _CODE.sub("", path.read_text(encoding="utf-8")))
    return bool(_MATH.search(prose))


def alt_is_meaningful(image: dict[str, Any]) -> bool:
    """Docutils falls back to the file name as alt text: that says nothing to a reader."""
    alt = (image["alt"] or "").strip()
    if not alt or alt == image["src"]:
        return False
    return not re.fullmatch(r"\S+\.(png|jpe?g|gif|svg|webp)", alt, re.IGNORECASE)


def image_bytes(url: str) -> bytes:
    if url.startswith("data:"):
        header, _, payload = url.partition(",")
        return base64.b64decode(payload) if header.endswith(";base64") else payload.encode()
    with urllib.request.urlopen(url, timeout=WAIT_S) as response:  # our own 127.0.0.1 server
        return response.read()


def is_gif(image: dict[str, Any]) -> bool:
    src = image["src"].lower()
    return src.startswith("data:image/gif") or src.split("?")[0].endswith(".gif")


def book_contains(book: Book, word: str) -> bool:
    pattern = re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)
    return any(
        pattern.search(path.read_text(encoding="utf-8"))
        for page in book.pages
        if (path := book.html_dir / f"{page}.html").is_file()
    )


# --- per page ---------------------------------------------------------------------------------


def test_images_load(visit: Visit, page: str) -> None:
    broken = [
        image["src"][:100]
        for image in visit(page).data["images"]
        if not image["complete"] or image["naturalWidth"] == 0
    ]
    assert not broken, f"{page}: images that did not load {broken}"


def is_favicon_404(message: str) -> bool:
    """The book declares no favicon, so the browser asks the server's root for /favicon.ico by
    itself; where the book is published (a repository's folder on GitHub Pages) that address is
    not the book's, so its 404 here says nothing about the book."""
    return "/favicon.ico " in message and " 404 " in message


def test_no_javascript_errors(visit: Visit, page: str) -> None:
    # Nothing else is ignored: a failed request (a 404, or a CDN this closed network cannot
    # reach, which offline readers could not reach either) is as much a defect as an exception.
    errors = [message for message in visit(page).errors if not is_favicon_404(message)]
    assert not errors, f"{page}: the browser console logged errors {errors}"


def test_math_is_rendered(visit: Visit, book: Book, page: str) -> None:
    report = visit(page)
    data = report.data
    assert not data["rawTex"], f"{page}: TeX left unrendered in the text {data['rawTex']}"
    if source_has_math(book.source(page)) or data["mathElements"]:
        assert data["mathjaxOutput"] > 0, (
            f"{page}: the page has math but MathJax rendered none (no mjx-container)"
        )


def test_figures_have_alt_text_or_caption(visit: Visit, page: str) -> None:
    bare = [
        image["src"][:100]
        for image in visit(page).data["images"]
        if not alt_is_meaningful(image) and not image["caption"]
    ]
    assert not bare, (
        f"{page}: images with neither alt text nor a caption {bare} (give the figure a caption, "
        "e.g. a glue:figure or myst-nb figure/image metadata)"
    )


def test_headings_form_an_outline(visit: Visit, page: str) -> None:
    data = visit(page).data
    levels = [heading["level"] for heading in data["headings"]]
    outline = [f"h{h['level']} {h['text'][:40]}" for h in data["headings"]]
    assert levels and levels[0] == 1, f"{page}: the page does not open with its h1 title {outline}"
    assert data["h1Total"] == 1, f"{page}: {data['h1Total']} h1 headings, want one {outline}"
    skips = [
        f"h{before} -> h{after}"
        for before, after in zip(levels, levels[1:], strict=False)
        if after > before + 1
    ]
    assert not skips, f"{page}: heading levels skipped {skips} in {outline}"


def test_prints_without_cut_off_content(visit: Visit, page: str) -> None:
    problems = visit(page).print_problems
    assert not problems, f"{page}: printed, {problems}"


def test_outputs_show_no_errors_or_warnings(visit: Visit, page: str) -> None:
    shown = visit(page).data["errorOutputs"]
    assert not shown, f"{page}: cell outputs show raw errors or warnings {shown}"


# --- chapters ---------------------------------------------------------------------------------


def test_code_fits_the_text_column(visit: Visit, page: str) -> None:
    wide = visit(page).data["overflowingCode"]
    assert not wide, f"{page}: code that needs sideways scrolling: {wide}"


def test_colab_set_up_cell_is_hidden(visit: Visit, chapter: str) -> None:
    shown = visit(chapter).data["colabSetupShown"]
    assert not shown, f"{chapter}: the Colab set-up cell is shown unfolded {shown}"


def test_chapter_opens_in_colab(visit: Visit, book: Book, chapter: str) -> None:
    expected = book.colab_url(chapter)
    colab = book.config["launch_buttons"]["colab_url"].rstrip("/")
    links = [a for a in visit(chapter).data["anchors"] if a["href"].startswith(colab)]
    assert links, f"{chapter}: no 'Open in Colab' link in the launch menu"
    assert [a["href"] for a in links] == [expected], (
        f"{chapter}: the Colab link goes to {[a['href'] for a in links]}, want {expected}"
    )
    assert any("colab" in a["text"].lower() for a in links), f"{chapter}: Colab link unlabelled"
    assert (book.root / f"{chapter}.ipynb").is_file(), (
        f"{chapter}: the Colab link points at {chapter}.ipynb, which is not in the repository "
        "(run `make sync`)"
    )


def test_training_gif_is_animated_and_visible(visit: Visit, book: Book) -> None:
    if TRAINING not in book.pages:
        pytest.skip(f"{TRAINING} is not in _toc.yml yet")
    gifs = [image for image in visit(TRAINING).data["images"] if is_gif(image)]
    assert gifs, f"{TRAINING}: no GIF image on the page"
    for gif in gifs:
        assert gif["visible"], f"{TRAINING}: the GIF {gif['src'][:80]} is hidden or has no size"
        with Image.open(io.BytesIO(image_bytes(gif["url"]))) as image:
            frames = getattr(image, "n_frames", 1)
        assert frames > 1, f"{TRAINING}: the GIF {gif['src'][:80]} has a single frame"


# --- the book as a whole ----------------------------------------------------------------------


def test_search_finds_a_word_of_the_book(driver: Any, server: str, book: Book) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    word = next((word for word in SEARCH_WORDS if book_contains(book, word)), None)
    assert word is not None, f"the book contains none of {SEARCH_WORDS}"
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(f"{server}search.html?q={quote(word)}")
    summary = WebDriverWait(driver, WAIT_S).until(
        lambda d: d.execute_script(
            "const s = document.querySelector('#search-results .search-summary');"
            "return s && s.textContent.trim();"
        ),
        message=f"the search for {word!r} never finished",
    )
    hits = driver.execute_script("return document.querySelectorAll('#search-results li').length")
    assert hits > 0, f"searching for {word!r}, which the book contains, finds nothing: {summary}"
    errors = [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and not is_favicon_404(entry["message"])
    ]
    assert not errors, f"the search page logged errors {errors}"


def test_light_and_dark_theme(driver: Any, server: str, book: Book) -> None:
    driver.get(f"{server}{book.pages[0]}.html")
    buttons = driver.find_elements("css selector", ".theme-switch-button")
    buttons = [button for button in buttons if button.is_displayed()]
    assert buttons, "no visible light/dark theme button"

    def switch_to(theme: str) -> str:
        for _ in range(3):  # the button cycles auto -> dark -> light
            if driver.execute_script("return document.documentElement.dataset.theme") == theme:
                break
            buttons[0].click()
        assert driver.execute_script("return document.documentElement.dataset.theme") == theme
        return driver.execute_script("return getComputedStyle(document.body).backgroundColor")

    def luminance(colour: str) -> float:
        red, green, blue = (int(v) for v in re.findall(r"\d+", colour)[:3])
        return 0.2126 * red + 0.7152 * green + 0.0722 * blue

    try:
        dark, light = switch_to("dark"), switch_to("light")
    finally:  # the choice persists in localStorage: leave later pages in the default mode
        driver.execute_script("localStorage.removeItem('mode'); localStorage.removeItem('theme')")
    assert luminance(dark) < luminance(light), f"dark background {dark}, light {light}"


def screenshot_pages(book: Book) -> list[str]:
    return [book.pages[0]] + [page for page in (TRAINING, RESULTS) if page in book.pages]


def test_full_page_screenshots(driver: Any, server: str, book: Book, screenshot_dir: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    settled = (
        "const done = arguments[0];"
        "(window.MathJax?.startup?.promise ?? Promise.resolve()).then("
        "  () => done(Array.from(document.images).every((img) => img.complete)));"
    )
    for page in screenshot_pages(book):
        driver.get(f"{server}{page}.html")
        height = driver.execute_script("return document.documentElement.scrollHeight")
        # The window as tall as the page: the screenshot shows all of it, lazy images included.
        driver.set_window_size(WINDOW[0], min(height + 100, 30000))
        path = screenshot_dir / f"{Path(page).name}.png"
        try:
            WebDriverWait(driver, WAIT_S).until(
                lambda d: d.execute_async_script(settled),
                message=f"{page}: math or images still loading",
            )
            assert driver.save_screenshot(str(path)), f"could not save {path}"
        finally:
            driver.set_window_size(*WINDOW)
        assert path.stat().st_size > 10_000, f"{path} looks empty"
