"""A DaemonSet on a plan's nodes (issue #19, item 5): its pod is on every node the plan counts,
whatever a quota admits of its pods; only a pod that can never be created is on none.

The DaemonSet controller puts one pod on each node (``pkg/controller/daemon``). A
ResourceQuota refuses pods one at a time, past what it has room for: the others exist, and
the refusal is admission's to report. LimitRanger (``PodValidateLimitFunc``) and validation
(``ValidatePod``) refuse the pod template itself, so no pod of it can be created at all.
The figures mirror the EKS ``m5.large`` shape of ``tests/http/test_plan.py``.
"""

from __future__ import annotations

import pytest

from calc.admission import Rejection
from calc.allocatable import Model, node_allocatable, reservation
from calc.errors import Location
from calc.nodes import Node, NodeShape, PerNode, Scheduled, daemon_usage, fit_nodes, fit_shape, never_created
from calc.pod import ResourceList
from calc.quantity import canonical
from tests.podbuild import quantities

QUOTA = Rejection("ResourceQuota", ("ResourceQuota/ds",), "exceeded quota: ds, ...", pods=1)
LIMIT_RANGE = Rejection("LimitRanger", ("LimitRange/lr",), "maximum cpu usage per Container is 50m, but limit is 100m")
VALIDATION = Rejection("validation", ("LimitRange/lr",), 'Pod "" is invalid: ...')


def texts(resources: ResourceList) -> dict[str, str]:
    return {name: canonical(q) for name, q in resources.items()}


def agent(admitted: int, refused: bool = False) -> Scheduled:
    """The agent DaemonSet (100m, 200Mi a pod), ``admitted`` of its pods through the quota."""
    return Scheduled(
        0, "DaemonSet", "agent", admitted, quantities({"cpu": "100m", "memory": "200Mi"}), True, refused, None
    )


API = Scheduled(1, "Deployment", "api", 10, quantities({"cpu": "500m", "memory": "1Gi"}), False, False, None)


def m5_large() -> NodeShape:
    capacity = quantities({"cpu": "2", "memory": "8Gi"})
    return NodeShape("m5.large", capacity, 29, reservation(Model.EKS, capacity, 29), Location(0))


@pytest.mark.parametrize(
    ("rejections", "expected"),
    [
        pytest.param([], False, id="admitted"),
        pytest.param([QUOTA], False, id="a quota refuses some pods: the others exist"),
        pytest.param([LIMIT_RANGE], True, id="LimitRanger refuses the template: no pod exists"),
        pytest.param([VALIDATION], True, id="validation refuses the template: no pod exists"),
        pytest.param([LIMIT_RANGE, QUOTA], True, id="LimitRanger and a quota"),
    ],
)
def test_never_created(rejections: list[Rejection], expected: bool) -> None:
    assert never_created(rejections) is expected


@pytest.mark.parametrize("admitted", [3, 2, 0], ids=["all 3 admitted", "2 of 3 admitted", "none admitted"])
def test_a_daemon_set_is_on_every_shape_node_whatever_the_quota_admits(admitted: int) -> None:
    """1930m allocatable - 100m for the agent leaves 1830m: 3 api pods of 500m per node, so
    10 need 4 nodes, each with the agent's pod, however many of the agent's pods a quota took."""
    fit = fit_shape(m5_large(), [agent(admitted), API])
    assert texts(fit.daemons) == {"cpu": "100m", "memory": "200Mi", "pods": "1"}
    assert fit.daemons_fit is True
    assert fit.per_node == [PerNode(1, 3, "cpu")]
    assert fit.packing.opened == 4
    assert [(g.count, g.placed, canonical(g.free["cpu"])) for g in fit.packing.nodes] == [
        (3, {1: 3}, "330m"),
        (1, {1: 1}, "1330m"),
    ]
    assert fit.packing.unplaced == {}


@pytest.mark.parametrize("admitted", [3, 2, 0], ids=["all 3 admitted", "2 of 3 admitted", "none admitted"])
def test_a_daemon_set_is_on_every_node_given_whatever_the_quota_admits(admitted: int) -> None:
    nodes = [
        Node(f"node-{i}", node_allocatable(quantities({"cpu": "2", "memory": "8Gi"})), Location(i)) for i in range(3)
    ]
    fit = fit_nodes(nodes, [agent(admitted)])
    assert fit is not None
    assert [texts(row.running) for row in fit.rows] == [{"cpu": "100m", "memory": "200Mi", "pods": "1"}] * 3
    assert [texts(row.free) for row in fit.rows] == [{"cpu": "1900m", "memory": "7992Mi", "pods": "109"}] * 3
    assert fit.packing.unplaced == {}
    assert fit.fits is True


def test_a_daemon_set_whose_pod_can_never_be_created_is_on_no_node() -> None:
    """LimitRanger or validation refused its template: no node holds its pod."""
    refused = agent(0, refused=never_created([LIMIT_RANGE]))
    assert daemon_usage([refused]) == {}
    fit = fit_shape(m5_large(), [refused, API])
    assert fit.daemons == {}
    assert fit.per_node == [PerNode(1, 3, "cpu")]  # 1930m: still 3 of 500m
    assert fit.packing.opened == 4


def test_a_quota_refusal_leaves_the_daemon_set_on_the_nodes() -> None:
    assert texts(daemon_usage([agent(2, refused=never_created([QUOTA]))])) == {
        "cpu": "100m",
        "memory": "200Mi",
        "pods": "1",
    }
