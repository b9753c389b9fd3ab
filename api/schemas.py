"""Request bodies in: the marshmallow schema of a PodSpec, lean on the hot path.

Loading checks the shape of a PodSpec (types, lists, required fields) and parses every
quantity at its own field, so that a bad one is reported at its JSON pointer
(``/spec/containers/1/resources/limits/memory``). The resource rules themselves (request
<= limit, names, whole numbers) are the calculation core's, checked after defaulting.
Unknown fields are ignored: a real manifest has many that do not bear on resources.

One schema with two custom fields rather than nested schemas: a nested marshmallow schema
per container and per ``resources`` cost 130 us a pod, more than the whole calculation;
the fields below give the same errors, in the same nested form, in a single pass.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from api.intake import RawNumber
from calc.errors import QuantityError
from calc.pod import Container, ContainerType, PodResources, PodSpec
from calc.quantity import MAX_LENGTH, Quantity
from calc.resources import parse_resource_quantity

_MISSING = "Missing data for required field."
_NOT_AN_OBJECT = "Invalid input type."
_ZERO = Quantity(0)


def load_resource_list(value: Any, max_length: int = MAX_LENGTH) -> dict[str, Quantity]:
    """A ResourceList: resource name -> quantity (a string, a number as written, or null).

    Quantities longer than ``max_length`` characters are refused before they are parsed.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError("must be an object mapping resource names to quantities")
    out: dict[str, Quantity] = {}
    errors: dict[str, list[str]] = {}
    for name, raw in value.items():
        if not isinstance(name, str):  # YAML allows any key; a resource name is a string
            errors[str(name)] = ["a resource name must be a string"]
        elif raw is None:  # Quantity.UnmarshalJSON reads null as zero
            out[name] = _ZERO
        elif isinstance(raw, bool) or not isinstance(raw, str | int | RawNumber):
            errors[name] = ["must be a quantity such as '500m', '1Gi' or a number"]
        elif len(text := str(raw)) > max_length:
            errors[name] = [
                f"a quantity of {len(text):,} characters: the limit is {max_length} (PODCALC_MAX_QUANTITY_LENGTH)"
            ]
        else:
            try:
                out[name] = parse_resource_quantity(name, text)
            except QuantityError as err:
                errors[name] = [str(err)]
    if errors:
        raise ValidationError(errors)
    return out


def _load_requirements(value: Any, max_length: int) -> tuple[dict[str, Quantity], dict[str, Quantity], dict[str, Any]]:
    """``resources`` of a container or a pod: (requests, limits, errors by field)."""
    if value is None:
        return {}, {}, {}
    if not isinstance(value, dict):
        return {}, {}, {"_schema": [_NOT_AN_OBJECT]}
    loaded: dict[str, dict[str, Quantity]] = {}
    errors: dict[str, Any] = {}
    for key in ("requests", "limits"):
        try:
            loaded[key] = load_resource_list(value.get(key), max_length)
        except ValidationError as err:
            errors[key] = err.messages
    return loaded.get("requests", {}), loaded.get("limits", {}), errors


class _QuantityFields(fields.Field):
    """A field that parses quantities, at most ``max_length`` characters each."""

    max_length = MAX_LENGTH


class ResourceListField(_QuantityFields):
    """A ResourceList field; errors are keyed by resource name."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Quantity]:
        return load_resource_list(value, self.max_length)


class ResourcesField(_QuantityFields):
    """Pod-level ``spec.resources``: requests and limits."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> PodResources | None:
        if value is None:
            return None
        requests, limits, errors = _load_requirements(value, self.max_length)
        if errors:
            raise ValidationError(errors)
        return PodResources(requests=requests, limits=limits)


def load_container(index: int, raw: Any, init: bool, max_length: int) -> tuple[Container | None, dict[str, Any]]:
    """One entry of ``containers`` (``init``: of ``initContainers``): the container, or its errors by field."""
    if not isinstance(raw, dict):
        return None, {"_schema": [_NOT_AN_OBJECT]}
    problems: dict[str, Any] = {}
    name = raw.get("name")
    if "name" not in raw or name is None:
        problems["name"] = [_MISSING]
    elif not isinstance(name, str):
        problems["name"] = ["Not a valid string."]
    elif not name:
        problems["name"] = ["Required value"]
    requests, limits, resource_errors = _load_requirements(raw.get("resources"), max_length)
    if resource_errors:
        problems["resources"] = resource_errors
    ctype = ContainerType.CONTAINER
    if init:
        policy = raw.get("restartPolicy")
        if policy == "Always":
            ctype = ContainerType.SIDECAR
        elif policy is None:
            ctype = ContainerType.INIT
        else:
            shown = json.dumps(policy) if isinstance(policy, str | int | float | bool) else "(not a string)"
            problems["restartPolicy"] = [f'Unsupported value: {shown}: supported values: "Always"']
    if problems:
        return None, problems
    return Container(name=name, type=ctype, index=index, requests=requests, limits=limits), {}


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
            raise ValidationError(_NOT_AN_OBJECT)
        return _cross_namespace(value)


