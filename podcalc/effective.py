"""What the HTTP views and the CLI share: documents in, response bodies out.

``evaluate_documents`` turns decoded manifests into the body of
``POST /v1/effective-resources`` (the CLI's ``-o json`` prints exactly that body);
``describe_quantity`` is ``GET /v1/quantity``. Both raise ``podcalc.errors.InputError`` for bad input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from calc.admission import apply_runtime_class
from calc.errors import PodInvalidError, QuantityError
from calc.evaluate import LimitRangeConflictError, PodEvaluation, evaluate_pod
from calc.limitrange import LimitRange
from calc.pod import ResourceList
from calc.quantity import decimal_string, round_up_milli
from calc.resources import UNBOUNDED_WITHOUT_LIMIT, dimension_of, parse_any
from calc.units import convert, unit_factor
from calc.versions import DEFAULT_FEATURES, Features, VersionError, as_released, features, parse_version
from calc.workloads import Skipped, Workload, classify, objects, scale, sum_resources
from podcalc.errors import InvalidError, ParameterError, pointer
from podcalc.reading.documents import DEFAULT_LIMITS, Limits, too_large
from podcalc.reading.podspec import FieldError, flatten_messages, load_resource_list, read_pod_spec
from podcalc.render import explanation, pod_result, quantities


@dataclass(frozen=True, slots=True)
class Document:
    """One decoded document: its index in the stream, and for the CLI where it came from."""

    index: int
    value: Any
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Evaluated:
    document: Document
    workload: Workload
    evaluation: PodEvaluation
    notes: tuple[str, ...] = ()  # what the chosen Kubernetes release drops from the pod


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
    found = collect(documents, units, limits)
    classes, errors = runtime_classes(found, limits)  # admission needs them before any pod
    evaluated: list[Evaluated] = []
    skipped: list[dict[str, Any]] = []
    for doc, path, obj in found:
        what = classify(obj, path)
        if isinstance(what, list):
            errors += [stream_error(doc, None, v.path, v.message) for v in what]
        elif isinstance(what, Skipped):
            skipped.append(skipped_entry(doc, what))
        else:
            result = evaluate_workload(doc, what, classes, limits, features=release_features)
            if isinstance(result, list):
                errors += result
            else:
                evaluated.append(result)
    if errors:
        raise InvalidError.listing(errors)
    items, counted = [], []
    for e in evaluated:
        item, count = workload_item(e, nodes, units)
        if explain:
            item["explanation"] = explanation(e.evaluation)
        items.append(item)
        counted.append(count)
    return {
        "items": items,
        "skipped": skipped,
        "total": _total(evaluated, counted, units),
        "kubernetes": kubernetes_block(release_features, evaluated),
    }


def release(text: str | None) -> Features:
    """The features of the release named by the ``kubernetesVersion`` parameter (default: current)."""
    if text is None:
        return DEFAULT_FEATURES
    try:
        return features(parse_version(text))
    except VersionError as err:
        raise parameter_error("kubernetesVersion", str(err)) from err


def kubernetes_block(f: Features, evaluated: Iterable[Evaluated]) -> dict[str, Any]:
    """The release computed as, its gates, and what it dropped from which workload."""
    return {
        "version": f.name,
        "features": {"SidecarContainers": f.sidecar_containers, "PodLevelResources": f.pod_level_resources},
        "notes": [f"{e.workload.kind} {e.workload.name or '(unnamed)'}: {n}" for e in evaluated for n in e.notes],
    }


Found = list[tuple[Document, tuple[str | int, ...], Any]]  # (document, path in it, object)


def collect(documents: Iterable[Document], units: Mapping[str, str], limits: Limits) -> Found:
    """Every object of the stream (Lists expanded), once the parameters and its size are checked."""
    check_units(units)
    found = [(doc, path, obj) for doc in documents if doc.value is not None for path, obj in objects(doc.value)]
    if len(found) > limits.workloads:
        raise too_large(f"{len(found):,} objects in the request", limits.workloads, "PODCALC_MAX_WORKLOADS")
    return found


def runtime_classes(
    found: list[tuple[Document, tuple[str | int, ...], Any]], limits: Limits
) -> tuple[dict[str, ResourceList | None], list[dict[str, Any]]]:
    """The RuntimeClasses of the stream: name -> overhead.podFixed (None without one)."""
    classes: dict[str, ResourceList | None] = {}
    errors: list[dict[str, Any]] = []
    for doc, path, obj in found:
        if not isinstance(obj, Mapping) or obj.get("kind") != "RuntimeClass":
            continue
        name = (obj.get("metadata") or {}).get("name") if isinstance(obj.get("metadata"), Mapping) else None
        overhead = obj.get("overhead")
        fixed = overhead.get("podFixed") if isinstance(overhead, Mapping) else None
        if not isinstance(name, str):
            continue  # classify reports a malformed name
        try:
            classes[name] = None if fixed is None else load_resource_list(fixed, limits.quantity_length)
        except FieldError as err:
            at = pointer(*path, "overhead", "podFixed")
            errors += [stream_error(doc, None, None, detail, at) for at, detail in flatten_messages(err.messages, at)]
    return classes, errors


def evaluate_workload(
    doc: Document,
    workload: Workload,
    classes: Mapping[str, ResourceList | None],
    limits: Limits,
    limit_ranges: Sequence[LimitRange] = (),
    features: Features = DEFAULT_FEATURES,
) -> Evaluated | list[dict[str, Any]]:
    """One workload's pod evaluated, or the errors that make its input invalid.

    ``limit_ranges`` (those of its namespace) apply their defaults and rules; a pod that only
    their defaults make invalid raises ``LimitRangeConflictError`` for the caller to report.
    """
    raw_spec, missing = _at(doc.value, workload.spec_path)
    if missing is not None:
        what = "a PodSpec object" if workload.kind == "PodSpec" else f"a {workload.kind} needs an object here"
        return [stream_error(doc, workload, missing, what)]
    count = sum(
        len(raw_spec.get(f) or ()) for f in ("containers", "initContainers") if isinstance(raw_spec.get(f), list)
    )
    if count > limits.containers:
        where = stream_error(doc, workload, workload.spec_path, f"{count} containers")
        raise too_large(f"{count:,} containers in one pod", limits.containers, "PODCALC_MAX_CONTAINERS", [where])
    prefix = pointer(*workload.spec_path)
    try:
        loaded = read_pod_spec(raw_spec, limits.quantity_length)
    except FieldError as err:
        return [stream_error(doc, workload, None, detail, at) for at, detail in flatten_messages(err.messages, prefix)]
    loaded, notes = as_released(loaded, features)
    spec = apply_runtime_class(loaded, classes)
    if isinstance(spec, list):
        return [stream_error(doc, workload, (*workload.spec_path, *v.path), v.message) for v in spec]
    try:
        evaluation = evaluate_pod(spec, limit_ranges=limit_ranges)
    except LimitRangeConflictError:
        raise
    except PodInvalidError as err:
        return [stream_error(doc, workload, (*workload.spec_path, *v.path), v.message) for v in err.violations]
    return Evaluated(doc, workload, evaluation, tuple(notes))


def _at(document: Any, path: tuple[str | int, ...]) -> tuple[Any, tuple[str | int, ...] | None]:
    """The value at ``path``, or the first step that is missing or not an object."""
    value = document
    for i, key in enumerate(path):
        container_ok = isinstance(value, list) if isinstance(key, int) else isinstance(value, Mapping)
        if not container_ok:
            return None, path[:i]
        value = value[key] if isinstance(key, int) else value.get(key)
        if value is None:
            return None, path[: i + 1]
    if not isinstance(value, Mapping):
        return None, path
    return value, None


def stream_error(
    doc: Document,
    workload: Workload | None,
    path: tuple[str | int, ...] | None,
    detail: str,
    at: str | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "document": doc.index,
        "pointer": at if at is not None else pointer(*(path or ())),
        "detail": detail,
    }
    if workload is not None:
        entry["kind"], entry["name"] = workload.kind, workload.name
    if doc.source is not None:
        entry["source"] = doc.source
    return entry


def skipped_entry(doc: Document, s: Skipped) -> dict[str, Any]:
    return {
        "document": doc.index,
        "path": pointer(*s.path),
        "kind": s.kind,
        "name": s.name,
        "namespace": s.namespace,
        "reason": s.reason,
    }


@dataclass(frozen=True, slots=True)
class Counted:
    """A workload's total: pods at once, and the per-pod figures times that."""

    namespace: str | None
    pods: int
    requests: ResourceList
    limits: ResourceList
    unbounded: tuple[str, ...]


