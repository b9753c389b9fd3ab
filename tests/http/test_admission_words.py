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
