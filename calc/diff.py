"""The arithmetic of a change: two plans compared, workload by workload, exactly.

Workloads are matched by (kind, namespace, name), as the API server keys objects: one
present before and after has ``changed`` (or is ``unchanged``), one only after is ``added``,
one only before ``removed``. Every delta is ``after - before`` in exact quantities; a
resource that does not change is left out. Namespace and overall deltas add the workloads'
totals up; quotas and node shapes are compared by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from calc.errors import CalcError, Location
from calc.quantity import Format, Quantity, canonical
from calc.resources import dimension_of
from calc.units import Dimension

# a sum of changes prints as its resource is usually written: bytes in binary (1Gi), the rest decimal
_FORMATS = {Dimension.BYTES: Format.BINARY_SI, Dimension.CORES: Format.DECIMAL_SI, Dimension.COUNT: Format.DECIMAL_SI}

Key = tuple[str, str, str]  # kind, namespace, name


@dataclass(frozen=True, slots=True)
class Figures:
    """One workload's figures in one plan."""

    pods: int
    pods_admitted: int
    requests: Mapping[str, Quantity]  # the workload's total
    limits: Mapping[str, Quantity]
    unbounded: tuple[str, ...]
    qos_class: str | None

    def same(self, other: Figures) -> bool:
        """The same figures, quantities as Kubernetes prints them."""

        def shown(f: Figures) -> tuple[object, ...]:
            texts = [{n: canonical(q) for n, q in m.items()} for m in (f.requests, f.limits)]
            return (f.pods, f.pods_admitted, *texts, f.unbounded, f.qos_class)

        return shown(self) == shown(other)


ZERO = Figures(0, 0, {}, {}, (), None)


@dataclass(frozen=True, slots=True)
class PlannedWorkload:
    key: Key
    location: Location
    figures: Figures


@dataclass(frozen=True, slots=True)
class QuotaState:
    namespace: str | None
    name: str
    fits: bool
    exceeded: Sequence[str]
    remaining: Mapping[str, Quantity]


@dataclass(frozen=True, slots=True)
class PlanFigures:
    """What a comparison reads of a plan."""

    workloads: Sequence[PlannedWorkload]
    quotas: Sequence[QuotaState]
    shapes: Sequence[tuple[str, int]]  # (name, nodes needed)
    nodes_fit: bool | None  # None: no Nodes given


class DuplicateWorkloadError(ValueError, CalcError):
    """Two workloads of one side with the same kind, namespace and name: the API server keeps one."""

    def __init__(self, side: str, key: Key, location: Location) -> None:
        self.side, self.key, self.location = side, key, location
        self.reason = f"{key[0]} {key[2]} in namespace {key[1]} appears twice: the API server keeps one per name"
        super().__init__(f"{side} document {location.document}: {self.reason}")


@dataclass(frozen=True, slots=True)
class Delta:
    pods: int
    requests: dict[str, Quantity]
    limits: dict[str, Quantity]


@dataclass(frozen=True, slots=True)
class WorkloadChange:
    key: Key
    change: str  # added, removed, changed, unchanged
    before: Figures | None
    after: Figures | None
    delta: Delta
    pods_admitted: int  # change in pods admitted
    qos_change: str | None  # "Burstable -> Guaranteed"


@dataclass(frozen=True, slots=True)
class QuotaChange:
    after: QuotaState
    before: QuotaState | None


@dataclass(frozen=True, slots=True)
class Diff:
    workloads: list[WorkloadChange]
    namespaces: list[tuple[str, Delta]]
    total: Delta
    quotas: list[QuotaChange]
    shapes: list[tuple[str, int | None, int]]  # name, nodes before (None: absent), nodes after
    nodes: tuple[bool | None, bool | None]  # whether everything fits the Nodes given, before and after


def _keyed(workloads: Sequence[PlannedWorkload], side: str) -> dict[Key, PlannedWorkload]:
    out: dict[Key, PlannedWorkload] = {}
    for w in workloads:
        if w.key in out:
            raise DuplicateWorkloadError(side, w.key, w.location)
        out[w.key] = w
    return out


