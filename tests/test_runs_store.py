"""unet_tutorial.runs.store: one store for every run, keyed by what determines it."""

from __future__ import annotations

import pytest

from unet_tutorial.runs.store import open_run, run_key, spec_differences

SPEC = {"experiment": "test", "config": {"lr": 0.001, "epochs": 3}, "model": "unet"}


def test_the_key_depends_on_the_spec_only() -> None:
    assert run_key(SPEC) == run_key(dict(reversed(list(SPEC.items()))))
    assert run_key(SPEC) != run_key({**SPEC, "model": "attention_unet"})
    assert len(run_key(SPEC)) == 16


def test_a_run_goes_from_new_to_interrupted_to_finished(tmp_path) -> None:
    run = open_run("a", SPEC, root=tmp_path)
    assert run.status() == "new" and not run.folder.exists()
    run.start()
    run.path("last.pt").write_text("x")
    assert run.status() == "interrupted" and run.result() is None
    run.start(keep=True)  # resuming keeps what the run wrote
    assert run.path("last.pt").is_file()
    run.finish({"best_epoch": 2})
    assert run.status() == "finished" and run.result() == {"best_epoch": 2}
    again = open_run("a", SPEC, root=tmp_path)
    assert again.status() == "finished" and again.result() == {"best_epoch": 2}


def test_other_settings_are_named_and_start_over(tmp_path) -> None:
    open_run("a", SPEC, root=tmp_path).start()
    other = open_run("a", {**SPEC, "config": {"lr": 0.01, "epochs": 3}}, root=tmp_path)
    assert other.status() == "changed"
    assert other.differences() == ["config.lr: saved 0.001, now 0.01"]
    other.path("last.pt").write_text("old")
    other.start()  # another spec: the old run's files go
    assert not other.path("last.pt").exists() and other.status() == "interrupted"
    assert spec_differences({"a": 1}, {"b": 2}) == [
        "a: saved 1, now '(absent)'",
        "b: saved '(absent)', now 2",
    ]


def test_a_folder_of_someone_else_is_never_emptied(tmp_path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"jpeg")
    run = open_run(folder, SPEC)  # an absolute folder, as --out gives it
    with pytest.raises(FileExistsError, match="holiday.jpg"):
        run.start()
    assert (folder / "holiday.jpg").read_bytes() == b"jpeg"
