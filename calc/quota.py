"""ResourceQuota: what each pod counts against a quota, and which quotas apply; what other
objects count is ``calc.quota_objects``, admission in stream order ``calc.quota_admission``.

Sources: ``pkg/quota/v1/evaluator/core/pods.go`` (``PodUsageFunc``,
``podComputeUsageHelper``, ``podMatchesScopeFunc``, ``Constraints``),
``pkg/apis/core/helper/helpers.go`` (scope/resource compatibility),
``pkg/apis/core/validation/validation.go`` (``ValidateResourceQuota``) and
``staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go``.

A pod counts, from its effective figures (``PodRequests``/``PodLimits``, overhead included)::

    pods, count/pods                         1
    cpu, requests.cpu                        requests[cpu]   (likewise memory, ephemeral-storage)
    limits.cpu                               limits[cpu]     (likewise memory, ephemeral-storage)
    hugepages-<size>, requests.hugepages-<size>   requests[hugepages-<size>]
    requests.<extended resource>             requests[<extended resource>]

A quota applies to a pod when every one of its scopes matches (``spec.scopes`` and
``spec.scopeSelector`` together).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from calc.errors import Path, Violation
from calc.pod import Container, PodSpec, ResourceList
from calc.qos import QOSClass
from calc.quantity import Quantity, canonical
from calc.resources import CPU, EPHEMERAL_STORAGE, MEMORY, is_extended, is_hugepages, qualified_name_errors

PODS = "pods"
COUNT_PODS = "count/pods"
REQUESTS_PREFIX = "requests."
LIMITS_PREFIX = "limits."
_ONE = Quantity(1_000_000_000)
STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/"


class Scope(enum.Enum):
    TERMINATING = "Terminating"
    NOT_TERMINATING = "NotTerminating"
    BEST_EFFORT = "BestEffort"
    NOT_BEST_EFFORT = "NotBestEffort"
    PRIORITY_CLASS = "PriorityClass"
    CROSS_NAMESPACE_POD_AFFINITY = "CrossNamespacePodAffinity"
    VOLUME_ATTRIBUTES_CLASS = "VolumeAttributesClass"


SCOPE_NAMES = tuple(s.value for s in Scope)
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
_CONFLICTS = ((Scope.TERMINATING, Scope.NOT_TERMINATING), (Scope.BEST_EFFORT, Scope.NOT_BEST_EFFORT))
# The resources a scoped quota may limit (IsResourceQuotaScopeValidForResource).
_POD_COUNT = frozenset({PODS})
_POD_COMPUTE = frozenset(
    {CPU, MEMORY, LIMITS_PREFIX + CPU, LIMITS_PREFIX + MEMORY, REQUESTS_PREFIX + CPU, REQUESTS_PREFIX + MEMORY}
)
_PVC_RESOURCES = frozenset({"persistentvolumeclaims", "requests.storage"})


@dataclass(frozen=True, slots=True)
class ScopeRequirement:
    """One ``scopeSelector.matchExpressions`` entry."""

    scope: str
    operator: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResourceQuota:
    name: str
    namespace: str | None
    hard: ResourceList
    used: ResourceList = field(default_factory=dict)  # status.used: what the namespace already uses
    scopes: tuple[str, ...] = ()
    selector: tuple[ScopeRequirement, ...] = ()

    def all_scopes(self) -> list[ScopeRequirement]:
        """``spec.scopes`` as Exists requirements, then ``scopeSelector``'s (they are ANDed)."""
        return [ScopeRequirement(s, "Exists") for s in self.scopes] + list(self.selector)


@dataclass(frozen=True, slots=True)
class PodFacts:
    """What quota scopes look at in a pod."""

    qos_class: QOSClass
    terminating: bool  # spec.activeDeadlineSeconds >= 0
    priority_class: str | None  # spec.priorityClassName
    cross_namespace_affinity: bool  # an affinity term names namespaces or a namespaceSelector


def pod_facts(spec: PodSpec, qos_class: QOSClass) -> PodFacts:
    """What the quota scopes read of a pod (``podMatchesScopeFunc``): Terminating is
    ``activeDeadlineSeconds >= 0`` (``isTerminating``), BestEffort its QoS class."""
    deadline = spec.active_deadline_seconds
    return PodFacts(
        qos_class=qos_class,
        terminating=deadline is not None and deadline >= 0,
        priority_class=spec.priority_class_name,
        cross_namespace_affinity=spec.cross_namespace_affinity,
    )