def workload_item(e: Evaluated, nodes: int | None, units: Mapping[str, str]) -> tuple[dict[str, Any], Counted | None]:
    w, ev = e.workload, e.evaluation
    pods = nodes if w.pods is None else w.pods  # a DaemonSet: one pod per node
    pod = pod_result(ev)
    if units:
        pod["inUnits"] = _in_units(ev.requests, ev.limits, units)
    counted = None
    if pods is not None:
        counted = Counted(
            w.namespace, pods, scale(ev.requests, pods), scale(ev.limits, pods), ev.unbounded_limits if pods else ()
        )
    item = {
        "kind": w.kind,
        "name": w.name,
        "namespace": w.namespace,
        "document": e.document.index,
        "path": pointer(*w.path),
        "replicas": w.pods,
        "podsPerNode": 1 if w.pods is None else None,
        "pods": pods,
        "pod": pod,
        "total": None if counted is None else figures(counted.requests, counted.limits, counted.unbounded, units),
    }
    return item, counted


def figures(
    requests: ResourceList, limits: ResourceList, unbounded: Iterable[str], units: Mapping[str, str]
) -> dict[str, Any]:
    present = set(unbounded)
    out: dict[str, Any] = {
        "requests": quantities(requests),
        "limits": quantities(limits),
        "unboundedLimits": [n for n in UNBOUNDED_WITHOUT_LIMIT if n in present],
    }
    if units:
        out["inUnits"] = _in_units(requests, limits, units)
    return out


