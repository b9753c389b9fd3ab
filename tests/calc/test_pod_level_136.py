"""Pod-level resources after KEP-2837's two bug-fix gates, release by release (issue #19 item 4).

- ``PodLevelResourcesFixDefaulting`` (kubernetes#136120, #140514): where pod-level limits
  are unset and every container limits a resource, the pod limit defaults to
  ``max(pod-level request, AggregateContainerLimits)``; the pod-level defaults move to
  ``PrepareForCreate``, after admission.
- ``PodLevelResourcesFixKubeletQOSClass`` (kubernetes#135082, #137150): ``ComputePodQOS``
  lets ``spec.resources`` decide only when it sets a supported resource
  (``IsPodLevelResourcesSet``), so an empty one no longer makes the pod BestEffort.

The KEP scoped both for 1.36; they shipped in 1.37 (v1.36.3's ``kube_features.go`` has
neither), so 1.36 is the last release of the old behaviour and each case runs on both.
Expected values are Kubernetes strings worked out by hand from the KEP's resource matrix
(``keps/sig-node/2837-pod-level-resource-spec``: pod-limit-set, pod-request-set and
pod-request-limit-set tables, "PodSpec API" columns).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from calc import limitrange
from calc.defaults import apply_defaults
from calc.errors import PodInvalidError
from calc.evaluate import evaluate_pod
from calc.limitrange import LimitRange, LimitRangeItem
from calc.pod import PodResources, PodSpec
from calc.qos import QOSClass, pod_qos
from calc.versions import DEFAULT_FEATURES, Features, as_released, features
from tests.podbuild import C, quantities, spec, strings

OLD = features((1, 36))  # the last release without the fixes
NEW = features((1, 37))  # both fixes beta, on by default
RELEASES = [pytest.param(OLD, id="1.36"), pytest.param(NEW, id="1.37")]

G, B, E = QOSClass.GUARANTEED, QOSClass.BURSTABLE, QOSClass.BEST_EFFORT

# The matrix's symbols, for two app containers a and b.
PR = {"cpu": "2", "memory": "2Gi"}  # pod-level request: at least the containers' aggregate request
PL = {"cpu": "4", "memory": "4Gi"}  # pod-level limit
CR = {"cpu": "500m", "memory": "512Mi"}  # each container's request: f(CR) = 1 / 1Gi
CL = {"cpu": "1", "memory": "1Gi"}  # each container's limit: f(CL) = 2 / 2Gi
F_CR = {"cpu": "1", "memory": "1Gi"}
F_CL = {"cpu": "2", "memory": "2Gi"}


def evaluate(pod: PodSpec, f: Features, ranges: list[LimitRange] | None = None) -> tuple[PodSpec, QOSClass]:
    """The pod as release ``f`` stores it, and its QoS class."""
    released, _ = as_released(pod, f)
    ev = evaluate_pod(released, limit_ranges=ranges or (), features=f)
    return ev.spec, ev.qos_class


def stored(pod: PodSpec) -> tuple[dict[str, str], dict[str, str]] | None:
    """The stored ``spec.resources`` as (requests, limits) strings; None when absent."""
    if pod.resources is None:
        return None
    return strings(dict(pod.resources.requests)), strings(dict(pod.resources.limits))


def two(requests: dict[str, str] | None = None, limits: dict[str, str] | None = None) -> list[C]:
    return [C("a", dict(requests or {}), dict(limits or {})), C("b", dict(requests or {}), dict(limits or {}))]


@dataclass
class Row:
    """One row of the KEP's resource matrix: the pod-level figures stored, per release."""

    rule: str
    pod: PodSpec
    resources: tuple[dict[str, str], dict[str, str]] | None  # (requests, limits) stored up to 1.36
    qos: QOSClass
    # where 1.37 stores (and classifies) differently
    resources_137: tuple[dict[str, str], dict[str, str]] | None = None
    qos_137: QOSClass | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def expected(self, f: Features) -> tuple[tuple[dict[str, str], dict[str, str]] | None, QOSClass]:
        if f.pod_level_resources_fix_defaulting and self.resources_137 is not None:
            return self.resources_137, self.qos_137 or self.qos
        return self.resources, self.qos


