"""The book's dependencies: the declared floors, the lock file, and a warning-free build.

``pyproject.toml`` declares what the package needs as floors (``torch>=2.3``); the lock file
(``requirements/lock.txt``, written by ``make lock`` with ``uv pip compile``) holds the exact
versions the book was last built and tested with. This tool keeps the three ways of installing
the book honest:

- ``floors``: a pip constraints file pinning every declared dependency at its floor
  (``torch==2.3``), for the scheduled workflow that runs the book on the oldest releases
  ``pyproject.toml`` claims to support. A dependency without a floor is an error: a floor that is
  never installed is never tested.
- ``check-lock``: compares the running environment with the lock file (the entries whose
  environment markers apply to this interpreter and platform): every locked package installed at
  exactly its locked version, nothing else installed. ``make install`` runs it, so an
  installation that does not match the lock fails instead of running untested versions.
- ``build-check``: builds the sdist and, from it, the wheel with ``python -m build`` (in an
  isolated environment, so with the newest setuptools that ``build-system.requires`` allows) and
  fails on any warning the build backend prints, such as setuptools' deprecation of metadata it
  will refuse later; it also checks the wheel's licence metadata (PEP 639).

Command line::

    python -m tools.deps floors [--extra colab] [--pyproject pyproject.toml]
    python -m tools.deps check-lock requirements/lock.txt
    python -m tools.deps build-check [--source DIR]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

IGNORED_IN_ENVIRONMENT = frozenset({"pip"})
"""Installed distributions a lock file does not list: the installer itself (``make install``
upgrades it before anything else). The project (installed editable) is ignored by name."""

WARNING = re.compile(r"\b\w*Warning\b|^\s*warning:|\bdeprecat", re.I | re.M)
"""A line of build output that reports a warning: ``SetuptoolsDeprecationWarning: ...``,
distutils' ``warning: no files found matching ...``, or any mention of a deprecation."""


def canonical(name: str) -> str:
    """A distribution name as PEP 503 compares them: ``Jupyter_Book`` -> ``jupyter-book``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _load_toml(path: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    return tomllib.loads(path.read_text())


# --------------------------------------------------------------------------------------------
# Floors
# --------------------------------------------------------------------------------------------


def floors(pyproject: Path, extras: Iterable[str] = ()) -> list[str]:
    """``name==floor`` for each dependency of ``pyproject`` and of the named ``extras``.

    A requirement's floor is the version of its ``>=`` (or ``==``) clause; its environment marker
    is kept. References to the project itself (``unet-tutorial[colab]``) are skipped: the
    extras they name are listed explicitly.

    Raises:
        ValueError: an unknown extra, a requirement without a floor, or two different floors
            for one package (each names the requirement).
    """
    from packaging.requirements import Requirement

    project = _load_toml(pyproject)["project"]
    own_name = canonical(project["name"])
    requirements = list(project.get("dependencies", []))
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        if extra not in optional:
            raise ValueError(f"{pyproject}: no extra {extra!r} (it has {sorted(optional)})")
        requirements += optional[extra]
    pins: dict[str, str] = {}
    for text in requirements:
        requirement = Requirement(text)
        name = canonical(requirement.name)
        if name == own_name:
            continue
        lowest = [s.version for s in requirement.specifier if s.operator in (">=", "==", "~=")]
        if len(lowest) != 1:
            raise ValueError(
                f"{pyproject}: {text!r} declares no single floor (>=, == or ~=); the floors "
                "workflow installs every dependency at its floor, so each needs one"
            )
        line = f"{name}=={lowest[0]}"
        if requirement.marker is not None:
            line += f" ; {requirement.marker}"
        if pins.get(name, line) != line:
            raise ValueError(f"{pyproject}: two floors for {name}: {pins[name]!r} and {line!r}")
        pins[name] = line
    return [pins[name] for name in sorted(pins)]


# --------------------------------------------------------------------------------------------
# The lock file against the environment
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    """One ``name==version ; marker`` line of a lock file."""

    name: str
    version: str
    marker: str | None


def read_lock(text: str) -> list[Pin]:
    """The pins of a lock file written by ``uv pip compile`` or ``pip-compile``.

    Comments, blank lines, hash continuations and pip options (``--index-url ...``) are skipped;
    any other line that is not ``name==version`` (optionally ``; marker``) is an error.
    """
    pins = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip().rstrip("\\").strip()
        if not line or line.startswith(("#", "-", "--hash")):
            continue
        requirement, _, marker = line.partition(";")
        match = re.fullmatch(
            r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;]+)", requirement.strip()
        )
        if match is None:
            raise ValueError(f"lock line {number}: {raw.strip()!r} is not name==version")
        pins.append(Pin(canonical(match[1]), match[3], marker.strip() or None))
    return pins


def applicable(pins: Iterable[Pin], environment: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{name: version}`` of the pins whose markers hold in ``environment`` (default: this
    interpreter's). Raises ValueError when two applicable pins disagree."""
    from packaging.markers import Marker

    chosen: dict[str, str] = {}
    for pin in pins:
        if pin.marker is not None and not Marker(pin.marker).evaluate(
            dict(environment) if environment is not None else None
        ):
            continue
        if chosen.get(pin.name, pin.version) != pin.version:
            raise ValueError(f"the lock pins {pin.name} at {chosen[pin.name]} and {pin.version}")
        chosen[pin.name] = pin.version
    return chosen


