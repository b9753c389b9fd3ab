"""Admission: what the API server's admission plugins do to a plan's pods, in their order.

- RuntimeClass (``plugin/pkg/admission/runtimeclass``): a pod that names a RuntimeClass with
  ``overhead.podFixed`` gets that overhead as ``spec.overhead``; a pod whose own overhead
  differs from its RuntimeClass's is rejected.
- LimitRanger (``plugin/pkg/admission/limitranger``): defaults, then the rules; a pod that
  breaks them is refused (``limit_range_rejection``), and one that only the defaults make
  invalid is refused by validation (``conflict_rejection``).
- ResourceQuota (``k8s.io/apiserver/pkg/admission/plugin/resourcequota``): the pods of each
  namespace against its quotas, in stream order (``admit_to_quotas``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from calc import quota
from calc.errors import Location, Path, Violation
from calc.evaluate import LimitRangeConflictError, PodEvaluation
from calc.limitrange import LimitViolation, forbidden_message
from calc.pod import PodSpec, ResourceList
from calc.quantity import Quantity
from calc.quota import ResourceQuota
from calc.workloads import scale, sum_resources


def apply_runtime_class(spec: PodSpec, classes: Mapping[str, ResourceList | None]) -> PodSpec | list[Violation]:
    """``spec`` with its RuntimeClass's overhead, or why admission rejects it.

    ``classes`` maps RuntimeClass names to their ``overhead.podFixed`` (None: no overhead).
    A RuntimeClass that is not in ``classes`` leaves the pod as written.
    """
    name = spec.runtime_class_name
    if name is None or name not in classes:
        return spec
    fixed = classes[name]
    if fixed is None:
        if spec.overhead:
            return [
                Violation(
                    ("overhead",), "pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"
                )
            ]
        return spec
    if not spec.overhead:
        return dataclasses.replace(spec, overhead=dict(fixed))
    if dict(spec.overhead) != dict(fixed):
        return [Violation(("overhead",), "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead")]
    return spec


# --- admission of a plan's pods: LimitRanger's refusals, then ResourceQuota, in stream order ---


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why admission refuses a workload's pods (all of them, or ``pods`` of them)."""

    by: str  # the admission step: "LimitRanger", "ResourceQuota" or "validation"
    objects: tuple[str, ...]  # the objects that refuse: ("ResourceQuota/compute",)
    message: str  # the API server's words
    violations: tuple[LimitViolation, ...] = ()
    pods: int | None = None  # the pods refused, where admission stopped part-way through


def limit_range_rejection(violations: Sequence[LimitViolation]) -> Rejection:
    """The LimitRanger plugin's refusal of a pod that breaks its namespace's LimitRange rules
    (``plugin/pkg/admission/limitranger``: ``PodValidateLimitFunc``, 403 Forbidden)."""
    ranges = sorted({v.limit_range for v in violations})
    return Rejection(
        "LimitRanger", tuple(f"LimitRange/{n}" for n in ranges), forbidden_message(violations), tuple(violations)
    )


def conflict_rejection(pod_name: str | None, err: LimitRangeConflictError) -> Rejection:
    """A pod that LimitRange defaults make invalid, refused by validation after admission
    (``ValidatePod``'s ``Pod "p" is invalid: spec.containers[0].resources.requests[cpu]: ...``)."""
    reasons = [f'{go_path(("spec", *v.path))}: Invalid value: "{v.value}": {v.message}' for v in err.violations]
    ranges = sorted({f.limit_range for f in err.filled})
    return Rejection(
        "validation",
        tuple(f"LimitRange/{n}" for n in ranges),
        f'Pod "{pod_name or ""}" is invalid: ' + ", ".join(reasons),
    )


def go_path(path: Path) -> str:
    """A field path as the API server prints it: ``spec.containers[0].resources.requests[cpu]``."""
    out = ""
    previous: str | int | None = None
    for part in path:
        if isinstance(part, int) or previous in ("requests", "limits"):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
        previous = part
    return out


