"""Issue 21, read back as a person or a program reads the output: a table parsed by its
columns, each SOURCE and skipped location followed to the object it names, CSV read with
the csv module, a diff's Markdown rendered by a Markdown library."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import markdown
import pytest
import yaml

from podcalc.cli import EXIT_OK, main
from podcalc.formats import human
from tests.conftest import ROOT

LIST = """\
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: sa}}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web}
  spec:
    replicas: 2
    template: {spec: {containers: [{name: a, resources: {requests: {cpu: 100m, memory: 20802969Ki}}}]}}
"""
PODS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
---
apiVersion: v1
kind: Pod
metadata: {name: cache, namespace: shop}
spec: {containers: [{name: a, resources: {requests: {cpu: 1500m}}}]}
"""


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    """A directory of two files: a Pod in the second document of one, a List in the other."""
    (tmp_path / "a-pods.yaml").write_text(PODS)
    (tmp_path / "b-list.yaml").write_text(LIST)
    return tmp_path


def run(*args: str) -> str:
    out = io.StringIO()
    assert main(list(args), stdout=out) == EXIT_OK
    return out.getvalue()


def table(text: str) -> list[dict[str, str]]:
    """The rows of the first table in ``text``, each cell cut at its header's column (the
    lines under it up to the first blank one, less the notes: ``skipped: ...``)."""
    header, *lines = text.split("\n\n")[0].splitlines()
    lines = [line for line in lines if not re.match(r"[a-z]+:", line)]
    starts = [m.start() for m in re.finditer(r"\S+(?: \S+)*", header)]
    cuts = list(zip(starts, [*starts[1:], None], strict=True))
    names = [header[s:e].strip() for s, e in cuts]
    return [{name: row[s:e].strip() for name, (s, e) in zip(names, cuts, strict=True)} for row in lines]


def follow(location: str) -> Any:
    """The object a ``FILE#DOCUMENT/POINTER`` location names, read from its file."""
    file, _, rest = location.rpartition("#")
    document, *steps = rest.split("/")
    node = list(yaml.safe_load_all(Path(file).read_text()))[int(document)]
    for step in steps:
        node = node[int(step)] if isinstance(node, list) else node[step]
    return node


@pytest.mark.parametrize("command", ["effective", "plan"])
def test_each_row_of_several_files_names_where_its_object_is(manifests: Path, command: str) -> None:
    rows = table(run(command, str(manifests)))
    assert [(r["WORKLOAD"], r["SOURCE"]) for r in rows] == [
        ("Pod/cache", f"{manifests}/a-pods.yaml#1"),
        ("Deployment/web", f"{manifests}/b-list.yaml#0/items/1"),
    ]
    for row in rows:
        found = follow(row["SOURCE"])
        assert f"{found['kind']}/{found['metadata']['name']}" == row["WORKLOAD"]


def test_each_skipped_object_names_its_file_document_and_item(manifests: Path) -> None:
    skipped = [line for line in run("effective", str(manifests)).splitlines() if line.startswith("skipped:")]
    located = [re.fullmatch(r"skipped: (\S+) \((\S+)\): .*", line) for line in skipped]
    assert [(m[1], m[2]) for m in located if m] == [
        ("ConfigMap/settings", f"{manifests}/a-pods.yaml#0"),
        ("ServiceAccount/sa", f"{manifests}/b-list.yaml#0/items/0"),
    ]
    assert follow(f"{manifests}/b-list.yaml#0/items/0")["kind"] == "ServiceAccount"


def test_one_file_has_no_source_column(manifests: Path) -> None:
    rows = table(run("effective", str(manifests / "b-list.yaml")))
    assert list(rows[0]) == ["WORKLOAD", "NAMESPACE", "PODS", "QOS", "REQUESTS/POD", "LIMITS/POD", "UNBOUNDED"]


def test_the_json_carries_the_source_beside_document_and_path(manifests: Path) -> None:
    """``document`` still counts across the files; ``source`` numbers it within its file."""
    body = yaml.safe_load(run("effective", str(manifests), "-o", "json"))
    assert [(i["document"], i["path"], i["source"]) for i in body["items"]] == [
        (1, "", f"{manifests}/a-pods.yaml document 1"),
        (2, "/items/1", f"{manifests}/b-list.yaml document 0"),
    ]
    assert [(s["document"], s["path"], s["source"]) for s in body["skipped"]] == [
        (0, "", f"{manifests}/a-pods.yaml document 0"),
        (2, "/items/0", f"{manifests}/b-list.yaml document 0"),
    ]


@pytest.mark.parametrize("command", ["effective", "plan"])
def test_csv_rows_name_their_source(manifests: Path, command: str) -> None:
    rows = list(csv.DictReader(io.StringIO(run(command, str(manifests), "-o", "csv"))))
    assert [(r["name"], r["namespace"], r["source"]) for r in rows] == [
        ("cache", "shop", f"{manifests}/a-pods.yaml#1"),
        ("web", "default", f"{manifests}/b-list.yaml#0/items/1"),
    ]
    assert rows[1]["request_memory_bytes"] == str(20802969 * 1024)