def validate(quota: ResourceQuota) -> list[Violation]:
    """``ValidateResourceQuota``: names, values, scopes and their fit with the hard resources."""
    out: list[Violation] = []
    for name, q in quota.hard.items():
        errors = qualified_name_errors(name)
        out += [Violation(("spec", "hard", name), e) for e in errors]
        if q.nanos < 0:
            out.append(Violation(("spec", "hard", name), "must be greater than or equal to 0", str(q)))
        elif _integer_only(name) and q.nanos % 1_000_000_000:
            out.append(Violation(("spec", "hard", name), "must be an integer", str(q)))
    known: list[Scope] = []
    for i, s in enumerate(quota.scopes):
        if s not in SCOPE_NAMES:
            out.append(Violation(("spec", "scopes", i), f'Unsupported value: "{s}": supported values: {_names()}'))
        else:
            known.append(Scope(s))
    for i, r in enumerate(quota.selector):
        at: Path = ("spec", "scopeSelector", "matchExpressions", i)
        if r.scope not in SCOPE_NAMES:
            msg = f'Unsupported value: "{r.scope}": supported values: {_names()}'
            out.append(Violation((*at, "scopeName"), msg))
            continue
        known.append(Scope(r.scope))
        out += _validate_requirement(r, at)
    for a, b in _CONFLICTS:
        if a in known and b in known:
            out.append(Violation(("spec", "scopes"), f"conflicting scopes: {a.value}, {b.value}"))
    for scope in dict.fromkeys(known):
        for name in quota.hard:
            if _standard(name) and not _scope_allows(scope, name):
                out.append(Violation(("spec", "hard", name), f"unsupported scope applied to resource: {scope.value}"))
    return out


def _names() -> str:
    return ", ".join(f'"{s}"' for s in SCOPE_NAMES)


_INTEGER_RESOURCES = frozenset(
    {
        PODS,
        "resourcequotas",
        "services",
        "replicationcontrollers",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "services.nodeports",
        "services.loadbalancers",
    }
)


def _integer_only(name: str) -> bool:
    """``IsIntegerResourceName``: the standard object counts and extended resources."""
    return name in _INTEGER_RESOURCES or is_extended(name)


def _validate_requirement(r: ScopeRequirement, at: Path) -> list[Violation]:
    if r.operator not in OPERATORS:
        shown = ", ".join(f'"{o}"' for o in OPERATORS)
        return [Violation((*at, "operator"), f'Unsupported value: "{r.operator}": supported values: {shown}')]
    if r.scope in _EXISTS_ONLY and r.operator != "Exists":
        # validateScopedResourceSelectorRequirement's own words
        return [
            Violation(
                (*at, "operator"),
                "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, "
                "ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or "
                "ResourceQuotaScopeCrossNamespacePodAffinity",
            )
        ]
    if r.operator in ("In", "NotIn") and not r.values:
        return [
            Violation(
                (*at, "values"), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"
            )
        ]
    if r.operator in ("Exists", "DoesNotExist") and r.values:
        return [
            Violation(
                (*at, "values"), "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"
            )
        ]
    return []


_EXISTS_ONLY = frozenset(
    s.value
    for s in (
        Scope.TERMINATING,
        Scope.NOT_TERMINATING,
        Scope.BEST_EFFORT,
        Scope.NOT_BEST_EFFORT,
        Scope.CROSS_NAMESPACE_POD_AFFINITY,
    )
)
# IsStandardQuotaResourceName: only these are checked against a quota's scopes
_STANDARD_QUOTA_RESOURCES = frozenset(
    {
        CPU,
        MEMORY,
        EPHEMERAL_STORAGE,
        "requests.cpu",
        "requests.memory",
        "requests.storage",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        PODS,
        "resourcequotas",
        "services",
        "replicationcontrollers",
        "secrets",
        "persistentvolumeclaims",
        "configmaps",
        "services.nodeports",
        "services.loadbalancers",
    }
)


