"""Class tables: from classes.json, --color and --classes; the command-line options that ask
for them."""

from __future__ import annotations

import argparse
import json

import pytest

from unet_tutorial.data.classes import (
    ClassTable,
    add_class_options,
    color_key,
    key_color,
    parse_color,
    resolve_class_table,
)
from unet_tutorial.viz.palette import CLASS_COLORS, WATER


def test_class_table_from_json_with_values_and_colours(tmp_path):
    path = tmp_path / "classes.json"
    path.write_text(json.dumps({"classes": [{"name": "pet", "value": 1}, "bg", {"value": 3}]}))
    with pytest.raises(ValueError, match="its own mask value"):
        ClassTable.from_json(path)  # "bg" takes value 1 (its position) like "pet"
    path.write_text(json.dumps({"classes": [{"name": "pet", "value": 1}, {"value": 2}]}))
    table = ClassTable.from_json(path)
    assert table.values == (1, 2) and table.names == ("pet", "class 1")
    path.write_text(json.dumps({"classes": [{"color": [0, 0, 0]}, {"name": "w"}]}))
    with pytest.raises(ValueError, match="every class has a mask colour"):
        ClassTable.from_json(path)
    assert ClassTable.from_dict(table.to_dict()) == table


def test_colour_options_and_parse_color():
    table = ClassTable.from_color_options(["0,0,0=0", "#0000ff=1", "255 0 0 = 2"])
    assert table.colors == ((0, 0, 0), (0, 0, 255), (255, 0, 0)) and table.kind == "colour"
    assert parse_color("#ff8000") == (255, 128, 0)
    with pytest.raises(ValueError, match="classes must be 0 .. 1"):
        ClassTable.from_color_options(["0,0,0=0", "1,1,1=2"])
    with pytest.raises(ValueError, match="not a colour"):
        parse_color("blue")


def test_resolve_class_table_order(tmp_path):
    assert resolve_class_table() is None and resolve_class_table(1) is None
    assert resolve_class_table(3).num_classes == 3
    (tmp_path / "classes.json").write_text(json.dumps({"classes": ["a", "b"]}))
    assert resolve_class_table(None, None, tmp_path).names == ("a", "b")
    assert resolve_class_table(1, None, tmp_path) is None  # --classes 1: binary
    with pytest.raises(ValueError, match="disagrees"):
        resolve_class_table(3, None, tmp_path)
    colours = resolve_class_table(None, ["0,0,0=0", "0,0,255=1"], tmp_path)  # before the file
    assert colours.colors == ((0, 0, 0), (0, 0, 255))


def test_default_display_colours_come_from_the_palette():
    table = ClassTable.default(12)
    assert table.display[1] == WATER
    assert table.display[:10] == CLASS_COLORS and table.display[10] == CLASS_COLORS[0]
    given = ClassTable(("a", "b"), colors=((1, 2, 3), (4, 5, 6)))
    assert given.display == ((1, 2, 3), (4, 5, 6))


def test_mask_keys_are_values_or_packed_colours():
    assert ClassTable(("a", "b"), values=(3, 7)).mask_keys() == [3, 7]
    table = ClassTable.from_color_options(["0,0,0=0", "0,0,255=1", "255,128,0=2"])
    assert table.mask_keys() == [0, 0x0000FF, 0xFF8000]
    assert key_color(color_key((12, 34, 56))) == (12, 34, 56)


def test_class_options_parse_into_what_resolve_class_table_reads():
    parser = argparse.ArgumentParser()
    add_class_options(parser)
    args = parser.parse_args(["--color", "0,0,0=0", "--color", "0,0,255=1"])
    assert args.classes is None and args.color == ["0,0,0=0", "0,0,255=1"]
    assert resolve_class_table(args.classes, args.color).num_classes == 2
    assert parser.parse_args(["--classes", "4"]).classes == 4