@dataclass(frozen=True, slots=True)
class Applicant:
    """A workload whose pods ask for admission: ``pods`` of them, each as ``evaluation``."""

    index: int  # the caller's key for it, echoed in the quotas' refusals
    kind: str
    name: str | None
    namespace: str
    pods: int
    evaluation: PodEvaluation


@dataclass(frozen=True, slots=True)
class LocatedQuota:
    """A ResourceQuota and where it was found."""

    quota: ResourceQuota
    location: Location


@dataclass(frozen=True, slots=True)
class QuotaRefusal:
    """A quota's record of the pods it refused."""

    index: int  # Applicant.index
    kind: str
    name: str | None
    pods: int
    message: str


@dataclass(frozen=True, slots=True)
class Admitted:
    """What quota admission did with one applicant's pods."""

    pods: int  # admitted
    rejection: Rejection | None  # why the others were refused
    more_pods: int | None  # how many more such pods the quotas that count them would still take
    limited_by: tuple[str, str] | None  # (quota, resource) that bounds more_pods


@dataclass(frozen=True, slots=True)
class QuotaOutcome:
    """A quota after the plan: what the stream asks of it, and whether it fits."""

    quota: ResourceQuota
    location: Location
    requested: dict[str, Quantity]  # everything the stream asks for, admitted or not
    total: dict[str, Quantity]  # status.used + requested
    remaining: dict[str, Quantity]  # hard - total, per hard resource (negative when over)
    shares: dict[str, Fraction | None]  # total / hard; None: any use of a hard limit of 0
    exceeded: list[str]  # hard resources that total goes over
    binding: str | None  # the resource that binds first
    refusals: tuple[QuotaRefusal, ...]

    @property
    def fits(self) -> bool:
        return not self.exceeded and not self.refusals


class _Tally:
    """One quota while its namespace's pods are admitted, one workload after another."""

    def __init__(self, located: LocatedQuota, objects_usage: ResourceList) -> None:
        self.quota, self.location = located.quota, located.location
        objects_covered = quota.covered(self.quota, objects_usage)
        self.used = sum_resources([self.quota.used, objects_covered])  # status.used, objects, admitted pods
        self.requested: dict[str, Quantity] = dict(objects_covered)
        self.refusals: list[QuotaRefusal] = []

    def remaining(self) -> dict[str, Quantity]:
        return {
            n: Quantity(h.nanos - self.used[n].nanos if n in self.used else h.nanos, h.format)
            for n, h in self.quota.hard.items()
        }

    def outcome(self) -> QuotaOutcome:
        q = self.quota
        total = sum_resources([q.used, self.requested])
        shares = {n: share(total[n].nanos if n in total else 0, h.nanos) for n, h in q.hard.items()}
        return QuotaOutcome(
            quota=q,
            location=self.location,
            requested=self.requested,
            total={n: total[n] for n in q.hard if n in total},
            remaining={
                n: Quantity(h.nanos - (total[n].nanos if n in total else 0), h.format) for n, h in q.hard.items()
            },
            shares=shares,
            exceeded=quota.exceeded(q, total),
            binding=binding(shares),
            refusals=tuple(self.refusals),
        )


def share(used: int, hard: int) -> Fraction | None:
    """used / hard; None for any use of a hard limit of 0 (no finite share)."""
    if hard:
        return Fraction(used, hard)
    return None if used > 0 else Fraction(0)


def binding(shares: Mapping[str, Fraction | None]) -> str | None:
    """The hard resource that binds first: one used beyond a limit of 0, else the largest share."""
    over_zero = sorted(n for n, s in shares.items() if s is None)
    if over_zero:
        return over_zero[0]
    used = [(s, n) for n, s in sorted(shares.items()) if s]
    return max(used, key=lambda t: t[0])[1] if used else None


