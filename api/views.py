"""The v1 routes: effective resources of manifests, and one quantity explained."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from flask import Blueprint, Request, Response, current_app, request
from werkzeug.local import LocalProxy

from api.params import QUERY, STREAM, load
from api.problems import ProblemError
from calc.units import registry
from podcalc.diff import diff_documents, what_if
from podcalc.effective import Document, describe_quantity, evaluate_documents
from podcalc.errors import InvalidError
from podcalc.live import plan_stream
from podcalc.reading.changes import diff_sides
from podcalc.reading.documents import JSON_TYPES, YAML_TYPES, read_json_object, read_stream
from podcalc.reading.limits import Limits
from podcalc.reading.lines import with_lines
from podcalc.render import encode

bp = Blueprint("v1", __name__)


def _json_response(body: Any) -> Response:
    return Response(encode(body), mimetype="application/json")


# The query's parameters are read as a plain dict, once per request (each use of the request
# proxy is a context lookup): werkzeug's MultiDict raises and catches an exception for every
# parameter it lacks, and most requests have none.


def _args(req: Request) -> dict[str, str]:
    """The query's parameters, the first value of each, as ``request.args.get`` reads them."""
    return req.args.to_dict() if req.query_string else {}


def _stream(answer: Callable[..., Any]) -> Response:
    """The body's documents (JSON or a YAML stream), answered with the query's parameters."""
    req = cast("LocalProxy[Request]", request)._get_current_object()  # the request itself, not its proxy
    params, limits = load(STREAM, _args(req)), _limits()
    params.checked("nodes", "unit")
    media_type = media_type_of(req.mimetype)
    documents = read_stream(req.get_data(), media_type, limits)
    query = params.checked("explain")
    try:
        body = answer((Document(i, v) for i, v in enumerate(documents)), **query, limits=limits)
    except InvalidError as err:
        if media_type in YAML_TYPES:  # a YAML body's problems are given their lines
            raise with_lines(err, {None: req.get_data()}) from None
        raise
    return _json_response(body)


@bp.post("/v1/effective-resources")
def effective_resources() -> Response:
    """Manifests in; each workload's effective resources and the totals out."""
    return _stream(evaluate_documents)


@bp.post("/v1/plan")
def plan() -> Response:
    """Manifests and cluster objects in (or a cluster snapshot and the manifests planned on
    it); admission, quota headroom and node fit out."""
    return _stream(plan_stream)


def _json_body() -> Any:
    """A JSON object body (the two-sided operations take JSON only)."""
    if media_type_of(request.mimetype) != "application/json":
        raise ProblemError(415, "Unsupported Media Type", "this operation takes application/json")
    return read_json_object(request.get_data(), _limits())


def _limits() -> Limits:
    """The app's limits of one request (``Limits``, from its PODCALC_MAX_* settings)."""
    limits: Limits = current_app.extensions["podcalc.limits"]
    return limits


def _query(limits: Limits) -> dict[str, Any]:
    """The query parameters the two-sided operations take, checked, and the app's limits."""
    return load(QUERY, _args(request)).checked("nodes", "unit") | {"limits": limits}


@bp.post("/v1/diff")
def diff() -> Response:
    """Two manifest sets (before, after): the change per workload, namespace and in total."""
    body, limits = _json_body(), _limits()
    before, after = diff_sides(body, limits)
    return _json_response(diff_documents(before, after, **_query(limits)))


@bp.post("/v1/what-if")
def what_if_view() -> Response:
    """Manifests and changes to named workloads: the manifests before and after, compared."""
    return _json_response(what_if(_json_body(), **_query(_limits())))


@bp.get("/v1/quantity")
def quantity() -> Response:
    """One quantity: canonical form, exact value in base units, and in a unit of choice."""
    args = _args(request)
    return _json_response(describe_quantity(args.get("value"), args.get("resource"), args.get("unit")))


@bp.get("/healthz")
def healthz() -> Response:
    return _json_response({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """Ready to answer: the unit registry builds and the contract can be read."""
    registry()
    Path(current_app.config["OPENAPI_PATH"]).stat()
    return _json_response({"status": "ready", "core": "interpreted"})


@bp.get("/openapi.yaml")
def openapi_spec() -> Response:
    """The contract this service keeps."""
    spec = Path(current_app.config["OPENAPI_PATH"]).read_bytes()
    return Response(spec, mimetype="application/yaml")


def media_type_of(mimetype: str) -> str:
    """The body's media type, or a 415 naming the ones accepted."""
    if mimetype in JSON_TYPES or mimetype in YAML_TYPES or mimetype.endswith("+json"):
        return "application/json" if mimetype.endswith("+json") else mimetype
    raise ProblemError(
        415,
        "Unsupported Media Type",
        f"Content-Type {mimetype or '(none)'!r} is not supported: send application/json or application/yaml",
    )
