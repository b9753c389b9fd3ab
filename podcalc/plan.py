"""A plan (``POST /v1/plan``, ``podcalc plan``): admission, quota headroom and node fit of a stream.

The stream holds workloads, as for ``/v1/effective-resources``, and the cluster's objects:
LimitRanges and ResourceQuotas (per namespace), Nodes (``status.allocatable``; Pods with
``spec.nodeName`` already run there), and node shapes (``kind: NodeShape``, podcalc's own:
a capacity and a reservation model). Workloads without a namespace are in ``default``.

In order, as the cluster would see them (every rule is the core's):

1. each workload's pod is admitted through its namespace's LimitRanges (defaults, then
   their rules) and validated (``calc.evaluate``, ``calc.admission``);
2. its pods are admitted against the namespace's quotas one at a time, in stream order
   (``calc.quota_admission.admit_to_quotas``);
3. admitted pods are placed: on the Nodes given (first-fit decreasing), and on as many
   nodes of each shape as they need (``calc.nodes``). A DaemonSet's pod is on every node,
   whatever a quota admitted of it; only a pod LimitRanger or validation refuses, which can
   never be created, is on none (``calc.nodes.never_created``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from calc.admission import Rejection, claim_rejection, conflict_rejection, pods_limit_range_rejection
from calc.evaluate import LimitRangeConflictError
from calc.limitrange import Filled
from calc.nodes import NodesFit, Scheduled, ShapeFit, fit_nodes, fit_shape, for_new_nodes, never_created
from calc.quota_admission import Admitted, Applicant, QuotaOutcome, admit_to_quotas
from calc.quota_objects import Creation
from calc.scheduling import Placement
from calc.versions import Features
from calc.workloads import node_count, pods_on_nodes, runs_on_every_node
from podcalc import render_plan
from podcalc.effective import Evaluated, check_units, evaluate_workload, release
from podcalc.errors import Entry, InvalidError
from podcalc.reading.cluster import CLUSTER_KINDS, DEFAULT_NAMESPACE, Cluster, creations, read_cluster
from podcalc.reading.cluster import claims as read_claims
from podcalc.reading.expressions import unit_expression_warnings
from podcalc.reading.limits import DEFAULT_LIMITS, Limits
from podcalc.reading.manifests import (
    Document,
    Found,
    Skipped,
    Workload,
    classify,
    collect,
    names,
    priority_classes,
    runtime_classes,
    stream_error,
    workload_placement,
)

__all__ = ["DEFAULT_NAMESPACE", "Plan", "Planned", "plan", "plan_documents"]


@dataclass(frozen=True, slots=True)
class Planned:
    """One workload of the plan, and what admission made of it."""

    index: int
    document: Document
    workload: Workload
    namespace: str
    pods: int | None  # pods at once (None: a DaemonSet without a node count)
    evaluated: Evaluated | None  # None: refused before its figures could be computed
    rejection: Rejection | None  # refused by LimitRanger or validation, before any quota
    filled: tuple[Filled, ...]  # what LimitRange defaults set
    admitted: Admitted  # what quota admission made of its pods
    position: int  # where it stands among the stream's objects

    @property
    def rejections(self) -> list[Rejection]:
        return [r for r in (self.rejection, self.admitted.rejection) if r is not None]


@dataclass(frozen=True, slots=True)
class RefusedObject:
    """An object that runs no pods, refused by admission before any quota (a claim LimitRanger refuses)."""

    document: Document
    skipped: Skipped
    namespace: str
    rejection: Rejection


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything a plan found: its workloads, the cluster, and the core's verdicts."""

    planned: list[Planned]
    skipped: list[tuple[Document, Skipped]]
    cluster: Cluster
    quotas: list[QuotaOutcome]
    nodes: NodesFit | None
    shapes: list[ShapeFit]
    features: Features
    node_count: int | None
    warnings: list[Entry]  # quantities written as unit expressions (podcalc.reading.expressions)
    refused_objects: list[RefusedObject]


@dataclass(frozen=True, slots=True)
class Base:
    """The cluster as it runs, under a plan's manifests (``podcalc.live``): its Nodes,
    quotas (``used``: what stays of ``status.used``) and LimitRanges, and its pods that stay,
    bound ones on their nodes and pending ones still to place (negative indexes)."""

    cluster: Cluster
    running: list[Scheduled]


