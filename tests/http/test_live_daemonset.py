"""A DaemonSet's RollingUpdate with maxSurge (issue 20): a new pod starts on up to maxSurge
nodes before the old one there stops (``dsc.rollingUpdate``, ``updatedDesiredNodeCounts``:
maxSurge scaled from the desired number of nodes, rounded up)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

NODES = "".join(
    f"""---
apiVersion: v1
kind: Node
metadata: {{name: n{i}}}
status: {{allocatable: {{cpu: "4", memory: 8Gi, pods: "110"}}}}
"""
    for i in range(4)
)
DAEMONSET = """---
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: agent, namespace: ops}}
spec:
  updateStrategy: {{type: RollingUpdate, rollingUpdate: {{maxSurge: {surge}, maxUnavailable: 0}}}}
  template:
    spec:
      containers: [{{name: a, resources: {{requests: {{cpu: {cpu}}}}}}}]
"""
PODS = "".join(
    f"""---
apiVersion: v1
kind: Pod
metadata:
  name: agent-{i}
  namespace: ops
  ownerReferences: [{{apiVersion: apps/v1, kind: DaemonSet, name: agent, controller: true}}]
spec:
  nodeName: n{i}
  containers: [{{name: a, resources: {{requests: {{cpu: 100m}}}}}}]
status: {{phase: Running}}
"""
    for i in range(4)
)


def _rollout(client: FlaskClient, surge: str, cpu: str) -> Any:
    cluster = NODES + DAEMONSET.format(surge=surge, cpu="100m") + PODS
    response = client.post("/v1/plan", json={"cluster": cluster, "manifests": DAEMONSET.format(surge=surge, cpu=cpu)})
    assert response.status_code == 200, response.get_json()
    (change,) = response.get_json()["cluster"]["workloads"]
    return change["rollout"]


def test_max_surge_runs_old_and_new_pods_together_on_that_many_nodes(client: FlaskClient) -> None:
    """4 nodes, maxSurge 1: at the peak every new pod (4 x 200m) and one old (100m)."""
    rollout = _rollout(client, "1", "200m")
    assert (rollout["strategy"], rollout["maxSurge"], rollout["maxUnavailable"], rollout["peakPods"]) == (
        "RollingUpdate",
        1,
        0,
        5,
    )
    assert rollout["peak"]["requests.cpu"] == "900m"


def test_a_percentage_is_of_the_nodes_rounded_up(client: FlaskClient) -> None:
    """30% of 4 nodes is 1.2: 2 nodes surge; a smaller new pod peaks at every old one and 2 new."""
    rollout = _rollout(client, "'30%'", "50m")
    assert (rollout["maxSurge"], rollout["peakPods"]) == (2, 6)
    assert rollout["peak"]["requests.cpu"] == "500m"  # 4 x 100m + 2 x 50m


def test_without_max_surge_old_and_new_never_run_together(client: FlaskClient) -> None:
    rollout = _rollout(client, "0", "200m")
    assert (rollout["maxSurge"], rollout["peakPods"]) == (None, 4)
    assert rollout["peak"]["requests.cpu"] == "800m"


def test_a_rolling_update_that_is_not_an_object_is_read_as_the_defaults(client: FlaskClient) -> None:
    """``rollingUpdate: x`` (which the API server's schema would refuse) is not a crash."""
    manifests = DAEMONSET.format(surge="1", cpu="200m").replace(
        "rollingUpdate: {maxSurge: 1, maxUnavailable: 0}", "rollingUpdate: x"
    )
    cluster = NODES + DAEMONSET.format(surge="1", cpu="100m") + PODS
    response = client.post("/v1/plan", json={"cluster": cluster, "manifests": manifests})
    assert response.status_code == 200
    (change,) = response.get_json()["cluster"]["workloads"]
    assert (change["rollout"]["maxSurge"], change["rollout"]["peakPods"]) == (None, 4)


def test_a_max_surge_that_is_neither_an_int_nor_a_percentage_is_a_422(client: FlaskClient) -> None:
    """A Deployment's or a DaemonSet's: the API server's validation refuses it; never a 500."""
    cluster = NODES + DAEMONSET.format(surge="1", cpu="100m") + PODS
    response = client.post("/v1/plan", json={"cluster": cluster, "manifests": DAEMONSET.format(surge="abc", cpu="2")})
    assert response.status_code == 422
    (error,) = response.get_json()["errors"]
    assert (error["source"], error["pointer"], error["kind"]) == (
        "manifests document 0",
        "/spec/updateStrategy/rollingUpdate",
        "DaemonSet",
    )
    assert error["detail"] == "Invalid value: 'abc': an int or a percentage such as '25%'"
