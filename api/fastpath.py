"""A WSGI fast path for the plainest requests of the two manifest operations.

Measured under the HTTP benchmark's load (bench/runs/2026-12-02-options.txt), Flask's
dispatch of one ``POST /v1/effective-resources`` (request and response objects, contexts,
hooks) cost the workers about 200 us of CPU a request: as much as the route's own work.
Through Flask, podcalc served 54% of the bare Flask endpoint's requests a second; with
this middleware, 77%, with the same bytes and headers out.

This middleware answers a request that needs nothing of Flask:

- ``POST`` to a path of ``api.views.STREAMS``, with no query string;
- a Content-Type that is exactly one of the media types the API reads (no parameters);
- a Content-Length within ``MAX_CONTENT_LENGTH``;
- no Origin header (CORS stays with Flask's hook).

Its answer comes from ``api.views.answer_stream``, the function the views answer with.
It sits inside the request-id and security-header middleware, so its answers carry the
same headers, and it counts them in the same metrics. Whatever goes wrong (an invalid
body, a pod the API server would refuse, a limit reached, a bug), the request goes to
Flask with the body already read, and the view answers it as if there were no fast path:
errors have one renderer, ``api.problems``. ``PODCALC_FAST_PATH=false`` turns it off.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from api.intake import JSON_TYPES, YAML_TYPES
from api.observability import count
from api.views import STREAMS, answer_stream

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
        mimetype = environ.get("CONTENT_TYPE", "")
        length = environ.get("CONTENT_LENGTH", "")
        if (
            answer is None
            or environ.get("REQUEST_METHOD") != "POST"
            or environ.get("QUERY_STRING")
            or "HTTP_ORIGIN" in environ
            or mimetype not in MEDIA_TYPES
            or not (length.isascii() and length.isdigit())
        ):
            return self.wsgi_app(environ, start_response)
        most = self.app.config["MAX_CONTENT_LENGTH"]
        if most is not None and int(length) > most:
            return self.wsgi_app(environ, start_response)  # Flask's 413
        size = int(length)
        data = environ["wsgi.input"].read(size)
        body = self._answer(answer, data, mimetype) if len(data) == size else None  # short: werkzeug's 400
        if body is None:  # the view answers instead, with the error as it renders it
            environ["wsgi.input"] = io.BytesIO(data)
            return self.wsgi_app(environ, start_response)
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        count(path, "POST", 200, environ)
        return [body]

    def _answer(self, answer: Callable[..., Any], data: bytes, mimetype: str) -> bytes | None:
        """The response body, or None when answering fails in any way."""
        try:
            return answer_stream(answer, data, mimetype, {}, self.app.extensions["podcalc.limits"])
        except Exception:
            return None
