"""A live cluster: which pods count, and what its quotas hold (which node takes a new pod:
``calc.scheduling``).

- A pod counts where it is unless it has ended: ``Succeeded`` and ``Failed`` pods hold no
  node's resources and no quota's (``pkg/quota/v1/evaluator/core/pods.go``: ``QuotaV1Pod``;
  the scheduler's cache drops terminated pods).
- A pod resized in place counts what its spec asks, what the kubelet allocated and what it
  applied, whichever is the larger (``running_aggregates``: ``PodRequests`` and ``PodLimits``
  with ``UseStatusResources``, KEP-1287, GA in 1.35; from 1.37 summed apart first); an
  infeasible resize, its status alone.
- A quota's ``status.used`` is what its namespace's pods count (``counted_usage``,
  ``usage_gaps``); pods that leave free what they counted (``used_without``), and a rollout's
  peak is checked against the hard limits (``quota_at_peaks``).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from calc.diff import delta
from calc.effective import Aggregate, effective_limits, effective_requests, life
from calc.evaluate import PodEvaluation
from calc.pod import Container, ContainerType, PodSpec, ResourceList
from calc.quantity import Quantity, max_of
from calc.quota import ResourceQuota, covered, matches, pod_facts, pod_quota_resource, pod_usage
from calc.workloads import sum_resources

TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})


def counts(phase: str) -> bool:
    """Whether a pod in ``phase`` holds resources: every phase but ``Succeeded`` and
    ``Failed``. Quota counts no pod in a terminal phase (``QuotaV1Pod``,
    ``pkg/quota/v1/evaluator/core/pods.go``), and the scheduler's cache drops terminated pods,
    so they hold no node's room either."""
    return phase not in TERMINAL_PHASES


_KEEP_PODS_RUNNING = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController"})


def keeps_pods_running(kind: str) -> bool:
    """Whether a controller of ``kind`` keeps its pods running, so that with none of them in a
    snapshot its spec says what runs: a Deployment, ReplicaSet, ReplicationController,
    StatefulSet or DaemonSet replaces each pod that goes (``manageReplicas`` in
    ``pkg/controller/replicaset``, ``updateStatefulSet`` in ``pkg/controller/statefulset``,
    ``manage`` in ``pkg/controller/daemon``). A Job's pods run to completion and a CronJob's
    come on its schedule (``pkg/controller/job``, ``pkg/controller/cronjob``): without any in
    the snapshot, none runs now."""
    return kind in _KEEP_PODS_RUNNING


IN_PLACE_RESIZE = (1, 33)  # InPlacePodVerticalScaling beta (on by default): UseStatusResources
MAX_OF_SUMS = (1, 37)  # kubernetes#140047: a resize's sources summed apart, then the larger sum


@dataclass(frozen=True, slots=True)
class ContainerStatus:
    """What the kubelet reports of a container's resources (KEP-1287); None where the status
    lacks the field: what it admitted (``allocatedResources``) and what the runtime applied
    (``resources``: its ``requests`` and ``limits``)."""

    allocated: ResourceList | None = None
    requests: ResourceList | None = None  # resources.requests
    limits: ResourceList | None = None  # resources.limits
    applied: bool = False  # the status has ``resources``


