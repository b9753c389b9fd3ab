"""The formats other tools take (issue 21): CSV read back with the csv module, the diff's
Markdown rendered by a Markdown library, and ``plan --fail-on-refusal`` as a CI gate."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import markdown
import pytest

from podcalc.cli import EXIT_GATE, EXIT_OK, EXIT_USAGE, main
from podcalc.formats import base_units, human
from tests.conftest import ROOT

DATA, PLAN = ROOT / "tests/data", ROOT / "examples/plan.yaml"


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), stdout=out), out.getvalue()


@pytest.mark.parametrize(
    ("quantity", "resource", "expected"),
    [
        ("1.5", "cpu", "1500"),
        ("250m", "cpu", "250"),
        ("1Gi", "memory", "1073741824"),
        ("1k", "memory", "1000"),
        (None, "cpu", ""),
    ],
)
def test_base_units_are_millicores_and_bytes_exactly(quantity: str | None, resource: str, expected: str) -> None:
    assert base_units(quantity, resource) == expected


def test_plan_csv_has_a_header_and_a_row_per_workload() -> None:
    code, out = run("plan", str(PLAN), "-o", "csv")
    assert code == EXIT_OK
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["kind"], r["name"], r["pods"], r["pods_admitted"], r["refused_by"]) for r in rows] == [
        ("Deployment", "web", "5", "5", ""),
        ("Job", "report", "2", "1", "ResourceQuota"),
    ]
    assert (rows[0]["request_cpu_millicores"], rows[0]["request_memory_bytes"]) == ("750", "1342177280")


def test_effective_csv_gives_totals_in_base_units() -> None:
    code, out = run("effective", str(DATA / "memory-request-limit.yaml"), "-o", "csv")
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert code == EXIT_OK
    assert (row["kind"], row["namespace"], row["qos_class"]) == ("Pod", "mem-example", "Burstable")
    assert (row["request_memory_bytes"], row["limit_memory_bytes"]) == ("104857600", "209715200")


def test_diff_markdown_renders_as_a_pull_request_comment() -> None:
    code, out = run("diff", str(DATA / "nginx-deployment.yaml"), str(DATA / "nginx-app.yaml"), "-o", "markdown")
    assert code == EXIT_OK
    html = markdown.markdown(out, extensions=["tables"])
    assert html.startswith("<p><strong>podcalc</strong>: 2 workloads changed; pods +0;")
    assert html.count("<tr>") == 3  # the header and two workloads
    assert "<td>Deployment/my-nginx</td>\n<td>default</td>\n<td>added</td>\n<td>+3</td>" in html


def test_diff_csv_reads_back() -> None:
    _, out = run("diff", str(DATA / "nginx-deployment.yaml"), str(DATA / "nginx-app.yaml"), "-o", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["name"], r["change"], r["pods_delta"]) for r in rows] == [
        ("nginx-deployment", "removed", "-3"),
        ("my-nginx", "added", "3"),
    ]


def test_fail_on_refusal_gates_a_plan(capsys: pytest.CaptureFixture[str]) -> None:
    """The example's Job asks 1 cpu with 4750m of 5 used: its second pod is refused (exit 3)."""
    code, _ = run("plan", str(PLAN), "--fail-on-refusal")
    assert code == EXIT_GATE
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        "podcalc: refused: Job/report: exceeded quota: shop-quota, requested: requests.cpu=1, "
        "used: requests.cpu=4750m, limited: requests.cpu=5"
    )
    assert run("plan", str(DATA / "nginx-deployment.yaml"), "--fail-on-refusal")[0] == EXIT_OK


def test_markdown_is_for_diff_only() -> None:
    assert run("effective", str(PLAN), "-o", "markdown")[0] == EXIT_USAGE


@pytest.mark.parametrize(
    ("quantity", "resource", "shown"),
    [
        ("20802969Ki", "memory", "19.84Gi~"),  # 19.8395... GiB, rounded and marked
        ("14283282841", "memory", "13.3Gi~"),  # a GKE node's allocatable
        ("1536Mi", "memory", "1.5Gi"),
        ("64Mi", "memory", "64Mi"),
        ("1500m", "cpu", "1.5"),
        ("500m", "cpu", "500m"),
        ("1500m", "requests.cpu", "1.5"),
        ("10496Mi", "requests.memory", "10.25Gi"),
        ("0", "cpu", "0"),
        ("3", "nvidia.com/gpu", "3"),
    ],
)
def test_tables_show_quantities_as_a_person_reads_them(quantity: str, resource: str, shown: str) -> None:
    assert human(quantity, resource) == shown


def test_many_skipped_objects_are_summarised_and_listed_on_request(tmp_path: Path) -> None:
    stream = "".join(
        f"---\napiVersion: v1\nkind: {kind}\nmetadata: {{name: o{i}}}\n"
        for i, kind in enumerate(["ServiceAccount"] * 3 + ["ConfigMap"] * 2 + ["Service"])
    )
    stream += (
        "---\napiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata: {name: k8s}\nspec: {replicas: 2}\n"
    )
    stream += "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a}]}\n"
    path = tmp_path / "install.yaml"
    path.write_text(stream)
    _, out = run("effective", str(path))
    assert out.splitlines()[-3:] == [
        "skipped 6 objects that run no pods: 3 ServiceAccount, 2 ConfigMap, 1 Service",
        "skipped 1 kinds podcalc does not compute, whose operators may run pods: 1 Prometheus",
        "(--show-skipped lists each one)",
    ]
    _, listed = run("effective", str(path), "--show-skipped")
    assert sum(line.startswith("skipped: ") for line in listed.splitlines()) == 7


def test_a_workload_without_a_namespace_is_in_default(tmp_path: Path) -> None:
    """As ``kubectl apply`` without ``-n`` puts it (the JSON keeps ``namespace: null``)."""
    path = tmp_path / "pod.yaml"
    path.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a}]}\n")
    _, out = run("effective", str(path))
    assert out.splitlines()[1].split()[:2] == ["Pod/p", "default"]


def test_unit_applies_to_every_column() -> None:
    """``--unit memory=GiB --unit cpu=cores``: the rows, the quota table and the node shape alike."""
    _, out = run("plan", str(PLAN), "--unit", "memory=GiB", "--unit", "cpu=cores")
    lines = out.splitlines()
    assert lines[1].split()[5:7] == ["cpu=0.75cores", "memory=1.25GiB"]
    quota = next(line for line in lines if line.startswith("  requests.memory"))
    assert quota.split() == ["requests.memory", "16GiB", "0", "10.25GiB", "5.75GiB", "64.06%"]
    assert "allocatable cpu=3.8cores memory=14.41GiB~ pods=110" in out
