"""Object-count and storage quotas decide, object by object, in stream order (issue 22, item 1).

Each object the stream creates goes through every quota of its namespace that counts it, as
the ResourceQuota admission plugin's ``checkRequest`` does
(``k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go``); the object-count,
Service and claim evaluators match unscoped quotas only (``generic.Matches`` with
``MatchesNoScopeFunc``). A refused object creates nothing below it.
"""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.http.test_plan import by_name, plan


def deployment(name: str, replicas: int = 2, namespace: str = "shop") -> str:
    return f"""---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  replicas: {replicas}
  template: {{spec: {{containers: [{{name: app, resources: {{requests: {{cpu: 100m}}}}}}]}}}}
"""


def quota(hard: str, name: str = "objs", namespace: str = "shop", extra: str = "") -> str:
    return f"""---
apiVersion: v1
kind: ResourceQuota
metadata: {{name: {name}, namespace: {namespace}}}
spec: {{hard: {hard}{extra}}}
"""


def refusal(item: dict[str, Any]) -> tuple[int, int, str, str | None]:
    admission = item["admission"]
    (rejection,) = admission["rejections"]
    return admission["podsAdmitted"], admission["podsRefused"], rejection["message"], rejection.get("refused")


def test_the_second_deployment_over_a_count_quota_is_refused_with_its_pods(client: FlaskClient) -> None:
    body = plan(client, quota('{count/deployments.apps: "1", pods: "10"}') + deployment("a") + deployment("b"))
    items = by_name(body)
    assert items["a"]["admission"]["podsAdmitted"] == 2
    assert refusal(items["b"]) == (
        0,
        2,
        "exceeded quota: objs, requested: count/deployments.apps=1, used: count/deployments.apps=1, "
        "limited: count/deployments.apps=1",
        "Deployment/b",
    )
    (q,) = body["quotas"]
    assert q["rejections"][0]["refused"] == "Deployment/b"
    assert q["total"] == {"count/deployments.apps": "2", "pods": "2"}  # b's pods were never asked for


def test_a_replica_set_over_its_quota_stops_the_deployments_pods(client: FlaskClient) -> None:
    """The Deployment is created; its controller's ReplicaSet is refused, so no pod exists."""
    stream = quota('{count/replicasets.apps: "0"}') + deployment("web")
    (web,) = plan(client, stream)["items"]
    assert refusal(web) == (
        0,
        2,
        "exceeded quota: objs, requested: count/replicasets.apps=1, used: count/replicasets.apps=0, "
        "limited: count/replicasets.apps=0",
        "ReplicaSet of Deployment/web",
    )


def test_services_config_maps_and_secrets_are_refused_in_stream_order(client: FlaskClient) -> None:
    objects = """---
apiVersion: v1
kind: ConfigMap
metadata: {name: one, namespace: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: two, namespace: shop}
---
apiVersion: v1
kind: Service
metadata: {name: np, namespace: shop}
spec: {type: NodePort, ports: [{port: 80}, {port: 443}]}
"""
    body = plan(client, quota('{configmaps: "1", services.nodeports: "1"}') + objects)
    (q,) = body["quotas"]
    assert [(r["refused"], r["item"], r["message"]) for r in q["rejections"]] == [
        (
            "ConfigMap/two",
            None,
            "exceeded quota: objs, requested: configmaps=1, used: configmaps=1, limited: configmaps=1",
        ),
        (
            "Service/np",
            None,
            "exceeded quota: objs, requested: services.nodeports=2, used: services.nodeports=0, "
            "limited: services.nodeports=1",
        ),
    ]
    assert q["fits"] is False


def test_a_scoped_quota_counts_no_object_but_pods(client: FlaskClient) -> None:
    """``MatchesNoScopeFunc``: a quota with a scope never matches a Deployment or a Service."""
    scoped = quota('{count/deployments.apps: "0", pods: "1"}', extra="", name="scoped").replace(
        "spec: {hard:", "spec: {scopes: [NotBestEffort], hard:"
    )
    body = plan(client, scoped + deployment("web", replicas=2))
    (web,) = body["items"]
    assert refusal(web) == (
        1,
        1,
        "exceeded quota: scoped, requested: pods=1, used: pods=1, limited: pods=1",
        None,
    )


STATEFUL = """---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  replicas: 3
  template: {spec: {containers: [{name: db, resources: {requests: {cpu: 100m}}}]}}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {storageClassName: gold, resources: {requests: {storage: 10Gi}}}
"""


def test_a_stateful_sets_claims_come_before_each_pod(client: FlaskClient) -> None:
    """The StatefulSet controller creates pod i's claims, then pod i: the third claim is refused,
    so the third pod is never created."""
    body = plan(client, quota("{requests.storage: 25Gi}") + STATEFUL)
    (db,) = body["items"]
    assert refusal(db) == (
        2,
        1,
        "exceeded quota: objs, requested: requests.storage=10Gi, used: requests.storage=20Gi, "
        "limited: requests.storage=25Gi",
        "PersistentVolumeClaim/data-db-2",
    )
    assert db["quota"] == {"morePods": 0, "limitedBy": {"quota": "objs", "resource": "requests.storage"}}


def test_a_storage_class_quota_counts_its_own_claims(client: FlaskClient) -> None:
    hard = (
        '{gold.storageclass.storage.k8s.io/persistentvolumeclaims: "1", '
        'silver.storageclass.storage.k8s.io/requests.storage: "0"}'
    )
    (db,) = plan(client, quota(hard) + STATEFUL)["items"]
    assert refusal(db)[:2] == (1, 2)
    assert refusal(db)[2].startswith(
        "exceeded quota: objs, requested: gold.storageclass.storage.k8s.io/persistentvolumeclaims=1, "
        "used: gold.storageclass.storage.k8s.io/persistentvolumeclaims=1"
    )


def test_a_refused_job_creates_no_pod(client: FlaskClient) -> None:
    job = """---
apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: shop}
spec:
  parallelism: 2
  template: {spec: {restartPolicy: Never, containers: [{name: a, resources: {requests: {cpu: 100m}}}]}}
"""
    body = plan(client, quota('{count/jobs.batch: "0", requests.cpu: "1"}') + job)
    (once,) = body["items"]
    assert refusal(once)[:2] == (0, 2)
    assert refusal(once)[3] == "Job/once"
    assert body["quotas"][0]["total"] == {"count/jobs.batch": "1"}
