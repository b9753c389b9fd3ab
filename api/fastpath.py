"""A WSGI fast path for the plainest requests of the two manifest operations.

Measured under the HTTP benchmark's load (bench/runs/2026-12-02-options.txt), Flask's
dispatch of one ``POST /v1/effective-resources`` (request and response objects, contexts,
hooks) cost the workers 150-200 us of CPU a request (148 us for a hello endpoint, 203 us
for this route): as much as the route's own work. Through Flask, podcalc served 54% of
the bare Flask endpoint's requests a second; with this middleware, 77%.

This middleware answers a request that needs nothing of Flask:

- ``POST`` to a path of ``api.views.STREAMS``, with no query string;
- a Content-Type that is exactly one of the media types the API reads (no parameters);
- a Content-Length within ``MAX_CONTENT_LENGTH``;
- no Origin header (CORS stays with Flask's hook), no Transfer-Encoding;
- no ``TRUSTED_HOSTS`` to check.

Its answer comes from ``api.views.answer_stream``, the function the views answer with.
It sits inside the request-id and security-header middleware, so its answers carry the
same headers, and it counts them in the same metrics. When answering fails (an invalid
body, a pod the API server would refuse, a limit reached, a bug), the request goes on to
the view with the exception, and the view raises it without computing anything again:
Flask's handlers render, log and count it (``api.problems``) as if the view had met it.
``PODCALC_FAST_PATH=false`` turns it off.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from api.intake import JSON_TYPES, YAML_TYPES
from api.observability import count
from api.views import FAILED, STREAMS, answer_stream

if TYPE_CHECKING:
    from flask import Flask

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
MEDIA_TYPES = JSON_TYPES | YAML_TYPES


class FastPath:
    """WSGI middleware: the plainest stream requests answered here, the rest by ``wsgi_app``."""

    def __init__(self, app: Flask, wsgi_app: WSGIApp) -> None:
        self.app = app  # its config and limits are read at each request, as the views read them
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        answer = STREAMS.get(path)
        length = environ.get("CONTENT_LENGTH", "")
        config = self.app.config
        if (
            answer is None
            or environ.get("REQUEST_METHOD") != "POST"
            or environ.get("QUERY_STRING")
            or "HTTP_ORIGIN" in environ
            or "HTTP_TRANSFER_ENCODING" in environ  # the length is werkzeug's to weigh
            or environ.get("CONTENT_TYPE") not in MEDIA_TYPES
            or not (length.isascii() and length.isdigit() and len(length) <= 18)
            or config["TRUSTED_HOSTS"]  # Flask checks the Host header first
        ):
            return self.wsgi_app(environ, start_response)
        size, most = int(length), config["MAX_CONTENT_LENGTH"]
        if most is not None and size > most:
            return self.wsgi_app(environ, start_response)  # Flask's 413
        try:
            data = environ["wsgi.input"].read(size)
        except Exception:  # the view reads it again and meets the error as werkzeug reports it
            return self.wsgi_app(environ, start_response)
        if len(data) < size:  # the client stopped short: the view reads what came, as werkzeug does
            environ["wsgi.input"] = io.BytesIO(data)
            return self.wsgi_app(environ, start_response)
        try:
            body = answer_stream(answer, data, environ["CONTENT_TYPE"], {}, self.app.extensions["podcalc.limits"])
        except Exception as err:  # the view raises it again: rendered, logged and counted by Flask
            environ[FAILED] = err
            return self.wsgi_app(environ, start_response)
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        count(path, "POST", 200, environ)
        return [body]
