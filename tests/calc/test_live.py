"""The rules of a live cluster (``calc.live``) and of its rollouts (``calc.rollout``), each
against the Kubernetes function it follows; the scheduler's filters: ``test_scheduling.py``."""

from __future__ import annotations

import re

import pytest

from calc.live import ContainerStatus, counts, running_aggregates
from calc.pod import Container, ContainerType, PodSpec, ResourceList
from calc.quantity import canonical
from calc.rollout import (
    daemon_surge_and_unavailable,
    rollout_peak,
    statefulset_overlap,
    statefulset_unavailable,
    surge_and_unavailable,
)
from tests.podbuild import C, quantities, spec


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
    assert surge_and_unavailable(replicas, surge, unavailable) == expected


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
    assert daemon_surge_and_unavailable(nodes, surge, unavailable) == expected


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


def test_a_rollout_that_scales_down_peaks_at_its_old_pods() -> None:
    """10 old pods replaced by 2: the rollout starts with the 10 (``NewRSNewReplicas``
    scales the old down as it goes)."""
    peak = rollout_peak(quantities({"cpu": "1"}), 10, quantities({"cpu": "1"}), 2, 1)
    assert (peak.pods, canonical(peak.requests["cpu"]), peak.mix["cpu"]) == (10, "10", (10, 0))


def _strings(figures: tuple[ResourceList, ResourceList] | None) -> tuple[dict[str, str], dict[str, str]] | None:
    if figures is None:
        return None
    return {n: canonical(q) for n, q in figures[0].items()}, {n: canonical(q) for n, q in figures[1].items()}


def _status(
    allocated: dict[str, str] | None = None,
    requests: dict[str, str] | None = None,
    limits: dict[str, str] | None = None,
) -> ContainerStatus:
    """A container's status; ``resources`` is there when ``requests`` or ``limits`` is."""
    applied = requests is not None or limits is not None
    return ContainerStatus(
        quantities(allocated) if allocated is not None else None,
        quantities(requests) if requests is not None else None,
        quantities(limits) if limits is not None else None,
        applied,
    )


# Two containers resized in opposite directions: a grows from 1 to 2 cpu, b shrinks from 3 to
# 1; the kubelet has allocated and applied a's growth, not yet b's shrink.
_OPPOSITE = spec([C("a", {"cpu": "2"}), C("b", {"cpu": "1"})])
_OPPOSITE_STATUS = {
    "a": _status({"cpu": "2"}, {"cpu": "2"}),
    "b": _status({"cpu": "3"}, {"cpu": "3"}),
}


def test_before_1_37_each_container_counts_the_larger_of_spec_and_status() -> None:
    """``determineContainerReqs``: per container max(spec, applied, allocated); a, 2 + b, 3."""
    assert _strings(running_aggregates(_OPPOSITE, _OPPOSITE_STATUS, False, (1, 35))) == ({"cpu": "5"}, {})


def test_from_1_37_each_source_is_summed_before_the_larger_is_taken() -> None:
    """kubernetes#140047: spec 2 + 1 = 3, allocated 2 + 3 = 5, applied 2 + 3 = 5: the pod counts 5;
    once b's shrink is allocated but not applied, allocated is 2 + 1 and applied 2 + 3."""
    assert _strings(running_aggregates(_OPPOSITE, _OPPOSITE_STATUS, False, (1, 37))) == ({"cpu": "5"}, {})
    shrinking = {"a": _status({"cpu": "2"}, {"cpu": "2"}), "b": _status({"cpu": "1"}, {"cpu": "3"})}
    assert _strings(running_aggregates(_OPPOSITE, shrinking, False, (1, 35))) == ({"cpu": "5"}, {})
    assert _strings(running_aggregates(_OPPOSITE, shrinking, False, (1, 37))) == ({"cpu": "5"}, {})
    halfway = {"a": _status({"cpu": "2"}, {"cpu": "1"}), "b": _status({"cpu": "1"}, {"cpu": "3"})}
    # spec 3, allocated 3, applied 1 + 3 = 4: summed apart 4, container by container 2 + 3 = 5
    assert _strings(running_aggregates(_OPPOSITE, halfway, False, (1, 37))) == ({"cpu": "4"}, {})
    assert _strings(running_aggregates(_OPPOSITE, halfway, False, (1, 35))) == ({"cpu": "5"}, {})


def test_before_1_33_and_without_a_status_the_spec_counts() -> None:
    assert running_aggregates(_OPPOSITE, _OPPOSITE_STATUS, False, (1, 32)) is None
    assert running_aggregates(_OPPOSITE, {}, False, (1, 37)) is None


