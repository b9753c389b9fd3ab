"""The JSON of a plan against a running cluster (``podcalc.live``): the plan's body, and the
``cluster`` block that leads with the answer. The API and ``podcalc plan --cluster -o json``
both print it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from calc.live import Figures
from podcalc.render import quantities
from podcalc.render_plan import plan_body

if TYPE_CHECKING:  # podcalc.live renders with live_body
    from podcalc.live import Change, LivePlan


def live_body(lp: LivePlan, units: Mapping[str, str], explain: bool) -> dict[str, Any]:
    """The body of ``POST /v1/plan`` with a cluster snapshot."""
    return plan_body(lp.plan, units, explain) | {"cluster": cluster_block(lp)}


def cluster_block(lp: LivePlan) -> dict[str, Any]:
    shapes = {s.shape.name: s.packing.opened for s in lp.plan.shapes}
    reasons = lp.reasons
    unplaced = lp.plan.nodes.packing.unplaced if lp.plan.nodes is not None else {}
    answer = "fits on the cluster as it is: " + ("yes" if not reasons else "no: " + "; ".join(reasons))
    if shapes:
        answer += "; nodes to add: " + ", ".join(f"{n} of {name}" for name, n in shapes.items())
    return {
        "answer": answer,
        "fits": not reasons,
        "reasons": reasons,
        "nodesToAdd": shapes,
        "snapshot": {
            "pods": lp.pods,
            "ended": lp.ended,
            "pending": [
                {
                    "item": index,
                    "kind": key[0],
                    "namespace": key[1],
                    "name": pod.name if pod else key[2],
                    "placed": None if lp.plan.nodes is None else index not in unplaced,
                }
                for index, pod, key in lp.pending
            ],
            "workloads": lp.workloads,
            "notes": lp.notes,
        },
        "workloads": [_change(c) for c in lp.changes],
        "byNamespace": [{"namespace": ns, **_figures(figures)} for ns, figures in lp.by_namespace.items()],
        "total": _figures(lp.total),
        "quotas": [
            {
                "namespace": q.outcome.quota.namespace,
                "name": q.outcome.quota.name,
                "hard": quantities(q.outcome.quota.hard),
                "used": quantities(q.used),
                "after": quantities(q.after),
                "atRolloutPeak": quantities(q.peak),
                "stalls": q.stalls,
            }
            for q in lp.quotas
        ],
    }


def _figures(f: Figures) -> dict[str, Any]:
    return {"pods": f.pods, "requests": quantities(f.requests), "limits": quantities(f.limits)}


def _change(c: Change) -> dict[str, Any]:
    r = c.rollout
    return {
        "item": c.planned.index,
        "kind": c.key[0],
        "namespace": c.key[1],
        "name": c.key[2],
        "change": c.change,
        "before": _figures(c.before),
        "after": _figures(c.after),
        "delta": _figures(c.delta),
        "rollout": None
        if r is None
        else {
            "strategy": r.strategy,
            "maxSurge": r.max_surge,
            "maxUnavailable": r.max_unavailable,
            "peakPods": r.peak.pods,
            "peak": quantities(r.peak.requests),
        },
    }
