"""POST /v1/diff, POST /v1/what-if and `podcalc diff`: worked examples checked by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
PODCALC = Path(sys.executable).parent / "podcalc"


def diff(client: FlaskClient, before: Any, after: Any, status: int = 200) -> Any:
    response = client.post("/v1/diff", json={"before": before, "after": after})
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_the_readme_diff(client: FlaskClient) -> None:
    """web 3 -> 5 replicas of 500m/1Gi (limits now equal: Guaranteed); report (1 cpu, 2Gi) removed;
    api added, 3 x 250m/256Mi. Requests: +1 cpu -1 cpu +750m = +750m; +2Gi -2Gi +768Mi = +768Mi."""
    body = diff(client, (EXAMPLES / "diff" / "before.yaml").read_text(), (EXAMPLES / "diff" / "after.yaml").read_text())
    web, report, api = body["workloads"]
    assert (web["change"], web["delta"]) == (
        "changed",
        {
            "pods": 2,
            "podsAdmitted": 2,
            "requests": {"cpu": "1", "memory": "2Gi"},
            "limits": {"cpu": "-500m", "memory": "2Gi"},
        },
    )
    assert web["qosChange"] == "Burstable -> Guaranteed"
    assert (report["change"], report["after"], report["delta"]["requests"]) == (
        "removed",
        None,
        {"cpu": "-1", "memory": "-2Gi"},
    )
    assert (api["change"], api["before"], api["after"]["pods"]) == ("added", None, 3)
    assert api["delta"]["podsAdmitted"] == 2  # the quota refuses the third: 2500m + 3 x 250m > 3
    assert body["total"] == {"pods": 4, "requests": {"cpu": "750m", "memory": "768Mi"}, "limits": {"cpu": "-1500m"}}
    assert body["byNamespace"] == [{"namespace": "shop", **body["total"]}]
    assert body["qosChanges"] == ["Deployment/web: Burstable -> Guaranteed"]
    # quota requests.cpu 3: before 1500m + 1 = 2500m fits; after 2500m + 750m = 3250m does not
    (quota,) = body["quotas"]
    assert (quota["fitsBefore"], quota["fitsAfter"], quota["exceededAfter"]) == (True, False, ["requests.cpu"])
    assert quota["remainingAfter"] == {"requests.cpu": "-250m"}
    # 2-cpu nodes: before report + 2 web, then 1 web; after 4 web, then 1 web + 2 admitted api pods
    assert body["nodeShapes"] == [{"name": "small", "nodesBefore": 2, "nodesAfter": 2}]


def test_sides_may_be_manifests_and_unchanged_workloads_say_so(client: FlaskClient) -> None:
    pod = {
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}]},
    }
    body = diff(client, pod, [pod])
    assert body["workloads"][0]["change"] == "unchanged"
    assert body["total"] == {"pods": 0, "requests": {}, "limits": {}}


def test_bad_sides_are_named(client: FlaskClient) -> None:
    body = diff(client, 42, "kind: Pod", status=422)
    assert body["errors"] == [
        {"pointer": "/before", "detail": "must be a YAML or JSON stream (a string), a manifest, or a list of manifests"}
    ]
    yaml_body = client.post("/v1/diff", data="before: x", content_type="application/yaml")
    assert yaml_body.status_code == 415
    bad_manifest = diff(
        client, "kind: Pod\nspec: {containers: [{name: c, resources: {requests: {cpu: 12x}}}]}", [], status=422
    )
    assert bad_manifest["errors"][0]["source"] == "before document 0"
    assert bad_manifest["errors"][0]["pointer"] == "/spec/containers/0/resources/requests/cpu"


def test_what_if_replicas_on_the_plan_example(client: FlaskClient) -> None:
    """examples/plan.yaml with web at 4 replicas: 4 x 750m + 2 x 1 = 5 cpu: the quota fits again."""
    manifests = (EXAMPLES / "plan.yaml").read_text()
    change = {"target": {"kind": "Deployment", "name": "web", "namespace": "shop"}, "replicas": 4}
    response = client.post("/v1/what-if", json={"manifests": manifests, "changes": [change]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["applied"] == ["Deployment/web: replicas"]
    web = body["workloads"][0]
    assert web["delta"] == {
        "pods": -1,
        "podsAdmitted": -1,
        "requests": {"cpu": "-750m", "memory": "-1280Mi"},
        "limits": {"cpu": "-1500m", "memory": "-1536Mi"},
    }
    assert body["workloads"][1]["after"]["podsAdmitted"] == 2  # report's second pod is admitted now
    assert (body["quotas"][0]["fitsBefore"], body["quotas"][0]["fitsAfter"]) == (False, True)


def test_what_if_container_resources_and_merge_patch(client: FlaskClient) -> None:
    manifests = (EXAMPLES / "plan.yaml").read_text()
    changes = [
        {
            "target": {"kind": "Deployment", "name": "web", "namespace": "shop"},
            "containers": {"log": {"requests": {"cpu": "50m"}}},
        },
        {"target": {"kind": "Job", "name": "report", "namespace": "shop"}, "patch": {"spec": {"parallelism": None}}},
    ]
    body = client.post("/v1/what-if", json={"manifests": manifests, "changes": changes}).get_json()
    web, report = body["workloads"]
    # log's request 250m (LimitRange default) -> 50m written: 5 pods x -200m = -1 cpu
    assert web["delta"]["requests"] == {"cpu": "-1"}
    # parallelism removed: the default of 1 pod
    assert report["after"]["pods"] == 1


def test_what_if_names_a_missing_target(client: FlaskClient) -> None:
    change = {"target": {"kind": "Deployment", "name": "nope"}, "replicas": 1}
    response = client.post(
        "/v1/what-if",
        json={"manifests": "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}", "changes": [change]},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"pointer": "/changes/0/target", "detail": "no Deployment 'nope' in the manifests"}
    ]


def test_cli_diff_gate_exit_status(tmp_path: Path) -> None:
    before, after = EXAMPLES / "diff" / "before.yaml", EXAMPLES / "diff" / "after.yaml"
    tripped = subprocess.run(
        [str(PODCALC), "diff", str(before), str(after), "--fail-if-increase", "cpu=500m"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert tripped.returncode == 3
    assert tripped.stderr == "podcalc: gate: total cpu requests grow by 750m, more than 500m\n"
    assert "Deployment/api  shop       added    +3 (admitted +2)  cpu=750m memory=768Mi" in tripped.stdout
    passed = subprocess.run(
        [str(PODCALC), "diff", str(before), str(after), "--fail-if-increase", "cpu=1",
         "--fail-if-increase", "memory=1Gi"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert passed.returncode == 0, passed.stderr
    # directories: every manifest in them, as one stream
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "app.yaml").write_text(before.read_text())
    (tmp_path / "new" / "app.yaml").write_text(after.read_text())
    dirs = subprocess.run(
        [str(PODCALC), "diff", "-o", "json", str(tmp_path / "old"), str(tmp_path / "new")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert dirs.returncode == 0, dirs.stderr
    assert json.loads(dirs.stdout)["total"]["pods"] == 4


def test_what_if_container_change_needs_a_pod_template(client: FlaskClient) -> None:
    manifests = (EXAMPLES / "plan.yaml").read_text()
    change = {
        "target": {"kind": "Deployment", "name": "web", "namespace": "shop"},
        "patch": {"spec": {"template": 5}},
        "containers": {"web": {"limits": {"cpu": "2"}}},
    }
    response = client.post("/v1/what-if", json={"manifests": manifests, "changes": [change]})
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"pointer": "/changes/0/containers", "detail": "the workload has no pod template at /spec/template/spec"}
    ]


def test_cli_what_if() -> None:
    change = '{"target": {"kind": "Deployment", "name": "web", "namespace": "shop"}, "replicas": 4}'
    result = subprocess.run(
        [str(PODCALC), "what-if", str(EXAMPLES / "plan.yaml"), "--change", change],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "applied: Deployment/web: replicas"
    assert "Job/report      shop       changed  +0 (admitted +1)" in result.stdout
    assert "quota shop/shop-quota: does not fit -> fits" in result.stdout


def test_a_workload_twice_on_one_side_is_refused(client: FlaskClient) -> None:
    web = "kind: Deployment\nmetadata: {name: web}\nspec: {replicas: 3, template: {spec: {containers: [{name: c}]}}}"
    body = diff(client, web + "\n---\n" + web, web, status=422)
    assert body["errors"][0]["detail"] == (
        "Deployment web in namespace default appears twice: the API server keeps one per name"
    )
