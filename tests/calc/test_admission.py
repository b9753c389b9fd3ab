"""Admission of a plan's pods: LimitRanger's refusals, then ResourceQuota, in stream order.

The scenarios and figures are those of the kubernetes.io task pages on quotas and LimitRanges
(quota-memory-cpu-namespace, quota-pod-namespace, cpu-constraint-namespace), worked by hand.
Sources: ``k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go`` (``CheckRequest``),
``pkg/quota/v1/evaluator/core/pods.go`` (``Constraints``, ``podMatchesScopeFunc``) and
``plugin/pkg/admission/limitranger/admission.go``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import pytest

from calc.admission import Rejection, conflict_rejection, go_path, limit_range_rejection
from calc.errors import Location, Path, Violation
from calc.evaluate import LimitRangeConflictError, evaluate_pod
from calc.limitrange import Filled, LimitRange, LimitRangeItem, LimitViolation, set_defaults
from calc.nodes import never_created
from calc.pod import ResourceList
from calc.quantity import canonical, parse_quantity
from calc.quota import ResourceQuota, ScopeRequirement
from calc.quota_admission import Admitted, Applicant, LocatedQuota, QuotaRefusal, admit_to_quotas, binding, share
from calc.quota_objects import Creation, object_usage
from tests.podbuild import C, quantities, spec

NS = "shop"
DEPLOYMENT_CHAIN = (
    Creation("Deployment", "web", object_usage("Deployment", "apps")),
    Creation("ReplicaSet", None, object_usage("ReplicaSet", "apps")),
)


def texts(resources: ResourceList) -> dict[str, str]:
    """A ResourceList as Kubernetes prints it, for comparing with the tables' strings."""
    return {name: canonical(q) for name, q in resources.items()}


def workload(
    index: int,
    containers: list[C],
    pods: int,
    *,
    init: list[C] | None = None,
    namespace: str = NS,
    kind: str = "Deployment",
    name: str | None = None,
    deadline: int | None = None,
    priority: str | None = None,
    ranges: Sequence[LimitRange] = (),
) -> Applicant:
    """``pods`` pods of one template, evaluated as the API server stores them (LimitRange defaults included)."""
    pod = dataclasses.replace(
        spec(containers, init=init), active_deadline_seconds=deadline, priority_class_name=priority
    )
    return Applicant(index, kind, name or f"w{index}", namespace, pods, evaluate_pod(pod, limit_ranges=ranges))


def quota(
    name: str,
    hard: dict[str, str],
    used: dict[str, str] | None = None,
    scopes: tuple[str, ...] = (),
    selector: tuple[ScopeRequirement, ...] = (),
    namespace: str = NS,
    document: int = 0,
) -> LocatedQuota:
    q = ResourceQuota(name, namespace, quantities(hard), quantities(used), scopes, selector)
    return LocatedQuota(q, Location(document))


def index(w: Applicant) -> int:
    """A workload's key in what ``admit_to_quotas`` admitted."""
    assert w.index is not None
    return w.index


def by_namespace(quotas: Sequence[LocatedQuota]) -> dict[str, list[LocatedQuota]]:
    out: dict[str, list[LocatedQuota]] = {}
    for lq in quotas:
        out.setdefault(lq.quota.namespace or NS, []).append(lq)
    return out


# --- quota admission, workload by workload --------------------------------------------------

# (pods admitted, Rejection.pods, message) of one workload
Seen = tuple[int, int | None, str | None]


def seen(a: Admitted) -> Seen:
    r = a.rejection
    return (a.pods, None if r is None else r.pods, None if r is None else r.message)


@dataclass
class Case:
    name: str
    quotas: list[LocatedQuota]
    workloads: list[Applicant]
    expected: list[Seen]


CPU_LIMIT_RANGE = LimitRange(
    "defaults", NS, (set_defaults(LimitRangeItem("Container", default=quantities({"cpu": "1"}))),)
)

