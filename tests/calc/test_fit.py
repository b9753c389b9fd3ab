"""A plan's nodes: the Nodes given (what is free, what is overcommitted, where the new pods go)
and node shapes to add (how many nodes the admitted pods need).

A pod fits a node when each resource it requests is at most allocatable - requested there,
and a pod slot is left: the scheduler's ``NodeResourcesFit`` filter
(``pkg/scheduler/framework/plugins/noderesources/fit.go``). A DaemonSet runs one pod on every
node (``pkg/controller/daemon``). Figures are worked by hand next to each case.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from calc.allocatable import KUBELET_EVICTION_DEFAULTS, Model, Reservation, node_allocatable, reservation
from calc.errors import Location
from calc.nodes import Node, NodeShape, PerNode, Scheduled, daemon_usage, fit_nodes, fit_shape
from calc.pod import ResourceList
from calc.quantity import canonical
from tests.podbuild import quantities


def texts(resources: ResourceList) -> dict[str, str]:
    """A ResourceList as Kubernetes prints it, for comparing with the tables' strings."""
    return {name: canonical(q) for name, q in resources.items()}


def pods(
    index: int,
    requests: dict[str, str],
    count: int = 1,
    *,
    kind: str = "Deployment",
    name: str | None = None,
    daemon: bool = False,
    refused: bool = False,
    node: str | None = None,
) -> Scheduled:
    """``count`` admitted pods of one workload, each requesting ``requests``."""
    return Scheduled(index, kind, name or f"w{index}", count, quantities(requests), daemon, refused, node)


def node(name: str, allocatable: dict[str, str], document: int = 0) -> Node:
    return Node(name, node_allocatable(quantities(allocatable)), Location(document))


def shape(
    cpu: str, memory: str, max_pods: int = 110, reserved: Reservation | None = None, name: str = "shape"
) -> NodeShape:
    capacity = quantities({"cpu": cpu, "memory": memory})
    held = reserved if reserved is not None else reservation(Model.EXPLICIT, capacity, max_pods)
    return NodeShape(name, capacity, max_pods, held, Location(0))


# --- allocatable of a Node -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        pytest.param({"cpu": "4", "memory": "16Gi"}, {"cpu": "4", "memory": "16Gi", "pods": "110"}, id="pods: 110"),
        pytest.param(
            {"cpu": "2", "memory": "8Gi", "pods": "29"}, {"cpu": "2", "memory": "8Gi", "pods": "29"}, id="pods as given"
        ),
    ],
)
def test_node_allocatable(reported: dict[str, str], expected: dict[str, str]) -> None:
    """``status.allocatable``, with ``pods`` at the kubelet's ``--max-pods`` default of 110 where not reported."""
    assert texts(node_allocatable(quantities(reported))) == expected


# --- the Nodes given -----------------------------------------------------------------------------

NODE_A = node("node-a", {"cpu": "3920m", "memory": "14Gi", "pods": "110"})
NODE_B = node("node-b", {"cpu": "2", "memory": "8Gi", "pods": "110"}, document=1)
RUNNING = pods(0, {"cpu": "3", "memory": "1Gi"}, kind="Pod", name="running", node="node-a")
WEB = pods(1, {"cpu": "500m", "memory": "512Mi"}, 5, name="web")
AGENT = pods(2, {"cpu": "100m", "memory": "200Mi"}, 0, kind="DaemonSet", name="agent", daemon=True)


@dataclass
class Free:
    name: str
    workloads: list[Scheduled]
    running: list[dict[str, str]]  # per node
    free: list[dict[str, str]]