def test_a_status_without_resources_counts_from_1_37_only() -> None:
    """1.35 reads a status only where it has ``resources``; 1.37 takes ``allocatedResources``
    alone (``containerAllocatedRequests``, and the applied figure falls back to it)."""
    pod = spec([C("app", {"cpu": "1"})])
    waiting = {"app": _status({"cpu": "3"})}
    assert running_aggregates(pod, waiting, False, (1, 35)) is None
    assert _strings(running_aggregates(pod, waiting, False, (1, 37))) == ({"cpu": "3"}, {})


def test_limits_are_the_larger_of_spec_and_what_was_applied() -> None:
    pod = spec([C("app", {"memory": "1Gi"}, {"memory": "1Gi"})])
    applied = {"app": _status(requests={"memory": "1Gi"}, limits={"memory": "2Gi"})}
    for version in ((1, 35), (1, 37)):
        assert _strings(running_aggregates(pod, applied, False, version)) == ({"memory": "1Gi"}, {"memory": "2Gi"})


def test_a_regular_init_containers_status_is_read_from_1_37_only() -> None:
    """Before 1.37 only app containers and sidecars are read (an ended init container counts
    its spec); 1.37 reads every container's status (``findContainerStatus``)."""
    pod = spec([C("app", {"cpu": "100m"})], init=[C("setup", {"cpu": "100m"})])
    status = {"app": _status({"cpu": "300m"}, {"cpu": "300m"}), "setup": _status({"cpu": "900m"}, {"cpu": "900m"})}
    assert _strings(running_aggregates(pod, status, False, (1, 35))) == ({"cpu": "300m"}, {})
    assert _strings(running_aggregates(pod, status, False, (1, 37))) == ({"cpu": "900m"}, {})


def test_a_sidecars_status_is_read_as_an_app_containers() -> None:
    pod = spec([C("app", {"cpu": "100m"})], init=[C("proxy", {"cpu": "100m"}, sidecar=True)])
    status = {"proxy": _status({"cpu": "400m"}, {"cpu": "400m"})}
    for version in ((1, 35), (1, 37)):
        assert _strings(running_aggregates(pod, status, False, version)) == ({"cpu": "500m"}, {})


def test_an_infeasible_resize_counts_the_status_alone() -> None:
    """``IsPodResizeInfeasible``: the spec asks what the node can never give, so requests are
    the larger of the applied and allocated figures, and limits what was applied."""
    pod = spec([C("app", {"cpu": "8", "memory": "1Gi"}, {"cpu": "8", "memory": "1Gi"})])
    given = {"app": _status({"cpu": "1"}, {"cpu": "1"}, {"cpu": "2"})}
    for version in ((1, 35), (1, 37)):
        assert _strings(running_aggregates(pod, given, True, version)) == ({"cpu": "1"}, {"cpu": "2"})
    # feasible, the resize counts the larger figures: on 1.35 the spec's (None: the spec
    # counts as it is), on 1.37 the sums, which the spec's are
    assert running_aggregates(pod, given, False, (1, 35)) is None
    counted = running_aggregates(pod, given, False, (1, 37))
    assert counted is not None
    assert _strings(counted) == ({"cpu": "8", "memory": "1Gi"}, {"cpu": "8", "memory": "1Gi"})


def test_running_figures_add_the_overhead_as_for_any_pod() -> None:
    from calc.live import running_figures

    pod = PodSpec(
        (Container("app", ContainerType.CONTAINER, 0, quantities({"cpu": "1"})),), overhead=quantities({"cpu": "250m"})
    )
    figures = running_figures(pod, {"app": _status({"cpu": "2"}, {"cpu": "2"})}, False, (1, 37))
    assert _strings(figures) == ({"cpu": "2250m"}, {})


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


def test_each_kind_has_its_strategy_types() -> None:
    from calc.rollout import UnsupportedStrategyError, strategy_type

    assert [strategy_type(k, None) for k in ("Deployment", "DaemonSet", "StatefulSet")] == ["RollingUpdate"] * 3
    assert strategy_type("Deployment", "Recreate") == "Recreate"
    assert strategy_type("DaemonSet", "OnDelete") == "OnDelete"
    assert strategy_type("ReplicaSet", "Anything") == "RollingUpdate"  # no strategy field: not read
    with pytest.raises(UnsupportedStrategyError, match='"OnDelete": supported values: "Recreate", "RollingUpdate"'):
        strategy_type("Deployment", "OnDelete")
