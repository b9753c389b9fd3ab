"""API-server defaulting of a pod's resources (``pkg/apis/core/v1/defaults.go``,
``pkg/registry/core/pod/strategy.go``).

In the order the API server runs them:

1. Decoding, ``SetDefaults_Pod``: every container (app, init, sidecar) with a limit and no
   request for a resource gets request = limit. Up to 1.36 (``PodLevelResources`` on, the
   fix off), the pod-level defaults follow here, from the containers as written:
   ``defaultHugePagePodLimits``, then ``defaultPodRequests`` (only where pod-level limits
   are set).
2. Decoding, ``SetDefaults_ResourceList``: every request, limit, overhead and pod-level
   value is rounded up to milli precision (``1n`` becomes ``1m``).
3. Admission (LimitRanger fills containers; see ``calc.limitrange``).
4. From 1.37 (``PodLevelResourcesFixDefaulting``, kubernetes#140514), ``PrepareForCreate``
   sets the pod-level defaults after admission, from the containers as admitted
   (``DefaultPodLevelResources``): hugepage limits, then requests, then limits defaulted
   from the containers' limits (KEP-2837 resource matrix, rows 10 and 12).

What was defaulted is recorded, so that a result can say where each figure came from.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

from calc.effective import Life, is_pod_level_resource, life
from calc.pod import Container, PodResources, PodSpec, ResourceList
from calc.quantity import round_up_milli
from calc.resources import is_hugepages, overcommit_allowed
from calc.versions import DEFAULT_FEATURES, Features


class Defaulted(NamedTuple):
    """A defaulted pod and what the defaulting filled in."""

    spec: PodSpec
    # (container name, resource) pairs whose request was copied from the limit
    requests_from_limits: tuple[tuple[str, str], ...]
    # pod-level requests and limits that defaulting filled in, by resource
    pod_requests_defaulted: tuple[str, ...] = ()
    pod_limits_defaulted: tuple[str, ...] = ()


def _request_from_limit(c: Container) -> tuple[Container, list[str]]:
    missing = [name for name in c.limits if name not in c.requests]
    if not missing:
        return c, []
    requests = dict(c.requests) | {name: c.limits[name] for name in missing}
    return Container(c.name, c.type, c.index, requests, c.limits), missing


def _round(resources: ResourceList) -> ResourceList:
    """Every quantity rounded up to milli; the same mapping when none needs it (the usual case)."""
    if all(q.nanos % 1_000_000 == 0 for q in resources.values()):
        return resources
    return {name: round_up_milli(q) for name, q in resources.items()}


def _round_container(c: Container) -> Container:
    requests, limits = _round(c.requests), _round(c.limits)
    if requests is c.requests and limits is c.limits:
        return c
    return Container(c.name, c.type, c.index, requests, limits)


def _stored_as_is(spec: PodSpec) -> bool:
    """No container lacks a request its limit would fill, and no figure needs rounding."""
    for c in spec.containers + spec.init_containers:
        requests, limits = c.requests, c.limits
        for name, q in limits.items():
            if name not in requests or q.nanos % 1_000_000:
                return False
        for q in requests.values():
            if q.nanos % 1_000_000:
                return False
    # most pods have no overhead: no generator is started for them
    return not spec.overhead or all(q.nanos % 1_000_000 == 0 for q in spec.overhead.values())


def apply_defaults(spec: PodSpec, f: Features = DEFAULT_FEATURES) -> Defaulted:
    """The pod as the API server of release ``f`` stores it when no admission plugin changes
    it, and what defaulting changed: ``pod_level_defaults(decode_defaults(spec, f), f)``, the
    two steps of ``pkg/apis/core/v1/defaults.go`` (``SetDefaults_Pod`` and, for the pod level,
    ``defaultPodRequests`` / ``defaultHugePagePodLimits``) that each docstring details."""
    return pod_level_defaults(decode_defaults(spec, f), f)


def decode_defaults(spec: PodSpec, f: Features = DEFAULT_FEATURES) -> Defaulted:
    """What decoding sets (steps 1 and 2): requests from limits, the pod-level defaults of
    releases before PodLevelResourcesFixDefaulting, and the rounding to milli."""
    if spec.resources is None and _stored_as_is(spec):  # the usual pod: nothing to fill or round
        return Defaulted(spec, ())
    from_limits: list[tuple[str, str]] = []
    containers: list[Container] = []
    init_containers: list[Container] = []
    for target, source in ((containers, spec.containers), (init_containers, spec.init_containers)):
        for c in source:
            defaulted, names = _request_from_limit(c)
            target.append(defaulted)
            from_limits.extend((c.name, n) for n in names)
    spec = dataclasses.replace(spec, containers=tuple(containers), init_containers=tuple(init_containers))

    pod_req_filled: list[str] = []
    pod_lim_filled: list[str] = []
    if spec.resources is not None and not f.pod_level_resources_fix_defaulting:
        steps = life(spec)  # the containers' aggregates, which both pod-level defaults start from
        resources, pod_lim_filled = _default_hugepage_pod_limits(steps, spec.resources)
        resources, pod_req_filled = _default_pod_requests(steps, resources)
        spec = dataclasses.replace(spec, resources=resources)

    rounded = dataclasses.replace(
        spec,
        containers=tuple(map(_round_container, spec.containers)),
        init_containers=tuple(map(_round_container, spec.init_containers)),
        overhead=_round(spec.overhead),
        resources=None
        if spec.resources is None
        else PodResources(requests=_round(spec.resources.requests), limits=_round(spec.resources.limits)),
    )
    return Defaulted(rounded, tuple(from_limits), tuple(pod_req_filled), tuple(pod_lim_filled))


def pod_level_defaults(d: Defaulted, f: Features = DEFAULT_FEATURES) -> Defaulted:
    """``DefaultPodLevelResources`` (``pkg/api/pod/util.go``, 1.37), which ``PrepareForCreate``
    runs after admission, on a decoded (and admitted) pod; nothing before 1.37.

    Only where ``spec.resources`` sets something, in this order: hugepage limits from the
    containers' (``_default_hugepage_pod_limits``), requests from the containers' aggregate
    or the pod limit (``_default_pod_requests``, now whether or not pod-level limits are
    set), then limits from the containers' (``_default_pod_limits``).
    """
    spec = d.spec
    res = spec.resources
    if res is None or not f.pod_level_resources_fix_defaulting or not (res.requests or res.limits):
        return d
    steps = life(spec)
    res, lim_filled = _default_hugepage_pod_limits(steps, res)
    res, req_filled = _default_pod_requests(steps, res, only_with_limits=False)
    res, more_lim_filled = _default_pod_limits(spec, steps, res)
    return d._replace(
        spec=dataclasses.replace(spec, resources=res),
        pod_requests_defaulted=tuple(req_filled),
        pod_limits_defaulted=(*lim_filled, *more_lim_filled),
    )


def _default_hugepage_pod_limits(steps: Life, res: PodResources) -> tuple[PodResources, list[str]]:
    """defaultHugePagePodLimits: pod hugepage limits from the containers' aggregate limits."""
    if not res.limits and not res.requests:
        return res, []
    container_limits = steps.limits.totals
    filled = [
        name
        for name in container_limits
        if is_pod_level_resource(name) and is_hugepages(name) and name not in res.requests and name not in res.limits
    ]
    limits = dict(res.limits) | {name: container_limits[name] for name in filled}
    return PodResources(requests=res.requests, limits=limits), filled


