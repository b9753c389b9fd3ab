"""What the benchmarks send: a typical pod, and streams of Deployments and Pods whose figures
are each their own (so that no parse cache flatters a run)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from calc.pod import Container, ContainerType, PodSpec
from calc.quantity import parse_quantity


def _resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, dict[str, str]]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu_limit, "memory": memory_limit}}


# A web pod: a migration init container, a proxy sidecar and the app, each with requests
# and limits.
TYPICAL_POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web"},
    "spec": {
        "initContainers": [
            {"name": "migrate", "resources": _resources("500m", "256Mi", "1", "256Mi")},
            {"name": "proxy", "restartPolicy": "Always", "resources": _resources("100m", "64Mi", "200m", "128Mi")},
        ],
        "containers": [{"name": "app", "resources": _resources("250m", "512Mi", "1", "1Gi")}],
    },
}


def numbered_pod(i: int) -> dict[str, Any]:
    """TYPICAL_POD with quantity strings of its own: each cpu and memory figure moved by
    ``i``, so that a stream of them defeats the parse caches."""
    pod: dict[str, Any] = json.loads(json.dumps(TYPICAL_POD))
    for j, c in enumerate(pod["spec"]["initContainers"] + pod["spec"]["containers"]):
        c["resources"]["requests"] = {"cpu": f"{100 + i * 3 + j}m", "memory": f"{64 + i * 3 + j}Mi"}
        c["resources"]["limits"] = {"cpu": f"{5000 + i * 3 + j}m", "memory": f"{20000 + i * 3 + j}Mi"}
    return pod


def pod_spec(manifest: Mapping[str, Any]) -> PodSpec:
    """The ``calc.pod.PodSpec`` of a pod manifest whose containers have only names,
    ``restartPolicy`` and resources (as TYPICAL_POD): the input of ``evaluate_pod``."""

    def container(c: Mapping[str, Any], index: int, init: bool) -> Container:
        kind = ContainerType.CONTAINER
        if init:
            kind = ContainerType.SIDECAR if c.get("restartPolicy") == "Always" else ContainerType.INIT
        resources = c.get("resources", {})
        requests = {k: parse_quantity(v) for k, v in resources.get("requests", {}).items()}
        limits = {k: parse_quantity(v) for k, v in resources.get("limits", {}).items()}
        return Container(c["name"], kind, index, requests, limits)

    spec = manifest["spec"]
    return PodSpec(
        containers=tuple(container(c, i, False) for i, c in enumerate(spec.get("containers", []))),
        init_containers=tuple(container(c, i, True) for i, c in enumerate(spec.get("initContainers", []))),
    )


def deployments(count: int) -> str:
    """A YAML stream of ``count`` Deployments, each with its own figures (no cache flatters us)."""
    docs = []
    for i in range(count):
        cpu, mem = 100 + i % 900, 64 + i % 2000
        docs.append(
            f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: web-{i}, namespace: team-{i % 17}}}
spec:
  replicas: {1 + i % 5}
  template:
    spec:
      initContainers:
      - name: migrate
        image: registry.example/migrate:{i}
        resources: {{requests: {{cpu: {cpu}m, memory: {mem}Mi}}, limits: {{cpu: "1", memory: {mem}Mi}}}}
      - name: proxy
        image: registry.example/proxy:1.{i % 7}
        restartPolicy: Always
        resources: {{requests: {{cpu: {cpu // 4}m, memory: 64Mi}}, limits: {{cpu: 250m, memory: 128Mi}}}}
      containers:
      - name: app
        image: registry.example/app:{i}
        ports: [{{containerPort: 8080}}]
        env: [{{name: MODE, value: production}}, {{name: SHARD, value: "{i}"}}]
        resources:
          requests: {{cpu: {cpu}m, memory: {mem * 2}Mi}}
          limits: {{cpu: "{1 + i % 3}", memory: {mem * 4}Mi}}
"""
        )
    return "---\n".join(docs)


def pods(count: int) -> str:
    """A YAML stream of ``count`` one-container Pods."""
    return "---\n".join(
        f"kind: Pod\nmetadata: {{name: p-{i}}}\nspec:\n  containers:\n  - name: c\n"
        f"    resources: {{requests: {{cpu: {1 + i % 999}m, memory: {1 + i % 999}Mi}}}}\n"
        for i in range(count)
    )


def cut_stream(stream: bytes, size: int) -> bytes:
    """The whole documents of a YAML stream that fit in ``size`` bytes."""
    head = stream[:size]
    return head if len(stream) <= size else head[: head.rfind(b"---\n")]
