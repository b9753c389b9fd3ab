"""podcalc's HTTP API: the Flask app factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from api import dashboard, observability, problems, views
from calc.units import registry
from podcalc.reading.limits import DEFAULT_LIMITS, Limits

DEFAULTS: dict[str, Any] = {
    # Largest request body accepted, in bytes (413 beyond). PODCALC_MAX_CONTENT_LENGTH.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Origins allowed to call from a browser (comma-separated, or *); none by default.
    "CORS_ORIGINS": "",
    # Limits of one request (413 beyond), each PODCALC_MAX_<NAME>: see podcalc.reading.limits.Limits.
    **{key: getattr(DEFAULT_LIMITS, field) for field, key in Limits.config_keys().items()},
    # The contract served at /openapi.yaml.
    "OPENAPI_PATH": str(Path(__file__).resolve().parent.parent / "openapi.yaml"),
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then PODCALC_* environment variables, then ``config``."""
    registry()  # pint's registry built once per worker, before the first unit-aware request
    # No app-wide static route: the dashboard's blueprint serves its assets by name.
    app = Flask(__name__, static_folder=None)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("PODCALC")
    if config:
        app.config.from_mapping(config)
    if isinstance(app.json, DefaultJSONProvider):  # Flask's own provider, which the app keeps
        app.json.sort_keys = False
    app.extensions["podcalc.limits"] = Limits.from_config(app.config)
    app.register_blueprint(views.bp)
    app.register_blueprint(dashboard.bp)
    observability.register(app)
    problems.register(app)
    return app
