"""Workloads: how many pods each kind runs at once, and a workload's totals.

| kind | pods at once |
| --- | --- |
| Pod, PodTemplate, a bare PodSpec | 1 |
| Deployment, StatefulSet, ReplicaSet, ReplicationController | ``spec.replicas`` (default 1) |
| DaemonSet | one per node |
| Job | ``spec.parallelism`` (default 1), at most ``spec.completions`` |
| CronJob | as its Job (``spec.jobTemplate.spec``), one run at a time |

A workload's total is its pod's effective figures times its pods, exactly: the scheduler and
quota count every pod with the same ``PodRequests``/``PodLimits``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from calc.effective import add_resources
from calc.pod import ResourceList
from calc.quantity import Quantity

REPLICATED = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"})
JOBS = frozenset({"Job", "CronJob"})
DAEMON = "DaemonSet"


def pods_at_once(kind: str, replicas: int | None, parallelism: int | None, completions: int | None) -> int | None:
    """The pods a workload runs at once, with the API's defaults (``replicas`` and
    ``parallelism`` default to 1); None for a DaemonSet, whose pods are one per node
    (``pods_on_nodes``, once a node count is known).

    Sources: ``pkg/apis/apps/v1/defaults.go`` (replicas), ``pkg/apis/batch/v1/defaults.go``
    (parallelism), the Job controller, which never runs more pods than completions remain,
    and the DaemonSet controller (``pkg/controller/daemon``).
    """
    if kind in REPLICATED:
        return 1 if replicas is None else replicas
    if kind in JOBS:
        running = 1 if parallelism is None else parallelism
        return running if completions is None else min(running, completions)
    if runs_on_every_node(kind):
        return None
    return 1


def runs_on_every_node(kind: str) -> bool:
    """Whether a workload of ``kind`` runs one pod on every eligible node, whatever its
    counts: a DaemonSet (``pkg/controller/daemon``)."""
    return kind == DAEMON


def pods_on_nodes(kind: str, counted: int | None, nodes: int | None) -> int | None:
    """A workload's pods at once on ``nodes`` nodes, from ``counted``, its ``pods_at_once``
    without a node count: a DaemonSet runs one pod per eligible node, so ``nodes`` of them
    (None when no node count is known); any other kind's count stays ``counted``.

    Source: the DaemonSet controller (``pkg/controller/daemon``: one pod on each node that
    ``nodeShouldRunDaemonPod`` accepts).
    """
    return nodes if runs_on_every_node(kind) else counted


def node_count(given: int | None, listed: int) -> int | None:
    """The nodes a DaemonSet's pods are counted on: the count ``given``, else the ``listed``
    Nodes (None: neither)."""
    if given is not None:
        return given
    return listed or None


def scale(resources: ResourceList, times: int) -> dict[str, Quantity]:
    """Each quantity times a whole number, exactly, keeping its format (and its text for 1)."""
    if times == 1:
        return dict(resources)
    return {name: Quantity(q.nanos * times, q.format) for name, q in resources.items()}


def sum_resources(lists: Iterable[ResourceList]) -> dict[str, Quantity]:
    """Per-resource sums in the given order (the first operand's format, as Quantity.Add)."""
    total: dict[str, Quantity] = {}
    for resources in lists:
        total = add_resources(total, resources)
    return total


@dataclass(frozen=True, slots=True)
class Total:
    """Pods, and what they request and are limited to altogether."""

    pods: int
    requests: dict[str, Quantity]
    limits: dict[str, Quantity]
    unbounded: frozenset[str]  # resources some pod may use without a limit


def workload_total(requests: ResourceList, limits: ResourceList, unbounded: Iterable[str], pods: int) -> Total:
    """A workload's total: ``pods`` x its pod's requests and limits; a workload running no
    pods has nothing unbounded."""
    return Total(pods, scale(requests, pods), scale(limits, pods), frozenset(unbounded) if pods else frozenset())


def add_totals(totals: Sequence[Total]) -> Total:
    """Several totals added up (a namespace's, the stream's); one total is its own sum."""
    if len(totals) == 1:
        return totals[0]
    return Total(
        sum(t.pods for t in totals),
        sum_resources(t.requests for t in totals),
        sum_resources(t.limits for t in totals),
        frozenset().union(*(t.unbounded for t in totals)),
    )
