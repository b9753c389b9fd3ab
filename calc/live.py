"""A live cluster: which pods count, which node takes a new pod, and a rollout's peak.

- A pod counts where it is unless it has ended: ``Succeeded`` and ``Failed`` pods hold no
  node's resources and no quota's (``pkg/quota/v1/evaluator/core/pods.go``: ``QuotaV1Pod``;
  the scheduler's cache drops terminated pods).
- A pod resized in place counts what its spec asks, what the kubelet allocated and what it
  applied, whichever is the larger (``running_aggregates``: ``PodRequests`` and ``PodLimits``
  with ``UseStatusResources``, KEP-1287, GA in 1.35; from 1.37 summed apart first); an
  infeasible resize, its status alone.
- A node takes a new pod unless it is cordoned (``spec.unschedulable``, the NodeUnschedulable
  filter), it has a ``NoSchedule`` or ``NoExecute`` taint the pod does not tolerate
  (TaintToleration; ``PreferNoSchedule`` never filters), or the pod's ``nodeSelector`` names
  labels it lacks (NodeAffinity). Node affinity terms are not modelled.
- A Deployment's RollingUpdate runs old and new pods together (``rollout_peak``); a
  StatefulSet's replaces each pod once it is gone, a DaemonSet's overlaps on ``maxSurge``
  nodes, Recreate never overlaps (``rollout``).
- A quota's ``status.used`` is what its namespace's pods count (``counted_usage``,
  ``usage_gaps``); pods that leave free what they counted (``used_without``), and a rollout's
  peak is checked against the hard limits (``quota_at_peaks``).
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from calc.diff import delta
from calc.effective import Aggregate, effective_limits, effective_requests, life
from calc.evaluate import PodEvaluation
from calc.pod import Container, ContainerType, PodSpec, ResourceList
from calc.quantity import Quantity
from calc.quota import ResourceQuota, covered, matches, pod_facts, pod_usage
from calc.workloads import sum_resources

TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
_FILTERING = ("NoSchedule", "NoExecute")


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
            if name not in out or q.nanos > out[name].nanos:
                out[name] = q
    return out


# --- scheduling filters ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Taint:
    key: str
    value: str
    effect: str


@dataclass(frozen=True, slots=True)
class Toleration:
    key: str = ""
    operator: str = "Equal"  # Equal or Exists
    value: str = ""
    effect: str = ""  # empty: every effect


@dataclass(frozen=True, slots=True)
class Placement:
    """What the scheduler's filters read of a pod."""

    tolerations: tuple[Toleration, ...] = ()
    node_selector: Mapping[str, str] = field(default_factory=dict)
    node_affinity: bool = False  # requiredDuringScheduling node affinity: not modelled


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """What the scheduler's filters read of a node."""

    unschedulable: bool = False
    taints: tuple[Taint, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)


def tolerates(t: Toleration, taint: Taint) -> bool:
    """``Toleration.ToleratesTaint`` (k8s.io/api/core/v1/toleration.go): the effect matches (or
    is empty), the key matches (or is empty with Exists), and Exists, or Equal with the value."""
    if t.effect and t.effect != taint.effect:
        return False
    if t.key and t.key != taint.key:
        return False
    if t.operator == "Exists":
        return True
    return t.operator in ("Equal", "") and t.value == taint.value


def untolerated_taint(taints: Sequence[Taint], tolerations: Sequence[Toleration]) -> Taint | None:
    """The first NoSchedule or NoExecute taint no toleration tolerates (``FindMatchingUntoleratedTaint``)."""
    for taint in taints:
        if taint.effect in _FILTERING and not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


def refusal(node: NodeFacts, pod: Placement) -> str | None:
    """Why the scheduler's filters keep ``pod`` off ``node`` (their words), or None."""
    if node.unschedulable:
        cordon = Taint(UNSCHEDULABLE_TAINT, "", "NoSchedule")
        if not any(tolerates(t, cordon) for t in pod.tolerations):
            return "node(s) were unschedulable"
    if untolerated_taint(node.taints, pod.tolerations) is not None:
        return "node(s) had untolerated taint(s)"  # the taint itself is no longer named (kubernetes#134740, 1.35)
    if any(node.labels.get(k) != v for k, v in pod.node_selector.items()):
        return "node(s) didn't match Pod's node affinity/selector"
    return None


