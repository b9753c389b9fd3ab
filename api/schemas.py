"""marshmallow schemas: the request bodies in, the response bodies out.

Loading checks the shape of a PodSpec (types, lists, required fields) and parses every
quantity at its own field, so that a bad one is reported at its JSON pointer
(``/spec/containers/1/resources/limits/memory``). The resource rules themselves (request
<= limit, names, whole numbers) are the calculation core's, checked after defaulting.
Unknown fields are ignored: a real manifest has many that do not bear on resources.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from calc.errors import QuantityError
from calc.pod import Container, ContainerType, PodResources, PodSpec
from calc.quantity import Quantity
from calc.resources import parse_resource_quantity


class ResourceListField(fields.Field):
    """A ResourceList: resource name -> quantity (a string, or a JSON number as written)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Quantity]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValidationError("must be an object mapping resource names to quantities")
        out: dict[str, Quantity] = {}
        errors: dict[str, list[str]] = {}
        for name, raw in value.items():
            if raw is None:  # Quantity.UnmarshalJSON reads null as zero
                out[name] = Quantity(0)
                continue
            if isinstance(raw, bool) or not isinstance(raw, str | int):
                errors[name] = ["must be a quantity such as '500m', '1Gi' or a number"]
                continue
            try:
                out[name] = parse_resource_quantity(name, str(raw))
            except QuantityError as err:
                errors[name] = [str(err)]
        if errors:
            raise ValidationError(errors)
        return out

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> dict[str, str]:
        return {name: str(value[name]) for name in sorted(value)}


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


class ResourcesSchema(_Lenient):
    requests = ResourceListField(load_default=dict, allow_none=True)
    limits = ResourceListField(load_default=dict, allow_none=True)


class ContainerSchema(_Lenient):
    name = fields.String(required=True, validate=validate.Length(min=1, error="Required value"))
    resources = fields.Nested(ResourcesSchema, load_default=dict, allow_none=True)


class InitContainerSchema(ContainerSchema):
    restartPolicy = fields.String(  # noqa: N815 - the Kubernetes field name
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["Always"], error='Unsupported value: {input!r}: supported values: "Always"'),
    )


class PodSpecSchema(_Lenient):
    containers = fields.List(
        fields.Nested(ContainerSchema),
        required=True,
        validate=validate.Length(min=1, error="a pod needs at least one container"),
    )
    initContainers = fields.List(fields.Nested(InitContainerSchema), load_default=list, allow_none=True)  # noqa: N815
    overhead = ResourceListField(load_default=dict, allow_none=True)
    resources = fields.Nested(ResourcesSchema, load_default=None, allow_none=True)
    runtimeClassName = fields.String(load_default=None, allow_none=True)  # noqa: N815

    @validates_schema
    def _unique_names(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        seen: set[str] = set()
        errors: dict[str, dict[int, dict[str, list[str]]]] = {}
        for field in ("containers", "initContainers"):
            for i, c in enumerate(data.get(field) or []):
                name = c.get("name")
                if name is None:
                    continue
                if name in seen:
                    errors.setdefault(field, {})[i] = {"name": [f"Duplicate value: {name!r}"]}
                seen.add(name)
        if errors:
            raise ValidationError(errors)


def _container(raw: Mapping[str, Any], field: str, index: int) -> Container:
    resources = raw.get("resources") or {}
    if field == "containers":
        ctype = ContainerType.CONTAINER
    else:
        ctype = ContainerType.SIDECAR if raw.get("restartPolicy") == "Always" else ContainerType.INIT
    return Container(
        name=raw["name"],
        type=ctype,
        index=index,
        requests=resources.get("requests") or {},
        limits=resources.get("limits") or {},
    )


def to_pod_spec(loaded: Mapping[str, Any]) -> PodSpec:
    """The calc model of a PodSpec loaded by ``PodSpecSchema``."""
    resources = loaded.get("resources")
    return PodSpec(
        containers=tuple(_container(c, "containers", i) for i, c in enumerate(loaded["containers"])),
        init_containers=tuple(
            _container(c, "initContainers", i) for i, c in enumerate(loaded.get("initContainers") or [])
        ),
        overhead=loaded.get("overhead") or {},
        resources=None
        if resources is None
        else PodResources(requests=resources.get("requests") or {}, limits=resources.get("limits") or {}),
        runtime_class_name=loaded.get("runtimeClassName"),
    )


# ---- responses -------------------------------------------------------------------------


class PhaseSchema(Schema):
    id = fields.String()
    kind = fields.Function(lambda p: p.kind.value)
    container = fields.String(allow_none=True)
    running = fields.List(fields.String())
    requests = ResourceListField()
    limits = ResourceListField()
    unboundedLimits = fields.List(fields.String(), attribute="unbounded_limits")  # noqa: N815


class ContainerResultSchema(Schema):
    name = fields.String()
    type = fields.Function(lambda c: c.type.value)
    requests = ResourceListField()
    limits = ResourceListField()


class PodResultSchema(Schema):
    """What Kubernetes sees of one pod: the figures and how they were reached."""

    requests = ResourceListField()
    limits = ResourceListField()
    unboundedLimits = fields.List(fields.String(), attribute="unbounded_limits")  # noqa: N815
    qosClass = fields.Function(lambda e: e.qos_class.value)  # noqa: N815
    determinedBy = fields.Function(  # noqa: N815
        lambda e: {"requests": dict(sorted(e.requests_set_by.items())), "limits": dict(sorted(e.limits_set_by.items()))}
    )
    overhead = fields.Function(lambda e: ResourceListField()._serialize(e.spec.overhead, None, None))
    podResources = fields.Function(  # noqa: N815
        lambda e: (
            None
            if e.spec.resources is None
            else {
                "requests": ResourceListField()._serialize(e.spec.resources.requests, None, None),
                "limits": ResourceListField()._serialize(e.spec.resources.limits, None, None),
                "defaultedRequests": sorted(e.defaulted.pod_requests_defaulted),
                "defaultedLimits": sorted(e.defaulted.pod_limits_defaulted),
            }
        )
    )
    phases = fields.List(fields.Nested(PhaseSchema))
    containers = fields.Function(
        lambda e: [
            ContainerResultSchema().dump(c)
            | {"requestsFromLimits": sorted(r for n, r in e.defaulted.requests_from_limits if n == c.name)}
            for c in e.spec.all_containers
        ]
    )


class ItemSchema(Schema):
    kind = fields.String()
    name = fields.String(allow_none=True)
    namespace = fields.String(allow_none=True)
    pod = fields.Nested(PodResultSchema)


class EffectiveResponseSchema(Schema):
    items = fields.List(fields.Nested(ItemSchema))