MATRIX = [
    # Rows 1-4: no spec.resources: nothing is defaulted at pod level, on either release.
    Row("row 1: nothing set: no pod-level resources", spec(two()), None, E),
    Row("row 2: CL only: no pod-level resources", spec(two(limits=CL)), None, G),
    Row("row 3: CR only: no pod-level resources", spec(two(CR)), None, B),
    Row("row 4: CR and CL: no pod-level resources", spec(two(CR, CL)), None, B),
    # Rows 5-8: PL set, PR unset: PR = f(CR) where containers request, else PL.
    Row("row 5: PL only: PR = PL", spec(two(), pod_limits=PL), (PL, PL), G),
    Row("row 6: PL and CL: PR = f(CL) via CR = CL", spec(two(limits=CL), pod_limits=PL), (F_CL, PL), B),
    Row("row 7: PL and CR: PR = f(CR)", spec(two(CR), pod_limits=PL), (F_CR, PL), B),
    Row("row 8: PL, CR and CL: PR = f(CR)", spec(two(CR, CL), pod_limits=PL), (F_CR, PL), B),
    # Rows 9-12: PR set, PL unset: PL = f(CL) where every container limits (the fix).
    Row("row 9: PR only: PL stays unset", spec(two(), pod_requests=PR), (PR, {}), B),
    Row(
        "row 10: PR and CL: PL = f(CL) from 1.37",
        spec(two(limits=CL), pod_requests=PR),
        (PR, {}),
        B,
        resources_137=(PR, F_CL),
        qos_137=G,
    ),
    Row("row 11: PR and CR: PL stays unset", spec(two(CR), pod_requests=PR), (PR, {}), B),
    Row(
        "row 12: PR, CR and CL: PL = f(CL) from 1.37",
        spec(two(CR, CL), pod_requests=PR),
        (PR, {}),
        B,
        resources_137=(PR, F_CL),
        qos_137=G,
    ),
    # Rows 13-16: PR and PL set: stored as written.
    Row("row 13: PR and PL: as written", spec(two(), pod_requests=PR, pod_limits=PL), (PR, PL), B),
    Row("row 14: PR, PL and CL: as written", spec(two(limits=CL), pod_requests=PR, pod_limits=PL), (PR, PL), B),
    Row("row 15: PR, PL and CR: as written", spec(two(CR), pod_requests=PR, pod_limits=PL), (PR, PL), B),
    Row("row 16: PR, PL, CR and CL: as written", spec(two(CR, CL), pod_requests=PR, pod_limits=PL), (PR, PL), B),
]


@pytest.mark.parametrize("f", RELEASES)
@pytest.mark.parametrize("row", MATRIX, ids=[r.rule for r in MATRIX])
def test_kep_2837_resource_matrix(row: Row, f: Features) -> None:
    """The "PodSpec API" pod request and limit of each matrix row (``defaultPodRequests``,
    ``defaultHugePagePodLimits``; from 1.37 ``DefaultPodLevelResources``), and the QoS class."""
    resources, qos = row.expected(f)
    pod, qos_class = evaluate(row.pod, f)
    assert stored(pod) == resources
    assert qos_class is qos


# --- the issue's example -------------------------------------------------------------------

ISSUE_POD = spec(
    [C("a", limits={"cpu": "500m", "memory": "512Mi"}), C("b", limits={"cpu": "500m", "memory": "512Mi"})],
    pod_requests={"cpu": "1", "memory": "1Gi"},
)


@pytest.mark.parametrize(
    ("version", "limits", "qos"),
    [
        pytest.param((1, 35), {}, B, id="1.35: no pod-level limit is defaulted: Burstable"),
        pytest.param((1, 36), {}, B, id="1.36: still none (the fix is not in 1.36): Burstable"),
        pytest.param((1, 37), {"cpu": "1", "memory": "1Gi"}, G, id="1.37: pod limit = f(CL) = 1 / 1Gi: Guaranteed"),
    ],
)
def test_issue_example(version: tuple[int, int], limits: dict[str, str], qos: QOSClass) -> None:
    """Pod requests 1 / 1Gi over two containers limited to 500m / 512Mi (KEP-2837 row 10)."""
    pod, qos_class = evaluate(ISSUE_POD, features(version))
    assert stored(pod) == ({"cpu": "1", "memory": "1Gi"}, limits)
    assert qos_class is qos


def test_the_default_release_has_both_fixes() -> None:
    assert DEFAULT_FEATURES.pod_level_resources_fix_defaulting
    assert DEFAULT_FEATURES.pod_level_resources_fix_kubelet_qos_class
    assert evaluate_pod(ISSUE_POD).qos_class is G