FREE = [
    Free(
        "a bound pod takes its node's room and a pod slot",
        [RUNNING, WEB],
        [{"cpu": "3", "memory": "1Gi", "pods": "1"}, {}],
        [{"cpu": "920m", "memory": "13Gi", "pods": "109"}, {"cpu": "2", "memory": "8Gi", "pods": "110"}],
    ),
    Free(
        "a DaemonSet takes one pod on every node",
        [RUNNING, WEB, AGENT],
        [{"cpu": "3100m", "memory": "1224Mi", "pods": "2"}, {"cpu": "100m", "memory": "200Mi", "pods": "1"}],
        [{"cpu": "820m", "memory": "13112Mi", "pods": "108"}, {"cpu": "1900m", "memory": "7992Mi", "pods": "109"}],
    ),
    Free(
        "a DaemonSet that admission refused takes nothing",
        [RUNNING, WEB, pods(2, {"cpu": "100m"}, 0, kind="DaemonSet", daemon=True, refused=True)],
        [{"cpu": "3", "memory": "1Gi", "pods": "1"}, {}],
        [{"cpu": "920m", "memory": "13Gi", "pods": "109"}, {"cpu": "2", "memory": "8Gi", "pods": "110"}],
    ),
    Free(
        "pods not yet placed take nothing from the free figures",
        [WEB],
        [{}, {}],
        [{"cpu": "3920m", "memory": "14Gi", "pods": "110"}, {"cpu": "2", "memory": "8Gi", "pods": "110"}],
    ),
]


@pytest.mark.parametrize("case", FREE, ids=[c.name for c in FREE])
def test_free_is_allocatable_less_bound_pods_and_daemon_sets(case: Free) -> None:
    fit = fit_nodes([NODE_A, NODE_B], case.workloads)
    assert fit is not None
    assert [texts(row.running) for row in fit.rows] == case.running
    assert [texts(row.free) for row in fit.rows] == case.free
    assert [row.node for row in fit.rows] == [NODE_A, NODE_B]


def test_the_new_pods_go_where_there_is_room_in_node_order() -> None:
    """920m free on node-a: 1 pod of 500m; 2 cpu on node-b: 4 more. The bound pod is not placed again."""
    fit = fit_nodes([NODE_A, NODE_B], [RUNNING, WEB])
    assert fit is not None
    assert [row.per_node for row in fit.rows] == [
        [PerNode(0, 0, "cpu"), PerNode(1, 1, "cpu")],
        [PerNode(0, 0, "cpu"), PerNode(1, 4, "cpu")],
    ]
    assert [(g.name, g.count, g.placed, texts(g.free)) for g in fit.packing.nodes] == [
        ("node-a", 1, {1: 1}, {"cpu": "420m", "memory": "12800Mi", "pods": "108"}),
        ("node-b", 1, {1: 4}, {"cpu": "0", "memory": "6Gi", "pods": "106"}),
    ]
    assert (fit.packing.unplaced, fit.packing.opened, fit.notes, fit.fits) == ({}, 0, [], True)


def test_pods_left_without_room_are_unplaced() -> None:
    """With the agent DaemonSet: 820m on node-a takes 1 pod, 1900m on node-b 3; the fifth fits nowhere."""
    fit = fit_nodes([NODE_A, NODE_B], [RUNNING, WEB, AGENT])
    assert fit is not None
    assert [g.placed for g in fit.packing.nodes] == [{1: 1}, {1: 3}]
    assert fit.packing.unplaced == {1: 1}
    assert fit.fits is False


@pytest.mark.parametrize(
    ("workloads", "placed", "unplaced"),
    [
        pytest.param(
            [pods(0, {"cpu": "200m"}, 4), pods(1, {"cpu": "700m"}, 2)],
            [{1: 1, 0: 1}, {1: 1, 0: 1}],
            {0: 2},
            id="first-fit decreasing: the 700m pods go first, the 200m pods fill the 300m gaps",
        ),
        pytest.param(
            [pods(0, {"cpu": "2"}, 3)],
            [{}, {}],
            {0: 3},
            id="a pod larger than every node is unplaced",
        ),
        pytest.param(
            [pods(0, {"cpu": "100m", "nvidia.com/gpu": "1"}, 1)],
            [{}, {}],
            {0: 1},
            id="a pod requesting a resource no node offers is unplaced",
        ),
        pytest.param(
            [pods(0, {}, 3)],
            [{0: 2}, {0: 1}],
            {},
            id="a pod requesting nothing needs only a pod slot",
        ),
        pytest.param(
            [pods(0, {"cpu": "100m"}, 0)],
            [{}, {}],
            {},
            id="a workload with no admitted pods places nothing",
        ),
    ],
)
def test_first_fit_decreasing_onto_the_nodes_given(
    workloads: list[Scheduled], placed: list[dict[int, int]], unplaced: dict[int, int]
) -> None:
    """Two nodes of 1 cpu and 2 pod slots each."""
    nodes = [node("x", {"cpu": "1", "pods": "2"}), node("y", {"cpu": "1", "pods": "2"})]
    fit = fit_nodes(nodes, workloads)
    assert fit is not None
    assert [g.placed for g in fit.packing.nodes] == placed
    assert fit.packing.unplaced == unplaced
    assert fit.fits is (not unplaced)


