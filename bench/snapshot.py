"""A live cluster's snapshot through ``podcalc plan --cluster``, beside its parser.

    make bench            (runs this after bench/run.py's sections)

A generated snapshot of 20,000 pods, written as ``kubectl get ... -A -o json`` prints one
(Nodes, Deployments, their ReplicaSets, Pods with ownerReferences, managedFields, status as a
1.33+ kubelet reports it, with each container's allocated and applied resources,
a quota per namespace), and the same objects as YAML. Targets (issue 20): the JSON planned
in at most 6x the time ``json.load`` takes on the file, under 1 GB of memory; the YAML
within 1.5x of PyYAML's C loader on the same bytes. The command runs as a user runs it
(process start included), and each figure is the best of three, taken in turn with its
baseline.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

from bench.report import Row, best, record
from bench.servers import BIN

PODS = 20_000
NODES = 200
JSON_RATIO, YAML_RATIO, MEMORY_MB = 6, 1.5, 1024


def _pod(name: str, namespace: str, owner: str, node: str, cpu: str) -> dict[str, Any]:
    """A running pod as kubectl prints it, trimmed to about 1.2 KB indented, so that 20,000
    of them make the issue's 25 MB."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app": owner, "pod-template-hash": "7d9f8c6b5"},
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{owner}-7d9f8c6b5", "controller": True}
            ],
        },
        "spec": {
            "nodeName": node,
            "containers": [
                {
                    "name": "app",
                    "image": "registry.example/app:1.2.3",
                    "resources": {"requests": {"cpu": cpu, "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
                }
            ],
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                }
            ],
        },
        "status": {  # what a 1.33+ kubelet reports of a container's resources: allocated and applied
            "phase": "Running",
            "qosClass": "Burstable",
            "containerStatuses": [
                {
                    "name": "app",
                    "ready": True,
                    "restartCount": 0,
                    "allocatedResources": {"cpu": cpu, "memory": "256Mi"},
                    "resources": {"requests": {"cpu": cpu, "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
                }
            ],
        },
    }


def snapshot(pods: int = PODS, nodes: int = NODES) -> dict[str, Any]:
    """A ``kind: List`` as kubectl prints it: Nodes, then per Deployment its ReplicaSet and pods."""
    items: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": f"node-{i}", "labels": {"kubernetes.io/hostname": f"node-{i}"}},
            "spec": {},
            "status": {"allocatable": {"cpu": "32", "memory": "128Gi", "pods": "250"}},
        }
        for i in range(nodes)
    ]
    per_deployment = 20
    for d in range(pods // per_deployment):
        name, namespace, cpu = f"web-{d}", f"team-{d % 50}", f"{100 + d % 50}m"
        template = {
            "spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": cpu, "memory": "256Mi"}}}]}
        }
        items.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"replicas": per_deployment, "template": template},
            }
        )
        items.append(
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": f"{name}-7d9f8c6b5",
                    "namespace": namespace,
                    "ownerReferences": [
                        {"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "controller": True}
                    ],
                },
                "spec": {"replicas": per_deployment, "template": template},
            }
        )
        for p in range(per_deployment):
            node = f"node-{(d * per_deployment + p) % nodes}"
            items.append(_pod(f"{name}-7d9f8c6b5-{p}", namespace, name, node, cpu))
    return {"apiVersion": "v1", "kind": "List", "items": items}


def _run_with_peak(command: list[str]) -> tuple[bytes, float]:
    """A command's output, and its own peak resident memory in MB (``wait4``'s, not the peak
    of every child this process has waited for)."""
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, stdout=out)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise subprocess.CalledProcessError(process.returncode, command)
        out.seek(0)
        return out.read(), usage.ru_maxrss / 1024


def bench_snapshot() -> None:
    """The snapshot's rows, recorded in ``bench.report``'s table."""
    print("Snapshot", flush=True)
    value = snapshot()
    with tempfile.TemporaryDirectory() as tmp:
        as_json, as_yaml = Path(tmp) / "cluster.json", Path(tmp) / "cluster.yaml"
        as_json.write_text(json.dumps(value, indent=4))  # kubectl -o json indents by four
        as_yaml.write_text(yaml.safe_dump(value, sort_keys=False))
        del value
        command = [str(BIN / "podcalc"), "plan", "-o", "json", "--cluster"]
        stdout, memory = _run_with_peak([*command, str(as_json)])
        if json.loads(stdout)["cluster"]["snapshot"]["pods"] != PODS:
            raise RuntimeError(f"the snapshot's {PODS:,} pods were not all counted")
        data = as_yaml.read_bytes()
        times = best(
            {
                "json.load": lambda: json.loads(as_json.read_bytes()),
                "json": lambda: subprocess.run([*command, str(as_json)], capture_output=True, check=True),
                "yaml.load": lambda: yaml.load(data, Loader=yaml.CSafeLoader),
                "yaml": lambda: subprocess.run([*command, str(as_yaml)], capture_output=True, check=True),
            },
            3,
        )
        mb = as_json.stat().st_size / 2**20
    record(
        Row(
            f"a {PODS:,}-pod snapshot ({mb:.0f} MiB of JSON), podcalc plan --cluster (process start included)",
            f"{times['json']:.2f} s",
            f"{times['json.load']:.2f} s (json.load)",
            f"{times['json'] / times['json.load']:.1f}x",
            f"<= {JSON_RATIO}x",
            times["json"] / times["json.load"] <= JSON_RATIO,
        )
    )
    record(Row("its peak memory", f"{memory:.0f} MB", "", "", f"< {MEMORY_MB} MB", memory < MEMORY_MB))
    record(
        Row(
            "the same snapshot as YAML",
            f"{times['yaml']:.2f} s",
            f"{times['yaml.load']:.2f} s (yaml C loader)",
            f"{times['yaml'] / times['yaml.load']:.2f}x",
            f"<= {YAML_RATIO}x",
            times["yaml"] / times["yaml.load"] <= YAML_RATIO,
        )
    )
