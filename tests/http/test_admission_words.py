"""Admission as the API server decides it, in its own words (issue 22, items 2 to 6)."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.http.test_plan import plan

POD_LEVEL = """
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: shop}
spec: {hard: {requests.cpu: "4", limits.memory: 8Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  resources: {requests: {cpu: "1", memory: 1Gi}, limits: {memory: 2Gi}}
  containers: [{name: a}, {name: b}]
"""


def test_pod_level_resources_meet_the_quotas_constraints_from_1_34(client: FlaskClient) -> None:
    """``podEvaluator.Constraints`` returns early when ``PodLevelResources`` is on and
    ``IsPodLevelResourcesSet(pod)`` (``pkg/quota/v1/evaluator/core/pods.go``): the pod is admitted
    and counts its pod-level figures."""
    body = plan(client, POD_LEVEL)
    (p,) = body["items"]
    assert (p["admission"]["podsAdmitted"], p["admission"]["rejections"]) == (1, [])
    assert body["quotas"][0]["total"] == {"requests.cpu": "1", "limits.memory": "2Gi"}


def test_before_1_34_every_container_must_specify(client: FlaskClient) -> None:
    """``PodLevelResources`` is beta (on) from 1.34; on 1.33 the containers must set what the quota tracks."""
    body = plan(client, POD_LEVEL, "?kubernetesVersion=1.33")
    (p,) = body["items"]
    (rejection,) = p["admission"]["rejections"]
    assert rejection["message"] == "failed quota: compute: must specify limits.memory for: a,b; requests.cpu for: a,b"


def limit_range(name: str, limits: str) -> str:
    metadata = f"metadata: {{name: {name}, namespace: shop}}"
    return f"---\napiVersion: v1\nkind: LimitRange\n{metadata}\nspec: {{limits: [{limits}]}}\n"


def pod(containers: str, name: str = "p") -> str:
    metadata = f"metadata: {{name: {name}, namespace: shop}}"
    return f"---\napiVersion: v1\nkind: Pod\n{metadata}\nspec: {{containers: [{containers}]}}\n"


def errors(client: FlaskClient, stream: str) -> list[tuple[str, str]]:
    body = plan(client, stream, status=422)
    return [(e["pointer"], e["detail"]) for e in body["errors"]]


def test_a_non_overcommitable_default_must_equal_its_default_request(client: FlaskClient) -> None:
    """``ValidateLimitRange``: ``default value 2 must equal to defaultRequest value 1 in nvidia.com/gpu``."""
    stream = limit_range(
        "gpu", '{type: Container, default: {nvidia.com/gpu: "2"}, defaultRequest: {nvidia.com/gpu: "1"}}'
    )
    assert errors(client, stream) == [
        (
            "/spec/limits/0/defaultRequest/nvidia.com~1gpu",
            'Invalid value: "1": default value 2 must equal to defaultRequest value 1 in nvidia.com/gpu',
        )
    ]


def test_a_default_beyond_min_or_max_gives_the_min_or_max_as_the_invalid_value(client: FlaskClient) -> None:
    """``ValidateLimitRange`` passes ``minQuantity`` / ``maxQuantity`` to ``field.Invalid`` for ``default``."""
    stream = limit_range(
        "cpu", "{type: Container, default: {cpu: 100m, memory: 2Gi}, min: {cpu: 200m}, max: {memory: 1Gi}}"
    )
    found = dict(errors(client, stream))
    assert (
        found["/spec/limits/0/default/cpu"]
        == 'Invalid value: "200m": min value 200m is greater than default value 100m'
    )
    assert (
        found["/spec/limits/0/default/memory"]
        == 'Invalid value: "1Gi": default value 2Gi is greater than max value 1Gi'
    )


def rejections(client: FlaskClient, stream: str) -> list[dict[str, object]]:
    (item,) = plan(client, stream)["items"]
    rejected: list[dict[str, object]] = item["admission"]["rejections"]
    return rejected


def test_a_request_above_the_default_limit_names_the_requests_field(client: FlaskClient) -> None:
    """``ValidateResourceRequirements``: ``field.Invalid(reqPath, ...)``: the path of ``requests``, not its key."""
    stream = limit_range("cpu", "{type: Container, default: {cpu: 500m}}") + pod(
        '{name: a, resources: {requests: {cpu: "1"}}}'
    )
    (rejection,) = rejections(client, stream)
    assert rejection["message"] == (
        'Pod "p" is invalid: spec.containers[0].resources.requests: Invalid value: "1": '
        "must be less than or equal to cpu limit of 500m"
    )


def test_a_missing_limit_is_a_required_value_and_several_errors_are_bracketed(client: FlaskClient) -> None:
    """``field.Required(limPath, "Limit must be set for non overcommitable resources")``; an
    aggregate of several errors prints in brackets (``utilerrors.NewAggregate``)."""
    stream = limit_range("gpu", '{type: Container, defaultRequest: {nvidia.com/gpu: "1"}, default: {cpu: 500m}}')
    stream += pod('{name: a, resources: {requests: {cpu: "1"}}}')
    (rejection,) = rejections(client, stream)
    assert rejection["message"] == (
        'Pod "p" is invalid: [spec.containers[0].resources.requests: Invalid value: "1": '
        "must be less than or equal to cpu limit of 500m, "
        "spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources]"
    )  # Go visits the requests map in no set order; podcalc in the container's order, then the defaults'"


def test_limit_ranger_stops_at_the_first_limit_range_it_breaks(client: FlaskClient) -> None:
    """``runLimitFunc`` returns the first LimitRange's error (stream order here, lister order in
    a cluster); within it, every broken rule, in brackets."""
    stream = limit_range("mem", "{type: Container, max: {memory: 1Gi}, min: {memory: 100Mi}}")
    stream += limit_range("cpu", "{type: Container, max: {cpu: 800m}}")
    stream += pod("{name: a, resources: {requests: {cpu: 500m, memory: 50Mi}, limits: {cpu: 1500m, memory: 2Gi}}}")
    (rejection,) = rejections(client, stream)
    assert (rejection["by"], rejection["objects"]) == ("LimitRanger", ["LimitRange/mem"])
    assert rejection["message"] == (
        "[minimum memory usage per Container is 100Mi, but request is 50Mi, "
        "maximum memory usage per Container is 1Gi, but limit is 2Gi]"
    )
    assert rejection["notes"] == [
        "LimitRange/cpu would refuse it too: maximum cpu usage per Container is 800m, but limit is 1500m"
    ]


CLAIM_LIMITS = limit_range("storage", "{type: PersistentVolumeClaim, max: {storage: 5Gi}, min: {storage: 1Gi}}")


def test_a_claim_over_its_limit_range_is_refused_before_any_quota(client: FlaskClient) -> None:
    """``PersistentVolumeClaimValidateLimitFunc``: ``max`` against the request (``maxRequestConstraint``)."""
    claim = "---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: big, namespace: shop}\n"
    claim += "spec: {resources: {requests: {storage: 10Gi}}}\n"
    quota = "---\napiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: shop}\n"
    quota += 'spec: {hard: {persistentvolumeclaims: "5"}}\n'
    body = plan(client, CLAIM_LIMITS + claim + quota)
    (refused,) = body["objectRejections"]
    assert (refused["kind"], refused["name"], refused["namespace"]) == ("PersistentVolumeClaim", "big", "shop")
    assert (
        refused["rejection"]["message"] == "maximum storage usage per PersistentVolumeClaim is 5Gi, but request is 10Gi"
    )
    assert refused["rejection"]["objects"] == ["LimitRange/storage"]
    assert body["quotas"][0]["total"] == {}  # never reached the quota


def test_a_stateful_sets_claim_template_below_the_minimum_stops_every_pod(client: FlaskClient) -> None:
    stateful = """---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  replicas: 2
  template: {spec: {containers: [{name: db, resources: {requests: {cpu: 100m}}}]}}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {resources: {requests: {storage: 500Mi}}}
"""
    (db,) = plan(client, CLAIM_LIMITS + stateful)["items"]
    assert (db["admission"]["podsAdmitted"], db["admission"]["podsRefused"]) == (0, 2)
    (rejection,) = db["admission"]["rejections"]
    assert rejection["by"] == "LimitRanger"
    assert rejection["refused"] == "PersistentVolumeClaim/data-db-0"
    assert rejection["message"] == "minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi"


PRIORITY = """---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: batch}
value: 100
globalDefault: true
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: lowest}
value: 10
globalDefault: true
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: low-pods, namespace: shop}
spec:
  hard: {pods: "1"}
  scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: In, values: [lowest]}]}
