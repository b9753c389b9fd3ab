"""Admission: what the API server's admission plugins do to a plan's pods, in their order.

- RuntimeClass (``plugin/pkg/admission/runtimeclass``): a pod that names a RuntimeClass with
  ``overhead.podFixed`` gets that overhead as ``spec.overhead``; a pod whose own overhead
  differs from its RuntimeClass's is rejected.
- Priority (``plugin/pkg/admission/priority``): a pod that names no PriorityClass gets the
  global default (``apply_priority_class``).
- LimitRanger (``plugin/pkg/admission/limitranger``): defaults, then the rules; a pod that
  breaks them is refused (``limit_range_rejection``), and one that only the defaults make
  invalid is refused by validation (``conflict_rejection``); a PersistentVolumeClaim that
  breaks them is refused (``claim_rejection``), and with it the pods of a StatefulSet whose
  claims it stands for (``pods_limit_range_rejection``).
- ResourceQuota (``k8s.io/apiserver/pkg/admission/plugin/resourcequota``): the pods of each
  namespace against its quotas, in stream order (``calc.quota_admission.admit_to_quotas``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from calc.errors import Path, Violation
from calc.evaluate import LimitRangeConflictError
from calc.limitrange import LimitRange, LimitViolation, check_claim, forbidden_message
from calc.pod import PodSpec, ResourceList
from calc.quota_objects import Creation


def apply_runtime_class(spec: PodSpec, classes: Mapping[str, ResourceList | None]) -> PodSpec | list[Violation]:
    """``spec`` with its RuntimeClass's overhead, or why admission rejects it.

    ``classes`` maps RuntimeClass names to their ``overhead.podFixed`` (None: no overhead).
    A pod without overhead gets its class's ``podFixed`` (``setOverhead``); a pod with overhead
    is rejected when its class has none, or a different one (``validateOverhead``, in the
    API server's words). A RuntimeClass that is not in ``classes`` leaves the pod as written.

    Source: ``plugin/pkg/admission/runtimeclass/admission.go`` (``SetOverhead``,
    ``setOverhead``, ``validateOverhead``).
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


# The classes every cluster has (``pkg/apis/scheduling``: SystemPriorityClasses).
SYSTEM_PRIORITY_CLASSES = frozenset({"system-cluster-critical", "system-node-critical"})


@dataclass(frozen=True, slots=True)
class PriorityClass:
    name: str
    value: int
    global_default: bool


def apply_priority_class(spec: PodSpec, classes: Sequence[PriorityClass]) -> tuple[PodSpec, str | None]:
    """The Priority admission plugin (``plugin/pkg/admission/priority``): a pod that names no
    class gets the global default, the one of lowest value where several claim it
    (``getDefaultPriorityClass``); a pod naming a class that ``classes`` lack is noted, as
    the API server refuses it unless the cluster has it (``no PriorityClass with name X was
    found``). The two system classes exist in every cluster."""
    name = spec.priority_class_name
    if name is None:
        defaults = [c for c in classes if c.global_default]
        if not defaults:
            return spec, None
        chosen = min(defaults, key=lambda c: c.value)
        return dataclasses.replace(spec, priority_class_name=chosen.name), None
    if name in SYSTEM_PRIORITY_CLASSES or any(c.name == name for c in classes):
        return spec, None
    return spec, (
        f"PriorityClass {name!r} is not in the input: the API server refuses the pod unless the "
        f'cluster has it ("no PriorityClass with name {name} was found")'
    )


# --- admission of a plan's pods: LimitRanger's refusals, then ResourceQuota, in stream order ---


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why admission refuses a workload's pods (all of them, or ``pods`` of them)."""

    by: str  # the admission step: "LimitRanger", "ResourceQuota" or "validation"
    objects: tuple[str, ...]  # the objects that refuse: ("ResourceQuota/compute",)
    message: str  # the API server's words
    violations: tuple[LimitViolation, ...] = ()
    pods: int | None = None  # the pods refused, where admission stopped part-way through
    refused: str | None = None  # the object refused, where it is not a pod: "Deployment/web"
    notes: tuple[str, ...] = ()  # what else would refuse it, had admission not stopped


def limit_range_rejection(violations: Sequence[LimitViolation]) -> Rejection:
    """The LimitRanger plugin's refusal of a pod that breaks its namespace's LimitRange rules
    (``plugin/pkg/admission/limitranger``: ``runLimitFunc`` visits the LimitRanges in turn and
    returns the first one's ``PodValidateLimitFunc`` error, 403 Forbidden). ``violations``
    come in the order of the LimitRanges; the others that would refuse the pod are notes."""
    by_range: dict[str, list[LimitViolation]] = {}
    for v in violations:
        by_range.setdefault(v.limit_range, []).append(v)
    (first, refusing), *others = by_range.items()
    notes = tuple(f"LimitRange/{name} would refuse it too: {forbidden_message(found)}" for name, found in others)
    return Rejection(
        "LimitRanger", (f"LimitRange/{first}",), forbidden_message(refusing), tuple(violations), notes=notes
    )


def claim_name(template: str | None, stateful_set: str | None, ordinal: int) -> str:
    """The name of the claim a StatefulSet creates from its volume claim template for its pod
    of ``ordinal``: ``<template>-<statefulset>-<ordinal>``.

    Source: ``pkg/controller/statefulset/stateful_set_utils.go`` (``getPersistentVolumeClaimName``).
    """
    return f"{template}-{stateful_set}-{ordinal}"


def claim_rejection(name: str | None, requests: ResourceList, ranges: Sequence[LimitRange]) -> Rejection | None:
    """LimitRanger's refusal of the PersistentVolumeClaim ``name`` of ``requests``
    (``PersistentVolumeClaimValidateLimitFunc`` over its namespace's LimitRanges,
    ``calc.limitrange.check_claim``), naming the claim as the object refused; None: admitted.

    Source: ``plugin/pkg/admission/limitranger/admission.go``.
    """
    violations = check_claim(requests, ranges)
    if not violations:
        return None
    return dataclasses.replace(limit_range_rejection(violations), refused=f"PersistentVolumeClaim/{name}")


def stateful_set_claims_rejection(
    stateful_set: str | None, claims: Sequence[Creation], ranges: Sequence[LimitRange]
) -> Rejection | None:
    """LimitRanger's refusal of a StatefulSet's first claim, which refuses all its pods.

    The controller creates a pod's claims, one per template in order, before the pod
    (``createPersistentVolumeClaims``), and stops at the first one admission refuses, so the
    pod is not created. Every pod's claims come from the same templates, so the claim that
    stops pod 0 (``claim_name(template, stateful_set, 0)``) stops every later pod too.

    Sources: ``pkg/controller/statefulset/stateful_pod_control.go``
    (``createPersistentVolumeClaims``), ``stateful_set_utils.go``
    (``getPersistentVolumeClaimName``) and ``plugin/pkg/admission/limitranger``.
    """
    for claim in claims:
        rejection = claim_rejection(claim_name(claim.name, stateful_set, 0), claim.requests, ranges)
        if rejection is not None:
            return rejection
    return None


def pods_limit_range_rejection(
    workload: str | None,
    claims: Sequence[Creation],
    ranges: Sequence[LimitRange],
    violations: Sequence[LimitViolation],
) -> Rejection | None:
    """LimitRanger's refusal of a workload's pods: its claims come first, created before each
    pod (``stateful_set_claims_rejection``; ``claims`` are a StatefulSet's, none for any other
    kind), then the pod's own ``violations`` of its namespace's LimitRanges
    (``limit_range_rejection``); None: LimitRanger admits them.

    Sources: ``pkg/controller/statefulset/stateful_pod_control.go`` (claims before the pod)
    and ``plugin/pkg/admission/limitranger/admission.go``.
    """
    rejection = stateful_set_claims_rejection(workload, claims, ranges)
    if rejection is None and violations:
        return limit_range_rejection(violations)
    return rejection


def conflict_rejection(pod_name: str | None, err: LimitRangeConflictError) -> Rejection:
    """A pod that LimitRange defaults make invalid, refused by validation after admission, in
    the API server's words: ``errors.NewInvalid`` over ``field.ErrorList.ToAggregate()``
    (``Pod "p" is invalid: spec.containers[0].resources.requests: Invalid value: "1": ...``;
    several errors, deduplicated, in brackets)."""
    reasons = list(dict.fromkeys(field_error(v) for v in err.violations))
    ranges = sorted({f.limit_range for f in err.filled})
    aggregate = reasons[0] if len(reasons) == 1 else "[" + ", ".join(reasons) + "]"
    return Rejection(
        "validation", tuple(f"LimitRange/{n}" for n in ranges), f'Pod "{pod_name or ""}" is invalid: {aggregate}'
    )


def field_error(v: Violation) -> str:
    """``field.Error.Error()``: the path, the error type and, for Invalid, the quoted value."""
    where = go_path(("spec", *(v.reported if v.reported is not None else v.path)))
    if v.type == "Invalid":
        return f'{where}: Invalid value: "{v.value}": {v.message}'
    return f"{where}: {v.type} value: {v.message}" if v.type == "Required" else f"{where}: {v.type}: {v.message}"


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
