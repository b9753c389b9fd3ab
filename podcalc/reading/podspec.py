"""Pod specs in: the one reader of a PodSpec, for every request and every run of the CLI.

``read_pod_spec`` reads the resource-relevant fields of a PodSpec in one pass and returns a
``calc.pod.PodSpec``; for bad input it raises ``FieldError`` with every problem at its field
(types, lists, required fields, container names, each quantity at its own resource name), so
that each is reported at its JSON pointer (``/spec/containers/1/resources/limits/memory``).
The messages are nested as marshmallow nests them, and in its words ("Missing data for
required field.", "Not a valid string."), which the HTTP and CLI outputs have always shown.
The resource rules themselves (request <= limit, names, whole numbers) are the calculation
core's, checked after defaulting. Unknown fields are ignored: a real manifest has many that
do not bear on resources.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Callable, Mapping
from typing import Any

from calc.errors import QuantityError
from calc.pod import Container, ContainerType, PodResources, PodSpec
from calc.quantity import MAX_LENGTH, Quantity
from calc.resources import parse_resource_quantity
from calc.scheduling import Placement, Toleration
from podcalc.errors import pointer
from podcalc.reading.decoded import RawNumber

MISSING = "Missing data for required field."
NOT_AN_OBJECT = "Invalid input type."
NULL = "Field may not be null."
NOT_A_LIST = "Not a valid list."
NOT_A_STRING = "Not a valid string."
NOT_UTF8 = "Not a valid utf-8 string."
NOT_AN_INTEGER = "Not a valid integer."
NO_CONTAINER = "a pod needs at least one container"
_ZERO = Quantity(0)


class FieldError(ValueError):
    """Bad input, with its messages by field: a list of messages, or a mapping of field (or
    list index) to the same; ``"_schema"`` holds those of the object itself (``flatten_messages``)."""

    def __init__(self, messages: str | list[Any] | dict[Any, Any]) -> None:
        self.messages = [messages] if isinstance(messages, str) else messages
        super().__init__(self.messages)


def flatten_messages(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Messages nested by field (``FieldError.messages``) as (JSON pointer, message) pairs."""
    if isinstance(messages, Mapping):
        out: list[tuple[str, str]] = []
        for key, value in messages.items():
            if key == "_schema":
                out += flatten_messages(value, prefix)
            else:
                out += flatten_messages(value, prefix + pointer(key))
        return out
    if isinstance(messages, list | tuple):
        return [pair for m in messages for pair in flatten_messages(m, prefix)]
    return [(prefix, str(messages))]