def test_a_workload_without_a_namespace_is_in_default_in_every_output(manifests: Path) -> None:
    """As ``kubectl apply`` without ``-n`` puts it; the effective JSON keeps what was written."""
    one = str(manifests / "b-list.yaml")
    assert [r["NAMESPACE"] for r in table(run("effective", one))] == ["default"]
    assert [r["NAMESPACE"] for r in table(run("plan", one))] == ["default"]
    for command in ("effective", "plan"):
        assert [r["namespace"] for r in csv.DictReader(io.StringIO(run(command, one, "-o", "csv")))] == ["default"]
    diffed = table(run("diff", str(manifests / "a-pods.yaml"), one))
    assert [(r["WORKLOAD"], r["NAMESPACE"]) for r in diffed] == [("Pod/cache", "shop"), ("Deployment/web", "default")]
    assert yaml.safe_load(run("effective", one, "-o", "json"))["items"][0]["namespace"] is None


def test_a_change_in_pods_is_said_in_words(manifests: Path) -> None:
    lines = run("diff", str(manifests / "a-pods.yaml"), str(manifests)).splitlines()
    assert "total: +2 pods; requests cpu=200m memory=39.68Gi~; limits -" in lines
    assert "namespace shop: +0 pods; requests -" in lines
    one = run("diff", str(manifests / "a-pods.yaml"), str(ROOT / "tests/data/qos-pod.yaml")).splitlines()
    assert "total: +0 pods; requests cpu=-800m memory=200Mi; limits cpu=700m memory=200Mi" in one
    assert "namespace shop: -1 pod; requests cpu=-1.5" in one
    assert "namespace qos-example: +1 pod; requests cpu=700m memory=200Mi" in one


def test_a_pull_request_comment_renders_with_its_consequences() -> None:
    """The example's change: a summary, a row per changed workload, the QoS change, the quota."""
    out = run("diff", str(ROOT / "examples/diff/before.yaml"), str(ROOT / "examples/diff/after.yaml"), "-o", "markdown")
    html = markdown.markdown(out, extensions=["tables"])
    assert html.startswith(
        "<p><strong>podcalc</strong>: 3 workloads changed; pods +4; requests cpu +750m, memory +768Mi; "
        "limits cpu -1.5</p>"
    )
    rows = re.findall(r"<tr>\n<td>(.*?)</td>\n<td>(.*?)</td>\n<td>(.*?)</td>\n<td>(.*?)</td>", html)
    assert rows == [
        ("Deployment/web", "shop", "changed", "+2"),
        ("Job/report", "shop", "removed", "-1"),
        ("Deployment/api", "shop", "added", "+3 (admitted +2)"),
    ]
    assert "<td>cpu +1, memory +2Gi</td>\n<td>cpu -500m, memory +2Gi</td>" in html
    assert "<p><strong>QoS changes</strong></p>\n<ul>\n<li>Deployment/web: Burstable -&gt; Guaranteed</li>" in html
    assert "<li>quota shop/shop-quota: fits → does not fit</li>" in html
    assert "<li>node shape small: 2 → 2 nodes</li>" in html


@pytest.mark.parametrize(
    ("quantity", "resource", "unit", "shown"),
    [
        ("1536Mi", "memory", "GiB", "1.5GiB"),
        ("128Mi", "memory", "GiB", "0.125GiB"),  # below 1: three significant digits
        ("320Mi", "memory", "GiB", "0.313GiB~"),  # 0.3125, a half rounded up as a person does
        ("1Mi", "memory", "GiB", "0.000977GiB~"),
        ("300m", "cpu", "cores", "0.3cores"),
        ("1152Mi", "memory", None, "1.13Gi~"),  # 1.125Gi
        ("-1152Mi", "memory", None, "-1.13Gi~"),
        ("0", "memory", "GiB", "0"),
    ],
)
def test_figures_in_a_unit_asked_for(quantity: str, resource: str, unit: str | None, shown: str) -> None:
    assert human(quantity, resource, unit) == shown


def test_docs_cli_examples_are_what_the_command_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each whole example of docs/cli.md (those without ``...``), run from the project's root."""
    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs/cli.md").read_text()
    examples = re.findall(r"```console\n\$ \.venv/bin/podcalc ([^\n]+)\n(.*?)\n```", text, re.S)
    whole = [(args, shown) for args, shown in examples if "..." not in shown]
    assert len(whole) == 3  # the table, the CSV and the Markdown
    for args, shown in whole:
        out = io.StringIO()
        main(args.split(), stdout=out)
        assert out.getvalue().rstrip("\n") == shown