def running_aggregates(
    spec: PodSpec, status: Mapping[str, ContainerStatus], infeasible: bool, version: tuple[int, int]
) -> tuple[ResourceList, ResourceList] | None:
    """A running pod's containers' aggregate requests and limits as ``PodRequests`` and
    ``PodLimits`` read them with ``UseStatusResources`` (``k8s.io/component-helpers/resource``,
    KEP-1287), or None where its status changes nothing and the spec's figures count.

    - Before 1.33 (``InPlacePodVerticalScaling`` off): the spec alone.
    - 1.33 to 1.36, container by container (``determineContainerReqs``,
      ``determineContainerLimits``), for an app container or a sidecar whose status has
      ``resources``: requests max(spec, ``allocatedResources``, ``resources.requests``), limits
      max(spec, ``resources.limits``).
    - From 1.37 (kubernetes#140047: a resize is allocated and applied at once), three
      aggregates (KEP-753's), each over every container: the spec's, the allocated one
      (``allocatedResources``, else the spec) and the applied one (``resources.requests``, else
      ``allocatedResources``, else the spec); the pod's figure is the largest of the three, per
      resource. Limits: the larger of the spec's aggregate and the applied one
      (``resources.limits``, else the spec).
    - A resize the kubelet found ``Infeasible`` (``infeasible``: the pod's ``PodResizePending``
      condition, ``IsPodResizeInfeasible``) leaves the spec out: where the status has no
      figure, the container counts none.
    """
    if not status or version < IN_PLACE_RESIZE:
        return None
    if version < MAX_OF_SUMS:
        each = tuple(_per_container(c, status.get(c.name), infeasible) for c in spec.all_containers)
        if all(map(operator.is_, each, spec.all_containers)):
            return None
        pod = _with(spec, each)
        steps = life(pod)
        return steps.requests.totals, steps.limits.totals

    def reported(c: Container, fallback: ResourceList, *fields: str) -> ResourceList:
        """The first of ``fields`` the container's status reports, else ``fallback`` from its
        spec (none once the resize is infeasible): ``containerAllocatedRequests``,
        ``containerActuatedRequests``, ``containerActuatedLimits``."""
        seen = status.get(c.name)
        for name in fields:
            value: ResourceList | None = getattr(seen, name) if seen is not None else None
            if value is not None:
                return value
        return {} if infeasible else fallback

    containers = spec.all_containers
    allocated = life(_with(spec, [_container(c, reported(c, c.requests, "allocated"), c.limits) for c in containers]))
    applied = life(
        _with(
            spec,
            [
                _container(c, reported(c, c.requests, "requests", "allocated"), reported(c, c.limits, "limits"))
                for c in containers
            ],
        )
    )
    if infeasible:  # max(actuated, allocated), and the actuated limits
        return _largest([applied.requests.totals, allocated.requests.totals]), dict(applied.limits.totals)
    steps = life(spec)  # max(spec, actuated, allocated): the spec's first, as Kubernetes takes it
    requests = _largest([steps.requests.totals, applied.requests.totals, allocated.requests.totals])
    return requests, _largest([steps.limits.totals, applied.limits.totals])


def _container(c: Container, requests: ResourceList, limits: ResourceList) -> Container:
    return Container(c.name, c.type, c.index, requests, limits)


def resize_infeasible(conditions: Sequence[tuple[object, object]]) -> bool:
    """``IsPodResizeInfeasible``: the pod's first ``PodResizePending`` condition (type, reason)
    has the reason ``Infeasible``: the node can never give what the spec now asks."""
    for kind, reason in conditions:
        if kind == "PodResizePending":
            return reason == "Infeasible"
    return False


def running_figures(
    spec: PodSpec, status: Mapping[str, ContainerStatus], infeasible: bool, version: tuple[int, int]
) -> tuple[ResourceList, ResourceList] | None:
    """A running pod's ``PodRequests`` and ``PodLimits`` with ``UseStatusResources``: its
    containers' ``running_aggregates``, then pod-level resources and the overhead as for any
    pod (``effective_requests``, ``effective_limits``); None where the spec's figures count.
    ``spec`` is the pod as the API server stored it (defaulted)."""
    aggregates = running_aggregates(spec, status, infeasible, version)
    if aggregates is None:
        return None
    requests, limits = aggregates
    return (
        effective_requests(spec, agg=Aggregate(dict(requests), {})).totals,
        effective_limits(spec, agg=Aggregate(dict(limits), {})).totals,
    )


def _per_container(c: Container, seen: ContainerStatus | None, infeasible: bool) -> Container:
    """``determineContainerReqs`` and ``determineContainerLimits`` (1.33 to 1.36): a regular
    init container, or a status without ``resources``, leaves the spec as it is."""
    if seen is None or not seen.applied or c.type is ContainerType.INIT:
        return c
    status = [seen.requests or {}, seen.allocated or {}]  # max(spec, actuated, allocated)
    requests = _largest(status if infeasible else [c.requests, *status])
    limits = _largest([seen.limits or {}] if infeasible else [c.limits, seen.limits or {}])
    if requests == c.requests and limits == c.limits:
        return c
    return _container(c, requests, limits)


def _with(spec: PodSpec, containers: Sequence[Container]) -> PodSpec:
    """``spec`` with its containers, app then init, replaced in order."""
    apps = len(spec.containers)
    return replace(spec, containers=tuple(containers[:apps]), init_containers=tuple(containers[apps:]))


def _largest(lists: Sequence[ResourceList]) -> dict[str, Quantity]:
    """Per resource, the largest of ``lists`` (``max`` of resource lists: the first of equals)."""
    out: dict[str, Quantity] = {}
    for resources in lists:
        for name, q in resources.items():
            out[name] = max_of(out[name], q) if name in out else q
    return out


# --- quotas of a live cluster ---------------------------------------------------------------


