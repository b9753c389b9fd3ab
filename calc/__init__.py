"""The calculation core: pure functions from values to values.

Its hot modules (``COMPILED``) can run compiled: ``make core`` (tools/build_core.py) builds
them with mypyc, from these same sources, into ``calc/_native/``. They are loaded from there
only while its ``SOURCES.json`` records the digest of every ``calc/*.py`` as they are now,
and this interpreter and platform: after an edit, or on another machine, everything runs
interpreted until the next build, never a stale or foreign one.
``PODCALC_NATIVE=false`` runs the interpreted core regardless. Either way the answers are the
same (tests/test_native.py); only the speed differs.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

# What evaluate_pod runs through, with what those modules import from calc.
COMPILED = ("errors", "quantity", "resources", "pod", "effective", "defaults", "validation", "qos", "evaluate")

_HERE = Path(__file__).resolve().parent
NATIVE_DIR = _HERE / "_native"


def sources_digest() -> str:
    """The digest of every module of calc and of the list compiled: what a build is of."""
    digest = hashlib.sha256(",".join(COMPILED).encode())
    for path in sorted(_HERE.glob("*.py")):
        digest.update(b"\0" + path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def build_stamp() -> dict[str, str]:
    """What a build of calc/_native records, and the loader compares: the sources' digest,
    and the interpreter and platform its modules are for (``.cpython-311-x86_64-linux-gnu.so``)."""
    return {"digest": sources_digest(), "python": sys.implementation.cache_tag, "suffix": EXTENSION_SUFFIXES[0]}


def native_is_current() -> bool:
    """Whether calc/_native was built from the sources as they are, for this interpreter and
    platform, with a module for each of COMPILED."""
    try:
        stamp = json.loads((NATIVE_DIR / "SOURCES.json").read_text())
    except (OSError, ValueError):
        return False
    current = build_stamp()
    if stamp != current:
        return False
    return all((NATIVE_DIR / (name + current["suffix"])).is_file() for name in (*COMPILED, "native__mypyc"))


def _wanted() -> bool:
    text = os.environ.get("PODCALC_NATIVE", "true")
    if text not in ("true", "false"):
        raise ValueError(f"PODCALC_NATIVE must be true or false, not {text!r}")
    return text == "true"


NATIVE = _wanted() and native_is_current()  # whether the COMPILED modules load compiled
if NATIVE:
    __path__.insert(0, str(NATIVE_DIR))  # searched before the sources: its modules win
