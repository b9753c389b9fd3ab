"""The rules of a live cluster (``calc.live``), each against the Kubernetes function it follows."""

from __future__ import annotations

import re

import pytest

from calc.live import (
    NodeFacts,
    Placement,
    Taint,
    Toleration,
    counts,
    daemon_surge_and_unavailable,
    refusal,
    rollout_peak,
    statefulset_overlap,
    statefulset_unavailable,
    surge_and_unavailable,
    tolerates,
    untolerated_taint,
)
from calc.pod import PodSpec
from calc.quantity import canonical
from tests.podbuild import quantities


@pytest.mark.parametrize(
    ("phase", "held"),
    [("Running", True), ("Pending", True), ("Unknown", True), ("Succeeded", False), ("Failed", False)],
)
def test_ended_pods_hold_nothing(phase: str, held: bool) -> None:
    """``QuotaV1Pod``: a pod in a terminal phase is not counted."""
    assert counts(phase) is held


@pytest.mark.parametrize(
    ("replicas", "surge", "unavailable", "expected"),
    [
        (10, None, None, (3, 2)),  # 25% of 10: 2.5 up to 3, down to 2
        (1, None, None, (1, 0)),  # 25% of 1: 0.25 up to 1, down to 0
        (4, 0, 0, (0, 1)),  # both zero: one may be unavailable (ResolveFenceposts)
        (10, "50%", 1, (5, 1)),
        (3, 2, "34%", (2, 1)),
    ],
)
def test_surge_rounds_up_and_unavailable_down(
    replicas: int, surge: object, unavailable: object, expected: tuple[int, int]
) -> None:
    """``ResolveFenceposts`` with ``intstr.GetScaledValueFromIntOrPercent``."""
    assert surge_and_unavailable(replicas, surge, unavailable) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("nodes", "surge", "unavailable", "expected"),
    [
        (10, None, None, (0, 1)),  # the API's defaults: maxSurge 0, maxUnavailable 1
        (10, "25%", 0, (3, 0)),  # 2.5 nodes rounded up, for both
        (10, 0, "25%", (0, 3)),
        (4, 0, 0, (0, 1)),  # both zero: one may be unavailable
    ],
)
def test_a_daemon_set_rounds_both_up(nodes: int, surge: object, unavailable: object, expected: tuple[int, int]) -> None:
    """``updatedDesiredNodeCounts``: ``SurgeCount`` and ``UnavailableCount`` both round up."""
    assert daemon_surge_and_unavailable(nodes, surge, unavailable) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("replicas", "written", "expected"),
    [(4, None, 1), (4, 3, 3), (4, "50%", 2), (10, "15%", 1), (4, "10%", 1), (3, "100%", 3)],
)
def test_a_statefulsets_max_unavailable_rounds_down_to_at_least_one(
    replicas: int, written: int | str | None, expected: int
) -> None:
    """``getStatefulSetMaxUnavailable``: default 1, a percentage rounded down, never below 1."""
    assert statefulset_unavailable(replicas, written) == expected


def test_a_statefulset_overlaps_only_a_parallel_scale_down() -> None:
    """Only ``Parallel`` replaces pods while the condemned ones terminate."""
    assert [statefulset_overlap(5, 3, True), statefulset_overlap(5, 3, False), statefulset_overlap(3, 5, True)] == [
        2,
        0,
        0,
    ]
    with_old = rollout_peak(quantities({"cpu": "1"}), 5, quantities({"cpu": "2"}), 3, statefulset_overlap(5, 3, True))
    assert (with_old.pods, canonical(with_old.requests["cpu"]), with_old.mix["cpu"]) == (5, "8", (2, 3))


def test_a_bigger_new_pod_peaks_with_every_new_pod_and_the_surge_of_old_ones() -> None:
    peak = rollout_peak(quantities({"cpu": "500m"}), 4, quantities({"cpu": "1"}), 4, 1)
    assert (peak.pods, canonical(peak.requests["cpu"]), peak.mix["cpu"]) == (5, "4500m", (1, 4))


def test_a_smaller_new_pod_peaks_with_every_old_pod() -> None:
    """4 old at 1 cpu, 4 new at 500m, surge 1: all 4 old and 4 + 1 - 4 = 1 new."""
    peak = rollout_peak(quantities({"cpu": "1"}), 4, quantities({"cpu": "500m"}), 4, 1)
    assert (canonical(peak.requests["cpu"]), peak.mix["cpu"]) == ("4500m", (4, 1))


def test_recreate_never_runs_both() -> None:
    peak = rollout_peak(quantities({"cpu": "1"}), 2, quantities({"cpu": "500m"}), 3, None)
    assert (peak.pods, canonical(peak.requests["cpu"])) == (3, "2")


def test_tolerations_match_as_tolerates_taint_does() -> None:
    """``Toleration.ToleratesTaint``: empty key with Exists matches every taint; empty effect every effect."""
    taint = Taint("dedicated", "gpu", "NoSchedule")
    assert tolerates(Toleration(operator="Exists"), taint)
    assert tolerates(Toleration("dedicated", "Equal", "gpu"), taint)
    assert not tolerates(Toleration("dedicated", "Equal", "cpu"), taint)
    assert not tolerates(Toleration("dedicated", "Exists", effect="NoExecute"), taint)


def test_prefer_no_schedule_never_filters() -> None:
    taints = (Taint("a", "", "PreferNoSchedule"), Taint("b", "", "NoExecute"))
    assert untolerated_taint(taints, ()) == taints[1]
    assert untolerated_taint(taints[:1], ()) is None


