"""The capacity dashboard: one page at ``/`` and its assets, calling the same HTTP API.

The page is static (no templates, no build step, nothing from a CDN). It runs under a
Content-Security-Policy of its own that allows same-origin scripts, styles and fetches
and nothing else; every other response keeps the service's ``default-src 'none'``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory

STATIC = Path(__file__).resolve().parent / "static"
# The files the page loads, and their media types (fixed here, not guessed from the
# system's mime.types, so the contract's media types hold on every machine).
ASSETS = {"app.js": "text/javascript", "app.css": "text/css", "favicon.svg": "image/svg+xml"}
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

bp = Blueprint("dashboard", __name__)


def _send(name: str, mimetype: str) -> Response:
    # conditional=False: a whole 200 every time (no 206/304/416 to describe); files are small
    return send_from_directory(STATIC, name, mimetype=mimetype, conditional=False, etag=False)


@bp.get("/")
def index() -> Response:
    """The dashboard page."""
    response = _send("index.html", "text/html")
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    return response


@bp.get("/static/<name>")
def asset(name: str) -> Response:
    """The page's script, stylesheet and icon; any other name is a 404."""
    if name not in ASSETS:
        abort(404)
    return _send(name, ASSETS[name])
