"""The core's values as the JSON that openapi.yaml describes: what the API answers and
``podcalc ... -o json`` prints, built here and nowhere else.

Plain functions over typed values (one per shape of the contract); every response of the
test suite is validated against openapi.yaml, which is what keeps these shapes honest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from calc.effective import Phase
from calc.evaluate import PodEvaluation
from calc.explain import Provenance, advise, provenance
from calc.limitrange import LimitRange
from calc.pod import ResourceList
from calc.quantity import Quantity, canonical, decimal_string
from calc.resources import UNBOUNDED_WITHOUT_LIMIT, dimension_of
from calc.units import Dimension, convert
from calc.versions import Features
from calc.workloads import Total, runs_on_every_node, workload_total
from podcalc.errors import Entry, pointer
from podcalc.reading.manifests import Document, Skipped, Workload

if TYPE_CHECKING:
    from podcalc.effective import Evaluated


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
    item = {
        "kind": w.kind,
        "name": w.name,
        "namespace": w.namespace,
        "document": document.index,
        "path": pointer(*w.path),
        "replicas": w.pods,
        "podsPerNode": 1 if runs_on_every_node(w.kind) else None,
        "pods": pods,
        "pod": pod,
        "total": None if counted is None else figures(counted, units),
    }
    if document.source is not None:  # the CLI's: the file, and the document within it
        item["source"] = document.source
    return item


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
    """An object that runs no pods, and why it was passed over (from the CLI, where: ``source``)."""
    out = {
        "document": document.index,
        "path": pointer(*s.path),
        "kind": s.kind,
        "name": s.name,
        "namespace": s.namespace,
        "reason": s.reason,
    }
    if document.source is not None:
        out["source"] = document.source
    return out


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


def effective_body(
    evaluated: Sequence[Evaluated],
    skipped_objects: Sequence[tuple[Document, Skipped]],
    overall: Total,
    by_namespace: Mapping[str | None, Total],
    nodes: int | None,
    units: Mapping[str, str],
    explain: bool,
    features: Features,
    warnings: list[Entry],
) -> dict[str, Any]:
    """The body of ``POST /v1/effective-resources`` and ``podcalc effective -o json``: each
    workload, what was passed over, the totals (``podcalc.effective.stream_totals``), the
    release computed as, and the unit-expression warnings."""
    items = []
    for e in evaluated:
        item = workload_item(e.document, e.workload, e.evaluation, e.pods(nodes), units)
        if explain:
            item["explanation"] = explanation(e.evaluation)
        items.append(item)
    return {
        "items": items,
        "skipped": [skipped(doc, s) for doc, s in skipped_objects],
        "total": stream_total(evaluated, overall, by_namespace, nodes, units),
        "kubernetes": kubernetes_block(features, release_notes(evaluated)),
        "warnings": warnings,
    }


def stream_total(
    evaluated: Sequence[Evaluated],
    overall: Total,
    by_namespace: Mapping[str | None, Total],
    nodes: int | None,
    units: Mapping[str, str],
) -> dict[str, Any]:
    """The stream's total and each namespace's; what could not be counted is noted."""
    notes = [
        f"{e.workload.kind} {e.workload.name or '(unnamed)'} runs one pod per node: "
        "give a node count (nodes=N) to count it"
        for e in evaluated
        if e.pods(nodes) is None
    ]
    rendered = {ns: total(t, units) for ns, t in by_namespace.items()}
    # a stream in one namespace has that namespace's total as its own: rendered once
    figures_of_all = next(iter(rendered.values())) if len(rendered) == 1 else total(overall, units)
    namespaces = [{"namespace": ns} | figures for ns, figures in rendered.items()]
    return figures_of_all | {"complete": not notes, "notes": notes, "byNamespace": namespaces}


def quantity_description(
    text: str,
    q: Quantity,
    dimension: Dimension | None,
    resource: str | None,
    stored: Quantity,
    unit: str | None,
    converted: tuple[str, bool] | None,
) -> dict[str, Any]:
    """``GET /v1/quantity`` and ``podcalc quantity``: the input, its canonical form, its exact
    value in base units, what the API server stores, and (``converted``) its value in ``unit``."""
    body: dict[str, Any] = {
        "input": text,
        "canonical": str(q),
        "format": q.format.value,
        "value": q.decimal(),
        "baseUnit": dimension.value if dimension else None,
        "resource": resource,
        "stored": str(stored),
    }
    if converted is not None:
        in_unit, exact = converted
        body |= {"unit": unit, "inUnit": in_unit, "inUnitExact": exact}
    return body


def release_notes(evaluated: Iterable[Evaluated]) -> list[str]:
    """What the chosen release dropped from which workload."""
    return [f"{e.workload.kind} {e.workload.name or '(unnamed)'}: {n}" for e in evaluated for n in e.notes]
