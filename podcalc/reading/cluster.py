"""The cluster's objects of a stream: LimitRanges, ResourceQuotas, Nodes and node shapes.

Each is read into the core's typed values (``calc.limitrange.LimitRange``,
``calc.quota.ResourceQuota``, ``calc.nodes.Node``, ``calc.nodes.NodeShape``) and validated as
the API server validates it; every problem is located (document, JSON pointer, object).
The stream's other objects are read for what they count against quotas (``calc.quota_objects.object_usage``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from calc import allocatable as node_allocation
from calc import limitrange, quota, quota_objects
from calc.allocatable import Model
from calc.errors import Location, Path, QuantityError, Violation
from calc.limitrange import LimitRange, LimitRangeItem
from calc.nodes import Node, NodeShape
from calc.quantity import NANO, Quantity, round_up_milli
from calc.quota import ResourceQuota, ScopeRequirement
from calc.quota_admission import LocatedQuota
from calc.quota_objects import Creation
from calc.resources import parse_resource_quantity
from calc.scheduling import NodeFacts, Taint
from podcalc.errors import Entry, TooLargeError, pointer
from podcalc.reading.limits import Limits
from podcalc.reading.manifests import Document, Found, names, stream_error
from podcalc.reading.podspec import FieldError, flatten_messages, load_resource_list

DEFAULT_NAMESPACE = "default"
NODE_SHAPE_API_VERSION = "podcalc.io/v1alpha1"
CLUSTER_KINDS = frozenset({"LimitRange", "ResourceQuota", "Node", "NodeShape"})
LR_FIELDS = {
    "max": "max",
    "min": "min",
    "default": "default",
    "defaultRequest": "default_request",
    "maxLimitRequestRatio": "max_limit_request_ratio",
}


@dataclass(frozen=True, slots=True)
class LocatedLimitRange:
    """A LimitRange and where it was found."""

    limit_range: LimitRange
    location: Location


@dataclass(slots=True)
class Cluster:
    """The cluster objects of a stream, by namespace where they are namespaced."""

    limit_ranges: dict[str, list[LocatedLimitRange]] = field(default_factory=dict)
    quotas: dict[str, list[LocatedQuota]] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    shapes: list[NodeShape] = field(default_factory=list)

    def ranges_in(self, namespace: str) -> list[LimitRange]:
        return [located.limit_range for located in self.limit_ranges.get(namespace, ())]


class _Reader:
    """Reads one cluster object, collecting located errors instead of stopping at the first."""

    def __init__(self, doc: Document, path: Path, obj: Mapping[str, Any], limits: Limits) -> None:
        self.doc, self.path, self.obj, self.limits = doc, path, obj, limits
        self.errors: list[Entry] = []
        self.name, self.namespace = names(obj)

    def error(self, at: Path, detail: str) -> None:
        entry = stream_error(self.doc, None, (*self.path, *at), detail)
        entry["kind"], entry["name"] = self.obj.get("kind"), self.name
        self.errors.append(entry)

    def violations(self, found: Iterable[Violation]) -> None:
        for v in found:
            self.error(v.path, f'Invalid value: "{v.value}": {v.message}' if v.value is not None else v.message)

    def at(self, *keys: str) -> Any:
        value: Any = self.obj
        for key in keys:
            value = value.get(key) if isinstance(value, Mapping) else None
        return value

    def mapping(self, *keys: str) -> Mapping[str, Any]:
        value = self.at(*keys)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.error(keys, "must be an object")
            return {}
        return value

    def resources(self, value: Any, at: Path, rounded: bool = True, non_negative: bool = False) -> dict[str, Quantity]:
        try:
            loaded = load_resource_list(value, self.limits.quantity_length)
        except FieldError as err:
            for where, detail in flatten_messages(err.messages, pointer(*self.path, *at)):
                entry = stream_error(self.doc, None, None, detail, where)
                entry["kind"], entry["name"] = self.obj.get("kind"), self.name
                self.errors.append(entry)
            return {}
        if non_negative:
            for name, q in loaded.items():
                if q.nanos < 0:
                    self.error((*at, name), f'Invalid value: "{q}": must be greater than or equal to 0')
        return {n: round_up_milli(q) for n, q in loaded.items()} if rounded else loaded

    def whole(self, value: Any, at: Path, default: int) -> int:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.error(at, "must be a whole number")
            return default
        return value


def _read_limit_range(r: _Reader) -> LimitRange | None:
    raw = r.at("spec", "limits")
    if not isinstance(raw, list):
        r.error(("spec", "limits"), "Required value: a list of limits")
        return None
    items = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            r.error(("spec", "limits", i), "must be an object")
            continue
        kind = entry.get("type")
        if not isinstance(kind, str):
            r.error(("spec", "limits", i, "type"), "Required value")
            continue
        values = {attr: r.resources(entry.get(key), ("spec", "limits", i, key)) for key, attr in LR_FIELDS.items()}
        items.append(limitrange.set_defaults(LimitRangeItem(type=kind, **values)))
    lr = LimitRange(r.name or "", r.namespace, tuple(items))
    if not r.errors:
        r.violations(limitrange.validate(lr))
    return lr


def _read_quota(r: _Reader) -> ResourceQuota | None:
    hard = r.resources(r.at("spec", "hard"), ("spec", "hard"))
    used = r.resources(r.at("status", "used"), ("status", "used"))
    scopes_raw = r.at("spec", "scopes") or []
    scopes: list[str] = []
    if not isinstance(scopes_raw, list):
        r.error(("spec", "scopes"), "must be a list of scope names")
    else:
        for i, s in enumerate(scopes_raw):
            if isinstance(s, str):
                scopes.append(s)
            else:
                r.error(("spec", "scopes", i), "must be a string")
    selector: list[ScopeRequirement] = []
    expressions = r.mapping("spec", "scopeSelector").get("matchExpressions") or []
    for i, e in enumerate(expressions if isinstance(expressions, list) else []):
        at: Path = ("spec", "scopeSelector", "matchExpressions", i)
        values = e.get("values") if isinstance(e, Mapping) else None
        if (
            not isinstance(e, Mapping)
            or not isinstance(e.get("scopeName"), str)
            or not isinstance(e.get("operator"), str)
        ):
            r.error(at, "needs scopeName and operator strings")
        elif values is not None and not (isinstance(values, list) and all(isinstance(v, str) for v in values)):
            r.error((*at, "values"), "must be a list of strings")
        else:
            selector.append(ScopeRequirement(e["scopeName"], e["operator"], tuple(values or ())))
    q = ResourceQuota(r.name or "", r.namespace, hard, used, tuple(scopes), tuple(selector))
    if not r.errors:
        r.violations(quota.validate(q))
    return q


def _read_node(r: _Reader) -> Node:
    raw = r.at("status", "allocatable")
    at: Path = ("status", "allocatable")
    if raw is None:  # the kubelet reports both; allocatable defaults to capacity
        raw, at = r.at("status", "capacity"), ("status", "capacity")
    if raw is None:
        r.error(("status", "allocatable"), "Required value: a Node needs status.allocatable")
    alloc = r.resources(raw, at, rounded=False, non_negative=True)
    return Node(r.name or "", node_allocation.node_allocatable(alloc), r.doc.location(r.path), _node_facts(r))


def _node_facts(r: _Reader) -> NodeFacts:
    """What the scheduler's filters read of a Node: ``spec.unschedulable``, ``spec.taints``, its labels."""
    unschedulable = r.at("spec", "unschedulable")
    if unschedulable is not None and not isinstance(unschedulable, bool):
        r.error(("spec", "unschedulable"), "must be true or false")
    taints = []
    listed = r.at("spec", "taints")
    for i, t in enumerate(listed if isinstance(listed, list) else ()):
        key, value, effect = (t.get(k) for k in ("key", "value", "effect")) if isinstance(t, Mapping) else (None,) * 3
        if not isinstance(key, str) or not isinstance(effect, str) or not isinstance(value, str | None):
            r.error(("spec", "taints", i), "a taint is an object with a key and an effect (strings)")
            continue
        taints.append(Taint(key, value or "", effect))
    labels = r.at("metadata", "labels")
    labels = {k: v for k, v in labels.items() if isinstance(v, str)} if isinstance(labels, Mapping) else {}
    return NodeFacts(unschedulable is True, tuple(taints), labels)


