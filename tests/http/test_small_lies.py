"""Issue #19 (never a silent wrong answer), through the API: item 5, a partly admitted DaemonSet
still on every node; item 7, small lies (custom resources, the JSON null body, utilisation
rounding). Every response is checked against openapi.yaml by the test client."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient


def post(client: FlaskClient, path: str, body: str, query: str = "", content_type: str = "application/yaml") -> Any:
    return client.post(path + query, data=body, content_type=content_type)


def plan(client: FlaskClient, body: str, query: str = "") -> dict[str, Any]:
    response = post(client, "/v1/plan", body, query)
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json())


# --- item 5: a DaemonSet's pod is on every node, whatever the quota admits -----------------------

# The shape stream of tests/http/test_plan.py (m5.large, EKS: 1930m and 7518Mi allocatable), with
# the agent DaemonSet in kube-system, where a quota may refuse some of its pods.
SHAPE = """
apiVersion: podcalc.io/v1alpha1
kind: NodeShape
metadata: {name: m5.large}
spec:
  capacity: {cpu: 2 cores, memory: 8 GiB}
  maxPods: 29
  reservation: {model: eks}
"""
AGENT = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  template: {spec: {containers: [{name: a, image: agent, resources: {requests: {cpu: 100m, memory: 200Mi}}}]}}
"""
API = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 10
  template:
    spec:
      containers: [{name: api, image: api, resources: {requests: {cpu: 500m, memory: 1Gi}}}]
