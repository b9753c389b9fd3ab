"""Why a pod reserves what it does, and what to change: provenance and advice.

Provenance follows each effective figure back through the calculation (``calc.effective``):
the phase that set it, the containers running in that phase and where each container's
value came from (written, copied from its limit by API defaulting, or filled by a
LimitRange default), then a pod-level override or the overhead added.

Advice is computed, not guessed: every suggestion carries the pod's figures after the
change, evaluated by the same core, so the user can judge it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from calc.effective import POD_RESOURCES, RUNNING, Phase, is_pod_level_resource
from calc.errors import PodInvalidError
from calc.evaluate import PodEvaluation, evaluate_pod
from calc.limitrange import LimitRange
from calc.pod import Container, ContainerType, PodSpec
from calc.qos import QOS_RESOURCES, QOSClass
from calc.quantity import Quantity
from calc.resources import UNBOUNDED_WITHOUT_LIMIT

OVERHEAD = "overhead"


@dataclass(frozen=True, slots=True)
class Term:
    """One container's part of a figure, and where its value came from."""

    container: str
    value: Quantity
    source: str  # "request", "limit", "limit (request defaulted from it)", "LimitRange/<name> default..."


@dataclass(frozen=True, slots=True)
class Provenance:
    """How one resource's effective request or limit was reached."""

    resource: str
    value: Quantity
    set_by: str  # a phase id, "podResources" or "overhead"
    terms: tuple[Term, ...]  # the containers of the deciding phase (empty for a pod-level figure)
    pod_level: Quantity | None  # spec.resources replaced the containers' figure
    overhead: Quantity | None  # spec.overhead added


def provenance(ev: PodEvaluation) -> tuple[dict[str, Provenance], dict[str, Provenance]]:
    """(requests, limits): the provenance of every effective figure of ``ev``."""
    return _chain(ev, "requests"), _chain(ev, "limits")


def _chain(ev: PodEvaluation, which: str) -> dict[str, Provenance]:
    spec = ev.spec
    totals = ev.requests if which == "requests" else ev.limits
    set_by = ev.requests_set_by if which == "requests" else ev.limits_set_by
    phases = {p.id: p for p in ev.phases}
    containers = {c.name: c for c in spec.all_containers}
    from_limits = set(ev.defaulted.requests_from_limits)
    filled = {(f.container, f.which, f.resource): f.limit_range for f in ev.limit_range_filled}
    pod_level = (spec.resources.requests if which == "requests" else spec.resources.limits) if spec.resources else {}
    out: dict[str, Provenance] = {}
    for name, value in totals.items():
        decided = set_by.get(name, RUNNING)
        terms: list[Term] = []
        phase: Phase | None = phases.get(decided)
        if phase is not None:
            for member in phase.running:
                c = containers[member]
                own = (c.requests if which == "requests" else c.limits).get(name)
                if own is not None:
                    terms.append(Term(member, own, _source(member, which, name, from_limits, filled)))
        overhead = spec.overhead.get(name)
        if which == "limits" and value.is_zero():
            overhead = None  # PodLimits adds the overhead only to a non-zero limit
        level = pod_level.get(name) if decided == POD_RESOURCES and is_pod_level_resource(name) else None
        out[name] = Provenance(name, value, decided, tuple(terms), level, overhead)
    return out


def _source(
    container: str,
    which: str,
    resource: str,
    from_limits: set[tuple[str, str]],
    filled: dict[tuple[str, str, str], str],
) -> str:
    if (container, which, resource) in filled:
        field = "defaultRequest" if which == "requests" else "default"
        return f"LimitRange/{filled[(container, which, resource)]} {field}"
    if which == "requests" and (container, resource) in from_limits:
        return "limit (request defaulted from it)"
    return "request" if which == "requests" else "limit"


# --- advice ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Advice:
    """One suggestion: what, why, and the pod's figures after it (None: it cannot be done as is)."""

    kind: str  # guaranteed | init-order | unbounded | limit-ratio | init-only
    message: str
    after: PodEvaluation | None = None


def advise(ev: PodEvaluation, limit_ranges: Sequence[LimitRange] = ()) -> list[Advice]:
    """Every suggestion for ``ev`` (evaluated with ``limit_ranges``, those of its namespace)."""
    out: list[Advice] = []
    out += _guaranteed(ev, limit_ranges)
    out += _init_order(ev, limit_ranges)
    out += _init_only(ev)
    out += _unbounded(ev)
    out += _ratios(ev, limit_ranges)
    return out


def _evaluate(spec: PodSpec, limit_ranges: Sequence[LimitRange]) -> PodEvaluation | None:
    try:
        return evaluate_pod(spec, limit_ranges=limit_ranges)
    except PodInvalidError:
        return None


