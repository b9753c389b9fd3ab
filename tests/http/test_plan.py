"""POST /v1/plan end to end: the examples of the kubernetes.io task pages on LimitRanges and
ResourceQuotas, node shapes and Nodes. Every response is checked against openapi.yaml."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import ROOT


def plan(client: FlaskClient, body: str, query: str = "", status: int = 200) -> Any:
    response = client.post("/v1/plan" + query, data=body, content_type="application/yaml")
    assert response.status_code == status, response.get_json()
    return response.get_json()


def by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in body["items"]}


# tasks/administer-cluster/manage-resources/quota-memory-cpu-namespace
QUOTA_MEM_CPU = """
apiVersion: v1
kind: ResourceQuota
metadata: {name: mem-cpu-demo, namespace: quota-mem-cpu-example}
spec:
  hard: {requests.cpu: "1", requests.memory: 1Gi, limits.cpu: "2", limits.memory: 2Gi}
---
apiVersion: v1
kind: Pod
metadata: {name: quota-mem-cpu-demo, namespace: quota-mem-cpu-example}
spec:
  containers:
  - name: quota-mem-cpu-demo-ctr
    image: nginx
    resources:
      limits: {memory: "800Mi", cpu: "800m"}
      requests: {memory: "600Mi", cpu: "400m"}
---
apiVersion: v1
kind: Pod
metadata: {name: quota-mem-cpu-demo-2, namespace: quota-mem-cpu-example}
spec:
  containers:
  - name: quota-mem-cpu-demo-2-ctr
    image: redis
    resources:
      limits: {memory: "1Gi", cpu: "800m"}
      requests: {memory: "700Mi", cpu: "400m"}
"""


def test_quota_memory_cpu_page_second_pod_is_refused(client: FlaskClient) -> None:
    body = plan(client, QUOTA_MEM_CPU)
    first, second = by_name(body)["quota-mem-cpu-demo"], by_name(body)["quota-mem-cpu-demo-2"]
    assert first["admission"] == {"admitted": True, "podsAdmitted": 1, "podsRefused": 0, "rejections": []}
    assert second["admission"]["podsRefused"] == 1
    assert second["admission"]["rejections"][0]["message"] == (
        "exceeded quota: mem-cpu-demo, requested: requests.memory=700Mi, used: requests.memory=600Mi, "
        "limited: requests.memory=1Gi"
    )
    (q,) = body["quotas"]
    assert q["fits"] is False
    assert q["exceeded"] == ["requests.memory"]
    assert q["binding"] == "requests.memory"
    assert q["requested"] == {
        "limits.cpu": "1600m",
        "limits.memory": "1824Mi",
        "requests.cpu": "800m",
        "requests.memory": "1300Mi",
    }
    assert q["remaining"]["requests.memory"] == "-276Mi"
    assert q["utilisation"] == {
        "limits.cpu": "80%",
        "limits.memory": "89.06%",  # 1824 / 2048 = 89.0625%, rounded half to even
        "requests.cpu": "80%",
        "requests.memory": "126.95%",  # 1300 / 1024 = 126.953125%
    }
    # after the first pod: 424Mi of requests.memory left, 600Mi a pod -> no more
    assert first["quota"] == {"morePods": 0, "limitedBy": {"quota": "mem-cpu-demo", "resource": "requests.memory"}}


# tasks/administer-cluster/manage-resources/quota-pod-namespace
QUOTA_POD = """
apiVersion: v1
kind: ResourceQuota
metadata: {name: pod-demo, namespace: quota-pod-example}
spec:
  hard: {pods: "2"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: pod-quota-demo, namespace: quota-pod-example}
spec:
  selector: {matchLabels: {purpose: quota-demo}}
  replicas: 3
  template:
    metadata: {labels: {purpose: quota-demo}}
    spec:
      containers:
      - name: pod-quota-demo
        image: nginx
"""


def test_quota_pod_page_two_of_three_replicas_run(client: FlaskClient) -> None:
    item = plan(client, QUOTA_POD)["items"][0]
    assert item["admission"]["podsAdmitted"] == 2
    assert item["admission"]["podsRefused"] == 1
    assert item["admission"]["rejections"][0]["message"] == (
        "exceeded quota: pod-demo, requested: pods=1, used: pods=2, limited: pods=2"
    )


def test_status_used_and_object_counts_count_against_the_quota(client: FlaskClient) -> None:
    stream = """