def _standard(resource: str) -> bool:
    return resource in _STANDARD_QUOTA_RESOURCES or is_hugepages(resource.removeprefix(REQUESTS_PREFIX))


def _scope_allows(scope: Scope, resource: str) -> bool:
    """Whether a quota of ``scope`` may limit the standard ``resource``: BestEffort only
    ``pods``; VolumeAttributesClass only ``persistentvolumeclaims`` and ``requests.storage``;
    every other scope ``pods`` and the pod compute resources (``cpu``, ``memory``, their
    ``requests.``/``limits.`` forms).

    Source: ``pkg/apis/core/helper/helpers.go`` (``IsResourceQuotaScopeValidForResource``),
    called by ``ValidateResourceQuota`` (``pkg/apis/core/validation/validation.go``)."""
    if scope is Scope.BEST_EFFORT:
        return resource in _POD_COUNT
    if scope is Scope.VOLUME_ATTRIBUTES_CLASS:
        return resource in _PVC_RESOURCES
    return resource in _POD_COUNT or resource in _POD_COMPUTE


def matches(quota: ResourceQuota, pod: PodFacts) -> bool:
    """Whether ``quota`` counts ``pod``: every scope requirement of ``spec.scopes`` and
    ``spec.scopeSelector`` matches (``_matches``; they are ANDed, and a quota without scopes
    counts every pod).

    Sources: ``pkg/quota/v1/generic/evaluator.go`` (``Matches``: ``CalculateUsageScopes``
    over ``getScopeSelectorsFromQuota``) and ``pkg/quota/v1/evaluator/core/pods.go``
    (``podEvaluator.MatchingScopes``, ``podMatchesScopeFunc``)."""
    return all(_matches(r, pod) for r in quota.all_scopes())


def _matches(r: ScopeRequirement, pod: PodFacts) -> bool:
    """Whether one scope requirement matches ``pod``: PriorityClass applies its operator to
    ``spec.priorityClassName`` (Exists, DoesNotExist, In, NotIn the values); Terminating is
    ``activeDeadlineSeconds >= 0``, NotTerminating its negation; BestEffort is the BestEffort
    QoS class, NotBestEffort any other; CrossNamespacePodAffinity an affinity term naming
    namespaces or a namespace selector; these read no operator. VolumeAttributesClass
    matches no pod (it scopes claims).

    Sources: ``pkg/quota/v1/evaluator/core/pods.go`` (``podMatchesScopeFunc``,
    ``podMatchesSelector``, ``isTerminating``, ``isBestEffort``,
    ``usesCrossNamespacePodAffinity``) and the ResourceQuota scope selectors
    (``k8s.io/apiserver/pkg/admission/plugin/resourcequota``, ``scopeSelector.matchExpressions``)."""
    scope = Scope(r.scope)
    if scope is Scope.PRIORITY_CLASS:
        name = pod.priority_class
        if r.operator == "Exists":
            return name is not None
        if r.operator == "DoesNotExist":
            return name is None
        inside = name is not None and name in r.values
        return inside if r.operator == "In" else not inside
    if scope is Scope.VOLUME_ATTRIBUTES_CLASS:
        return False  # counts claims, not pods
    held = {
        Scope.TERMINATING: pod.terminating,
        Scope.NOT_TERMINATING: not pod.terminating,
        Scope.BEST_EFFORT: pod.qos_class is QOSClass.BEST_EFFORT,
        Scope.NOT_BEST_EFFORT: pod.qos_class is not QOSClass.BEST_EFFORT,
        Scope.CROSS_NAMESPACE_POD_AFFINITY: pod.cross_namespace_affinity,
    }[scope]
    return held  # as podMatchesScopeFunc: only PriorityClass reads the operator


def counts_object(quota: ResourceQuota, usage: Mapping[str, Quantity]) -> bool:
    """Whether ``quota`` counts an object (other than a pod) of ``usage``: it limits something
    the object counts, and it has no scope: the object-count, Service and claim evaluators
    match no scope (``generic.Matches`` with ``MatchesNoScopeFunc``; a claim's
    VolumeAttributesClass scope is not modelled)."""
    return not quota.scopes and not quota.selector and any(n in quota.hard for n in usage)


