"""The snapshot reader reads a workload's replicas once (``podcalc.reading.snapshot._Replicas``):
a pod whose spec, but for ``nodeName``, is its workload's previous pod's gets that PodSpec with
its own node; any other difference is read for itself."""

from __future__ import annotations

import copy
from typing import Any

from calc.live import running_figures
from calc.quantity import parse_quantity
from podcalc.reading.limits import DEFAULT_LIMITS
from podcalc.reading.manifests import Document, collect
from podcalc.reading.snapshot import read_snapshot


def _pod(name: str, node: str, cpu: str, owner: str = "web-1a2b3c") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "shop",
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner, "controller": True}],
        },
        "spec": {"nodeName": node, "containers": [{"name": "app", "resources": {"requests": {"cpu": cpu}}}]},
        "status": {"phase": "Running"},
    }


def _read(items: list[dict[str, Any]]) -> list[tuple[str, str | None, str | None, str]]:
    found = collect([Document(0, {"apiVersion": "v1", "kind": "List", "items": items})], DEFAULT_LIMITS)
    snapshot, errors = read_snapshot(found, DEFAULT_LIMITS, "default")
    assert errors == []
    rows = []
    for p in snapshot.pods:  # each pod's cpu as 1.37 counts it: resized in place where its status says so
        resized = running_figures(p.spec, p.statuses, p.infeasible, (1, 37))
        cpu = resized[0]["cpu"] if resized is not None else p.spec.containers[0].requests["cpu"]
        rows.append((p.name, p.node_name, p.spec.node_name, str(cpu)))
    return rows


def test_each_replica_keeps_its_own_node_and_figures() -> None:
    """a and b differ only in their node; c (mid-rollout) asks more; d is a again on w2; e is
    another workload's pod written like a."""
    pods = [
        _pod("a", "w1", "500m"),
        _pod("b", "w2", "500m"),
        _pod("c", "w1", "700m"),
        _pod("d", "w2", "500m"),
        _pod("e", "w1", "500m", owner="api-9z8y7x"),
    ]
    assert _read(pods) == [
        ("a", "w1", "w1", "500m"),
        ("b", "w2", "w2", "500m"),
        ("c", "w1", "w1", "700m"),
        ("d", "w2", "w2", "500m"),
        ("e", "w1", "w1", "500m"),
    ]


def test_a_difference_anywhere_in_the_spec_is_read() -> None:
    """Not only the figures: a field the PodSpec reads (an overhead) makes the pod read again."""
    second = _pod("b", "w1", "500m")
    second["spec"]["overhead"] = {"cpu": "100m"}
    found = collect(
        [Document(0, {"kind": "List", "items": [_pod("a", "w1", "500m"), second, copy.deepcopy(second)]})],
        DEFAULT_LIMITS,
    )
    snapshot, _ = read_snapshot(found, DEFAULT_LIMITS, "default")
    assert [p.spec.overhead for p in snapshot.pods] == [
        {},
        {"cpu": parse_quantity("100m")},
        {"cpu": parse_quantity("100m")},
    ]


def test_a_replica_s_own_resize_still_counts() -> None:
    """The spec is shared, the status is each pod's own: a resized replica asks what it was given."""
    resized = _pod("b", "w2", "500m")
    resized["status"]["containerStatuses"] = [{"name": "app", "allocatedResources": {"cpu": "800m"}}]
    assert [row[3] for row in _read([_pod("a", "w1", "500m"), resized, _pod("c", "w1", "500m")])] == [
        "500m",
        "800m",
        "500m",
    ]


def test_a_status_written_as_the_spec_changes_nothing_but_what_differs_counts() -> None:
    """The kubelet's status of an unresized container repeats its spec (passed over unread);
    the same ``resources`` with a larger ``allocatedResources`` is a resize under way."""
    same, allocated = _pod("a", "w1", "500m"), _pod("b", "w1", "500m")
    spec_resources = same["spec"]["containers"][0]["resources"]
    same["status"]["containerStatuses"] = [{"name": "app", "resources": copy.deepcopy(spec_resources)}]
    allocated["status"]["containerStatuses"] = [
        {"name": "app", "resources": copy.deepcopy(spec_resources), "allocatedResources": {"cpu": "800m"}}
    ]
    assert [row[3] for row in _read([same, allocated])] == ["500m", "800m"]
