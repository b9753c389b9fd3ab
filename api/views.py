"""The v1 routes: effective resources of manifests, and one quantity explained."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

from flask import Blueprint, Request, Response, current_app, request
from werkzeug.local import LocalProxy

from api.problems import ProblemError
from calc.units import registry
from podcalc.diff import diff_documents, side, what_if
from podcalc.effective import Document, describe_quantity, evaluate_documents, parameter_error
from podcalc.plan import plan_documents
from podcalc.reading.documents import JSON_TYPES, YAML_TYPES, Limits, read_documents
from podcalc.render import encode

bp = Blueprint("v1", __name__)


def _json_response(body: Any) -> Response:
    return Response(encode(body), mimetype="application/json")


# The query helpers take the parameters as a plain dict, read once per request (each use
# of the request proxy is a context lookup): werkzeug's MultiDict raises and catches an
# exception for every parameter it lacks, and most requests have none.


def _args(req: Request) -> dict[str, str]:
    """The query's parameters, the first value of each, as ``request.args.get`` reads them."""
    return req.args.to_dict() if req.query_string else {}


def _nodes(args: Mapping[str, str]) -> int | None:
    text = args.get("nodes")
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise parameter_error("nodes", f"must be a whole number of nodes, not {text!r}")
    return int(text)


_UNIT_KEY = re.compile(r"unit(?:\[(?P<bracket>[^\]]+)\]|\.(?P<dot>.+))")


def _units(args: Mapping[str, str]) -> dict[str, str]:
    """``unit[memory]=GiB`` (OpenAPI deepObject) or ``unit.memory=GiB``: resource -> unit."""
    units = {}
    for key, value in args.items():
        m = _UNIT_KEY.fullmatch(key)
        if m:
            resource = m["bracket"] or m["dot"]
            if len(resource) > 64 or not 0 < len(value) <= 32:
                raise parameter_error(key, "a resource name of at most 64 characters and a unit of 1 to 32")
            units[resource] = value
    if len(units) > 8:
        raise parameter_error("unit", f"at most 8 resources, not {len(units)}")
    return units


def _flag(args: Mapping[str, str], name: str) -> bool:
    text = args.get(name, "false")
    if text not in ("true", "false"):
        raise parameter_error(name, f"must be true or false, not {text!r}")
    return text == "true"


def _stream(answer: Callable[..., Any]) -> Response:
    """The body's documents (JSON or a YAML stream), answered with the query's parameters."""
    req = cast("LocalProxy[Request]", request)._get_current_object()  # the request itself, not its proxy
    args, limits = _args(req), _limits()
    query = _query(args, limits)
    documents = read_documents(req.get_data(), media_type_of(req.mimetype), limits)
    body = answer((Document(i, v) for i, v in enumerate(documents)), **query, explain=_flag(args, "explain"))
    return _json_response(body)


@bp.post("/v1/effective-resources")
def effective_resources() -> Response:
    """Manifests in; each workload's effective resources and the totals out."""
    return _stream(evaluate_documents)


@bp.post("/v1/plan")
def plan() -> Response:
    """Manifests and cluster objects in; admission, quota headroom and node fit out."""
    return _stream(plan_documents)


def _json_body() -> Any:
    """A JSON object body (the two-sided operations take JSON only)."""
    if media_type_of(request.mimetype) != "application/json":
        raise ProblemError(415, "Unsupported Media Type", "this operation takes application/json")
    (body,) = read_documents(request.get_data(), "application/json", _limits())
    if not isinstance(body, dict):
        raise ProblemError(
            422, "Invalid input", "the body must be a JSON object", [{"pointer": "", "detail": "must be a JSON object"}]
        )
    return body


def _limits() -> Limits:
    """The app's limits of one request (``Limits``, from its PODCALC_MAX_* settings)."""
    limits: Limits = current_app.extensions["podcalc.limits"]
    return limits


def _query(args: Mapping[str, str], limits: Limits) -> dict[str, Any]:
    """The query parameters every stream operation takes, and the app's limits."""
    return {
        "nodes": _nodes(args),
        "units": _units(args),
        "limits": limits,
        "kubernetes_version": args.get("kubernetesVersion"),
    }


@bp.post("/v1/diff")
def diff() -> Response:
    """Two manifest sets (before, after): the change per workload, namespace and in total."""
    body, limits = _json_body(), _limits()
    before, after = side(body.get("before"), "before", limits), side(body.get("after"), "after", limits)
    return _json_response(diff_documents(before, after, **_query(_args(request), limits)))


@bp.post("/v1/what-if")
def what_if_view() -> Response:
    """Manifests and changes to named workloads: the manifests before and after, compared."""
    return _json_response(what_if(_json_body(), **_query(_args(request), _limits())))


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
