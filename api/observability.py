"""What every response carries and what operators see: request ids, security headers,
CORS (off unless configured), Prometheus metrics, structured JSON logs.

Metrics work under several gunicorn workers through prometheus-client's multiprocess
mode: ``gunicorn.conf.py`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory
before the workers start, and ``/metrics`` aggregates every worker's files.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flask import Flask, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

REQUEST_ID = "X-Request-ID"
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}

REQUESTS = Counter("podcalc_http_requests", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "podcalc_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_SECURITY = [(name.lower(), name, value) for name, value in SECURITY_HEADERS.items()]


@lru_cache(maxsize=1024)  # routes x methods x statuses: a few dozen children, looked up once each
def _counter(route: str, method: str, status: int) -> Any:
    return REQUESTS.labels(route, method, str(status))


@lru_cache(maxsize=256)
def _latency(route: str, method: str) -> Any:
    return LATENCY.labels(route, method)


def count(route: str, method: str, status: int, environ: dict[str, Any]) -> None:
    """One answered request in the metrics: its route's rule, method, status and duration."""
    _counter(route, method, status).inc()
    started = environ.get("podcalc.started", time.perf_counter())
    _latency(route, method).observe(time.perf_counter() - started)


def _route() -> str:
    """The route's rule (``/v1/quantity``), never the raw path: unknown paths share one label."""
    return request.url_rule.rule if request.url_rule is not None else "(unmatched)"


class _ResponseHeaders:
    """WSGI middleware: the request id and the security headers on every response, 500s
    included, appended to the header list as it goes out rather than set through werkzeug's
    ``Headers``, which checks every value (hot path: every response)."""

    def __init__(self, wsgi_app: Callable[..., Any]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ["podcalc.started"] = time.perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _SAFE_ID.fullmatch(incoming) else os.urandom(16).hex()  # uuid4's 32 hex digits

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            headers = [h for h in headers if h[0].lower() != "x-request-id"]
            headers.append((REQUEST_ID, request_id))
            headers += [(name, value) for lower, name, value in _SECURITY if lower not in present]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def register(app: Flask) -> None:
    """Install the request-id, header, CORS and metrics hooks on ``app``."""
    origins = app.config["CORS_ORIGINS"]
    allowed = {o.strip() for o in origins.split(",") if o.strip()} if isinstance(origins, str) else set(origins)
    app.wsgi_app = _ResponseHeaders(app.wsgi_app)  # type: ignore[method-assign]

    @app.after_request
    def _finish(response: Response) -> Response:
        environ = request.environ  # read once: each use of the request proxy costs a lookup
        origin = environ.get("HTTP_ORIGIN")
        method = environ.get("REQUEST_METHOD", "GET").upper()  # as request.method reads it
        if origin and ("*" in allowed or origin in allowed):
            response.headers["Access-Control-Allow-Origin"] = "*" if "*" in allowed else origin
            response.headers["Access-Control-Expose-Headers"] = REQUEST_ID
            response.headers.add("Vary", "Origin")
            if method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
                response.headers["Access-Control-Allow-Headers"] = f"Content-Type, {REQUEST_ID}"
                response.headers["Access-Control-Max-Age"] = "600"
        # a label per method a client makes up would grow the series without end
        count(_route(), method if method in _METHODS else "other", response.status_code, environ)
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        """Prometheus metrics of every worker."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            body = generate_latest(registry)
        else:
            body = generate_latest()
        return Response(body, mimetype=CONTENT_TYPE_LATEST.split(";")[0], content_type=CONTENT_TYPE_LATEST)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)
