"""Node allocatable from reservation models, pods per node, and first-fit-decreasing packing.

Reservation figures are worked out by hand from each offering's published formula
(see calc.allocatable.MODEL_SOURCES); the arithmetic is shown next to each case.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from fractions import Fraction

import pytest

from calc import allocatable, nodes
from calc.allocatable import Model
from calc.evaluate import evaluate_pod
from calc.nodes import NodeGroup, PodGroup
from calc.quantity import Quantity, canonical
from tests.podbuild import C, quantities, spec

GI = 2**30
MI = 2**20


def strings(resources: Mapping[str, Quantity]) -> dict[str, str]:
    return {n: canonical(q) for n, q in resources.items()}


def shape(model: Model, cpu: str, memory: str, max_pods: int) -> dict[str, str]:
    capacity = quantities({"cpu": cpu, "memory": memory})
    return strings(allocatable.allocatable(capacity, allocatable.reservation(model, capacity, max_pods), max_pods))


@pytest.mark.parametrize(
    ("model", "cpu", "memory", "max_pods", "expected"),
    [
        pytest.param(
            Model.GKE,
            "4",
            "16Gi",
            110,
            # cpu: 60m + 10m + 2 x 5m = 80m; memory: 25% x 4Gi + 20% x 4Gi + 10% x 8Gi = 2.6Gi, + 100Mi eviction
            {"cpu": "3920m", "memory": str(16 * GI - 2791728743 - 100 * MI), "pods": "110"},
            id="GKE e2-standard-4",
        ),
        pytest.param(
            Model.GKE,
            "1",
            "614Mi",
            110,
            # below 1Gi: 255Mi; cpu 6% of one core
            {"cpu": "940m", "memory": "259Mi", "pods": "110"},
            id="GKE below 1Gi of memory",
        ),
        pytest.param(
            Model.EKS,
            "2",
            "8Gi",
            29,
            # m5.large: 11Mi x 29 + 255Mi = 574Mi, + 100Mi eviction; cpu 60m + 10m
            {"cpu": "1930m", "memory": "7518Mi", "pods": "29"},
            id="EKS m5.large",
        ),
        pytest.param(
            Model.AKS,
            "2",
            "8Gi",
            30,
            # min(20Mi x 30 + 50Mi, 25% x 8Gi) = 650Mi, + 100Mi eviction; cpu 60m + 40m
            {"cpu": "1900m", "memory": "7442Mi", "pods": "30"},
            id="AKS 1.29+ D2s_v3",
        ),
        pytest.param(
            Model.AKS,
            "2",
            "2Gi",
            250,
            # 20Mi x 250 + 50Mi = 5050Mi is over 25% x 2Gi = 512Mi: 512Mi, + 100Mi eviction
            {"cpu": "1900m", "memory": "1436Mi", "pods": "250"},
            id="AKS 1.29+ capped at 25%",
        ),
        pytest.param(
            Model.AKS_LEGACY,
            "4",
            "16Gi",
            30,
            # 25% x 4Gi + 20% x 4Gi + 10% x 8Gi = 2.6Gi, + 750Mi eviction; cpu 60m + 40m + 2 x 20m
            {"cpu": "3860m", "memory": str(16 * GI - 2791728743 - 750 * MI), "pods": "30"},
            id="AKS before 1.29",
        ),
        pytest.param(
            Model.EXPLICIT,
            "16",
            "64Gi",
            110,
            # nothing reserved but the kubelet's default memory.available<100Mi
            {"cpu": "16", "memory": "65436Mi", "pods": "110"},
            id="explicit, kubelet defaults",
        ),
    ],
)
def test_allocatable(model: Model, cpu: str, memory: str, max_pods: int, expected: dict[str, str]) -> None:
    assert shape(model, cpu, memory, max_pods) == expected


def test_gke_cpu_bands_above_four_cores() -> None:
    """96 cores: 60m + 10m + 10m + 92 x 2.5m = 310m."""
    capacity = quantities({"cpu": "96", "memory": "360Gi"})
    assert strings(allocatable.reservation(Model.GKE, capacity, 110).kube_reserved)["cpu"] == "310m"


def test_explicit_reservation_with_a_percentage_threshold() -> None:
    capacity = quantities({"cpu": "8", "memory": "32Gi", "ephemeral-storage": "100Gi"})
    res = allocatable.Reservation(
        Model.EXPLICIT,
        quantities({"cpu": "200m", "memory": "1Gi"}),
        quantities({"cpu": "100m", "memory": "512Mi"}),
        {
            allocatable.MEMORY_AVAILABLE: quantities({"m": "200Mi"})["m"],
            allocatable.NODEFS_AVAILABLE: Fraction(15, 100),
        },
    )
    assert strings(allocatable.allocatable(capacity, res, 58)) == {
        "cpu": "7700m",
        "memory": "31032Mi",  # 32768 - 1024 - 512 - 200
        "ephemeral-storage": "85Gi",  # 100Gi - 15%
        "pods": "58",
    }


def test_pods_that_fit_names_the_limiting_resource() -> None:
    free = quantities({"cpu": "3920m", "memory": "12Gi", "pods": "110"})
    assert nodes.pods_that_fit(free, quantities({"cpu": "500m", "memory": "1Gi"})) == (7, "cpu")
    assert nodes.pods_that_fit(free, quantities({"cpu": "100m", "memory": "2Gi"})) == (6, "memory")
    assert nodes.pods_that_fit(free, {}) == (110, "pods")
    assert nodes.pods_that_fit(free, quantities({"nvidia.com/gpu": "1"})) == (0, "nvidia.com/gpu")


def test_first_fit_decreasing_fills_gaps_with_smaller_pods() -> None:
    """Node 4 cpu: 3 pods of 1500m take 2 nodes (1 cpu left on the first, 2500m on the second);
    5 pods of 500m fill those gaps (2 + 5 would be 7: 2 on the first, then 3 on the second)."""
    node = quantities({"cpu": "4", "pods": "110"})
    groups = [PodGroup(1, 5, quantities({"cpu": "500m"})), PodGroup(0, 3, quantities({"cpu": "1500m"}))]
    packing = nodes.pack(groups, [], node)
    assert packing.opened == 2
    assert [(g.count, g.placed, strings(g.free)["cpu"]) for g in packing.nodes] == [
        (1, {0: 2, 1: 2}, "0"),
        (1, {0: 1, 1: 3}, "1"),
    ]


def test_packing_onto_existing_nodes_reports_what_does_not_fit() -> None:
    existing = [NodeGroup(1, quantities({"cpu": "1", "pods": "110"}), {}, "node-a")]
    packing = nodes.pack([PodGroup(0, 3, quantities({"cpu": "400m"}))], existing, None)
    assert packing.unplaced == {0: 1}
    assert packing.nodes[0].placed == {0: 2}


def test_a_million_replicas_pack_as_groups() -> None:
    node = quantities({"cpu": "4", "memory": "16Gi", "pods": "110"})
    groups = [PodGroup(i, 1_000_000, quantities({"cpu": f"{100 + i}m", "memory": "100Mi"})) for i in range(50)]
    start = time.perf_counter()
    packing = nodes.pack(groups, [], node)
    assert time.perf_counter() - start < 2  # groups, not pods: a pod-by-pod loop would take hours
    assert sum(n.count * sum(n.placed.values()) for n in packing.nodes) == 50_000_000
    assert not packing.unplaced


def test_scoring_view_counts_100m_and_200mi_for_containers_without_requests() -> None:
    pod = spec([C("app", {"cpu": "1"}), C("log")], init=[C("side", sidecar=True)])
    ev = evaluate_pod(nodes.scoring_spec(pod))
    assert strings(dict(ev.requests)) == {"cpu": "1200m", "memory": "600Mi"}


def test_published_examples() -> None:
    """amazon-eks-ami nodeadm config_test (maxPods 100 -> kube-reserved 1355Mi); the AKS page's
    second 1.29+ example (4 GB, 70 pods: 25% of memory is below 20 x 70 + 50, so 25% is reserved)."""
    eks = allocatable.reservation(Model.EKS, quantities({"cpu": "4", "memory": "16Gi"}), 100)
    assert canonical(eks.kube_reserved["memory"]) == "1355Mi"
    aks = allocatable.reservation(Model.AKS, quantities({"cpu": "2", "memory": "4Gi"}), 70)
    assert canonical(aks.kube_reserved["memory"]) == "1Gi"
