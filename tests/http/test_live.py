"""POST /v1/plan with a running cluster's snapshot (issue 20): the snapshot as kubectl prints
it (a List with ownerReferences, managedFields, taints, status) and the change on top of it.
Every response is checked against openapi.yaml."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.conftest import ROOT

SNAPSHOT = (ROOT / "tests/data/snapshot/cluster.yaml").read_text()
CHANGE = (ROOT / "tests/data/snapshot/changes.yaml").read_text()


def live(client: FlaskClient, cluster: Any, manifests: Any = None, status: int = 200, query: str = "") -> Any:
    body: dict[str, Any] = {"cluster": cluster}
    if manifests is not None:
        body["manifests"] = manifests
    response = client.post("/v1/plan" + query, json=body)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_the_state_alone_counts_each_running_pod_once(client: FlaskClient) -> None:
    """The Deployment, its ReplicaSet and its two Pods are one workload of two pods; the
    Succeeded Job pod counts nowhere; the Pending pod without a node is placed."""
    block = live(client, SNAPSHOT)["cluster"]
    snapshot = block["snapshot"]
    assert (snapshot["pods"], snapshot["ended"], snapshot["workloads"]) == (3, 1, 2)
    assert snapshot["pending"] == [{"item": -3, "kind": "Pod", "namespace": "shop", "name": "cache", "placed": True}]
    assert snapshot["notes"] == []  # the pods add up to status.used: 2 x 500m + 250m
    (quota,) = block["quotas"]
    assert quota["used"] == quota["after"] == {"requests.cpu": "1250m", "requests.memory": "1280Mi", "pods": "3"}
    assert block["fits"] is True


def test_nodes_free_what_their_pods_leave_and_filters_keep_new_pods_off(client: FlaskClient) -> None:
    """worker-1 runs web-a (500m); worker-2 is cordoned; the control plane is tainted
    NoSchedule: the pending pod can only go to worker-1."""
    body = live(client, SNAPSHOT)
    rows = {n["name"]: n for n in body["nodes"]["nodes"]}
    assert rows["worker-1"]["running"] == {"cpu": "500m", "memory": "512Mi", "pods": "1"}
    assert rows["worker-1"]["free"] == {"cpu": "1500m", "memory": "3584Mi", "pods": "109"}
    placed = {g["name"]: g["placed"] for g in body["nodes"]["placement"]}
    assert placed == {"control-plane": [], "worker-1": [{"item": -3, "pods": 1}], "worker-2": []}


def test_a_changed_deployment_replaces_the_running_one(client: FlaskClient) -> None:
    block = live(client, SNAPSHOT, CHANGE)["cluster"]
    (web,) = block["workloads"]
    assert (web["change"], web["before"]["pods"], web["after"]["pods"]) == ("replaced", 2, 2)
    assert web["delta"] == {"pods": 0, "requests": {"cpu": "200m"}, "limits": {}}
    assert web["rollout"] == {
        "strategy": "RollingUpdate",
        "maxSurge": 1,
        "maxUnavailable": 0,
        "peakPods": 3,
        "peak": {
            "count/pods": "3",
            "cpu": "1700m",
            "limits.memory": "1536Mi",
            "memory": "1536Mi",
            "pods": "3",
            "requests.cpu": "1700m",
            "requests.memory": "1536Mi",
        },
    }
    (quota,) = block["quotas"]
    # 1250m - 2 x 500m (old pods leave) + 2 x 600m; at the peak one old pod (500m) is still there
    assert quota["after"] == {"requests.cpu": "1450m", "requests.memory": "1280Mi", "pods": "3"}
    assert quota["atRolloutPeak"] == {"requests.cpu": "1950m", "requests.memory": "1792Mi", "pods": "4"}
    assert quota["stalls"] == []
    assert block["answer"] == "fits on the cluster as it is: yes"


def test_a_rollout_that_would_stall_on_the_quota_is_named_even_when_the_end_fits(client: FlaskClient) -> None:
    bigger = CHANGE.replace("cpu: 600m", "cpu: 700m")  # after: 250m + 1400m = 1650m; peak + 700m = 2350m > 2
    block = live(client, SNAPSHOT, bigger)["cluster"]
    (quota,) = block["quotas"]
    assert quota["after"]["requests.cpu"] == "1650m"
    assert quota["stalls"] == [
        "the rollout of Deployment/web would stall on quota shop/compute: "
        "requests.cpu reaches 2150m at its peak, 150m over 2"
    ]
    assert block["fits"] is False
    assert block["answer"].startswith("fits on the cluster as it is: no: the rollout of Deployment/web")


def test_a_new_workload_is_added_beside_the_running_ones(client: FlaskClient) -> None:
    other = CHANGE.replace("name: web", "name: api")
    block = live(client, SNAPSHOT, other)["cluster"]
    (api,) = block["workloads"]
    assert (api["change"], api["before"]["pods"], api["rollout"]) == ("added", 0, None)
    assert api["after"]["pods"] == 1  # 1250m + 600m fits in 2; the second pod would make 2450m
    (quota,) = block["quotas"]
    assert quota["after"]["requests.cpu"] == "2450m"  # what the change asks for, admitted or not
    assert block["reasons"] == ["1 pod refused by admission", "quota shop/compute exceeded"]


def test_a_partial_snapshot_is_said_to_be(client: FlaskClient) -> None:
    partial = SNAPSHOT.replace("used: {requests.cpu: 1250m", "used: {requests.cpu: 1750m")
    notes = live(client, partial)["cluster"]["snapshot"]["notes"]
    assert notes == [
        "quota shop/compute: status.used says requests.cpu=1750m, the snapshot's pods add up to 1250m: "
        "a partial snapshot, or pods changed since"
    ]


def test_a_controller_without_its_pods_is_counted_from_its_spec(client: FlaskClient) -> None:
    no_pods = SNAPSHOT.split("- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: web-5d4f8-a")[0]
    no_pods += "- apiVersion: v1\n  kind: ResourceQuota\n" + SNAPSHOT.split("  kind: ResourceQuota\n")[1]
    snapshot = live(client, no_pods)["cluster"]["snapshot"]
    assert snapshot["notes"][0] == (
        "Deployment shop/web: none of its pods is in the snapshot: counted from its spec (2 pods, still to place)"
    )


def test_the_stream_body_keeps_working_and_a_bad_envelope_is_refused(client: FlaskClient) -> None:
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}]}}
    assert "cluster" not in client.post("/v1/plan", json=pod).get_json()
    response = client.post("/v1/plan", json={"cluster": SNAPSHOT, "changes": CHANGE})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/changes"


def test_resized_pods_count_the_larger_of_spec_and_status(client: FlaskClient) -> None:
    """``PodRequests`` with ``UseStatusResources`` (KEP-1287): per container, max(spec, status)."""
    resized = SNAPSHOT.replace(
        "  status: {phase: Running, qosClass: Burstable}",
        "  status:\n    phase: Running\n    containerStatuses:\n"
        "    - {name: app, allocatedResources: {cpu: 800m, memory: 256Mi}, resources: {requests: {cpu: 700m}}}",
    )
    body = live(client, resized)
    rows = {n["name"]: n for n in body["nodes"]["nodes"]}
    assert rows["worker-1"]["running"] == {"cpu": "800m", "memory": "512Mi", "pods": "1"}


_WEB_A = (
    "    - {name: app, image: nginx, resources: {requests: {cpu: 500m, memory: 512Mi}, limits: {memory: 512Mi}}}\n"
    "  status: {phase: Running, qosClass: Burstable}"
)


def _resized_web_a(spec_cpu: str, status: str) -> str:
    """The snapshot with web-5d4f8-a's spec asking ``spec_cpu`` and ``status`` as its status."""
    assert _WEB_A in SNAPSHOT
    return SNAPSHOT.replace(
        _WEB_A,
        f"    - {{name: app, image: nginx, resources: {{requests: {{cpu: {spec_cpu}, memory: 512Mi}}, "
        f"limits: {{memory: 512Mi}}}}}}\n  status:\n{status}",
    )


