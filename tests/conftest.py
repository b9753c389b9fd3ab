"""Fixtures: the app, and a test client that checks every response against openapi.yaml.

tests/ has one folder per layer (calc, manifests, http, cli, browser, project); every test
carries its folder's name as a marker, so ``pytest -m calc`` (``make unit LAYER=calc``) runs
one layer alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from werkzeug.test import TestResponse

from api import create_app

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
LAYERS = ("calc", "manifests", "http", "cli", "browser", "project")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its layer: the folder of tests/ it stands in."""
    for item in items:
        layer = item.path.relative_to(TESTS).parts[0]
        assert layer in LAYERS, f"{item.path}: every test lives in a layer's folder {LAYERS}"
        item.add_marker(getattr(pytest.mark, layer))


def _yaml_text(data: bytes) -> object:
    """A YAML body, parsed as the contract describes it."""
    return yaml.safe_load(data)


CONTRACT = OpenAPI.from_file_path(
    str(ROOT / "openapi.yaml"),
    config=Config(
        extra_media_type_deserializers={
            "application/problem+json": json.loads,
            "application/yaml": _yaml_text,
            # the dashboard's assets (openapi-core knows text/html and text/plain already)
            "text/css": bytes.decode,
            "text/javascript": bytes.decode,
            "image/svg+xml": bytes.decode,
        }
    ),
)
PROBLEM = Draft202012Validator(yaml.safe_load((ROOT / "openapi.yaml").read_text())["components"]["schemas"]["Problem"])


class _SentRequest(WerkzeugOpenAPIRequest):
    """The request as sent; its body was consumed by the app and is not needed to check a response."""

    @property
    def body(self) -> bytes | None:
        return None


class ContractClient(FlaskClient):
    """Every response must be one that openapi.yaml describes (so every API test is a contract test)."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        response = super().open(*args, **kwargs)
        if response.request.method == "OPTIONS":  # Flask's automatic answer: CORS preflight, Allow
            assert response.status_code == 200
            return response
        request = _SentRequest(response.request)
        try:
            CONTRACT.validate_response(request, WerkzeugOpenAPIResponse(response))
        except (PathNotFound, OperationNotFound):
            # outside the operations: an unknown URL (404) or method (405), still a Problem
            assert response.status_code in (404, 405)
            assert response.mimetype == "application/problem+json"
            PROBLEM.validate(response.get_json())
        return response


def contract_app(**config: Any) -> Flask:
    """The app with ``config``, its test client checking every response against the contract."""
    app = create_app({"TESTING": True, **config})
    app.test_client_class = ContractClient
    return app


@pytest.fixture
def app() -> Flask:
    return contract_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