CASES = [
    Case(
        "quota-memory-cpu page: the first pod fits, the second would take requests.memory over 1Gi",
        [
            quota(
                "mem-cpu-demo",
                {"requests.cpu": "1", "requests.memory": "1Gi", "limits.cpu": "2", "limits.memory": "2Gi"},
            )
        ],
        [
            workload(0, [C("ctr", {"memory": "600Mi", "cpu": "400m"}, {"memory": "800Mi", "cpu": "800m"})], 1),
            workload(1, [C("ctr", {"memory": "700Mi", "cpu": "400m"}, {"memory": "1Gi", "cpu": "800m"})], 1),
        ],
        [
            (1, None, None),
            (
                0,
                1,
                "exceeded quota: mem-cpu-demo, requested: requests.memory=700Mi, used: requests.memory=600Mi, "
                "limited: requests.memory=1Gi",
            ),
        ],
    ),
    Case(
        "quota-pod page: pods 2 admits two of three replicas and refuses the third",
        [quota("pod-demo", {"pods": "2"})],
        [workload(0, [C("pod-quota-demo")], 3)],
        [(2, 1, "exceeded quota: pod-demo, requested: pods=1, used: pods=2, limited: pods=2")],
    ),
    Case(
        "the tightest of the quotas that count a pod refuses it: requests.cpu before pods",
        [quota("pods", {"pods": "10"}), quota("compute", {"requests.cpu": "1"})],
        [workload(0, [C("app", {"cpu": "400m"})], 3)],
        [
            (
                2,
                1,
                "exceeded quota: compute, requested: requests.cpu=400m, used: requests.cpu=800m, "
                "limited: requests.cpu=1",
            )
        ],
    ),
    Case(
        "the message names only what the pod uses (quota.Mask): services over its limit is not the pod's doing",
        [
            quota(
                "q",
                {"requests.cpu": "2", "services": "1", "pods": "10"},
                used={"requests.cpu": "500m", "services": "3"},
            )
        ],
        [workload(0, [C("c", {"cpu": "1"})], 3)],
        [(1, 2, "exceeded quota: q, requested: requests.cpu=1, used: requests.cpu=1500m, limited: requests.cpu=2")],
    ),
    Case(
        "status.used counts: nothing left of requests.cpu, no pod admitted",
        [quota("compute", {"requests.cpu": "2"}, used={"requests.cpu": "2"})],
        [workload(0, [C("app", {"cpu": "100m"})], 2)],
        [
            (
                0,
                2,
                "exceeded quota: compute, requested: requests.cpu=100m, used: requests.cpu=2, limited: requests.cpu=2",
            )
        ],
    ),
    Case(
        "a first pod over the limit: used prints as 0, as the quota controller fills status.used",
        [quota("compute", {"requests.cpu": "1"})],
        [workload(0, [C("app", {"cpu": "2"})], 2)],
        [(0, 2, "exceeded quota: compute, requested: requests.cpu=2, used: requests.cpu=0, limited: requests.cpu=1")],
    ),
    Case(
        "stream order: the first workload takes the room",
        [quota("compute", {"requests.cpu": "1"})],
        [workload(0, [C("a", {"cpu": "500m"})], 2), workload(1, [C("b", {"cpu": "500m"})], 1)],
        [
            (2, None, None),
            (
                0,
                1,
                "exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=1, limited: requests.cpu=1",
            ),
        ],
    ),
    Case(
        "stream order: the same workloads the other way round",
        [quota("compute", {"requests.cpu": "1"})],
        [workload(0, [C("b", {"cpu": "500m"})], 1), workload(1, [C("a", {"cpu": "500m"})], 2)],
        [
            (1, None, None),
            (
                1,
                1,
                "exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=1, limited: requests.cpu=1",
            ),
        ],
    ),
    Case(
        "Constraints: a quota on requests.cpu refuses all the pods of a container without a cpu request",
        [quota("compute", {"requests.cpu": "2"})],
        [workload(0, [C("app", {"memory": "64Mi"})], 3)],
        [(0, None, "failed quota: compute: must specify requests.cpu for: app")],
    ),
    Case(
        "Constraints look at init containers too",
        [quota("compute", {"requests.cpu": "2"})],
        [workload(0, [C("app", {"cpu": "100m"})], 1, init=[C("setup")])],
        [(0, None, "failed quota: compute: must specify requests.cpu for: setup")],
    ),
    Case(
        "Constraints: pods refused by one quota take no room in the others",
        [quota("compute", {"requests.cpu": "2"})],
        [workload(0, [C("app")], 3), workload(1, [C("api", {"cpu": "1"})], 2)],
        [(0, None, "failed quota: compute: must specify requests.cpu for: app"), (2, None, None)],
    ),
    Case(
        "Constraints: admission stops at the first quota, in the order given, whose Constraints the pod misses",
        [quota("memory", {"limits.memory": "1Gi"}), quota("compute", {"requests.cpu": "2"})],
        [workload(0, [C("app")], 1)],
        [(0, None, "failed quota: memory: must specify limits.memory for: app")],
    ),
    Case(
        "Constraints read the pod after LimitRanger: a default cpu limit (and request) satisfies them",
        [quota("compute", {"requests.cpu": "2"})],
        [workload(0, [C("app")], 3, ranges=[CPU_LIMIT_RANGE])],
        [(2, 1, "exceeded quota: compute, requested: requests.cpu=1, used: requests.cpu=2, limited: requests.cpu=2")],
    ),
    Case(
        "scopes: a BestEffort quota does not count a Burstable pod",
        [quota("best-effort", {"pods": "1"}, scopes=("BestEffort",))],
        [workload(0, [C("app", {"cpu": "100m"})], 3), workload(1, [C("batch")], 3, kind="Job")],
        [(3, None, None), (1, 2, "exceeded quota: best-effort, requested: pods=1, used: pods=1, limited: pods=1")],
    ),
    Case(
        "scopes: Terminating counts pods with activeDeadlineSeconds only",
        [quota("terminating", {"pods": "1"}, scopes=("Terminating",))],
        [workload(0, [C("job")], 2, kind="Job", deadline=600), workload(1, [C("web")], 2)],
        [(1, 1, "exceeded quota: terminating, requested: pods=1, used: pods=1, limited: pods=1"), (2, None, None)],
    ),
    Case(
        "scopes: a PriorityClass selector counts only the pods of that class",
        [quota("high", {"requests.cpu": "1"}, selector=(ScopeRequirement("PriorityClass", "In", ("high",)),))],
        [workload(0, [C("c", {"cpu": "400m"})], 3, priority="high"), workload(1, [C("c", {"cpu": "400m"})], 3)],
        [
            (
                2,
                1,
                "exceeded quota: high, requested: requests.cpu=400m, used: requests.cpu=800m, limited: requests.cpu=1",
            ),
            (3, None, None),
        ],
    ),
    Case(
        "a namespace without quotas admits everything; a quota counts only its own namespace",
        [quota("frozen", {"pods": "0"}, namespace="other")],
        [workload(0, [C("app")], 5), workload(1, [C("app")], 1, namespace="other")],
        [(5, None, None), (0, 1, "exceeded quota: frozen, requested: pods=1, used: pods=0, limited: pods=0")],
    ),
    Case(
        "count/pods counts each pod; the Deployment and its ReplicaSet count once, before them",
        [quota("objects", {"count/pods": "3", "count/deployments.apps": "1", "count/replicasets.apps": "1"})],
        [dataclasses.replace(workload(0, [C("app")], 4), chain=DEPLOYMENT_CHAIN)],
        [(3, 1, "exceeded quota: objects, requested: count/pods=1, used: count/pods=3, limited: count/pods=3")],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_quota_admission(case: Case) -> None:
    admitted, _ = admit_to_quotas(case.workloads, by_namespace(case.quotas))
    assert [seen(admitted[index(w)]) for w in case.workloads] == case.expected


def test_a_refusal_names_the_quota_object_and_the_pods_it_refuses() -> None:
    """quota-pod page: the Rejection is ResourceQuota's, names the quota, and counts the refused pods."""
    admitted, outcomes = admit_to_quotas(
        [workload(0, [C("pod-quota-demo")], 3, name="pod-quota-demo")],
        by_namespace([quota("pod-demo", {"pods": "2"})]),
    )
    message = "exceeded quota: pod-demo, requested: pods=1, used: pods=2, limited: pods=2"
    assert admitted[0] == Admitted(
        2, Rejection("ResourceQuota", ("ResourceQuota/pod-demo",), message, pods=1), 0, ("pod-demo", "pods")
    )
    assert outcomes[0].refusals == (QuotaRefusal(0, "Deployment", "pod-quota-demo", 1, message),)


def test_a_constraints_refusal_refuses_every_pod_and_leaves_no_headroom() -> None:
    """``failed quota``: ``Rejection.pods`` is None (all of them), and no quota counts the workload."""
    admitted, outcomes = admit_to_quotas(
        [workload(0, [C("app", {"memory": "64Mi"})], 3, name="web")],
        by_namespace([quota("compute", {"requests.cpu": "2"})]),
    )
    message = "failed quota: compute: must specify requests.cpu for: app"
    assert admitted[0] == Admitted(0, Rejection("ResourceQuota", ("ResourceQuota/compute",), message), None, None)
    assert outcomes[0].refusals == (QuotaRefusal(0, "Deployment", "web", 3, message),)


# --- headroom: how many more pods the quotas would take ---------------------------------------


@pytest.mark.parametrize(
    ("quotas", "workloads", "expected"),
    [
        pytest.param(
            [quota("mem-cpu-demo", {"requests.cpu": "1", "requests.memory": "1Gi"})],
            [workload(0, [C("ctr", {"memory": "600Mi", "cpu": "400m"})], 1)],
            [(0, ("mem-cpu-demo", "requests.memory"))],  # 424Mi left, 600Mi a pod
            id="quota-memory-cpu page: requests.memory leaves no room for another pod",
        ),
        pytest.param(
            [quota("objects", {"requests.cpu": "2"}, used={"requests.cpu": "500m"})],
            [workload(0, [C("web", {"cpu": "250m"})], 4)],
            [(2, ("objects", "requests.cpu"))],  # 2 - 500m - 4 x 250m = 500m: 2 more
            id="status.used and the admitted pods both count",
        ),
        pytest.param(
            [quota("pods", {"pods": "10"}), quota("compute", {"requests.cpu": "1"})],
            [workload(0, [C("app", {"cpu": "200m"})], 2)],
            [(3, ("compute", "requests.cpu"))],  # pods: 8 more; requests.cpu: 600m / 200m = 3
            id="the tightest quota and resource bound it",
        ),
        pytest.param(
            [quota("compute", {"requests.cpu": "2"})],
            [workload(0, [C("a", {"cpu": "500m"})], 1), workload(1, [C("b", {"cpu": "1"})], 1)],
            [(1, ("compute", "requests.cpu")), (0, ("compute", "requests.cpu"))],  # 500m left after both
            id="headroom is what the whole stream leaves",
        ),
        pytest.param(
            [quota("best-effort", {"pods": "1"}, scopes=("BestEffort",))],
            [workload(0, [C("app", {"cpu": "100m"})], 1)],
            [(None, None)],
            id="no quota counts the pod: no bound",
        ),
        pytest.param(
            [quota("objects", {"services": "1"})],
            [workload(0, [C("app", {"cpu": "100m"})], 1)],
            [(None, None)],
            id="a quota that limits nothing the pod uses: no bound",
        ),
        pytest.param(
            [quota("compute", {"requests.cpu": "1"})],
            [workload(0, [C("app")], 1)],
            [(None, None)],
            id="a workload refused by Constraints: no bound",
        ),
    ],
)
def test_more_pods_and_limited_by(
    quotas: list[LocatedQuota],
    workloads: list[Applicant],
    expected: list[tuple[int | None, tuple[str, str] | None]],
) -> None:
    admitted, _ = admit_to_quotas(workloads, by_namespace(quotas))
    assert [(admitted[index(w)].more_pods, admitted[index(w)].limited_by) for w in workloads] == expected


# --- the quotas after the plan ----------------------------------------------------------------


def test_quota_outcome_of_the_quota_memory_cpu_page() -> None:
    """requested counts every pod the stream asks for, the refused one too: 600Mi + 700Mi of 1Gi."""
    q = quota(
        "mem-cpu-demo",
        {"requests.cpu": "1", "requests.memory": "1Gi", "limits.cpu": "2", "limits.memory": "2Gi"},
        document=3,
    )
    first = workload(0, [C("ctr", {"memory": "600Mi", "cpu": "400m"}, {"memory": "800Mi", "cpu": "800m"})], 1)
    second = workload(
        1,
        [C("ctr", {"memory": "700Mi", "cpu": "400m"}, {"memory": "1Gi", "cpu": "800m"})],
        1,
        kind="Pod",
        name="demo-2",
    )
    _, (outcome,) = admit_to_quotas([first, second], by_namespace([q]))
    assert outcome.quota == q.quota
    assert outcome.location == Location(3)
    requested = {"limits.cpu": "1600m", "limits.memory": "1824Mi", "requests.cpu": "800m", "requests.memory": "1300Mi"}
    assert texts(outcome.requested) == requested
    assert texts(outcome.total) == requested
    assert texts(outcome.remaining) == {
        "limits.cpu": "400m",
        "limits.memory": "224Mi",
        "requests.cpu": "200m",
        "requests.memory": "-276Mi",
    }
    assert outcome.shares == {
        "limits.cpu": Fraction(4, 5),
        "limits.memory": Fraction(1824, 2048),
        "requests.cpu": Fraction(4, 5),
        "requests.memory": Fraction(1300, 1024),
    }
    assert outcome.exceeded == ["requests.memory"]
    assert outcome.binding == "requests.memory"
    assert outcome.refusals == (
        QuotaRefusal(
            1,
            "Pod",
            "demo-2",
            1,
            "exceeded quota: mem-cpu-demo, requested: requests.memory=700Mi, used: requests.memory=600Mi, "
            "limited: requests.memory=1Gi",
        ),
    )
    assert outcome.fits is False


def test_an_object_over_a_quota_is_refused_and_what_follows_still_counts() -> None:
    """A LoadBalancer Service against services.loadbalancers 0 is refused (``checkRequest``:
    the first quota it would take over); the Deployment after it is admitted, its ReplicaSet
    and pods too. The quota's figures count what the stream asks, admitted or not."""
    q = quota(
        "objects",
        {"count/deployments.apps": "2", "services": "1", "services.loadbalancers": "0", "requests.cpu": "2"},
        used={"count/deployments.apps": "1", "requests.cpu": "500m"},
    )
    service = Applicant(
        None,
        "Service",
        "lb",
        NS,
        0,
        None,
        (Creation("Service", "lb", object_usage("Service", "", service_type="LoadBalancer")),),
    )
    web = dataclasses.replace(workload(0, [C("web", {"cpu": "250m"})], 4), chain=DEPLOYMENT_CHAIN)
    admitted, (outcome,) = admit_to_quotas([service, web], by_namespace([q]))
    assert admitted == {0: Admitted(4, None, 2, ("objects", "requests.cpu"))}
    message = (
        "exceeded quota: objects, requested: services.loadbalancers=1, "
        "used: services.loadbalancers=0, limited: services.loadbalancers=0"
    )
    assert outcome.refusals == (QuotaRefusal(None, "Service", "lb", 0, message, "Service/lb"),)
    assert texts(outcome.requested) == {
        "services": "1",
        "services.loadbalancers": "1",
        "count/deployments.apps": "1",
        "requests.cpu": "1",
    }
    assert texts(outcome.total) == {
        "count/deployments.apps": "2",
        "services": "1",
        "services.loadbalancers": "1",
        "requests.cpu": "1500m",
    }
    assert outcome.shares == {
        "count/deployments.apps": Fraction(1),
        "services": Fraction(1),
        "services.loadbalancers": None,
        "requests.cpu": Fraction(3, 4),
    }
    assert outcome.exceeded == ["services.loadbalancers"]
    assert outcome.binding == "services.loadbalancers"
    assert outcome.fits is False


def test_an_untouched_quota_fits_and_binds_nothing() -> None:
    q = quota("idle", {"requests.cpu": "2", "pods": "0"})
    _, (outcome,) = admit_to_quotas([workload(0, [C("app")], 1, namespace="other")], by_namespace([q]))
    assert (outcome.requested, outcome.total) == ({}, {})
    assert texts(outcome.remaining) == {"requests.cpu": "2", "pods": "0"}
    assert outcome.shares == {"requests.cpu": Fraction(0), "pods": Fraction(0)}
    assert (outcome.exceeded, outcome.binding, outcome.fits) == ([], None, True)


def test_outcomes_follow_the_namespaces_and_their_quotas_in_order() -> None:
    quotas = [quota("a", {"pods": "1"}, namespace="x"), quota("b", {"pods": "1"}, namespace="y")]
    quotas.append(quota("c", {"pods": "1"}, namespace="x"))
    _, outcomes = admit_to_quotas([], by_namespace(quotas))
    assert [o.quota.name for o in outcomes] == ["a", "c", "b"]


@pytest.mark.parametrize(
    ("used", "hard", "expected"),
    [
        pytest.param(1, 2, Fraction(1, 2), id="used over hard"),
        pytest.param(3, 2, Fraction(3, 2), id="over the limit: above 1"),
        pytest.param(0, 0, Fraction(0), id="nothing used of a limit of 0: 0"),
        pytest.param(1, 0, None, id="any use of a limit of 0: no finite share"),
    ],
)
def test_share(used: int, hard: int, expected: Fraction | None) -> None:
    assert share(used, hard) == expected


@pytest.mark.parametrize(
    ("shares", "expected"),
    [
        pytest.param({"pods": Fraction(1, 2), "requests.cpu": Fraction(3, 4)}, "requests.cpu", id="the largest share"),
        pytest.param(
            {"pods": Fraction(2), "services.loadbalancers": None}, "services.loadbalancers", id="0 binds first"
        ),
        pytest.param({"b": None, "a": None}, "a", id="several limits of 0: the first by name"),
        pytest.param({"b": Fraction(1, 2), "a": Fraction(1, 2)}, "a", id="a tie: the first by name"),
        pytest.param({"pods": Fraction(0), "requests.cpu": Fraction(0)}, None, id="nothing used: none binds"),
        pytest.param({}, None, id="no hard limits"),
    ],
)
def test_binding(shares: dict[str, Fraction | None], expected: str | None) -> None:
    assert binding(shares) == expected


# --- LimitRanger and validation ----------------------------------------------------------------


def limit_range(name: str, **lists: dict[str, str]) -> LimitRange:
    item = LimitRangeItem("Container", **{k: quantities(v) for k, v in lists.items()})
    return LimitRange(name, NS, (set_defaults(item),))


CPU_MIN_MAX = limit_range("cpu-min-max-demo-lr", min={"cpu": "200m"}, max={"cpu": "800m"})
MEM_MIN_MAX = limit_range("mem-min-max-demo-lr", min={"memory": "500Mi"}, max={"memory": "1Gi"})


def violation(limit_range: str, resource: str, container: str, message: str) -> LimitViolation:
    return LimitViolation(limit_range, 0, "Container", resource, container, message)


@pytest.mark.parametrize(
    ("ranges", "containers", "expected"),
    [
        pytest.param(
            [CPU_MIN_MAX],
            [C("constraints-cpu-demo-2-ctr", {"cpu": "500m"}, {"cpu": "1.5"})],
            Rejection(
                "LimitRanger",
                ("LimitRange/cpu-min-max-demo-lr",),
                "maximum cpu usage per Container is 800m, but limit is 1500m",
                (
                    violation(
                        "cpu-min-max-demo-lr",
                        "cpu",
                        "constraints-cpu-demo-2-ctr",
                        "maximum cpu usage per Container is 800m, but limit is 1500m",
                    ),
                ),
            ),
            id="cpu-constraint page: one rule broken, its message alone",
        ),
        pytest.param(
            [CPU_MIN_MAX],
            [C("app", {"cpu": "500m"}, {"cpu": "1.5"}), C("log", {"cpu": "500m"}, {"cpu": "1.5"})],
            Rejection(
                "LimitRanger",
                ("LimitRange/cpu-min-max-demo-lr",),
                "maximum cpu usage per Container is 800m, but limit is 1500m",
                (
                    violation(
                        "cpu-min-max-demo-lr",
                        "cpu",
                        "app",
                        "maximum cpu usage per Container is 800m, but limit is 1500m",
                    ),
                    violation(
                        "cpu-min-max-demo-lr",
                        "cpu",
                        "log",
                        "maximum cpu usage per Container is 800m, but limit is 1500m",
                    ),
                ),
            ),
            id="the same message twice is given once (utilerrors.NewAggregate)",
        ),
        pytest.param(
            [MEM_MIN_MAX, CPU_MIN_MAX],
            [C("app", {"cpu": "500m", "memory": "800Mi"}, {"cpu": "1.5", "memory": "1.5Gi"})],
            Rejection(
                "LimitRanger",
                ("LimitRange/mem-min-max-demo-lr",),
                "maximum memory usage per Container is 1Gi, but limit is 1536Mi",
                (
                    violation(
                        "mem-min-max-demo-lr",
                        "memory",
                        "app",
                        "maximum memory usage per Container is 1Gi, but limit is 1536Mi",
                    ),
                    violation(
                        "cpu-min-max-demo-lr",
                        "cpu",
                        "app",
                        "maximum cpu usage per Container is 800m, but limit is 1500m",
                    ),
                ),
                notes=(
                    "LimitRange/cpu-min-max-demo-lr would refuse it too: "
                    "maximum cpu usage per Container is 800m, but limit is 1500m",
                ),
            ),
            id="runLimitFunc stops at the first LimitRange (stream order): the others are notes",
        ),
    ],
)
def test_limit_range_rejection(ranges: list[LimitRange], containers: list[C], expected: Rejection) -> None:
    """``PodValidateLimitFunc``'s refusal (403 Forbidden), with every rule the pod breaks."""
    ev = evaluate_pod(spec(containers), limit_ranges=ranges)
    assert limit_range_rejection(ev.limit_violations) == expected


def test_conflict_rejection_is_validations_words() -> None:
    """concepts/policy/limit-range: a default cpu limit of 500m below the container's 700m request.

    ``ValidateResourceRequirements`` reports the request on ``requests`` (``field.Invalid(reqPath, ...)``);
    ``errors.NewInvalid`` words it ``Pod "NAME" is invalid: ...``.
    """
    err = LimitRangeConflictError(
        [
            Violation(
                ("containers", 0, "resources", "requests"), "must be less than or equal to cpu limit of 500m", "700m"
            )
        ],
        [Filled("demo", False, "limits", "cpu", parse_quantity("500m"), "cpu-resource-constraint")],
    )
    assert conflict_rejection("example-conflict-with-limitrange-cpu", err) == Rejection(
        "validation",
        ("LimitRange/cpu-resource-constraint",),
        'Pod "example-conflict-with-limitrange-cpu" is invalid: spec.containers[0].resources.requests: '
        'Invalid value: "700m": must be less than or equal to cpu limit of 500m',
    )


def test_evaluation_raises_the_conflict_with_what_the_limit_range_filled() -> None:
    """The same page's pod through ``evaluate_pod``: the error carries the LimitRange defaults it came from."""
    lr = limit_range(
        "cpu-resource-constraint",
        default={"cpu": "500m"},
        default_request={"cpu": "500m"},
        max={"cpu": "1"},
        min={"cpu": "100m"},
    )
    with pytest.raises(LimitRangeConflictError) as raised:
        evaluate_pod(spec([C("demo", {"cpu": "700m"})]), limit_ranges=[lr])
    rejection = conflict_rejection("example-conflict-with-limitrange-cpu", raised.value)
    assert (rejection.by, rejection.objects, rejection.violations) == (
        "validation",
        ("LimitRange/cpu-resource-constraint",),
        (),
    )
    assert [(f.container, f.which, f.resource, canonical(f.value)) for f in raised.value.filled] == [
        ("demo", "limits", "cpu", "500m")
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param(
            ("spec", "containers", 0, "resources", "requests", "cpu"),
            "spec.containers[0].resources.requests[cpu]",
            id="an index and a map key in brackets",
        ),
        pytest.param(
            ("spec", "initContainers", 1, "resources", "limits", "hugepages-2Mi"),
            "spec.initContainers[1].resources.limits[hugepages-2Mi]",
            id="limits keys too",
        ),
        pytest.param(
            ("spec", "containers", 0, "resources", "requests"), "spec.containers[0].resources.requests", id="no key"
        ),
        pytest.param(("spec", "overhead"), "spec.overhead", id="fields joined by dots"),
        pytest.param((), "", id="the root"),
    ],
)
def test_go_path(path: Path, expected: str) -> None:
    """``field.Path.String()``: ``Child`` joins with a dot, ``Index`` and ``Key`` in brackets."""
    assert go_path(path) == expected


def test_an_object_refused_above_the_pods_leaves_none_on_any_node() -> None:
    """A quota that refuses the DaemonSet itself (or its Deployment's ReplicaSet) creates no
    pod at all; one that refuses pods past its room, or a StatefulSet's later claim, leaves
    the others standing."""
    above = Rejection("ResourceQuota", ("ResourceQuota/objs",), "exceeded quota: objs", refused="DaemonSet/agent")
    claim = Rejection("ResourceQuota", ("ResourceQuota/objs",), "m", pods=1, refused="PersistentVolumeClaim/data-db-2")
    assert never_created([above]) is True
    assert never_created([claim]) is False
    assert never_created([Rejection("ResourceQuota", ("ResourceQuota/objs",), "m", pods=2)]) is False
