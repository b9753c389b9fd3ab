"""LimitRange: the object's own defaulting and validation, and the LimitRanger admission plugin.

Sources: ``pkg/apis/core/v1/defaults.go`` (``SetDefaults_LimitRangeItem``),
``pkg/apis/core/validation/validation.go`` (``ValidateLimitRange``) and
``plugin/pkg/admission/limitranger/admission.go``.

What happens to a pod in a namespace with LimitRanges, in the API server's order:

1. Decoding defaults the pod: a container with a limit and no request gets request = limit.
2. LimitRanger (mutating) fills what each container still lacks from the type-Container
   items' ``default`` (limits) and ``defaultRequest`` (requests), app and init containers
   alike, one LimitRange after another; it records what it set in the annotation
   ``kubernetes.io/limit-ranger``.
3. The pod is validated (a default limit below the container's request makes it invalid).
4. LimitRanger (validating) checks ``min``, ``max`` and ``maxLimitRequestRatio``: per
   container for type Container, and on the pod's aggregate requests/limits for type Pod
   (``max(init peak, app + sidecars)``, without overhead, as the plugin's own helpers).
   Every broken rule is collected; the pod is refused with all of them.

A LimitRange as written is defaulted first (an item with ``max`` but no ``default`` limits
containers to ``max``; ``defaultRequest`` falls back to ``default``, then to ``min``), so
the hand-written object and the one ``kubectl get -o yaml`` prints behave the same.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from calc.effective import POD_LEVEL_RESOURCES, life
from calc.errors import Path, Violation
from calc.pod import Container, PodSpec, ResourceList
from calc.quantity import NANO, Quantity, canonical
from calc.resources import STANDARD_CONTAINER_RESOURCES, overcommit_allowed, qualified_name_errors

CONTAINER = "Container"
POD = "Pod"
PVC = "PersistentVolumeClaim"
LIMIT_TYPES = (POD, CONTAINER, PVC)

# resource.MaxMilliValue: above it, comparisons fall back to whole units (Value()).
_MAX_MILLI_VALUE = (2**63 - 1) // 1000


@dataclass(frozen=True, slots=True)
class LimitRangeItem:
    """One entry of ``spec.limits``."""

    type: str  # Container, Pod or PersistentVolumeClaim
    max: ResourceList = field(default_factory=dict)
    min: ResourceList = field(default_factory=dict)
    default: ResourceList = field(default_factory=dict)  # default limits
    default_request: ResourceList = field(default_factory=dict)
    max_limit_request_ratio: ResourceList = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LimitRange:
    name: str
    namespace: str | None
    items: tuple[LimitRangeItem, ...]


@dataclass(frozen=True, slots=True)
class Filled:
    """A value LimitRanger set on a container: ``which`` is "requests" or "limits"."""

    container: str
    init: bool  # an init container (sidecars included), as the annotation words it
    which: str
    resource: str
    value: Quantity
    limit_range: str


@dataclass(frozen=True, slots=True)
class LimitViolation:
    """One rule a pod breaks, as LimitRanger words it."""

    limit_range: str
    item: int  # index in spec.limits
    type: str
    resource: str
    container: str | None  # None for a type-Pod or PersistentVolumeClaim rule
    message: str


def set_defaults(item: LimitRangeItem) -> LimitRangeItem:
    """``SetDefaults_LimitRangeItem``: for type Container only.

    default (limit) falls back to max; defaultRequest to default, then to min.
    """
    if item.type != CONTAINER:
        return item
    default = dict(item.default)
    for name, q in item.max.items():
        default.setdefault(name, q)
    default_request = dict(item.default_request)
    for name, q in default.items():
        default_request.setdefault(name, q)
    for name, q in item.min.items():
        default_request.setdefault(name, q)
    return dataclasses.replace(item, default=default, default_request=default_request)


def validate(limit_range: LimitRange) -> list[Violation]:
    """``ValidateLimitRange`` on the defaulted object; paths from the object's root."""
    out: list[Violation] = []
    seen: set[str] = set()
    for i, item in enumerate(limit_range.items):
        at: Path = ("spec", "limits", i)
        if item.type not in LIMIT_TYPES:
            shown = ", ".join(f'"{t}"' for t in LIMIT_TYPES)
            out.append(Violation((*at, "type"), f'Unsupported value: "{item.type}": supported values: {shown}'))
            continue
        if item.type in seen:
            out.append(Violation((*at, "type"), f'Duplicate value: "{item.type}"'))
        seen.add(item.type)
        out += _validate_item(item, at)
    return out