"""


def quota(hard: str) -> str:
    return (
        f"apiVersion: v1\nkind: ResourceQuota\nmetadata: {{name: ds, namespace: kube-system}}\nspec: {{hard: {hard}}}"
    )


def stream(*documents: str) -> str:
    return "\n---\n".join(documents)


@pytest.mark.parametrize(
    ("hard", "nodes", "admitted"),
    [
        pytest.param("{pods: '2'}", 3, 2, id="2 of 3 pods admitted"),
        pytest.param("{requests.cpu: 250m}", 3, 2, id="2 of 3 by requests.cpu"),
        pytest.param("{pods: '4'}", 7, 4, id="4 of 7 pods admitted"),
        pytest.param("{requests.memory: 100Mi}", 5, 0, id="none of 5 admitted"),
    ],
)
def test_a_partly_admitted_daemon_set_is_on_every_shape_node(
    client: FlaskClient, hard: str, nodes: int, admitted: int
) -> None:
    """The figures without a quota (tests/http/test_plan.py): the agent takes 100m and 200Mi of
    each node, 1830m left is 3 api pods a node, 10 pods need 4 nodes."""
    body = plan(client, stream(SHAPE, quota(hard), AGENT, API), f"?nodes={nodes}")
    agent = body["items"][0]
    assert agent["admission"]["podsAdmitted"] == admitted
    assert agent["admission"]["podsRefused"] == nodes - admitted
    assert [r["by"] for r in agent["admission"]["rejections"]] == ["ResourceQuota"]
    (q,) = body["quotas"]
    assert [(r["item"], r["pods"]) for r in q["rejections"]] == [(0, nodes - admitted)]
    (shape,) = body["nodeShapes"]
    assert shape["daemonSetsPerNode"] == {"cpu": "100m", "memory": "200Mi", "pods": "1"}
    assert shape["daemonSetsFit"] is True
    assert shape["podsPerNode"] == [{"item": 1, "pods": 3, "limitedBy": "cpu"}]
    assert shape["nodesNeeded"] == 4
    assert [(n["count"], n["placed"], n["free"]["cpu"]) for n in shape["nodes"]] == [
        (3, [{"item": 1, "pods": 3}], "330m"),
        (1, [{"item": 1, "pods": 1}], "1330m"),
    ]
    assert shape["unplaced"] == []


def test_the_same_without_a_quota(client: FlaskClient) -> None:
    """What the quota must not change."""
    (shape,) = plan(client, stream(SHAPE, AGENT, API), "?nodes=3")["nodeShapes"]
    assert shape["daemonSetsPerNode"] == {"cpu": "100m", "memory": "200Mi", "pods": "1"}
    assert shape["nodesNeeded"] == 4


def node(name: str) -> str:
    return f"apiVersion: v1\nkind: Node\nmetadata: {{name: {name}}}\nstatus: {{allocatable: {{cpu: '2', memory: 8Gi}}}}"


@pytest.mark.parametrize("count", [3, 4])
def test_a_partly_admitted_daemon_set_is_on_every_node_given(client: FlaskClient, count: int) -> None:
    """``count`` Nodes make ``count`` agent pods; the quota admits 2: each Node still runs one."""
    nodes = [node(f"node-{i}") for i in range(count)]
    body = plan(client, stream(*nodes, quota("{pods: '2'}"), AGENT))
    agent = body["items"][0]
    assert (agent["pods"], agent["admission"]["podsAdmitted"]) == (count, 2)
    fit = body["nodes"]
    assert [n["running"] for n in fit["nodes"]] == [{"cpu": "100m", "memory": "200Mi", "pods": "1"}] * count
    assert [n["free"] for n in fit["nodes"]] == [{"cpu": "1900m", "memory": "7992Mi", "pods": "109"}] * count
    assert fit["unplaced"] == []


@pytest.mark.parametrize(
    ("limits", "by"),
    [
        pytest.param("{cpu: 100m}", "LimitRanger", id="its limit is over the max: LimitRanger refuses it"),
        pytest.param("{}", "validation", id="the default limit (the max) is under its request: invalid"),
    ],
)
def test_a_daemon_set_whose_pod_cannot_be_created_is_on_no_node(client: FlaskClient, limits: str, by: str) -> None:
    """Its template is refused, so no pod of it can be created: none is on a node."""
    limit_range = (
        "apiVersion: v1\nkind: LimitRange\nmetadata: {name: small, namespace: kube-system}\n"
        "spec: {limits: [{type: Container, max: {cpu: 50m}}]}"
    )
    agent = AGENT.replace(
        "requests: {cpu: 100m, memory: 200Mi}", f"requests: {{cpu: 100m, memory: 200Mi}}, limits: {limits}"
    )
    body = plan(client, stream(SHAPE, limit_range, agent, API), "?nodes=3")
    item = body["items"][0]
    assert [r["by"] for r in item["admission"]["rejections"]] == [by]
    assert (item["admission"]["podsAdmitted"], item["admission"]["podsRefused"]) == (0, 3)
    (shape,) = body["nodeShapes"]
    assert shape["daemonSetsPerNode"] == {}
    assert shape["podsPerNode"] == [{"item": 1, "pods": 3, "limitedBy": "cpu"}]  # 1930m: 3 of 500m


# --- item 7 (c): a custom resource is not "runs no pods" -------------------------------------------


def custom(kind: str, api_version: str | None) -> str:
    of = f" ({api_version})" if api_version else ""
    return f"a {kind}{of} is a kind podcalc does not compute, whose operator may run pods: they are not counted here"


def built_in(kind: str) -> str:
    return f"a {kind} has no pod template: it runs no pods"


@pytest.mark.parametrize(
    ("api_version", "kind", "reason"),
    [
        ("monitoring.coreos.com/v1", "Prometheus", custom("Prometheus", "monitoring.coreos.com/v1")),
        ("kafka.strimzi.io/v1beta2", "Kafka", custom("Kafka", "kafka.strimzi.io/v1beta2")),
        ("serving.knative.dev/v1", "Service", custom("Service", "serving.knative.dev/v1")),
        ("argoproj.io/v1alpha1", "Rollout", custom("Rollout", "argoproj.io/v1alpha1")),
        ("v1", "Prometheus", custom("Prometheus", "v1")),
        (None, "Prometheus", custom("Prometheus", None)),
        ("v1", "Service", built_in("Service")),
        ("v1", "ConfigMap", built_in("ConfigMap")),
        ("networking.k8s.io/v1", "Ingress", built_in("Ingress")),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", built_in("ClusterRoleBinding")),
        ("autoscaling/v2", "HorizontalPodAutoscaler", built_in("HorizontalPodAutoscaler")),
        ("policy/v1", "PodDisruptionBudget", built_in("PodDisruptionBudget")),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition", built_in("CustomResourceDefinition")),
        ("discovery.k8s.io/v1", "EndpointSlice", built_in("EndpointSlice")),
        (None, "Secret", built_in("Secret")),
    ],
)
@pytest.mark.parametrize("path", ["/v1/effective-resources", "/v1/plan"])
def test_skipped_reason_tells_a_custom_resource_from_a_built_in_kind(
    client: FlaskClient, path: str, api_version: str | None, kind: str, reason: str
) -> None:
    header = f"apiVersion: {api_version}\n" if api_version else ""
    response = post(client, path, f"{header}kind: {kind}\nmetadata: {{name: x}}\nspec: {{replicas: 2}}\n")
    assert response.status_code == 200, response.get_json()
    (skipped,) = response.get_json()["skipped"]
    assert (skipped["kind"], skipped["reason"]) == (kind, reason)


# --- item 7 (d): the JSON body null is not an empty stream ------------------------------------------


@pytest.mark.parametrize("path", ["/v1/effective-resources", "/v1/plan"])
@pytest.mark.parametrize(
    ("body", "content_type"),
    [("null", "application/json"), (" null\n", "application/json"), ("null", "application/merge-patch+json")],
)
def test_the_json_null_body_is_a_400(client: FlaskClient, path: str, body: str, content_type: str) -> None:
    response = post(client, path, body, content_type=content_type)
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["title"] == "Malformed body"
    assert "null" in problem["detail"]
    assert problem["errors"] == [{"pointer": "", "detail": "must be a JSON object, not null"}]


@pytest.mark.parametrize("path", ["/v1/effective-resources", "/v1/plan"])
def test_an_empty_yaml_document_is_still_ignored(client: FlaskClient, path: str) -> None:
    """A YAML stream's empty documents (Helm leaves them) are ignored, as documented."""
    response = post(client, path, "null\n---\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n")
    assert response.status_code == 200
    assert [item["name"] for item in response.get_json()["items"]] == ["p"]


