"""API-server defaulting of a pod's resources (``pkg/apis/core/v1/defaults.go``).

In the order the generated defaulter runs them:

1. ``SetDefaults_Pod``: every container (app, init, sidecar) with a limit and no request
   for a resource gets request = limit; then, with pod-level resources (KEP-2837),
   ``defaultHugePagePodLimits`` and ``defaultPodRequests`` fill the pod-level figures.
2. ``SetDefaults_ResourceList``: every request, limit, overhead and pod-level value is
   rounded up to milli precision (``1n`` becomes ``1m``).

What was defaulted is recorded, so that a result can say where each figure came from.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

from calc.effective import Life, is_pod_level_resource, life
from calc.pod import Container, PodResources, PodSpec, ResourceList
from calc.quantity import round_up_milli
from calc.resources import is_hugepages, overcommit_allowed


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


def apply_defaults(spec: PodSpec) -> Defaulted:
    """The pod as the API server stores it, and what defaulting changed."""
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
    if spec.resources is not None:
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


def _default_pod_requests(steps: Life, res: PodResources) -> tuple[PodResources, list[str]]:
    """defaultPodRequests: only where pod-level limits are set.

    A supported, overcommittable resource that containers request defaults to their
    aggregate request; any other pod-level limit without a request defaults to the limit.
    """
    if not res.limits:
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