@pytest.mark.parametrize(
    ("version", "fixed"),
    [((1, 33), False), ((1, 34), False), ((1, 35), False), ((1, 36), False), ((1, 37), True)],
    ids=["1.33", "1.34", "1.35", "1.36", "1.37"],
)
def test_gates_by_release(version: tuple[int, int], fixed: bool) -> None:
    """Both gates are beta (on) from 1.37, and need PodLevelResources (on from 1.34)."""
    f = features(version)
    assert f.pod_level_resources_fix_defaulting is fixed
    assert f.pod_level_resources_fix_kubelet_qos_class is fixed


# --- DefaultPodLevelLimits: the rule in detail (1.37) --------------------------------------

LIMITS_CASES = [
    pytest.param(
        spec(two(limits=CL), pod_requests={"cpu": "3", "memory": "2Gi"}),
        {"cpu": "3", "memory": "2Gi"},
        id="max(pod request, f(CL)): a request above the containers' limits is the limit",
    ),
    pytest.param(
        spec(
            [C("app", limits={"cpu": "1", "memory": "512Mi"})],
            init=[C("setup", limits={"cpu": "2", "memory": "1Gi"}), C("log", limits=CR, sidecar=True)],
            pod_requests={"cpu": "2"},
        ),
        {"cpu": "2", "memory": "1Gi"},
        id="f(CL) is KEP-753's max(init peak, app + sidecars), not a plain sum",
    ),
    pytest.param(
        spec([C("a", limits=CL), C("b", {"memory": "256Mi"}, {"cpu": "1"})], pod_requests=PR),
        {"cpu": "2"},
        id="per resource: one container without a memory limit leaves memory unset",
    ),
    pytest.param(
        spec(two(limits=CL), init=[C("setup", {"cpu": "100m"})], pod_requests=PR),
        {},
        id="every container counts: an init container without limits blocks the defaults",
    ),
    pytest.param(
        spec(two(limits=CL), pod_requests=PR, pod_limits={"memory": "3Gi"}),
        {"cpu": "2", "memory": "3Gi"},
        id="an explicit pod limit is kept; the other is defaulted",
    ),
]


@pytest.mark.parametrize(("pod", "limits"), LIMITS_CASES)
def test_default_pod_level_limits(pod: PodSpec, limits: dict[str, str]) -> None:
    """``DefaultPodLevelLimits`` (kubernetes#140514): for every supported resource all
    containers (app, init, sidecar) limit and the pod does not, the pod limit is
    ``max(pod-level request, AggregateContainerLimits)``; before 1.37 nothing is added."""
    new, _ = evaluate(pod, NEW)
    assert new.resources is not None
    assert strings(dict(new.resources.limits)) == limits
    old, _ = evaluate(pod, OLD)
    assert old.resources is not None
    assert pod.resources is not None
    assert strings(dict(old.resources.limits)) == strings(dict(pod.resources.limits))


def test_defaulted_limits_are_recorded() -> None:
    d = apply_defaults(ISSUE_POD, NEW)
    assert sorted(d.pod_limits_defaulted) == ["cpu", "memory"]
    assert apply_defaults(ISSUE_POD, OLD).pod_limits_defaulted == ()


def test_requests_default_without_pod_limits_from_137() -> None:
    """``DefaultPodLevelRequests`` no longer needs pod-level limits: a resource the containers
    request and the pod does not is filled from their aggregate (before 1.37, only with limits)."""
    pod = spec([C("a", {"cpu": "500m", "memory": "256Mi"})], pod_requests={"cpu": "1"})
    new, _ = evaluate(pod, NEW)
    old, _ = evaluate(pod, OLD)
    assert stored(new) == ({"cpu": "1", "memory": "256Mi"}, {})
    assert stored(old) == ({"cpu": "1"}, {})


def test_a_pod_hugepage_request_gets_its_limit_from_137() -> None:
    """``defaultHugePagePodLimits`` skips a resource the pod requests, so up to 1.36 a pod-level
    hugepage request with no limit is refused; from 1.37 every container's hugepage limit
    defaults it (``Limit must be set for non overcommitable resources`` otherwise)."""
    pod = spec(
        [C("a", {"cpu": "1", "hugepages-2Mi": "64Mi"}, {"cpu": "1", "hugepages-2Mi": "64Mi"})],
        pod_requests={"cpu": "1", "hugepages-2Mi": "64Mi"},
    )
    new, _ = evaluate(pod, NEW)
    assert stored(new) == ({"cpu": "1", "hugepages-2Mi": "64Mi"}, {"cpu": "1", "hugepages-2Mi": "64Mi"})
    with pytest.raises(PodInvalidError):
        evaluate(pod, OLD)


