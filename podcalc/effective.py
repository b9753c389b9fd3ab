"""The effective resources of a stream's workloads (``POST /v1/effective-resources``,
``podcalc effective``), and one quantity explained (``GET /v1/quantity``, ``podcalc quantity``).

Each use case reads (``podcalc.reading``), computes (``calc``) and renders (``podcalc.render``):
the body it returns is what the API answers and what ``-o json`` prints. Bad input raises a
``podcalc.errors.InputError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from calc.admission import PriorityClass, apply_priority_class, apply_runtime_class
from calc.errors import PodInvalidError, QuantityError
from calc.evaluate import LimitRangeConflictError, PodEvaluation, evaluate_pod
from calc.limitrange import LimitRange
from calc.pod import ResourceList
from calc.quantity import decimal_string, round_up_milli
from calc.resources import dimension_of, parse_any
from calc.units import convert, unit_factor
from calc.versions import DEFAULT_FEATURES, Features, VersionError, as_released, features, parse_version
from calc.workloads import Total, add_totals, pods_on_nodes, workload_total
from podcalc import render
from podcalc.errors import Entry, InvalidError, ParameterError
from podcalc.reading.expressions import unit_expression_warnings
from podcalc.reading.limits import DEFAULT_LIMITS, Limits
from podcalc.reading.manifests import (
    Document,
    Skipped,
    Workload,
    classify,
    collect,
    read_workload_pod,
    runtime_classes,
    stream_error,
)

__all__ = ["Document", "Evaluated", "describe_quantity", "evaluate_documents", "evaluate_workload"]


@dataclass(frozen=True, slots=True)
class Evaluated:
    """A workload and its pod as Kubernetes sees it."""

    document: Document
    workload: Workload
    evaluation: PodEvaluation
    notes: tuple[str, ...] = ()  # what the chosen Kubernetes release drops from the pod, and admission's notes

    def pods(self, nodes: int | None) -> int | None:
        """Pods at once: a DaemonSet's one per node, given a node count."""
        return pods_on_nodes(self.workload.kind, self.workload.pods, nodes)

    def total(self, nodes: int | None) -> Total | None:
        """Its pods' total (None: a DaemonSet without a node count)."""
        pods = self.pods(nodes)
        ev = self.evaluation
        return None if pods is None else workload_total(ev.requests, ev.limits, ev.unbounded_limits, pods)


def evaluate_documents(
    documents: Iterable[Document],
    nodes: int | None = None,
    units: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    kubernetes_version: str | None = None,
    explain: bool = False,
) -> dict[str, Any]:
    """The effective resources of every workload in ``documents``, and their totals.

    ``kubernetes_version`` (e.g. ``1.28``) computes as that release would; default: the current one.
    """
    units = dict(units or {})
    release_features = release(kubernetes_version)
    check_units(units)
    found = collect(documents, limits)
    classes, errors = runtime_classes(found, limits)  # admission needs them before any pod
    evaluated: list[Evaluated] = []
    skipped: list[tuple[Document, Skipped]] = []
    for doc, path, obj in found:
        what = classify(obj, path)
        if isinstance(what, list):
            errors += [stream_error(doc, None, v.path, v.message) for v in what]
        elif isinstance(what, Skipped):
            skipped.append((doc, what))
        else:
            result = evaluate_workload(doc, what, classes, limits, features=release_features)
            if isinstance(result, list):
                errors += result
            else:
                evaluated.append(result)
    if errors:
        raise InvalidError.listing(errors)
    overall, by_namespace = stream_totals(evaluated, nodes)
    warnings = unit_expression_warnings(found)
    return render.effective_body(
        evaluated, skipped, overall, by_namespace, nodes, units, explain, release_features, warnings
    )


def stream_totals(evaluated: Sequence[Evaluated], nodes: int | None) -> tuple[Total, dict[str | None, Total]]:
    """The stream's total and each namespace's (``add_totals`` in stream order), over the
    workloads whose pods can be counted; a stream in one namespace has that namespace's
    total as its own."""
    namespaces: dict[str | None, list[Total]] = {}
    for e in evaluated:
        total = e.total(nodes)
        if total is not None:
            namespaces.setdefault(e.workload.namespace, []).append(total)
    by_namespace = {ns: add_totals(group) for ns, group in namespaces.items()}
    if len(by_namespace) == 1:
        (overall,) = by_namespace.values()
    else:
        overall = add_totals([t for group in namespaces.values() for t in group])
    return overall, by_namespace


def evaluate_workload(
    doc: Document,
    workload: Workload,
    classes: Mapping[str, ResourceList | None],
    limits: Limits,
    limit_ranges: Sequence[LimitRange] = (),
    features: Features = DEFAULT_FEATURES,
    priorities: Sequence[PriorityClass] = (),
) -> Evaluated | list[Entry]:
    """One workload's pod evaluated, or the errors that make its input invalid.

    ``limit_ranges`` (those of its namespace) apply their defaults and rules; a pod that only
    their defaults make invalid raises ``LimitRangeConflictError`` for the caller to report.
    """
    loaded = read_workload_pod(doc, workload, limits)
    if isinstance(loaded, list):
        return loaded
    loaded, notes = as_released(loaded, features)
    loaded, priority_note = apply_priority_class(loaded, priorities)
    if priority_note is not None:
        notes = [*notes, priority_note]
    spec = apply_runtime_class(loaded, classes)
    if isinstance(spec, list):
        return [stream_error(doc, workload, (*workload.spec_path, *v.path), v.message) for v in spec]
    try:
        evaluation = evaluate_pod(spec, limit_ranges=limit_ranges, features=features)
    except LimitRangeConflictError:
        raise
    except PodInvalidError as err:
        return [stream_error(doc, workload, (*workload.spec_path, *v.path), v.message) for v in err.violations]
    return Evaluated(doc, workload, evaluation, tuple(notes))


def release(text: str | None) -> Features:
    """The features of the release named by the ``kubernetesVersion`` parameter (default: current)."""
    if text is None:
        return DEFAULT_FEATURES
    try:
        return features(parse_version(text))
    except VersionError as err:
        raise parameter_error("kubernetesVersion", str(err)) from err


def check_units(units: Mapping[str, str]) -> None:
    """Each ``unit.<resource>`` parameter names a unit of that resource's dimension."""
    for resource, unit in units.items():
        try:
            _, dimension = unit_factor(unit)
        except QuantityError as err:
            raise parameter_error(f"unit.{resource}", str(err)) from err
        if dimension is not dimension_of(resource):
            raise parameter_error(
                f"unit.{resource}",
                f"{unit!r} measures {dimension.value}, but {resource} is counted in {dimension_of(resource).value}",
            )


def parameter_error(name: str, detail: str) -> ParameterError:
    return ParameterError.of(name, detail)


def describe_quantity(text: str | None, resource: str | None = None, unit: str | None = None) -> dict[str, Any]:
    """One quantity: canonical form, exact value in base units, and in a unit of choice."""
    if text is None:
        raise parameter_error("value", "required, e.g. ?value=1.5Gi")
    try:
        q, dimension = parse_any(text, dimension_of(resource) if resource else None, resource)
    except QuantityError as err:
        raise parameter_error("value", str(err)) from err
    if unit and dimension is None:
        try:
            dimension = unit_factor(unit)[1]
        except QuantityError as err:
            raise parameter_error("unit", str(err)) from err
    converted = None
    if unit:
        try:
            converted = decimal_string(convert(q, unit, dimension))
        except QuantityError as err:
            raise parameter_error("unit", str(err)) from err
    return render.quantity_description(text, q, dimension, resource, round_up_milli(q), unit, converted)
