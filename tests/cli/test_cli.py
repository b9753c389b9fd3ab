"""The podcalc command, run as a user runs it: a subprocess, files and stdin, exit statuses."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient

from tests.conftest import ROOT
from tests.http.test_manifests import STREAM

PODCALC = shutil.which("podcalc", path=str(Path(sys.executable).parent)) or "podcalc"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PODCALC, *args], input=stdin, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def stream_file(tmp_path: Path) -> Path:
    path = tmp_path / "stream.yaml"
    path.write_text(STREAM)
    return path


def test_table_per_workload_and_totals(stream_file: Path) -> None:
    result = run("effective", str(stream_file), "--nodes", "10")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["WORKLOAD", "NAMESPACE", "PODS", "QOS", "REQUESTS/POD", "LIMITS/POD", "UNBOUNDED"]
    assert lines[1].split() == [
        "Deployment/web", "shop", "3", "Burstable", "cpu=300m", "memory=320Mi", "cpu=100m", "memory=576Mi",
        "cpu,ephemeral-storage",
    ]  # fmt: skip
    assert lines[2].split()[:4] == ["DaemonSet/agent", "kube-system", "10", "Guaranteed"]
    # figures as a person reads them (the JSON keeps 3900m and 4288Mi): 4288Mi is 4.1875Gi, rounded
    assert "total: 15 pods; requests cpu=3.9 memory=4.19Gi~; limits cpu=3.3 memory=4.94Gi~" in result.stdout
    assert "namespace kube-system: 10 pods; requests cpu=1 memory=1.25Gi" in result.stdout
    skipped = f"skipped: Service/web ({stream_file}#0): a Service has no pod template: it runs no pods"
    assert skipped in lines
    assert result.stderr == ""


def test_json_output_is_exactly_the_http_body(stream_file: Path, client: FlaskClient) -> None:
    result = run("effective", "-o", "json", str(stream_file))
    assert result.returncode == 0, result.stderr
    http = client.post("/v1/effective-resources", data=STREAM, content_type="application/yaml").get_json()
    assert without_sources(json.loads(result.stdout)) == http


def without_sources(body: dict[str, Any]) -> dict[str, Any]:
    """The CLI's body less what only it knows: each item's and skipped object's ``source``,
    its file and the document within it (checked by the tests of several files)."""
    for entry in [*body["items"], *body["skipped"]]:
        assert re.fullmatch(r".+ document [0-9]+", entry.pop("source"))
    return body


def test_yaml_output_and_stdin(client: FlaskClient) -> None:
    result = run("effective", "-o", "yaml", "-", stdin=STREAM)
    assert result.returncode == 0, result.stderr
    http = client.post("/v1/effective-resources", data=STREAM, content_type="application/yaml").get_json()
    assert without_sources(yaml.safe_load(result.stdout)) == http


def test_several_files_read_as_one_stream(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(
        json.dumps(
            {
                "kind": "Pod",
                "metadata": {"name": "a"},
                "spec": {"containers": [{"name": "a", "resources": {"requests": {"cpu": 0.5}}}]},
            }
        )
    )
    (tmp_path / "b.yaml").write_text(
        "kind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: b, resources: {requests: {cpu: 1.5}}}]}\n"
    )
    result = run("effective", "-o", "json", str(tmp_path / "a.json"), str(tmp_path / "b.yaml"))
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert [(i["name"], i["document"]) for i in body["items"]] == [("a", 0), ("b", 1)]
    assert body["total"]["requests"] == {"cpu": "2"}


def test_units_option(stream_file: Path) -> None:
    result = run("effective", "-o", "json", "--nodes", "10", "--unit", "memory=GiB", str(stream_file))
    assert json.loads(result.stdout)["total"]["inUnits"]["requests"] == {"memory": "4.1875"}


def test_invalid_input_exits_1_naming_file_document_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "kind: Service\n---\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n"
        "      containers:\n      - {name: a, resources: {limits: {memory: 1i}}}\n"
    )
    result = run("effective", str(bad))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "podcalc: invalid input:",
        f"  {bad}:9 document 1 Deployment/web /spec/template/spec/containers/0/resources/limits/memory: "
        "invalid quantity"
        " '1i': unknown suffix 'i' (expected one of n u m k M G T P E, Ki Mi Gi Ti Pi Ei, or an exponent such as e3);"
        " nor is it a unit expression: unknown unit (try B, KiB, MiB, GiB, kB, MB, GB, cores, millicores, vCPU)",
    ]


def test_malformed_yaml_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("kind: Pod\nspec: [unclosed\n")
    result = run("effective", str(bad))
    assert result.returncode == 1
    assert result.stderr.startswith(f"podcalc: malformed yaml: {bad}: did not find expected ',' or ']'")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "the following arguments are required: COMMAND"),
        (("effective",), "the following arguments are required: FILE"),
        (("effective", "-o", "xml", "f"), "invalid choice: 'xml'"),
        (("effective", "--nodes", "x", "f"), "must be a whole number"),
        (("effective", "--unit", "GiB", "f"), "expected RESOURCE=UNIT"),
        (("effective", "/does/not/exist.yaml"), "cannot read /does/not/exist.yaml: No such file or directory"),
        (("frobnicate",), "invalid choice: 'frobnicate'"),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_quantity_command() -> None:
    result = run("quantity", "1.5Gi", "--unit", "GiB")
    assert (result.returncode, result.stdout) == (
        0,
        "1536Mi = 1610612736 bytes (BinarySI; a pod stores 1536Mi) = 1.5 GiB\n",
    )
    result = run("quantity", "1n", "-o", "json")
    assert json.loads(result.stdout)["stored"] == "1m"
    result = run("quantity", "2 GiB", "--resource", "cpu")
    assert result.returncode == 1
    assert result.stderr == (
        "podcalc: invalid parameter:\n  value: invalid quantity '2 GiB': is an amount of bytes, but cpu takes cores\n"
    )


def test_help_explains_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for text in ("effective", "quantity", "exit status: 0 success, 1 invalid input, 2 usage error", "helm template"):
        assert text in result.stdout
    assert "--nodes" in run("effective", "--help").stdout


def test_stdin_that_is_not_utf8_is_invalid_input() -> None:
    result = subprocess.run(
        [PODCALC, "effective", "-"], input=b'a: "\xff"\n', capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert result.stderr.decode() == "podcalc: malformed body: <stdin>: not UTF-8 text\n"


def test_nodes_must_be_ascii_digits(stream_file: Path) -> None:
    result = run("effective", "--nodes", "\u00b2", str(stream_file))
    assert result.returncode == 2
    assert "must be a whole number" in result.stderr


def test_plan_json_is_exactly_the_http_body(client: FlaskClient) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "plan.yaml"
    result = run("plan", "-o", "json", str(example))
    assert result.returncode == 0, result.stderr
    http = client.post("/v1/plan", data=example.read_bytes(), content_type="application/yaml").get_json()
    assert without_sources(json.loads(result.stdout)) == http


def test_plan_with_an_invalid_limit_range_exits_1_naming_object_and_field(tmp_path: Path) -> None:
    path = tmp_path / "lr.yaml"
    path.write_text(
        "kind: LimitRange\nmetadata: {name: lr}\nspec: {limits: [{type: Container, min: {cpu: 2}, max: {cpu: 1}}]}\n"
    )
    result = run("plan", str(path))
    assert result.returncode == 1
    assert f"{path}:3 document 0 LimitRange/lr /spec/limits/0/min/cpu: " in result.stderr  # the line of spec
    assert "min value 2 is greater than max value 1" in result.stderr


def test_kubernetes_version_flag() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "pod.json"
    result = run("effective", "-o", "json", "--kubernetes-version", "1.28", str(example))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["items"][0]["pod"]["requests"] == {"cpu": "1", "memory": "64Mi"}
    bad = run("effective", "--kubernetes-version", "1.99", str(example))
    assert bad.returncode == 1
    assert "kubernetesVersion: kubernetes version '1.99': the newest release podcalc knows is 1.37" in bad.stderr


def test_json_output_where_the_terminal_cannot_show_a_name(tmp_path: Path) -> None:
    """A name the stdout encoding cannot write, and a lone surrogate, still give valid JSON."""
    pods = tmp_path / "pods.yaml"
    pods.write_text("kind: Pod\nmetadata: {name: café}\nspec: {containers: [{name: a}]}\n", encoding="utf-8")
    odd = tmp_path / "odd.json"
    odd.write_text('{"kind":"Pod","metadata":{"name":"x\\ud800"},"spec":{"containers":[{"name":"a"}]}}')
    env = {"PATH": str(Path(sys.executable).parent), "PYTHONIOENCODING": "ascii"}
    for path, name in ((pods, "café"), (odd, "x\ud800")):
        result = subprocess.run(
            [PODCALC, "effective", "-o", "json", str(path)], capture_output=True, timeout=60, check=False, env=env
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["items"][0]["name"] == name


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path: Path) -> None:
    """``podcalc effective big.yaml | head``: no traceback, the status a shell gives a command
    SIGPIPE ended (141), and nothing lost when the reader reads it all."""
    stream = tmp_path / "pods.yaml"
    stream.write_text(
        "---\n".join(f"kind: Pod\nmetadata: {{name: p{i}}}\nspec: {{containers: [{{name: a}}]}}\n" for i in range(3000))
    )
    with subprocess.Popen(
        [PODCALC, "effective", str(stream)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline().startswith(b"WORKLOAD")
        process.stdout.close()  # the output is far beyond a pipe's buffer: the next write fails
        assert process.wait(timeout=60) == 141
        assert process.stderr.read() == b""
    result = run("effective", str(stream))
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) > 3000


def test_output_that_cannot_be_written_is_said_once_with_status_2(stream_file: Path) -> None:
    """A full disk: one line on stderr, no traceback, the status of an I/O problem."""
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [PODCALC, "effective", str(stream_file)], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60
        )
    assert result.returncode == 2
    assert result.stderr == "podcalc: cannot write the output: No space left on device\n"


def test_a_closed_stderr_does_not_change_the_status() -> None:
    result = subprocess.run(
        [PODCALC, "quantity", "1"],
        capture_output=False,
        stdout=subprocess.PIPE,
        timeout=60,
        preexec_fn=lambda: os.close(2),
    )
    assert result.returncode == 0
    assert result.stdout.startswith(b"1 = 1")


def test_every_command_reads_a_directory_recursively_in_name_order(tmp_path: Path) -> None:
    """As ``kubectl apply -f DIR -R``: .yaml, .yml and .json files, sorted; others ignored."""
    (tmp_path / "b").mkdir()
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {{name: {}}}\nspec: {{containers: [{{name: a}}]}}\n"
    (tmp_path / "b" / "two.yml").write_text(pod.format("two"))
    (tmp_path / "a.yaml").write_text(pod.format("one"))
    (tmp_path / "notes.txt").write_text("not a manifest")
    for command in ("effective", "plan"):
        result = run(command, str(tmp_path), "-o", "json")
        assert result.returncode == 0, result.stderr
        assert [i["name"] for i in json.loads(result.stdout)["items"]] == ["one", "two"]


def test_one_pod_is_one_pod() -> None:
    result = run("effective", str(ROOT / "tests/data/qos-pod.yaml"))
    assert "total: 1 pod; requests" in result.stdout
