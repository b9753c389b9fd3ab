"""``podcalc plan --cluster FILE``: the snapshot workflow from the command line (issue 20)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from podcalc.cli import main
from tests.conftest import ROOT

DATA = ROOT / "tests/data/snapshot"


def run(*args: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), stdin=io.StringIO(stdin), stdout=out)
    return code, out.getvalue()


def test_the_table_leads_with_the_answer() -> None:
    code, out = run("plan", "--cluster", str(DATA / "cluster.yaml"), str(DATA / "changes.yaml"))
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == "fits on the cluster as it is: yes"
    assert lines[1] == "snapshot: 3 pods running or pending in 2 workloads; 1 ended (counted nowhere); 1 without a node"
    quota = next(line for line in lines if line.startswith("shop/compute"))
    assert quota.split() == [
        "shop/compute",
        *["pods=10", "requests.cpu=2", "requests.memory=4Gi"],
        *["pods=3", "requests.cpu=1.25", "requests.memory=1.25Gi"],
        *["pods=3", "requests.cpu=1.45", "requests.memory=1.25Gi"],
        *["pods=4", "requests.cpu=1.95", "requests.memory=1.75Gi"],
    ]
    web = next(line for line in lines if line.startswith("Deployment/web  shop       replaced"))
    assert web.split()[3:] == ["+0", "cpu=200m", "3", "pods", "(RollingUpdate)"]


def test_the_snapshot_from_stdin_as_json_alone(tmp_path: Path) -> None:
    """``kubectl get ... -o json | podcalc effective --cluster -``: the state alone."""
    import yaml

    snapshot = json.dumps(yaml.safe_load((DATA / "cluster.yaml").read_text()))
    code, out = run("effective", "--cluster", "-", "-o", "json", stdin=snapshot)
    assert code == 0
    block = json.loads(out)["cluster"]
    assert (block["snapshot"]["pods"], block["workloads"], block["fits"]) == (3, [], True)


def test_no_request_limit_of_the_http_service_applies(tmp_path: Path) -> None:
    """The API refuses more than 20,000 objects a request; the CLI reads what it is given."""
    pods = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"p{i}", "namespace": "a"},
            "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1m"}}}]},
            "status": {"phase": "Running"},
        }
        for i in range(20_001)
    ]
    path = tmp_path / "pods.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}))
    code, out = run("effective", "--cluster", str(path), "-o", "json")
    assert code == 0
    assert json.loads(out)["cluster"]["snapshot"]["pods"] == 20_001
