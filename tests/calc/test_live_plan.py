"""The rules of planning on a live cluster: which controllers keep their pods running
(``calc.live``), how a replacement rolls out (``calc.rollout``), what a quota's
``status.used`` counts of the pods (``calc.quota``, ``calc.live``), and a rollout's peak
against a quota's hard limits (``calc.live``)."""

from __future__ import annotations

import re

import pytest

from calc.evaluate import PodEvaluation, evaluate_pod
from calc.live import (
    Figures,
    UsageGap,
    counted_usage,
    keeps_pods_running,
    net_change,
    quota_at_peaks,
    usage_gaps,
    used_without,
)
from calc.quantity import Quantity, parse_quantity
from calc.quota import ResourceQuota, pod_quota_resource
from calc.rollout import Strategy, UnsupportedStrategyError, rollout, statefulset_partition
from tests.podbuild import C, quantities, spec, strings

ONE_CPU = quantities({"cpu": "1"})
TWO_CPU = quantities({"cpu": "2"})


@pytest.mark.parametrize(
    ("kind", "kept"),
    [
        ("Deployment", True),
        ("ReplicaSet", True),
        ("ReplicationController", True),
        ("StatefulSet", True),
        ("DaemonSet", True),
        ("Job", False),
        ("CronJob", False),
        ("Pod", False),
    ],
)
def test_replica_controllers_keep_their_pods_running(kind: str, kept: bool) -> None:
    """A controller that replaces each pod that goes; a Job's and CronJob's pods come and go."""
    assert keeps_pods_running(kind) is kept


def _rollout(kind: str, strategy: Strategy, old_pods: int, new_pods: int) -> tuple[object, ...]:
    """``rollout`` of old pods at 1 cpu by new ones at 2: strategy, fenceposts, peak pods and cpu."""
    r = rollout(kind, strategy, ONE_CPU, old_pods, TWO_CPU, new_pods)
    return r.strategy, r.max_surge, r.max_unavailable, r.peak.pods, str(r.peak.requests["cpu"])


@pytest.mark.parametrize(
    ("kind", "strategy", "old_pods", "new_pods", "expected"),
    [
        # maxSurge 25% of 4 rounded up, maxUnavailable 25% rounded down: 1 old beside 4 new
        ("Deployment", Strategy(), 4, 4, ("RollingUpdate", 1, 1, 5, "9")),
        ("Deployment", Strategy("RollingUpdate", 2, 0), 4, 4, ("RollingUpdate", 2, 0, 6, "10")),
        ("Deployment", Strategy("RollingUpdate", 0, 1), 4, 4, ("RollingUpdate", 0, 1, 4, "8")),
        # Recreate: the old pods go first; the peak is the larger side
        ("Deployment", Strategy("Recreate", 3, 3), 4, 4, ("Recreate", None, None, 4, "8")),
        # a DaemonSet without maxSurge stops a node's old pod before its new one starts
        ("DaemonSet", Strategy(), 3, 3, ("RollingUpdate", None, None, 3, "6")),
        ("DaemonSet", Strategy("RollingUpdate", 1), 3, 3, ("RollingUpdate", 1, 1, 4, "7")),
        ("DaemonSet", Strategy("RollingUpdate", "50%", 0), 4, 4, ("RollingUpdate", 2, 0, 6, "10")),
        ("DaemonSet", Strategy("OnDelete", 1), 3, 3, ("OnDelete", None, None, 3, "6")),
        # a StatefulSet replaces each pod once it is gone: only a Parallel scale-down overlaps
        ("StatefulSet", Strategy(), 4, 4, ("RollingUpdate", None, 1, 4, "8")),
        ("StatefulSet", Strategy(max_unavailable="50%"), 4, 4, ("RollingUpdate", None, 2, 4, "8")),
        ("StatefulSet", Strategy(pod_management_policy="Parallel"), 5, 3, ("RollingUpdate", None, 1, 5, "8")),
        # OrderedReady: the condemned pods are gone first; the peak is every new pod (3 x 2 cpu)
        ("StatefulSet", Strategy(pod_management_policy="OrderedReady"), 5, 3, ("RollingUpdate", None, 1, 5, "6")),
        ("StatefulSet", Strategy("OnDelete", max_unavailable=0), 5, 3, ("OnDelete", None, None, 5, "6")),
        ("StatefulSet", Strategy("OnDelete", pod_management_policy="Parallel"), 5, 3, ("OnDelete", None, None, 5, "8")),
        # a kind without a strategy: never both at once, whatever is written
        ("ReplicaSet", Strategy("Anything", 5), 2, 2, ("RollingUpdate", None, None, 2, "4")),
    ],
)
def test_each_strategy_runs_old_and_new_pods_together_or_not(
    kind: str, strategy: Strategy, old_pods: int, new_pods: int, expected: tuple[object, ...]
) -> None:
    assert _rollout(kind, strategy, old_pods, new_pods) == expected


