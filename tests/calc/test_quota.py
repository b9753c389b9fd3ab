"""ResourceQuota: what a pod counts, which quotas count it, validation and admission messages."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from calc import quota, quota_objects
from calc.evaluate import evaluate_pod
from calc.qos import QOSClass
from calc.quantity import Quantity, canonical, parse_quantity
from calc.quota import PodFacts, ResourceQuota, ScopeRequirement
from tests.podbuild import C, quantities, spec


def strings(resources: Mapping[str, Quantity]) -> dict[str, str]:
    return {n: canonical(q) for n, q in resources.items()}


def test_pod_usage_counts_effective_figures_with_overhead() -> None:
    pod = spec(
        [
            C(
                "app",
                {"cpu": "500m", "memory": "1Gi", "nvidia.com/gpu": "1", "hugepages-2Mi": "4Mi"},
                {"cpu": "1", "nvidia.com/gpu": "1", "hugepages-2Mi": "4Mi"},
            )
        ],
        overhead={"cpu": "250m", "memory": "120Mi"},
    )
    ev = evaluate_pod(pod)
    assert strings(quota.pod_usage(ev.requests, ev.limits)) == {
        "count/pods": "1",
        "pods": "1",
        "cpu": "750m",
        "requests.cpu": "750m",
        "limits.cpu": "1250m",
        "memory": "1144Mi",
        "requests.memory": "1144Mi",
        "hugepages-2Mi": "4Mi",
        "requests.hugepages-2Mi": "4Mi",
        "requests.nvidia.com/gpu": "1",
    }


BURSTABLE = PodFacts(QOSClass.BURSTABLE, terminating=False, priority_class="high", cross_namespace_affinity=False)
BEST_EFFORT_JOB = PodFacts(QOSClass.BEST_EFFORT, terminating=True, priority_class=None, cross_namespace_affinity=False)


@pytest.mark.parametrize(
    ("scopes", "selector", "pod", "matches"),
    [
        pytest.param(("BestEffort",), (), BEST_EFFORT_JOB, True, id="BestEffort counts a BestEffort pod"),
        pytest.param(("BestEffort",), (), BURSTABLE, False, id="BestEffort skips a Burstable pod"),
        pytest.param(("NotBestEffort",), (), BURSTABLE, True, id="NotBestEffort"),
        pytest.param(("Terminating",), (), BEST_EFFORT_JOB, True, id="Terminating: activeDeadlineSeconds set"),
        pytest.param(("NotTerminating", "NotBestEffort"), (), BURSTABLE, True, id="scopes are ANDed"),
        pytest.param(("Terminating", "NotBestEffort"), (), BEST_EFFORT_JOB, False, id="one scope fails: no match"),
        pytest.param((), (ScopeRequirement("PriorityClass", "In", ("high",)),), BURSTABLE, True, id="PriorityClass In"),
        pytest.param((), (ScopeRequirement("PriorityClass", "NotIn", ("high",)),), BURSTABLE, False, id="NotIn"),
        pytest.param(
            (), (ScopeRequirement("PriorityClass", "Exists"),), BEST_EFFORT_JOB, False, id="Exists without one"
        ),
        pytest.param(
            (), (ScopeRequirement("PriorityClass", "DoesNotExist"),), BEST_EFFORT_JOB, True, id="DoesNotExist"
        ),
        pytest.param((), (), BURSTABLE, True, id="no scopes: every pod"),
    ],
)
def test_scopes(scopes: tuple[str, ...], selector: tuple[ScopeRequirement, ...], pod: PodFacts, matches: bool) -> None:
    q = ResourceQuota("q", "ns", quantities({"pods": "10"}), scopes=scopes, selector=selector)
    assert quota.matches(q, pod) is matches


@pytest.mark.parametrize(
    ("q", "message"),
    [
        pytest.param(
            ResourceQuota("q", None, quantities({"pods": "1"}), scopes=("Forever",)),
            'Unsupported value: "Forever"',
            id="unknown scope",
        ),
        pytest.param(
            ResourceQuota("q", None, quantities({"pods": "1"}), scopes=("BestEffort", "NotBestEffort")),
            "conflicting scopes: BestEffort, NotBestEffort",
            id="conflicting scopes",
        ),
        pytest.param(
            ResourceQuota("q", None, quantities({"requests.cpu": "1"}), scopes=("BestEffort",)),
            "unsupported scope applied to resource: BestEffort",
            id="BestEffort limits only pods",
        ),
        pytest.param(
            ResourceQuota(
                "q", None, quantities({"pods": "1"}), selector=(ScopeRequirement("Terminating", "In", ("x",)),)
            ),
            "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating",
            id="Terminating takes Exists only",
        ),
        pytest.param(
            ResourceQuota("q", None, quantities({"pods": "1"}), selector=(ScopeRequirement("PriorityClass", "In"),)),
            "must be at least one value",
            id="In needs values",
        ),
        pytest.param(ResourceQuota("q", None, quantities({"pods": "1500m"})), "must be an integer", id="pods whole"),
    ],
)
def test_validation(q: ResourceQuota, message: str) -> None:
    assert any(v.message.startswith(message) for v in quota.validate(q)), quota.validate(q)


def test_a_quota_on_cpu_requires_every_container_to_set_it() -> None:
    q = ResourceQuota("mem-cpu-demo", None, quantities({"limits.cpu": "2", "requests.memory": "1Gi"}))
    pod = evaluate_pod(spec([C("app", {"memory": "100Mi"}), C("log")], init=[C("init", {"memory": "1Mi"})]))
    containers = pod.spec.containers + pod.spec.init_containers
    assert quota.missing_constraints(q, containers) == (
        "must specify limits.cpu for: app,init,log; requests.memory for: log"
    )


def test_exceeded_message_is_the_admission_plugins() -> None:
    """quota-memory-cpu-namespace: the second pod asks 700Mi with 600Mi used of 1Gi."""
    q = ResourceQuota("mem-cpu-demo", None, quantities({"requests.memory": "1Gi", "requests.cpu": "1"}))
    one = quantities({"requests.memory": "700Mi", "requests.cpu": "400m"})
    used = quantities({"requests.memory": "600Mi", "requests.cpu": "400m"})
    assert quota.exceeded_message(q, one, used, ["requests.memory"]) == (
        "exceeded quota: mem-cpu-demo, requested: requests.memory=700Mi, used: requests.memory=600Mi, "
        "limited: requests.memory=1Gi"
    )


def test_fits_more_names_the_resource_that_runs_out() -> None:
    remaining = quantities({"requests.cpu": "1", "requests.memory": "1Gi", "pods": "10"})
    assert quota.fits_more(
        remaining, quantities({"requests.cpu": "300m", "requests.memory": "200Mi", "pods": "1"})
    ) == (
        3,
        "requests.cpu",
    )
    assert quota.fits_more(remaining, quantities({"count/pods": "1"})) == (None, None)


@pytest.mark.parametrize(
    ("kind", "group", "extra", "expected"),
    [
        ("Deployment", "apps", {}, {"count/deployments.apps": "1"}),  # its ReplicaSet is an object of its own
        (
            "PersistentVolumeClaim",
            "",
            {"storage": parse_quantity("10Gi"), "storage_class": "gold"},
            {
                "count/persistentvolumeclaims": "1",
                "persistentvolumeclaims": "1",
                "gold.storageclass.storage.k8s.io/persistentvolumeclaims": "1",
                "requests.storage": "10Gi",
                "gold.storageclass.storage.k8s.io/requests.storage": "10Gi",
            },
        ),
        ("ConfigMap", "", {}, {"count/configmaps": "1", "configmaps": "1"}),
        (
            "Service",
            "",
            {"service_type": "LoadBalancer", "node_ports": 2},
            {"count/services": "1", "services": "1", "services.loadbalancers": "1", "services.nodeports": "2"},
        ),
        ("Ingress", "networking.k8s.io", {}, {"count/ingresses.networking.k8s.io": "1"}),
        ("NetworkPolicy", "networking.k8s.io", {}, {"count/networkpolicies.networking.k8s.io": "1"}),
    ],
)
def test_object_counts(kind: str, group: str, extra: dict[str, object], expected: dict[str, str]) -> None:
    assert strings(quota_objects.object_usage(kind, group, **extra)) == expected  # type: ignore[arg-type]


def test_does_not_exist_is_refused_for_best_effort_as_upstream() -> None:
    q = ResourceQuota("q", None, quantities({"pods": "1"}), selector=(ScopeRequirement("BestEffort", "DoesNotExist"),))
    assert [v.path for v in quota.validate(q)] == [("spec", "scopeSelector", "matchExpressions", 0, "operator")]


@pytest.mark.parametrize(
    "q",
    [
        pytest.param(
            ResourceQuota(
                "q", None, quantities({"requests.nvidia.com/gpu": "4"}),
                selector=(ScopeRequirement("PriorityClass", "In", ("high",)),),
            ),
            id="extended resource under a PriorityClass scope",
        ),
        pytest.param(
            ResourceQuota("q", None, quantities({"count/pods": "4"}), scopes=("NotBestEffort",)),
            id="count/pods under NotBestEffort",
        ),
    ],
)  # fmt: skip
def test_scopes_are_checked_only_against_standard_quota_names(q: ResourceQuota) -> None:
    """IsStandardQuotaResourceName gates the scope/resource check upstream."""
    assert quota.validate(q) == []


@pytest.mark.parametrize(
    ("kind", "counted"),
    [
        ("Deployment", True),
        ("Service", True),
        ("PersistentVolumeClaim", True),
        ("ResourceQuota", True),
        ("Pod", False),  # its own evaluator's usage: pod_usage
        ("List", False),
        ("ConfigMapList", False),
        ("Node", False),  # in no namespace
    ],
)
def test_counted_as_object(kind: str, counted: bool) -> None:
    assert quota_objects.counted_as_object(kind) is counted


@pytest.mark.parametrize(
    ("declared", "expected"),
    [(None, "ClusterIP"), ("", "ClusterIP"), ("NodePort", "NodePort"), ("LoadBalancer", "LoadBalancer")],
)
def test_defaulted_service_type(declared: str | None, expected: str) -> None:
    """SetDefaults_Service: an unset type is ClusterIP."""
    assert quota_objects.defaulted_service_type(declared) == expected


@pytest.mark.parametrize(("declared", "expected"), [(None, True), (True, True), (False, False)])
def test_allocates_load_balancer_node_ports(declared: bool | None, expected: bool) -> None:
    """SetDefaults_Service: allocateLoadBalancerNodePorts defaults to true."""
    assert quota_objects.allocates_load_balancer_node_ports(declared) is expected


@pytest.mark.parametrize(
    ("service_type", "ports", "allocate", "expected"),
    [
        pytest.param("ClusterIP", [True], None, 0, id="ClusterIP"),
        pytest.param("NodePort", [False, False, True], None, 3, id="NodePort: every port"),
        pytest.param("LoadBalancer", [False, True], None, 2, id="LoadBalancer: allocates by default"),
        pytest.param("LoadBalancer", [False, True], True, 2, id="LoadBalancer allocating"),
        pytest.param("LoadBalancer", [False, True, True], False, 2, id="not allocating: only named nodePorts"),
        pytest.param("NodePort", [False], False, 1, id="the flag is a LoadBalancer's only"),
        pytest.param("ExternalName", [True], None, 0, id="ExternalName"),
    ],
)
def test_service_node_ports(service_type: str, ports: list[bool], allocate: bool | None, expected: int) -> None:
    """``pkg/quota/v1/evaluator/core/services.go``: ``services.nodeports``."""
    assert quota_objects.service_node_ports(service_type, ports, allocate) == expected


@pytest.mark.parametrize(
    ("annotation", "class_name", "expected"),
    [
        pytest.param("gold", "silver", "gold", id="the beta annotation first"),
        pytest.param(None, "silver", "silver", id="then spec.storageClassName"),
        pytest.param("", "silver", None, id="an empty annotation is present: no class"),
        pytest.param(None, "", None, id="an empty class name is no class"),
        pytest.param(None, None, None, id="neither"),
    ],
)
def test_claim_storage_class(annotation: str | None, class_name: str | None, expected: str | None) -> None:
    """``GetPersistentVolumeClaimClass``."""
    assert quota_objects.claim_storage_class(annotation, class_name) == expected
