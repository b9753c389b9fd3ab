"""The live server, as deployed (gunicorn, the project's configuration), against its contract.

schemathesis generates requests from openapi.yaml (examples, boundary cases, random data)
and checks every response: no 5xx, and status codes, content types, headers and bodies as
the contract says. Bounded: a fixed seed and a fixed number of examples per operation.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.servers import BIN, gunicorn

ROOT = Path(__file__).resolve().parents[2]
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance"  # noqa: E501


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    """gunicorn with the project's configuration, one worker, on a free loopback port."""
    with gunicorn("api.wsgi:app", {"PODCALC_WORKERS": "1"}) as (url, _, _):
        yield url


def test_live_server_keeps_its_contract_under_generated_requests(live_url: str, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = subprocess.run(
        [
            str(BIN / "st"), "run", str(ROOT / "openapi.yaml"), "--url", live_url,
            "--max-examples", "25", "--seed", "1", "--checks", CHECKS,
            "--report", "ndjson", "--report-ndjson-path", str(report), "--no-color",
        ],
        capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:]
    assert "passed" in result.stdout
    assert report.exists()


def test_live_server_answers_every_kind_of_request(live_url: str) -> None:
    body = (ROOT / "examples" / "stream.yaml").read_bytes()
    request = urllib.request.Request(
        live_url + "/v1/effective-resources?nodes=3", data=body, headers={"Content-Type": "application/yaml"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.headers["X-Request-ID"]
        assert json.loads(response.read())["total"]["pods"] == 6
    with urllib.request.urlopen(live_url + "/metrics", timeout=10) as response:
        assert 'route="/v1/effective-resources",status="200"' in response.read().decode()


def _post(url: str, body: bytes, content_type: str) -> tuple[int, list[tuple[str, str]], bytes]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, headers, data = response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        status, headers, data = err.code, err.headers, err.read()
    return status, [(k, v) for k, v in headers.items() if k not in ("Date", "X-Request-ID")], data


def test_live_server_answers_as_the_app_does_in_process(live_url: str) -> None:
    """Under gunicorn, as deployed: the same status, media type and bytes as the app's own
    test client, for answers and errors alike."""
    from api import create_app

    client = create_app().test_client()
    cases = [
        ("/v1/effective-resources", (ROOT / "examples" / "pod.json").read_bytes(), "application/json", 200),
        ("/v1/effective-resources", (ROOT / "examples" / "stream.yaml").read_bytes(), "application/yaml", 200),
        ("/v1/plan", (ROOT / "examples" / "plan.yaml").read_bytes(), "application/yaml", 200),
        ("/v1/effective-resources", b"", "application/json", 400),
        ("/v1/effective-resources", b'{"kind": "Pod", "spec": {"containers": [{"name": 1}]}}', "application/json", 422),
    ]
    for path, body, content_type, status in cases:
        live_status, headers, data = _post(live_url + path, body, content_type)
        local = client.post(path, data=body, content_type=content_type)
        assert (live_status, local.status_code) == (status, status)
        assert dict(headers)["Content-Type"] == local.headers["Content-Type"]
        if status == 200:
            assert data == local.data
        else:  # a problem names the request's path, the same in both
            assert json.loads(data) == local.get_json()


def test_schemathesis_is_installed() -> None:
    assert shutil.which("st", path=str(BIN))


def test_no_control_socket_unless_one_is_asked_for(tmp_path: Path) -> None:
    """gunicorn's control socket would go to $HOME/.gunicorn, one path for every server."""
    home = tmp_path / "home"
    home.mkdir()
    env = {"PODCALC_WORKERS": "1", "HOME": str(home), "XDG_RUNTIME_DIR": ""}
    with gunicorn("api.wsgi:app", env):
        assert list(home.iterdir()) == []
    socket = tmp_path / "podcalc.ctl"
    with gunicorn("api.wsgi:app", env | {"PODCALC_CONTROL_SOCKET": str(socket)}):
        assert socket.is_socket()
        status = subprocess.run(
            [str(BIN / "gunicornc"), "-s", str(socket), "-c", "show workers", "-j"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert status.returncode == 0, status.stderr
        assert len(json.loads(status.stdout)["workers"]) == 1
    assert list(home.iterdir()) == []