apiVersion: v1
kind: ResourceQuota
metadata: {name: objects}
spec:
  hard: {count/deployments.apps: "2", services: "1", services.loadbalancers: "0", requests.cpu: "2"}
status:
  used: {count/deployments.apps: "1", requests.cpu: 500m}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {type: LoadBalancer, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  template: {spec: {containers: [{name: web, image: nginx, resources: {requests: {cpu: 250m}}}]}}
"""
    body = plan(client, stream)
    (q,) = body["quotas"]
    assert q["namespace"] is None
    assert q["total"] == {
        "count/deployments.apps": "2",
        "services": "1",
        "services.loadbalancers": "1",
        "requests.cpu": "1500m",
    }
    assert q["exceeded"] == ["services.loadbalancers"]
    assert q["binding"] == "services.loadbalancers"  # 1 of 0: no percentage
    assert q["utilisation"]["services.loadbalancers"] is None
    web = by_name(body)["web"]
    assert web["namespace"] == "default"
    assert web["quota"] == {"morePods": 2, "limitedBy": {"quota": "objects", "resource": "requests.cpu"}}
    assert q["rejections"] == [  # the Service itself is refused, as the API server would refuse it
        {
            "item": None,
            "kind": "Service",
            "name": "web",
            "pods": 0,
            "message": "exceeded quota: objects, requested: services.loadbalancers=1, "
            "used: services.loadbalancers=0, limited: services.loadbalancers=0",
            "refused": "Service/web",
        }
    ]


SCOPED = """
apiVersion: v1
kind: ResourceQuota
metadata: {name: best-effort}
spec:
  hard: {pods: "1"}
  scopes: [BestEffort]
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: high}
spec:
  hard: {requests.cpu: "1"}
  scopeSelector:
    matchExpressions: [{scopeName: PriorityClass, operator: In, values: [high]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: besteffort}
spec:
  parallelism: 3
  template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: important}
spec:
  replicas: 3
  template:
    spec:
      priorityClassName: high
      containers: [{name: c, image: nginx, resources: {requests: {cpu: 400m}}}]
"""


def test_scopes_pick_the_pods_each_quota_counts(client: FlaskClient) -> None:
    body = plan(client, SCOPED)
    items = by_name(body)
    assert items["besteffort"]["admission"]["podsAdmitted"] == 1  # BestEffort pods: 1
    assert items["important"]["admission"]["podsAdmitted"] == 2  # 2 x 400m of 1 cpu
    quotas = {q["name"]: q for q in body["quotas"]}
    assert quotas["best-effort"]["requested"] == {"pods": "3"}
    assert quotas["high"]["requested"] == {"requests.cpu": "1200m"}
    assert quotas["high"]["scopes"] == [{"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]


def test_a_quota_on_limits_refuses_pods_without_limits(client: FlaskClient) -> None:
    stream = """
