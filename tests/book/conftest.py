"""Checks on the built HTML book: run after `jupyter-book build` with ``--html-dir``."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--html-dir",
        default="_build/html",
        help="folder of the built HTML book (default: _build/html)",
    )


@pytest.fixture(scope="session")
def html_dir(request: pytest.FixtureRequest) -> Path:
    folder = Path(request.config.getoption("--html-dir"))
    if not (folder / "index.html").is_file():
        pytest.fail(f"no built book at {folder}: run `make book-strict` (or `make book`) first")
    return folder