def _validate_item(item: LimitRangeItem, at: Path) -> list[Violation]:
    out: list[Violation] = []
    lists = {
        "max": item.max,
        "min": item.min,
        "default": item.default,
        "defaultRequest": item.default_request,
        "maxLimitRequestRatio": item.max_limit_request_ratio,
    }
    for key, resources in lists.items():
        for name, q in resources.items():
            out += [Violation((*at, key, name), e) for e in _name_errors(item.type, name)]
            if q.nanos < 0:
                out.append(Violation((*at, key, name), "must be greater than or equal to 0", str(q)))
    if item.type == POD:
        for key in ("default", "defaultRequest"):
            if lists[key]:
                out.append(Violation((*at, key), "may not be specified when `type` is 'Pod'"))
    for name in sorted(set().union(*lists.values())):
        out += _validate_resource(item, name, at)
    return out


def _name_errors(limit_type: str, name: str) -> tuple[str, ...]:
    errors = qualified_name_errors(name)
    if errors:
        return errors
    if limit_type == PVC:
        return () if name == "storage" else ("must be a standard limit type or fully qualified",)
    if "/" not in name and name not in STANDARD_CONTAINER_RESOURCES and not name.startswith("hugepages-"):
        return ("must be a standard limit type or fully qualified",)
    return ()


def _validate_resource(item: LimitRangeItem, name: str, at: Path) -> list[Violation]:
    """The order relations of one resource's figures (min <= defaultRequest <= default <= max),
    in ``ValidateLimitRange``'s order; where overcommit is not allowed, default == defaultRequest."""
    out: list[Violation] = []
    lo, hi = item.min.get(name), item.max.get(name)
    default, default_request = item.default.get(name), item.default_request.get(name)
    ratio = item.max_limit_request_ratio.get(name)
    if lo is not None and hi is not None and lo > hi:
        out.append(Violation((*at, "min", name), f"min value {lo} is greater than max value {hi}", str(lo)))
    if default_request is not None:
        if lo is not None and lo > default_request:
            msg = f"min value {lo} is greater than default request value {default_request}"
            out.append(Violation((*at, "defaultRequest", name), msg, str(default_request)))
        if hi is not None and default_request > hi:
            msg = f"default request value {default_request} is greater than max value {hi}"
            out.append(Violation((*at, "defaultRequest", name), msg, str(default_request)))
        if default is not None and default_request > default:
            msg = f"default request value {default_request} is greater than default limit value {default}"
            out.append(Violation((*at, "defaultRequest", name), msg, str(default_request)))
    if default is not None:  # the invalid value given is the min or max, as ValidateLimitRange passes it
        if lo is not None and lo > default:
            msg = f"min value {lo} is greater than default value {default}"
            out.append(Violation((*at, "default", name), msg, str(lo)))
        if hi is not None and default > hi:
            msg = f"default value {default} is greater than max value {hi}"
            out.append(Violation((*at, "default", name), msg, str(hi)))
    if ratio is not None:
        if ratio.nanos < NANO:
            out.append(Violation((*at, "maxLimitRequestRatio", name), f"ratio {ratio} is less than 1", str(ratio)))
        if lo is not None and hi is not None and lo.nanos > 0:
            spread = Fraction(hi.nanos, lo.nanos)
            if ratio.value > spread:
                msg = f"ratio {ratio} is greater than max/min = {_go_f(spread)}"
                out.append(Violation((*at, "maxLimitRequestRatio", name), msg, str(ratio)))
    # a resource that cannot be overcommitted (nvidia.com/gpu, hugepages) has one default
    both = default is not None and default_request is not None
    if both and not overcommit_allowed(name) and default != default_request:
        msg = f"default value {default} must equal to defaultRequest value {default_request} in {name}"
        out.append(Violation((*at, "defaultRequest", name), msg, str(default_request)))
    return out


def _go_f(x: Fraction) -> str:
    """``%f``: six decimals, rounded half to even."""
    micro = round(x * 10**6)
    whole, fraction = divmod(abs(micro), 10**6)
    return f"{'-' if micro < 0 else ''}{whole}.{fraction:06d}"


# --- admission: defaults ------------------------------------------------------------------


def _defaults(limit_range: LimitRange) -> tuple[dict[str, Quantity], dict[str, Quantity]]:
    """``defaultContainerResourceRequirements``: (requests, limits); a later item wins."""
    requests: dict[str, Quantity] = {}
    limits: dict[str, Quantity] = {}
    for item in limit_range.items:
        if item.type == CONTAINER:
            requests |= item.default_request
            limits |= item.default
    return requests, limits


