"""Pod specs in, without marshmallow: the hot path of every request and of the CLI.

``load_pod_spec`` reads a well-formed PodSpec in one pass and declines (None) as soon as
anything is off; ``read_pod_spec`` then hands it to the marshmallow schema
(``podcalc.reading.schemas``), which reports every problem at its field. marshmallow is imported only
then: most runs of the CLI never need it, and importing it took 40 of the 130 ms the
command spent importing before it read a file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from calc.errors import QuantityError
from calc.pod import Container, ContainerType, PodResources, PodSpec
from calc.quantity import MAX_LENGTH, Quantity
from calc.resources import parse_resource_quantity
from podcalc.errors import pointer
from podcalc.reading.documents import RawNumber

MISSING = "Missing data for required field."
NOT_AN_OBJECT = "Invalid input type."
_ZERO = Quantity(0)


class FieldError(ValueError):
    """Bad input, with its messages by field as marshmallow nests them: a list of messages,
    or a mapping of field (or list index) to the same (``flatten_messages``)."""

    def __init__(self, messages: str | list[Any] | dict[Any, Any]) -> None:
        self.messages = [messages] if isinstance(messages, str) else messages
        super().__init__(self.messages)


def flatten_messages(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Messages nested by field (as marshmallow nests them) as (JSON pointer, message) pairs."""
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
    if "name" not in raw or name is None:
        problems["name"] = [MISSING]
    elif not isinstance(name, str):
        problems["name"] = ["Not a valid string."]
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
    if problems:
        return None, problems
    return Container(name=name, type=ctype, index=index, requests=requests, limits=limits), {}


def cross_namespace(value: dict[str, Any]) -> bool:
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
    data["affinity"] = affinity is not None and cross_namespace(affinity)
    if raw.get("resources") is not None:
        requests, limits, errors = load_requirements(raw["resources"], max_length)
        if errors:
            return None
        data["resources"] = PodResources(requests=requests, limits=limits)
    try:
        data["overhead"] = load_resource_list(raw.get("overhead"), max_length)
        return pod_spec(data)
    except FieldError:  # a bad overhead, or duplicate container names
        return None


def read_pod_spec(raw: Any, max_quantity_length: int = MAX_LENGTH) -> PodSpec:
    """The PodSpec of ``raw``; ``FieldError`` with every problem at its field otherwise."""
    spec = load_pod_spec(raw, max_quantity_length)
    if spec is not None:
        return spec
    from podcalc.reading.schemas import load_reported  # marshmallow, only for a pod the reader declines

    return load_reported(raw, max_quantity_length)