def admit_to_quotas(
    applicants: Sequence[Applicant],
    quotas: Mapping[str, Sequence[LocatedQuota]],
    objects_usage: Mapping[str, ResourceList],
) -> tuple[dict[int, Admitted], list[QuotaOutcome]]:
    """Each namespace's pods against its quotas, as the ResourceQuota admission plugin admits them.

    ``quotas`` and ``objects_usage`` (what the stream's other objects count) are by namespace.
    Workloads are admitted in stream order, their pods one at a time: a quota applies to a
    pod when its scopes match (``quota.matches``); the first quota whose ``Constraints`` the
    pod misses refuses all its pods (``failed quota: NAME: must specify ...``); otherwise the
    pods are admitted while every quota that counts them has room, and the rest are refused
    with the quota's message (``exceeded quota: ...``). Then each workload learns how many
    more of its pods the quotas would still take (the tightest quota and resource).

    Source: ``k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go``
    (``checkRequest``) and ``pkg/quota/v1/evaluator/core/pods.go``.
    """
    admitted = {a.index: Admitted(a.pods, None, None, None) for a in applicants}
    usages: dict[int, dict[str, Quantity]] = {}
    counting: dict[int, list[_Tally]] = {}
    outcomes: list[QuotaOutcome] = []
    for namespace, located in quotas.items():
        tallies = [_Tally(lq, objects_usage.get(namespace, {})) for lq in located]
        for a in applicants:
            if a.namespace != namespace:
                continue
            ev = a.evaluation
            facts = quota.pod_facts(ev.spec, ev.qos_class)
            matching = [t for t in tallies if quota.matches(t.quota, facts)]
            usage = usages[a.index] = quota.pod_usage(ev.requests, ev.limits)
            for t in matching:  # what the stream asks of each quota, admitted or not
                t.requested = sum_resources([t.requested, scale(quota.covered(t.quota, usage), a.pods)])
            refused = _constraints(a, matching)
            if refused is not None:
                admitted[a.index] = refused
                continue
            admitted[a.index] = _admit(a, usage, matching)
            counting[a.index] = matching
        outcomes += [t.outcome() for t in tallies]
    for a in applicants:
        best: tuple[int, str, str] | None = None
        for t in counting.get(a.index, []):
            more, resource = quota.fits_more(t.remaining(), quota.covered(t.quota, usages[a.index]))
            if more is not None and (best is None or more < best[0]):
                best = (more, t.quota.name, resource or "")
        if best is not None:
            result = admitted[a.index]
            admitted[a.index] = Admitted(result.pods, result.rejection, best[0], (best[1], best[2]))
    return admitted, outcomes


def _constraints(a: Applicant, tallies: Sequence[_Tally]) -> Admitted | None:
    """All the pods refused by the first quota whose ``Constraints`` they miss; None: none missed."""
    spec = a.evaluation.spec
    containers = spec.containers + spec.init_containers
    for t in tallies:
        reason = quota.missing_constraints(t.quota, containers)
        if reason:  # admission stops at the first quota that fails
            message = f"failed quota: {t.quota.name}: {reason}"
            t.refusals.append(QuotaRefusal(a.index, a.kind, a.name, a.pods, message))
            return Admitted(0, Rejection("ResourceQuota", (f"ResourceQuota/{t.quota.name}",), message), None, None)
    return None


def _admit(a: Applicant, usage: ResourceList, tallies: Sequence[_Tally]) -> Admitted:
    """One workload's pods through the quotas that match them, while every one has room."""
    pods, refusing = a.pods, None
    for t in tallies:
        n, _ = quota.fits_more(t.remaining(), quota.covered(t.quota, usage))
        if n is not None and n < pods:
            pods, refusing = n, t
    for t in tallies:
        t.used = sum_resources([t.used, scale(quota.covered(t.quota, usage), pods)])
    if refusing is None:
        return Admitted(pods, None, None, None)
    one = quota.covered(refusing.quota, usage)
    after = sum_resources([refusing.used, one])
    names = [n for n in quota.exceeded(refusing.quota, after) if n in one]  # quota.Mask of the request
    message = quota.exceeded_message(refusing.quota, one, refusing.used, names)
    refused = a.pods - pods
    refusing.refusals.append(QuotaRefusal(a.index, a.kind, a.name, refused, message))
    rejection = Rejection("ResourceQuota", (f"ResourceQuota/{refusing.quota.name}",), message, pods=refused)
    return Admitted(pods, rejection, None, None)