"""


def test_the_global_default_priority_class_decides_a_priority_scoped_quota(client: FlaskClient) -> None:
    """The Priority admission plugin gives a pod that names no class the global default (of
    several, the lowest value: ``getDefaultPriorityClass``), so the PriorityClass-scoped quota counts it."""
    body = plan(client, PRIORITY + pod("{name: a}", "one") + pod("{name: a}", "two"))
    admitted = [(i["name"], i["admission"]["podsAdmitted"]) for i in body["items"]]
    assert admitted == [("one", 1), ("two", 0)]
    (rejection,) = body["items"][1]["admission"]["rejections"]
    assert rejection["message"] == "exceeded quota: low-pods, requested: pods=1, used: pods=1, limited: pods=1"


def test_a_class_absent_from_the_input_is_noted_and_system_classes_are_known(client: FlaskClient) -> None:
    stream = PRIORITY + pod("{name: a}", "one").replace("spec: {", "spec: {priorityClassName: gold, ")
    stream += pod("{name: a}", "two").replace("spec: {", "spec: {priorityClassName: system-node-critical, ")
    body = plan(client, stream)
    assert body["kubernetes"]["notes"] == [
        "Pod one: PriorityClass 'gold' is not in the input: the API server refuses the pod unless the cluster "
        'has it ("no PriorityClass with name gold was found")'
    ]
    assert [i["admission"]["podsAdmitted"] for i in body["items"]] == [1, 1]  # neither is in the scoped quota