def _default_pod_requests(
    steps: Life, res: PodResources, only_with_limits: bool = True
) -> tuple[PodResources, list[str]]:
    """defaultPodRequests: only where pod-level limits are set (up to 1.36; from 1.37,
    ``DefaultPodLevelRequests`` wherever ``spec.resources`` sets something).

    A supported, overcommittable resource that containers request defaults to their
    aggregate request; any other pod-level limit without a request defaults to the limit.
    """
    if only_with_limits and not res.limits:
        return res, []
    requests = dict(res.requests)
    filled: list[str] = []
    container_requests = steps.requests.totals
    for name, q in container_requests.items():
        if name not in requests and is_pod_level_resource(name) and overcommit_allowed(name):
            requests[name] = q
            filled.append(name)
    for name, q in res.limits.items():
        if name not in requests and is_pod_level_resource(name):
            requests[name] = q
            filled.append(name)
    return PodResources(requests=requests, limits=res.limits), filled


def _default_pod_limits(spec: PodSpec, steps: Life, res: PodResources) -> tuple[PodResources, list[str]]:
    """DefaultPodLevelLimits (1.37, ``PodLevelResourcesFixDefaulting``; kubernetes#136120).

    For each supported pod-level resource (cpu, memory, hugepages) without a pod-level limit
    that every container (app, init and sidecar) limits::

        pod limit = max(pod-level request, AggregateContainerLimits)

    the aggregate being KEP-753's max(init peak, app + sidecars); the pod-level requests are
    already defaulted, so the limit is never below them (a tie keeps the aggregate). One
    container without a limit for a resource leaves that resource's pod limit unset.
    KEP-2837's resource matrix, rows 10 and 12: "PR set, PL unset, CL set: PL = f(CL)".
    """
    everyone = spec.all_containers
    limits = dict(res.limits)
    filled: list[str] = []
    for name, aggregate in steps.limits.totals.items():
        if name in limits or not is_pod_level_resource(name):
            continue
        if not all(name in c.limits for c in everyone):
            continue
        request = res.requests.get(name)
        limits[name] = request if request is not None and request.nanos > aggregate.nanos else aggregate
        filled.append(name)
    if not filled:
        return res, []
    return PodResources(requests=res.requests, limits=limits), filled
