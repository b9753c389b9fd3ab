"""Where in a YAML text a problem is written: the line of a JSON pointer into one of its
documents.

The readers turn YAML into plain values, which keep no lines; a problem found later (an
invalid quantity, a missing field) is located by document and JSON pointer. Only when there
is such a problem to report is the text composed again (PyYAML's node tree keeps each node's
position) and the pointer followed in it: the line of the key that holds the value, or of the
list item; for a field that is not written, the line of the deepest part that is.
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from podcalc.errors import Entry, InputError, source_parts

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's composer where it is built


def compose(text: str) -> list[yaml.Node] | None:
    """The node tree of each document of ``text``; None where it cannot be composed."""
    try:
        return [node for node in yaml.compose_all(text, Loader=_Loader) if node is not None]
    except yaml.YAMLError:
        return None


def line_of(root: yaml.Node, pointer: str) -> int:
    """The line (from 1) where the value at ``pointer`` is written in the document ``root``:
    the line of its key in a mapping or of its item in a list; where the pointer leaves what
    is written, the line of the last part that is."""
    node, line = root, root.start_mark.line + 1
    for part in pointer.split("/")[1:] if pointer else []:
        token = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == token), None)
            if found is None:
                break
            node, line = found[1], found[0].start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and token.isdigit() and int(token) < len(node.value):
            node = node.value[int(token)]
            line = node.start_mark.line + 1
        else:
            break
    return line


def with_lines(err: InputError, texts: Mapping[str | None, bytes]) -> InputError:
    """``err`` with the ``line`` of each of its entries that names a document and a pointer of
    a text in ``texts``: by the file named in its ``source`` (``app.yaml document 1``), or,
    without one, the text under None (a request's body). The entries are completed in place."""
    composed: dict[str | None, list[yaml.Node] | None] = {}
    for entry in err.errors or []:
        where = _document(entry)
        if where is None or "line" in entry or where[0] not in texts:
            continue
        label, index = where
        if label not in composed:
            composed[label] = compose(texts[label].decode("utf-8", "replace"))
        nodes = composed[label]
        if nodes is not None and 0 <= index < len(nodes):
            entry["line"] = line_of(nodes[index], entry.get("pointer") or "")
    return err


def _document(entry: Entry) -> tuple[str | None, int] | None:
    """The text (its label, None for a request's body) and the document an entry names."""
    if "pointer" not in entry or not isinstance(entry.get("document"), int):
        return None
    label, number = source_parts(entry.get("source"))
    if not label:
        return None, entry["document"]
    return (label, int(number)) if number.isdigit() else None
