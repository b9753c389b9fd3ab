"""The v1 routes: effective resources of a pod, and one quantity explained."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, request
from marshmallow import ValidationError

from api.intake import locate_pod_spec, parse_json_body
from api.problems import InputError, ProblemError, flatten_messages, pointer
from api.schemas import EffectiveResponseSchema, PodSpecSchema, to_pod_spec
from calc.errors import PodInvalidError, QuantityError
from calc.evaluate import evaluate_pod
from calc.quantity import decimal_string, round_up_milli
from calc.resources import dimension_of, parse_any
from calc.units import convert, unit_factor

bp = Blueprint("v1", __name__)

JSON_TYPES = ("application/json",)
_pod_spec_schema = PodSpecSchema()
_effective_schema = EffectiveResponseSchema()


def _json_response(body: Any) -> Response:
    return current_app.response_class(current_app.json.dumps(body), mimetype="application/json")


def _require_json() -> None:
    if request.mimetype not in JSON_TYPES and not request.mimetype.endswith("+json"):
        raise ProblemError(
            415,
            "Unsupported Media Type",
            f"Content-Type {request.mimetype or '(none)'!r} is not supported: send application/json",
        )


@bp.post("/v1/effective-resources")
def effective_resources() -> Response:
    """A Pod or bare PodSpec in; its effective requests, limits, QoS class and phases out."""
    _require_json()
    document = parse_json_body(request.get_data())
    raw_spec, prefix, identity = locate_pod_spec(document)
    try:
        loaded = _pod_spec_schema.load(raw_spec)
    except ValidationError as err:
        raise InputError(flatten_messages(err.messages, prefix)) from err
    try:
        evaluation = evaluate_pod(to_pod_spec(loaded))
    except PodInvalidError as err:
        raise InputError((prefix + pointer(*v.path), v.message) for v in err.violations) from err
    return _json_response(_effective_schema.dump({"items": [identity | {"pod": evaluation}]}))


def _parameter_error(name: str, detail: str) -> ProblemError:
    return ProblemError(400, "Invalid parameter", f"{name}: {detail}", [{"parameter": name, "detail": detail}])


@bp.get("/v1/quantity")
def quantity() -> Response:
    """One quantity: canonical form, exact value in base units, and in a unit of choice."""
    text = request.args.get("value")
    if text is None:
        raise _parameter_error("value", "required, e.g. ?value=1.5Gi")
    resource = request.args.get("resource")
    unit = request.args.get("unit")
    try:
        q, dimension = parse_any(text, dimension_of(resource) if resource else None, resource)
    except QuantityError as err:
        raise _parameter_error("value", str(err)) from err
    if unit and dimension is None:
        try:
            dimension = unit_factor(unit)[1]
        except QuantityError as err:
            raise _parameter_error("unit", str(err)) from err
    body: dict[str, Any] = {
        "input": text,
        "canonical": str(q),
        "format": q.format.value,
        "value": q.decimal(),
        "baseUnit": dimension.value if dimension else None,
        "resource": resource,
        "stored": str(round_up_milli(q)),
    }
    if unit:
        try:
            in_unit, unit_exact = decimal_string(convert(q, unit, dimension))
        except QuantityError as err:
            raise _parameter_error("unit", str(err)) from err
        body |= {"unit": unit, "inUnit": in_unit, "inUnitExact": unit_exact}
    return _json_response(body)


@bp.get("/healthz")
def healthz() -> Response:
    return _json_response({"status": "ok"})


@bp.get("/openapi.yaml")
def openapi_spec() -> Response:
    """The contract this service keeps."""
    spec = Path(current_app.config["OPENAPI_PATH"]).read_bytes()
    return Response(spec, mimetype="application/yaml")