@pytest.mark.parametrize(
    ("workloads", "overcommitted", "free"),
    [
        pytest.param(
            [pods(0, {"cpu": "3"}, node="n")],
            ["cpu"],
            {"cpu": "0", "memory": "8Gi", "pods": "1"},
            id="bound pods beyond allocatable: free clamped at 0",
        ),
        pytest.param(
            [pods(0, {"cpu": "1", "nvidia.com/gpu": "1"}, node="n")],
            ["nvidia.com/gpu"],
            {"cpu": "1", "memory": "8Gi", "pods": "1"},
            id="a resource the node does not offer",
        ),
        pytest.param(
            [pods(0, {"cpu": "500m"}, 2, node="n"), pods(1, {"cpu": "100m"}, 0, kind="DaemonSet", daemon=True)],
            ["pods"],
            {"cpu": "900m", "memory": "8Gi", "pods": "0"},
            id="the pod slots: two bound pods and a DaemonSet pod on a node of 2 slots",
        ),
        pytest.param(
            [pods(0, {"cpu": "2", "memory": "8Gi"}, node="n")],
            [],
            {"cpu": "0", "memory": "0", "pods": "1"},
            id="exactly full is not overcommitted",
        ),
    ],
)
def test_overcommitted_resources_are_listed(
    workloads: list[Scheduled], overcommitted: list[str], free: dict[str, str]
) -> None:
    fit = fit_nodes([node("n", {"cpu": "2", "memory": "8Gi", "pods": "2"})], workloads)
    assert fit is not None
    (row,) = fit.rows
    assert row.overcommitted == overcommitted
    assert texts(row.free) == free


@pytest.mark.parametrize(
    ("stray", "notes"),
    [
        pytest.param(
            pods(3, {"cpu": "1"}, kind="Pod", name="stray", node="node-z"),
            ["Pod stray is bound to node node-z, which is not in the stream"],
            id="bound to a node not given: a note",
        ),
        pytest.param(
            Scheduled(3, "Pod", None, 1, quantities({"cpu": "1"}), False, False, "node-z"),
            ["Pod (unnamed) is bound to node node-z, which is not in the stream"],
            id="an unnamed pod",
        ),
        pytest.param(
            pods(3, {"cpu": "1"}, 0, kind="Pod", name="stray", node="node-z", refused=True),
            [],
            id="no admitted pods: nothing to say",
        ),
    ],
)
def test_a_pod_bound_to_a_node_not_given(stray: Scheduled, notes: list[str]) -> None:
    """Its pods count on no node and are not placed elsewhere: the scheduler never sees a bound pod."""
    fit = fit_nodes([NODE_A, NODE_B], [WEB, stray])
    assert fit is not None
    assert fit.notes == notes
    assert [texts(row.running) for row in fit.rows] == [{}, {}]
    assert 3 not in fit.packing.unplaced
    assert all(3 not in g.placed for g in fit.packing.nodes)


def test_no_nodes_given_no_fit() -> None:
    assert fit_nodes([], [WEB]) is None


