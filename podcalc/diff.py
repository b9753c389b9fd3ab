"""``POST /v1/diff``, ``POST /v1/what-if`` and ``podcalc diff``: two manifest sets compared.

Both sides are planned (``podcalc.plan``) and compared: per workload (matched by kind,
namespace and name), per namespace and in total, the change in effective requests and
limits and in pods, QoS class changes, and, where the cluster's objects are in the
streams, whether each quota still fits and how many nodes of each shape are needed.

What-if is a diff whose second side is the first with changes applied to named workloads:
a JSON merge patch (RFC 7396), ``replicas``, or a container's resources.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from calc.quantity import Format, Quantity, canonical, parse_quantity
from calc.resources import dimension_of
from calc.units import Dimension
from calc.workloads import TEMPLATE_PATHS, objects
from podcalc.effective import Document
from podcalc.errors import InvalidError, pointer
from podcalc.plan import DEFAULT_NAMESPACE, plan_documents
from podcalc.reading.documents import DEFAULT_LIMITS, Limits, read_documents


def side(value: Any, name: str, limits: Limits) -> list[Document]:
    """One side of a comparison: a YAML or JSON stream as a string, one manifest, or a list of them."""
    if isinstance(value, str):
        documents = read_documents(value.encode("utf-8"), "application/yaml", limits)
    elif isinstance(value, list):
        documents = value
    elif isinstance(value, Mapping):
        documents = [value]
    else:
        raise _body_error(f"/{name}", "must be a YAML or JSON stream (a string), a manifest, or a list of manifests")
    return [Document(i, v, f"{name} document {i}") for i, v in enumerate(documents)]


# a sum of changes prints as its resource is usually written: bytes in binary (1Gi), the rest decimal
_FORMATS = {Dimension.BYTES: Format.BINARY_SI, Dimension.CORES: Format.DECIMAL_SI, Dimension.COUNT: Format.DECIMAL_SI}


def _body_error(at: str, detail: str) -> InvalidError:
    return InvalidError.at(at, detail)


def diff_documents(
    before: Sequence[Document],
    after: Sequence[Document],
    nodes: int | None = None,
    units: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    kubernetes_version: str | None = None,
) -> dict[str, Any]:
    """The body of ``POST /v1/diff``."""
    old = plan_documents(before, nodes, units, limits, kubernetes_version)
    new = plan_documents(after, nodes, units, limits, kubernetes_version)
    return compare(old, new)


def _key(item: Mapping[str, Any]) -> tuple[str, str, str]:
    name = item["name"] if item["name"] is not None else f"(document {item['document']}{item['path']})"
    return item["kind"], item["namespace"] or DEFAULT_NAMESPACE, name


def _keyed(items: Sequence[Mapping[str, Any]], side_name: str) -> dict[tuple[str, str, str], Mapping[str, Any]]:
    """Workloads by (kind, namespace, name); the API server would refuse a second of the same."""
    out: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for item in items:
        key = _key(item)
        if key in out:
            detail = f"{key[0]} {key[2]} in namespace {key[1]} appears twice: the API server keeps one per name"
            raise InvalidError(
                f"{side_name} document {item['document']}: {detail}",
                [{"document": item["document"], "pointer": item["path"], "detail": detail, "source": side_name}],
            )
        out[key] = item
    return out


def _figures(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    pod, total = item["pod"], item["total"]
    return {
        "pods": item["pods"] or 0,
        "podsAdmitted": item["admission"]["podsAdmitted"],
        "requests": total["requests"] if total else {},
        "limits": total["limits"] if total else {},
        "unboundedLimits": total["unboundedLimits"] if total else [],
        "qosClass": pod["qosClass"] if pod else None,
    }


def _delta(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, str]:
    """after - before per resource, exactly; unchanged resources are left out."""
    out: dict[str, Quantity] = {}
    for name in sorted(set(before) | set(after)):
        b = parse_quantity(before[name]) if name in before else None
        a = parse_quantity(after[name]) if name in after else None
        change = (a.nanos if a else 0) - (b.nanos if b else 0)
        if change:
            out[name] = Quantity(change, (a or b).format)  # type: ignore[union-attr]
    return {n: canonical(q) for n, q in out.items()}


def _add(total: dict[str, int], figures: Mapping[str, str], sign: int) -> None:
    for name, text in figures.items():
        total[name] = total.get(name, 0) + sign * parse_quantity(text).nanos


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Two plan bodies compared."""
    before, after = _keyed(old["items"], "before"), _keyed(new["items"], "after")
    workloads = []
    by_namespace: dict[str, dict[str, Any]] = {}
    for key in list(before) + [k for k in after if k not in before]:
        b, a = _figures(before.get(key)), _figures(after.get(key))
        change = "added" if b is None else "removed" if a is None else "changed"
        zero: dict[str, Any] = {"pods": 0, "podsAdmitted": 0, "requests": {}, "limits": {}, "qosClass": None}
        bb, aa = b or zero, a or zero
        delta = {
            "pods": aa["pods"] - bb["pods"],
            "podsAdmitted": aa["podsAdmitted"] - bb["podsAdmitted"],
            "requests": _delta(bb["requests"], aa["requests"]),
            "limits": _delta(bb["limits"], aa["limits"]),
        }
        qos = (
            None if b is None or a is None or b["qosClass"] == a["qosClass"] else f"{b['qosClass']} -> {a['qosClass']}"
        )
        if change == "changed" and not delta["pods"] and not delta["requests"] and not delta["limits"] and not qos:
            change = "unchanged" if bb == aa else "changed"
        workloads.append(
            {
                "kind": key[0],
                "namespace": key[1],
                "name": key[2],
                "change": change,
                "before": b,
                "after": a,
                "delta": delta,
                "qosChange": qos,
            }
        )
        ns = by_namespace.setdefault(key[1], {"pods": 0, "requests": {}, "limits": {}})
        ns["pods"] += delta["pods"]
        for which in ("requests", "limits"):
            _add(ns[which], aa[which], 1)
            _add(ns[which], bb[which], -1)
    namespaces = [
        {
            "namespace": ns,
            "pods": v["pods"],
            "requests": _nonzero(v["requests"]),
            "limits": _nonzero(v["limits"]),
        }
        for ns, v in by_namespace.items()
    ]
    total: dict[str, Any] = {"pods": 0, "requests": {}, "limits": {}}
    for v in by_namespace.values():
        total["pods"] += v["pods"]
        for which in ("requests", "limits"):
            for name, nanos in v[which].items():
                total[which][name] = total[which].get(name, 0) + nanos
    return {
        "workloads": workloads,
        "byNamespace": namespaces,
        "total": {"pods": total["pods"], "requests": _nonzero(total["requests"]), "limits": _nonzero(total["limits"])},
        "qosChanges": [f"{w['kind']}/{w['name']}: {w['qosChange']}" for w in workloads if w["qosChange"]],
        "quotas": _quotas(old["quotas"], new["quotas"]),
        "nodeShapes": _shapes(old["nodeShapes"], new["nodeShapes"]),
        "nodes": {
            "before": None if old["nodes"] is None else old["nodes"]["fits"],
            "after": None if new["nodes"] is None else new["nodes"]["fits"],
        },
        "kubernetes": new["kubernetes"],
    }


