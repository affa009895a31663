"""``inspect``: one definition of its arguments for both command lines, and its report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

from unet_tutorial import cli
from unet_tutorial.data import __main__ as data_main
from unet_tutorial.data.inspection import add_inspect_arguments


def _inspect_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices["inspect"]


def _options(parser: argparse.ArgumentParser) -> dict[str, tuple]:
    return {
        action.dest: (tuple(action.option_strings), action.default, action.type, action.help)
        for action in parser._actions
        if action.dest not in ("help", "dir")
    }


def test_both_command_lines_define_the_same_inspect_options():
    package = _inspect_parser(cli._parser())
    data = _inspect_parser(data_main._parser())
    assert set(_options(package)) == {"classes", "color", "json", "seed", "skip_bad", "no_cache"}
    assert _options(package) == _options(data)
    argv = ["d", "--classes", "3", "--color", "0,0,0=0", "--json", "--seed", "7", "--no-cache"]
    assert vars(package.parse_args(argv)) == vars(data.parse_args(argv))


def test_only_the_package_command_line_requires_the_folder():
    parser = argparse.ArgumentParser()
    add_inspect_arguments(parser, folder_required=False)
    assert parser.parse_args([]).dir is None
    assert data_main._parser().parse_args(["inspect"]).dir is None
    required = argparse.ArgumentParser()
    add_inspect_arguments(required, folder_required=True)
    assert required.parse_args(["x"]).dir == Path("x")


def test_both_command_lines_print_the_same_report(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("UNET_TUTORIAL_HOME", str(tmp_path))
    root = tmp_path / "d"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    rng = np.random.default_rng(0)
    for n in range(4):
        photo = rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)
        Image.fromarray(photo).save(root / "images" / f"{n}.png")
        Image.fromarray(np.eye(30, 40, dtype=np.uint8) * 255).save(root / "masks" / f"{n}.png")
    assert cli.main(["inspect", str(root), "--json", "--no-cache"]) == 0
    package = json.loads(capsys.readouterr().out)
    assert data_main.main(["inspect", str(root), "--json", "--no-cache"]) == 0
    assert json.loads(capsys.readouterr().out) == package
    assert package["usable"] == 4
    assert package["masks"]["kinds"] == {"0/255": 4}
    assert package["masks"]["foreground_share"] == 30 / (30 * 40)
