"""Computing as a given Kubernetes release: sidecars from 1.29, pod-level resources from 1.34."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from calc.evaluate import evaluate_pod
from calc.quantity import canonical
from calc.versions import VersionError, as_released, features, parse_version
from tests.conftest import ROOT
from tests.podbuild import C, spec

SIDECAR_POD = spec(
    [C("app", {"cpu": "250m", "memory": "64Mi"})],
    init=[C("log", {"cpu": "50m", "memory": "32Mi"}, sidecar=True), C("fetch", {"cpu": "1", "memory": "16Mi"})],
    pod_requests={"cpu": "2"},
    pod_limits={"cpu": "2"},
)


@pytest.mark.parametrize(
    ("version", "requests"),
    [
        # 1.28: SidecarContainers is alpha (off): log is a regular init container; pod-level dropped
        pytest.param((1, 28), {"cpu": "1", "memory": "64Mi"}, id="1.28 no sidecars"),
        # 1.29: log (50m) runs under fetch (1) and beside app: cpu max(1050m, 300m); pod-level still off
        pytest.param((1, 29), {"cpu": "1050m", "memory": "96Mi"}, id="1.29 sidecars"),
        # 1.34: PodLevelResources beta: the pod-level cpu of 2 replaces the containers' figure
        pytest.param((1, 34), {"cpu": "2", "memory": "96Mi"}, id="1.34 pod-level resources"),
    ],
)
def test_release_changes_the_figures(version: tuple[int, int], requests: dict[str, str]) -> None:
    pod, _ = as_released(SIDECAR_POD, features(version))
    assert {n: canonical(q) for n, q in evaluate_pod(pod).requests.items()} == requests


@pytest.mark.parametrize(
    ("text", "version"), [("1.29", (1, 29)), ("v1.33.2", (1, 33)), (" 1.24 ", (1, 24)), ("1.37", (1, 37))]
)
def test_versions_read(text: str, version: tuple[int, int]) -> None:
    assert parse_version(text) == version


@pytest.mark.parametrize("text", ["1.23", "1.38", "2.0", "latest", "1", ""])
def test_versions_refused(text: str) -> None:
    with pytest.raises(VersionError):
        parse_version(text)


def test_api_parameter_and_notes(client: FlaskClient) -> None:
    body = json.loads((ROOT / "examples" / "pod.json").read_text())
    old = client.post("/v1/effective-resources?kubernetesVersion=1.28", json=body).get_json()
    assert old["items"][0]["pod"]["requests"] == {"cpu": "1", "memory": "64Mi"}
    assert old["kubernetes"] == {
        "version": "1.28",
        "features": {
            "SidecarContainers": False,
            "PodLevelResources": False,
            "PodLevelResourcesFixDefaulting": False,
            "PodLevelResourcesFixKubeletQOSClass": False,
        },
        "notes": [
            "Pod myjob: Kubernetes 1.28 has no sidecar containers (SidecarContainers is on from 1.29): "
            "restartPolicy is dropped, so these are regular init containers: logshipper"
        ],
    }
    current = client.post("/v1/effective-resources", json=body).get_json()
    assert current["kubernetes"]["version"] == "1.37"
    assert current["items"][0]["pod"]["requests"] == {"cpu": "1050m", "memory": "96Mi"}


def test_api_refuses_an_unknown_release(client: FlaskClient) -> None:
    response = client.post("/v1/plan?kubernetesVersion=1.99", data="kind: Pod", content_type="application/yaml")
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {
            "parameter": "kubernetesVersion",
            "detail": "kubernetes version '1.99': the newest release podcalc knows is 1.37",
        }
    ]
