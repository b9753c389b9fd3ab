"""The CLI computes with unit expressions and prints a warning line under each table."""

from __future__ import annotations

import io
import json
from pathlib import Path

from podcalc.cli import main

STREAM = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - {name: app, resources: {requests: {cpu: 500m, memory: 1.5 GiB}}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: team, namespace: shop}
spec: {hard: {requests.memory: 4 GiB}}
"""
LINE = "warning: {path} document {doc} {what} {pointer}: {value!r} is not a Kubernetes quantity: "
REJECTED = "the API server would reject this manifest; write "


def _run(tmp_path: Path, *args: str) -> str:
    path = tmp_path / "stream.yaml"
    path.write_text(STREAM)
    out = io.StringIO()
    assert main([*args, str(path)], stdout=out) == 0
    return out.getvalue()


def test_effective_warns_under_the_table(tmp_path: Path) -> None:
    lines = _run(tmp_path, "effective").splitlines()
    assert "memory=1.5Gi" in lines[1]  # 1536Mi, as a person reads it
    pod = LINE.format(
        path=tmp_path / "stream.yaml",
        doc=0,
        what="Pod/web",
        pointer="/spec/containers/0/resources/requests/memory",
        value="1.5 GiB",
    )
    quota = LINE.format(
        path=tmp_path / "stream.yaml",
        doc=1,
        what="ResourceQuota/team",
        pointer="/spec/hard/requests.memory",
        value="4 GiB",
    )
    assert lines[-2:] == [pod + REJECTED + "1536Mi", quota + REJECTED + "4Gi"]


def test_plan_warns_under_the_table(tmp_path: Path) -> None:
    out = _run(tmp_path, "plan")
    quota = next(line for line in out.splitlines() if line.startswith("  requests.memory"))
    assert quota.split() == ["requests.memory", "4Gi", "0", "1.5Gi", "2.5Gi", "37.5%"]
    assert out.rstrip().splitlines()[-1].endswith("'4 GiB' is not a Kubernetes quantity: " + REJECTED + "4Gi")


def test_the_json_carries_the_same_warnings(tmp_path: Path) -> None:
    body = json.loads(_run(tmp_path, "effective", "-o", "json"))
    assert [(w["source"], w["suggested"]) for w in body["warnings"]] == [
        (f"{tmp_path / 'stream.yaml'} document 0", "1536Mi"),
        (f"{tmp_path / 'stream.yaml'} document 1", "4Gi"),
    ]