def delta(before: Mapping[str, Quantity], after: Mapping[str, Quantity]) -> dict[str, Quantity]:
    """after - before per resource, exactly, in the format of after (else before); unchanged ones left out."""
    out: dict[str, Quantity] = {}
    for name in sorted(set(before) | set(after)):
        b, a = before.get(name), after.get(name)
        change = (a.nanos if a else 0) - (b.nanos if b else 0)
        if change:
            shown = a if a is not None else b
            assert shown is not None
            out[name] = Quantity(change, shown.format)
    return out


def _add(total: dict[str, int], figures: Mapping[str, Quantity], sign: int) -> None:
    for name, q in figures.items():
        total[name] = total.get(name, 0) + sign * q.nanos


def _sums(nanos: Mapping[str, int]) -> dict[str, Quantity]:
    """Exact sums of changes, each in its resource's usual format; zero changes left out."""
    return {name: Quantity(nanos[name], _FORMATS[dimension_of(name)]) for name in sorted(nanos) if nanos[name]}


def compare(old: PlanFigures, new: PlanFigures) -> Diff:
    """``new`` against ``old``: each workload's change, per namespace and in total, QoS
    changes, and what became of the quotas, node shapes and Nodes."""
    before, after = _keyed(old.workloads, "before"), _keyed(new.workloads, "after")
    workloads = []
    by_namespace: dict[str, tuple[list[int], dict[str, int], dict[str, int]]] = {}
    for key in list(before) + [k for k in after if k not in before]:
        b = before[key].figures if key in before else None
        a = after[key].figures if key in after else None
        change = "added" if b is None else "removed" if a is None else "changed"
        bb, aa = b or ZERO, a or ZERO
        d = Delta(aa.pods - bb.pods, delta(bb.requests, aa.requests), delta(bb.limits, aa.limits))
        qos = None if b is None or a is None or b.qos_class == a.qos_class else f"{b.qos_class} -> {a.qos_class}"
        if change == "changed" and not d.pods and not d.requests and not d.limits and not qos and bb.same(aa):
            change = "unchanged"
        workloads.append(WorkloadChange(key, change, b, a, d, aa.pods_admitted - bb.pods_admitted, qos))
        pods, requests, limits = by_namespace.setdefault(key[1], ([0], {}, {}))
        pods[0] += d.pods
        for sums, which in ((requests, "requests"), (limits, "limits")):
            _add(sums, getattr(aa, which), 1)
            _add(sums, getattr(bb, which), -1)
    namespaces = [(ns, Delta(p[0], _sums(r), _sums(lim))) for ns, (p, r, lim) in by_namespace.items()]
    all_requests: dict[str, int] = {}
    all_limits: dict[str, int] = {}
    for _, requests, limits in by_namespace.values():
        for sums, part in ((all_requests, requests), (all_limits, limits)):
            for name, nanos in part.items():
                sums[name] = sums.get(name, 0) + nanos
    total = Delta(sum(p[0] for p, _, _ in by_namespace.values()), _sums(all_requests), _sums(all_limits))
    quotas_before = {(q.namespace, q.name): q for q in old.quotas}
    shapes_before = dict(old.shapes)
    return Diff(
        workloads,
        namespaces,
        total,
        [QuotaChange(q, quotas_before.get((q.namespace, q.name))) for q in new.quotas],
        [(name, shapes_before.get(name), nodes) for name, nodes in new.shapes],
        (old.nodes_fit, new.nodes_fit),
    )


def increases_beyond(diff: Diff, thresholds: Mapping[str, Quantity]) -> list[str]:
    """``--fail-if-increase cpu=2``: the total requests that grow by more than their threshold."""
    failures = []
    for name, allowed in thresholds.items():
        grown = diff.total.requests.get(name)
        if grown is not None and grown.nanos > allowed.nanos:
            failures.append(f"total {name} requests grow by {canonical(grown)}, more than {canonical(allowed)}")
    return failures