def _nonzero(nanos: Mapping[str, int]) -> dict[str, str]:
    """Exact sums of deltas (nanos) printed as quantities; zero changes left out."""
    return {
        name: canonical(Quantity(nanos[name], _FORMATS[dimension_of(name)])) for name in sorted(nanos) if nanos[name]
    }


def _quotas(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    before = {(q["namespace"], q["name"]): q for q in old}
    out = []
    for q in new:
        b = before.get((q["namespace"], q["name"]))
        out.append(
            {
                "namespace": q["namespace"],
                "name": q["name"],
                "fitsBefore": None if b is None else b["fits"],
                "fitsAfter": q["fits"],
                "exceededAfter": q["exceeded"],
                "remainingBefore": None if b is None else b["remaining"],
                "remainingAfter": q["remaining"],
            }
        )
    return out


def _shapes(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    before = {s["name"]: s for s in old}
    return [
        {
            "name": s["name"],
            "nodesBefore": before[s["name"]]["nodesNeeded"] if s["name"] in before else None,
            "nodesAfter": s["nodesNeeded"],
        }
        for s in new
    ]


def gate(body: Mapping[str, Any], thresholds: Mapping[str, str]) -> list[str]:
    """``--fail-if-increase cpu=2``: the total request increases beyond each threshold."""
    failures = []
    for name, text in thresholds.items():
        allowed = parse_quantity(text)
        grown = body["total"]["requests"].get(name)
        if grown is not None and parse_quantity(grown).nanos > allowed.nanos:
            failures.append(f"total {name} requests grow by {grown}, more than {canonical(allowed)}")
    return failures


# --- what-if ---------------------------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge key by key, null removes, anything else replaces."""
    if not isinstance(patch, Mapping):
        return patch
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def apply_changes(documents: Sequence[Document], changes: Any) -> tuple[list[Document], list[str]]:
    """The documents with each change applied to the workload it names; what was done."""
    if not isinstance(changes, list) or not changes:
        raise _body_error("/changes", "must be a non-empty list of changes")
    values = [copy.deepcopy(d.value) for d in documents]
    applied = []
    for i, change in enumerate(changes):
        at = pointer("changes", i)
        target = change.get("target") if isinstance(change, Mapping) else None
        if not isinstance(target, Mapping) or not isinstance(target.get("kind"), str):
            raise _body_error(f"{at}/target", "must name a workload: {kind, name, namespace}")
        found = _find(values, target)
        if found is None:
            raise _body_error(f"{at}/target", f"no {target['kind']} {target.get('name')!r} in the manifests")
        doc, path = found
        obj = _get(values[doc], path)
        obj = _change(obj, change, at)
        values[doc] = _set(values[doc], path, obj)
        applied.append(f"{target['kind']}/{target.get('name')}: " + ", ".join(k for k in change if k != "target"))
    return [Document(d.index, v, d.source) for d, v in zip(documents, values, strict=True)], applied


def _find(values: Sequence[Any], target: Mapping[str, Any]) -> tuple[int, tuple[str | int, ...]] | None:
    namespace = target.get("namespace") or DEFAULT_NAMESPACE
    for i, value in enumerate(values):
        for path, obj in objects(value):
            if not isinstance(obj, Mapping) or obj.get("kind") != target["kind"]:
                continue
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
            if meta.get("name") == target.get("name") and (meta.get("namespace") or DEFAULT_NAMESPACE) == namespace:
                return i, path
    return None


def _get(value: Any, path: Iterable[str | int]) -> Any:
    for key in path:
        value = value[key]
    return value


def _set(value: Any, path: tuple[str | int, ...], new: Any) -> Any:
    if not path:
        return new
    parent = _get(value, path[:-1])
    parent[path[-1]] = new
    return value


def _change(obj: Mapping[str, Any], change: Mapping[str, Any], at: str) -> Any:
    kind = obj["kind"]
    out: Any = obj
    if "patch" in change:
        if not isinstance(change["patch"], Mapping):
            raise _body_error(f"{at}/patch", "a JSON merge patch is an object")
        out = merge_patch(out, change["patch"])
    if "replicas" in change:
        replicas = change["replicas"]
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise _body_error(f"{at}/replicas", "must be a whole number")
        field = "parallelism" if kind in ("Job", "CronJob") else "replicas"
        if kind in ("Pod", "DaemonSet", "PodTemplate"):
            raise _body_error(f"{at}/replicas", f"a {kind} has no replicas")
        spec_patch = {"spec": {field: replicas}}
        if kind == "CronJob":
            spec_patch = {"spec": {"jobTemplate": {"spec": {field: replicas}}}}
        out = merge_patch(out, spec_patch)
    if "containers" in change:
        out = _container_resources(out, change["containers"], f"{at}/containers")
    return out


def _container_resources(obj: Any, containers: Any, at: str) -> Any:
    if not isinstance(containers, Mapping):
        raise _body_error(at, "must map container names to {requests, limits}")
    path = TEMPLATE_PATHS.get(obj.get("kind"), ("spec",)) if isinstance(obj, Mapping) else ()
    spec: Any = obj
    for key in path:
        spec = spec.get(key) if isinstance(spec, Mapping) else None
    if not isinstance(spec, dict):
        raise _body_error(at, f"the workload has no pod template at {pointer(*path)}")
    for name, resources in containers.items():
        if not isinstance(resources, Mapping):
            raise _body_error(f"{at}/{name}", "must be {requests, limits}")
        listed = [spec.get(f) for f in ("containers", "initContainers")]
        matches = [
            c for cs in listed if isinstance(cs, list) for c in cs if isinstance(c, dict) and c.get("name") == name
        ]
        if not matches:
            raise _body_error(f"{at}/{name}", f"no container {name!r} in the pod template")
        current = matches[0].get("resources")
        matches[0]["resources"] = merge_patch(current if isinstance(current, Mapping) else {}, resources)
    return obj


def what_if(
    body: Mapping[str, Any],
    nodes: int | None = None,
    units: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    kubernetes_version: str | None = None,
) -> dict[str, Any]:
    """The body of ``POST /v1/what-if``: the diff of the manifests and the manifests changed."""
    if "manifests" not in body:
        raise _body_error("/manifests", "Required value: the manifests to change")
    before = side(body["manifests"], "manifests", limits)
    after, applied = apply_changes(before, body.get("changes"))
    return {"applied": applied} | diff_documents(before, after, nodes, units, limits, kubernetes_version)