# --- rollouts -------------------------------------------------------------------------------

_PERCENT = re.compile(r"[0-9]+%")  # IsValidPercent: ASCII digits only
_STRATEGY_TYPES = {
    "Deployment": ("Recreate", "RollingUpdate"),
    "DaemonSet": ("OnDelete", "RollingUpdate"),
    "StatefulSet": ("OnDelete", "RollingUpdate"),
}


class UnsupportedStrategyError(ValueError):
    """A strategy ``type`` the workload's kind does not have."""


def strategy_type(kind: str, written: object) -> str:
    """A Deployment's, DaemonSet's or StatefulSet's strategy ``type``: as written, RollingUpdate
    where none is (the default of the three); ``UnsupportedStrategyError`` for a type the API server refuses
    (``ValidateDeploymentStrategy``, ``ValidateDaemonSetUpdateStrategy``, the StatefulSet's
    ``updateStrategy`` validation), in its words."""
    supported = _STRATEGY_TYPES.get(kind)
    if written is None or supported is None:  # other kinds have no strategy: replaced as they go
        return "RollingUpdate"
    if type(written) is not str or written not in supported:
        shown = json.dumps(written) if isinstance(written, str | int | float | bool) else str(written)
        listed = ", ".join(json.dumps(t) for t in supported)
        raise UnsupportedStrategyError(f"Unsupported value: {shown}: supported values: {listed}")
    return written