def counted_usage(quota: ResourceQuota, pods: Iterable[PodEvaluation]) -> dict[str, Quantity]:
    """What ``pods`` count against ``quota``, summed: each pod its scopes match
    (``matches``), its usage (``pod_usage``) of the resources the quota limits (``covered``),
    as the quota controller sums a namespace's pods (``UsageStats`` of the pod evaluator,
    ``pkg/quota/v1/evaluator/core/pods.go``)."""
    return sum_resources(
        covered(quota, pod_usage(ev.requests, ev.limits))
        for ev in pods
        if matches(quota, pod_facts(ev.spec, ev.qos_class))
    )


@dataclass(frozen=True, slots=True)
class UsageGap:
    """A pod resource where a quota's ``status.used`` and its namespace's pods differ."""

    resource: str
    used: Quantity | None  # status.used says
    pods: Quantity | None  # the pods add up to


def usage_gaps(quota: ResourceQuota, pods: Iterable[PodEvaluation]) -> list[UsageGap]:
    """Where ``pods`` (every pod of the quota's namespace that holds resources) do not add up
    to the quota's ``status.used``: per hard resource that pods count
    (``calc.quota.pod_quota_resource``), in name order. The quota controller sets ``status.used`` to
    their ``counted_usage`` (``syncResourceQuota``, ``pkg/controller/resourcequota``); a gap
    is a partial snapshot, or pods that changed since."""
    listed = counted_usage(quota, pods)
    out = []
    for name in sorted(quota.hard):
        if not pod_quota_resource(name):
            continue
        have, said = listed.get(name), quota.used.get(name)
        if (have.nanos if have else 0) != (said.nanos if said else 0):
            out.append(UsageGap(name, said, have))
    return out


def used_without(quota: ResourceQuota, gone: Iterable[PodEvaluation]) -> dict[str, Quantity]:
    """A quota's ``status.used`` once the pods ``gone`` are deleted: each figure less what they
    counted (``counted_usage``), as the quota controller recounts it when a pod goes
    (``replenishQuota``, then ``syncResourceQuota``, ``pkg/controller/resourcequota``)."""
    freed = counted_usage(quota, gone)
    return {n: Quantity(u.nanos - (freed[n].nanos if n in freed else 0), u.format) for n, u in quota.used.items()}


@dataclass(frozen=True, slots=True)
class Stall:
    """A resource a rollout's peak takes over a quota's hard limit."""

    resource: str
    reaches: Quantity  # the quota's total at the rollout's peak
    over: Quantity  # reaches - hard
    hard: Quantity


@dataclass(frozen=True, slots=True)
class QuotaPeak:
    """A quota at its rollouts' peak: the total with every rollout at its peak, and the
    stalls of each rollout, in the order given."""

    peak: dict[str, Quantity]
    stalls: tuple[tuple[Stall, ...], ...]


def quota_at_peaks(
    quota: ResourceQuota, after: ResourceList, rollouts: Sequence[tuple[ResourceList, ResourceList]]
) -> QuotaPeak:
    """A quota whose total once the change is in place is ``after``, at the peak of each of
    ``rollouts`` (each its usage once rolled out, and at its peak: ``calc.rollout.rollout_peak``).

    A rollout's peak holds what the quota limits of its peak less of its end (``covered``,
    then ``delta``) on top of ``after``. Where that takes a hard resource over its limit, quota
    admission refuses the pod that would go over (``k8s.io/apiserver/pkg/admission/plugin/resourcequota``), and
    the controller keeps retrying it: the rollout stalls, by that much. ``peak`` adds every
    rollout's excess at once."""
    extra: list[ResourceList] = []
    stalls = []
    for final, at_peak in rollouts:
        over = delta(covered(quota, final), covered(quota, at_peak))
        extra.append(over)
        alone = sum_resources([after, over])
        stalls.append(
            tuple(
                Stall(name, alone[name], Quantity(alone[name].nanos - hard.nanos, hard.format), hard)
                for name, hard in sorted(quota.hard.items())
                if name in alone and alone[name].nanos > hard.nanos
            )
        )
    return QuotaPeak(sum_resources([after, *extra]), tuple(stalls))


@dataclass(frozen=True, slots=True)
class Figures:
    """Pods, and what they request and are limited to altogether."""

    pods: int
    requests: dict[str, Quantity]
    limits: dict[str, Quantity]


def net_change(changes: Sequence[tuple[Figures, Figures]]) -> Figures:
    """What ``changes`` (each its figures before and after) change altogether: the pods after
    less before, and the requests and limits summed on each side (``sum_resources``), after
    less before (``delta``: unchanged resources left out)."""
    before = sum_resources(b.requests for b, _ in changes), sum_resources(b.limits for b, _ in changes)
    after = sum_resources(a.requests for _, a in changes), sum_resources(a.limits for _, a in changes)
    return Figures(sum(a.pods - b.pods for b, a in changes), delta(before[0], after[0]), delta(before[1], after[1]))
