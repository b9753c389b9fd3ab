"""A workload's update strategy, read from its manifest: a Deployment's ``spec.strategy``, a
DaemonSet's or StatefulSet's ``spec.updateStrategy`` (its ``type`` and ``rollingUpdate``),
and a StatefulSet's ``spec.podManagementPolicy``, as written (``calc.rollout.Strategy``). The
rules that read them (``calc.rollout.rollout``) refuse what the API server refuses; their
problems stand at ``strategy_path``."""

from __future__ import annotations

from collections.abc import Mapping

from calc.errors import Path
from calc.rollout import Strategy
from podcalc.reading.manifests import Document, Workload, value_at

__all__ = ["read_strategy", "strategy_field", "strategy_path"]


def strategy_field(kind: str) -> str:
    """The field of a workload's spec that holds its update strategy."""
    return "strategy" if kind == "Deployment" else "updateStrategy"


def strategy_path(workload: Workload, *rest: str) -> Path:
    """Where a workload's update strategy (or ``rest`` inside it) stands in its document."""
    return (*workload.path, "spec", strategy_field(workload.kind), *rest)


def read_strategy(document: Document, workload: Workload) -> Strategy:
    """A workload's update strategy as written: a strategy or ``rollingUpdate`` that is not an
    object reads as empty, a missing field as None."""
    spec, _ = value_at(document.value, (*workload.path, "spec"))  # None when not an object
    spec = spec if spec is not None else {}
    strategy = spec.get(strategy_field(workload.kind))
    strategy = strategy if isinstance(strategy, Mapping) else {}
    rolling = strategy.get("rollingUpdate")
    rolling = rolling if isinstance(rolling, Mapping) else {}
    return Strategy(
        strategy.get("type"),
        rolling.get("maxSurge"),
        rolling.get("maxUnavailable"),
        rolling.get("partition"),
        spec.get("podManagementPolicy"),
    )