def _cross_namespace(value: dict[str, Any]) -> bool:
    """Whether an ``affinity`` object has a pod (anti-)affinity term naming other namespaces."""
    for kind in ("podAffinity", "podAntiAffinity"):
        rules = value.get(kind)
        if not isinstance(rules, dict):
            continue
        terms = list(_dicts(rules.get("requiredDuringSchedulingIgnoredDuringExecution")))
        terms += [
            t.get("podAffinityTerm") for t in _dicts(rules.get("preferredDuringSchedulingIgnoredDuringExecution"))
        ]
        if any(isinstance(t, dict) and (t.get("namespaces") or t.get("namespaceSelector") is not None) for t in terms):
            return True
    return False


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


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
        return _pod_spec(data)


def _pod_spec(data: Mapping[str, Any]) -> PodSpec:
    """The PodSpec of loaded fields, by their manifest names; container names must be unique."""
    containers: tuple[Container, ...] = data["containers"]
    init_containers: tuple[Container, ...] = data.get("initContainers") or ()
    seen: set[str] = set()
    duplicates: dict[str, dict[int, dict[str, list[str]]]] = {}
    for field, listed in (("containers", containers), ("initContainers", init_containers)):
        for c in listed:
            if c.name in seen:
                duplicates.setdefault(field, {})[c.index] = {"name": [f"Duplicate value: {c.name!r}"]}
            seen.add(c.name)
    if duplicates:
        raise ValidationError(duplicates)
    return PodSpec(
        containers=containers,
        init_containers=init_containers,
        overhead=data.get("overhead") or {},
        resources=data.get("resources"),
        runtime_class_name=data.get("runtimeClassName"),
        active_deadline_seconds=data.get("activeDeadlineSeconds"),
        priority_class_name=data.get("priorityClassName"),
        node_name=data.get("nodeName"),
        cross_namespace_affinity=bool(data.get("affinity")),
    )


def load_pod_spec(raw: Any, max_quantity_length: int = MAX_LENGTH) -> PodSpec | None:
    """The PodSpec of a well-formed ``raw``, read without marshmallow; None as soon as
    anything is off, for ``PodSpecSchema`` to load and report in its own words.

    The hot path of every request: through the schema's field machinery one typical pod
    costs about 23 us, read here about 12. A property test holds the two to the same result.
    """
    if not isinstance(raw, dict):
        return None
    max_length = min(max_quantity_length, MAX_LENGTH)
    data: dict[str, Any] = {}
    for key, init in (("containers", False), ("initContainers", True)):
        value = raw.get(key)
        if value is None and init:
            continue
        if not isinstance(value, list) or not (value or init):
            return None
        loaded = []
        for index, entry in enumerate(value):
            container, problems = load_container(index, entry, init, max_length)
            if container is None or problems:
                return None
            loaded.append(container)
        data[key] = tuple(loaded)
    for key in ("runtimeClassName", "priorityClassName", "nodeName"):
        data[key] = raw.get(key)
        if data[key] is not None and not isinstance(data[key], str):
            return None
    deadline, affinity = raw.get("activeDeadlineSeconds"), raw.get("affinity")
    if (deadline is not None and type(deadline) is not int) or (
        affinity is not None and not isinstance(affinity, dict)
    ):
        return None
    data["activeDeadlineSeconds"] = deadline
    data["affinity"] = affinity is not None and _cross_namespace(affinity)
    if raw.get("resources") is not None:
        requests, limits, errors = _load_requirements(raw["resources"], max_length)
        if errors:
            return None
        data["resources"] = PodResources(requests=requests, limits=limits)
    try:
        data["overhead"] = load_resource_list(raw.get("overhead"), max_length)
        return _pod_spec(data)
    except ValidationError:  # a bad overhead, or duplicate container names
        return None
