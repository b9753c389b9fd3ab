"""Unit expressions (``1.5 GiB``, ``512 MB``, ``2 cores``) are computed with, and every answer
that read one warns at its field: the API server parses quantities with ``ParseQuantity``
alone (``k8s.io/apimachinery/pkg/api/resource``), so ``kubectl apply`` rejects the manifest."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  template:
    spec:
      initContainers:
      - {name: proxy, restartPolicy: Always, resources: {requests: {cpu: 250 millicores}}}
      containers:
      - name: app
        resources:
          requests: {cpu: "1", memory: 1.5 GiB}
          limits: {memory: 2Gi}
"""
POLICIES = """\
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: shop}
spec:
  limits:
  - {type: Container, default: {memory: 3 GiB}, max: {cpu: 4 cores}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: team, namespace: shop}
spec:
  hard: {requests.memory: 10 GiB, limits.cpu: "8"}
"""
DETAIL = "not a Kubernetes quantity: the API server would reject this manifest; write "


def _post(client: FlaskClient, path: str, body: str) -> dict[str, Any]:
    response = client.post(path, data=body, content_type="application/yaml")
    assert response.status_code == 200, response.get_json()
    body_json: dict[str, Any] = response.get_json()
    return body_json


def _found(warnings: list[dict[str, Any]]) -> list[tuple[int, str, str, str]]:
    return [(w["document"], w["pointer"], w["value"], w["suggested"]) for w in warnings]


def test_effective_computes_with_the_expression_and_warns_at_each_field(client: FlaskClient) -> None:
    body = _post(client, "/v1/effective-resources", DEPLOYMENT)
    assert body["items"][0]["pod"]["requests"] == {"cpu": "1250m", "memory": "1536Mi"}
    assert _found(body["warnings"]) == [
        (0, "/spec/template/spec/containers/0/resources/requests/memory", "1.5 GiB", "1536Mi"),
        (0, "/spec/template/spec/initContainers/0/resources/requests/cpu", "250 millicores", "250m"),
    ]
    first = body["warnings"][0]
    assert (first["kind"], first["name"]) == ("Deployment", "web")
    assert first["detail"] == DETAIL + "1536Mi"
    assert "source" not in first


def test_kubernetes_quantities_give_no_warning(client: FlaskClient) -> None:
    body = _post(client, "/v1/effective-resources", DEPLOYMENT.replace("1.5 GiB", "1536Mi").replace(" millicores", "m"))
    assert body["warnings"] == []


def test_the_plan_warns_for_limit_ranges_and_quotas_too(client: FlaskClient) -> None:
    body = _post(client, "/v1/plan", DEPLOYMENT + POLICIES)
    assert _found(body["warnings"])[2:] == [
        (1, "/spec/limits/0/max/cpu", "4 cores", "4"),
        (1, "/spec/limits/0/default/memory", "3 GiB", "3Gi"),
        (2, "/spec/hard/requests.memory", "10 GiB", "10Gi"),
    ]
    (quota,) = body["quotas"]
    assert quota["hard"]["requests.memory"] == "10Gi"  # a quota's memory is bytes, as its name says


def test_a_list_item_is_located_inside_its_list(client: FlaskClient) -> None:
    listed = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {"kind": "Pod", "metadata": {"name": "a"}, "spec": {"containers": [{"name": "c"}]}},
            {
                "kind": "Pod",
                "metadata": {"name": "b"},
                "spec": {"containers": [{"name": "c", "resources": {"limits": {"memory": "512 MB"}}}]},
            },
        ],
    }
    response = client.post("/v1/effective-resources", json=listed)
    (warning,) = response.get_json()["warnings"]
    assert warning["pointer"] == "/items/1/spec/containers/0/resources/limits/memory"
    assert (warning["name"], warning["suggested"]) == ("b", "512M")


def test_diff_names_the_side_of_each_warning(client: FlaskClient) -> None:
    after = DEPLOYMENT.replace("1.5 GiB", "1536Mi")
    response = client.post("/v1/diff", json={"before": DEPLOYMENT, "after": after})
    assert response.status_code == 200
    warnings = response.get_json()["warnings"]
    assert [(w["source"], w["pointer"]) for w in warnings] == [
        ("before document 0", "/spec/template/spec/containers/0/resources/requests/memory"),
        ("before document 0", "/spec/template/spec/initContainers/0/resources/requests/cpu"),
        ("after document 0", "/spec/template/spec/initContainers/0/resources/requests/cpu"),
    ]
    assert response.get_json()["workloads"][0]["change"] == "unchanged"  # 1.5 GiB is 1536Mi


def test_a_node_shape_is_podcalcs_own_kind_and_warns_nothing(client: FlaskClient) -> None:
    shape = (
        "apiVersion: podcalc.io/v1alpha1\nkind: NodeShape\nmetadata: {name: m}\n"
        "spec: {capacity: {cpu: 4 cores, memory: 16 GiB}}\n"
    )
    body = _post(client, "/v1/plan", DEPLOYMENT.replace("1.5 GiB", "1Gi").replace(" millicores", "m") + "---\n" + shape)
    assert body["warnings"] == []
