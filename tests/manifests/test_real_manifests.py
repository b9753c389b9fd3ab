"""Real-world manifests written by others: the Kubernetes documentation's examples.

The files in tests/data/ are copied byte for byte from kubernetes/website (see its README);
each row gives, per workload, what the documentation says or what the rules give by hand.
Every file goes through the HTTP API as YAML and through the CLI as a file.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.cli.test_cli import PODCALC

DATA = Path(__file__).resolve().parents[1] / "data"
NONE: dict[str, str] = {}

# file: [(kind, name, namespace, pods, qosClass, per-pod requests, per-pod limits)], skipped kinds
CASES: dict[str, tuple[list[tuple[Any, ...]], list[str]]] = {
    "nginx-deployment.yaml": ([("Deployment", "nginx-deployment", None, 3, "BestEffort", NONE, NONE)], []),
    "daemonset.yaml": (
        [
            (
                "DaemonSet",
                "fluentd-elasticsearch",
                "kube-system",
                None,
                "Burstable",
                {"cpu": "100m", "memory": "200Mi"},
                {"memory": "200Mi"},
            )
        ],
        [],
    ),
    "job.yaml": ([("Job", "pi", None, 1, "BestEffort", NONE, NONE)], []),
    "cronjob.yaml": ([("CronJob", "hello", None, 1, "BestEffort", NONE, NONE)], []),
    "frontend-replicaset.yaml": ([("ReplicaSet", "frontend", None, 3, "BestEffort", NONE, NONE)], []),
    "replication.yaml": ([("ReplicationController", "nginx", None, 3, "BestEffort", NONE, NONE)], []),
    "replication-nginx-1.14.2.yaml": ([("ReplicationController", "my-nginx", None, 5, "BestEffort", NONE, NONE)], []),
    "web-statefulset.yaml": ([("StatefulSet", "web", None, 2, "BestEffort", NONE, NONE)], ["Service"]),
    "memory-request-limit.yaml": (
        [("Pod", "memory-demo", "mem-example", 1, "Burstable", {"memory": "100Mi"}, {"memory": "200Mi"})],
        [],
    ),
    "cpu-request-limit.yaml": (
        [("Pod", "cpu-demo", "cpu-example", 1, "Burstable", {"cpu": "500m"}, {"cpu": "1"})],
        [],
    ),
    # the QoS task page: Guaranteed, Burstable, BestEffort, Burstable (two containers), Guaranteed
    "qos-pod.yaml": (
        [
            (
                "Pod",
                "qos-demo",
                "qos-example",
                1,
                "Guaranteed",
                {"cpu": "700m", "memory": "200Mi"},
                {"cpu": "700m", "memory": "200Mi"},
            )
        ],
        [],
    ),
    "qos-pod-2.yaml": (
        [("Pod", "qos-demo-2", "qos-example", 1, "Burstable", {"memory": "100Mi"}, {"memory": "200Mi"})],
        [],
    ),
    "qos-pod-3.yaml": ([("Pod", "qos-demo-3", "qos-example", 1, "BestEffort", NONE, NONE)], []),
    "qos-pod-4.yaml": ([("Pod", "qos-demo-4", "qos-example", 1, "Burstable", {"memory": "200Mi"}, NONE)], []),
    "qos-pod-5.yaml": (
        [
            (
                "Pod",
                "qos-demo-5",
                "qos-example",
                1,
                "Guaranteed",
                {"cpu": "700m", "memory": "200Mi"},
                {"cpu": "700m", "memory": "200Mi"},
            )
        ],
        [],
    ),
    # pod-level resources (KEP-2837) take precedence over the containers'
    "pod-level-resources.yaml": (
        [
            (
                "Pod",
                "pod-resources-demo",
                "pod-resources-example",
                1,
                "Burstable",
                {"cpu": "1", "memory": "100Mi"},
                {"cpu": "1", "memory": "200Mi"},
            )
        ],
        [],
    ),
    "pod-level-memory-request-limit.yaml": (
        [("Pod", "memory-demo", "pod-resources-example", 1, "Burstable", {"memory": "100Mi"}, {"memory": "200Mi"})],
        [],
    ),
    "pod-level-cpu-request-limit.yaml": (
        [("Pod", "cpu-demo", "pod-resources-example", 1, "Burstable", {"cpu": "500m"}, {"cpu": "1"})],
        [],
    ),
    "pod-level-resize.yaml": (
        [
            (
                "Pod",
                "pod-level-resize-demo",
                None,
                1,
                "Guaranteed",
                {"cpu": "200m", "memory": "200Mi"},
                {"cpu": "200m", "memory": "200Mi"},
            )
        ],
        [],
    ),
    "pod-level-resource-managers-pod-scope-mixed.yaml": (
        [
            (
                "Pod",
                "pod-scope-mixed",
                None,
                1,
                "Guaranteed",
                {"cpu": "4", "memory": "4Gi"},
                {"cpu": "4", "memory": "4Gi"},
            )
        ],
        [],
    ),
    "deployment-sidecar.yaml": ([("Deployment", "myapp", None, 1, "BestEffort", NONE, NONE)], []),
    # the sidecar reference's own examples (shared/reference/sidecar-containers.md)
    "sidecar-doc-deployment.yaml": ([("Deployment", "myapp", None, 2, "BestEffort", NONE, NONE)], []),
    "sidecar-doc-job.yaml": ([("Job", "myjob", None, 1, "BestEffort", NONE, NONE)], []),
    "job-sidecar.yaml": ([("Job", "myjob", None, 1, "BestEffort", NONE, NONE)], []),
    # the multi-container page: init "setup" 200m/64Mi, sidecar 50m/64Mi, app 300m/128Mi
    "multi-container-resources.yaml": (
        [
            (
                "Pod",
                "resources-example",
                None,
                1,
                "Burstable",
                {"cpu": "350m", "memory": "192Mi"},
                {"memory": "192Mi"},
            )
        ],
        [],
    ),
    "nginx-app.yaml": ([("Deployment", "my-nginx", None, 3, "BestEffort", NONE, NONE)], ["Service"]),
    "wordpress-deployment.yaml": (
        [("Deployment", "wordpress", None, 1, "BestEffort", NONE, NONE)],
        ["Service", "PersistentVolumeClaim"],
    ),
    "pod-overhead-test-pod.yaml": (
        # without its RuntimeClass in the stream, no overhead: 500m + 1500m, 100Mi + 100Mi
        [
            (
                "Pod",
                "test-pod",
                None,
                1,
                "Guaranteed",
                {"cpu": "2", "memory": "200Mi"},
                {"cpu": "2", "memory": "200Mi"},
            )
        ],
        [],
    ),
}


def summary(body: dict[str, Any]) -> tuple[list[tuple[Any, ...]], list[str]]:
    items = [
        (
            i["kind"],
            i["name"],
            i["namespace"],
            i["pods"],
            i["pod"]["qosClass"],
            i["pod"]["requests"],
            i["pod"]["limits"],
        )
        for i in body["items"]
    ]
    return items, [s["kind"] for s in body["skipped"]]


def test_every_data_file_has_a_case() -> None:
    assert sorted(p.name for p in DATA.glob("*.yaml") if p.name != "pod-overhead-runtimeclass.yaml") == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_documentation_example_through_the_api(client: FlaskClient, name: str) -> None:
    response = client.post("/v1/effective-resources", data=(DATA / name).read_bytes(), content_type="application/yaml")
    assert response.status_code == 200, response.get_json()
    assert summary(response.get_json()) == CASES[name]


def test_pod_overhead_page_figures_with_the_runtimeclass(client: FlaskClient) -> None:
    # "the pod's requests ... are 2250m CPU and 320Mi of memory" (Pod Overhead concept page)
    stream = (
        (DATA / "pod-overhead-runtimeclass.yaml").read_text()
        + "---\n"
        + (DATA / "pod-overhead-test-pod.yaml").read_text()
    )
    body = client.post("/v1/effective-resources", data=stream, content_type="application/yaml").get_json()
    pod = body["items"][0]["pod"]
    assert pod["requests"] == {"cpu": "2250m", "memory": "320Mi"}
    assert pod["limits"] == {"cpu": "2250m", "memory": "320Mi"}
    assert pod["overhead"] == {"cpu": "250m", "memory": "120Mi"}
    assert body["skipped"][0]["kind"] == "RuntimeClass"


def test_a_pod_overhead_that_contradicts_its_runtimeclass_is_rejected(client: FlaskClient) -> None:
    pod = (
        (DATA / "pod-overhead-test-pod.yaml")
        .read_text()
        .replace("  runtimeClassName: kata-fc\n", "  runtimeClassName: kata-fc\n  overhead: {cpu: 100m}\n")
    )
    stream = (DATA / "pod-overhead-runtimeclass.yaml").read_text() + "---\n" + pod
    response = client.post("/v1/effective-resources", data=stream, content_type="application/yaml")
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {
            "document": 1,
            "kind": "Pod",
            "name": "test-pod",
            "pointer": "/spec/overhead",
            "detail": "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead",
            "line": 19,  # the RuntimeClass's 10 lines, the ---, then the pod's line 8
        }
    ]


def test_the_sidecar_examples_phases(client: FlaskClient) -> None:
    body = client.post(
        "/v1/effective-resources",
        data=(DATA / "multi-container-resources.yaml").read_bytes(),
        content_type="application/yaml",
    ).get_json()
    pod = body["items"][0]["pod"]
    assert [(p["id"], p["running"], p["requests"]) for p in pod["phases"]] == [
        ("init:setup", ["setup"], {"cpu": "200m", "memory": "64Mi"}),
        ("sidecar:log-shipper", ["log-shipper"], {"cpu": "50m", "memory": "64Mi"}),
        ("running", ["app", "log-shipper"], {"cpu": "350m", "memory": "192Mi"}),
    ]
    assert pod["unboundedLimits"] == ["cpu", "ephemeral-storage"]


def test_all_examples_at_once_through_the_cli() -> None:
    files = sorted(str(p) for p in DATA.glob("*.yaml"))
    result = subprocess.run(
        [PODCALC, "effective", "-o", "json", "--nodes", "4", *files],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert len(body["items"]) == 28
    total = body["total"]
    assert total["complete"] is True
    # controllers 3+4(DaemonSet on 4 nodes)+1+1+3+3+5+2, twelve single pods, the two sidecar
    # examples, the multi-container pod, nginx-app's 3, wordpress' 1, the overhead test pod
    # and the sidecar reference's 2 + 1
    assert total["pods"] == 45
    # 400m + 500m + 700m + 700m + 1 + 500m + 200m + 4 + 350m + 2250m (the RuntimeClass applies)
    assert total["requests"]["cpu"] == "10600m"
    # 800Mi + 100 + 200 + 100 + 200 + 200 + 100 + 100 + 200 + 4096 + 192 + 320
    assert total["requests"]["memory"] == "6608Mi"