def test_resized_limits_count_the_larger_of_spec_and_status(client: FlaskClient) -> None:
    """``PodLimits`` with ``UseStatusResources``: the limit the runtime applied (768Mi) counts
    where it is above the spec's (512Mi); the replaced Deployment's pods had 512Mi + 768Mi."""
    status = (
        "    phase: Running\n    containerStatuses:\n"
        "    - {name: app, resources: {requests: {cpu: 500m, memory: 512Mi}, limits: {memory: 768Mi}}}"
    )
    (web,) = live(client, _resized_web_a("500m", status), CHANGE)["cluster"]["workloads"]
    assert web["before"]["limits"] == {"memory": "1280Mi"}
    assert web["delta"]["limits"] == {"memory": "-256Mi"}  # the new pods' 2 x 512Mi


def test_an_infeasible_resize_counts_what_the_container_was_given(client: FlaskClient) -> None:
    """The spec now asks 900m, the kubelet gave 500m: while the resize waits (Deferred) the
    larger counts; once the kubelet finds it Infeasible, only what it gave (``IsPodResizeInfeasible``)."""
    given = (
        "    phase: Running\n    containerStatuses:\n"
        "    - {name: app, allocatedResources: {cpu: 500m, memory: 512Mi},"
        " resources: {requests: {cpu: 500m, memory: 512Mi}, limits: {memory: 512Mi}}}\n"
        "    conditions:\n    - {type: PodResizePending, status: 'True', reason: %s}"
    )
    for reason, cpu in (("Deferred", "900m"), ("Infeasible", "500m")):
        rows = {n["name"]: n for n in live(client, _resized_web_a("900m", given % reason))["nodes"]["nodes"]}
        assert rows["worker-1"]["running"] == {"cpu": cpu, "memory": "512Mi", "pods": "1"}, reason


