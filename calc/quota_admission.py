"""ResourceQuota admission (``k8s.io/apiserver/pkg/admission/plugin/resourcequota``): the objects
and pods of each namespace against its quotas, in stream order (``admit_to_quotas``).

A workload is created first (with what its controller creates at once), then its pods one
by one, each after its claims; the first object a quota refuses stops the workload there,
and the pods admitted before it stay. What each quota has left, and which resource binds
first, is reported with the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

from calc import quota
from calc.admission import Rejection, claim_name
from calc.effective import pod_level_resources_set
from calc.errors import Location
from calc.evaluate import PodEvaluation
from calc.pod import ResourceList
from calc.quantity import ZERO, Quantity
from calc.quota import ResourceQuota
from calc.quota_objects import Creation
from calc.versions import DEFAULT_FEATURES, Features
from calc.workloads import scale, sum_resources


@dataclass(frozen=True, slots=True)
class Applicant:
    """An object of the stream on its way through quota admission, with what it creates.

    A workload is created first (``chain``: the object itself, then what its controller
    creates at once: a Deployment's ReplicaSet, a CronJob's Job), then its ``pods`` one by
    one, each after its ``claims`` (a StatefulSet's PersistentVolumeClaims). An object that
    runs no pods (a Service, a ConfigMap) is a chain of one and no pods; so is a workload
    whose pods LimitRanger or validation refuse (``evaluation`` None or ``pods`` 0).
    """

    index: int | None  # the caller's key for it, echoed in the quotas' refusals (None: not a workload)
    kind: str
    name: str | None
    namespace: str
    pods: int
    evaluation: PodEvaluation | None
    chain: tuple[Creation, ...] = ()
    claims: tuple[Creation, ...] = ()  # per pod, a StatefulSet's only; each claim's name is its template's


@dataclass(frozen=True, slots=True)
class LocatedQuota:
    """A ResourceQuota and where it was found."""

    quota: ResourceQuota
    location: Location


@dataclass(frozen=True, slots=True)
class QuotaRefusal:
    """A quota's record of what it refused: ``pods`` of a workload, or an object (pods 0)."""

    index: int | None  # Applicant.index
    kind: str
    name: str | None
    pods: int
    message: str
    refused: str | None = None  # the object refused, where it is not a pod: "Deployment/web"


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
    """One quota while the stream's objects are admitted, one after another."""

    def __init__(self, located: LocatedQuota) -> None:
        self.quota, self.location = located.quota, located.location
        # status.used (zero for what it does not list, as the quota controller fills it in),
        # then what is admitted
        self.used: dict[str, Quantity] = {n: ZERO for n in self.quota.hard} | dict(self.quota.used)
        self.requested: dict[str, Quantity] = {}
        self.refusals: list[QuotaRefusal] = []

    def remaining(self) -> dict[str, Quantity]:
        return _left(self.quota.hard, self.used)

    def ask(self, usage: ResourceList, times: int = 1) -> None:
        self.requested = sum_resources([self.requested, scale(quota.covered(self.quota, usage), times)])

    def charge(self, usage: ResourceList, times: int = 1) -> None:
        self.used = sum_resources([self.used, scale(quota.covered(self.quota, usage), times)])

    def refusal(self, usage: ResourceList) -> str | None:
        """The quota's message if one more object of ``usage`` goes over it, else None."""
        one = quota.covered(self.quota, usage)
        after = sum_resources([self.used, one])
        names = [n for n in quota.exceeded(self.quota, after) if n in one]  # quota.Mask of the request
        return quota.exceeded_message(self.quota, one, self.used, names) if names else None

    def outcome(self) -> QuotaOutcome:
        q = self.quota
        total = sum_resources([q.used, self.requested])
        shares = {n: share(total[n].nanos if n in total else 0, h.nanos) for n, h in q.hard.items()}
        return QuotaOutcome(
            quota=q,
            location=self.location,
            requested=self.requested,
            total={n: total[n] for n in q.hard if n in total},
            remaining=_left(q.hard, total),
            shares=shares,
            exceeded=quota.exceeded(q, total),
            binding=binding(shares),
            refusals=tuple(self.refusals),
        )


def _left(hard: ResourceList, figures: ResourceList) -> dict[str, Quantity]:
    """Each hard limit less its figure (a figure missing is zero), in the limit's format."""
    return {n: Quantity(h.nanos - (figures[n].nanos if n in figures else 0), h.format) for n, h in hard.items()}


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
    features: Features = DEFAULT_FEATURES,
) -> tuple[dict[int, Admitted], list[QuotaOutcome]]:
    """Every object the stream creates, through the quotas of its namespace, as the
    ResourceQuota admission plugin admits them: in stream order, each object as its
    controller would create it (``Applicant``), and a refused object creates nothing below it.

    An object goes through every quota that matches it (``quota.counts_object``: an unscoped
    quota limiting something it counts), in the order the quotas are given; the first that
    it would take over a hard limit refuses it with the API server's message
    (``exceeded quota: NAME, requested: ..., used: ..., limited: ...``). A pod goes through
    the quotas whose scopes match it (``quota.matches``): the first whose ``Constraints`` it
    misses refuses all the workload's pods (``failed quota: NAME: must specify ...``); else
    its pods are admitted while every such quota has room. Then each workload learns how many
    more of its pods the quotas would still take (the tightest quota and resource).

    Source: ``k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go``
    (``checkRequest``), ``pkg/quota/v1/generic/evaluator.go`` (``Matches``,
    ``MatchesNoScopeFunc``) and ``pkg/quota/v1/evaluator/core/pods.go``.
    """
    tallies = {namespace: [_Tally(lq) for lq in located] for namespace, located in quotas.items()}
    admitted: dict[int, Admitted] = {}
    counted: list[tuple[Applicant, _Pods]] = []
    for a in applicants:
        result, pods = _admit_applicant(a, tallies.get(a.namespace, []), features)
        if a.index is not None:
            admitted[a.index] = result
            if pods is not None:
                counted.append((a, pods))
    for a, pods in counted:  # once every object is in: the headroom each workload has left
        assert a.index is not None
        admitted[a.index] = _with_headroom(admitted[a.index], pods)
    return admitted, [t.outcome() for located in tallies.values() for t in located]