def _guaranteed(ev: PodEvaluation, limit_ranges: Sequence[LimitRange]) -> list[Advice]:
    """The smallest change to Guaranteed: each cpu/memory limit set to the request (the
    scheduler's figures stay as they are); impossible where a container sets neither."""
    if ev.qos_class is QOSClass.GUARANTEED:
        return []
    spec = ev.spec
    if spec.resources is not None and any(
        is_pod_level_resource(n) for n in [*spec.resources.requests, *spec.resources.limits]
    ):
        res = spec.resources
        missing = [n for n in QOS_RESOURCES if n not in res.requests and n not in res.limits]
        if missing:
            return [
                Advice("guaranteed", f"pod-level resources decide the QoS class: set pod-level {' and '.join(missing)}")
            ]
        limits = dict(res.limits) | {n: res.requests[n] for n in QOS_RESOURCES if n in res.requests}
        after = _evaluate(dataclasses.replace(spec, resources=dataclasses.replace(res, limits=limits)), limit_ranges)
        return [Advice("guaranteed", "set the pod-level cpu and memory limits equal to the pod-level requests", after)]
    lacking = [
        f"{c.name} ({n})"
        for c in spec.all_containers
        for n in QOS_RESOURCES
        if n not in c.requests and n not in c.limits
    ]
    if lacking:
        return [
            Advice(
                "guaranteed",
                "cannot be Guaranteed without choosing values: every container needs a cpu and a memory limit, "
                f"and these set neither request nor limit: {', '.join(lacking)}",
            )
        ]
    changes: list[str] = []

    def fix(c: Container) -> Container:
        limits = dict(c.limits)
        for n in QOS_RESOURCES:
            if c.requests[n] != c.limits.get(n):
                changes.append(f"{c.name} {n} limit {c.limits.get(n, 'unset')} -> {c.requests[n]}")
                limits[n] = c.requests[n]
        return dataclasses.replace(c, limits=limits)

    fixed = dataclasses.replace(
        spec, containers=tuple(map(fix, spec.containers)), init_containers=tuple(map(fix, spec.init_containers))
    )
    after = _evaluate(fixed, limit_ranges)
    message = "set each cpu and memory limit to its request (the scheduler's figures stay the same): " + "; ".join(
        changes
    )
    return [Advice("guaranteed", message, after)]


def _init_order(ev: PodEvaluation, limit_ranges: Sequence[LimitRange]) -> list[Advice]:
    """A regular init container declared after sidecars runs with them: moved before the
    first sidecar, its step needs only itself."""
    spec = ev.spec
    inits = list(spec.init_containers)
    first_sidecar = next((i for i, c in enumerate(inits) if c.type is ContainerType.SIDECAR), None)
    if first_sidecar is None:
        return []
    out = []
    for i, c in enumerate(inits):
        if i <= first_sidecar or c.type is not ContainerType.INIT:
            continue
        decides = sorted(n for n, by in ev.requests_set_by.items() if by == f"init:{c.name}")
        if not decides:
            continue
        moved = inits[:first_sidecar] + [c] + [x for j, x in enumerate(inits[first_sidecar:], first_sidecar) if j != i]
        renumbered = tuple(dataclasses.replace(x, index=k) for k, x in enumerate(moved))
        after = _evaluate(dataclasses.replace(spec, init_containers=renumbered), limit_ranges)
        if after is None or all(after.requests.get(n) == ev.requests.get(n) for n in decides):
            continue
        figures = ", ".join(f"{n} {ev.requests[n]} -> {after.requests[n]}" for n in decides)
        out.append(
            Advice(
                "init-order",
                f"init container {c.name} runs while the sidecars declared before it are up and sets the peak; "
                f"declared before them: {figures}",
                after,
            )
        )
    return out


def _init_only(ev: PodEvaluation) -> list[Advice]:
    """Resources the init phase needs more of than the running pod: reserved for the pod's life."""
    running = next(p for p in ev.phases if p.id == RUNNING).requests
    out = []
    for name, by in sorted(ev.requests_set_by.items()):
        if by in (RUNNING, POD_RESOURCES, OVERHEAD):
            continue
        need = running.get(name)
        extra = (
            ev.requests[name].nanos
            - (need.nanos if need else 0)
            - (ev.spec.overhead[name].nanos if name in ev.spec.overhead else 0)
        )
        if extra > 0:
            out.append(
                Advice(
                    "init-only",
                    f"{name}: the pod reserves {ev.requests[name]} for its whole life because {by} needs it; "
                    f"the running containers request {need if need is not None else 0}",
                )
            )
    return out


def _unbounded(ev: PodEvaluation) -> list[Advice]:
    out = []
    for name in ev.unbounded_limits:
        if name not in UNBOUNDED_WITHOUT_LIMIT:
            continue
        who = [c.name for c in ev.spec.all_containers if name not in c.limits or c.limits[name].is_zero()]
        out.append(Advice("unbounded", f"{name} is unbounded: no limit on {', '.join(who)}"))
    return out


def _ratios(ev: PodEvaluation, limit_ranges: Sequence[LimitRange]) -> list[Advice]:
    """Limit/request ratios above the namespace's LimitRange maxLimitRequestRatio, with the limit that fits."""
    out = []
    for lr in limit_ranges:
        for item in lr.items:
            if item.type != "Container":
                continue
            for name, ratio in item.max_limit_request_ratio.items():
                for c in ev.spec.all_containers:
                    req, lim = c.requests.get(name), c.limits.get(name)
                    if req is None or lim is None or req.is_zero():
                        continue
                    if lim.nanos * 10**9 > ratio.nanos * req.nanos:
                        allowed = Quantity(req.nanos * ratio.nanos // 10**9, lim.format)
                        out.append(
                            Advice(
                                "limit-ratio",
                                f"{c.name} {name}: limit {lim} is over {ratio} x its request {req} "
                                f"(LimitRange/{lr.name}); a limit of at most {allowed} fits",
                            )
                        )
    return out