def _read_shape(r: _Reader) -> NodeShape:
    if r.obj.get("apiVersion") not in (None, NODE_SHAPE_API_VERSION):
        r.error(("apiVersion",), f"must be {NODE_SHAPE_API_VERSION}")
    capacity = r.resources(r.at("spec", "capacity"), ("spec", "capacity"), rounded=False, non_negative=True)
    if not capacity and not r.errors:
        r.error(("spec", "capacity"), "Required value: e.g. {cpu: 16 cores, memory: 64 GiB}")
    max_pods = r.whole(r.at("spec", "maxPods"), ("spec", "maxPods"), node_allocation.DEFAULT_MAX_PODS)
    if node_allocation.PODS in capacity:
        pods = capacity.pop(node_allocation.PODS)
        if pods.nanos % NANO:
            r.error(("spec", "capacity", node_allocation.PODS), "must be a whole number of pods")
        elif pods.nanos >= 0:  # a negative count is already reported
            max_pods = pods.nanos // NANO
    res = r.mapping("spec", "reservation")
    model_name = res.get("model", Model.EXPLICIT.value)
    try:
        model = Model(model_name)
    except ValueError:
        shown = ", ".join(f'"{m.value}"' for m in Model)
        r.error(("spec", "reservation", "model"), f"Unsupported value: {model_name!r}: supported values: {shown}")
        model = Model.EXPLICIT
    reservation = node_allocation.reservation(model, capacity, max_pods)
    if model is Model.EXPLICIT:
        reservation = _explicit(r, res, reservation)
    elif set(res) - {"model"}:
        r.error(("spec", "reservation"), f"the {model.value} model sets its own reservation: give only model")
    return NodeShape(r.name or "", capacity, max_pods, reservation, r.doc.location(r.path))


