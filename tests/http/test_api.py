"""The HTTP API through the Flask test client; every response is also checked against openapi.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import create_app
from tests.conftest import contract_app

ROOT = Path(__file__).resolve().parents[2]
EFFECTIVE = "/v1/effective-resources"


def pod(spec: dict[str, Any], name: str = "p", namespace: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name} | ({"namespace": namespace} if namespace else {})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def res(requests: dict[str, Any] | None = None, limits: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"requests": requests or {}, "limits": limits or {}}


def only_pod(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_json()
    items = response.get_json()["items"]
    assert len(items) == 1
    return dict(items[0]["pod"])


# The two examples of the sidecar documentation (../shared/reference/sidecar-containers.md),
# with resources added.
DEPLOYMENT_POD = pod(
    {
        "containers": [
            {
                "name": "myapp",
                "image": "alpine:latest",
                "command": ["sh", "-c", "while true; do echo 'logging' >> /opt/logs.txt; sleep 1; done"],
                "volumeMounts": [{"name": "data", "mountPath": "/opt"}],
                "resources": res({"cpu": "250m", "memory": "64Mi"}, {"cpu": "500m", "memory": "128Mi"}),
            },
            {
                "name": "logshipper",
                "image": "alpine:latest",
                "command": ["sh", "-c", "tail -F /opt/logs.txt"],
                "volumeMounts": [{"name": "data", "mountPath": "/opt"}],
                "resources": res({"cpu": "50m", "memory": "32Mi"}, {"cpu": "100m", "memory": "64Mi"}),
            },
        ],
        "volumes": [{"name": "data", "emptyDir": {}}],
    },
    name="myapp-798fd568bd-2nrxj",
)

JOB_POD = pod(
    {
        "containers": [
            {
                "name": "myjob",
                "image": "alpine:latest",
                "command": ["sh", "-c", 'echo "logging" > /opt/logs.txt'],
                "resources": res({"cpu": "250m", "memory": "64Mi"}, {"cpu": "500m", "memory": "128Mi"}),
            }
        ],
        "initContainers": [
            {
                "name": "logshipper",
                "image": "alpine:latest",
                "restartPolicy": "Always",
                "command": ["sh", "-c", "tail -F /opt/logs.txt"],
                "resources": res({"cpu": "50m", "memory": "32Mi"}, {"cpu": "100m", "memory": "64Mi"}),
            },
            {
                "name": "fetch",
                "image": "alpine:latest",
                "resources": res({"cpu": "1", "memory": "16Mi"}, {"cpu": "1", "memory": "16Mi"}),
            },
        ],
        "restartPolicy": "Never",
        "volumes": [{"name": "data", "emptyDir": {}}],
    },
    name="myjob-x7k2p",
    namespace="batch",
)


def test_sidecar_docs_deployment_pod(client: FlaskClient) -> None:
    response = client.post(EFFECTIVE, json=DEPLOYMENT_POD)
    item = response.get_json()["items"][0]
    assert (item["kind"], item["name"], item["namespace"]) == ("Pod", "myapp-798fd568bd-2nrxj", None)
    result = only_pod(response)
    assert result["requests"] == {"cpu": "300m", "memory": "96Mi"}
    assert result["limits"] == {"cpu": "600m", "memory": "192Mi"}
    assert result["unboundedLimits"] == ["ephemeral-storage"]
    assert result["qosClass"] == "Burstable"
    assert [p["id"] for p in result["phases"]] == ["running"]
    assert result["phases"][0]["running"] == ["myapp", "logshipper"]


def test_sidecar_docs_job_pod_with_an_init_step(client: FlaskClient) -> None:
    result = only_pod(client.post(EFFECTIVE, json=JOB_POD))
    # running: myjob + logshipper = 300m / 96Mi; init "fetch" runs beside logshipper: 1050m / 48Mi
    assert result["requests"] == {"cpu": "1050m", "memory": "96Mi"}
    assert result["limits"] == {"cpu": "1100m", "memory": "192Mi"}
    assert result["determinedBy"] == {
        "requests": {"cpu": "init:fetch", "memory": "running"},
        "limits": {"cpu": "init:fetch", "memory": "running"},
    }
    assert [(p["id"], p["kind"], p["running"], p["requests"]) for p in result["phases"]] == [
        ("sidecar:logshipper", "sidecarStart", ["logshipper"], {"cpu": "50m", "memory": "32Mi"}),
        ("init:fetch", "init", ["logshipper", "fetch"], {"cpu": "1050m", "memory": "48Mi"}),
        ("running", "running", ["myjob", "logshipper"], {"cpu": "300m", "memory": "96Mi"}),
    ]
    assert [(c["name"], c["type"]) for c in result["containers"]] == [
        ("myjob", "container"),
        ("logshipper", "sidecar"),
        ("fetch", "initContainer"),
    ]
    assert result["qosClass"] == "Burstable"


def test_guaranteed_pod_with_overhead_and_defaulted_requests(client: FlaskClient) -> None:
    spec = {
        "containers": [
            {"name": "app", "resources": {"limits": {"cpu": "2", "memory": "4Gi", "ephemeral-storage": "1Gi"}}}
        ],
        "initContainers": [
            {"name": "proxy", "restartPolicy": "Always", "resources": {"limits": {"cpu": "500m", "memory": "512Mi"}}}
        ],
        "overhead": {"cpu": "250m", "memory": "120Mi"},
    }
    result = only_pod(client.post(EFFECTIVE, json=spec))
    assert result["qosClass"] == "Guaranteed"
    assert result["requests"] == {"cpu": "2750m", "ephemeral-storage": "1Gi", "memory": "4728Mi"}
    assert result["limits"] == {"cpu": "2750m", "ephemeral-storage": "1Gi", "memory": "4728Mi"}
    assert result["unboundedLimits"] == ["ephemeral-storage"]  # the sidecar has no storage limit
    assert result["overhead"] == {"cpu": "250m", "memory": "120Mi"}
    assert result["containers"][0]["requestsFromLimits"] == ["cpu", "ephemeral-storage", "memory"]


def test_pod_level_resources(client: FlaskClient) -> None:
    spec = {
        "resources": {"limits": {"cpu": "4", "memory": "8Gi"}},
        "containers": [{"name": "a", "resources": res({"cpu": "1", "memory": "1Gi"})}, {"name": "b"}],
    }
    result = only_pod(client.post(EFFECTIVE, json=spec))
    assert result["requests"] == {"cpu": "1", "memory": "1Gi"}
    assert result["limits"] == {"cpu": "4", "memory": "8Gi"}
    assert result["podResources"] == {
        "requests": {"cpu": "1", "memory": "1Gi"},
        "limits": {"cpu": "4", "memory": "8Gi"},
        "defaultedRequests": ["cpu", "memory"],
        "defaultedLimits": [],
    }
    assert result["determinedBy"]["requests"] == {"cpu": "podResources", "memory": "podResources"}
    assert result["qosClass"] == "Burstable"
    assert result["unboundedLimits"] == ["ephemeral-storage"]


@pytest.mark.parametrize(
    ("resource", "written", "expected"),
    [
        ("cpu", "0.1", "100m"),  # a JSON number is read as written, never through a float
        ("cpu", "0.3", "300m"),
        ("cpu", "0.1000000001", "101m"),  # 100000000.1n rounds up to 100000001n, then to 101m
        ("cpu", "1e3", "1e3"),
        ("cpu", "2", "2"),
        ("cpu", '" 500m "', "500m"),  # manifests tolerate surrounding whitespace
        ("cpu", '"1n"', "1m"),  # the API server rounds up to milli
        ("memory", '"1.5 GiB"', "1536Mi"),
        ("memory", "128974848", "128974848"),
        ("cpu", "1.500", "1.500"),  # JSON hands Kubernetes the literal, which it keeps
        ("cpu", '"1.500"', "1.500"),
        ("cpu", "null", "0"),  # Quantity.UnmarshalJSON reads null as zero
    ],
)
def test_quantity_forms_in_a_manifest(client: FlaskClient, resource: str, written: str, expected: str) -> None:
    body = '{"containers": [{"name": "a", "resources": {"requests": {"' + resource + '": ' + written + "}}}]}"
    response = client.post(EFFECTIVE, data=body, content_type="application/json")
    assert only_pod(response)["requests"] == {resource: expected}


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    return dict(body)


def pointers(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["pointer"], e["detail"]) for e in body["errors"]]


INVALID_BODIES = [
    (
        "a bad quantity named at its pointer",
        pod({"containers": [{"name": "a"}, {"name": "b", "resources": {"limits": {"memory": "1.5 GB B"}}}]}),
        [("/spec/containers/1/resources/limits/memory", "not of the form <number><suffix>")],
    ),
    (
        "a unit of the wrong kind",
        {"containers": [{"name": "a", "resources": {"requests": {"cpu": "2 GiB"}}}]},
        [("/containers/0/resources/requests/cpu", "is an amount of bytes, but cpu takes cores")],
    ),
    (
        "a request above its limit (after defaulting)",
        pod({"containers": [{"name": "a", "resources": res({"cpu": "2"}, {"cpu": "1"})}]}),
        [("/spec/containers/0/resources/requests/cpu", "must be less than or equal to cpu limit of 1")],
    ),
    (
        "an extended resource name is escaped in the pointer",
        {"containers": [{"name": "a", "resources": res({"nvidia.com/gpu": "1"}, {"nvidia.com/gpu": "2"})}]},
        [("/containers/0/resources/requests/nvidia.com~1gpu", "must be equal to nvidia.com/gpu limit of 2")],
    ),
    (
        "a boolean is not a quantity",
        {"containers": [{"name": "a", "resources": {"requests": {"cpu": True}}}]},
        [("/containers/0/resources/requests/cpu", "must be a quantity")],
    ),
    (
        "resources must be an object",
        {"containers": [{"name": "a", "resources": {"requests": ["1"]}}]},
        [("/containers/0/resources/requests", "must be an object mapping resource names to quantities")],
    ),
    (
        "containers are required",
        pod({"initContainers": []}),
        [("/spec/containers", "Missing data for required field.")],
    ),
    ("at least one container", {"containers": []}, [("/containers", "a pod needs at least one container")]),
    ("containers is a list", {"containers": {"name": "a"}}, [("/containers", "Not a valid list.")]),
    (
        "container names are unique across containers and init containers",
        {"containers": [{"name": "a"}], "initContainers": [{"name": "a"}]},
        [("/initContainers/0/name", "Duplicate value: 'a'")],
    ),
    (
        "an init container's restartPolicy can only be Always",
        {"containers": [{"name": "a"}], "initContainers": [{"name": "i", "restartPolicy": "OnFailure"}]},
        [("/initContainers/0/restartPolicy", 'Unsupported value: "OnFailure"')],
    ),
    (
        "a Deployment without a pod template",
        {"kind": "Deployment", "spec": {}},
        [("/spec/template", "a Deployment needs an object here")],
    ),
    ("not an object", [1, 2], [("", "expected an object")]),
    (
        "containers need a name, as the API server requires",
        {"containers": [{}]},
        [("/containers/0/name", "Missing data")],
    ),
    ("an empty name", {"containers": [{"name": ""}]}, [("/containers/0/name", "Required value")]),
    (
        "an integer too long to be a quantity",
        {"containers": [{"name": "a", "resources": {"limits": {"cpu": 10**4000}}}]},
        [("/containers/0/resources/limits/cpu", "the limit is 256 (PODCALC_MAX_QUANTITY_LENGTH)")],
    ),
    (
        "a quantity too long to read is refused at once",
        {"containers": [{"name": "a", "resources": {"limits": {"cpu": "1" * 100_000 + "!"}}}]},
        [("/containers/0/resources/limits/cpu", "the limit is 256 (PODCALC_MAX_QUANTITY_LENGTH)")],
    ),
    ("a Pod without a spec", {"kind": "Pod"}, [("/spec", "a Pod needs an object here")]),
    (
        "a non-string name",
        {"kind": "Pod", "metadata": {"name": 5}, "spec": {}},
        [("/metadata/name", "must be a string")],
    ),
    (
        "shape errors are reported before the API server's rules are checked",
        {
            "containers": [
                {"name": "a", "resources": res({"cpu": "-1"}, {"memory": "1i"})},
                {"name": "b", "resources": {"requests": {"gpu": "1"}}},
            ]
        },
        [
            ("/containers/0/resources/limits/memory", "unknown suffix 'i'"),
        ],
    ),
]


@pytest.mark.parametrize(("name", "body", "expected"), INVALID_BODIES, ids=[c[0] for c in INVALID_BODIES])
def test_invalid_input_is_422_naming_each_field(
    client: FlaskClient, name: str, body: Any, expected: list[tuple[str, str]]
) -> None:
    result = problem(client.post(EFFECTIVE, json=body), 422)
    assert result["type"] == "urn:podcalc:problem:invalid-input"
    assert result["instance"] == EFFECTIVE
    found = pointers(result)
    assert [p for p, _ in found] == [p for p, _ in expected]
    for (_, detail), (_, fragment) in zip(found, expected, strict=True):
        assert fragment in detail


def test_rule_violations_are_all_listed(client: FlaskClient) -> None:
    body = {
        "containers": [
            {"name": "a", "resources": res({"cpu": "-1"}, {"memory": "1Gi"})},
            {"name": "b", "resources": {"requests": {"gpu": "1"}}},
        ]
    }
    assert pointers(problem(client.post(EFFECTIVE, json=body), 422)) == [
        ("/containers/0/resources/requests/cpu", "must be greater than or equal to 0"),
        (
            "/containers/1/resources/requests/gpu",
            "must be a standard resource for containers (cpu, memory, ephemeral-storage, hugepages-<size>)",
        ),
    ]


@pytest.mark.parametrize(
    ("data", "content_type", "status", "detail"),
    [
        ('{"containers": [', "application/json", 400, "Expecting value at line 1 column 17"),
        ("", "application/json", 400, "the request body is empty"),
        ('{"containers": [{"name": "a", "resources": {"requests": {"cpu": NaN}}}]}', "application/json", 400, "NaN"),
        ("[" * 50000, "application/json", 413, "values nested more than 64 levels deep"),
        (b"\xff\xfe", "application/json", 400, "not UTF-8"),
        ('{"containers": []}', "text/plain", 415, "Content-Type 'text/plain' is not supported"),
        ('{"containers": []}', None, 415, "is not supported"),
    ],
)
def test_malformed_requests(client: FlaskClient, data: Any, content_type: str | None, status: int, detail: str) -> None:
    body = problem(client.post(EFFECTIVE, data=data, content_type=content_type), status)
    assert detail in body["detail"]


def test_body_too_large_is_413() -> None:
    body = problem(contract_app(MAX_CONTENT_LENGTH=64).test_client().post(EFFECTIVE, json=DEPLOYMENT_POD), 413)
    assert body["title"] == "Request Entity Too Large"


def test_unknown_route_and_wrong_method(client: FlaskClient) -> None:
    assert problem(client.get("/v2/nothing"), 404)["title"] == "Not Found"
    response = client.get(EFFECTIVE)
    assert problem(response, 405)["title"] == "Method Not Allowed"
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


QUANTITIES = [
    (
        "value=1.5Gi",
        {"canonical": "1536Mi", "format": "BinarySI", "value": "1610612736", "baseUnit": None, "stored": "1536Mi"},
    ),
    ("value=0.5", {"canonical": "500m", "format": "DecimalSI", "value": "0.5"}),
    ("value=1000m", {"canonical": "1"}),
    ("value=12e-1", {"canonical": "1200e-3", "format": "DecimalExponent", "value": "1.2"}),
    ("value=129e6", {"canonical": "129e6", "value": "129000000"}),
    ("value=1n", {"canonical": "1n", "value": "0.000000001", "stored": "1m"}),
    (
        "value=1.5Gi&resource=memory&unit=GiB",
        {"baseUnit": "bytes", "unit": "GiB", "inUnit": "1.5", "inUnitExact": True},
    ),
    ("value=1G&unit=GiB", {"baseUnit": "bytes", "inUnit": "0.931322574615478515625", "inUnitExact": True}),
    ("value=250m&resource=cpu&unit=millicores", {"baseUnit": "cores", "inUnit": "250"}),
    ("value=1.5%20GiB&resource=memory", {"canonical": "1536Mi", "value": "1610612736"}),
    ("value=250%20millicores", {"canonical": "250m", "baseUnit": "cores"}),
    ("value=2&resource=nvidia.com/gpu", {"canonical": "2", "baseUnit": "count"}),
]


@pytest.mark.parametrize(("query", "expected"), QUANTITIES, ids=[q[0] for q in QUANTITIES])
def test_quantity_endpoint(client: FlaskClient, query: str, expected: dict[str, Any]) -> None:
    response = client.get(f"/v1/quantity?{query}")
    assert response.status_code == 200
    body = response.get_json()
    assert {k: body[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("query", "parameter", "detail"),
    [
        ("", "value", "required"),
        ("value=%201", "value", "surrounding whitespace is not allowed"),
        ("value=1i", "value", "unknown suffix 'i'"),
        ("value=3%20furlongs", "value", "nor is it a unit expression: unknown unit"),
        ("value=1.5%20GiB&resource=cpu", "value", "is an amount of bytes, but cpu takes cores"),
        ("value=1Gi&resource=memory&unit=cores", "unit", "is a unit of cores, but this resource is counted in bytes"),
        ("value=1Gi&unit=parsecs", "unit", "unknown unit"),
        ("value=1e20", "value", "larger than the largest quantity"),
        ("value=1&unit=10**10**10", "unit", "a unit is a single name"),  # never reaches pint's evaluator
        ("value=1&unit=1/0", "unit", "a unit is a single name"),
        ("value=" + "1" * 8000 + "!", "value", "longer than 256 characters"),
    ],
)
def test_quantity_endpoint_errors(client: FlaskClient, query: str, parameter: str, detail: str) -> None:
    body = problem(client.get(f"/v1/quantity?{query}"), 400)
    assert body["errors"][0]["parameter"] == parameter
    assert detail in body["errors"][0]["detail"]


def test_healthz_and_contract_are_served(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    response = client.get("/openapi.yaml")
    assert response.mimetype == "application/yaml"
    assert response.data == (ROOT / "openapi.yaml").read_bytes()


def test_app_factory_reads_defaults_environment_and_config(monkeypatch: pytest.MonkeyPatch) -> None:
    assert create_app().config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    monkeypatch.setenv("PODCALC_MAX_CONTENT_LENGTH", "2048")
    assert create_app().config["MAX_CONTENT_LENGTH"] == 2048
    assert create_app({"MAX_CONTENT_LENGTH": 10}).config["MAX_CONTENT_LENGTH"] == 10
    assert not create_app().testing


# ---- no input, however malformed, produces a 500 -------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
quantity_like = st.one_of(
    st.text(max_size=12), st.from_regex(r"[+-]?[0-9]{0,4}(\.[0-9]{0,3})?[numkMGTPEi]{0,2}", fullmatch=True)
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    where=st.sampled_from(["body", "spec", "container", "resources", "requests", "quantity"]),
    value=json_values,
    quantity=quantity_like,
    name=st.sampled_from(["cpu", "memory", "nvidia.com/gpu", "hugepages-2Mi", "bad name", "x/y/z"]),
)
def test_no_input_produces_a_500(app: Flask, where: str, value: Any, quantity: str, name: str) -> None:
    client = app.test_client()
    bodies = {
        "body": value,
        "spec": {"kind": "Pod", "spec": value},
        "container": {"containers": [value]},
        "resources": {"containers": [{"name": "a", "resources": value}]},
        "requests": {"containers": [{"name": "a", "resources": {"requests": value, "limits": value}}]},
        "quantity": {
            "containers": [{"name": "a", "resources": {"requests": {name: quantity}, "limits": {name: quantity}}}]
        },
    }
    response = client.post(EFFECTIVE, data=json.dumps(bodies[where]), content_type="application/json")
    assert response.status_code in (200, 400, 422), response.get_json()
    got = client.get("/v1/quantity", query_string={"value": quantity, "resource": name, "unit": quantity})
    assert got.status_code in (200, 400)
