"""Pods at once per kind, a DaemonSet's one per node, and what new nodes must take.

Sources: ``pkg/apis/apps/v1/defaults.go``, ``pkg/apis/batch/v1/defaults.go``, the Job
controller and the DaemonSet controller (``pkg/controller/daemon``).
"""

from __future__ import annotations

import pytest

from calc.nodes import Scheduled, for_new_nodes
from calc.workloads import node_count, pods_at_once, pods_on_nodes, runs_on_every_node
from tests.podbuild import quantities


@pytest.mark.parametrize(
    ("kind", "replicas", "parallelism", "completions", "expected"),
    [
        ("Deployment", None, None, None, 1),
        ("StatefulSet", 3, None, None, 3),
        ("ReplicaSet", 0, None, None, 0),
        ("Job", None, 4, 2, 2),
        ("Job", None, 4, None, 4),
        ("CronJob", None, None, None, 1),
        ("Pod", None, None, None, 1),
        ("DaemonSet", 3, None, None, None),  # one per node: pods_on_nodes
    ],
)
def test_pods_at_once(
    kind: str, replicas: int | None, parallelism: int | None, completions: int | None, expected: int | None
) -> None:
    assert pods_at_once(kind, replicas, parallelism, completions) == expected


@pytest.mark.parametrize(
    ("kind", "counted", "nodes", "expected"),
    [
        ("DaemonSet", None, 3, 3),
        ("DaemonSet", None, None, None),
        ("DaemonSet", None, 0, 0),
        ("Deployment", 2, 3, 2),
        ("Job", 4, None, 4),
    ],
)
def test_pods_on_nodes(kind: str, counted: int | None, nodes: int | None, expected: int | None) -> None:
    assert pods_on_nodes(kind, counted, nodes) == expected


@pytest.mark.parametrize(("kind", "expected"), [("DaemonSet", True), ("Deployment", False), ("Pod", False)])
def test_runs_on_every_node(kind: str, expected: bool) -> None:
    assert runs_on_every_node(kind) is expected


@pytest.mark.parametrize(
    ("given", "listed", "expected"),
    [(None, 0, None), (None, 3, 3), (5, 3, 5), (0, 3, 0), (2, 0, 2)],
)
def test_node_count(given: int | None, listed: int, expected: int | None) -> None:
    assert node_count(given, listed) == expected


def scheduled(index: int, kind: str, pods: int, node_name: str | None = None) -> Scheduled:
    return Scheduled(index, kind, f"w{index}", pods, quantities({"cpu": "100m"}), kind == "DaemonSet", False, node_name)


def test_new_nodes_take_the_unplaced_pods_and_one_of_each_daemon_set() -> None:
    web, placed, agent, pinned, bound = (
        scheduled(0, "Deployment", 5),
        scheduled(1, "Deployment", 2),
        scheduled(2, "DaemonSet", 3),
        scheduled(3, "DaemonSet", 3, node_name="node-a"),
        scheduled(4, "Pod", 1, node_name="node-a"),
    )
    left = for_new_nodes([web, placed, agent, pinned, bound], {0: 3, 4: 1})
    assert [(s.index, s.pods) for s in left] == [(0, 3), (2, 0), (4, 1)]
    assert left[1].daemon


def test_new_nodes_take_nothing_when_everything_is_placed() -> None:
    assert for_new_nodes([scheduled(0, "Deployment", 2)], {}) == []
