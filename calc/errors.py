"""The calculation core's errors.

One base class, ``CalcError``; each specific error also subclasses the builtin that fits
(``ValueError``), and keeps the offending input and where it was found, so that the API
can turn every one of them into a problem+json entry in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass

# A location inside a document: the keys and indexes from its root, e.g.
# ("containers", 1, "resources", "limits", "memory").
Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Location:
    """Where an object stands in the input: the ``document`` of the stream it is in, its
    ``path`` inside that document, and the ``source`` (a file) where there is one.

    The core only carries it, so that a result or an error can say which object it is about;
    it never reads it.
    """

    document: int
    path: Path = ()
    source: str | None = None


class CalcError(Exception):
    """Base class of every error raised by ``calc``."""


class QuantityError(ValueError, CalcError):
    """A quantity string that is not a valid Kubernetes quantity or unit expression."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"invalid quantity {text!r}: {reason}")
        self.text = text
        self.reason = reason


class DimensionError(QuantityError):
    """A unit expression of the wrong kind for its resource, e.g. ``2 GiB`` for cpu."""


class BitsError(QuantityError):
    """A unit of bits (``512Mb``, ``60Mib``): Kubernetes counts bytes, and never a bit.

    ``prefix`` is pint's prefix of the unit (``mega``, ``mebi``, "" for plain bits)."""

    def __init__(self, text: str, reason: str, prefix: str) -> None:
        super().__init__(text, reason)
        self.prefix = prefix


@dataclass(frozen=True, slots=True)
class Violation:
    """One rule the input breaks, at ``path`` (relative to the PodSpec)."""

    path: Path
    message: str
    value: str | None = None
    # what the API server's message says where it differs: its field.Error type ("Required",
    # "Forbidden"; "Invalid" quotes ``value``) and the path it names (``requests``, not the key)
    type: str = "Invalid"
    reported: Path | None = None


class PodInvalidError(ValueError, CalcError):
    """A pod the API server would reject; ``violations`` lists every reason."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("; ".join(f"{'/'.join(map(str, v.path))}: {v.message}" for v in violations))
        self.violations = violations
