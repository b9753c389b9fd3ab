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
4. Each replacement's rollout runs old and new pods together (``calc.live.rollout_peak``):
   every quota is checked at that peak, with the rest of the change in place.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from calc import quota as quotas
from calc.admission import LocatedQuota, QuotaOutcome
from calc.diff import delta
from calc.errors import PodInvalidError
from calc.evaluate import PodEvaluation, evaluate_pod
from calc.live import (
    Peak,
    Placement,
    UnsupportedStrategyError,
    counts,
    daemon_surge_and_unavailable,
    rollout_peak,
    running_figures,
    statefulset_overlap,
    statefulset_unavailable,
    strategy_type,
    surge_and_unavailable,
)
from calc.nodes import Scheduled
from calc.pod import PodSpec, ResourceList
from calc.quantity import Quantity
from calc.workloads import scale, sum_resources
from podcalc.diff import side
from podcalc.effective import evaluate_workload, release
from podcalc.errors import InvalidError
from podcalc.plan import Base, Plan, Planned, plan
from podcalc.reading.cluster import DEFAULT_NAMESPACE, Cluster, read_cluster
from podcalc.reading.documents import DEFAULT_LIMITS, Limits
from podcalc.reading.manifests import Document, Workload, classify, collect, stream_error
from podcalc.reading.snapshot import LivePod, WorkloadKey, read_snapshot

__all__ = ["LivePlan", "plan_live"]

_KEEP_PODS_RUNNING = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController"})


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
class Figures:
    pods: int
    requests: dict[str, Quantity]
    limits: dict[str, Quantity]


@dataclass(frozen=True, slots=True)
class Rollout:
    """How a replacement rolls out, and the most it holds at once (as quota usage)."""

    strategy: str  # RollingUpdate, Recreate, OnDelete
    max_surge: int | None
    max_unavailable: int | None
    peak: Peak


@dataclass(frozen=True, slots=True)
class Change:
    """A workload of the manifests, against what runs under its key."""

    planned: Planned
    key: WorkloadKey
    change: str  # "added" or "replaced"
    before: Figures
    after: Figures
    rollout: Rollout | None


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
        if key in running or key[0] not in _KEEP_PODS_RUNNING:
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


def envelope(documents: Sequence[Document], limits: Limits) -> tuple[list[Document], list[Document]] | None:
    """The two streams of a ``{"cluster": ..., "manifests": ...}`` body (each a YAML or JSON
    stream as a string, a manifest or a list of them, as ``/v1/diff`` takes its sides), or
    None for any other stream, which is planned as it is."""
    if len(documents) != 1:
        return None
    value = documents[0].value
    if not isinstance(value, Mapping) or "cluster" not in value or "kind" in value:
        return None
    unknown = sorted(set(value) - {"cluster", "manifests"})
    if unknown:
        raise InvalidError.at(f"/{unknown[0]}", "unknown field: the body takes cluster and manifests")
    manifests = value.get("manifests")
    return side(value["cluster"], "cluster", limits), [] if manifests is None else side(manifests, "manifests", limits)


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


def _matching(q: LocatedQuota, ev: PodEvaluation) -> dict[str, Quantity]:
    """What one pod counts against ``q`` (nothing where its scopes leave the pod out)."""
    if not quotas.matches(q.quota, quotas.pod_facts(ev.spec, ev.qos_class)):
        return {}
    return quotas.covered(q.quota, quotas.pod_usage(ev.requests, ev.limits))


def _partial(cluster: Cluster, running: Mapping[WorkloadKey, Running]) -> list[str]:
    """Where the snapshot's pods do not add up to a quota's ``status.used``."""
    out = []
    for namespace, located in cluster.quotas.items():
        pods = [ev for key, r in running.items() if key[1] == namespace and not r.from_spec for _, ev in r.pods]
        for q in located:
            listed = sum_resources(_matching(q, ev) for ev in pods)
            for name in sorted(q.quota.hard):
                if not _pod_resource(name):
                    continue
                have, said = listed.get(name), q.quota.used.get(name)
                if (have.nanos if have else 0) != (said.nanos if said else 0):
                    out.append(
                        f"quota {namespace}/{q.quota.name}: status.used says {name}={said or 0}, the snapshot's "
                        f"pods add up to {have or 0}: a partial snapshot, or pods changed since"
                    )
    return out


def _pod_resource(name: str) -> bool:
    """A quota resource that pods count (their usage): pods, cpu, memory, requests.*, limits.*."""
    return name in ("pods", "count/pods", "cpu", "memory", "ephemeral-storage") or (
        name.startswith(("requests.", "limits.", "hugepages-"))
        and name != "requests.storage"
        and "storageclass" not in name
    )


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
            freed = sum_resources(_matching(q, ev) for ev in gone)
            used = {
                n: Quantity(u.nanos - (freed[n].nanos if n in freed else 0), u.format) for n, u in q.quota.used.items()
            }
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
    field = "strategy" if w.kind == "Deployment" else "updateStrategy"
    try:
        rollout = _rollout(p, old, ev, admitted) if old is not None and ev is not None else None
    except UnsupportedStrategyError as err:
        raise InvalidError.listing([stream_error(p.document, w, (*w.path, "spec", field, "type"), str(err))]) from err
    except ValueError as err:  # maxSurge or maxUnavailable: what the API server refuses
        at = (*w.path, "spec", field, "rollingUpdate")
        raise InvalidError.listing([stream_error(p.document, w, at, f"Invalid value: {err}")]) from err
    return Change(p, key, "replaced" if old is not None else "added", before, after, rollout)