def _total(evaluated: list[Evaluated], counted: list[Counted | None], units: Mapping[str, str]) -> dict[str, Any]:
    notes = [
        f"{e.workload.kind} {e.workload.name or '(unnamed)'} runs one pod per node: "
        "give a node count (nodes=N) to count it"
        for e, c in zip(evaluated, counted, strict=True)
        if c is None
    ]

    def block(group: list[Counted]) -> dict[str, Any]:
        requests = sum_resources([c.requests for c in group])
        limits = sum_resources([c.limits for c in group])
        unbounded = {n for c in group for n in c.unbounded}
        return {"pods": sum(c.pods for c in group)} | figures(requests, limits, unbounded, units)

    known = [c for c in counted if c is not None]
    namespaces: dict[str | None, list[Counted]] = {}
    for c in known:
        namespaces.setdefault(c.namespace, []).append(c)
    by_namespace = [{"namespace": ns} | block(group) for ns, group in namespaces.items()]
    # with one namespace, the overall total is that namespace's: no need to add it up twice
    overall = {k: v for k, v in by_namespace[0].items() if k != "namespace"} if len(namespaces) == 1 else block(known)
    return overall | {"complete": not notes, "notes": notes, "byNamespace": by_namespace}


def check_units(units: Mapping[str, str]) -> None:
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


def _in_units(requests: ResourceList, limits: ResourceList, units: Mapping[str, str]) -> dict[str, Any]:
    def convert_all(resources: ResourceList) -> dict[str, str]:
        return {
            name: decimal_string(convert(resources[name], unit, dimension_of(name)))[0]
            for name, unit in sorted(units.items())
            if name in resources
        }

    return {"units": dict(sorted(units.items())), "requests": convert_all(requests), "limits": convert_all(limits)}


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
    body: dict[str, Any] = {
        "input": text,
        "canonical": str(q),
        "format": q.format.value,
        "value": q.decimal(),
        "baseUnit": dimension.value if dimension else None,
        "resource": resource,
        "stored": str(round_up_milli(q)),
    }
    if unit:
        try:
            in_unit, exact = decimal_string(convert(q, unit, dimension))
        except QuantityError as err:
            raise parameter_error("unit", str(err)) from err
        body |= {"unit": unit, "inUnit": in_unit, "inUnitExact": exact}
    return body