def _explicit(r: _Reader, res: Mapping[str, Any], default: node_allocation.Reservation) -> node_allocation.Reservation:
    kube = r.resources(res.get("kubeReserved"), ("spec", "reservation", "kubeReserved"), False, True)
    system = r.resources(res.get("systemReserved"), ("spec", "reservation", "systemReserved"), False, True)
    raw = res.get("evictionHard")
    if raw is None:
        return node_allocation.Reservation(Model.EXPLICIT, kube, system, default.eviction_hard)
    eviction: dict[str, Quantity | Fraction] = {}
    if not isinstance(raw, Mapping):
        r.error(("spec", "reservation", "evictionHard"), "must be an object")
        raw = {}
    for signal, value in raw.items():
        at: Path = ("spec", "reservation", "evictionHard", signal)
        if signal not in (node_allocation.MEMORY_AVAILABLE, node_allocation.NODEFS_AVAILABLE):
            continue  # other signals (imagefs, inodes) do not reduce allocatable
        text = str(value)
        if text.endswith("%"):
            if _PERCENT.fullmatch(text) is None or Fraction(text[:-1]) > 100:
                r.error(at, "must be a quantity or a percentage from 0% to 100%, such as 10%")
            else:
                eviction[signal] = Fraction(text[:-1]) / 100
        else:
            name = "memory" if signal == node_allocation.MEMORY_AVAILABLE else "ephemeral-storage"
            try:
                q = parse_resource_quantity(name, text)
            except QuantityError as err:
                r.error(at, str(err))
            else:
                if q.nanos < 0:
                    r.error(at, "must be greater than or equal to 0")
                eviction[signal] = q
    return node_allocation.Reservation(Model.EXPLICIT, kube, system, eviction)


_PERCENT = re.compile(r"[0-9]{1,3}(\.[0-9]{1,6})?%")


def creations(obj: Mapping[str, Any], limits: Limits) -> tuple[Creation, ...]:
    """What creating ``obj`` counts against its namespace's quotas: the object itself, then
    what its controller creates before any pod (``calc.quota_objects.CREATES``); nothing for a kind
    quota does not count as an object (``calc.quota_objects.counted_as_object``: a Pod, a List, a
    Node), nor for a NodeShape, podcalc's own."""
    kind = obj.get("kind")
    if not isinstance(kind, str) or kind == "NodeShape" or not quota_objects.counted_as_object(kind):
        return ()
    api_version = obj.get("apiVersion")
    group = api_version.rsplit("/", 1)[0] if isinstance(api_version, str) and "/" in api_version else ""
    name, _ = names(obj)
    spec = obj.get("spec")
    spec = spec if isinstance(spec, Mapping) else {}
    ports = spec.get("ports")
    ports = ports if isinstance(ports, list) else []
    service_type = quota_objects.defaulted_service_type(_string(spec.get("type")))
    named = [isinstance(p, Mapping) and bool(p.get("nodePort")) for p in ports]
    allocate = spec.get("allocateLoadBalancerNodePorts")
    node_ports = quota_objects.service_node_ports(service_type, named, allocate if isinstance(allocate, bool) else None)
    requests, storage_class = _claim(obj, spec, limits) if kind == "PersistentVolumeClaim" else ({}, None)
    usage = quota_objects.object_usage(kind, group, service_type, node_ports, requests.get("storage"), storage_class)
    own = Creation(kind, name, usage, requests)
    created = tuple(Creation(k, None, quota_objects.object_usage(k, g)) for k, g in quota_objects.CREATES.get(kind, ()))
    return (own, *created)


