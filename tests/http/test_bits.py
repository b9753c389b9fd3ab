"""Units of bits through the API: a 422 at the field, a 400 for the quantity parameter."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_a_manifest_in_megabits_is_refused_at_its_field(client: FlaskClient) -> None:
    container = {"name": "a", "resources": {"requests": {"memory": "512Mb"}}}
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [container]}}
    response = client.post("/v1/effective-resources", json=pod)
    assert response.status_code == 422
    (error,) = response.get_json()["errors"]
    assert error["pointer"] == "/spec/containers/0/resources/requests/memory"
    assert error["detail"].endswith("'Mb' is a unit of bits; Kubernetes counts bytes: write 512Mi or 512M")


def test_the_quantity_parameter_in_bits_is_refused(client: FlaskClient) -> None:
    response = client.get("/v1/quantity?value=128b")
    assert response.status_code == 400
    (error,) = response.get_json()["errors"]
    assert error["parameter"] == "value"
    assert error["detail"].endswith("'b' is a unit of bits; Kubernetes counts bytes: write 128 (bytes)")
    converted = client.get("/v1/quantity?value=1Gi&unit=Mb")
    assert converted.status_code == 400
    assert converted.get_json()["errors"][0]["detail"].endswith("Kubernetes counts bytes: use MiB or MB")