def apply_defaults(spec: PodSpec, ranges: Sequence[LimitRange]) -> tuple[PodSpec, list[Filled]]:
    """LimitRanger's mutation: each LimitRange in turn fills what containers still lack.

    ``spec`` is the pod after decoding (requests already copied from limits).
    """
    filled: list[Filled] = []
    for limit_range in ranges:
        requests, limits = _defaults(limit_range)
        if not requests and not limits:
            continue
        containers = tuple(_merge(c, requests, limits, limit_range.name, filled) for c in spec.containers)
        init = tuple(_merge(c, requests, limits, limit_range.name, filled) for c in spec.init_containers)
        spec = dataclasses.replace(spec, containers=containers, init_containers=init)
    return spec, filled


def _merge(
    c: Container, requests: ResourceList, limits: ResourceList, range_name: str, filled: list[Filled]
) -> Container:
    """``mergeContainerResources``: only resources the container does not set are filled."""
    init = c.path[0] == "initContainers"
    new_limits = {n: q for n, q in limits.items() if n not in c.limits}
    new_requests = {n: q for n, q in requests.items() if n not in c.requests}
    if not new_limits and not new_requests:
        return c
    filled += [Filled(c.name, init, "limits", n, q, range_name) for n, q in sorted(new_limits.items())]
    filled += [Filled(c.name, init, "requests", n, q, range_name) for n, q in sorted(new_requests.items())]
    return dataclasses.replace(c, requests={**c.requests, **new_requests}, limits={**c.limits, **new_limits})


def annotation(filled: Sequence[Filled]) -> str | None:
    """The ``kubernetes.io/limit-ranger`` annotation LimitRanger writes, or None.

    One LimitRange's wording: ``LimitRanger plugin set: cpu, memory request for container
    app; cpu limit for container app``. With several LimitRanges each rewrites it, so the
    last one that set something is what the pod keeps.
    """
    if not filled:
        return None
    last = filled[-1].limit_range
    parts: list[str] = []
    containers: dict[tuple[bool, str], dict[str, list[str]]] = {}
    for f in filled:
        if f.limit_range == last:
            containers.setdefault((f.init, f.container), {}).setdefault(f.which, []).append(f.resource)
    for (init, name), sets in containers.items():
        prefix = "init container" if init else "container"
        for which, word in (("requests", "request"), ("limits", "limit")):
            if which in sets:
                parts.append(f"{', '.join(sorted(sets[which]))} {word} for {prefix} {name}")
    return "LimitRanger plugin set: " + "; ".join(parts)


# --- admission: validation -----------------------------------------------------------------


def check(spec: PodSpec, ranges: Sequence[LimitRange]) -> list[LimitViolation]:
    """``PodValidateLimitFunc`` for every LimitRange: each rule the pod breaks."""
    out: list[LimitViolation] = []
    for limit_range in ranges:
        for i, item in enumerate(limit_range.items):
            if item.type == CONTAINER:
                for c in spec.containers + spec.init_containers:
                    for resource, message in _rules(item, c.requests, c.limits):
                        out.append(LimitViolation(limit_range.name, i, item.type, resource, c.name, message))
            elif item.type == POD:
                requests, limits = _pod_figures(spec)
                for resource, message in _rules(item, requests, limits):
                    out.append(LimitViolation(limit_range.name, i, item.type, resource, None, message))
    return out


def _pod_figures(spec: PodSpec) -> tuple[ResourceList, ResourceList]:
    """The plugin's own ``podRequests``/``podLimits``: max(init peak, app + sidecars), no
    overhead; pod-level cpu and memory replace the containers' figures where set."""
    steps = life(spec)
    requests = dict(steps.requests.totals)
    limits = dict(steps.limits.totals)
    if spec.resources is not None:
        requests |= {n: q for n, q in spec.resources.requests.items() if n in POD_LEVEL_RESOURCES}
        limits |= {n: q for n, q in spec.resources.limits.items() if n in POD_LEVEL_RESOURCES}
    return requests, limits


def _rules(item: LimitRangeItem, requests: ResourceList, limits: ResourceList) -> list[tuple[str, str]]:
    out = []
    for name, enforced in item.min.items():
        message = _min(item.type, name, enforced, requests.get(name), limits.get(name))
        if message:
            out.append((name, message))
    for name, enforced in item.max.items():
        message = _max(item.type, name, enforced, requests.get(name), limits.get(name))
        if message:
            out.append((name, message))
    for name, enforced in item.max_limit_request_ratio.items():
        message = _ratio(item.type, name, enforced, requests.get(name), limits.get(name))
        if message:
            out.append((name, message))
    return out