def load_resource_list(value: Any, max_length: int = MAX_LENGTH) -> dict[str, Quantity]:
    """A ResourceList: resource name -> quantity (a string, a number as written, or null).

    Quantities longer than ``max_length`` characters are refused before they are parsed.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FieldError("must be an object mapping resource names to quantities")
    out: dict[str, Quantity] = {}
    errors: dict[str, list[str]] = {}
    for name, raw in value.items():
        if type(raw) is str and type(name) is str and len(raw) <= max_length:  # the usual case first
            text = raw
        elif not isinstance(name, str):  # YAML allows any key; a resource name is a string
            errors[str(name)] = ["a resource name must be a string"]
            continue
        elif raw is None:  # Quantity.UnmarshalJSON reads null as zero
            out[name] = _ZERO
            continue
        elif isinstance(raw, bool) or not isinstance(raw, str | int | RawNumber):
            errors[name] = ["must be a quantity such as '500m', '1Gi' or a number"]
            continue
        elif len(text := str(raw)) > max_length:
            errors[name] = [
                f"a quantity of {len(text):,} characters: the limit is {max_length} (PODCALC_MAX_QUANTITY_LENGTH)"
            ]
            continue
        try:
            out[name] = parse_resource_quantity(name, text)
        except QuantityError as err:
            errors[name] = [str(err)]
    if errors:
        raise FieldError(errors)
    return out


def load_requirements(value: Any, max_length: int) -> tuple[dict[str, Quantity], dict[str, Quantity], dict[str, Any]]:
    """``resources`` of a container or a pod: (requests, limits, errors by field)."""
    if value is None:
        return {}, {}, {}
    if not isinstance(value, dict):
        return {}, {}, {"_schema": [NOT_AN_OBJECT]}
    loaded: dict[str, dict[str, Quantity]] = {}
    errors: dict[str, Any] = {}
    for key in ("requests", "limits"):
        try:
            loaded[key] = load_resource_list(value.get(key), max_length)
        except FieldError as err:
            errors[key] = err.messages
    return loaded.get("requests", {}), loaded.get("limits", {}), errors


def load_container(index: int, raw: Any, init: bool, max_length: int) -> tuple[Container | None, dict[str, Any]]:
    """One entry of ``containers`` (``init``: of ``initContainers``): the container, or its errors by field."""
    if not isinstance(raw, dict):
        return None, {"_schema": [NOT_AN_OBJECT]}
    problems: dict[str, Any] = {}
    name = raw.get("name")
    if name is None:
        problems["name"] = [MISSING]
    elif not isinstance(name, str):
        problems["name"] = [NOT_A_STRING]
    elif not name:
        problems["name"] = ["Required value"]
    requests, limits, resource_errors = load_requirements(raw.get("resources"), max_length)
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
    if problems or not isinstance(name, str):  # without problems, name is a string
        return None, problems
    return Container(name=name, type=ctype, index=index, requests=requests, limits=limits), {}


def cross_namespace(value: dict[str, Any]) -> bool:
    """Whether an ``affinity`` object has a pod (anti-)affinity term naming other namespaces."""
    for kind in ("podAffinity", "podAntiAffinity"):
        rules = value.get(kind)
        if not isinstance(rules, dict):
            continue
        terms: list[Any] = list(_dicts(rules.get("requiredDuringSchedulingIgnoredDuringExecution")))
        terms += [
            t.get("podAffinityTerm") for t in _dicts(rules.get("preferredDuringSchedulingIgnoredDuringExecution"))
        ]
        if any(isinstance(t, dict) and (t.get("namespaces") or t.get("namespaceSelector") is not None) for t in terms):
            return True
    return False


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def pod_spec(data: Mapping[str, Any]) -> PodSpec:
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
        raise FieldError(duplicates)
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


def _containers(value: Any, init: bool, max_length: int) -> tuple[Container, ...]:
    """``containers`` or ``initContainers`` (not null): the containers, or ``FieldError`` with
    the problems of each bad one at its index."""
    if not isinstance(value, list):
        raise FieldError(NOT_A_LIST)
    loaded: list[Container] = []
    errors: dict[int, Any] = {}
    for index, entry in enumerate(value):
        container, problems = load_container(index, entry, init, max_length)
        if container is None:
            errors[index] = problems
        else:
            loaded.append(container)
    if errors:
        raise FieldError(errors)
    return tuple(loaded)


def _init_containers(value: Any, max_length: int) -> tuple[Container, ...]:
    return () if value is None else _containers(value, True, max_length)


def _pod_resources(value: Any, max_length: int) -> PodResources | None:
    """Pod-level ``spec.resources``: None when absent or null."""
    if value is None:
        return None
    requests, limits, errors = load_requirements(value, max_length)
    if errors:
        raise FieldError(errors)
    return PodResources(requests=requests, limits=limits)


def _string(value: Any, max_length: int) -> str | None:
    """An optional string field; bytes (YAML's ``!!binary``) are read as UTF-8 text."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            raise FieldError(NOT_UTF8) from None
    raise FieldError(NOT_A_STRING)


def _integer(value: Any, max_length: int) -> int | None:
    """An optional integer field: an integer as written, never a bool, a float or a string."""
    if value is None or type(value) is int:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise FieldError(NOT_AN_INTEGER)
    return int(value)


def _affinity(value: Any, max_length: int) -> bool:
    """``affinity``, read only for whether a pod (anti-)affinity term reaches other namespaces
    (``usesCrossNamespacePodAffinity``, the CrossNamespacePodAffinity quota scope)."""
    if value is None:
        return False
    if not isinstance(value, dict):
        raise FieldError(NOT_AN_OBJECT)
    return cross_namespace(value)


# The optional fields after ``containers``, in the order their problems are reported, each
# with its reader: the raw value (None when absent) and the quantity-length limit in, the
# loaded value out, or FieldError.
_FIELDS: tuple[tuple[str, Callable[[Any, int], Any]], ...] = (
    ("initContainers", _init_containers),
    ("overhead", load_resource_list),
    ("resources", _pod_resources),
    ("runtimeClassName", _string),
    ("activeDeadlineSeconds", _integer),
    ("priorityClassName", _string),
    ("nodeName", _string),
    ("affinity", _affinity),
)


def read_placement(raw: Mapping[str, Any]) -> Placement:
    """What the scheduler's filters read of a PodSpec: ``tolerations``, ``nodeSelector`` and
    whether required node affinity is set; ``FieldError`` where they are malformed."""
    errors: dict[str, Any] = {}
    tolerations: list[Toleration] = []
    listed = raw.get("tolerations")
    if listed is not None and not isinstance(listed, list):
        errors["tolerations"] = [NOT_A_LIST]
    for i, t in enumerate(listed if isinstance(listed, list) else ()):
        fields = {k: t.get(k) for k in ("key", "operator", "value", "effect")} if isinstance(t, Mapping) else None
        if fields is None or any(v is not None and not isinstance(v, str) for v in fields.values()):
            errors.setdefault("tolerations", {})[i] = [NOT_AN_OBJECT + " of strings (key, operator, value, effect)"]
            continue
        tolerations.append(Toleration(**{k: v for k, v in fields.items() if v is not None}))
    selector = raw.get("nodeSelector") or {}
    if not isinstance(selector, Mapping) or not all(isinstance(v, str) for v in selector.values()):
        errors["nodeSelector"] = ["must be an object of label values (strings)"]
        selector = {}
    affinity = raw.get("affinity")
    node_affinity = affinity.get("nodeAffinity") if isinstance(affinity, Mapping) else None
    required = isinstance(node_affinity, Mapping) and bool(
        node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    )
    if errors:
        raise FieldError(errors)
    return Placement(tuple(tolerations), dict(selector), required)


def read_pod_spec(raw: Any, max_quantity_length: int = MAX_LENGTH) -> PodSpec:
    """The PodSpec of ``raw``; ``FieldError`` with every problem at its field otherwise.

    Quantities longer than ``max_quantity_length`` characters (at most the core's own 256)
    are refused before they are parsed. Duplicate container names are reported only once
    every field reads well, as the names of containers that failed to read are unknown.
    """
    if not isinstance(raw, Mapping):
        raise FieldError({"_schema": [NOT_AN_OBJECT]})
    max_length = min(max_quantity_length, MAX_LENGTH)
    data: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    if "containers" not in raw:
        errors["containers"] = [MISSING]
    elif raw["containers"] is None:
        errors["containers"] = [NULL]
    else:
        try:
            data["containers"] = _containers(raw["containers"], False, max_length)
        except FieldError as err:
            errors["containers"] = err.messages
        else:
            if not data["containers"]:
                errors["containers"] = [NO_CONTAINER]
    for key, read in _FIELDS:
        try:
            data[key] = read(raw.get(key), max_length)
        except FieldError as err:
            errors[key] = err.messages
    if errors:
        raise FieldError(errors)
    return pod_spec(data)