# --- the defaults follow admission from 1.37 ---------------------------------------------


def _ranges(**lists: dict[str, str]) -> list[LimitRange]:
    item = limitrange.set_defaults(LimitRangeItem("Container", **{k: quantities(v) for k, v in lists.items()}))
    return [LimitRange("defaults", "ns", (item,))]


def test_pod_limits_default_from_what_limitranger_filled() -> None:
    """1.37 runs ``DefaultPodLevelResources`` in ``PrepareForCreate``, after LimitRanger has
    given the container its default limits; 1.36 defaulted at decoding, before them."""
    pod = spec([C("app")], pod_requests={"cpu": "2", "memory": "1Gi"})
    ranges = _ranges(default={"cpu": "1", "memory": "512Mi"}, default_request={"cpu": "500m", "memory": "256Mi"})
    new, new_qos = evaluate(pod, NEW, ranges)
    old, old_qos = evaluate(pod, OLD, ranges)
    assert stored(new) == ({"cpu": "2", "memory": "1Gi"}, {"cpu": "2", "memory": "1Gi"})
    assert new_qos is G
    assert stored(old) == ({"cpu": "2", "memory": "1Gi"}, {})
    assert old_qos is B


def test_pod_requests_default_from_what_limitranger_filled() -> None:
    """A pod limit with no container request: up to 1.36 the pod request is the pod limit
    (decoding saw no container request); from 1.37 it is LimitRanger's default request."""
    pod = spec([C("app")], pod_limits={"cpu": "2"})
    ranges = _ranges(default_request={"cpu": "500m"})
    new, _ = evaluate(pod, NEW, ranges)
    old, _ = evaluate(pod, OLD, ranges)
    assert stored(new) == ({"cpu": "500m"}, {"cpu": "2"})
    assert stored(old) == ({"cpu": "2"}, {"cpu": "2"})
    assert strings(dict(evaluate_pod(pod, limit_ranges=ranges, features=NEW).requests)) == {"cpu": "500m"}


# --- ComputePodQOS: empty vs absent spec.resources ---------------------------------------

GUARANTEED_CONTAINERS = [C("a", {"cpu": "1", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"})]
BURSTABLE_CONTAINERS = [C("a", {"cpu": "500m"}, {"cpu": "1"})]


def _with(containers: list[C], resources: PodResources | None) -> PodSpec:
    pod = spec(containers)
    return PodSpec(pod.containers, resources=resources)


@pytest.mark.parametrize(
    ("pod", "old", "new"),
    [
        pytest.param(_with(GUARANTEED_CONTAINERS, PodResources()), E, G, id="empty over Guaranteed containers"),
        pytest.param(_with(BURSTABLE_CONTAINERS, PodResources()), E, B, id="empty over Burstable containers"),
        pytest.param(_with([C("a")], PodResources()), E, E, id="empty over BestEffort containers"),
        pytest.param(_with(GUARANTEED_CONTAINERS, None), G, G, id="absent: the containers decide"),
        pytest.param(
            _with([C("a")], PodResources(quantities({"cpu": "2"}))),
            B,
            B,
            id="set: the pod level decides alone, over BestEffort containers",
        ),
    ],
)
def test_empty_pod_level_resources_qos(pod: PodSpec, old: QOSClass, new: QOSClass) -> None:
    """``ComputePodQOS``: up to 1.36 any ``spec.resources`` (even ``{}``, ``requests: {}``,
    ``limits: {}``) decides alone, so an empty one is BestEffort; from 1.37
    (PodLevelResourcesFixKubeletQOSClass) it decides only when ``IsPodLevelResourcesSet``."""
    assert pod_qos(pod, OLD) is old
    assert pod_qos(pod, NEW) is new
    assert evaluate(pod, OLD)[1] is old
    assert evaluate(pod, NEW)[1] is new


@pytest.mark.parametrize("version", [(1, 33), (1, 35)], ids=["1.33 (no PodLevelResources)", "1.35"])
def test_empty_pod_level_resources_before_the_fix(version: tuple[int, int]) -> None:
    """Before PodLevelResources the field is dropped, so the containers decide; with it and
    without the fix, the empty field decides: BestEffort."""
    pod = _with(GUARANTEED_CONTAINERS, PodResources())
    expected = G if version < (1, 34) else E
    assert evaluate(pod, features(version))[1] is expected
