"""The built book in a real browser: headless Chromium (Debian's chromium + chromium-driver) driven
by Selenium over the HTML served on 127.0.0.1. Run after `jupyter-book build` with ``--html-dir``.

Without Chromium, chromedriver or Selenium the tests are skipped with the reason; with ``CI=true``
they fail instead, since CI must run them.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from book_browser import (
    CHROMIUM_FLAGS,
    HERE,
    NOTEBOOK_FIGURES,
    PANEL_TIMES,
    PRINT_WIDTH,
    REPO,
    WAIT_S,
    WINDOW,
    Book,
    PageReport,
    is_chapter,
    toc_pages,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--html-dir",
        default="_build/html",
        help="folder of the built HTML book (default: _build/html)",
    )
    parser.addoption(
        "--book-root",
        default=str(REPO),
        help="folder with the book's _toc.yml, _config.yml and sources (default: this repository)",
    )
    parser.addoption(
        "--notebook-dir",
        default=None,
        help="folder of the chapters' executed notebooks (make nbmake) for test_notebooks.py",
    )
    parser.addoption(
        "--screenshot-dir",
        default=None,
        help="where full-page screenshots go (default: BOOK_ROOT/_build/screenshots)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    book_root = Path(metafunc.config.getoption("--book-root"))
    pages = toc_pages(book_root)
    if "page" in metafunc.fixturenames:
        metafunc.parametrize("page", pages)
    if "chapter" in metafunc.fixturenames:
        metafunc.parametrize("chapter", [page for page in pages if is_chapter(page)])


@pytest.fixture(scope="session")
def book(request: pytest.FixtureRequest) -> Book:
    root = Path(request.config.getoption("--book-root")).resolve()
    html_dir = Path(request.config.getoption("--html-dir")).resolve()
    if not (html_dir / "index.html").is_file():
        pytest.fail(f"no built book at {html_dir}: run `make book-strict` (or `make book`) first")
    config = yaml.safe_load((root / "_config.yml").read_text())
    return Book(root=root, html_dir=html_dir, pages=toc_pages(root), config=config)


@pytest.fixture(scope="session")
def screenshot_dir(request: pytest.FixtureRequest, book: Book) -> Path:
    folder = request.config.getoption("--screenshot-dir")
    path = Path(folder) if folder else book.root / "_build" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- the server -------------------------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # failed requests show up in the browser's console log, which the tests read


@pytest.fixture(scope="session")
def server(book: Book) -> Iterator[str]:
    """Serves the built book on an ephemeral 127.0.0.1 port; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(book.html_dir))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


# --- the browser ------------------------------------------------------------------------------


def find_chromium() -> str | None:
    names = ("chromium", "chromium-browser", "google-chrome")
    return next(filter(None, map(shutil.which, names)), None)


def browser_problem() -> str | None:
    """Why the browser test cannot run here, or None when it can."""
    if importlib.util.find_spec("selenium") is None:
        return "Selenium is not installed"
    if find_chromium() is None:
        return "no Chromium browser on PATH (Debian package chromium)"
    if shutil.which("chromedriver") is None:
        return "no chromedriver on PATH (Debian package chromium-driver)"
    return None


INSTALL_HINT = "apt-get install chromium chromium-driver; pip install selenium"


def pytest_report_header(config: pytest.Config) -> str:
    problem = browser_problem()
    if problem is None:
        return f"browser: {find_chromium()} driven by {shutil.which('chromedriver')}"
    return f"browser: UNAVAILABLE, {problem}"


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if NOTEBOOK_FIGURES:
        terminalreporter.write_sep("-", "figures per chapter: book page and executed notebook")
        width = max(len("chapter"), *(len(chapter) for chapter in NOTEBOOK_FIGURES))
        terminalreporter.write_line(
            f"{'chapter':<{width}} {'in the book page':>16} {'in the notebook':>16}"
        )
        for chapter, (book, notebook) in sorted(NOTEBOOK_FIGURES.items()):
            terminalreporter.write_line(f"{chapter:<{width}} {book:>16} {notebook:>16}")
    if PANEL_TIMES:
        terminalreporter.write_sep("-", "chapter 10's in-browser segmenter")
        for what, value in PANEL_TIMES.items():
            terminalreporter.write_line(f"{what}: {value}")
    problem = browser_problem()
    if problem is not None and os.environ.get("CI") != "true":
        terminalreporter.write_line(
            f"THE BROWSER TEST WAS SKIPPED: {problem} ({INSTALL_HINT}). CI does not skip it.",
            yellow=True,
            bold=True,
        )


@pytest.fixture(scope="session")
def driver() -> Iterator[Any]:
    """Headless Chromium through chromedriver, with the browser's console log recorded."""
    problem = browser_problem()
    if problem is not None and os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser test, but {problem} ({INSTALL_HINT})", pytrace=False)
    if problem is not None:
        pytest.skip(f"browser test skipped: {problem} ({INSTALL_HINT})")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = find_chromium(), shutil.which("chromedriver")
    with tempfile.TemporaryDirectory(prefix="unet-book-chromium-") as profile_dir:
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile_dir}")
        options.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        # An explicit chromedriver keeps Selenium Manager from trying to download one.
        browser = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
        browser.set_script_timeout(4 * WAIT_S)
        try:
            yield browser
        finally:
            browser.quit()


# --- one visit per page, shared by all checks -------------------------------------------------


@pytest.fixture(scope="session")
def visit(driver: Any, server: str) -> Callable[[str], PageReport]:
    """``visit(page)`` loads a page once per session and returns what the checks need."""
    collect = (HERE / "collect_page.js").read_text()
    print_layout = (HERE / "print_layout.js").read_text()
    reports: dict[str, PageReport] = {}

    def load(page: str) -> PageReport:
        if page in reports:
            return reports[page]
        driver.get_log("browser")  # drop what earlier pages logged
        url = f"{server}{page}.html"
        driver.get(url)
        data = driver.execute_async_script(collect, WAIT_S * 1000)
        if "scriptError" in data:
            pytest.fail(f"{page}: the page check script failed: {data['scriptError']}")
        errors = [
            entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
        ]
        driver.set_window_size(PRINT_WIDTH, WINDOW[1])
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        try:
            problems = driver.execute_script(print_layout)
        finally:
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
            driver.set_window_size(*WINDOW)
        reports[page] = PageReport(page, url, data, errors, problems)
        return reports[page]

    return load
