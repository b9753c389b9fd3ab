"""Issue #19 (never a silent wrong answer), item 7, through the command's tables: a total that
is unknown is not printed as zero, the notes say ``--nodes N``, and the plan's table says what
it did not count; item 5 and the rounding of utilisation, as a person reads them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from podcalc.cli import main


def run(tmp_path: Path, text: str, *args: str) -> str:
    path = tmp_path / "stream.yaml"
    path.write_text(text)
    out = io.StringIO()
    assert main([*args, str(path)], stdout=out) == 0
    return out.getvalue()


def daemon_set(name: str, resources: str, namespace: str = "kube-system") -> str:
    return (
        f"apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: {name}, namespace: {namespace}}}\n"
        f"spec: {{template: {{spec: {{containers: [{{name: c, resources: {resources}}}]}}}}}}\n"
    )


def deployment(name: str, replicas: int, resources: str, namespace: str = "shop") -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {namespace}}}\n"
        f"spec: {{replicas: {replicas}, template: {{spec: {{containers: [{{name: c, resources: {resources}}}]}}}}}}\n"
    )


UNKNOWN = "unknown: a DaemonSet's pods are not counted without a node count (--nodes N)"


@pytest.mark.parametrize(
    ("resources", "unbounded"),
    [
        ("{requests: {cpu: 100m, memory: 200Mi}}", "cpu, memory, ephemeral-storage"),
        ("{limits: {cpu: 250m, memory: 64Mi}}", "ephemeral-storage"),
        ("{limits: {cpu: 1, memory: 1Gi, ephemeral-storage: 1Gi}}", "none"),
    ],
)
def test_a_daemon_set_alone_without_nodes_has_an_unknown_total(tmp_path: Path, resources: str, unbounded: str) -> None:
    out = run(tmp_path, daemon_set("agent", resources), "effective")
    lines = out.splitlines()
    assert f"total: {UNKNOWN}; unbounded limits: {unbounded}" in lines
    assert not any(line.startswith("total: 0 pods") for line in lines)
    assert not any("counted:" in line for line in lines)  # nothing is counted: no figures at all
    assert "note: DaemonSet agent runs one pod per node: give a node count (--nodes N) to count it" in lines
    assert "nodes=N" not in out


def test_with_other_workloads_the_total_is_unknown_and_what_is_counted_is_said(tmp_path: Path) -> None:
    text = "---\n".join(
        [
            deployment("web", 3, "{requests: {cpu: 200m, memory: 100Mi}, limits: {cpu: 200m, memory: 100Mi}}"),
            daemon_set("agent", "{requests: {cpu: 100m}}"),
        ]
    )
    lines = run(tmp_path, text, "effective", "--unit", "cpu=cores").splitlines()
    assert f"total: {UNKNOWN}; unbounded limits: cpu, memory, ephemeral-storage" in lines
    # --unit cpu=cores applies to every figure of the table
    assert "  counted: 3 pods; requests cpu=0.6cores memory=300Mi; limits cpu=0.6cores memory=300Mi" in lines
    assert (
        "namespace shop: 3 pods; requests cpu=0.6cores memory=300Mi; limits cpu=0.6cores memory=300Mi; "
        "unbounded limits: ephemeral-storage"
    ) in lines
    assert f"namespace kube-system: {UNKNOWN}; unbounded limits: cpu, memory, ephemeral-storage" in lines
    assert "in units, of what is counted: cpu requests 0.6 / limits 0.6 cores" in lines
    assert not any(line.startswith("total: 3 pods") for line in lines)


def test_the_json_keeps_the_apis_words(tmp_path: Path) -> None:
    body = json.loads(run(tmp_path, daemon_set("agent", "{requests: {cpu: 100m}}"), "effective", "-o", "json"))
    assert (body["total"]["pods"], body["total"]["complete"]) == (0, False)
    assert body["total"]["notes"] == ["DaemonSet agent runs one pod per node: give a node count (nodes=N) to count it"]


def test_with_a_node_count_the_total_is_the_answer(tmp_path: Path) -> None:
    lines = run(tmp_path, daemon_set("agent", "{requests: {cpu: 100m}}"), "effective", "--nodes", "4").splitlines()
    assert "total: 4 pods; requests cpu=400m; limits -; unbounded limits: cpu, memory, ephemeral-storage" in lines
    assert not any("unknown" in line or line.startswith("note:") for line in lines)


def test_the_plan_table_says_a_daemon_set_is_not_counted(tmp_path: Path) -> None:
    out = run(tmp_path, daemon_set("agent", "{requests: {cpu: 100m}}"), "plan")
    lines = out.splitlines()
    assert lines[1].split() == ["DaemonSet/agent", "kube-system", "1/node", "-", "Burstable", "cpu=100m", "-"]
    assert (
        "note: DaemonSet/agent runs one pod per node: give a node count (--nodes N), or the cluster's Nodes, "
        "to count its pods; until then no quota counts them"
    ) in lines
    assert "nodes=N" not in out


def test_the_plan_table_lists_skipped_objects(tmp_path: Path) -> None:
    text = "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata: {name: k8s}\nspec: {replicas: 2}\n"
    lines = run(tmp_path, text, "plan").splitlines()
    assert (
        f"skipped: Prometheus/k8s ({tmp_path / 'stream.yaml'}#0): a Prometheus (monitoring.coreos.com/v1) "
        "is a kind podcalc does not compute, whose operator may run pods: they are not counted here"
    ) in lines


def test_the_plan_table_shows_a_partly_admitted_daemon_set_on_every_node(tmp_path: Path) -> None:
    text = "---\n".join(
        [
            "kind: NodeShape\nmetadata: {name: s}\nspec: {capacity: {cpu: 2, memory: 8Gi}}\n",
            "kind: ResourceQuota\nmetadata: {name: q, namespace: kube-system}\nspec: {hard: {requests.cpu: 406m}}\n",
            daemon_set("agent", "{requests: {cpu: 100m, memory: 200Mi}}"),
        ]
    )
    lines = run(tmp_path, text, "plan", "--nodes", "5").splitlines()
    assert lines[1].split()[:4] == ["DaemonSet/agent", "kube-system", "5", "4"]
    assert "  DaemonSets on every node: cpu=100m memory=200Mi pods=1" in lines
    # 500m of 406m: 123.152...%, half to even
    assert [line.split() for line in lines if line.startswith("  requests.cpu")] == [
        ["requests.cpu", "406m", "0", "500m", "-94m", "123.15%"]
    ]