def claims(obj: Mapping[str, Any], limits: Limits) -> tuple[Creation, ...]:
    """The PersistentVolumeClaims a StatefulSet creates before each pod: one per
    ``volumeClaimTemplates`` entry, named by the template."""
    spec = obj.get("spec")
    templates = spec.get("volumeClaimTemplates") if isinstance(spec, Mapping) else None
    out = []
    for template in templates if isinstance(templates, list) else ():
        if not isinstance(template, Mapping):
            continue
        name, _ = names(template)
        claim_spec = template.get("spec")
        requests, storage_class = _claim(template, claim_spec if isinstance(claim_spec, Mapping) else {}, limits)
        usage = quota_objects.object_usage(
            "PersistentVolumeClaim", "", storage=requests.get("storage"), storage_class=storage_class
        )
        out.append(Creation("PersistentVolumeClaim", name, usage, requests))
    return tuple(out)


def _claim(obj: Mapping[str, Any], spec: Mapping[str, Any], limits: Limits) -> tuple[dict[str, Quantity], str | None]:
    """A claim's ``spec.resources.requests`` and the storage class it is charged to, from its
    beta annotation and ``spec.storageClassName`` (``calc.quota_objects.claim_storage_class``)."""
    requests: dict[str, Quantity] = {}
    resources = spec.get("resources")
    if isinstance(resources, Mapping):
        try:
            requests = load_resource_list(resources.get("requests"), limits.quantity_length)
        except FieldError:
            requests = {}
    metadata = obj.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    annotation = (
        annotations.get(quota_objects.BETA_STORAGE_CLASS_ANNOTATION) if isinstance(annotations, Mapping) else None
    )
    if annotation is not None and not isinstance(annotation, str):
        annotation = ""  # set, but to no class name
    return requests, quota_objects.claim_storage_class(annotation, _string(spec.get("storageClassName")))


def _string(value: Any) -> str | None:
    """``value`` where it is a string, else None (not set)."""
    return value if isinstance(value, str) else None


def check_cluster_size(found: Found, limits: Limits) -> None:
    """Refuse more cluster objects than one plan may hold (each limit named with its setting)."""
    kinds = [obj.get("kind") for _, _, obj in found if isinstance(obj, Mapping)]
    counts = {
        ("NodeShape objects", limits.node_shapes, "PODCALC_MAX_NODE_SHAPES"): kinds.count("NodeShape"),
        ("Node objects", limits.cluster_nodes, "PODCALC_MAX_CLUSTER_NODES"): kinds.count("Node"),
        ("LimitRanges and ResourceQuotas", limits.policies, "PODCALC_MAX_POLICIES"): kinds.count("LimitRange")
        + kinds.count("ResourceQuota"),
    }
    for (what, limit, setting), count in counts.items():
        if count > limit:
            raise TooLargeError.limit(f"{count:,} {what} in the request", limit, setting)


def read_cluster(found: Found, limits: Limits) -> tuple[Cluster, list[Entry]]:
    """The cluster objects of ``found``, and every problem with them."""
    check_cluster_size(found, limits)
    cluster = Cluster()
    errors: list[Entry] = []
    for doc, path, obj in found:
        if not isinstance(obj, Mapping):
            continue
        kind = obj.get("kind")
        if type(kind) is not str or kind not in CLUSTER_KINDS:  # classify reports a kind that is not a string
            continue
        r = _Reader(doc, path, obj, limits)
        namespace = r.namespace or DEFAULT_NAMESPACE
        if kind in ("LimitRange", "ResourceQuota") and r.name is None:
            r.error(("metadata", "name"), "Required value")
        located = doc.location(path)
        if kind == "LimitRange":
            lr = _read_limit_range(r)
            if lr is not None:
                cluster.limit_ranges.setdefault(namespace, []).append(LocatedLimitRange(lr, located))
        elif kind == "ResourceQuota":
            q = _read_quota(r)
            if q is not None:
                cluster.quotas.setdefault(namespace, []).append(LocatedQuota(q, located))
        elif kind == "Node":
            cluster.nodes.append(_read_node(r))
        else:
            cluster.shapes.append(_read_shape(r))
        errors += r.errors
    return cluster, errors
