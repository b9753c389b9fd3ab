"""Request bodies in: the marshmallow schema of a PodSpec, lean on the hot path.

Loading checks the shape of a PodSpec (types, lists, required fields) and parses every
quantity at its own field, so that a bad one is reported at its JSON pointer
(``/spec/containers/1/resources/limits/memory``). The resource rules themselves (request
<= limit, names, whole numbers) are the calculation core's, checked after defaulting.
Unknown fields are ignored: a real manifest has many that do not bear on resources.

One schema with two custom fields rather than nested schemas: a nested marshmallow schema
per container and per ``resources`` cost 130 us a pod, more than the whole calculation;
the fields below give the same errors, in the same nested form, in a single pass.

The fields read with ``podcalc.reading.podspec``'s functions, which also read a well-formed pod without
marshmallow on the hot path; this module is imported only for a pod the reader declines.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from calc.pod import Container, PodResources, PodSpec
from calc.quantity import MAX_LENGTH, Quantity
from podcalc.reading.podspec import (
    NOT_AN_OBJECT,
    FieldError,
    cross_namespace,
    load_container,
    load_requirements,
    load_resource_list,
    pod_spec,
)


class _QuantityFields(fields.Field):
    """A field that parses quantities, at most ``max_length`` characters each."""

    max_length = MAX_LENGTH


class ResourceListField(_QuantityFields):
    """A ResourceList field; errors are keyed by resource name."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Quantity]:
        try:
            return load_resource_list(value, self.max_length)
        except FieldError as err:
            raise ValidationError(err.messages) from err


class ResourcesField(_QuantityFields):
    """Pod-level ``spec.resources``: requests and limits."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> PodResources | None:
        if value is None:
            return None
        requests, limits, errors = load_requirements(value, self.max_length)
        if errors:
            raise ValidationError(errors)
        return PodResources(requests=requests, limits=limits)


class ContainersField(_QuantityFields):
    """``containers`` or ``initContainers``: a list of named containers and their resources."""

    def __init__(self, *, init: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.init = init

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[Container, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise ValidationError("Not a valid list.")
        out: list[Container] = []
        errors: dict[int, Any] = {}
        for index, raw in enumerate(value):
            container, problems = load_container(index, raw, self.init, self.max_length)
            if problems:
                errors[index] = problems
            elif container is not None:
                out.append(container)
        if errors:
            raise ValidationError(errors)
        return tuple(out)


class AffinityField(fields.Field):
    """``affinity``, read only for whether a pod (anti-)affinity term reaches other namespaces
    (``usesCrossNamespacePodAffinity``, the CrossNamespacePodAffinity quota scope)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if value is None:
            return False
        if not isinstance(value, dict):
            raise ValidationError(NOT_AN_OBJECT)
        return cross_namespace(value)


class PodSpecSchema(Schema):
    """The resource-relevant part of a PodSpec, loaded as a ``calc.pod.PodSpec``.

    ``max_quantity_length`` bounds every quantity string (at most the core's own 256).
    """

    class Meta:
        unknown = EXCLUDE

    def __init__(self, *, max_quantity_length: int = MAX_LENGTH, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for field in self.fields.values():
            if isinstance(field, _QuantityFields):
                field.max_length = min(max_quantity_length, MAX_LENGTH)

    containers = ContainersField(
        init=False, required=True, validate=validate.Length(min=1, error="a pod needs at least one container")
    )
    initContainers = ContainersField(init=True, load_default=(), allow_none=True)  # noqa: N815
    overhead = ResourceListField(load_default=dict, allow_none=True)
    resources = ResourcesField(load_default=None, allow_none=True)
    runtimeClassName = fields.String(load_default=None, allow_none=True)  # noqa: N815
    activeDeadlineSeconds = fields.Integer(strict=True, load_default=None, allow_none=True)  # noqa: N815
    priorityClassName = fields.String(load_default=None, allow_none=True)  # noqa: N815
    nodeName = fields.String(load_default=None, allow_none=True)  # noqa: N815
    affinity = AffinityField(load_default=False, allow_none=True)

    @post_load
    def _to_pod_spec(self, data: Mapping[str, Any], **kwargs: Any) -> PodSpec:
        try:
            return pod_spec(data)
        except FieldError as err:  # duplicate container names
            raise ValidationError(err.messages) from err


@lru_cache(maxsize=8)
def _schema(max_quantity_length: int) -> PodSpecSchema:
    """One schema per quantity-length limit (there is one per app)."""
    return PodSpecSchema(max_quantity_length=max_quantity_length)


def load_reported(raw: Any, max_quantity_length: int = MAX_LENGTH) -> PodSpec:
    """The schema's PodSpec of ``raw``, or ``FieldError`` with every problem at its field."""
    try:
        spec: PodSpec = _schema(max_quantity_length).load(raw)
    except ValidationError as err:
        raise FieldError(err.messages) from err
    return spec