def installed_distributions() -> dict[str, str]:
    """``{name: version}`` of every distribution installed in this environment."""
    return {
        canonical(dist.metadata["Name"]): dist.version
        for dist in importlib.metadata.distributions()
        if dist.metadata["Name"]
    }


def lock_differences(
    locked: Mapping[str, str], installed: Mapping[str, str], ignore: Iterable[str] = ()
) -> list[str]:
    """What differs between the locked and the installed versions, one line per package
    (empty when they match). Versions compare as PEP 440 versions (``1.0`` equals ``1.0.0``)."""
    from packaging.version import Version

    skip = {canonical(name) for name in ignore} | IGNORED_IN_ENVIRONMENT
    found = []
    for name in sorted(set(locked) | set(installed)):
        if name in skip:
            continue
        want, have = locked.get(name), installed.get(name)
        if have is None:
            found.append(f"{name}: locked at {want}, not installed")
        elif want is None:
            found.append(f"{name}: {have} installed, not in the lock")
        elif Version(want) != Version(have):
            found.append(f"{name}: locked at {want}, {have} installed")
    return found


def check_lock(lock: Path, pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The differences between this environment and ``lock`` (see :func:`lock_differences`)."""
    own_name = _load_toml(pyproject)["project"]["name"]
    locked = applicable(read_lock(lock.read_text()))
    return lock_differences(locked, installed_distributions(), ignore=[own_name])


# --------------------------------------------------------------------------------------------
# The build
# --------------------------------------------------------------------------------------------


def build_warnings(output: str) -> list[str]:
    """The lines of a build's output that report a warning (see :data:`WARNING`)."""
    return [line.strip() for line in output.splitlines() if WARNING.search(line)]


def wheel_problems(wheel: Path, sdist: Path | None = None) -> list[str]:
    """What the built distributions lack: the SPDX licence expression and the licence file in
    the wheel's metadata (PEP 639), and the licence file in the sdist."""
    found = []
    with zipfile.ZipFile(wheel) as archive:
        metadata_name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(metadata_name).decode()
        names = archive.namelist()
    if "License-Expression: MIT" not in metadata.splitlines():
        found.append(f"{wheel.name}: no 'License-Expression: MIT' in its METADATA")
    if "License-File: LICENSE" not in metadata.splitlines():
        found.append(f"{wheel.name}: no 'License-File: LICENSE' in its METADATA")
    if not any(name.endswith(".dist-info/licenses/LICENSE") for name in names):
        found.append(f"{wheel.name}: the LICENSE file is not in its .dist-info/licenses/")
    if sdist is not None:
        import tarfile

        with tarfile.open(sdist) as archive:
            if not any(name.endswith("/LICENSE") for name in archive.getnames()):
                found.append(f"{sdist.name}: the LICENSE file is not in the sdist")
    return found


def generator(wheel: Path) -> str:
    """The build backend and version that wrote ``wheel`` (its WHEEL file's ``Generator``)."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/WHEEL"))
        for line in archive.read(name).decode().splitlines():
            if line.startswith("Generator:"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def build_check(source: Path = ROOT) -> list[str]:
    """Build ``source``'s sdist and wheel; return the problems (empty when clean)."""
    # distutils warns that it skips byte-compiling where the environment disables it: that
    # says something about this shell, not about the package.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory(prefix="unet-tutorial-build-") as out:
        result = subprocess.run(
            [sys.executable, "-m", "build", "--outdir", out, str(source)],
            capture_output=True,
            text=True,
            env=env,
        )
        output = result.stdout + result.stderr
        if result.returncode != 0:
            return [f"python -m build failed (exit {result.returncode}):\n{output}"]
        found = [f"the build printed: {line}" for line in build_warnings(output)]
        wheels, sdists = sorted(Path(out).glob("*.whl")), sorted(Path(out).glob("*.tar.gz"))
        if len(wheels) != 1 or len(sdists) != 1:
            return [*found, f"expected one wheel and one sdist, got {wheels + sdists}"]
        found += wheel_problems(wheels[0], sdists[0])
        print(f"built {sdists[0].name} and {wheels[0].name} with {generator(wheels[0])}")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.deps", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    floor_parser = commands.add_parser("floors", help="print a constraints file of the floors")
    floor_parser.add_argument("--extra", action="append", default=[], help="also this extra")
    floor_parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    lock_parser = commands.add_parser("check-lock", help="compare this environment to a lock")
    lock_parser.add_argument("lock", type=Path)
    build_parser = commands.add_parser("build-check", help="build sdist and wheel; no warnings")
    build_parser.add_argument("--source", type=Path, default=ROOT, help="the project to build")
    args = parser.parse_args(argv)

    if args.command == "floors":
        print(f"# The declared floors of {args.pyproject.name}", end="")
        print(f" and its extras {', '.join(args.extra)}" if args.extra else "")
        print("# (written by python -m tools.deps floors: do not edit)")
        print("\n".join(floors(args.pyproject, args.extra)))
        return 0
    if args.command == "check-lock":
        found = check_lock(args.lock)
        for line in found:
            print(line, file=sys.stderr)
        if found:
            print(
                f"This environment differs from {args.lock} ({len(found)} packages): run "
                "`make lock` if pyproject.toml changed, else remove .venv and `make install`",
                file=sys.stderr,
            )
            return 1
        print(f"the environment matches {args.lock}")
        return 0
    found = build_check(args.source)
    for line in found:
        print(line, file=sys.stderr)
    if not found:
        print("sdist and wheel built without a warning; licence metadata in place")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
