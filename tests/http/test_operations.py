"""Running it as a shared service: limits, request ids, security headers, CORS, metrics, probes."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from tests.conftest import contract_app

EFFECTIVE = "/v1/effective-resources"


def client_with(**config: Any) -> FlaskClient:
    return contract_app(**config).test_client()


def pod(containers: int) -> dict[str, Any]:
    return {
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": f"c{i}"} for i in range(containers)]},
    }


@pytest.mark.parametrize(
    ("config", "body", "content_type", "detail"),
    [
        ({"MAX_CONTENT_LENGTH": 100}, json.dumps(pod(5)), "application/json", "The data value transmitted exceeds"),
        ({"MAX_DOCUMENTS": 2}, "a: 1\n---\nb: 2\n---\nc: 3\n", "application/yaml", "3 documents: the limit is 2 (PODCALC_MAX_DOCUMENTS)"),  # noqa: E501
        (
            {"MAX_WORKLOADS": 2},
            json.dumps({"kind": "List", "items": [pod(1), pod(1), pod(1)]}),
            "application/json",
            "3 objects in the request: the limit is 2 (PODCALC_MAX_WORKLOADS)",
        ),
        ({"MAX_CONTAINERS": 3}, json.dumps(pod(4)), "application/json", "4 containers in one pod: the limit is 3 (PODCALC_MAX_CONTAINERS)"),  # noqa: E501
        ({"MAX_DEPTH": 5}, json.dumps({"a": [[[[[[1]]]]]]}), "application/json", "values nested more than 5 levels deep: the limit is 5 (PODCALC_MAX_DEPTH)"),  # noqa: E501
        ({"MAX_NODES": 10}, json.dumps(pod(5)), "application/json", "the body expands to too many values: the limit is 10 (PODCALC_MAX_NODES)"),  # noqa: E501
    ],
    ids=["body", "documents", "workloads", "containers", "depth", "nodes"],
)  # fmt: skip
def test_each_limit_is_413_naming_the_limit(config: dict[str, Any], body: str, content_type: str, detail: str) -> None:
    response = client_with(**config).post(EFFECTIVE, data=body, content_type=content_type)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert detail in response.get_json()["detail"]


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODCALC_MAX_CONTAINERS", "1")
    app = create_app()
    assert app.extensions["podcalc.limits"].containers == 1
    assert app.test_client().post(EFFECTIVE, json=pod(2)).status_code == 413


def test_a_pod_within_the_limits_passes(client: FlaskClient) -> None:
    assert client.post(EFFECTIVE, json=pod(200)).status_code == 200


def test_request_id_is_honoured_or_made(client: FlaskClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "job-42.a:b"}).headers["X-Request-ID"] == "job-42.a:b"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id\u2028"}).headers["X-Request-ID"]
    assert len(made) == 32
    assert made != "bad id"
    assert client.get("/nothing").headers["X-Request-ID"]


@pytest.mark.parametrize("path", ["/healthz", "/v1/quantity?value=1", "/nothing", "/metrics"])
def test_security_headers_on_every_response(client: FlaskClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"


def test_cors_is_off_by_default(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"Origin": "https://dash.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_for_configured_origins() -> None:
    c = client_with(CORS_ORIGINS="https://dash.example, https://ops.example")
    allowed = c.get("/healthz", headers={"Origin": "https://ops.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://ops.example"
    assert "Origin" in allowed.headers["Vary"]
    other = c.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = c.open(EFFECTIVE, method="OPTIONS", headers={"Origin": "https://dash.example"})
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]


def test_metrics_count_requests_by_route_and_status(client: FlaskClient) -> None:
    client.get("/v1/quantity?value=1")
    client.get("/v1/quantity")
    client.get("/no/such/route")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'podcalc_http_requests_total{method="GET",route="/v1/quantity",status="200"}' in text
    assert 'podcalc_http_requests_total{method="GET",route="/v1/quantity",status="400"}' in text
    assert 'podcalc_http_requests_total{method="GET",route="(unmatched)",status="404"}' in text
    assert 'podcalc_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/v1/quantity"}' in text


def test_made_up_methods_share_one_metric_label(client: FlaskClient) -> None:
    for method in ("FROB", "XYZZY"):
        assert client.open("/healthz", method=method).status_code == 405
    text = client.get("/metrics").get_data(as_text=True)
    assert 'podcalc_http_requests_total{method="other",route="(unmatched)",status="405"}' in text
    assert "FROB" not in text
    assert "XYZZY" not in text


def test_readiness(client: FlaskClient) -> None:
    assert client.get("/readyz").get_json() == {"status": "ready", "core": "interpreted"}


def test_json_log_formatter() -> None:
    from api.observability import JsonFormatter

    record = logging.LogRecord("podcalc", logging.ERROR, __file__, 1, "boom %s", ("x",), None)
    line = json.loads(JsonFormatter().format(record))
    assert (line["level"], line["logger"], line["message"]) == ("error", "podcalc", "boom x")


def _access_line(app: Flask, method: str, path: str, headers: dict[str, str]) -> tuple[dict[str, Any], bytes]:
    """The access log line of one request, and the response body: the app answers through
    gunicorn's own Response object, and the project's logger writes the line to a stream
    that takes ASCII only (a stream that is not UTF-8 must not lose lines)."""
    from gunicorn.config import Config
    from gunicorn.http.wsgi import Response
    from werkzeug.test import EnvironBuilder

    from api.gunicorn_logging import JsonLogger

    config = Config()
    config.set("accesslog", "-")
    logger = JsonLogger(config)
    out = io.BytesIO()
    # gunicorn's own handler (pytest may have added capture handlers of its own beside it)
    (handler,) = [h for h in logger.access_log.handlers if type(h) is logging.StreamHandler]
    handler.setStream(io.TextIOWrapper(out, encoding="ascii", write_through=True))
    req = SimpleNamespace(method=method, version=(1, 1), should_close=lambda: False)
    response = Response(cast(Any, req), cast(Any, None), config)  # a stand-in request, no socket
    environ = EnvironBuilder(
        path=path, method=method, json=pod(1), headers=list(headers.items()), environ_base={"REMOTE_ADDR": "10.0.0.7"}
    ).get_environ()
    body = b"".join(app(environ, cast(Any, response.start_response)))
    response.sent = len(body)
    logger.access(response, req, environ, timedelta(microseconds=1500))
    (line,) = out.getvalue().decode("ascii").splitlines()
    return json.loads(line), body


def test_access_log_line_carries_the_request_id(app: Flask) -> None:
    line, body = _access_line(app, "POST", EFFECTIVE, {"X-Request-ID": "job-42", "User-Agent": "dashboard/2"})
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line.pop("time"))
    assert line == {
        "method": "POST",
        "path": EFFECTIVE,
        "status": 200,
        "bytes": len(body),
        "duration_ms": 1.5,
        "request_id": "job-42",
        "remote": "10.0.0.7",
        "user_agent": "dashboard/2",
    }
    made, _ = _access_line(app, "POST", "/nothing", {})
    assert (made["status"], made["path"], made["user_agent"]) == (404, "/nothing", None)
    assert re.fullmatch(r"[0-9a-f]{32}", made["request_id"])


def test_access_log_line_without_a_request_id_header() -> None:
    from bench.hello import app as bare  # an app with no request-id middleware

    line, body = _access_line(bare, "GET", "/hello", {})
    assert (line["status"], line["bytes"], line["request_id"]) == (200, len(body), None)


def test_access_log_line_of_a_non_ascii_header_is_written_escaped(app: Flask) -> None:
    # gunicorn decodes header bytes as latin-1: b"caf\xe9" arrives as "café"
    line, _ = _access_line(app, "POST", EFFECTIVE, {"User-Agent": "caf\xe9 \x85"})
    assert line["user_agent"] == "caf\xe9 \x85"


def test_no_access_line_is_built_when_access_logging_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from gunicorn.config import Config

    import api.gunicorn_logging
    from api.gunicorn_logging import JsonLogger

    logger = JsonLogger(Config())  # gunicorn's defaults: no access log
    monkeypatch.setattr(api.gunicorn_logging, "_line", lambda entry: pytest.fail(f"built {entry}"))
    logger.access(SimpleNamespace(status="200 OK", headers=[], sent=2), None, {}, timedelta(0))


def test_unexpected_errors_are_problems_without_details(app: Flask) -> None:
    @app.get("/explode")
    def explode() -> str:
        raise RuntimeError("secret internals")

    app.test_client_class = FlaskClient  # a route outside the contract, on purpose
    response = app.test_client().get("/explode")
    assert response.status_code == 500
    body = response.get_json()
    assert body["detail"] == "an unexpected error occurred; it has been logged"
    assert "secret" not in response.get_data(as_text=True)


def test_quantity_length_limit_is_reported_at_the_field() -> None:
    body = {"containers": [{"name": "a", "resources": {"requests": {"cpu": "1234567m"}}}]}
    response = client_with(MAX_QUANTITY_LENGTH=5).post(EFFECTIVE, json=body)
    assert response.status_code == 422
    assert response.get_json()["errors"][0] == {
        "document": 0,
        "kind": "PodSpec",
        "name": None,
        "pointer": "/containers/0/resources/requests/cpu",
        "detail": "a quantity of 8 characters: the limit is 5 (PODCALC_MAX_QUANTITY_LENGTH)",
    }
    assert client_with().post(EFFECTIVE, json=body).status_code == 200
