"""Plan against the cluster as it runs (``podcalc plan --cluster FILE``, ``POST /v1/plan``
with ``{"cluster": ..., "manifests": ...}``): a snapshot, the change on top of it, and the
rollout between.

1. The snapshot's pods count where they are (``calc.live.counts``: not once they have
   ended), each with its own figures, resized in place where its status says so. A
   controller's pods are the Pods it owns (``podcalc.reading.snapshot``): nothing is counted
   twice, and a controller whose pods the snapshot lacks is counted from its spec, as pods
   still to place, and said to be.
2. A quota's ``status.used`` is what its namespace uses; the snapshot's pods are never added
   to it again. Where they do not add up to it, the plan says so (a partial snapshot).
3. A manifest of the same kind, namespace and name as a running workload replaces it: its
   old pods leave their nodes and their quotas, then the manifests are planned as a stream
   (``podcalc.plan``) on what stays: LimitRanges, quotas, then the Nodes' free room
   (pending pods included), then node shapes for what is left.
4. Each replacement's rollout runs old and new pods together as its strategy lets it
   (``calc.rollout.rollout``): every quota is checked at that peak, with the rest of the change
   in place (``calc.live.quota_at_peaks``).

``plan_stream`` answers ``POST /v1/plan``: a stream planned as it is, or a
``{"cluster", "manifests"}`` body (``podcalc.reading.snapshot.read_envelope``) planned here.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from calc import quota as quotas
from calc.errors import PodInvalidError
from calc.evaluate import PodEvaluation, evaluate_pod
from calc.live import (
    Figures,
    counts,
    keeps_pods_running,
    net_change,
    quota_at_peaks,
    running_figures,
    usage_gaps,
    used_without,
)
from calc.nodes import Scheduled
from calc.pod import PodSpec
from calc.quantity import Quantity
from calc.quota_admission import QuotaOutcome
from calc.rollout import Rollout, Strategy, UnsupportedStrategyError, rollout, statefulset_partition
from calc.scheduling import Placement
from calc.workloads import scale, sum_resources
from podcalc.effective import evaluate_workload, release
from podcalc.errors import InvalidError
from podcalc.plan import Base, Plan, Planned, plan, plan_documents
from podcalc.reading.cluster import DEFAULT_NAMESPACE, Cluster, read_cluster
from podcalc.reading.limits import DEFAULT_LIMITS, Limits
from podcalc.reading.manifests import Document, Workload, classify, collect, stream_error
from podcalc.reading.rollout import read_strategy, strategy_path
from podcalc.reading.snapshot import LivePod, WorkloadKey, read_envelope, read_snapshot
from podcalc.render_live import live_body

__all__ = ["Change", "LivePlan", "QuotaView", "plan_live", "plan_stream"]


@dataclass(frozen=True, slots=True)
class Running:
    """A workload of the snapshot as it runs: its pods' figures."""

    key: WorkloadKey
    pods: list[tuple[LivePod | None, PodEvaluation]]  # None: counted from its spec
    from_spec: bool

    def requests(self) -> dict[str, Quantity]:
        return sum_resources(ev.requests for _, ev in self.pods)

    def limits(self) -> dict[str, Quantity]:
        return sum_resources(ev.limits for _, ev in self.pods)

    def largest(self, usage: bool = False) -> dict[str, Quantity]:
        """One pod's figures, the largest of its pods per resource (as quota usage, if ``usage``)."""
        out: dict[str, Quantity] = {}
        for _, ev in self.pods:
            figures = quotas.pod_usage(ev.requests, ev.limits) if usage else ev.requests
            for name, q in figures.items():
                if name not in out or q.nanos > out[name].nanos:
                    out[name] = q
        return out


@dataclass(frozen=True, slots=True)
class Change:
    """A workload of the manifests, against what runs under its key."""

    planned: Planned
    key: WorkloadKey
    change: str  # "added" or "replaced"
    before: Figures
    after: Figures
    rollout: Rollout | None  # its peak as quota usage
    partition: int | None = None  # a replaced StatefulSet's pods held on the old template below it

    @property
    def delta(self) -> Figures:
        """After less before (``calc.live.net_change``)."""
        return net_change([(self.before, self.after)])