# --- item 7 (e): utilisation rounded half to even, decisions on the exact shares ----------------------


def pods(count: int, cpu: str) -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: w}}\nspec:\n  replicas: {count}\n"
        f"  template: {{spec: {{containers: [{{name: c, resources: {{requests: {{cpu: {cpu}}}}}}}]}}}}"
    )


@pytest.mark.parametrize(
    ("hard", "count", "cpu", "shown", "exceeded"),
    [
        pytest.param("300m", 1, "406m", "135.33%", True, id="406m of 300m: 135.333...%"),
        pytest.param("300m", 2, "203m", "135.33%", True, id="2 x 203m of 300m"),
        pytest.param("3", 1, "1", "33.33%", False, id="1 of 3: 33.333...%, not 33.34%"),
        pytest.param("4", 1, "1m", "0.02%", False, id="1m of 4: 0.025%, a tie, to even"),
        pytest.param("20", 1, "7m", "0.04%", False, id="7m of 20: 0.035%, a tie, to even"),
        pytest.param("2", 1, "1782m", "89.1%", False, id="89.1% exactly"),
        pytest.param("25", 1, "25001m", "100%", True, id="100.004%: shown 100%, exceeded all the same"),
        pytest.param("25", 1, "25", "100%", False, id="exactly 100%: fits"),
    ],
)
def test_utilisation_is_rounded_half_to_even(
    client: FlaskClient, hard: str, count: int, cpu: str, shown: str, exceeded: bool
) -> None:
    body = plan(
        client,
        stream(
            f"kind: ResourceQuota\nmetadata: {{name: q}}\nspec: {{hard: {{requests.cpu: {hard}}}}}", pods(count, cpu)
        ),
    )
    (q,) = body["quotas"]
    assert q["utilisation"] == {"requests.cpu": shown}
    assert q["exceeded"] == (["requests.cpu"] if exceeded else [])
    assert q["fits"] is not exceeded


@pytest.mark.parametrize("path", ["/v1/diff", "/v1/what-if"])
@pytest.mark.parametrize("body", ["[]", "null", '"manifests"', "3"])
def test_a_two_sided_body_that_is_not_an_object_is_a_422(client: FlaskClient, path: str, body: str) -> None:
    response = post(client, path, body, content_type="application/json")
    assert response.status_code == 422
    problem = response.get_json()
    assert (problem["title"], problem["detail"]) == ("Invalid input", "the body must be a JSON object")
    assert problem["errors"] == [{"pointer": "", "detail": "must be a JSON object"}]
