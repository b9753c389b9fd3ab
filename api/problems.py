"""Every error the API returns, as ``application/problem+json`` (RFC 9457), made in one place.

A problem has ``type``, ``title``, ``status``, ``detail`` and ``instance`` (the request
path); input errors add ``errors``, each naming the bad field by JSON pointer (``pointer``,
into the body) or by query parameter (``parameter``), with what was wrong (``detail``).

The use cases raise ``podcalc.errors.InputError``s, which carry no status: ``STATUSES`` maps
each class to one here, and nowhere else. A ``calc.errors.CalcError`` that reaches a view
unlocated (a rule refusing a value no reader checked) is bad input too: a 422.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from calc.errors import CalcError
from podcalc.errors import InputError, InvalidError, MalformedError, ParameterError, TooLargeError

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:podcalc:problem:"


# The status of each kind of bad input; the most specific class listed wins.
STATUSES: dict[type[InputError], int] = {
    MalformedError: 400,
    ParameterError: 400,
    TooLargeError: 413,
    InvalidError: 422,
    InputError: 422,
}


def status_of(err: InputError) -> int:
    """The HTTP status of an application error: its class's, or its nearest base's."""
    return next(STATUSES[cls] for cls in type(err).__mro__ if cls in STATUSES)


class ProblemError(Exception):
    """An error only HTTP has (a media type the view does not take): status, title, detail."""

    def __init__(self, status: int, title: str, detail: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors


def _slug(title: str) -> str:
    return title.lower().replace(" ", "-")


def problem_response(status: int, title: str, detail: str, errors: list[dict[str, Any]] | None = None) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + _slug(title),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors is not None:
        body["errors"] = errors
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)


def register(app: Flask) -> None:
    """Route every error of ``app`` through ``problem_response``."""
    log = logging.getLogger(__name__)

    @app.errorhandler(ProblemError)
    def _problem(err: ProblemError) -> Response:
        return problem_response(err.status, err.title, err.detail, err.errors)

    @app.errorhandler(InputError)
    def _input(err: InputError) -> Response:
        return problem_response(status_of(err), err.title, err.detail, err.errors)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        status = err.code or 500
        response = problem_response(status, err.name, err.description or err.name)
        if status == 405 and err.get_response().headers.get("Allow"):
            response.headers["Allow"] = err.get_response().headers["Allow"]
        return response

    @app.errorhandler(CalcError)
    def _calc(err: CalcError) -> Response:
        return problem_response(422, "Invalid input", str(err))

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(500, "Internal Server Error", "an unexpected error occurred; it has been logged")
