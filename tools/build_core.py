"""Compile the calculation core's hot modules with mypyc into ``calc/_native/`` (``make core``).

The modules a pod's evaluation runs through are compiled to C extensions from the same
type-checked sources (``mypy --strict`` already holds them to their annotations); the rest of
``calc`` (units through pint, explanations, quota, plans) stays interpreted. ``calc`` loads
the compiled modules only while ``calc/_native/SOURCES.json`` matches ``calc.build_stamp()``
(the sources' digest, this interpreter and platform), so an edited module runs interpreted
until the next build: never stale.

Usage: python tools/build_core.py [--check | --require]
  --check    only say whether a build is needed (exit 1 if so)
  --require  fail (exit 2) where it cannot build, instead of leaving the core interpreted
It needs a C compiler and Python's headers. Without them, or when the build fails, it says
why, and the core runs interpreted, with the same answers.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALC = ROOT / "calc"
NATIVE = CALC / "_native"
sys.path.insert(0, str(ROOT))
from calc import COMPILED, build_stamp  # noqa: E402


def _compiler_missing() -> str | None:
    if not Path(sysconfig.get_paths()["include"], "Python.h").exists():
        return "Python's headers (Python.h) are missing"
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]  # as setuptools picks it
    if shutil.which(cc) is None:
        return f"no C compiler ({cc})"
    return None


def build() -> None:
    from mypyc.build import mypycify
    from setuptools import setup

    stamp = build_stamp()  # of the sources as compiled, were one edited meanwhile
    with tempfile.TemporaryDirectory() as tmp:
        extensions = mypycify(
            # mypy's cache of its own: make -j runs make typecheck's mypy beside it
            ["--cache-dir", str(Path(tmp, "mypy")), *(str(CALC / f"{m}.py") for m in COMPILED)],
            opt_level="3",
            group_name="calc.native",
            target_dir=str(Path(tmp, "c")),
        )
        here = os.getcwd()
        os.chdir(tmp)  # setup() would read the project's pyproject.toml from the working directory
        try:
            setup(
                name="podcalc-core",
                ext_modules=extensions,
                script_args=["--quiet", "build_ext", "--build-lib", "lib", "--build-temp", "temp"],
            )
        finally:
            os.chdir(here)
        # New files, never rewritten in place: a running server keeps the ones it mapped.
        shutil.rmtree(NATIVE, ignore_errors=True)
        NATIVE.mkdir()
        for lib in Path(tmp, "lib", "calc").iterdir():
            shutil.copy2(lib, NATIVE / lib.name)
    # Written last: an interrupted build is never taken for a current one.
    (NATIVE / "SOURCES.json").write_text(json.dumps(stamp, indent=1) + "\n")


def main() -> int:
    from calc import native_is_current

    if native_is_current():
        print("calc/_native: up to date")
        return 0
    if "--check" in sys.argv:
        print("calc/_native: needs a build")
        return 1
    missing = _compiler_missing()
    if missing:
        print(f"calc/_native: not built, {missing}: the core runs interpreted (same answers, slower)", file=sys.stderr)
        return 2 if "--require" in sys.argv else 0
    try:
        build()
    except (Exception, SystemExit) as err:  # setuptools ends a failed compile with SystemExit
        print(f"calc/_native: the build failed ({err}): the core runs interpreted", file=sys.stderr)
        return 2 if "--require" in sys.argv else 0
    print(f"calc/_native: compiled {', '.join(COMPILED)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
