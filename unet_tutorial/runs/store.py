"""The run store: one folder per training run, reused when finished, resumed when cut.

A run lives in a folder (by default under ``data/runs/``, or ``$UNET_TUTORIAL_HOME/data/runs/``)
with a ``run.json`` holding its **spec**, everything that determines its result (the model, the
training settings, the image size, the data and the split, ...), and the spec's **key**, a hash
of it. Whoever trains describes the run it needs and asks the store what to do
(:meth:`Run.plan`); the rule is the same for the book's chapters and every command:

- nothing there yet: **train**;
- the same key, finished: **reuse** the result (a chapter opened again, a command run twice);
- the same key, not finished: **resume** from the last checkpoint;
- another key: the settings changed. Nothing a run wrote is deleted or replaced unless the
  caller passes ``overwrite=True``; otherwise :class:`SettingsChangedError` names every
  setting that differs;
- files that no run wrote: refused whatever the caller asks (:class:`ForeignFolderError`).

``overwrite=True`` trains afresh even over a finished run with the same settings.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from unet_tutorial.paths import runs_dir

RUN_FILE = "run.json"
"""The file in each run folder that holds the run's spec, key and state."""

Status = Literal["new", "changed", "interrupted", "finished"]

Action = Literal["train", "resume", "reuse"]
"""What :meth:`Run.plan` decides: train afresh, continue from ``last.pt``, or reuse the result."""


class SettingsChangedError(ValueError):
    """The folder holds a run with other settings and ``overwrite`` was not asked for."""


class ForeignFolderError(FileExistsError):
    """The folder holds files that no run of this package wrote; nothing was changed."""


def run_key(spec: Mapping[str, Any]) -> str:
    """A 16-hex-digit hash of a spec (its JSON with sorted keys)."""
    text = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): value}


def spec_differences(saved: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """``"setting: saved X, now Y"`` for every setting that differs between two specs."""
    old, new = (
        _flatten(json.loads(json.dumps(saved, default=str))),
        _flatten(json.loads(json.dumps(wanted, default=str))),
    )
    return [
        f"{name}: saved {old.get(name, '(absent)')!r}, now {new.get(name, '(absent)')!r}"
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]


#: Files a run may leave in its folder (anything else makes the folder a stranger's);
#: ``row.json`` is what a comparison run held before the run store.
RUN_FILES = frozenset(
    {
        RUN_FILE,
        "best.pt",
        "last.pt",
        "metrics.json",
        "training.gif",
        "weights.pt",
        "row.json",
        "outputs.pt",
    }
)


def _made_by_a_run(path: Path, folder: Path) -> bool:
    if path.name in RUN_FILES or path.name.endswith(".tmp"):
        return True
    # a folder of runs (the comparison keeps one run per model in its own subfolder)
    return path.is_dir() and (path / RUN_FILE).is_file()


@dataclass
class Run:
    """A run folder and the spec of the run wanted in it.

    Attributes:
        folder: the run folder (created when the run starts).
        spec: everything that determines the run's result (plain JSON values).
    """

    folder: Path
    spec: dict[str, Any]

    @property
    def key(self) -> str:
        return run_key(self.spec)

    def path(self, name: str) -> Path:
        """A file of the run: ``best.pt``, ``last.pt``, ``metrics.json``, ..."""
        return self.folder / name

    def saved(self) -> dict[str, Any] | None:
        """The content of ``run.json``, or ``None`` when there is none (or it is unreadable)."""
        try:
            saved = json.loads((self.folder / RUN_FILE).read_text())
        except (OSError, ValueError):
            return None
        return saved if isinstance(saved, dict) else None

    def status(self) -> Status:
        """``"new"`` (nothing saved), ``"changed"`` (another spec saved), ``"interrupted"`` or
        ``"finished"`` (this spec, with or without its result)."""
        saved = self.saved()
        if saved is None:
            return "new"
        if saved.get("key") != self.key:
            return "changed"
        return "finished" if saved.get("finished") else "interrupted"

    def differences(self) -> list[str]:
        """How the saved run's spec differs from this one (empty when they agree)."""
        saved = self.saved()
        return spec_differences(saved.get("spec", {}), self.spec) if saved else []

    def result(self) -> Any:
        """What :meth:`finish` saved (``None`` unless the run is finished)."""
        saved = self.saved()
        return saved.get("result") if saved and self.status() == "finished" else None

    def strangers(self) -> list[str]:
        """Names of the files in the folder that no run of this package wrote."""
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if not _made_by_a_run(p, self.folder))

    def plan(self, *, overwrite: bool = False, required: Sequence[str] = ()) -> Action:
        """What to do with this folder for this spec: the store's one rule (module docstring).

        Args:
            overwrite: train afresh even where a run (finished, interrupted or with other
                settings) is in the folder.
            required: files a finished run must hold to be reused (``best.pt``, ...); a
                finished run missing one is resumed instead (its ``last.pt`` is kept).

        Raises:
            ForeignFolderError: the folder holds files no run wrote (whatever ``overwrite``).
            SettingsChangedError: another spec is saved and ``overwrite`` is false; the message
                lists every setting that differs.
        """
        strangers = self.strangers()
        if strangers:
            shown = ", ".join(strangers[:5]) + (", ..." if len(strangers) > 5 else "")
            raise ForeignFolderError(
                f"{self.folder} holds files no run of this package wrote ({shown}); nothing "
                "was changed. Choose a new or empty folder for the run."
            )
        status = self.status()
        if overwrite or status == "new":
            return "train"
        if status == "changed":
            differences = self.differences()
            raise SettingsChangedError(
                f"{self.folder} holds a run with other settings: "
                + "; ".join(differences[:12])
                + ("; ..." if len(differences) > 12 else "")
                + ". Nothing was changed: use the same settings to reuse it, another folder "
                "for a new run, or --overwrite to replace it."
            )
        if status == "finished" and all(self.path(name).is_file() for name in required):
            return "reuse"
        return "resume"

    def start(self, *, keep: bool = False) -> None:
        """Begin the run: create the folder and record the spec as unfinished.

        Args:
            keep: keep the files of an interrupted run with this spec (to resume from them);
                otherwise whatever the folder held is removed first.
        """
        if not (keep and self.status() in ("interrupted", "finished")) and self.folder.exists():
            strangers = self.strangers()
            if strangers:
                raise ForeignFolderError(
                    f"{self.folder} holds files no run of this package wrote "
                    f"({', '.join(strangers[:5])}{', ...' if len(strangers) > 5 else ''}); "
                    "nothing was changed. Choose a new or empty folder for the run."
                )
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write({"key": self.key, "spec": self.spec, "finished": False})

    def finish(self, result: Any = None) -> None:
        """Record the run as finished, with an optional JSON-able ``result``."""
        self._write({"key": self.key, "spec": self.spec, "finished": True, "result": result})

    def _write(self, content: dict[str, Any]) -> None:
        path = self.folder / RUN_FILE
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(content, indent=2, default=str) + "\n")
        os.replace(tmp, path)


def open_run(name: str | Path, spec: Mapping[str, Any], root: Path | None = None) -> Run:
    """The run called ``name`` (a folder under ``root``, default :func:`~.paths.runs_dir`)
    for ``spec``; nothing is created until :meth:`Run.start`.

    ``name`` may also be an absolute folder (``--out`` of the command line).
    """
    folder = Path(name)
    if not folder.is_absolute():
        folder = (root or runs_dir()) / folder
    return Run(folder, json.loads(json.dumps(dict(spec), default=str)))