def test_a_max_surge_that_does_not_decode_as_an_int_or_percent_is_a_422(client: FlaskClient) -> None:
    """``maxSurge: 0.5`` is not an IntOrString (the API server cannot decode it): a 422."""
    half = CHANGE.replace("maxSurge: 1,", "maxSurge: 0.5,")
    assert half != CHANGE
    (error,) = live(client, SNAPSHOT, half, status=422)["errors"]
    assert (error["pointer"], error["detail"]) == (
        "/spec/strategy/rollingUpdate",
        "Invalid value: 0.5: an int or a percentage such as '25%'",
    )


def test_a_snapshot_object_kubectl_would_never_print_is_a_422_not_a_500(client: FlaskClient) -> None:
    """A kind that is not a string, an item that is not an object, a controller whose fields
    cannot be read: each is refused at its place, never passed over and never a 500."""
    pod = {"kind": "Pod", "metadata": {"name": "a"}, "spec": {"containers": [{"name": "a"}]}}
    deployment = {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replicas": "x", "template": {}}}
    for bad, pointer, detail in (
        ({**pod, "kind": ["Pod"]}, "/items/0/kind", "must be a string"),
        (7, "/items/0", "expected an object (a Kubernetes manifest or a PodSpec)"),
        (deployment, "/items/0/spec/replicas", "must be a whole number"),
    ):
        problem = live(client, {"kind": "List", "items": [bad]}, [pod], status=422)
        assert [(e["source"], e["pointer"], e["detail"]) for e in problem["errors"]] == [
            ("cluster document 0", pointer, detail)
        ]


HALFWAY = """
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: n1}
  status: {allocatable: {cpu: "8", memory: 8Gi, pods: "10"}}
- apiVersion: v1
  kind: Pod
  metadata: {name: two, namespace: shop}
  spec:
    nodeName: n1
    containers:
    - {name: a, resources: {requests: {cpu: "2"}, limits: {cpu: "2"}}}
    - {name: b, resources: {requests: {cpu: "1"}}}
  status:
    phase: Running
    containerStatuses:
    - {name: a, allocatedResources: {cpu: "2"}, resources: {requests: {cpu: "1"}, limits: {cpu: "1"}}}
    - {name: b, allocatedResources: {cpu: "1"}, resources: {requests: {cpu: "3"}}}
"""


def test_a_pod_resized_halfway_counts_as_its_release_counts_it(client: FlaskClient) -> None:
    """a grows 1 -> 2 cpu (allocated, not yet applied), b shrinks 3 -> 1 (not yet applied).
    1.35 and 1.36 take the larger per container (2 + 3); 1.37 sums spec (3), allocated (3)
    and applied (1 + 3) apart, then takes the largest (kubernetes#140047)."""
    for version, cpu in (("1.35", "5"), ("1.36", "5"), ("1.37", "4")):
        body = live(client, HALFWAY, query=f"?kubernetesVersion={version}")
        (node,) = body["nodes"]["nodes"]
        assert node["running"]["cpu"] == cpu, version


def test_a_status_above_the_spec_limit_is_counted_not_refused(client: FlaskClient) -> None:
    """The spec is what the API server validated; the status is what runs. A container whose
    allocated figure (3) passes its spec's limit (2) counts 3; it is no invalid manifest."""
    running = HALFWAY.replace(
        'allocatedResources: {cpu: "2"}, resources: {requests: {cpu: "1"}, limits: {cpu: "1"}}',
        'allocatedResources: {cpu: "3"}',
    )
    (node,) = live(client, running)["nodes"]["nodes"]
    assert node["running"]["cpu"] == "6"  # 1.37: allocated 3 + 1 = 4, applied 3 (a) + 3 (b) = 6