apiVersion: v1
kind: ResourceQuota
metadata: {name: limits}
spec: {hard: {limits.memory: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: [{name: app, image: nginx}]}
"""
    item = plan(client, stream)["items"][0]
    assert item["admission"]["rejections"][0]["message"] == "failed quota: limits: must specify limits.memory for: app"
    assert item["admission"]["podsAdmitted"] == 0


# tasks/administer-cluster/manage-resources/cpu-constraint-namespace
CPU_CONSTRAINTS = """
apiVersion: v1
kind: LimitRange
metadata: {name: cpu-min-max-demo-lr, namespace: constraints-cpu-example}
spec:
  limits:
  - max: {cpu: "800m"}
    min: {cpu: "200m"}
    type: Container
---
apiVersion: v1
kind: Pod
metadata: {name: constraints-cpu-demo, namespace: constraints-cpu-example}
spec:
  containers:
  - name: constraints-cpu-demo-ctr
    image: nginx
    resources:
      limits: {cpu: "800m"}
      requests: {cpu: "500m"}
---
apiVersion: v1
kind: Pod
metadata: {name: constraints-cpu-demo-2, namespace: constraints-cpu-example}
spec:
  containers:
  - name: constraints-cpu-demo-2-ctr
    image: nginx
    resources:
      limits: {cpu: "1.5"}
      requests: {cpu: "500m"}
---
apiVersion: v1
kind: Pod
metadata: {name: constraints-cpu-demo-3, namespace: constraints-cpu-example}
spec:
  containers:
  - name: constraints-cpu-demo-3-ctr
    image: nginx
    resources:
      limits: {cpu: "800m"}
      requests: {cpu: "100m"}
---
apiVersion: v1
kind: Pod
metadata: {name: constraints-cpu-demo-4, namespace: constraints-cpu-example}
spec:
  containers:
  - name: constraints-cpu-demo-4-ctr
    image: vish/stress
"""


def test_cpu_constraints_page(client: FlaskClient) -> None:
    body = plan(client, CPU_CONSTRAINTS)
    items = by_name(body)
    assert items["constraints-cpu-demo"]["admission"]["admitted"] is True
    assert items["constraints-cpu-demo-2"]["admission"]["rejections"] == [
        {
            "by": "LimitRanger",
            "objects": ["LimitRange/cpu-min-max-demo-lr"],
            "message": "maximum cpu usage per Container is 800m, but limit is 1500m",
            "violations": [
                {
                    "limitRange": "cpu-min-max-demo-lr",
                    "item": 0,
                    "type": "Container",
                    "resource": "cpu",
                    "container": "constraints-cpu-demo-2-ctr",
                    "message": "maximum cpu usage per Container is 800m, but limit is 1500m",
                }
            ],
        }
    ]
    assert items["constraints-cpu-demo-3"]["admission"]["rejections"][0]["message"] == (
        "minimum cpu usage per Container is 200m, but request is 100m"
    )
    # no cpu given: the LimitRange's max becomes the default limit and request
    fourth = items["constraints-cpu-demo-4"]
    assert fourth["pod"]["requests"] == {"cpu": "800m"}
    assert fourth["pod"]["limits"] == {"cpu": "800m"}
    assert fourth["limitRangeDefaults"]["annotation"] == (
        "LimitRanger plugin set: cpu request for container constraints-cpu-demo-4-ctr; "
        "cpu limit for container constraints-cpu-demo-4-ctr"
    )
    assert body["limitRanges"][0]["limits"][0]["defaultRequest"] == {"cpu": "800m"}


def test_a_default_limit_below_the_request_is_refused_as_invalid(client: FlaskClient) -> None:
    """concepts/policy/limit-range: example-conflict-with-limitrange-cpu."""
    stream = """
apiVersion: v1
kind: LimitRange
metadata: {name: cpu-resource-constraint}
spec:
  limits:
  - default: {cpu: 500m}
    defaultRequest: {cpu: 500m}
    max: {cpu: "1"}
    min: {cpu: 100m}
    type: Container
---
apiVersion: v1
kind: Pod
metadata: {name: example-conflict-with-limitrange-cpu}
spec:
  containers:
  - name: demo
    image: registry.k8s.io/pause:3.8
    resources:
      requests: {cpu: 700m}
"""
    item = plan(client, stream)["items"][0]
    assert item["pod"] is None
    assert item["admission"]["rejections"] == [
        {
            "by": "validation",
            "objects": ["LimitRange/cpu-resource-constraint"],
            "message": 'Pod "example-conflict-with-limitrange-cpu" is invalid: '
            'spec.containers[0].resources.requests: Invalid value: "700m": '
            "must be less than or equal to cpu limit of 500m",
            "violations": [],
        }
    ]


@pytest.mark.parametrize(
    ("stream", "pointer", "detail"),
    [
        pytest.param(
            "kind: LimitRange\nmetadata: {name: bad}\n"
            "spec: {limits: [{type: Container, min: {cpu: '1'}, max: {cpu: 500m}}]}",
            "/spec/limits/0/min/cpu",
            'Invalid value: "1": min value 1 is greater than max value 500m',
            id="LimitRange min over max",
        ),
        pytest.param(
            "kind: ResourceQuota\nmetadata: {name: q}\nspec: {hard: {pods: '1'}, scopes: [Forever]}",
            "/spec/scopes/0",
            'Unsupported value: "Forever": supported values: "Terminating", "NotTerminating", "BestEffort", '
            '"NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity", "VolumeAttributesClass"',
            id="unknown quota scope",
        ),
        pytest.param(
            "kind: NodeShape\nmetadata: {name: n}\n"
            "spec: {capacity: {cpu: 4, memory: 16 GiB}, reservation: {model: gcp}}",
            "/spec/reservation/model",
            'Unsupported value: \'gcp\': supported values: "explicit", "gke", "eks", "aks", "aks-legacy"',
            id="unknown reservation model",
        ),
        pytest.param(
            "kind: NodeShape\nmetadata: {name: n}\nspec: {capacity: {cpu: 4, memory: 16 cores}}",
            "/spec/capacity/memory",
            None,
            id="capacity in the wrong unit",
        ),
    ],
)
def test_bad_cluster_objects_are_422_naming_object_and_field(
    client: FlaskClient, stream: str, pointer: str, detail: str | None
) -> None:
    body = plan(client, stream, status=422)
    (error,) = [e for e in body["errors"] if e["pointer"] == pointer]
    assert error["document"] == 0
    assert error["kind"] in ("LimitRange", "ResourceQuota", "NodeShape")
    if detail is not None:
        assert error["detail"] == detail


SHAPE_STREAM = """
apiVersion: podcalc.io/v1alpha1
kind: NodeShape
metadata: {name: m5.large}
spec:
  capacity: {cpu: 2 cores, memory: 8 GiB}
  maxPods: 29
  reservation: {model: eks}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  template: {spec: {containers: [{name: a, image: agent, resources: {requests: {cpu: 100m, memory: 200Mi}}}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 10
  template:
    spec:
      containers: [{name: api, image: api, resources: {requests: {cpu: 500m, memory: 1Gi}}}]
"""


def test_node_shape_pods_per_node_and_nodes_needed(client: FlaskClient) -> None:
    (shape,) = plan(client, SHAPE_STREAM)["nodeShapes"]
    # m5.large: 1930m and 7518Mi allocatable (EKS formula); the agent DaemonSet takes 100m and 200Mi
    assert shape["allocatable"] == {"cpu": "1930m", "memory": "7518Mi", "pods": "29"}
    assert shape["reservation"]["kubeReserved"] == {"cpu": "70m", "memory": "574Mi"}
    assert shape["daemonSetsPerNode"] == {"cpu": "100m", "memory": "200Mi", "pods": "1"}
    # 1830m left: 3 pods of 500m per node (memory would allow 7) -> 10 pods need 4 nodes
    assert shape["podsPerNode"] == [{"item": 1, "pods": 3, "limitedBy": "cpu"}]
    assert shape["nodesNeeded"] == 4
    assert [(n["count"], n["placed"], n["free"]["cpu"]) for n in shape["nodes"]] == [
        (3, [{"item": 1, "pods": 3}], "330m"),
        (1, [{"item": 1, "pods": 1}], "1330m"),
    ]


NODES_STREAM = """
apiVersion: v1
kind: Node
metadata: {name: node-a}
status:
  capacity: {cpu: "4", memory: 16Gi, pods: "110"}
  allocatable: {cpu: 3920m, memory: 14Gi, pods: "110"}
---
apiVersion: v1
kind: Node
metadata: {name: node-b}
status:
  allocatable: {cpu: "2", memory: 8Gi, pods: "110"}
---
apiVersion: v1
kind: Pod
metadata: {name: running, namespace: kube-system}
spec:
  nodeName: node-a
  containers: [{name: c, image: x, resources: {requests: {cpu: "3", memory: 1Gi}}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 5
  template: {spec: {containers: [{name: web, image: nginx, resources: {requests: {cpu: 500m, memory: 512Mi}}}]}}
"""


def test_existing_nodes_with_bound_pods(client: FlaskClient) -> None:
    nodes = plan(client, NODES_STREAM)["nodes"]
    node_a, node_b = nodes["nodes"]
    assert node_a["running"] == {"cpu": "3", "memory": "1Gi", "pods": "1"}
    assert node_a["free"] == {"cpu": "920m", "memory": "13Gi", "pods": "109"}
    assert node_a["podsPerNode"] == [
        {"item": 0, "pods": 0, "limitedBy": "cpu"},
        {"item": 1, "pods": 1, "limitedBy": "cpu"},
    ]
    assert node_b["podsPerNode"][1] == {"item": 1, "pods": 4, "limitedBy": "cpu"}
    # 5 pods of 500m: 1 on node-a, 4 on node-b
    assert nodes["unplaced"] == []
    assert nodes["fits"] is True
    assert [(g["name"], g["placed"]) for g in nodes["placement"]] == [
        ("node-a", [{"item": 1, "pods": 1}]),
        ("node-b", [{"item": 1, "pods": 4}]),
    ]


def test_scoring_requests_use_the_scheduler_defaults(client: FlaskClient) -> None:
    item = plan(client, QUOTA_POD)["items"][0]
    assert item["scoringRequests"] == {"cpu": "100m", "memory": "200Mi"}


def test_readme_worked_example(client: FlaskClient) -> None:
    """examples/plan.yaml, whose figures the README works out by hand."""
    body = plan(client, (ROOT / "examples" / "plan.yaml").read_text())
    web, report = body["items"]
    # web: 500m/1Gi + the log container's LimitRange defaults 250m/256Mi
    assert web["pod"]["requests"] == {"cpu": "750m", "memory": "1280Mi"}
    # quota requests.cpu 5: web 5 x 750m = 3750m, report's first pod -> 4750m, its second would be 5750m
    assert report["admission"]["podsAdmitted"] == 1
    assert report["admission"]["rejections"][0]["message"] == (
        "exceeded quota: shop-quota, requested: requests.cpu=1, used: requests.cpu=4750m, limited: requests.cpu=5"
    )
    (shape,) = body["nodeShapes"]
    # 4 cores - 100m - 100m; 16Gi - 1Gi - 500Mi - 100Mi (the kubelet's default eviction threshold)
    assert shape["allocatable"] == {"cpu": "3800m", "memory": "14760Mi", "pods": "110"}
    # report's pod first (largest share): 2800m left, 3 web pods fit there; the other 2 need a second node
    assert shape["nodesNeeded"] == 2
    assert [(n["placed"], n["free"]["cpu"]) for n in shape["nodes"]] == [
        ([{"item": 0, "pods": 3}, {"item": 1, "pods": 1}], "550m"),
        ([{"item": 0, "pods": 2}], "2300m"),
    ]


# tasks/administer-cluster/manage-resources/memory-constraint-namespace
MEMORY_CONSTRAINTS = """
apiVersion: v1
kind: LimitRange
metadata: {name: mem-min-max-demo-lr, namespace: constraints-mem-example}
spec:
  limits:
  - max: {memory: 1Gi}
    min: {memory: 500Mi}
    type: Container
---
apiVersion: v1
kind: Pod
metadata: {name: constraints-mem-demo-2, namespace: constraints-mem-example}
spec:
  containers:
  - name: constraints-mem-demo-2-ctr
    image: nginx
    resources:
      limits: {memory: "1.5Gi"}
      requests: {memory: "800Mi"}
---
apiVersion: v1
kind: Pod
metadata: {name: constraints-mem-demo-3, namespace: constraints-mem-example}
spec:
  containers:
  - name: constraints-mem-demo-3-ctr
    image: nginx
    resources:
      limits: {memory: "800Mi"}
      requests: {memory: "100Mi"}
"""


def test_memory_constraints_page(client: FlaskClient) -> None:
    items = by_name(plan(client, MEMORY_CONSTRAINTS))
    assert items["constraints-mem-demo-2"]["admission"]["rejections"][0]["message"] == (
        "maximum memory usage per Container is 1Gi, but limit is 1536Mi"
    )
    assert items["constraints-mem-demo-3"]["admission"]["rejections"][0]["message"] == (
        "minimum memory usage per Container is 500Mi, but request is 100Mi"
    )


# concepts/policy/resource-quotas: "Resource Quota Per PriorityClass"
PRIORITY_QUOTAS = """
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ResourceQuota
  metadata: {name: pods-high}
  spec:
    hard: {cpu: "1000", memory: "200Gi", pods: "10"}
    scopeSelector:
      matchExpressions:
      - {operator: In, scopeName: PriorityClass, values: ["high"]}
- apiVersion: v1
  kind: ResourceQuota
  metadata: {name: pods-medium}
  spec:
    hard: {cpu: "10", memory: "20Gi", pods: "10"}
    scopeSelector:
      matchExpressions:
      - {operator: In, scopeName: PriorityClass, values: ["medium"]}
- apiVersion: v1
  kind: ResourceQuota
  metadata: {name: pods-low}
  spec:
    hard: {cpu: "5", memory: "10Gi", pods: "10"}
    scopeSelector:
      matchExpressions:
      - {operator: In, scopeName: PriorityClass, values: ["low"]}
---
apiVersion: v1
kind: Pod
metadata: {name: high-priority}
spec:
  containers:
  - name: high-priority
    image: ubuntu
    command: ["/bin/sh"]
    args: ["-c", "while true; do echo hello; sleep 10;done"]
    resources:
      requests: {memory: "10Gi", cpu: "500m"}
      limits: {memory: "10Gi", cpu: "500m"}
  priorityClassName: high
"""


def test_quota_per_priority_class_page(client: FlaskClient) -> None:
    """The page's `kubectl describe quota` after the pod: pods-high uses cpu 500m, memory 10Gi, pods 1."""
    quotas = {q["name"]: q for q in plan(client, PRIORITY_QUOTAS)["quotas"]}
    assert quotas["pods-high"]["total"] == {"cpu": "500m", "memory": "10Gi", "pods": "1"}
    assert quotas["pods-medium"]["total"] == {}
    assert quotas["pods-low"]["total"] == {}


@pytest.mark.parametrize(
    ("reservation", "pointer"),
    [
        (
            "{model: explicit, evictionHard: {memory.available: '1e4400%'}}",
            "/spec/reservation/evictionHard/memory.available",
        ),
        (
            "{model: explicit, evictionHard: {memory.available: '150%'}}",
            "/spec/reservation/evictionHard/memory.available",
        ),
        (
            "{model: explicit, evictionHard: {memory.available: '-50%'}}",
            "/spec/reservation/evictionHard/memory.available",
        ),
        ("{model: explicit, kubeReserved: {cpu: '-2'}}", "/spec/reservation/kubeReserved/cpu"),
    ],
)
def test_reservations_must_be_bounded_and_non_negative(client: FlaskClient, reservation: str, pointer: str) -> None:
    """Found in review: a huge percentage was a 500 (and a hang), a negative one grew the node."""
    stream = (
        "kind: NodeShape\nmetadata: {name: s}\n"
        f"spec: {{capacity: {{cpu: '4', memory: 16Gi}}, reservation: {reservation}}}"
    )
    body = plan(client, stream, status=422)
    assert [e["pointer"] for e in body["errors"]] == [pointer]


def test_capacity_pods_must_be_a_whole_number(client: FlaskClient) -> None:
    for pods in ("-3", "1.5"):
        stream = f"kind: NodeShape\nmetadata: {{name: s}}\nspec: {{capacity: {{cpu: '4', pods: '{pods}'}}}}"
        body = plan(client, stream, status=422)
        assert [e["pointer"] for e in body["errors"]] == ["/spec/capacity/pods"]


def test_cluster_objects_are_bounded(client: FlaskClient) -> None:
    shapes = "\n---\n".join(
        f"kind: NodeShape\nmetadata: {{name: s{i}}}\nspec: {{capacity: {{cpu: '4'}}}}" for i in range(11)
    )
    response = client.post("/v1/plan", data=shapes, content_type="application/yaml")
    assert response.status_code == 413
    assert (
        response.get_json()["detail"]
        == "11 NodeShape objects in the request: the limit is 10 (PODCALC_MAX_NODE_SHAPES)"
    )


def test_exceeded_quota_names_only_what_the_pod_uses(client: FlaskClient) -> None:
    """Upstream masks the message to the request's resources: services=3 over 1 is not the pod's doing."""
    stream = """
kind: ResourceQuota
metadata: {name: q}
spec: {hard: {requests.cpu: "2", services: "1", pods: "10"}}
status: {used: {requests.cpu: 500m, services: "3"}}
---
kind: Deployment
metadata: {name: d}
spec:
  replicas: 3
  template: {spec: {containers: [{name: c, resources: {requests: {cpu: "1"}}}]}}
"""
    item = plan(client, stream)["items"][0]
    assert item["admission"]["rejections"][0]["message"] == (
        "exceeded quota: q, requested: requests.cpu=1, used: requests.cpu=1500m, limited: requests.cpu=2"
    )