def test_daemon_usage_is_one_pod_of_each_admitted_daemon_set() -> None:
    workloads = [
        pods(0, {"cpu": "100m", "memory": "200Mi"}, 0, daemon=True),
        pods(1, {"cpu": "50m", "memory": "64Mi"}, 0, daemon=True),
        pods(2, {"cpu": "1"}, 0, daemon=True, refused=True),
        pods(3, {"cpu": "2"}, 3),
    ]
    assert texts(daemon_usage(workloads)) == {"cpu": "150m", "memory": "264Mi", "pods": "2"}
    assert daemon_usage([]) == {}


# --- node shapes to add ------------------------------------------------------------------------------


def test_the_eks_page_shape() -> None:
    """m5.large with the EKS AMI's reservation: 1930m and 7518Mi allocatable, 29 pods; the agent
    DaemonSet takes 100m and 200Mi of each node. 1830m left: 3 pods of 500m per node (memory would
    allow 7), so 10 pods need 4 nodes: three with 3 pods (330m left), one with 1 (1330m left)."""
    capacity = quantities({"cpu": "2", "memory": "8Gi"})
    m5 = NodeShape("m5.large", capacity, 29, reservation(Model.EKS, capacity, 29), Location(2))
    agent = pods(0, {"cpu": "100m", "memory": "200Mi"}, 0, kind="DaemonSet", daemon=True)
    api = pods(1, {"cpu": "500m", "memory": "1Gi"}, 10)
    fit = fit_shape(m5, [agent, api])
    assert fit.shape == m5
    assert texts(fit.allocatable) == {"cpu": "1930m", "memory": "7518Mi", "pods": "29"}
    assert texts(fit.daemons) == {"cpu": "100m", "memory": "200Mi", "pods": "1"}
    assert fit.daemons_fit is True
    assert fit.per_node == [PerNode(1, 3, "cpu")]
    assert fit.packing.opened == 4
    assert [(g.count, g.placed, canonical(g.free["cpu"])) for g in fit.packing.nodes] == [
        (3, {1: 3}, "330m"),
        (1, {1: 1}, "1330m"),
    ]
    assert fit.packing.unplaced == {}


def test_the_readme_shape_with_explicit_reservations() -> None:
    """examples/plan.yaml: 4 cores - 100m - 100m; 16Gi - 1Gi - 500Mi - 100Mi (the kubelet's default
    eviction threshold). report's pod (1 cpu) goes first, as its share is the largest; 3 web pods
    (750m) fill that node to 550m; the other 2 open a second node (2300m left)."""
    capacity = quantities({"cpu": "4", "memory": "16Gi"})
    held = Reservation(
        Model.EXPLICIT,
        quantities({"cpu": "100m", "memory": "1Gi"}),
        quantities({"cpu": "100m", "memory": "500Mi"}),
        KUBELET_EVICTION_DEFAULTS,
    )
    general = NodeShape("general-4x16", capacity, 110, held, Location(4))
    web = pods(0, {"cpu": "750m", "memory": "1280Mi"}, 5)
    report = pods(1, {"cpu": "1", "memory": "2Gi"}, 1, kind="Job", refused=True)  # its second pod over quota
    fit = fit_shape(general, [web, report])
    assert texts(fit.allocatable) == {"cpu": "3800m", "memory": "14760Mi", "pods": "110"}
    assert fit.packing.opened == 2
    assert [(g.placed, canonical(g.free["cpu"])) for g in fit.packing.nodes] == [
        ({1: 1, 0: 3}, "550m"),
        ({0: 2}, "2300m"),
    ]


