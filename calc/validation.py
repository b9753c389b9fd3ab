"""The API server's validation of a pod's resources (``pkg/apis/core/validation``).

Run on the defaulted pod, as the API server does. Each rule reports a ``Violation`` at
the path of the offending field, relative to the PodSpec, with Kubernetes' own message:

- resource names: qualified names; containers take cpu, memory, ephemeral-storage,
  hugepages-<size> or an extended resource (``example.com/foo``); pod-level resources
  take cpu, memory and hugepages-<size> only;
- quantities: never negative; extended resources are whole numbers; hugepages are a
  whole number of pages;
- request <= limit, and request == limit where overcommit is not allowed (hugepages,
  extended resources), which also need a limit whenever they have a request;
- hugepages require cpu or memory in the same requirements;
- where a pod-level request is set, it covers the containers' aggregate request; pod-level
  hugepage limits cover the containers' aggregate limits; each app container's limit is
  within the pod-level limit (validatePodResourceConsistency).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial

from calc.effective import is_pod_level_resource, life
from calc.errors import Path, PodInvalidError, QuantityError, Violation
from calc.pod import PodResources, PodSpec, ResourceList
from calc.quantity import Quantity, parse_quantity
from calc.resources import (
    CPU,
    MEMORY,
    container_resource_name_errors,
    is_extended,
    is_hugepages,
    overcommit_allowed,
    qualified_name_errors,
)

NameCheck = Callable[[str], tuple[str, ...]]


@lru_cache(maxsize=1024)
def pod_resource_name_errors(name: str) -> tuple[str, ...]:
    """validatePodResourceName: a qualified name that pod-level resources support."""
    errors = qualified_name_errors(name)
    if errors:
        return errors
    if not is_pod_level_resource(name):
        return (f'Unsupported value: "{name}": supported values: "cpu", "hugepages-", "memory"',)
    return ()


def _quantity_errors(name: str, q: Quantity) -> list[str]:
    """ValidateResourceQuantityValue and the hugepage page-size rule."""
    errors = []
    if q.nanos < 0:
        errors.append("must be greater than or equal to 0")
    if q.nanos % 10**9 and is_extended(name):
        errors.append("must be an integer")
    if name.startswith("hugepages-") and not _whole_pages(name, q):
        errors.append(f"{q} is not positive integer multiple of {name}")
    return errors


def _whole_pages(name: str, q: Quantity) -> bool:
    """IsHugePageResourceValueDivisible: the value is a whole number of pages."""
    try:
        page = parse_quantity(name.removeprefix("hugepages-"))
    except QuantityError:
        return False
    if page.nanos <= 0 or page.nanos % 10**9:
        return False
    value = -(-q.nanos // 10**9)  # Quantity.Value() rounds up
    return value % (page.nanos // 10**9) == 0


def _plain(name: str, name_errors: NameCheck) -> bool:
    """A valid, overcommittable resource that is neither hugepages nor extended (cpu,
    memory, ephemeral-storage): its only rules are a non-negative value and request <= limit."""
    return not name_errors(name) and overcommit_allowed(name) and not is_hugepages(name) and not is_extended(name)


# ``_plain`` cached per name check, each keyed by the name alone (hot path: it is looked up
# four times per container, and a cache of one argument is the faster to look up).
_PLAIN: dict[NameCheck, Callable[[str], bool]] = {
    check: lru_cache(maxsize=1024)(partial(_plain, name_errors=check))
    for check in (container_resource_name_errors, pod_resource_name_errors)
}


def _clean(requests: ResourceList, limits: ResourceList, name_errors: NameCheck) -> bool:
    """Whether a requests/limits pair certainly breaks no rule: the usual case, checked
    first, so that nothing is built for a pair that has nothing to report."""
    plain = _PLAIN.get(name_errors) or partial(_plain, name_errors=name_errors)
    for resources in (limits, requests):
        for name, q in resources.items():
            if q.nanos < 0 or not plain(name):
                return False
    for name, q in requests.items():
        limit = limits.get(name)
        if limit is not None and q.nanos > limit.nanos:
            return False
    return True


def requirements_violations(
    requests: ResourceList, limits: ResourceList, path: Path, name_errors: NameCheck
) -> list[Violation]:
    """validateResourceRequirements for one requests/limits pair at ``path``."""
    if _clean(requests, limits, name_errors):
        return []
    out: list[Violation] = []
    hugepages = cpu_or_memory = False
    for field, resources in (("limits", limits), ("requests", requests)):
        for name, q in resources.items():
            nanos = q.nanos
            is_hugepages = name.startswith("hugepages-")
            if name_errors(name):
                out += [Violation((*path, field, name), msg, name) for msg in name_errors(name)]
            if nanos < 0 or is_hugepages or (nanos % 1_000_000_000 and is_extended(name)):
                out += [Violation((*path, field, name), msg, str(q)) for msg in _quantity_errors(name, q)]
            hugepages = hugepages or is_hugepages
            cpu_or_memory = cpu_or_memory or name in (CPU, MEMORY)
            if field == "limits":
                continue
            limit = limits.get(name)
            if limit is None:
                if not overcommit_allowed(name):
                    message = "Limit must be set for non overcommitable resources"
                    out.append(Violation((*path, "limits", name), message, None, "Required", (*path, "limits")))
            elif nanos != limit.nanos and not overcommit_allowed(name):
                message = f"must be equal to {name} limit of {limit}"
                out.append(Violation((*path, field, name), message, str(q), reported=(*path, field)))
            elif nanos > limit.nanos:
                message = f"must be less than or equal to {name} limit of {limit}"
                out.append(Violation((*path, field, name), message, str(q), reported=(*path, field)))
    if hugepages and not cpu_or_memory:
        out.append(Violation(path, "HugePages require cpu or memory", type="Forbidden"))
    return out


def _consistency_violations(spec: PodSpec, res: PodResources) -> list[Violation]:
    """validatePodResourceConsistency: pod-level figures cover the containers'."""
    out: list[Violation] = []
    steps = life(spec)
    for name, total in steps.requests.totals.items():
        pod_request = res.requests.get(name)
        if pod_request is not None and total > pod_request:
            out.append(
                Violation(
                    ("resources", "requests", name),
                    f"must be greater than or equal to aggregate container requests of {total}",
                    str(pod_request),
                )
            )
    for name, total in steps.limits.totals.items():
        pod_limit = res.limits.get(name)
        if is_hugepages(name) and pod_limit is not None and total > pod_limit:
            out.append(
                Violation(
                    ("resources", "limits", name),
                    f"must be greater than or equal to aggregate container limits of {total}",
                    str(pod_limit),
                )
            )
    for c in spec.containers:
        for name, limit in c.limits.items():
            pod_limit = res.limits.get(name)
            if pod_limit is not None and limit > pod_limit:
                out.append(
                    Violation(
                        (*c.path, "resources", "limits", name),
                        f"must be less than or equal to pod limits of {pod_limit}",
                        str(limit),
                    )
                )
    return out


def pod_violations(spec: PodSpec) -> list[Violation]:
    """Every resource rule the defaulted ``spec`` breaks."""
    out: list[Violation] = []
    for c in spec.all_containers:
        if not _clean(c.requests, c.limits, container_resource_name_errors):
            out += requirements_violations(c.requests, c.limits, (*c.path, "resources"), container_resource_name_errors)
    for name, q in spec.overhead.items():
        at: Path = ("overhead", name)
        out += [Violation(at, msg, name) for msg in container_resource_name_errors(name)]
        out += [Violation(at, msg, str(q)) for msg in _quantity_errors(name, q)]
    if spec.resources is not None:
        res = spec.resources
        out += requirements_violations(res.requests, res.limits, ("resources",), pod_resource_name_errors)
        out += _consistency_violations(spec, res)
    return out


def validate(spec: PodSpec) -> None:
    """Raise ``PodInvalidError`` listing every violation, if there is any."""
    violations = pod_violations(spec)
    if violations:
        raise PodInvalidError(violations)