class _Pods(NamedTuple):
    """A workload's pod as the quotas count it: its usage, the quotas that count the pod, and
    those that count each of its claims."""

    usage: ResourceList
    quotas: list[_Tally]
    claims: tuple[Creation, ...]
    claim_quotas: list[list[_Tally]]

    def involved(self) -> list[_Tally]:
        return list(dict.fromkeys([*self.quotas, *(t for counting in self.claim_quotas for t in counting)]))

    def unit(self, t: _Tally) -> dict[str, Quantity]:
        """What one pod and its claims count against ``t``."""
        parts = [c.usage for c, counting in zip(self.claims, self.claim_quotas, strict=True) if t in counting]
        if t in self.quotas:
            parts.append(self.usage)
        return quota.covered(t.quota, sum_resources(parts))


def _admit_applicant(a: Applicant, tallies: Sequence[_Tally], features: Features) -> tuple[Admitted, _Pods | None]:
    """One applicant: its chain, then its pods; the quotas that count its pods, where they were admitted."""
    owner = f"{a.kind}/{a.name or '(unnamed)'}"
    for creation in a.chain:
        refused = _create(creation, tallies)
        if refused is not None:
            t, message = refused
            label = creation.label(owner)
            t.refusals.append(QuotaRefusal(a.index, a.kind, a.name, a.pods, message, label))
            return Admitted(
                0, Rejection("ResourceQuota", (f"ResourceQuota/{t.quota.name}",), message, refused=label), None, None
            ), None
    if a.evaluation is None or not a.pods:
        return Admitted(a.pods, None, None, None), None
    ev = a.evaluation
    facts = quota.pod_facts(ev.spec, ev.qos_class)
    pods = _Pods(
        quota.pod_usage(ev.requests, ev.limits),
        [t for t in tallies if quota.matches(t.quota, facts)],
        a.claims,
        [[t for t in tallies if quota.counts_object(t.quota, c.usage)] for c in a.claims],
    )
    for t in pods.involved():  # what the stream asks of each quota, admitted or not
        t.ask(pods.unit(t), a.pods)
    unmet = _constraints(a, pods.quotas, features)
    if unmet is not None:
        return unmet, None
    return _admit_pods(a, pods), pods


