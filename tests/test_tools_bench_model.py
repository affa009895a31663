"""The model benchmark's command line (a tiny in-process run; speed targets are not tested)."""

from __future__ import annotations

import pytest

from tools.bench import model as bench_model


def test_tiny_run_prints_both_ways_and_their_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--size", "32", "--batch", "1", "--steps", "1", "--warmup", "0", "--in-process"]
    assert bench_model.main(argv) == 0
    out = capsys.readouterr().out
    assert "original" in out and "package" in out and "ratio" in out


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(SystemExit):
        bench_model.parse_args(["--steps", "0"])
    with pytest.raises(ValueError, match="Unknown way"):
        bench_model.measure("fast", 32, 1, 1, 0)
