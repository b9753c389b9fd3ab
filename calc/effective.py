"""A pod's effective requests and limits, as ``k8s.io/component-helpers/resource`` computes them.

Sidecar containers (KEP-753) are init containers with ``restartPolicy: Always``: they start
in order with the other init containers and keep running. While init container i runs::

    InitContainerUse(i) = sum(restartable init containers with index < i) + init container i

and, for a sidecar, its start step uses the sum of the sidecars up to and including it.
Then (``PodRequests`` / ``PodLimits``)::

    pod = max(max_i InitContainerUse(i), sum(app containers) + sum(sidecars))
    pod[r] = spec.resources[r]          where pod-level resources are set (KEP-2837)
    pod += spec.overhead                requests: always; limits: only where a limit exists

Each sum and max follows Kubernetes' order of operations, because a quantity's printed
form is that of the first operand of a sum (``addResourceList``), and ties in a max keep
the value already there (``maxResourceList``).

Limits are summed only where declared, as ``PodLimits`` does; a container that runs
without a limit makes the pod's real limit unbounded, which is reported separately.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from calc.pod import Container, ContainerType, PodSpec, ResourceList
from calc.quantity import Quantity, add
from calc.resources import CPU, HUGEPAGES_PREFIX, MEMORY, UNBOUNDED_WITHOUT_LIMIT

RUNNING = "running"
POD_RESOURCES = "podResources"
_SIDECAR = ContainerType.SIDECAR
# Resources that pod-level spec.resources may set (IsSupportedPodLevelResource).
POD_LEVEL_RESOURCES = frozenset({CPU, MEMORY})


@dataclass(frozen=True, slots=True)
class PodResourcesOptions:
    """What to include, as Kubernetes' ``PodResourcesOptions``; defaults are Kubernetes' own."""

    exclude_overhead: bool = False  # leave spec.overhead out of the figures
    skip_pod_level_resources: bool = False  # use container figures even where spec.resources is set


DEFAULT_OPTIONS = PodResourcesOptions()  # overhead and pod-level resources included


class PhaseKind(enum.Enum):
    INIT = "init"  # a regular init container runs, with the sidecars started before it
    SIDECAR_START = "sidecarStart"  # a sidecar starts; the sidecars before it keep running
    RUNNING = "running"  # app containers and every sidecar


# The calculation's results are NamedTuples: immutable like frozen dataclasses, and cheaper
# to build (hot path: every pod builds one Phase per step). Its input model (calc.pod) is
# frozen dataclasses.
class Phase(NamedTuple):
    """One step of the pod's life and what its running containers request and limit."""

    id: str  # "init:<name>", "sidecar:<name>" or "running"
    kind: PhaseKind
    container: str | None  # the init container or sidecar of this step
    running: tuple[str, ...]  # every container running during the step
    requests: ResourceList
    limits: ResourceList
    unbounded_limits: tuple[str, ...]  # resources some running container has no limit for


class Aggregate(NamedTuple):
    """A container-level aggregate (requests or limits) and the phase that set each resource."""

    totals: ResourceList
    set_by: dict[str, str]


@lru_cache(maxsize=1024)
def is_pod_level_resource(name: str) -> bool:
    """``IsSupportedPodLevelResource`` (component-helpers ``resource``): cpu, memory, hugepages-*."""
    return name in POD_LEVEL_RESOURCES or name.startswith(HUGEPAGES_PREFIX)


def add_resources(total: ResourceList, more: ResourceList) -> dict[str, Quantity]:
    """total + more per resource (``addResourceList``): a missing resource is copied in."""
    out = dict(total)
    for name, q in more.items():
        out[name] = add(out[name], q) if name in out else q
    return out


def _add_into(total: dict[str, Quantity], more: ResourceList) -> None:
    """``add_resources`` in place, for a sum no one else holds yet."""
    for name, q in more.items():
        total[name] = add(total[name], q) if name in total else q


def _plus(a: ResourceList, b: ResourceList) -> ResourceList:
    """``add_resources(a, b)``, or a or b itself when the other is empty: a step's figures
    are never changed once made, so a step may share them with its container (no copy)."""
    if not b:
        return a
    if not a:
        return b
    return add_resources(a, b)


