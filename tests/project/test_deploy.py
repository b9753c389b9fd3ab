"""deploy/: valid Kubernetes objects, and podcalc's own verdict on its Deployment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from flask.testing import FlaskClient
from kubernetes_validate.utils import latest_version

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
OBJECTS = [
    (path.name, document)
    for path in sorted(DEPLOY.glob("*.yaml"))
    if path.name != "kustomization.yaml"
    for document in yaml.safe_load_all(path.read_text())
]


@pytest.mark.parametrize(("name", "document"), OBJECTS, ids=[name for name, _ in OBJECTS])
def test_manifest_is_valid_for_the_latest_kubernetes(name: str, document: dict[str, Any]) -> None:
    # strict: unknown fields are errors too; the schemas ship with the package (no network)
    assert kubernetes_validate.validate(document, latest_version(), strict=True)


def test_kustomization_lists_every_manifest() -> None:
    listed = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(name for name in {n for n, _ in OBJECTS})


def test_the_deployment_is_highly_available_and_probed() -> None:
    deployment = next(d for _, d in OBJECTS if d["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] >= 2
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    kinds = {d["kind"] for _, d in OBJECTS}
    assert {"Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"} <= kinds


def test_podcalc_says_its_own_deployment_is_guaranteed(client: FlaskClient) -> None:
    stream = "---\n".join(p.read_text() for p in sorted(DEPLOY.glob("*.yaml")))
    body = client.post("/v1/effective-resources", data=stream, content_type="application/yaml").get_json()
    [item] = body["items"]
    assert (item["kind"], item["name"], item["pods"]) == ("Deployment", "podcalc", 2)
    assert item["pod"]["qosClass"] == "Guaranteed"
    assert item["pod"]["unboundedLimits"] == []
    assert body["total"]["requests"] == {"cpu": "2", "ephemeral-storage": "128Mi", "memory": "768Mi"}
