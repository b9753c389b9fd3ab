"""podcalc's HTTP API: the Flask app factory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from api.intake import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from flask import Flask

DEFAULTS: dict[str, Any] = {
    # Largest request body accepted, in bytes (413 beyond). PODCALC_MAX_CONTENT_LENGTH.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Origins allowed to call from a browser (comma-separated, or *); none by default.
    "CORS_ORIGINS": "",
    # Limits of one request (413 beyond), each PODCALC_MAX_<NAME>: see api.intake.Limits.
    **{key: getattr(DEFAULT_LIMITS, field) for field, key in Limits.config_keys().items()},
    # Answer the plainest POSTs of manifests without Flask's dispatch (api.fastpath).
    # PODCALC_FAST_PATH=false sends every request through Flask.
    "FAST_PATH": True,
    # The contract served at /openapi.yaml.
    "OPENAPI_PATH": str(Path(__file__).resolve().parent.parent / "openapi.yaml"),
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then PODCALC_* environment variables, then ``config``.

    Flask and the views are imported here, not with the package: the CLI imports ``api``
    modules and never needs them.
    """
    from flask import Flask

    from api import dashboard, fastpath, observability, problems, views
    from api import schemas as _schemas  # noqa: F401  marshmallow loaded with the app, not on a first bad pod
    from calc.units import registry

    registry()  # pint's registry built once per worker, before the first unit-aware request
    # No app-wide static route: the dashboard's blueprint serves its assets by name.
    app = Flask(__name__, static_folder=None)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("PODCALC")
    if config:
        app.config.from_mapping(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["podcalc.limits"] = Limits.from_config(app.config)
    app.register_blueprint(views.bp)
    app.register_blueprint(dashboard.bp)
    if not isinstance(app.config["FAST_PATH"], bool):
        raise ValueError(f"PODCALC_FAST_PATH must be true or false, not {app.config['FAST_PATH']!r}")
    if app.config["FAST_PATH"]:  # inside observability's middleware: the same headers on its answers
        app.wsgi_app = fastpath.FastPath(app, app.wsgi_app)  # type: ignore[method-assign]
    observability.register(app)
    problems.register(app)
    return app