@pytest.mark.parametrize(
    ("node_shape", "requests", "count", "needed", "per_node"),
    [
        pytest.param(shape("4", "16Gi"), {"cpu": "1", "memory": "1Gi"}, 0, 0, PerNode(0, 4, "cpu"), id="no pods"),
        pytest.param(shape("4", "16Gi"), {"cpu": "1", "memory": "1Gi"}, 1, 1, PerNode(0, 4, "cpu"), id="one pod"),
        pytest.param(shape("4", "16Gi"), {"cpu": "1", "memory": "1Gi"}, 4, 1, PerNode(0, 4, "cpu"), id="a full node"),
        pytest.param(shape("4", "16Gi"), {"cpu": "1", "memory": "1Gi"}, 5, 2, PerNode(0, 4, "cpu"), id="one more"),
        pytest.param(
            shape("4", "16Gi"), {"cpu": "1", "memory": "1Gi"}, 1_000_000, 250_000, PerNode(0, 4, "cpu"), id="a million"
        ),
        pytest.param(
            # 16Gi - 100Mi eviction = 16284Mi: 2 pods of 6Gi
            shape("4", "16Gi"),
            {"cpu": "100m", "memory": "6Gi"},
            5,
            3,
            PerNode(0, 2, "memory"),
            id="memory bounds the pods per node",
        ),
        pytest.param(
            shape("4", "16Gi", max_pods=3), {"cpu": "100m"}, 7, 3, PerNode(0, 3, "pods"), id="maxPods bounds them"
        ),
    ],
)
def test_a_shape_opens_as_many_nodes_as_needed(
    node_shape: NodeShape, requests: dict[str, str], count: int, needed: int, per_node: PerNode
) -> None:
    """Explicit reservation, kubelet defaults: 4 cores and 16284Mi allocatable."""
    fit = fit_shape(node_shape, [pods(0, requests, count)])
    assert fit.packing.opened == needed
    assert fit.per_node == [per_node]
    assert sum(g.count * sum(g.placed.values()) for g in fit.packing.nodes) == count
    assert fit.packing.unplaced == {}


@pytest.mark.parametrize(
    ("daemons", "needed", "per_node", "used"),
    [
        pytest.param([], 2, 4, {}, id="8 pods of 1 cpu on 4-core nodes: 2 nodes"),
        pytest.param(
            [pods(1, {"cpu": "500m", "memory": "512Mi"}, 0, daemon=True)],
            3,
            3,
            {"cpu": "500m", "memory": "512Mi", "pods": "1"},
            id="a DaemonSet of 500m leaves 3500m: 3 pods per node, 3 nodes",
        ),
        pytest.param(
            [pods(1, {"cpu": "500m", "memory": "512Mi"}, 0, daemon=True, refused=True)],
            2,
            4,
            {},
            id="a DaemonSet that admission refused is not counted",
        ),
        pytest.param(
            [pods(1, {"cpu": "250m"}, 0, daemon=True), pods(2, {"cpu": "250m", "memory": "1Gi"}, 0, daemon=True)],
            3,
            3,
            {"cpu": "500m", "memory": "1Gi", "pods": "2"},
            id="every DaemonSet counts on every node",
        ),
    ],
)
def test_daemon_sets_reduce_each_shape_node(
    daemons: list[Scheduled], needed: int, per_node: int, used: dict[str, str]
) -> None:
    fit = fit_shape(shape("4", "16Gi"), [pods(0, {"cpu": "1"}, 8), *daemons])
    assert texts(fit.daemons) == used
    assert fit.daemons_fit is True
    assert fit.per_node == [PerNode(0, per_node, "cpu")]
    assert fit.packing.opened == needed


def test_daemon_sets_larger_than_the_shape_leave_no_room() -> None:
    """5 cpu of DaemonSets on a 4-core node: they do not fit, and nothing else does either."""
    fit = fit_shape(shape("4", "16Gi"), [pods(0, {"cpu": "5"}, 0, daemon=True), pods(1, {"cpu": "100m"}, 2)])
    assert fit.daemons_fit is False
    assert fit.per_node == [PerNode(1, 0, "cpu")]
    assert (fit.packing.opened, fit.packing.unplaced) == (0, {1: 2})


def test_a_pod_larger_than_the_shape_is_unplaced() -> None:
    fit = fit_shape(shape("4", "16Gi"), [pods(0, {"cpu": "8"}, 3), pods(1, {"cpu": "1"}, 1)])
    assert fit.packing.unplaced == {0: 3}
    assert fit.packing.opened == 1