@dataclass(frozen=True, slots=True)
class QuotaView:
    """A quota of the running cluster: before, after the change, and at the rollouts' peak."""

    outcome: QuotaOutcome
    used: dict[str, Quantity]  # status.used
    after: dict[str, Quantity]
    peak: dict[str, Quantity]
    stalls: list[str]  # each rollout that would stall on it, and by how much


@dataclass(frozen=True, slots=True)
class LivePlan:
    plan: Plan
    pods: int  # the snapshot's pods that hold resources
    ended: int  # Succeeded and Failed pods, counted nowhere
    pending: list[tuple[int, LivePod | None, WorkloadKey]]  # (Scheduled index, pod, workload): pods without a node
    workloads: int
    changes: list[Change]
    quotas: list[QuotaView]
    notes: list[str]

    @property
    def by_namespace(self) -> dict[str, Figures]:
        """The changes' net change in each namespace, in their order."""
        namespaces: dict[str, list[tuple[Figures, Figures]]] = {}
        for c in self.changes:
            namespaces.setdefault(c.key[1], []).append((c.before, c.after))
        return {ns: net_change(pairs) for ns, pairs in namespaces.items()}

    @property
    def total(self) -> Figures:
        """The changes' net change in all."""
        return net_change([(c.before, c.after) for c in self.changes])

    @property
    def fits(self) -> bool:
        return not self.reasons

    @property
    def reasons(self) -> list[str]:
        """Why the change does not fit the cluster as it is; empty when it does."""
        out = []
        refused = sum(c.planned.pods or 0 for c in self.changes) - sum(c.after.pods for c in self.changes)
        if refused:
            out.append(f"{_pods(refused)} refused by admission")
        out += [
            f"quota {q.outcome.quota.namespace}/{q.outcome.quota.name} exceeded"
            for q in self.quotas
            if q.outcome.exceeded
        ]
        out += [s for q in self.quotas for s in q.stalls]
        nodes = self.plan.nodes
        unplaced = sum(nodes.packing.unplaced.values()) if nodes is not None else 0
        if unplaced:
            out.append(f"{_pods(unplaced)} fit on no node")
        return out


def _pods(n: int) -> str:
    return f"{n} pod" if n == 1 else f"{n} pods"


def plan_stream(
    documents: Iterable[Document],
    nodes: int | None = None,
    units: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    kubernetes_version: str | None = None,
    explain: bool = False,
) -> dict[str, Any]:
    """The body of ``POST /v1/plan``: a stream planned as it is, or the manifests of a
    ``{"cluster", "manifests"}`` body planned on the cluster's snapshot."""
    documents = list(documents)
    sides = read_envelope(documents, limits)
    if sides is None:
        return plan_documents(documents, nodes, units, limits, kubernetes_version, explain)
    units = dict(units or {})
    return live_body(plan_live(*sides, nodes, units, limits, kubernetes_version), units, explain)


def plan_live(
    cluster_documents: Sequence[Document],
    documents: Sequence[Document],
    nodes: int | None = None,
    units: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    kubernetes_version: str | None = None,
) -> LivePlan:
    """The manifests ``documents`` planned on the running cluster of ``cluster_documents``."""
    features = release(kubernetes_version)
    found = collect(cluster_documents, limits)
    cluster, errors = read_cluster(found, limits)
    snapshot, snapshot_errors = read_snapshot(found, limits, DEFAULT_NAMESPACE)
    errors += snapshot_errors
    running: dict[WorkloadKey, Running] = {}
    ended = 0
    last: dict[WorkloadKey, tuple[LivePod, PodEvaluation]] = {}  # each workload's last pod, evaluated
    for pod in snapshot.pods:
        if not counts(pod.phase):
            ended += 1
            continue
        key = pod.owner or ("Pod", pod.namespace, pod.name)
        seen = last.get(key)
        if seen is not None and _siblings(seen[0], pod):
            ev = seen[1]  # a replica of the pod before it: the same figures
        else:
            try:
                ev = evaluate_pod(pod.spec, features=features)
            except PodInvalidError as err:
                errors += [
                    stream_error(pod.document, None, (*pod.path, "spec", *v.path), v.message) for v in err.violations
                ]
                continue
            figures = running_figures(ev.spec, pod.statuses, pod.infeasible, features.version)
            if figures is not None:  # resized in place: what the scheduler and quota count
                ev = ev._replace(requests=figures[0], limits=figures[1])
            last[key] = pod, ev
        running.setdefault(key, Running(key, [], False)).pods.append((pod, ev))
    notes: list[str] = []
    for key, (doc, workload) in snapshot.controllers.items():
        if key in running or not keeps_pods_running(key[0]):
            continue  # a Job's or CronJob's pods come and go: without any, none runs now
        counted = _from_spec(doc, workload, features, nodes)
        if isinstance(counted, list):
            errors += counted
        elif counted is not None:
            running[key] = counted
            notes.append(
                f"{key[0]} {key[1]}/{key[2]}: none of its pods is in the snapshot: "
                f"counted from its spec ({len(counted.pods)} pods, still to place)"
            )
    if errors:
        raise InvalidError.listing(errors)
    documents = list(documents)
    replaced = _keys(documents, limits) & running.keys()
    notes += _partial(cluster, running)
    base, pending = _base(cluster, running, replaced)
    result = plan(documents, nodes, units, limits, kubernetes_version, base)
    changes = [_change(p, running) for p in result.planned]
    notes += [note for c in changes if (note := _partition_note(c)) is not None]
    views = _quota_views(result, cluster, changes)
    return LivePlan(
        result,
        sum(len(r.pods) for r in running.values() if not r.from_spec),
        ended,
        pending,
        len(running),
        changes,
        views,
        notes,
    )


