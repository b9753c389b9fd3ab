"""``POST /v1/plan`` and ``podcalc plan``: admission, quota headroom and node fit of a stream.

The stream holds workloads, as for ``/v1/effective-resources``, and the cluster's objects:
LimitRanges and ResourceQuotas (per namespace), Nodes (``status.allocatable``; Pods with
``spec.nodeName`` already run there), and node shapes (``kind: NodeShape``, podcalc's own:
a capacity and a reservation model). Workloads without a namespace are in ``default``.

In order, as the cluster would see them:

1. each workload's pod is admitted through its namespace's LimitRanges (defaults, then
   their rules) and validated;
2. its pods are admitted against the namespace's quotas one at a time, in stream order;
3. admitted pods are placed: on the Nodes given (first-fit decreasing), and on as many
   nodes of each shape as they need.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from calc import limitrange, quota
from calc import nodes as nodefit
from calc.effective import pod_requests
from calc.errors import Path, QuantityError, Violation
from calc.evaluate import LimitRangeConflictError
from calc.limitrange import LimitRange, LimitRangeItem
from calc.nodes import Model, NodeGroup, PodGroup
from calc.pod import ResourceList
from calc.quantity import NANO, Quantity, canonical, decimal_string, round_up_milli
from calc.quota import PodFacts, ResourceQuota, ScopeRequirement
from calc.resources import parse_resource_quantity
from calc.workloads import Skipped, Workload, classify, scale, sum_resources
from podcalc.effective import (
    Document,
    Evaluated,
    collect,
    evaluate_workload,
    kubernetes_block,
    release,
    runtime_classes,
    skipped_entry,
    stream_error,
    workload_item,
)
from podcalc.errors import InvalidError, pointer
from podcalc.reading.documents import DEFAULT_LIMITS, Limits, too_large
from podcalc.reading.podspec import FieldError, flatten_messages, load_resource_list
from podcalc.render import explanation, quantities

DEFAULT_NAMESPACE = "default"
NODE_SHAPE_API_VERSION = "podcalc.io/v1alpha1"
DEFAULT_MAX_PODS = 110  # the kubelet's --max-pods default
CLUSTER_KINDS = frozenset({"LimitRange", "ResourceQuota", "Node", "NodeShape"})
_LR_FIELDS = {
    "max": "max",
    "min": "min",
    "default": "default",
    "defaultRequest": "default_request",
    "maxLimitRequestRatio": "max_limit_request_ratio",
}


# --- reading the cluster's objects -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Located:
    """A cluster object and where it came from."""

    document: Document
    path: Path


@dataclass(frozen=True, slots=True)
class _Shape:
    name: str
    capacity: dict[str, Quantity]
    max_pods: int
    reservation: nodefit.Reservation
    where: _Located


@dataclass(frozen=True, slots=True)
class _Node:
    name: str
    allocatable: dict[str, Quantity]
    where: _Located


@dataclass(slots=True)
class _Cluster:
    limit_ranges: dict[str, list[tuple[LimitRange, _Located]]] = field(default_factory=dict)
    quotas: dict[str, list[tuple[ResourceQuota, _Located]]] = field(default_factory=dict)
    nodes: list[_Node] = field(default_factory=list)
    shapes: list[_Shape] = field(default_factory=list)
    # objects counted by quota, by namespace: (usage, where)
    objects: dict[str, list[dict[str, Quantity]]] = field(default_factory=dict)


class _Reader:
    """Reads one cluster object, collecting located errors instead of stopping at the first."""

    def __init__(self, doc: Document, path: Path, obj: Mapping[str, Any], limits: Limits) -> None:
        self.doc, self.path, self.obj, self.limits = doc, path, obj, limits
        self.errors: list[dict[str, Any]] = []
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
        self.name = meta.get("name") if isinstance(meta.get("name"), str) else None
        self.namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else None

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
        values = {attr: r.resources(entry.get(key), ("spec", "limits", i, key)) for key, attr in _LR_FIELDS.items()}
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


def _read_node(r: _Reader) -> _Node:
    raw = r.at("status", "allocatable")
    at: Path = ("status", "allocatable")
    if raw is None:  # the kubelet reports both; allocatable defaults to capacity
        raw, at = r.at("status", "capacity"), ("status", "capacity")
    if raw is None:
        r.error(("status", "allocatable"), "Required value: a Node needs status.allocatable")
    alloc = r.resources(raw, at, rounded=False, non_negative=True)
    alloc.setdefault(nodefit.PODS, Quantity(DEFAULT_MAX_PODS * NANO))
    return _Node(r.name or "", alloc, _Located(r.doc, r.path))


def _read_shape(r: _Reader) -> _Shape:
    if r.obj.get("apiVersion") not in (None, NODE_SHAPE_API_VERSION):
        r.error(("apiVersion",), f"must be {NODE_SHAPE_API_VERSION}")
    capacity = r.resources(r.at("spec", "capacity"), ("spec", "capacity"), rounded=False, non_negative=True)
    if not capacity and not r.errors:
        r.error(("spec", "capacity"), "Required value: e.g. {cpu: 16 cores, memory: 64 GiB}")
    max_pods = r.whole(r.at("spec", "maxPods"), ("spec", "maxPods"), DEFAULT_MAX_PODS)
    if nodefit.PODS in capacity:
        pods = capacity.pop(nodefit.PODS)
        if pods.nanos % NANO:
            r.error(("spec", "capacity", nodefit.PODS), "must be a whole number of pods")
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
    reservation = nodefit.reservation(model, capacity, max_pods)
    if model is Model.EXPLICIT:
        reservation = _explicit(r, res, reservation)
    elif set(res) - {"model"}:
        r.error(("spec", "reservation"), f"the {model.value} model sets its own reservation: give only model")
    return _Shape(r.name or "", capacity, max_pods, reservation, _Located(r.doc, r.path))


def _explicit(r: _Reader, res: Mapping[str, Any], default: nodefit.Reservation) -> nodefit.Reservation:
    kube = r.resources(res.get("kubeReserved"), ("spec", "reservation", "kubeReserved"), False, True)
    system = r.resources(res.get("systemReserved"), ("spec", "reservation", "systemReserved"), False, True)
    raw = res.get("evictionHard")
    if raw is None:
        return nodefit.Reservation(Model.EXPLICIT, kube, system, default.eviction_hard)
    eviction: dict[str, Quantity | Fraction] = {}
    if not isinstance(raw, Mapping):
        r.error(("spec", "reservation", "evictionHard"), "must be an object")
        raw = {}
    for signal, value in raw.items():
        at: Path = ("spec", "reservation", "evictionHard", signal)
        if signal not in (nodefit.MEMORY_AVAILABLE, nodefit.NODEFS_AVAILABLE):
            continue  # other signals (imagefs, inodes) do not reduce allocatable
        text = str(value)
        if text.endswith("%"):
            if _PERCENT.fullmatch(text) is None or Fraction(text[:-1]) > 100:
                r.error(at, "must be a quantity or a percentage from 0% to 100%, such as 10%")
            else:
                eviction[signal] = Fraction(text[:-1]) / 100
        else:
            name = "memory" if signal == nodefit.MEMORY_AVAILABLE else "ephemeral-storage"
            try:
                q = parse_resource_quantity(name, text)
            except QuantityError as err:
                r.error(at, str(err))
            else:
                if q.nanos < 0:
                    r.error(at, "must be greater than or equal to 0")
                eviction[signal] = q
    return nodefit.Reservation(Model.EXPLICIT, kube, system, eviction)


_PERCENT = re.compile(r"[0-9]{1,3}(\.[0-9]{1,6})?%")


def _object_usage(obj: Mapping[str, Any], limits: Limits) -> dict[str, Quantity]:
    kind = obj.get("kind")
    api_version = obj.get("apiVersion") if isinstance(obj.get("apiVersion"), str) else ""
    if not isinstance(kind, str) or kind == "Pod" or kind.endswith("List") or kind in ("Node", "NodeShape"):
        return {}
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    spec = obj.get("spec") if isinstance(obj.get("spec"), Mapping) else {}
    ports = spec.get("ports") if isinstance(spec.get("ports"), list) else []
    service_type = spec.get("type") if isinstance(spec.get("type"), str) else "ClusterIP"
    node_ports = len(ports) if service_type in ("NodePort", "LoadBalancer") else 0
    if service_type == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is False:
        node_ports = sum(1 for p in ports if isinstance(p, Mapping) and p.get("nodePort"))
    storage = None
    if kind == "PersistentVolumeClaim":
        requests = (spec.get("resources") or {}).get("requests") if isinstance(spec.get("resources"), Mapping) else None
        try:
            storage = load_resource_list(requests, limits.quantity_length).get("storage")
        except FieldError:
            storage = None
    return quota.object_usage(kind, group, service_type, node_ports, storage)


def _check_cluster_size(found: list[tuple[Document, Path, Any]], limits: Limits) -> None:
    """413 for more cluster objects than one plan may hold (each limit named with its setting)."""
    kinds = [obj.get("kind") for _, _, obj in found if isinstance(obj, Mapping)]
    counts = {
        ("NodeShape objects", limits.node_shapes, "PODCALC_MAX_NODE_SHAPES"): kinds.count("NodeShape"),
        ("Node objects", limits.cluster_nodes, "PODCALC_MAX_CLUSTER_NODES"): kinds.count("Node"),
        ("LimitRanges and ResourceQuotas", limits.policies, "PODCALC_MAX_POLICIES"): kinds.count("LimitRange")
        + kinds.count("ResourceQuota"),
    }
    for (what, limit, setting), count in counts.items():
        if count > limit:
            raise too_large(f"{count:,} {what} in the request", limit, setting)


def _read_cluster(found: list[tuple[Document, Path, Any]], limits: Limits) -> tuple[_Cluster, list[dict[str, Any]]]:
    cluster = _Cluster()
    errors: list[dict[str, Any]] = []
    for doc, path, obj in found:
        if not isinstance(obj, Mapping):
            continue
        kind = obj.get("kind")
        r = _Reader(doc, path, obj, limits)
        namespace = r.namespace or DEFAULT_NAMESPACE
        usage = _object_usage(obj, limits)
        if usage:
            cluster.objects.setdefault(namespace, []).append(usage)
        if kind not in CLUSTER_KINDS:
            continue
        if kind in ("LimitRange", "ResourceQuota") and r.name is None:
            r.error(("metadata", "name"), "Required value")
        located = _Located(doc, path)
        if kind == "LimitRange":
            lr = _read_limit_range(r)
            if lr is not None:
                cluster.limit_ranges.setdefault(namespace, []).append((lr, located))
        elif kind == "ResourceQuota":
            q = _read_quota(r)
            if q is not None:
                cluster.quotas.setdefault(namespace, []).append((q, located))
        elif kind == "Node":
            cluster.nodes.append(_read_node(r))
        else:
            cluster.shapes.append(_read_shape(r))
        errors += r.errors
    return cluster, errors


# --- the plan --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    """One workload of the plan: its evaluation (None when refused before it could be computed)."""

    index: int
    evaluated: Evaluated | None
    workload: Workload
    document: Document
    namespace: str
    pods: int | None  # pods at once (None: a DaemonSet without a node count)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    refused: LimitRangeConflictError | None = None
    admitted: int = 0  # pods admitted by quota
    quota_more: int | None = None
    quota_limited_by: dict[str, str] | None = None
    per_pod: ResourceList = field(default_factory=dict)  # effective requests of one pod
    quota_states: list[_QuotaState] = field(default_factory=list)  # the quotas that count its pods
    usage: ResourceList = field(default_factory=dict)  # what one pod counts against quotas (PodUsageFunc)

    @property
    def daemon(self) -> bool:
        return self.workload.pods is None

    @property
    def bound_to(self) -> str | None:
        return None if self.evaluated is None else self.evaluated.evaluation.spec.node_name


def plan_documents(
    documents: Iterable[Document],
    nodes: int | None = None,
    units: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    kubernetes_version: str | None = None,
    explain: bool = False,
) -> dict[str, Any]:
    """The plan of ``documents``: the body of ``POST /v1/plan``."""
    units = dict(units or {})
    release_features = release(kubernetes_version)
    found = collect(documents, units, limits)
    classes, errors = runtime_classes(found, limits)
    _check_cluster_size(found, limits)
    cluster, cluster_errors = _read_cluster(found, limits)
    errors += cluster_errors
    if cluster.nodes and nodes is None:
        nodes = len(cluster.nodes)
    entries: list[_Entry] = []
    skipped: list[dict[str, Any]] = []
    for doc, path, obj in found:
        if isinstance(obj, Mapping) and obj.get("kind") in CLUSTER_KINDS:
            continue
        what = classify(obj, path)
        if isinstance(what, list):
            errors += [stream_error(doc, None, v.path, v.message) for v in what]
            continue
        if isinstance(what, Skipped):
            skipped.append(skipped_entry(doc, what))
            continue
        namespace = what.namespace or DEFAULT_NAMESPACE
        ranges = [lr for lr, _ in cluster.limit_ranges.get(namespace, ())]
        pods = nodes if what.pods is None else what.pods
        try:
            result = evaluate_workload(doc, what, classes, limits, ranges, release_features)
        except LimitRangeConflictError as err:
            entry = _Entry(len(entries), None, what, doc, namespace, pods, refused=err)
            entry.rejections.append(_conflict(what, err))
            entries.append(entry)
            continue
        if isinstance(result, list):
            errors += result
            continue
        entry = _Entry(len(entries), result, what, doc, namespace, pods, per_pod=result.evaluation.requests)
        violations = result.evaluation.limit_violations
        if violations:
            ranges_named = sorted({v.limit_range for v in violations})
            entry.rejections.append(
                {
                    "by": "LimitRanger",
                    "objects": [f"LimitRange/{n}" for n in ranges_named],
                    "message": limitrange.forbidden_message(violations),
                    "violations": [_limit_violation(v) for v in violations],
                }
            )
        entries.append(entry)
    if errors:
        raise InvalidError.listing(errors)
    quotas = _admit_quotas(entries, cluster)
    items = [_item(e, nodes, units) for e in entries]
    if explain:
        for e, item in zip(entries, items, strict=True):
            if e.evaluated is not None:
                ranges = [lr for lr, _ in cluster.limit_ranges.get(e.namespace, ())]
                item["explanation"] = explanation(e.evaluated.evaluation, ranges)
    return {
        "items": items,
        "skipped": skipped,
        "limitRanges": [_limit_range(lr, at) for ranges in cluster.limit_ranges.values() for lr, at in ranges],
        "quotas": quotas,
        "nodes": _existing_nodes(entries, cluster),
        "nodeShapes": [_shape(s, entries) for s in cluster.shapes],
        "kubernetes": kubernetes_block(release_features, [e.evaluated for e in entries if e.evaluated is not None]),
    }


def _conflict(w: Workload, err: LimitRangeConflictError) -> dict[str, Any]:
    """A pod that LimitRange defaults make invalid, as the API server words it."""
    reasons = [f'{_go_path(("spec", *v.path))}: Invalid value: "{v.value}": {v.message}' for v in err.violations]
    ranges = sorted({f.limit_range for f in err.filled})
    return {
        "by": "validation",
        "objects": [f"LimitRange/{n}" for n in ranges],
        "message": f'Pod "{w.name or ""}" is invalid: ' + ", ".join(reasons),
        "violations": [],
    }


def _go_path(path: Path) -> str:
    """A field path as the API server prints it: ``spec.containers[0].resources.requests[cpu]``."""
    out = ""
    previous: str | int | None = None
    for part in path:
        if isinstance(part, int) or previous in ("requests", "limits"):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
        previous = part
    return out


def _limit_violation(v: limitrange.LimitViolation) -> dict[str, Any]:
    return {
        "limitRange": v.limit_range,
        "item": v.item,
        "type": v.type,
        "resource": v.resource,
        "container": v.container,
        "message": v.message,
    }


def _admissible(e: _Entry) -> bool:
    return e.evaluated is not None and not e.rejections and bool(e.pods)


def _facts(e: _Entry) -> PodFacts:
    assert e.evaluated is not None
    ev = e.evaluated.evaluation
    spec = ev.spec
    return PodFacts(
        qos_class=ev.qos_class,
        terminating=spec.active_deadline_seconds is not None and spec.active_deadline_seconds >= 0,
        priority_class=spec.priority_class_name,
        cross_namespace_affinity=spec.cross_namespace_affinity,
    )


class _QuotaState:
    """One quota while the namespace's pods are admitted."""

    def __init__(self, q: ResourceQuota, where: _Located, objects_usage: ResourceList) -> None:
        self.quota, self.where = q, where
        objects_covered = quota.covered(q, objects_usage)
        self.used = sum_resources([q.used, objects_covered])  # status.used, objects, admitted pods
        self.requested: dict[str, Quantity] = dict(objects_covered)  # everything the stream asks for
        self.rejections: list[dict[str, Any]] = []

    def remaining(self) -> dict[str, Quantity]:
        return {
            n: Quantity(h.nanos - self.used[n].nanos if n in self.used else h.nanos, h.format)
            for n, h in self.quota.hard.items()
        }

    def body(self) -> dict[str, Any]:
        q = self.quota
        total = sum_resources([q.used, self.requested])
        over = quota.exceeded(q, total)
        shares = {n: _share(total[n].nanos if n in total else 0, h.nanos) for n, h in q.hard.items()}
        binding = _binding(shares)
        return {
            "name": q.name,
            "namespace": q.namespace,
            "document": self.where.document.index,
            "path": pointer(*self.where.path),
            "scopes": [
                {"scopeName": r.scope, "operator": r.operator, "values": list(r.values)} for r in q.all_scopes()
            ],
            "hard": quantities(q.hard),
            "used": quantities(q.used),
            "requested": quantities(self.requested),
            "total": quantities({n: total[n] for n in q.hard if n in total}),
            "remaining": quantities(
                {n: Quantity(h.nanos - (total[n].nanos if n in total else 0), h.format) for n, h in q.hard.items()}
            ),
            "utilisation": {n: _percent(s) for n, s in sorted(shares.items())},
            "fits": not over and not self.rejections,
            "exceeded": over,
            "binding": binding,
            "rejections": self.rejections,
        }