def _rollout(p: Planned, old: Running, ev: PodEvaluation, new_pods: int) -> Rollout:
    """The replacement's strategy and peak, in quota usage (pods, requests.*, limits.*)."""
    written, rolling = _strategy(p)
    kind = strategy_type(p.workload.kind, written)
    old_usage = old.largest(usage=True)
    new_usage = quotas.pod_usage(ev.requests, ev.limits)
    if p.workload.kind == "StatefulSet":
        parallel = _spec_of(p).get("podManagementPolicy") == "Parallel"
        overlap = statefulset_overlap(len(old.pods), new_pods, parallel)
        peak = rollout_peak(old_usage, len(old.pods), new_usage, new_pods, overlap)
        if kind == "OnDelete":  # each pod is replaced once someone deletes it: the same mixes
            return Rollout("OnDelete", None, None, peak)
        return Rollout("RollingUpdate", None, statefulset_unavailable(new_pods, rolling.get("maxUnavailable")), peak)
    fenceposts = {"Deployment": surge_and_unavailable, "DaemonSet": daemon_surge_and_unavailable}.get(p.workload.kind)
    if fenceposts is not None and kind not in ("Recreate", "OnDelete"):
        surge, unavailable = fenceposts(new_pods, rolling.get("maxSurge"), rolling.get("maxUnavailable"))
        if surge > 0 or p.workload.kind == "Deployment":  # a DaemonSet's new pod then starts before the old stops
            peak = rollout_peak(old_usage, len(old.pods), new_usage, new_pods, surge)
            return Rollout("RollingUpdate", surge, unavailable, peak)
    # Recreate, OnDelete, a DaemonSet without maxSurge: never both at once
    return Rollout(kind, None, None, rollout_peak(old_usage, len(old.pods), new_usage, new_pods, None))


def _strategy(p: Planned) -> tuple[Any, Mapping[str, Any]]:
    """A workload's strategy ``type`` and its ``rollingUpdate`` (``{}`` when it is not an object)."""
    strategy = _spec_of(p).get("strategy" if p.workload.kind == "Deployment" else "updateStrategy")
    strategy = strategy if isinstance(strategy, Mapping) else {}
    rolling = strategy.get("rollingUpdate")
    return strategy.get("type"), rolling if isinstance(rolling, Mapping) else {}


def _partition_note(c: Change) -> str | None:
    """What podcalc does not model of a replaced StatefulSet: ``rollingUpdate.partition`` keeps
    the pods below that ordinal on the old template (``newVersionedStatefulSetPod``)."""
    if c.key[0] != "StatefulSet" or c.change != "replaced":
        return None
    kind, rolling = _strategy(c.planned)
    partition = rolling.get("partition")
    if kind == "OnDelete" or type(partition) is not int or partition <= 0:
        return None
    return (
        f"StatefulSet {c.key[1]}/{c.key[2]}: rollingUpdate.partition {partition} leaves its pods below ordinal "
        f"{partition} on their old template; podcalc counts every pod with the new one"
    )


def _spec_of(p: Planned) -> Mapping[str, Any]:
    """A workload's ``spec`` as written (``{}`` when it is not an object)."""
    spec = _object(p).get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _object(p: Planned) -> Mapping[str, Any]:
    value: Any = p.document.value
    for key in p.workload.path:
        value = value[key]
    return value if isinstance(value, Mapping) else {}


def _quota_views(result: Plan, cluster: Cluster, changes: Sequence[Change]) -> list[QuotaView]:
    status = {(ns, lq.quota.name): lq.quota.used for ns, located in cluster.quotas.items() for lq in located}
    views = []
    for o in result.quotas:
        namespace = o.quota.namespace or DEFAULT_NAMESPACE
        after = dict(o.total)
        extra: list[ResourceList] = []
        stalls = []
        for c in changes:
            if c.rollout is None or c.key[1] != namespace or not _counts_in(o, c):
                continue
            over = delta(quotas.covered(o.quota, _at_final(c)), quotas.covered(o.quota, c.rollout.peak.requests))
            extra.append(over)
            peak_alone = sum_resources([after, over])
            for name, hard in sorted(o.quota.hard.items()):
                if name in peak_alone and peak_alone[name].nanos > hard.nanos:
                    short = Quantity(peak_alone[name].nanos - hard.nanos, hard.format)
                    stalls.append(
                        f"the rollout of {c.key[0]}/{c.key[2]} would stall on quota {namespace}/{o.quota.name}: "
                        f"{name} reaches {peak_alone[name]} at its peak, {short} over {hard}"
                    )
        peak = sum_resources([after, *extra])
        views.append(QuotaView(o, dict(status.get((namespace, o.quota.name), o.quota.used)), after, peak, stalls))
    return views


def _counts_in(o: QuotaOutcome, c: Change) -> bool:
    ev = c.planned.evaluated.evaluation if c.planned.evaluated is not None else None
    return ev is not None and quotas.matches(o.quota, quotas.pod_facts(ev.spec, ev.qos_class))


def _at_final(c: Change) -> dict[str, Quantity]:
    """The replacement's usage once rolled out (the peak's other end)."""
    assert c.planned.evaluated is not None
    ev = c.planned.evaluated.evaluation
    return scale(quotas.pod_usage(ev.requests, ev.limits), c.after.pods)