def _value(q: Quantity | None) -> int:
    """``Value()``: whole units, rounded up (a missing quantity is zero)."""
    return 0 if q is None else -(-q.nanos // NANO)


def _milli(q: Quantity | None) -> int:
    """``MilliValue()``: milli units, rounded up."""
    return 0 if q is None else -(-q.nanos // 1_000_000)


def _observed(req: Quantity | None, lim: Quantity | None, enforced: Quantity) -> tuple[int, int, int]:
    """``requestLimitEnforcedValues``: milli values when none overflows, else whole units."""
    values = (_value(req), _value(lim), _value(enforced))
    if all(v <= _MAX_MILLI_VALUE for v in values):
        return _milli(req), _milli(lim), _milli(enforced)
    return values


def _min(kind: str, name: str, enforced: Quantity, req: Quantity | None, lim: Quantity | None) -> str | None:
    """``minConstraint``: refused when there is no request, or request < min, or limit < min."""
    r, li, e = _observed(req, lim, enforced)
    head = f"minimum {name} usage per {kind} is {canonical(enforced)}"
    if req is None:
        return f"{head}.  No request is specified"
    if r < e:
        return f"{head}, but request is {canonical(req)}"
    if lim is not None and li < e:
        return f"{head}, but limit is {canonical(lim)}"
    return None


def _max(kind: str, name: str, enforced: Quantity, req: Quantity | None, lim: Quantity | None) -> str | None:
    """``maxConstraint``: refused when there is no limit, or limit > max, or request > max."""
    r, li, e = _observed(req, lim, enforced)
    head = f"maximum {name} usage per {kind} is {canonical(enforced)}"
    if lim is None:
        return f"{head}.  No limit is specified"
    if li > e:
        return f"{head}, but limit is {canonical(lim)}"
    if req is not None and r > e:
        return f"{head}, but request is {canonical(req)}"
    return None


def _ratio(kind: str, name: str, enforced: Quantity, req: Quantity | None, lim: Quantity | None) -> str | None:
    """``limitRequestRatioConstraint``, compared exactly where the plugin uses float64."""
    r, li, _ = _observed(req, lim, enforced)
    head = f"{name} max limit to request ratio per {kind} is {canonical(enforced)}"
    if req is None or r == 0:
        return f"{head}, but no request is specified or request is 0"
    if lim is None or li == 0:
        return f"{head}, but no limit is specified or limit is 0"
    observed = Fraction(li, r)
    allowed = Fraction(_milli(enforced), 1000) if _value(enforced) <= _MAX_MILLI_VALUE else Fraction(_value(enforced))
    if observed > allowed:
        return f"{head}, but provided ratio is {_go_f(observed)}"
    return None


def check_claim(requests: ResourceList, ranges: Sequence[LimitRange]) -> list[LimitViolation]:
    """``PersistentVolumeClaimValidateLimitFunc`` for every LimitRange: the rules of its
    PersistentVolumeClaim items that a claim of ``requests`` breaks (``min`` against the
    request, as for a container without a limit; ``max`` against the request too,
    ``maxRequestConstraint``)."""
    out: list[LimitViolation] = []
    for limit_range in ranges:
        for i, item in enumerate(limit_range.items):
            if item.type != PVC:
                continue
            for name, enforced in item.min.items():
                message = _min(PVC, name, enforced, requests.get(name), None)
                if message:
                    out.append(LimitViolation(limit_range.name, i, PVC, name, None, message))
            for name, enforced in item.max.items():
                message = _max_request(name, enforced, requests.get(name))
                if message:
                    out.append(LimitViolation(limit_range.name, i, PVC, name, None, message))
    return out


def _max_request(name: str, enforced: Quantity, req: Quantity | None) -> str | None:
    """``maxRequestConstraint``: a claim's max is enforced on what it requests."""
    r, _, e = _observed(req, None, enforced)
    head = f"maximum {name} usage per {PVC} is {canonical(enforced)}"
    if req is None:
        return f"{head}.  No request is specified"
    if r > e:
        return f"{head}, but request is {canonical(req)}"
    return None


def forbidden_message(violations: Sequence[LimitViolation]) -> str:
    """The reason the API server gives (``utilerrors.NewAggregate``): deduplicated, and in
    brackets when there is more than one."""
    messages = list(dict.fromkeys(v.message for v in violations))
    return messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"
