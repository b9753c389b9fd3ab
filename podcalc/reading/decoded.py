"""What decoding yields, whichever the syntax: numbers as they were written (``RawNumber``),
and the refusal of a key written twice in one object (``DuplicateKeyError``).

Numbers are kept as the text they were written in, because a float cannot hold ``0.1`` and
a capacity figure must be what the manifest says, to the milli. A key written twice is
refused, in YAML and in JSON alike, as Kubernetes' strict decoding refuses a duplicate
field (YAML would keep the last value silently, and two manifests joined without ``---``
would read as one object, the last ``kind`` winning).
"""

from __future__ import annotations

import json

from podcalc.errors import Entry, InputError, InvalidError, pointer


class RawNumber:
    """A number as written (``0.5``, ``1e3``), for exact quantity parsing.

    Not a ``str``: a number where the API wants a string (a name, a kind) is refused, as the
    API server refuses it; only quantity fields read ``str(number)``.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"RawNumber({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RawNumber) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


LONGEST_INT = 64  # longer integers are no count and no quantity; Python refuses 4300 digits


class DuplicateKeyError(InvalidError):
    """Keys written twice in one object: decodable, but refused as Kubernetes' strict decoding
    refuses a duplicate field. One entry a repeated key: its document, its JSON pointer, and
    the line it is repeated on (``line``; the detail names its first line too)."""

    def at_source(self, label: str) -> InputError:
        """Each entry names the file's document as a source, as the CLI names every problem."""
        errors = [{"source": f"{label} document {e['document']}"} | e for e in self.errors or []]
        return type(self)(f"{label}: {self.detail}", errors, self.title)


def duplicate_entry(
    document: int, path: tuple[str | int, ...], key: str, first: tuple[int, int], again: tuple[int, int]
) -> Entry:
    """The entry of ``key`` written again: ``first`` and ``again`` are (line, column), from 1;
    the columns are named when the lines are the same (``{cpu: 1, cpu: 2}``, one-line JSON)."""
    (line, column), (again_line, again_column) = first, again
    where = f"first at line {line}, again at line {again_line}"
    if line == again_line:
        where = f"first at line {line} column {column}, again at line {again_line} column {again_column}"
    detail = f"duplicate key {json.dumps(key, ensure_ascii=False)}: {where}"
    return {"document": document, "pointer": pointer(*path, key), "detail": detail, "line": again_line}