def _create(creation: Creation, tallies: Sequence[_Tally]) -> tuple[_Tally, str] | None:
    """One object through the quotas that count it: charged, or the first quota that refuses it."""
    counting = [t for t in tallies if quota.counts_object(t.quota, creation.usage)]
    for t in counting:
        t.ask(creation.usage)
    for t in counting:
        message = t.refusal(creation.usage)
        if message is not None:
            return t, message
    for t in counting:
        t.charge(creation.usage)
    return None


def _constraints(a: Applicant, tallies: Sequence[_Tally], features: Features) -> Admitted | None:
    """All the pods refused by the first quota whose ``Constraints`` they miss; None: none missed.

    With ``PodLevelResources`` (1.34+), a pod that sets pod-level resources meets them all."""
    assert a.evaluation is not None
    spec = a.evaluation.spec
    if features.pod_level_resources and pod_level_resources_set(spec):
        return None
    containers = spec.containers + spec.init_containers
    for t in tallies:
        reason = quota.missing_constraints(t.quota, containers)
        if reason:  # admission stops at the first quota that fails
            message = f"failed quota: {t.quota.name}: {reason}"
            t.refusals.append(QuotaRefusal(a.index, a.kind, a.name, a.pods, message))
            return Admitted(0, Rejection("ResourceQuota", (f"ResourceQuota/{t.quota.name}",), message), None, None)
    return None


def _admit_pods(a: Applicant, pods: _Pods) -> Admitted:
    """A workload's pods, each after its claims, while every quota that counts them has room."""
    involved = pods.involved()
    admitted = a.pods
    for t in involved:
        n, _ = quota.fits_more(t.remaining(), pods.unit(t))
        if n is not None and n < admitted:
            admitted = n
    for t in involved:
        t.charge(pods.unit(t), admitted)
    if admitted == a.pods:
        return Admitted(admitted, None, None, None)
    # the next pod's claims (a StatefulSet's named by claim_name), then the pod: the first
    # object a quota refuses stops the workload
    for c, counting in zip(a.claims, pods.claim_quotas, strict=True):
        for t in counting:
            message = t.refusal(c.usage)
            if message is not None:
                return _refused(a, t, message, admitted, f"{c.kind}/{claim_name(c.name, a.name, admitted)}")
        for t in counting:
            t.charge(c.usage)
    for t in pods.quotas:
        message = t.refusal(pods.usage)
        if message is not None:
            return _refused(a, t, message, admitted, None)
    raise AssertionError(f"{a.kind}/{a.name}: {admitted} of {a.pods} pods fit, yet no quota refuses the next")


def _refused(a: Applicant, t: _Tally, message: str, pods: int, refused: str | None) -> Admitted:
    t.refusals.append(QuotaRefusal(a.index, a.kind, a.name, a.pods - pods, message, refused))
    rejection = Rejection(
        "ResourceQuota", (f"ResourceQuota/{t.quota.name}",), message, pods=a.pods - pods, refused=refused
    )
    return Admitted(pods, rejection, None, None)


def _with_headroom(result: Admitted, pods: _Pods) -> Admitted:
    """``result`` with how many more such pods (with their claims) the quotas would still take."""
    best: tuple[int, str, str] | None = None
    for t in pods.involved():
        more, resource = quota.fits_more(t.remaining(), pods.unit(t))
        if more is not None and (best is None or more < best[0]):
            best = (more, t.quota.name, resource or "")
    if best is None:
        return result
    return Admitted(result.pods, result.rejection, best[0], (best[1], best[2]))