# every field of a PodSpec but the node it runs on
_BUT_THE_NODE = operator.attrgetter(*(f.name for f in dataclasses.fields(PodSpec) if f.name != "node_name"))


def _siblings(a: LivePod, b: LivePod) -> bool:
    """Whether two pods of a workload are the same but for the node they run on."""
    if a.statuses != b.statuses or a.infeasible != b.infeasible:
        return False
    return a.spec is b.spec or _BUT_THE_NODE(a.spec) == _BUT_THE_NODE(b.spec)


def _from_spec(doc: Document, workload: Workload, features: Any, nodes: int | None) -> Running | list[Any] | None:
    """A controller whose pods the snapshot lacks, counted from its pod template."""
    result = evaluate_workload(doc, workload, {}, DEFAULT_LIMITS, features=features)
    if isinstance(result, list):
        return result
    pods = result.pods(nodes)
    if not pods:
        return None
    key = (workload.kind, workload.namespace or DEFAULT_NAMESPACE, workload.name or "")
    return Running(key, [(None, result.evaluation)] * pods, True)


def _keys(documents: Iterable[Document], limits: Limits) -> set[WorkloadKey]:
    """The (kind, namespace, name) of each workload of the manifests."""
    out = set()
    for _, path, obj in collect(documents, limits):
        what = classify(obj, path)
        if isinstance(what, Workload) and what.name is not None:
            out.add((what.kind, what.namespace or DEFAULT_NAMESPACE, what.name))
    return out


def _partial(cluster: Cluster, running: Mapping[WorkloadKey, Running]) -> list[str]:
    """Where the snapshot's pods do not add up to a quota's ``status.used``."""
    out = []
    for namespace, located in cluster.quotas.items():
        pods = [ev for key, r in running.items() if key[1] == namespace and not r.from_spec for _, ev in r.pods]
        for q in located:
            out += [
                f"quota {namespace}/{q.quota.name}: status.used says {gap.resource}={gap.used or 0}, the snapshot's "
                f"pods add up to {gap.pods or 0}: a partial snapshot, or pods changed since"
                for gap in usage_gaps(q.quota, pods)
            ]
    return out


def _base(
    cluster: Cluster, running: Mapping[WorkloadKey, Running], replaced: set[WorkloadKey]
) -> tuple[Base, list[tuple[int, LivePod | None, WorkloadKey]]]:
    """What stays of the running cluster once the replaced workloads' pods leave: each quota's
    ``used`` less what they counted, and every other pod, on its node or still to place."""
    staying = Cluster(cluster.limit_ranges, {}, cluster.nodes, cluster.shapes)
    for namespace, located in cluster.quotas.items():
        gone = [
            ev for key in replaced if key[1] == namespace for _, ev in running[key].pods if not running[key].from_spec
        ]
        for q in located:
            used = used_without(q.quota, gone)
            staying.quotas.setdefault(namespace, []).append(
                dataclasses.replace(q, quota=dataclasses.replace(q.quota, used=used))
            )
    scheduled: list[Scheduled] = []
    pending = []
    for key, r in running.items():
        if key in replaced:
            continue
        for pod, ev in r.pods:
            index = -1 - len(scheduled)
            node = pod.node_name if pod is not None else None
            placement = pod.placement if pod is not None else Placement()
            scheduled.append(Scheduled(index, key[0], key[2], 1, ev.requests, False, False, node, placement, True))
            if node is None:
                pending.append((index, pod, key))
    return Base(staying, scheduled), pending


