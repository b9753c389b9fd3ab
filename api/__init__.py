"""podcalc's HTTP API: the Flask app factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from api import problems, views

DEFAULTS: dict[str, Any] = {
    # Largest request body accepted, in bytes (413 beyond). PODCALC_MAX_CONTENT_LENGTH.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # The contract served at /openapi.yaml.
    "OPENAPI_PATH": str(Path(__file__).resolve().parent.parent / "openapi.yaml"),
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then PODCALC_* environment variables, then ``config``."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("PODCALC")
    if config:
        app.config.from_mapping(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.register_blueprint(views.bp)
    problems.register(app)
    return app
