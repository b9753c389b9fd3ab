"""What one request may hold (``Limits``: documents, workloads, containers, values once YAML
aliases are expanded, nesting, the length of a quantity, the cluster objects of a plan, each
named with its setting), and the refusal of a body beyond its documents, values or nesting
(``check_size``, ``check_json_size``: ``TooLargeError``). The readers refuse the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from podcalc.errors import TooLargeError

# The walk of check_size recurses once a level, within Python's recursion limit: a higher
# PODCALC_MAX_DEPTH is held to this.
MAX_DEPTH = 256


@dataclass(frozen=True, slots=True)
class Limits:
    """What one request may ask for; each refusal names the limit and its setting."""

    documents: int = 20_000  # documents in a stream (PODCALC_MAX_DOCUMENTS)
    workloads: int = 20_000  # workloads in a request, Lists expanded (PODCALC_MAX_WORKLOADS)
    containers: int = 200  # containers and init containers in one pod (PODCALC_MAX_CONTAINERS)
    # values in the body once YAML aliases are expanded (PODCALC_MAX_NODES): about what a
    # 1 MiB body of plain JSON can hold, so aliases cannot make a request cost more than that
    nodes: int = 300_000
    depth: int = 64  # nesting of objects and lists, at most MAX_DEPTH (PODCALC_MAX_DEPTH)
    quantity_length: int = 256  # characters of one quantity, at most 256 (PODCALC_MAX_QUANTITY_LENGTH)
    # /v1/plan: packing costs workloads x node groups per shape, and admission workloads x
    # policies, so the cluster objects of one request are bounded (PODCALC_MAX_NODE_SHAPES, ...)
    node_shapes: int = 10
    cluster_nodes: int = 1_000
    policies: int = 100  # LimitRanges and ResourceQuotas together

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        """The limits set by the config keys ``MAX_<FIELD>`` (the others keep their defaults)."""
        return cls(**{f: int(config[key]) for f, key in cls.config_keys().items() if key in config})

    @classmethod
    def config_keys(cls) -> dict[str, str]:
        return {field: f"MAX_{field.upper()}" for field in cls.__slots__}


DEFAULT_LIMITS = Limits()


def too_large(what: str, limit: int, setting: str, errors: list[dict[str, Any]] | None = None) -> TooLargeError:
    return TooLargeError.limit(what, limit, setting, errors)


def check_size(documents: list[Any], limits: Limits, counts: Sequence[tuple[int, int]] | None = None) -> None:
    """Refuse a body with too many documents, nested too deeply, or too large once expanded.

    Aliases let a small YAML stand for a huge tree ("billion laughs"): shared subtrees are
    counted once per use, without expanding them. ``counts``: each document's values and
    deepest nesting, exact, as the YAML loader counted them while building (``LeanLoader``);
    they then stand for the walk.
    """
    if len(documents) > limits.documents:
        raise too_large(f"{len(documents):,} documents", limits.documents, "PODCALC_MAX_DOCUMENTS")
    max_depth = min(limits.depth, MAX_DEPTH)
    if counts is not None:
        total = 0
        for values, deepest in counts:  # in the walk's order: depth, then the running total
            if deepest > max_depth:
                raise too_deep(max_depth)
            total += values
            if total > limits.nodes:
                raise _too_many_values(limits.nodes)
        return
    memo: dict[int, tuple[int, int]] = {}
    total = 0
    for document in documents:
        total += _size(document, 1, max_depth, memo)
        if total > limits.nodes:
            raise _too_many_values(limits.nodes)


def too_deep(max_depth: int) -> TooLargeError:
    return too_large(f"values nested more than {max_depth} levels deep", max_depth, "PODCALC_MAX_DEPTH")


def _too_many_values(max_nodes: int) -> TooLargeError:
    return too_large("the body expands to too many values", max_nodes, "PODCALC_MAX_NODES")


def check_json_size(value: Any, limits: Limits) -> None:
    """``check_size`` for a decoded JSON value, which shares no subtree (JSON has no aliases):
    a walk without the memo that aliases need, a level's children counted at once."""
    max_depth = min(limits.depth, MAX_DEPTH)
    total = 1
    stack = [(value, 1)] if type(value) is dict or type(value) is list else []
    while stack:
        node, depth = stack.pop()
        children = node.values() if type(node) is dict else node
        total += len(children)
        for child in children:
            if type(child) is dict or type(child) is list:
                if depth >= max_depth:
                    raise too_deep(max_depth)
                stack.append((child, depth + 1))
    if total > limits.nodes:
        raise _too_many_values(limits.nodes)


def _size(value: Any, depth: int, max_depth: int, memo: dict[int, tuple[int, int]]) -> int:
    """Values in ``value`` once expanded; refuses nesting beyond ``max_depth`` wherever a
    shared (aliased) subtree is used, since its height is remembered with its size."""
    return _measure(value, depth, max_depth, memo)[0]


def _measure(value: Any, depth: int, max_depth: int, memo: dict[int, tuple[int, int]]) -> tuple[int, int]:
    if isinstance(value, dict):
        children: Any = value.values()
    elif isinstance(value, list | tuple):  # tuples: the (key, value) entries of !!omap and !!pairs
        children = value
    else:
        return 1, 0
    known = memo.get(id(value))
    if known is None:
        if depth > max_depth:
            raise too_deep(max_depth)
        size, height = 1, 0
        for child in children:
            if isinstance(child, dict | list | tuple):
                child_size, child_height = _measure(child, depth + 1, max_depth, memo)
                size, height = size + child_size, max(height, child_height + 1)
            else:
                size += 1
        known = memo[id(value)] = (size, height)
    if depth + known[1] > max_depth:
        raise too_deep(max_depth)
    return known