def pod_usage(requests: ResourceList, limits: ResourceList) -> dict[str, Quantity]:
    """``PodUsageFunc`` for a running pod: the quota resources it counts against."""
    return {COUNT_PODS: _ONE} | _compute_usage(requests, limits)


def _compute_usage(requests: ResourceList, limits: ResourceList) -> dict[str, Quantity]:
    """``podComputeUsageHelper``."""
    out: dict[str, Quantity] = {PODS: _ONE}
    for name in (CPU, MEMORY, EPHEMERAL_STORAGE):
        if name in requests:
            out[name] = out[REQUESTS_PREFIX + name] = requests[name]
        if name in limits:
            out[LIMITS_PREFIX + name] = limits[name]
    for name, q in requests.items():
        if is_hugepages(name):
            out[name] = out[REQUESTS_PREFIX + name] = q
        elif is_extended(name):
            out[REQUESTS_PREFIX + name] = q
    return out


def missing_constraints(quota: ResourceQuota, containers: Iterable[Container]) -> str | None:
    """``Constraints``: a quota on cpu or memory needs every container to set it.

    Returns the reason (``must specify limits.cpu for: app; requests.memory for: app``) or None.
    """
    required = {n for n in quota.hard if n in _POD_COMPUTE}  # upstream's validationSet: the same names
    if not required:
        return None
    missing: dict[str, set[str]] = {}
    for c in containers:
        have = _compute_usage(c.requests, c.limits)
        for name in required - have.keys():
            missing.setdefault(name, set()).add(c.name)
    if not missing:
        return None
    return "must specify " + "; ".join(f"{n} for: {','.join(sorted(missing[n]))}" for n in sorted(missing))


def covered(quota: ResourceQuota, usage: Mapping[str, Quantity]) -> dict[str, Quantity]:
    """The part of ``usage`` that ``quota`` limits (quota.Mask with the hard names)."""
    return {n: q for n, q in usage.items() if n in quota.hard}


def exceeded(quota: ResourceQuota, total: Mapping[str, Quantity]) -> list[str]:
    """Hard resources that ``total`` goes over, sorted."""
    return sorted(n for n, q in total.items() if n in quota.hard and q.nanos > quota.hard[n].nanos)


def exceeded_message(
    quota: ResourceQuota, requested: Mapping[str, Quantity], used: Mapping[str, Quantity], names: Sequence[str]
) -> str:
    """The reason admission gives: ``exceeded quota: NAME, requested: r=v, used: ..., limited: ...``."""

    def pretty(values: Mapping[str, Quantity]) -> str:
        return ",".join(f"{n}={canonical(values[n])}" for n in names if n in values)

    return (
        f"exceeded quota: {quota.name}, requested: {pretty(requested)}, "
        f"used: {pretty(used)}, limited: {pretty(quota.hard)}"
    )


def fits_more(remaining: Mapping[str, Quantity], per_pod: Mapping[str, Quantity]) -> tuple[int | None, str | None]:
    """How many more pods of usage ``per_pod`` fit in ``remaining``, and the resource that stops them.

    (None, None) when nothing limited is counted by the pod.
    """
    best: int | None = None
    limiting: str | None = None
    for name in sorted(remaining):
        q = per_pod.get(name)
        if q is None or q.nanos <= 0:
            continue
        n = max(remaining[name].nanos, 0) // q.nanos
        if best is None or n < best:
            best, limiting = n, name
    return best, limiting


def pod_quota_resource(name: str) -> bool:
    """Whether a quota's ``name`` is one pods count (what the pod evaluator matches,
    ``MatchingResources`` in ``pkg/quota/v1/evaluator/core/pods.go``): ``pods``,
    ``count/pods``, ``cpu``, ``memory``, ``ephemeral-storage``, and every ``requests.*``,
    ``limits.*`` and ``hugepages-*`` name but ``requests.storage`` and a storage class's
    (which PersistentVolumeClaims count)."""
    return name in (PODS, COUNT_PODS, CPU, MEMORY, EPHEMERAL_STORAGE) or (
        (name.startswith((REQUESTS_PREFIX, LIMITS_PREFIX)) or is_hugepages(name))
        and name != "requests.storage"
        and "storageclass" not in name  # a storage class's names: <class>.storageclass.storage.k8s.io/...
    )