def _max_into(peak: dict[str, Quantity], set_by: dict[str, str], use: ResourceList, step_id: str) -> None:
    """``maxResourceList`` in place: a strictly larger use replaces the peak (a tie keeps it)."""
    for name, q in use.items():
        if name not in peak or q.nanos > peak[name].nanos:
            peak[name], set_by[name] = q, step_id


def _settle(running: dict[str, Quantity], init_peak: dict[str, Quantity], set_by: dict[str, str]) -> Aggregate:
    """max(init peak, running), with the phase that decided each resource (ties: running)."""
    totals = dict(running)
    for name, q in init_peak.items():
        if name in totals and q.nanos <= totals[name].nanos:
            set_by[name] = RUNNING
        else:
            totals[name] = q
    for name in running:
        set_by.setdefault(name, RUNNING)
    return Aggregate(totals, set_by)


class Life(NamedTuple):
    """A pod's life step by step, and the container-level aggregates the steps decide."""

    phases: tuple[Phase, ...]  # each init container or sidecar start, then running
    requests: Aggregate  # AggregateContainerRequests, with the phase that set each resource
    limits: Aggregate  # AggregateContainerLimits (declared limits only)
    unbounded_mask: int  # what some container may use without limit (bits of ``_BIT``)


def life(spec: PodSpec) -> Life:
    """Walk the containers once, in Kubernetes' order of addition, for requests and limits
    alike (``AggregateContainerRequests`` / ``AggregateContainerLimits``)."""
    running_requests: dict[str, Quantity] = {}
    running_limits: dict[str, Quantity] = {}
    running_mask = 0
    apps: list[str] = []
    for c in spec.containers:
        apps.append(c.name)
        _add_into(running_requests, c.requests)
        _add_into(running_limits, c.limits)
        running_mask |= _unlimited(c)
    sidecar_requests: ResourceList = {}
    sidecar_limits: ResourceList = {}
    sidecars: list[str] = []
    sidecars_mask = init_mask = 0
    peak_requests: dict[str, Quantity] = {}
    peak_limits: dict[str, Quantity] = {}
    requests_set_by: dict[str, str] = {}
    limits_set_by: dict[str, str] = {}
    out: list[Phase] = []
    for c in spec.init_containers:
        mask = _unlimited(c)
        if c.type is _SIDECAR:
            step_id = "sidecar:" + c.name
            _add_into(running_requests, c.requests)
            _add_into(running_limits, c.limits)
            requests = sidecar_requests = _plus(sidecar_requests, c.requests)
            limits = sidecar_limits = _plus(sidecar_limits, c.limits)
            sidecars.append(c.name)
            sidecars_mask |= mask
            out.append(
                Phase(
                    step_id, PhaseKind.SIDECAR_START, c.name, tuple(sidecars), requests, limits, _NAMES[sidecars_mask]
                )
            )
        else:
            step_id = "init:" + c.name
            requests = _plus(c.requests, sidecar_requests)
            limits = _plus(c.limits, sidecar_limits)
            init_mask |= mask
            out.append(
                Phase(
                    step_id, PhaseKind.INIT, c.name, (*sidecars, c.name), requests, limits, _NAMES[sidecars_mask | mask]
                )
            )
        _max_into(peak_requests, requests_set_by, requests, step_id)
        _max_into(peak_limits, limits_set_by, limits, step_id)
    running_mask |= sidecars_mask
    running = (*apps, *sidecars)
    out.append(Phase(RUNNING, PhaseKind.RUNNING, None, running, running_requests, running_limits, _NAMES[running_mask]))
    return Life(
        tuple(out),
        _settle(running_requests, peak_requests, requests_set_by),
        _settle(running_limits, peak_limits, limits_set_by),
        running_mask | init_mask,
    )


def pod_requests(spec: PodSpec, options: PodResourcesOptions = DEFAULT_OPTIONS) -> ResourceList:
    """``PodRequests``: the figure the scheduler and quota use."""
    return effective_requests(spec, options).totals