def _share(used: int, hard: int) -> Fraction | None:
    """used / hard; None for any use of a hard limit of 0 (no finite share)."""
    if hard:
        return Fraction(used, hard)
    return None if used > 0 else Fraction(0)


def _binding(shares: Mapping[str, Fraction | None]) -> str | None:
    """The hard resource that binds first: one used beyond a limit of 0, else the largest share."""
    over_zero = sorted(n for n, s in shares.items() if s is None)
    if over_zero:
        return over_zero[0]
    used = [(s, n) for n, s in sorted(shares.items()) if s]
    return max(used, key=lambda t: t[0])[1] if used else None


def _percent(share: Fraction | None) -> str | None:
    """A share as a percentage with up to two decimals, rounded up (None: any use of nothing)."""
    if share is None:
        return None
    hundredths = -(-share * 10000 // 1)
    text = decimal_string(Fraction(hundredths, 100))[0]
    return text + "%"


def _admit_quotas(entries: list[_Entry], cluster: _Cluster) -> list[dict[str, Any]]:
    """Each namespace's pods against its quotas, one workload after another, as admission would.

    A workload's pods are admitted while every quota that counts them has room; the rest
    are refused with the quota's own message. Then: how many more pods would still fit.
    """
    for e in entries:
        e.admitted = (e.pods or 0) if _admissible(e) else 0
    out: list[dict[str, Any]] = []
    for namespace, located in cluster.quotas.items():
        objects_usage = sum_resources(cluster.objects.get(namespace, []))
        states = [_QuotaState(q, at, objects_usage) for q, at in located]
        for e in entries:
            if e.namespace == namespace and _admissible(e):
                _admit(e, [s for s in states if quota.matches(s.quota, _facts(e))])
        out += [s.body() for s in states]
    for e in entries:
        for s in e.quota_states:
            more, resource = quota.fits_more(s.remaining(), quota.covered(s.quota, e.usage))
            if more is not None and (e.quota_more is None or more < e.quota_more):
                e.quota_more, e.quota_limited_by = more, {"quota": s.quota.name, "resource": resource or ""}
    return out


def _admit(e: _Entry, states: list[_QuotaState]) -> None:
    assert e.evaluated is not None
    assert e.pods
    ev = e.evaluated.evaluation
    usage = e.usage = quota.pod_usage(ev.requests, ev.limits)
    containers = ev.spec.containers + ev.spec.init_containers
    for s in states:  # what the stream asks of each quota, admitted or not
        s.requested = sum_resources([s.requested, scale(quota.covered(s.quota, usage), e.pods)])
    for s in states:
        reason = quota.missing_constraints(s.quota, containers)
        if reason:
            e.admitted = 0
            message = f"failed quota: {s.quota.name}: {reason}"
            e.rejections.append(
                {
                    "by": "ResourceQuota",
                    "objects": [f"ResourceQuota/{s.quota.name}"],
                    "message": message,
                    "violations": [],
                }
            )
            s.rejections.append(
                {"item": e.index, "kind": e.workload.kind, "name": e.workload.name, "pods": e.pods, "message": message}
            )
            break  # admission stops at the first quota that fails
    if not e.admitted:
        return
    admitted, refusing = e.pods, None
    for s in states:
        n, _ = quota.fits_more(s.remaining(), quota.covered(s.quota, usage))
        if n is not None and n < admitted:
            admitted, refusing = n, s
    for s in states:
        s.used = sum_resources([s.used, scale(quota.covered(s.quota, usage), admitted)])
    e.admitted = admitted
    if refusing is not None:
        one = quota.covered(refusing.quota, usage)
        after = sum_resources([refusing.used, one])
        names = [n for n in quota.exceeded(refusing.quota, after) if n in one]  # quota.Mask of the request
        message = quota.exceeded_message(refusing.quota, one, refusing.used, names)
        refused = e.pods - admitted
        e.rejections.append(
            {
                "by": "ResourceQuota",
                "objects": [f"ResourceQuota/{refusing.quota.name}"],
                "message": message,
                "violations": [],
                "pods": refused,
            }
        )
        refusing.rejections.append(
            {"item": e.index, "kind": e.workload.kind, "name": e.workload.name, "pods": refused, "message": message}
        )
    e.quota_states = states


# --- items and nodes -------------------------------------------------------------------------


def _item(e: _Entry, nodes: int | None, units: Mapping[str, str]) -> dict[str, Any]:
    if e.evaluated is not None:
        item, _ = workload_item(e.evaluated, nodes, units)
    else:
        w = e.workload
        item = {
            "kind": w.kind,
            "name": w.name,
            "namespace": w.namespace,
            "document": e.document.index,
            "path": pointer(*w.path),
            "replicas": w.pods,
            "podsPerNode": 1 if w.pods is None else None,
            "pods": e.pods,
            "pod": None,
            "total": None,
        }
    ev = e.evaluated.evaluation if e.evaluated is not None else None
    filled = ev.limit_range_filled if ev is not None else (e.refused.filled if e.refused is not None else ())
    item["namespace"] = e.namespace
    item["limitRangeDefaults"] = {
        "filled": [
            {
                "container": f.container,
                "field": f.which,
                "resource": f.resource,
                "value": canonical(f.value),
                "limitRange": f.limit_range,
            }
            for f in filled
        ],
        "annotation": limitrange.annotation(filled),
    }
    pods = e.pods or 0
    item["admission"] = {
        "admitted": e.admitted == pods and not e.rejections,
        "podsAdmitted": e.admitted,
        "podsRefused": pods - e.admitted,
        "rejections": e.rejections,
    }
    item["quota"] = {
        "morePods": e.quota_more,
        "limitedBy": e.quota_limited_by,
    }
    item["scoringRequests"] = quantities(pod_requests(nodefit.scoring_spec(ev.spec))) if ev is not None else None
    return item


def _placeable(entries: Sequence[_Entry]) -> list[PodGroup]:
    """Admitted pods the scheduler still has to place: not DaemonSets, not bound to a node."""
    return [
        PodGroup(e.index, e.admitted, e.per_pod) for e in entries if e.admitted and not e.daemon and e.bound_to is None
    ]


def _daemons(entries: Sequence[_Entry]) -> list[_Entry]:
    return [e for e in entries if e.daemon and e.evaluated is not None and not e.rejections]


def _fits(free: ResourceList, entries: Sequence[_Entry]) -> list[dict[str, Any]]:
    out = []
    for e in entries:
        if e.evaluated is None:
            continue
        n, limiting = nodefit.pods_that_fit(free, e.per_pod)
        out.append({"item": e.index, "pods": n, "limitedBy": limiting})
    return out


def _groups(packed: Sequence[NodeGroup]) -> list[dict[str, Any]]:
    return [
        {
            "count": g.count,
            "name": g.name,
            "placed": [{"item": k, "pods": n} for k, n in sorted(g.placed.items())],
            "free": quantities(g.free),
        }
        for g in packed
    ]


def _existing_nodes(entries: list[_Entry], cluster: _Cluster) -> dict[str, Any] | None:
    """The Nodes given: what runs there already, what each workload's pods find, and the packing."""
    if not cluster.nodes:
        return None
    by_name = {n.name: n for n in cluster.nodes}
    bound: dict[str, list[ResourceList]] = {}
    notes: list[str] = []
    for e in entries:
        node = e.bound_to
        if node is None or not e.admitted:
            continue
        if node not in by_name:
            notes.append(
                f"{e.workload.kind} {e.workload.name or '(unnamed)'} is bound to node {node}, "
                "which is not in the stream"
            )
            continue
        one = {**e.per_pod, nodefit.PODS: Quantity(NANO)}
        bound.setdefault(node, []).append(scale(one, e.admitted))
    daemons = _daemons(entries)
    per_node_daemons = sum_resources([{**e.per_pod, nodefit.PODS: Quantity(NANO)} for e in daemons])
    rows = []
    groups = []
    for n in cluster.nodes:
        used = sum_resources([*bound.get(n.name, []), per_node_daemons])
        free = nodefit.subtract(n.allocatable, used)
        short = [r for r, q in used.items() if r not in n.allocatable or q.nanos > n.allocatable[r].nanos]
        rows.append(
            {
                "name": n.name,
                "document": n.where.document.index,
                "path": pointer(*n.where.path),
                "allocatable": quantities(n.allocatable),
                "running": quantities(used),
                "overcommitted": sorted(short),
                "free": quantities(free),
                "podsPerNode": _fits(free, [e for e in entries if not e.daemon]),
            }
        )
        groups.append(NodeGroup(1, free, {}, n.name))
    packing = nodefit.pack(_placeable(entries), groups, None)
    return {
        "nodes": rows,
        "packing": "first-fit decreasing by dominant share, an estimate of the scheduler",
        "placement": _groups(packing.nodes),
        "unplaced": [{"item": k, "pods": n} for k, n in sorted(packing.unplaced.items())],
        "fits": not packing.unplaced,
        "notes": notes,
    }


def _shape(shape: _Shape, entries: list[_Entry]) -> dict[str, Any]:
    alloc = nodefit.allocatable(shape.capacity, shape.reservation, shape.max_pods)
    daemons = _daemons(entries)
    per_node = sum_resources([{**e.per_pod, nodefit.PODS: Quantity(NANO)} for e in daemons])
    free = nodefit.subtract(alloc, per_node)
    short = sorted(r for r, q in per_node.items() if r not in alloc or q.nanos > alloc[r].nanos)
    packing = nodefit.pack(_placeable(entries), [], free)
    res = shape.reservation
    return {
        "name": shape.name,
        "document": shape.where.document.index,
        "path": pointer(*shape.where.path),
        "capacity": quantities(shape.capacity),
        "maxPods": shape.max_pods,
        "reservation": {
            "model": res.model.value,
            "source": nodefit.MODEL_SOURCES[res.model],
            "kubeReserved": quantities(res.kube_reserved),
            "systemReserved": quantities(res.system_reserved),
            "evictionHard": {
                k: (canonical(v) if isinstance(v, Quantity) else _percent(v))
                for k, v in sorted(res.eviction_hard.items())
            },
        },
        "allocatable": quantities(alloc),
        "daemonSetsPerNode": quantities(per_node),
        "daemonSetsFit": not short,
        "podsPerNode": _fits(free, [e for e in entries if not e.daemon]),
        "packing": "first-fit decreasing by dominant share, an estimate of the scheduler",
        "nodesNeeded": packing.opened,
        "nodes": _groups(packing.nodes),
        "unplaced": [{"item": k, "pods": n} for k, n in sorted(packing.unplaced.items())],
    }


def _limit_range(lr: LimitRange, where: _Located) -> dict[str, Any]:
    return {
        "name": lr.name,
        "namespace": lr.namespace,
        "document": where.document.index,
        "path": pointer(*where.path),
        "limits": [
            {
                "type": item.type,
                **{key: quantities(getattr(item, attr)) for key, attr in _LR_FIELDS.items()},
            }
            for item in lr.items
        ],
    }