def _change(p: Planned, running: Mapping[WorkloadKey, Running]) -> Change:
    w = p.workload
    key = (w.kind, p.namespace, w.name or "")
    old = running.get(key)
    before = Figures(len(old.pods), old.requests(), old.limits()) if old is not None else Figures(0, {}, {})
    ev = p.evaluated.evaluation if p.evaluated is not None else None
    admitted = p.admitted.pods if ev is not None else 0
    after = Figures(admitted, scale(ev.requests, admitted), scale(ev.limits, admitted)) if ev else Figures(0, {}, {})
    strategy = read_strategy(p.document, w) if old is not None else None
    try:
        rolled = None if old is None or ev is None or strategy is None else _rollout(p, old, ev, admitted, strategy)
    except UnsupportedStrategyError as err:
        raise InvalidError.listing([stream_error(p.document, w, strategy_path(w, "type"), str(err))]) from err
    except ValueError as err:  # maxSurge or maxUnavailable: what the API server refuses
        at = strategy_path(w, "rollingUpdate")
        raise InvalidError.listing([stream_error(p.document, w, at, f"Invalid value: {err}")]) from err
    change = "replaced" if old is not None else "added"
    partition = statefulset_partition(w.kind, strategy)
    return Change(p, key, change, before, after, rolled, partition)


def _rollout(p: Planned, old: Running, ev: PodEvaluation, new_pods: int, strategy: Strategy) -> Rollout:
    """The replacement's peak under its ``strategy``, in quota usage (pods, requests.*, limits.*)."""
    new_usage = quotas.pod_usage(ev.requests, ev.limits)
    return rollout(p.workload.kind, strategy, old.largest(usage=True), len(old.pods), new_usage, new_pods)


def _partition_note(c: Change) -> str | None:
    """What podcalc does not model of a replaced StatefulSet: ``rollingUpdate.partition`` keeps
    the pods below that ordinal on the old template (``newVersionedStatefulSetPod``)."""
    partition = c.partition
    if partition is None:
        return None
    return (
        f"StatefulSet {c.key[1]}/{c.key[2]}: rollingUpdate.partition {partition} leaves its pods below ordinal "
        f"{partition} on their old template; podcalc counts every pod with the new one"
    )


def _quota_views(result: Plan, cluster: Cluster, changes: Sequence[Change]) -> list[QuotaView]:
    """Each quota after the change, and at the peak of the rollouts it counts."""
    status = {(ns, lq.quota.name): lq.quota.used for ns, located in cluster.quotas.items() for lq in located}
    views = []
    for o in result.quotas:
        namespace = o.quota.namespace or DEFAULT_NAMESPACE
        after = dict(o.total)
        rolling = [
            (c, c.rollout) for c in changes if c.rollout is not None and c.key[1] == namespace and _counts_in(o, c)
        ]
        at_peaks = quota_at_peaks(o.quota, after, [(_at_final(c), r.peak.requests) for c, r in rolling])
        stalls = [
            f"the rollout of {c.key[0]}/{c.key[2]} would stall on quota {namespace}/{o.quota.name}: "
            f"{s.resource} reaches {s.reaches} at its peak, {s.over} over {s.hard}"
            for (c, _), stalled in zip(rolling, at_peaks.stalls, strict=True)
            for s in stalled
        ]
        used = dict(status.get((namespace, o.quota.name), o.quota.used))
        views.append(QuotaView(o, used, after, at_peaks.peak, stalls))
    return views


def _counts_in(o: QuotaOutcome, c: Change) -> bool:
    ev = c.planned.evaluated.evaluation if c.planned.evaluated is not None else None
    return ev is not None and quotas.matches(o.quota, quotas.pod_facts(ev.spec, ev.qos_class))


def _at_final(c: Change) -> dict[str, Quantity]:
    """The replacement's usage once rolled out (the peak's other end)."""
    assert c.planned.evaluated is not None
    ev = c.planned.evaluated.evaluation
    return scale(quotas.pod_usage(ev.requests, ev.limits), c.after.pods)
