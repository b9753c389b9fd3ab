"""The core's values as the JSON that openapi.yaml describes: what the API answers and
``podcalc ... -o json`` prints, built here and nowhere else.

Plain functions over typed values (one per shape of the contract); every response of the
test suite is validated against openapi.yaml, which is what keeps these shapes honest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import orjson

from calc import limitrange
from calc.admission import QuotaOutcome, Rejection
from calc.diff import Figures as DiffFigures
from calc.effective import Phase
from calc.evaluate import PodEvaluation
from calc.explain import Provenance, advise, provenance
from calc.limitrange import LimitRange
from calc.nodes import MODEL_SOURCES, NodesFit, Packing, PerNode, ShapeFit, scoring_requests
from calc.pod import ResourceList
from calc.quantity import Quantity, canonical, decimal_string
from calc.resources import UNBOUNDED_WITHOUT_LIMIT, dimension_of
from calc.units import convert
from calc.versions import Features
from calc.workloads import Total, workload_total
from podcalc.errors import pointer
from podcalc.reading.cluster import LR_FIELDS, LocatedLimitRange
from podcalc.reading.manifests import Document, Skipped, Workload

if TYPE_CHECKING:
    from podcalc.diff import Compared
    from podcalc.effective import Evaluated
    from podcalc.plan import Plan, Planned


def encode(body: Any) -> bytes:
    """A response body as compact JSON, with a trailing newline.

    orjson writes large bodies far faster than the standard library. It refuses integers
    beyond 64 bits and strings with lone surrogates (``"x\\ud800"`` in a JSON body decodes
    to one); those bodies, rare, go through the standard library.
    """
    try:
        return orjson.dumps(body, option=orjson.OPT_APPEND_NEWLINE)
    except (TypeError, orjson.JSONEncodeError):  # ASCII: a lone surrogate in a name is written as \ud800
        return (json.dumps(body, separators=(",", ":")) + "\n").encode()


def quantities(resources: ResourceList) -> dict[str, str]:
    """A ResourceList as Kubernetes prints it, by resource name."""
    out: dict[str, str] = {}
    if resources:  # hot path: the text is read where it is already known
        for name in sorted(resources):
            q = resources[name]
            out[name] = q.text or canonical(q)
    return out


def phase(p: Phase) -> dict[str, Any]:
    return {
        "id": p.id,
        "kind": p.kind.value,
        "container": p.container,
        "running": list(p.running),
        "requests": quantities(p.requests),
        "limits": quantities(p.limits),
        "unboundedLimits": list(p.unbounded_limits),
    }


def pod_result(e: PodEvaluation) -> dict[str, Any]:
    """What Kubernetes sees of one pod: the figures and how they were reached."""
    spec = e.spec
    from_limits: dict[str, list[str]] = {}
    for name, resource in e.defaulted.requests_from_limits:
        from_limits.setdefault(name, []).append(resource)
    pod_resources = None
    if spec.resources is not None:
        pod_resources = {
            "requests": quantities(spec.resources.requests),
            "limits": quantities(spec.resources.limits),
            "defaultedRequests": sorted(e.defaulted.pod_requests_defaulted),
            "defaultedLimits": sorted(e.defaulted.pod_limits_defaulted),
        }
    return {
        "requests": quantities(e.requests),
        "limits": quantities(e.limits),
        "unboundedLimits": list(e.unbounded_limits),
        "qosClass": e.qos_class.value,
        "determinedBy": {
            "requests": dict(sorted(e.requests_set_by.items())),
            "limits": dict(sorted(e.limits_set_by.items())),
        },
        "overhead": quantities(spec.overhead),
        "podResources": pod_resources,
        "phases": [phase(p) for p in e.phases],
        "containers": [
            {
                "name": c.name,
                "type": c.type.value,
                "requests": quantities(c.requests),
                "limits": quantities(c.limits),
                "requestsFromLimits": sorted(from_limits.get(c.name, ())),
            }
            for c in spec.all_containers
        ],
    }


def _provenance(p: Provenance) -> dict[str, Any]:
    return {
        "value": canonical(p.value),
        "setBy": p.set_by,
        "terms": [{"container": t.container, "value": canonical(t.value), "source": t.source} for t in p.terms],
        "podLevel": None if p.pod_level is None else canonical(p.pod_level),
        "overhead": None if p.overhead is None else canonical(p.overhead),
    }


def explanation(e: PodEvaluation, limit_ranges: Sequence[LimitRange] = ()) -> dict[str, Any]:
    """``?explain=true``: where every figure came from, and advice with the figures after it."""
    requests, limits = provenance(e)
    return {
        "provenance": {
            "requests": {n: _provenance(requests[n]) for n in sorted(requests)},
            "limits": {n: _provenance(limits[n]) for n in sorted(limits)},
        },
        "advice": [
            {
                "kind": a.kind,
                "message": a.message,
                "after": None
                if a.after is None
                else {
                    "requests": quantities(a.after.requests),
                    "limits": quantities(a.after.limits),
                    "unboundedLimits": list(a.after.unbounded_limits),
                    "qosClass": a.after.qos_class.value,
                },
            }
            for a in advise(e, limit_ranges)
        ],
    }


def workload_item(
    document: Document, w: Workload, ev: PodEvaluation | None, pods: int | None, units: Mapping[str, str]
) -> dict[str, Any]:
    """One workload: where it is, its pods, its pod's figures and its total (None: a
    DaemonSet without a node count, or a pod refused before its figures were computed)."""
    pod, counted = None, None
    if ev is not None:
        pod = pod_result(ev)
        if units:
            pod["inUnits"] = in_units(ev.requests, ev.limits, units)
        if pods is not None:
            counted = workload_total(ev.requests, ev.limits, ev.unbounded_limits, pods)
    return {
        "kind": w.kind,
        "name": w.name,
        "namespace": w.namespace,
        "document": document.index,
        "path": pointer(*w.path),
        "replicas": w.pods,
        "podsPerNode": 1 if w.pods is None else None,
        "pods": pods,
        "pod": pod,
        "total": None if counted is None else figures(counted, units),
    }


def figures(t: Total, units: Mapping[str, str]) -> dict[str, Any]:
    """Requests, limits and what runs unbounded, of a total."""
    out: dict[str, Any] = {
        "requests": quantities(t.requests),
        "limits": quantities(t.limits),
        "unboundedLimits": [n for n in UNBOUNDED_WITHOUT_LIMIT if n in t.unbounded],
    }
    if units:
        out["inUnits"] = in_units(t.requests, t.limits, units)
    return out


def total(t: Total, units: Mapping[str, str]) -> dict[str, Any]:
    """A total with its pods."""
    return {"pods": t.pods} | figures(t, units)


def in_units(requests: ResourceList, limits: ResourceList, units: Mapping[str, str]) -> dict[str, Any]:
    """The figures of the resources asked for, in the units asked for (``unit[memory]=GiB``)."""

    def convert_all(resources: ResourceList) -> dict[str, str]:
        return {
            name: decimal_string(convert(resources[name], unit, dimension_of(name)))[0]
            for name, unit in sorted(units.items())
            if name in resources
        }

    return {"units": dict(sorted(units.items())), "requests": convert_all(requests), "limits": convert_all(limits)}


def skipped(document: Document, s: Skipped) -> dict[str, Any]:
    """An object that runs no pods, and why it was passed over."""
    return {
        "document": document.index,
        "path": pointer(*s.path),
        "kind": s.kind,
        "name": s.name,
        "namespace": s.namespace,
        "reason": s.reason,
    }


def kubernetes_block(f: Features, notes: Sequence[str]) -> dict[str, Any]:
    """The release computed as, its gates (each named as Kubernetes names it, with its
    default state in that release), and what it dropped from which workload."""
    return {
        "version": f.name,
        "features": {
            "SidecarContainers": f.sidecar_containers,
            "PodLevelResources": f.pod_level_resources,
            "PodLevelResourcesFixDefaulting": f.pod_level_resources_fix_defaulting,
            "PodLevelResourcesFixKubeletQOSClass": f.pod_level_resources_fix_kubelet_qos_class,
        },
        "notes": list(notes),
    }


# --- a plan --------------------------------------------------------------------------------

PACKING = "first-fit decreasing by dominant share, an estimate of the scheduler"


def plan_body(plan: Plan, units: Mapping[str, str], explain: bool) -> dict[str, Any]:
    """The body of ``POST /v1/plan``."""
    items = []
    for p in plan.planned:
        item = planned_item(p, units)
        if explain and p.evaluated is not None:
            item["explanation"] = explanation(p.evaluated.evaluation, plan.cluster.ranges_in(p.namespace))
        items.append(item)
    return {
        "items": items,
        "skipped": [skipped(doc, s) for doc, s in plan.skipped],
        "limitRanges": [limit_range(located) for ranges in plan.cluster.limit_ranges.values() for located in ranges],
        "quotas": [quota_outcome(q) for q in plan.quotas],
        "nodes": None if plan.nodes is None else nodes_fit(plan.nodes),
        "nodeShapes": [shape_fit(s) for s in plan.shapes],
        "kubernetes": kubernetes_block(plan.features, plan_notes(plan)),
        "warnings": plan.warnings,
        "objectRejections": [
            {
                "document": r.document.index,
                "path": pointer(*r.skipped.path),
                "kind": r.skipped.kind,
                "name": r.skipped.name,
                "namespace": r.namespace,
                "rejection": rejection(r.rejection),
            }
            for r in plan.refused_objects
        ],
    }


def release_notes(evaluated: Iterable[Evaluated]) -> list[str]:
    """What the chosen release dropped from which workload."""
    return [f"{e.workload.kind} {e.workload.name or '(unnamed)'}: {n}" for e in evaluated for n in e.notes]


def plan_notes(plan: Plan) -> list[str]:
    return release_notes(p.evaluated for p in plan.planned if p.evaluated is not None)


def planned_item(p: Planned, units: Mapping[str, str]) -> dict[str, Any]:
    """One workload of a plan: its figures, LimitRange defaults, admission and quota headroom."""
    ev = p.evaluated.evaluation if p.evaluated is not None else None
    item = workload_item(p.document, p.workload, ev, p.pods, units)
    item["namespace"] = p.namespace
    item["limitRangeDefaults"] = {
        "filled": [
            {
                "container": f.container,
                "field": f.which,
                "resource": f.resource,
                "value": canonical(f.value),
                "limitRange": f.limit_range,
            }
            for f in p.filled
        ],
        "annotation": limitrange.annotation(p.filled),
    }
    pods, admitted = p.pods or 0, p.admitted
    item["admission"] = {
        "admitted": admitted.pods == pods and not p.rejections,
        "podsAdmitted": admitted.pods,
        "podsRefused": pods - admitted.pods,
        "rejections": [rejection(r) for r in p.rejections],
    }
    limited_by = admitted.limited_by
    item["quota"] = {
        "morePods": admitted.more_pods,
        "limitedBy": None if limited_by is None else {"quota": limited_by[0], "resource": limited_by[1]},
    }
    item["scoringRequests"] = None if ev is None else quantities(scoring_requests(ev.spec))
    return item


def rejection(r: Rejection) -> dict[str, Any]:
    out: dict[str, Any] = {
        "by": r.by,
        "objects": list(r.objects),
        "message": r.message,
        "violations": [
            {
                "limitRange": v.limit_range,
                "item": v.item,
                "type": v.type,
                "resource": v.resource,
                "container": v.container,
                "message": v.message,
            }
            for v in r.violations
        ],
    }
    if r.pods is not None:
        out["pods"] = r.pods
    if r.refused is not None:
        out["refused"] = r.refused
    if r.notes:
        out["notes"] = list(r.notes)
    return out


def percent(share: Fraction | None) -> str | None:
    """A share as a percentage with up to two decimals, rounded half to even (None: any use of
    nothing): 406m of 300m is 135.333...% and prints ``135.33%``, 0.0625 prints ``6.25%``
    and 0.890625 ``89.06%``. Only the figure shown is rounded: whether a quota fits or is
    exceeded is decided on the exact share, so ``100%`` may be a hair over and exceeded."""
    if share is None:
        return None
    hundredths = round(share * 10000)  # Fraction.__round__: exact, ties to even
    return decimal_string(Fraction(hundredths, 100))[0] + "%"


def quota_outcome(o: QuotaOutcome) -> dict[str, Any]:
    q = o.quota
    return {
        "name": q.name,
        "namespace": q.namespace,
        "document": o.location.document,
        "path": pointer(*o.location.path),
        "scopes": [{"scopeName": r.scope, "operator": r.operator, "values": list(r.values)} for r in q.all_scopes()],
        "hard": quantities(q.hard),
        "used": quantities(q.used),
        "requested": quantities(o.requested),
        "total": quantities(o.total),
        "remaining": quantities(o.remaining),
        "utilisation": {n: percent(s) for n, s in sorted(o.shares.items())},
        "fits": o.fits,
        "exceeded": o.exceeded,
        "binding": o.binding,
        "rejections": [
            {
                "item": r.index,
                "kind": r.kind,
                "name": r.name,
                "pods": r.pods,
                "message": r.message,
                "refused": r.refused,
            }
            for r in o.refusals
        ],
    }


def limit_range(located: LocatedLimitRange) -> dict[str, Any]:
    lr, at = located.limit_range, located.location
    return {
        "name": lr.name,
        "namespace": lr.namespace,
        "document": at.document,
        "path": pointer(*at.path),
        "limits": [
            {"type": item.type, **{key: quantities(getattr(item, attr)) for key, attr in LR_FIELDS.items()}}
            for item in lr.items
        ],
    }


def _per_node(found: Sequence[PerNode]) -> list[dict[str, Any]]:
    return [{"item": f.index, "pods": f.pods, "limitedBy": f.limited_by} for f in found]


def _groups(packing: Packing) -> list[dict[str, Any]]:
    return [
        {
            "count": g.count,
            "name": g.name,
            "placed": [{"item": k, "pods": n} for k, n in sorted(g.placed.items())],
            "free": quantities(g.free),
        }
        for g in packing.nodes
    ]


def _unplaced(packing: Packing) -> list[dict[str, Any]]:
    return [{"item": k, "pods": n} for k, n in sorted(packing.unplaced.items())]


def nodes_fit(fit: NodesFit) -> dict[str, Any]:
    return {
        "nodes": [
            {
                "name": row.node.name,
                "document": row.node.location.document,
                "path": pointer(*row.node.location.path),
                "allocatable": quantities(row.node.allocatable),
                "running": quantities(row.running),
                "overcommitted": row.overcommitted,
                "free": quantities(row.free),
                "podsPerNode": _per_node(row.per_node),
            }
            for row in fit.rows
        ],
        "packing": PACKING,
        "placement": _groups(fit.packing),
        "unplaced": _unplaced(fit.packing),
        "fits": fit.fits,
        "notes": fit.notes,
    }


def shape_fit(fit: ShapeFit) -> dict[str, Any]:
    shape, res = fit.shape, fit.shape.reservation
    return {
        "name": shape.name,
        "document": shape.location.document,
        "path": pointer(*shape.location.path),
        "capacity": quantities(shape.capacity),
        "maxPods": shape.max_pods,
        "reservation": {
            "model": res.model.value,
            "source": MODEL_SOURCES[res.model],
            "kubeReserved": quantities(res.kube_reserved),
            "systemReserved": quantities(res.system_reserved),
            "evictionHard": {
                k: (canonical(v) if isinstance(v, Quantity) else percent(v))
                for k, v in sorted(res.eviction_hard.items())
            },
        },
        "allocatable": quantities(fit.allocatable),
        "daemonSetsPerNode": quantities(fit.daemons),
        "daemonSetsFit": fit.daemons_fit,
        "podsPerNode": _per_node(fit.per_node),
        "packing": PACKING,
        "nodesNeeded": fit.packing.opened,
        "nodes": _groups(fit.packing),
        "unplaced": _unplaced(fit.packing),
    }


# --- a diff --------------------------------------------------------------------------------


def _diff_figures(f: DiffFigures | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {
        "pods": f.pods,
        "podsAdmitted": f.pods_admitted,
        "requests": quantities(f.requests),
        "limits": quantities(f.limits),
        "unboundedLimits": list(f.unbounded),
        "qosClass": f.qos_class,
    }


def diff_body(compared: Compared) -> dict[str, Any]:
    """The body of ``POST /v1/diff``: the comparison, the release the plan after used, and
    both sides' warnings."""
    d, after, warnings = compared
    workloads = [
        {
            "kind": w.key[0],
            "namespace": w.key[1],
            "name": w.key[2],
            "change": w.change,
            "before": _diff_figures(w.before),
            "after": _diff_figures(w.after),
            "delta": {
                "pods": w.delta.pods,
                "podsAdmitted": w.pods_admitted,
                "requests": quantities(w.delta.requests),
                "limits": quantities(w.delta.limits),
            },
            "qosChange": w.qos_change,
        }
        for w in d.workloads
    ]
    return {
        "workloads": workloads,
        "byNamespace": [
            {
                "namespace": ns,
                "pods": delta.pods,
                "requests": quantities(delta.requests),
                "limits": quantities(delta.limits),
            }
            for ns, delta in d.namespaces
        ],
        "total": {"pods": d.total.pods, "requests": quantities(d.total.requests), "limits": quantities(d.total.limits)},
        "qosChanges": [f"{w['kind']}/{w['name']}: {w['qosChange']}" for w in workloads if w["qosChange"]],
        "quotas": [
            {
                "namespace": q.after.namespace,
                "name": q.after.name,
                "fitsBefore": None if q.before is None else q.before.fits,
                "fitsAfter": q.after.fits,
                "exceededAfter": list(q.after.exceeded),
                "remainingBefore": None if q.before is None else quantities(q.before.remaining),
                "remainingAfter": quantities(q.after.remaining),
            }
            for q in d.quotas
        ],
        "nodeShapes": [{"name": name, "nodesBefore": old, "nodesAfter": new} for name, old, new in d.shapes],
        "nodes": {"before": d.nodes[0], "after": d.nodes[1]},
        "kubernetes": kubernetes_block(after.features, plan_notes(after)),
        "warnings": warnings,
    }