def plan(
    documents: Iterable[Document],
    nodes: int | None = None,
    units: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    kubernetes_version: str | None = None,
    base: Base | None = None,
) -> Plan:
    """Read ``documents`` and put their workloads through admission and onto the nodes
    (on top of ``base``, a running cluster, where given)."""
    release_features = release(kubernetes_version)
    check_units(units or {})
    found = collect(documents, limits)
    classes, errors = runtime_classes(found, limits)
    priorities, priority_errors = priority_classes(found)
    errors += priority_errors
    cluster, cluster_errors = read_cluster(found, limits)
    errors += cluster_errors
    if base is not None:
        cluster = _merged(base.cluster, cluster)
    nodes = node_count(nodes, len(cluster.nodes))
    drafts: list[Planned] = []
    skipped: list[tuple[Document, Skipped]] = []
    created: dict[int, tuple[Creation, ...]] = {}  # by position in found: what each object creates
    claims: dict[int, tuple[Creation, ...]] = {}  # a StatefulSet's claims, created before each pod
    refused_objects: list[RefusedObject] = []
    placements: dict[int, Placement] = {}  # by position: tolerations and nodeSelector
    none = Admitted(0, None, None, None)
    refusal: Rejection | None
    for position, (doc, path, obj) in enumerate(found):
        created[position] = creations(obj, limits) if isinstance(obj, Mapping) else ()
        if isinstance(obj, Mapping) and type(obj.get("kind")) is str and obj["kind"] in CLUSTER_KINDS:
            continue
        what = classify(obj, path)
        if isinstance(what, list):
            errors += [stream_error(doc, None, v.path, v.message) for v in what]
            continue
        if isinstance(what, Skipped):
            skipped.append((doc, what))
            refused = _refused_claim(doc, what, created[position], cluster)
            if refused is not None:  # LimitRanger refuses it before any quota sees it
                refused_objects.append(refused)
                created[position] = ()
            continue
        namespace = what.namespace or DEFAULT_NAMESPACE
        claims[position] = read_claims(obj, limits) if what.kind == "StatefulSet" else ()
        placement = workload_placement(doc, what)
        if isinstance(placement, list):
            errors += placement
            continue
        placements[position] = placement
        pods = pods_on_nodes(what.kind, what.pods, nodes)
        try:
            ranges = cluster.ranges_in(namespace)
            result = evaluate_workload(doc, what, classes, limits, ranges, release_features, priorities)
        except LimitRangeConflictError as err:
            refusal = conflict_rejection(what.name, err)
            drafts.append(Planned(len(drafts), doc, what, namespace, pods, None, refusal, err.filled, none, position))
            continue
        if isinstance(result, list):
            errors += result
            continue
        ev = result.evaluation
        refusal = pods_limit_range_rejection(what.name, claims[position], ranges, ev.limit_violations)
        drafts.append(
            Planned(len(drafts), doc, what, namespace, pods, result, refusal, ev.limit_range_filled, none, position)
        )
    if errors:
        raise InvalidError.listing(errors)
    applicants = _applicants(found, drafts, created, claims)
    admitted, quotas = admit_to_quotas(applicants, cluster.quotas, release_features)
    planned = [_with(p, admitted.get(p.index, none)) for p in drafts]
    scheduled = list(base.running) if base is not None else []
    scheduled += [
        Scheduled(
            p.index,
            p.workload.kind,
            p.workload.name,
            p.admitted.pods,
            p.evaluated.evaluation.requests,
            runs_on_every_node(p.workload.kind),
            never_created(p.rejections),
            p.evaluated.evaluation.spec.node_name,
            placements.get(p.position, Placement()),
        )
        for p in planned
        if p.evaluated is not None
    ]
    fit = fit_nodes(cluster.nodes, scheduled)
    return Plan(
        planned,
        skipped,
        cluster,
        quotas,
        fit,
        [fit_shape(s, _left_over(scheduled, fit) if base is not None else scheduled) for s in cluster.shapes],
        release_features,
        nodes,
        unit_expression_warnings(found),
        refused_objects,
    )


def _merged(running: Cluster, stream: Cluster) -> Cluster:
    """The running cluster's objects, then the stream's (its node shapes, say)."""
    merged = Cluster()
    for namespace, ranges in [*running.limit_ranges.items(), *stream.limit_ranges.items()]:
        merged.limit_ranges.setdefault(namespace, []).extend(ranges)
    for namespace, quotas in [*running.quotas.items(), *stream.quotas.items()]:
        merged.quotas.setdefault(namespace, []).extend(quotas)
    merged.nodes = running.nodes + stream.nodes
    merged.shapes = running.shapes + stream.shapes
    return merged


def _left_over(scheduled: list[Scheduled], fit: NodesFit | None) -> list[Scheduled]:
    """What the running cluster's Nodes leave for new nodes (``calc.nodes.for_new_nodes``)."""
    if fit is None:
        return scheduled
    return for_new_nodes(scheduled, fit.packing.unplaced)


def _with(p: Planned, admitted: Admitted) -> Planned:
    return dataclasses.replace(p, admitted=admitted)


def _refused_claim(doc: Document, what: Skipped, made: tuple[Creation, ...], cluster: Cluster) -> RefusedObject | None:
    """A PersistentVolumeClaim of the stream that its namespace's LimitRanges refuse."""
    if what.kind != "PersistentVolumeClaim" or not made:
        return None
    namespace = what.namespace or DEFAULT_NAMESPACE
    rejection = claim_rejection(what.name, made[0].requests, cluster.ranges_in(namespace))
    return None if rejection is None else RefusedObject(doc, what, namespace, rejection)


def _applicants(
    found: Found,
    drafts: list[Planned],
    created: dict[int, tuple[Creation, ...]],
    claims: dict[int, tuple[Creation, ...]],
) -> list[Applicant]:
    """Every object of the stream in stream order, as quota admission sees it: a workload with
    what it creates and its pods (none where LimitRanger or validation refused them), any
    other object alone."""
    workloads = {p.position: p for p in drafts}
    out = []
    for position, (_, _, obj) in enumerate(found):
        p = workloads.get(position)
        if p is None:
            if created[position]:  # the object itself first (reading.cluster.creations)
                own, (_, namespace) = created[position][0], names(obj)
                applicant = Applicant(
                    None, own.kind, own.name, namespace or DEFAULT_NAMESPACE, 0, None, created[position]
                )
                out.append(applicant)
            continue
        w = p.workload
        runs = p.evaluated is not None and p.rejection is None
        evaluation = p.evaluated.evaluation if p.evaluated is not None and runs else None
        pods = (p.pods or 0) if runs else 0
        out.append(
            Applicant(p.index, w.kind, w.name, p.namespace, pods, evaluation, created[position], claims[position])
        )
    return out


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
    result = plan(documents, nodes, units, limits, kubernetes_version)
    return render_plan.plan_body(result, units, explain)