@pytest.mark.parametrize(
    ("kind", "strategy", "error", "message"),
    [
        ("Deployment", Strategy("OnDelete"), UnsupportedStrategyError, 'Unsupported value: "OnDelete"'),
        ("DaemonSet", Strategy("Recreate"), UnsupportedStrategyError, 'supported values: "OnDelete", "RollingUpdate"'),
        ("Deployment", Strategy(max_surge=-1), ValueError, "-1: must be greater than or equal to 0"),
        ("DaemonSet", Strategy(max_unavailable="1.5"), ValueError, "'1.5': an int or a percentage such as '25%'"),
        ("StatefulSet", Strategy(max_unavailable=0), ValueError, "0: must be greater than 0"),
        ("StatefulSet", Strategy(max_unavailable="101%"), ValueError, "'101%': must not be greater than 100%"),
    ],
)
def test_what_the_api_server_refuses_of_a_strategy_is_refused(
    kind: str, strategy: Strategy, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        rollout(kind, strategy, ONE_CPU, 2, TWO_CPU, 2)


def test_a_recreate_strategy_is_checked_for_its_type_only() -> None:
    """A Deployment's Recreate never reads ``rollingUpdate``, so its figures are not checked."""
    assert _rollout("Deployment", Strategy("Recreate", -1, "x"), 2, 2) == ("Recreate", None, None, 2, "4")


@pytest.mark.parametrize(
    ("strategy", "partition"),
    [
        (Strategy(partition=2), 2),
        (Strategy("RollingUpdate", partition=1), 1),
        (Strategy("OnDelete", partition=2), None),  # OnDelete has no partition
        (Strategy(partition=0), None),
        (Strategy(partition=-1), None),
        (Strategy(partition=True), None),  # not an int as the API decodes it
        (Strategy(partition="2"), None),
        (Strategy(), None),
    ],
)
def test_a_statefulsets_partition_holds_back_the_pods_below_it(strategy: Strategy, partition: int | None) -> None:
    assert statefulset_partition("StatefulSet", strategy) == partition


def test_only_a_statefulset_has_a_partition() -> None:
    assert statefulset_partition("Deployment", Strategy(partition=2)) is None
    assert statefulset_partition("StatefulSet", None) is None


@pytest.mark.parametrize(
    "name",
    [
        "pods",
        "count/pods",
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "hugepages-2Mi",
        "requests.hugepages-1Gi",
        "requests.nvidia.com/gpu",
    ],
)
def test_pods_count_their_compute_resources(name: str) -> None:
    assert pod_quota_resource(name)


@pytest.mark.parametrize(
    "name",
    [
        "requests.storage",
        "gold.storageclass.storage.k8s.io/requests.storage",
        "persistentvolumeclaims",
        "services",
        "count/deployments.apps",
        "configmaps",
    ],
)
def test_claims_and_other_objects_are_not_counted_by_pods(name: str) -> None:
    assert not pod_quota_resource(name)


def _pod() -> PodEvaluation:
    """A Burstable pod: requests 500m cpu and 1Gi memory, limits 1 cpu and 1Gi memory."""
    return evaluate_pod(spec([C("app", {"cpu": "500m", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"})]))


def _quota(used: dict[str, str], scopes: tuple[str, ...] = ()) -> ResourceQuota:
    hard = quantities({"requests.cpu": "2", "limits.memory": "4Gi", "pods": "10", "services": "5"})
    return ResourceQuota("compute", "shop", hard, quantities(used), scopes)


USED = {"requests.cpu": "1500m", "limits.memory": "2Gi", "pods": "2", "services": "1"}


def test_a_quota_counts_the_usage_of_the_pods_its_scopes_match() -> None:
    pod = _pod()
    assert strings(counted_usage(_quota(USED), [pod, pod])) == {
        "limits.memory": "2Gi",
        "pods": "2",
        "requests.cpu": "1",
    }
    assert counted_usage(_quota(USED, ("BestEffort",)), [pod, pod]) == {}
    assert strings(counted_usage(_quota(USED, ("NotBestEffort",)), [pod])) == {
        "limits.memory": "1Gi",
        "pods": "1",
        "requests.cpu": "500m",
    }


def test_a_gap_between_status_used_and_the_pods_is_found_per_pod_resource() -> None:
    """requests.cpu: 1500m used, the two pods add up to 1; services are not the pods' to count."""
    pod = _pod()
    gaps = usage_gaps(_quota(USED), [pod, pod])
    assert [(g.resource, str(g.used), str(g.pods)) for g in gaps] == [("requests.cpu", "1500m", "1")]
    assert usage_gaps(_quota(USED | {"requests.cpu": "1"}), [pod, pod]) == []


def test_a_gap_where_either_side_has_nothing() -> None:
    pod = _pod()
    missing = usage_gaps(_quota({"services": "1"}), [pod])
    assert [(g.resource, g.used, str(g.pods)) for g in missing] == [
        ("limits.memory", None, "1Gi"),
        ("pods", None, "1"),
        ("requests.cpu", None, "500m"),
    ]
    assert usage_gaps(_quota({"pods": "3"}), []) == [UsageGap("pods", parse_quantity("3"), None)]


def test_pods_that_leave_free_what_they_counted() -> None:
    """Each ``used`` figure less what the pods gone counted; what they never counted stays."""
    used = used_without(_quota(USED), [_pod()])
    assert strings(used) == {"limits.memory": "1Gi", "pods": "1", "requests.cpu": "1", "services": "1"}
    assert strings(used_without(_quota(USED, ("BestEffort",)), [_pod()])) == strings(quantities(USED))
    assert strings(used_without(_quota({"pods": "1"}), [_pod(), _pod()])) == {"pods": "-1"}


def test_a_rollout_over_a_hard_limit_at_its_peak_stalls() -> None:
    """After the change, 9500m of 10 cpu; the first rollout's peak holds 1 cpu more than its
    end, the second's 250m: the first stalls 500m over, the second fits; at once, both."""
    quota = ResourceQuota("compute", "shop", quantities({"requests.cpu": "10", "pods": "12"}))
    after = quantities({"requests.cpu": "9500m", "pods": "10", "limits.cpu": "20"})
    first = (
        quantities({"requests.cpu": "4", "pods": "4", "limits.cpu": "8"}),
        quantities({"requests.cpu": "5", "pods": "5", "limits.cpu": "10"}),
    )
    second = quantities({"requests.cpu": "1", "pods": "1"}), quantities({"requests.cpu": "1250m", "pods": "1"})
    result = quota_at_peaks(quota, after, [first, second])
    assert strings(result.peak) == {"limits.cpu": "20", "pods": "11", "requests.cpu": "10750m"}
    assert [[(s.resource, str(s.reaches), str(s.over), str(s.hard)) for s in each] for each in result.stalls] == [
        [("requests.cpu", "10500m", "500m", "10")],
        [],
    ]


def test_a_peak_below_the_rollouts_end_adds_nothing() -> None:
    quota = ResourceQuota("compute", "shop", quantities({"requests.cpu": "4"}))
    after = quantities({"requests.cpu": "4"})
    result = quota_at_peaks(quota, after, [(quantities({"requests.cpu": "2"}), quantities({"requests.cpu": "2"}))])
    assert (strings(result.peak), result.stalls) == ({"requests.cpu": "4"}, ((),))
    assert quota_at_peaks(quota, after, []) == type(result)(dict(after), ())


def _figures(pods: int, requests: dict[str, str], limits: dict[str, str]) -> Figures:
    return Figures(pods, quantities(requests), quantities(limits))


def test_the_net_change_sums_each_side_then_subtracts() -> None:
    changes = [
        (_figures(2, {"cpu": "1"}, {"cpu": "2"}), _figures(3, {"cpu": "1500m"}, {"cpu": "3"})),
        (_figures(1, {"memory": "1Gi"}, {}), _figures(0, {}, {})),
        (_figures(1, {"cpu": "250m"}, {}), _figures(1, {"cpu": "250m"}, {})),
    ]
    net = net_change(changes)
    assert (net.pods, strings(net.requests), strings(net.limits)) == (
        0,
        {"cpu": "500m", "memory": "-1Gi"},
        {"cpu": "1"},
    )
    unchanged = net_change(changes[2:])
    assert (unchanged.pods, unchanged.requests, unchanged.limits) == (0, {}, {})
    assert net_change([]) == Figures(0, {}, {})


def test_the_net_change_keeps_the_after_sides_format() -> None:
    """``delta``: the change in the format of the figure after (else before)."""
    net = net_change([(_figures(1, {"memory": "1Gi"}, {}), _figures(1, {"memory": "1500M"}, {}))])
    assert net.requests["memory"] == Quantity(1_500_000_000 * 10**9 - 2**30 * 10**9, parse_quantity("1500M").format)
