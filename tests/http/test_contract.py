"""openapi.yaml is a valid OpenAPI 3.1 document and describes exactly the app's routes."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from flask import Flask
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "openapi.yaml").read_text())


def test_the_contract_is_a_valid_openapi_31_document() -> None:
    assert SPEC["openapi"].startswith("3.1")
    validate(SPEC)


def _openapi_path(rule: str) -> str:
    """Flask's ``/static/<name>`` (or ``<converter:name>``) as OpenAPI writes it: ``/static/{name}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_every_route_is_an_operation_and_every_operation_a_route(app: Flask) -> None:
    # Every route, with no exception for Flask's static endpoint: the app has none, and the
    # dashboard's assets are an operation like any other.
    routes = {
        (_openapi_path(rule.rule), method.lower(), rule.endpoint)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    operations = {
        (path, method, operation["operationId"])
        for path, item in SPEC["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert routes == operations


def test_every_problem_response_is_a_problem() -> None:
    """Every error the application answers is a Problem; 414 is gunicorn's, before the app."""
    for item in SPEC["paths"].values():
        for operation in item.values():
            assert operation["responses"]["414"] == {"$ref": "#/components/responses/UriTooLong"}
            for status, response in operation["responses"].items():
                if int(status) >= 400 and status != "414":
                    ref = response["$ref"].rsplit("/", 1)[-1]
                    content = SPEC["components"]["responses"][ref]["content"]
                    assert list(content) == ["application/problem+json"]
