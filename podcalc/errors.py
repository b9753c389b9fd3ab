"""The application's errors: bad input, said in words, located, and never an HTTP status.

Every error a use case raises is an ``InputError``: a one-line ``title`` (what kind of
problem), a ``detail`` sentence, and ``errors``, each entry naming where the problem is
(``source``, ``document``, JSON ``pointer``, or a ``parameter``) and what was wrong
(``detail``). The HTTP API maps each class to a status in one place (``api.problems``);
the CLI maps them to exit codes in one place (``podcalc.cli``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# One located problem: {"document": 0, "pointer": "/spec/...", "detail": "...", "source": ...}
# or {"parameter": "nodes", "detail": "..."}. The problem+json ``errors`` entries.
Entry = dict[str, Any]


class InputError(Exception):
    """Input podcalc cannot answer; the base of every error below."""

    default_title = "Invalid input"

    def __init__(self, detail: str, errors: list[Entry] | None = None, title: str | None = None) -> None:
        super().__init__(detail)
        self.title = title or self.default_title
        self.detail = detail
        self.errors = errors

    def at_source(self, label: str) -> InputError:
        """The same error, its detail prefixed with where the input came from (a file name)."""
        return type(self)(f"{label}: {self.detail}", self.errors, self.title)


class MalformedError(InputError):
    """Input that cannot be decoded at all: not UTF-8, not JSON, not YAML, empty."""

    default_title = "Malformed body"


class ParameterError(InputError):
    """A query parameter or command-line option with a bad value."""

    default_title = "Invalid parameter"

    @classmethod
    def of(cls, name: str, detail: str) -> ParameterError:
        return cls(f"{name}: {detail}", [{"parameter": name, "detail": detail}])


class InvalidError(InputError):
    """Decoded input that is not what Kubernetes accepts: every problem listed, each located."""

    @classmethod
    def listing(cls, errors: list[Entry]) -> InvalidError:
        """Several located problems, summed up in one detail line."""
        lines = [where(e) + f"{e.get('pointer') or '/'}: {e['detail']}" for e in errors]
        return cls(f"{len(errors)} problem(s): " + "; ".join(lines), errors)

    @classmethod
    def at(cls, at: str, detail: str) -> InvalidError:
        """One problem at a JSON pointer into a request envelope."""
        return cls(f"{at}: {detail}", [{"pointer": at, "detail": detail}])


class TooLargeError(InputError):
    """Input beyond one of the limits a request may reach (each named with its setting)."""

    default_title = "Content Too Large"

    @classmethod
    def limit(cls, what: str, limit: int, setting: str, errors: list[Entry] | None = None) -> TooLargeError:
        return cls(f"{what}: the limit is {limit:,} ({setting})", errors)


def where(error: Mapping[str, Any]) -> str:
    """Where an entry of a listing stands, in words: its source (or document) and object."""
    parts = [error.get("source") or f"document {error.get('document')}"]
    if error.get("kind"):
        parts.append(f"{error['kind']}/{error.get('name') or '(unnamed)'}")
    return " ".join(parts) + " "


def source_parts(source: str | None) -> tuple[str, str]:
    """The file (or side) and the document number a ``source`` names, as the CLI and the
    two-sided operations write it: ``app.yaml document 1`` -> ``("app.yaml", "1")``; two
    empty strings for none."""
    file, _, number = (source or "").rpartition(" document ")
    return file, number


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) from path parts: ``~`` and ``/`` escaped."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
