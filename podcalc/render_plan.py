"""The JSON bodies of a plan and of a diff (``POST /v1/plan``, ``/v1/diff``, ``/v1/what-if``
and ``podcalc plan``/``diff -o json``), from the use cases' typed results; the pieces they
share with an effective-resources body are ``podcalc.render``'s."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from calc import limitrange
from calc.admission import Rejection
from calc.allocatable import MODEL_SOURCES
from calc.diff import Figures as DiffFigures
from calc.nodes import NodesFit, Packing, PerNode, ShapeFit, scoring_requests
from calc.quantity import Quantity, canonical, decimal_string
from calc.quota_admission import QuotaOutcome
from podcalc.errors import pointer
from podcalc.reading.cluster import LR_FIELDS, LocatedLimitRange

if TYPE_CHECKING:
    from podcalc.diff import Compared
    from podcalc.plan import Plan, Planned


from podcalc.render import explanation, kubernetes_block, quantities, release_notes, skipped, workload_item

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


def what_if_body(applied: Sequence[str], compared: Compared) -> dict[str, Any]:
    """The body of ``POST /v1/what-if``: what each change did, then the diff (``diff_body``)."""
    return {"applied": list(applied)} | diff_body(compared)


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