def pod_limits(spec: PodSpec, options: PodResourcesOptions = DEFAULT_OPTIONS) -> ResourceList:
    """``PodLimits``: declared limits only; see ``unbounded_limits`` for the rest."""
    return effective_limits(spec, options).totals


def effective_requests(
    spec: PodSpec, options: PodResourcesOptions = DEFAULT_OPTIONS, agg: Aggregate | None = None
) -> Aggregate:
    """PodRequests with the deciding phase; ``agg`` is the containers' aggregate if known."""
    if agg is None:
        agg = life(spec).requests
    if spec.resources is None and not spec.overhead:
        return agg  # the usual pod: the containers' aggregate is the pod's figure
    totals, set_by = dict(agg.totals), dict(agg.set_by)
    if not options.skip_pod_level_resources and spec.resources is not None:
        # IsPodLevelRequestsSet: only supported resources replace the containers' figure.
        pod_level = {n: q for n, q in spec.resources.requests.items() if is_pod_level_resource(n)}
        totals.update(pod_level)
        set_by.update(dict.fromkeys(pod_level, POD_RESOURCES))
    if not options.exclude_overhead:
        totals = add_resources(totals, spec.overhead)
        for name in spec.overhead:
            set_by.setdefault(name, "overhead")
    return Aggregate(totals, set_by)


def effective_limits(
    spec: PodSpec, options: PodResourcesOptions = DEFAULT_OPTIONS, agg: Aggregate | None = None
) -> Aggregate:
    """PodLimits with the deciding phase; ``agg`` is the containers' aggregate if known."""
    if agg is None:
        agg = life(spec).limits
    if spec.resources is None and not spec.overhead:
        return agg
    totals, set_by = dict(agg.totals), dict(agg.set_by)
    if not options.skip_pod_level_resources and pod_level_resources_set(spec):
        assert spec.resources is not None
        pod_level = {n: q for n, q in spec.resources.limits.items() if is_pod_level_resource(n)}
        totals.update(pod_level)
        set_by.update(dict.fromkeys(pod_level, POD_RESOURCES))
    if not options.exclude_overhead:
        # Overhead is added only to non-zero limits: an absent or zero limit stays as it is.
        totals = {
            n: add(q, spec.overhead[n]) if n in spec.overhead and not q.is_zero() else q for n, q in totals.items()
        }
    return Aggregate(totals, set_by)


def pod_level_resources_set(spec: PodSpec) -> bool:
    """``IsPodLevelResourcesSet``: a supported resource in spec.resources requests or limits."""
    if spec.resources is None:
        return False
    names = list(spec.resources.requests) + list(spec.resources.limits)
    return any(is_pod_level_resource(n) for n in names)


# A set of unbounded resources as a bit mask, bit i for UNBOUNDED_WITHOUT_LIMIT[i]: the
# unions of each phase are then one operation, and _NAMES gives each set in that order.
_BIT = {name: 1 << i for i, name in enumerate(UNBOUNDED_WITHOUT_LIMIT)}
_ALL = (1 << len(_BIT)) - 1
_CLEAR = {name: ~bit for name, bit in _BIT.items()}
_NAMES = tuple(tuple(n for n, bit in _BIT.items() if mask & bit) for mask in range(1 << len(UNBOUNDED_WITHOUT_LIMIT)))


def _unlimited(c: Container) -> int:
    """The mask of the resources ``c`` alone may use without limit (no limit, or a zero one).

    Only cpu, memory and ephemeral-storage count: a container cannot use an extended
    resource or hugepages it has not declared.
    """
    mask = _ALL
    for name, q in c.limits.items():  # each declared, non-zero limit clears its bit
        if q.nanos:
            mask &= _CLEAR.get(name, -1)
    return mask


def pod_unbounded_limits(spec: PodSpec, steps: Life | None = None) -> tuple[str, ...]:
    """The resources the pod as a whole may use without limit; ``steps`` is ``life(spec)``
    when the caller has it."""
    mask = (life(spec) if steps is None else steps).unbounded_mask
    if spec.resources is not None:  # a pod-level limit bounds the whole pod
        for name, q in spec.resources.limits.items():
            if q.nanos != 0:
                mask &= _CLEAR.get(name, -1)
    return _NAMES[mask]