def scaled(value: object, total: int, default: int | str, round_up: bool) -> int:
    """``intstr.GetScaledValueFromIntOrPercent``: an int as is, a percent of ``total`` rounded
    up (maxSurge) or down (maxUnavailable). ``ValueError`` for what the API server refuses:
    anything but an int or a string of digits and ``%`` (``IsValidPercent``; a float or a
    bool does not decode as an IntOrString), and a negative int
    (``ValidateNonnegativeIntOrPercent``)."""
    value = default if value is None else value
    if type(value) is int:
        if value < 0:
            raise ValueError(f"{value}: must be greater than or equal to 0")
        return value
    if type(value) is not str or _PERCENT.fullmatch(value) is None:
        raise ValueError(f"{_written(value)}: an int or a percentage such as '25%'")
    share = Fraction(int(value[:-1]) * total, 100)
    return -(-share.numerator // share.denominator) if round_up else share.numerator // share.denominator


def _written(value: object) -> str:
    """A decoded value as a manifest writes it: a string quoted, a bool as ``true``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


def surge_and_unavailable(replicas: int, max_surge: object, max_unavailable: object) -> tuple[int, int]:
    """``ResolveFenceposts``: maxSurge (default 25%, rounded up) and maxUnavailable (default
    25%, rounded down); when both come to 0, one pod may be unavailable."""
    surge = scaled(max_surge, replicas, "25%", True)
    unavailable = scaled(max_unavailable, replicas, "25%", False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def daemon_surge_and_unavailable(nodes: int, max_surge: object, max_unavailable: object) -> tuple[int, int]:
    """A DaemonSet's ``updatedDesiredNodeCounts`` (``util.SurgeCount``, ``UnavailableCount``):
    maxSurge (default 0) and maxUnavailable (default 1), each an int or a percentage of the
    nodes it runs on, rounded up; when both come to 0, one pod may be unavailable."""
    surge = scaled(max_surge, nodes, 0, True)
    unavailable = scaled(max_unavailable, nodes, 1, True)
    return surge, 1 if surge == 0 and unavailable == 0 else unavailable


def statefulset_unavailable(replicas: int, max_unavailable: object) -> int:
    """``getStatefulSetMaxUnavailable``: maxUnavailable (default 1), an int or a percentage of
    the replicas rounded down, at least 1 (KEP-961, ``MaxUnavailableStatefulSet``, beta in 1.35).
    It sets how many pods are replaced at once, never how many run: a StatefulSet's pod keeps
    its name, so its replacement is created only once it is gone. ``ValueError`` for 0 and
    above 100%, which ``ValidateRollingUpdateStatefulSet`` refuses."""
    if (type(max_unavailable) is int and max_unavailable == 0) or max_unavailable == "0%":
        raise ValueError(f"{_written(max_unavailable)}: must be greater than 0")
    if type(max_unavailable) is str and _PERCENT.fullmatch(max_unavailable) and int(max_unavailable[:-1]) > 100:
        raise ValueError(f"{_written(max_unavailable)}: must not be greater than 100%")
    return max(1, scaled(max_unavailable, replicas, 1, False))


def statefulset_overlap(old_pods: int, new_pods: int, parallel: bool) -> int:
    """How many old pods a StatefulSet's rolling update may run beside all its new ones (the
    ``surge`` of ``rollout_peak``). Zero with ``podManagementPolicy: OrderedReady``: the pods
    a scale-down condemns (ordinals from ``replicas`` up) are gone before any pod is replaced.
    With ``Parallel`` they are deleted without waiting and the update starts while they
    terminate, still counted (``updateStatefulSet``: ``processCondemned``, then the rolling
    update): up to ``old_pods - new_pods`` of them."""
    return max(0, old_pods - new_pods) if parallel else 0


@dataclass(frozen=True, slots=True)
class Peak:
    """The most a rollout holds at once, per resource, and the pod mix that holds it."""

    pods: int  # the most pods at once
    requests: dict[str, Quantity]
    mix: dict[str, tuple[int, int]]  # resource -> (old pods, new pods) at its peak


def rollout_peak(old: ResourceList, old_pods: int, new: ResourceList, new_pods: int, surge: int | None) -> Peak:
    """The peak of replacing ``old_pods`` pods of ``old`` by ``new_pods`` of ``new``, as the
    Deployment controller rolls out (``pkg/controller/deployment``).

    RollingUpdate (``surge`` = maxSurge; ``rolloutRolling``): the new ReplicaSet grows while
    old and new pods together stay within ``new_pods + surge`` (``NewRSNewReplicas``,
    ``pkg/controller/deployment/util``), and the old ones shrink as new ones become
    available (``reconcileOldReplicaSets``): at most ``new_pods + surge`` pods at once. Per
    resource, when a new pod asks at least as much as an old one the peak is every new pod
    with ``min(surge, old_pods)`` old ones; otherwise every old pod with
    ``new_pods + surge - old_pods`` new ones (at least 0, at most ``new_pods``); a rollout
    that also scales down peaks at its old pods where they hold more. Recreate (``surge``
    None; ``rolloutRecreate``): the old pods are gone before the new ReplicaSet grows, so the
    peak is the larger side.
    """
    if surge is None:
        mix = {
            n: (old_pods, 0) if _total(old, n, old_pods) >= _total(new, n, new_pods) else (0, new_pods)
            for n in {*old, *new}
        }
        return Peak(max(old_pods, new_pods), _figures(old, new, mix), mix)
    mix = {}
    for name in {*old, *new}:
        if _one(new, name) >= _one(old, name):
            mix[name] = (min(surge, old_pods), new_pods)
        else:
            mix[name] = (old_pods, max(0, min(new_pods, new_pods + surge - old_pods)))
        if _total(old, name, old_pods) > _total(old, name, mix[name][0]) + _total(new, name, mix[name][1]):
            mix[name] = (old_pods, 0)  # a rollout that also scales down starts at its old pods
    return Peak(max(new_pods + min(surge, old_pods), old_pods), _figures(old, new, mix), mix)


def _one(resources: ResourceList, name: str) -> int:
    return resources[name].nanos if name in resources else 0


def _total(resources: ResourceList, name: str, pods: int) -> int:
    return _one(resources, name) * pods


def _figures(old: ResourceList, new: ResourceList, mix: Mapping[str, tuple[int, int]]) -> dict[str, Quantity]:
    """The totals of each resource's mix, in the format of the new pods' figure (else the old's)."""
    return {
        n: Quantity(_total(old, n, o) + _total(new, n, w), (new.get(n) or old[n]).format)
        for n, (o, w) in sorted(mix.items())
    }


@dataclass(frozen=True, slots=True)
class Strategy:
    """A workload's update strategy as written (``strategy`` of a Deployment, ``updateStrategy``
    of a DaemonSet or StatefulSet): its ``type``, its ``rollingUpdate`` fields and a
    StatefulSet's ``podManagementPolicy``; None where absent, any other value as decoded, for
    the rules to refuse."""

    type: object = None
    max_surge: object = None
    max_unavailable: object = None
    partition: object = None
    pod_management_policy: object = None


@dataclass(frozen=True, slots=True)
class Rollout:
    """How a replacement rolls out, and the most it holds at once."""

    strategy: str  # RollingUpdate, Recreate, OnDelete
    max_surge: int | None  # the old pods that may run beside the new ones; None: none do
    max_unavailable: int | None
    peak: Peak


def rollout(
    kind: str, strategy: Strategy, old: ResourceList, old_pods: int, new: ResourceList, new_pods: int
) -> Rollout:
    """The rollout that replaces ``old_pods`` pods of ``old`` by ``new_pods`` of ``new``, and
    which of its strategies run old and new pods together (``rollout_peak``):

    - A StatefulSet replaces each pod once it is gone, with OnDelete as with RollingUpdate
      (``updateStatefulSet``): only the pods a ``Parallel`` scale-down condemns run beside the
      new ones (``statefulset_overlap``); RollingUpdate's maxUnavailable is
      ``statefulset_unavailable``.
    - A Deployment's RollingUpdate runs up to maxSurge old pods beside the new ones
      (``surge_and_unavailable``, ``pkg/controller/deployment/util``).
    - A DaemonSet's RollingUpdate starts a node's new pod before its old one stops only with
      a maxSurge above 0 (``daemon_surge_and_unavailable``, ``pkg/controller/daemon``:
      ``rollingUpdate``); with none it stops the old pod first.
    - Recreate, a DaemonSet's OnDelete, and any other kind (no strategy): never both at once.

    ``UnsupportedStrategyError`` for a type the kind does not have (``strategy_type``),
    ``ValueError`` for a ``rollingUpdate`` figure the API server refuses.
    """
    written = strategy_type(kind, strategy.type)
    if kind == "StatefulSet":
        overlap = statefulset_overlap(old_pods, new_pods, strategy.pod_management_policy == "Parallel")
        peak = rollout_peak(old, old_pods, new, new_pods, overlap)
        if written == "OnDelete":  # each pod is replaced once someone deletes it: the same mixes
            return Rollout("OnDelete", None, None, peak)
        return Rollout("RollingUpdate", None, statefulset_unavailable(new_pods, strategy.max_unavailable), peak)
    fenceposts = {"Deployment": surge_and_unavailable, "DaemonSet": daemon_surge_and_unavailable}.get(kind)
    if fenceposts is not None and written not in ("Recreate", "OnDelete"):
        surge, unavailable = fenceposts(new_pods, strategy.max_surge, strategy.max_unavailable)
        if surge > 0 or kind == "Deployment":
            return Rollout("RollingUpdate", surge, unavailable, rollout_peak(old, old_pods, new, new_pods, surge))
    return Rollout(written, None, None, rollout_peak(old, old_pods, new, new_pods, None))


def statefulset_partition(strategy: Strategy) -> int | None:
    """The ``rollingUpdate.partition`` of a StatefulSet's update strategy: its pods with an
    ordinal below it keep their old template (``updateStatefulSet``,
    ``newVersionedStatefulSetPod``, ``pkg/controller/statefulset``). None where it holds no
    pod back: an OnDelete strategy, no partition, or one of 0 or less (an int only)."""
    partition = strategy.partition
    if strategy.type == "OnDelete" or type(partition) is not int or partition <= 0:
        return None
    return partition


# --- quotas of a live cluster ---------------------------------------------------------------


def pod_quota_resource(name: str) -> bool:
    """Whether a quota's ``name`` is one pods count (what the pod evaluator matches,
    ``MatchingResources`` in ``pkg/quota/v1/evaluator/core/pods.go``): ``pods``,
    ``count/pods``, ``cpu``, ``memory``, ``ephemeral-storage``, and every ``requests.*``,
    ``limits.*`` and ``hugepages-*`` name but ``requests.storage`` and a storage class's
    (which PersistentVolumeClaims count)."""
    return name in ("pods", "count/pods", "cpu", "memory", "ephemeral-storage") or (
        name.startswith(("requests.", "limits.", "hugepages-"))
        and name != "requests.storage"
        and "storageclass" not in name
    )


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
    (``pod_quota_resource``), in name order. The quota controller sets ``status.used`` to
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
    ``rollouts`` (each its usage once rolled out, and at its peak: ``rollout_peak``).

    A rollout's peak holds what the quota limits of its peak less of its end (``covered``,
    then ``delta``) on top of ``after``. Where that takes a hard resource over its limit, quota
    admission refuses the pod that would go over (``plugin/pkg/admission/resourcequota``), and
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
