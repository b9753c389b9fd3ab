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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter

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


@dataclass(frozen=True, slots=True)
class Phase:
    """One step of the pod's life and what its running containers request and limit."""

    id: str  # "init:<name>", "sidecar:<name>" or "running"
    kind: PhaseKind
    container: str | None  # the init container or sidecar of this step
    running: tuple[str, ...]  # every container running during the step
    requests: ResourceList
    limits: ResourceList
    unbounded_limits: tuple[str, ...]  # resources some running container has no limit for


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A container-level aggregate (requests or limits) and the phase that set each resource."""

    totals: ResourceList
    set_by: dict[str, str]


@lru_cache(maxsize=1024)
def is_pod_level_resource(name: str) -> bool:
    return name in POD_LEVEL_RESOURCES or name.startswith(HUGEPAGES_PREFIX)


def add_resources(total: ResourceList, more: ResourceList) -> dict[str, Quantity]:
    """total + more per resource (``addResourceList``): a missing resource is copied in."""
    out = dict(total)
    for name, q in more.items():
        out[name] = add(out[name], q) if name in out else q
    return out


Steps = list[tuple[str, dict[str, Quantity]]]  # (phase id, use) for each init step, then running


# a container's requests or limits, as the ``pick`` of the functions below (C-level getters)
requests_of: Callable[[Container], ResourceList] = attrgetter("requests")
limits_of: Callable[[Container], ResourceList] = attrgetter("limits")


def _add_into(total: dict[str, Quantity], more: ResourceList) -> None:
    """``add_resources`` in place, for a sum no one else holds yet."""
    for name, q in more.items():
        total[name] = add(total[name], q) if name in total else q


def phase_use(spec: PodSpec, pick: Callable[[Container], ResourceList]) -> Steps:
    """Each init step's use, then the running phase's, in Kubernetes' order of addition."""
    running: dict[str, Quantity] = {}
    for c in spec.containers:
        _add_into(running, pick(c))
    sidecars: dict[str, Quantity] = {}
    steps: list[tuple[str, dict[str, Quantity]]] = []
    for c in spec.init_containers:
        use = pick(c)
        if c.type is _SIDECAR:
            _add_into(running, use)
            sidecars = add_resources(sidecars, use)  # a new dict: each step keeps its own
            steps.append((phase_id(c), sidecars))
        else:
            steps.append((phase_id(c), add_resources(use, sidecars)))
    steps.append((RUNNING, running))
    return steps


def aggregate(spec: PodSpec, pick: Callable[[Container], ResourceList], steps: Steps | None = None) -> Aggregate:
    """``AggregateContainerRequests`` / ``AggregateContainerLimits`` with the deciding phase.

    ``steps`` are ``phase_use(spec, pick)`` when the caller has them already.
    """
    if steps is None:
        steps = phase_use(spec, pick)
    running = steps[-1][1]
    init_peak: dict[str, Quantity] = {}
    set_by: dict[str, str] = {}
    for i in range(len(steps) - 1):  # the init steps
        step_id, use = steps[i]
        for name, q in use.items():
            if name not in init_peak or q.nanos > init_peak[name].nanos:
                init_peak[name], set_by[name] = q, step_id
    totals = dict(running)
    for name, q in init_peak.items():
        if name in totals and q.nanos <= totals[name].nanos:
            set_by[name] = RUNNING
        else:
            totals[name] = q
    for name in running:
        set_by.setdefault(name, RUNNING)
    return Aggregate(totals, set_by)


def phase_id(c: Container) -> str:
    prefix = "sidecar" if c.type is _SIDECAR else "init"
    return f"{prefix}:{c.name}"


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
    agg = agg or aggregate(spec, requests_of)
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
    agg = agg or aggregate(spec, limits_of)
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


def unbounded(containers: Sequence[Container], bounded_at_pod_level: Iterable[str] = ()) -> tuple[str, ...]:
    """Resources that some container may use without limit (no limit, or a zero one).

    Only cpu, memory and ephemeral-storage count: a container cannot use an extended
    resource or hugepages it has not declared. A pod-level limit bounds the whole pod.
    """
    mask = 0
    for c in containers:
        mask |= _unlimited(c)
    for name in bounded_at_pod_level:
        mask &= ~_BIT.get(name, 0)
    return _NAMES[mask]


# A set of unbounded resources as a bit mask, bit i for UNBOUNDED_WITHOUT_LIMIT[i]: the
# unions of each phase are then one operation, and _NAMES gives each set in that order.
_BIT = {name: 1 << i for i, name in enumerate(UNBOUNDED_WITHOUT_LIMIT)}
_NAMES = tuple(tuple(n for n, bit in _BIT.items() if mask & bit) for mask in range(1 << len(UNBOUNDED_WITHOUT_LIMIT)))


def _unlimited(c: Container) -> int:
    """The mask of the resources ``c`` alone may use without limit."""
    limits, mask = c.limits, 0
    for name, bit in _BIT.items():
        q = limits.get(name)
        if q is None or q.nanos == 0:
            mask |= bit
    return mask


def pod_unbounded_limits(spec: PodSpec) -> tuple[str, ...]:
    """The resources the pod as a whole may use without limit."""
    pod_limited = [n for n, q in (spec.resources.limits if spec.resources else {}).items() if not q.is_zero()]
    return unbounded(spec.all_containers, pod_limited)


def phases(spec: PodSpec, request_steps: Steps | None = None, limit_steps: Steps | None = None) -> list[Phase]:
    """The pod's life step by step: each init container or sidecar start, then running."""
    request_steps = request_steps or phase_use(spec, requests_of)
    limit_steps = limit_steps or phase_use(spec, limits_of)
    out: list[Phase] = []
    sidecars: list[str] = []
    sidecars_unlimited = 0  # the mask of what the sidecars started so far may use without limit
    for i, c in enumerate(spec.init_containers):
        if c.type is ContainerType.SIDECAR:
            sidecars.append(c.name)
            sidecars_unlimited |= _unlimited(c)
            members, kind, unlimited = tuple(sidecars), PhaseKind.SIDECAR_START, sidecars_unlimited
        else:
            members, kind, unlimited = (*sidecars, c.name), PhaseKind.INIT, sidecars_unlimited | _unlimited(c)
        step_id, requests = request_steps[i]
        out.append(Phase(step_id, kind, c.name, members, requests, limit_steps[i][1], _NAMES[unlimited]))
    running_unlimited = sidecars_unlimited
    for c in spec.containers:
        running_unlimited |= _unlimited(c)
    running = (*(c.name for c in spec.containers), *sidecars)
    out.append(
        Phase(
            RUNNING,
            PhaseKind.RUNNING,
            None,
            running,
            request_steps[-1][1],
            limit_steps[-1][1],
            _NAMES[running_unlimited],
        )
    )
    return out