def test_the_filters_words() -> None:
    cordoned = NodeFacts(unschedulable=True)
    assert refusal(cordoned, Placement()) == "node(s) were unschedulable"
    tolerant = Placement((Toleration("node.kubernetes.io/unschedulable", "Exists", effect="NoSchedule"),))
    assert refusal(cordoned, tolerant) is None
    tainted = NodeFacts(taints=(Taint("node-role.kubernetes.io/control-plane", "", "NoSchedule"),))
    assert refusal(tainted, Placement()) == "node(s) had untolerated taint(s)"  # kubernetes#134740 (1.35)
    labelled = NodeFacts(labels={"disk": "ssd"})
    assert (
        refusal(labelled, Placement(node_selector={"disk": "hdd"}))
        == "node(s) didn't match Pod's node affinity/selector"
    )
    assert refusal(labelled, Placement(node_selector={"disk": "ssd"})) is None


def test_a_rollout_that_scales_down_peaks_at_its_old_pods() -> None:
    """10 old pods replaced by 2: the rollout starts with the 10 (``NewRSNewReplicas``
    scales the old down as it goes)."""
    peak = rollout_peak(quantities({"cpu": "1"}), 10, quantities({"cpu": "1"}), 2, 1)
    assert (peak.pods, canonical(peak.requests["cpu"]), peak.mix["cpu"]) == (10, "10", (10, 0))


def test_a_regular_init_containers_status_is_not_read() -> None:
    """Only app containers and sidecars run on: an ended init container counts its spec."""
    from calc.live import ContainerStatus, resized
    from tests.podbuild import C, spec

    pod = spec([C("app", {"cpu": "100m"})], init=[C("setup", {"cpu": "100m"})])
    grown = resized(
        pod,
        {"app": ContainerStatus(quantities({"cpu": "300m"})), "setup": ContainerStatus(quantities({"cpu": "900m"}))},
    )
    assert (canonical(grown.containers[0].requests["cpu"]), canonical(grown.init_containers[0].requests["cpu"])) == (
        "300m",
        "100m",
    )


def _figures(pod: PodSpec) -> list[tuple[dict[str, str], dict[str, str]]]:
    return [
        ({n: canonical(q) for n, q in c.requests.items()}, {n: canonical(q) for n, q in c.limits.items()})
        for c in pod.all_containers
    ]


def test_a_resized_containers_figures_are_the_larger_of_spec_and_status_per_resource() -> None:
    """``determineContainerReqs``: max(spec, allocatedResources, resources.requests);
    ``determineContainerLimits``: max(spec, resources.limits), the spec's alone when the status
    has no ``resources``; a sidecar's status is read as an app container's."""
    from calc.live import ContainerStatus, resized
    from tests.podbuild import C, spec

    pod = spec(
        [
            C("app", {"cpu": "500m", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"}),
            C("old", {"cpu": "1"}, {"cpu": "2"}),
        ],
        init=[C("proxy", {"cpu": "100m"}, {"memory": "64Mi"}, sidecar=True)],
    )
    status = {
        "app": ContainerStatus(
            quantities({"cpu": "700m"}), quantities({"memory": "512Mi"}), quantities({"cpu": "500m", "memory": "2Gi"})
        ),
        "old": ContainerStatus(quantities({"cpu": "3"}), applied=False),  # allocatedResources alone
        "proxy": ContainerStatus(requests=quantities({"cpu": "200m"}), limits=quantities({"memory": "32Mi"})),
    }
    assert _figures(resized(pod, status)) == [
        ({"cpu": "700m", "memory": "1Gi"}, {"cpu": "1", "memory": "2Gi"}),
        ({"cpu": "3"}, {"cpu": "2"}),
        ({"cpu": "200m"}, {"memory": "64Mi"}),
    ]


def test_an_infeasible_resize_counts_the_status_alone() -> None:
    """``IsPodResizeInfeasible``: the spec asks what the node can never give, so requests are
    max(allocatedResources, resources.requests) and limits are resources.limits."""
    from calc.live import ContainerStatus, resized
    from tests.podbuild import C, spec

    pod = spec([C("app", {"cpu": "8", "memory": "1Gi"}, {"cpu": "8", "memory": "1Gi"})])
    given = ContainerStatus(quantities({"cpu": "1"}), quantities({"cpu": "1"}), quantities({"cpu": "2"}))
    assert _figures(resized(pod, {"app": given}, infeasible=True)) == [({"cpu": "1"}, {"cpu": "2"})]
    assert _figures(resized(pod, {"app": given})) == [({"cpu": "8", "memory": "1Gi"}, {"cpu": "8", "memory": "1Gi"})]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "-1: must be greater than or equal to 0"),
        (True, "true: an int or a percentage such as '25%'"),
        (1.5, "1.5: an int or a percentage such as '25%'"),
        ("25", "'25': an int or a percentage such as '25%'"),
        ("2.5%", "'2.5%': an int or a percentage such as '25%'"),
    ],
)
def test_what_the_api_server_refuses_as_an_int_or_percent_is_refused(value: object, message: str) -> None:
    """``IsValidPercent`` and ``ValidateNonnegativeIntOrPercent``; a bool or a float is not an IntOrString."""
    with pytest.raises(ValueError, match=re.escape(message)):
        surge_and_unavailable(4, value, None)
