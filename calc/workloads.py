"""Workloads: where each kind keeps its pod template, how many pods it runs, and their totals.

Manifests are plain decoded values (dicts, lists, strings); this module only reads them.

| kind | pod template | pods at once |
| --- | --- | --- |
| Pod | ``spec`` | 1 |
| Deployment, StatefulSet, ReplicaSet, ReplicationController | ``spec.template.spec`` | ``spec.replicas`` (default 1) |
| DaemonSet | ``spec.template.spec`` | one per node |
| Job | ``spec.template.spec`` | ``spec.parallelism`` (default 1), at most ``spec.completions`` |
| CronJob | ``spec.jobTemplate.spec.template.spec`` | as its Job, one run at a time |
| PodTemplate | ``template.spec`` | 1 |
| a bare PodSpec (has ``containers``) | the document | 1 |

Lists (``kind: List`` and the ``*List`` kinds ``kubectl get -o yaml`` prints) are expanded;
objects without a pod template (Service, ConfigMap, ...) are skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from calc.effective import add_resources
from calc.errors import Path, Violation
from calc.pod import ResourceList
from calc.quantity import Quantity

MAX_INT32 = 2**31 - 1
_TEMPLATE = ("spec", "template", "spec")
TEMPLATE_PATHS: dict[str, Path] = {
    "Pod": ("spec",),
    "Deployment": _TEMPLATE,
    "StatefulSet": _TEMPLATE,
    "ReplicaSet": _TEMPLATE,
    "ReplicationController": _TEMPLATE,
    "DaemonSet": _TEMPLATE,
    "Job": _TEMPLATE,
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "PodTemplate": ("template", "spec"),
}
_CLUSTER = "a cluster object: /v1/plan (podcalc plan) applies it to the workloads"
_REASONS = {
    "RuntimeClass": "a RuntimeClass runs no pods; its overhead is added to the pods that name it",
    "LimitRange": _CLUSTER,
    "ResourceQuota": _CLUSTER,
    "Node": _CLUSTER,
    "NodeShape": _CLUSTER,
}
_REPLICATED = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"})


@dataclass(frozen=True, slots=True)
class Workload:
    """A manifest object that runs pods."""

    kind: str
    name: str | None
    namespace: str | None
    path: Path  # where the object stands in its document (inside a List: ("items", i))
    spec_path: Path  # where its PodSpec stands, from the document's root
    pods: int | None  # pods running at once; None for a DaemonSet: one per node


@dataclass(frozen=True, slots=True)
class Skipped:
    """A manifest object that runs no pods, and why it was passed over."""

    kind: str | None
    name: str | None
    namespace: str | None
    path: Path
    reason: str


def objects(document: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every object of a document, Lists (and *List kinds) expanded, with its path."""
    if isinstance(document, Mapping) and _is_list(document):
        items = document.get("items")
        for i, item in enumerate(items if isinstance(items, list) else []):
            yield from objects(item, (*path, "items", i))
    else:
        yield path, document


def _is_list(document: Mapping[str, Any]) -> bool:
    kind = document.get("kind")
    return isinstance(kind, str) and kind.endswith("List") and "items" in document


def classify(obj: Any, path: Path) -> Workload | Skipped | list[Violation]:
    """What ``obj`` is: a workload, something skipped, or the reasons it can't be read."""
    if not isinstance(obj, Mapping):
        return [Violation(path, "expected an object (a Kubernetes manifest or a PodSpec)")]
    kind = obj.get("kind")
    if kind is not None and not isinstance(kind, str):
        return [Violation((*path, "kind"), "must be a string")]
    metadata = obj.get("metadata")
    if metadata is not None and not isinstance(metadata, Mapping):
        return [Violation((*path, "metadata"), "must be an object")]
    identity: dict[str, str | None] = {"name": None, "namespace": None}
    violations = []
    for key in identity:
        value = (metadata or {}).get(key)
        if value is not None and not isinstance(value, str):
            violations.append(Violation((*path, "metadata", key), "must be a string"))
        else:
            identity[key] = value
    if violations:
        return violations
    name, namespace = identity["name"], identity["namespace"]
    if kind is None:
        if "containers" in obj:
            return Workload("PodSpec", None, None, path, path, 1)
        return Skipped(None, name, namespace, path, "no kind and no containers: not a manifest podcalc knows")
    if kind not in TEMPLATE_PATHS:
        reason = _REASONS.get(kind, f"a {kind} has no pod template: it runs no pods")
        return Skipped(kind, name, namespace, path, reason)
    spec_path = (*path, *TEMPLATE_PATHS[kind])
    pods = _pods(kind, obj, path)
    if isinstance(pods, list):
        return pods
    return Workload(kind, name, namespace, path, spec_path, pods)


def _pods(kind: str, obj: Mapping[str, Any], path: Path) -> int | list[Violation] | None:
    """How many pods the object runs at once, with Kubernetes' defaults."""
    spec = obj.get("spec")
    if kind == "CronJob":
        job_template = spec.get("jobTemplate") if isinstance(spec, Mapping) else None
        spec = job_template.get("spec") if isinstance(job_template, Mapping) else None
        path = (*path, "spec", "jobTemplate")
    spec = spec if isinstance(spec, Mapping) else {}
    if kind in _REPLICATED:
        return _count(spec, "replicas", (*path, "spec"))
    if kind in ("Job", "CronJob"):
        parallelism = _count(spec, "parallelism", (*path, "spec"))
        completions = _count(spec, "completions", (*path, "spec"), default=None)
        errors = [v for v in (parallelism, completions) if isinstance(v, list)]
        if errors:
            return [e for errs in errors for e in errs]
        assert isinstance(parallelism, int)
        return parallelism if not isinstance(completions, int) else min(parallelism, completions)
    if kind == "DaemonSet":
        return None
    return 1


def _count(spec: Mapping[str, Any], key: str, path: Path, default: int | None = 1) -> int | list[Violation] | None:
    value = spec.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        return [Violation((*path, key), "must be a whole number")]
    if value < 0:
        return [Violation((*path, key), "must be greater than or equal to 0")]
    if value > MAX_INT32:  # the API's int32 field cannot hold it
        return [Violation((*path, key), f"must be less than or equal to {MAX_INT32}")]
    return value


def scale(resources: ResourceList, times: int) -> dict[str, Quantity]:
    """Each quantity times a whole number, exactly, keeping its format (and its text for 1)."""
    if times == 1:
        return dict(resources)
    return {name: Quantity(q.nanos * times, q.format) for name, q in resources.items()}


def sum_resources(lists: Sequence[ResourceList]) -> dict[str, Quantity]:
    """Per-resource sums in the given order (the first operand's format, as Quantity.Add)."""
    total: dict[str, Quantity] = {}
    for resources in lists:
        total = add_resources(total, resources)
    return total
