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
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from calc.diff import (
    Diff,
    DuplicateWorkloadError,
    Figures,
    PlanFigures,
    PlannedWorkload,
    QuotaState,
    compare,
    increases_beyond,
)
from calc.errors import Path
from calc.quantity import parse_quantity
from calc.resources import UNBOUNDED_WITHOUT_LIMIT
from podcalc import render_plan
from podcalc.errors import Entry, InvalidError, pointer
from podcalc.plan import Plan, plan
from podcalc.reading.changes import (
    Target,
    change_list,
    changed_fields,
    container,
    find,
    pod_template,
    read_containers,
    read_patch,
    read_replicas,
    read_resources,
    read_target,
    read_what_if,
)
from podcalc.reading.limits import DEFAULT_LIMITS, Limits
from podcalc.reading.manifests import Document, replicas_path

__all__ = [
    "Compared",
    "apply_changes",
    "diff",
    "diff_documents",
    "gate",
    "merge_patch",
    "what_if",
    "what_if_documents",
]


class Compared(NamedTuple):
    """Two sides compared: the comparison, the plan after (for its release), and the warnings
    of both sides' manifests, each located by its side's source."""

    diff: Diff
    after: Plan
    warnings: list[Entry]


def diff_documents(
    before: Sequence[Document],
    after: Sequence[Document],
    nodes: int | None = None,
    units: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    kubernetes_version: str | None = None,
) -> dict[str, Any]:
    """The body of ``POST /v1/diff``."""
    return render_plan.diff_body(diff(before, after, nodes, units, limits, kubernetes_version))


def diff(
    before: Sequence[Document],
    after: Sequence[Document],
    nodes: int | None = None,
    units: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    kubernetes_version: str | None = None,
) -> Compared:
    """Both sides planned and compared (``calc.diff.compare``); the plan after, for its release."""
    old = plan(before, nodes, units, limits, kubernetes_version)
    new = plan(after, nodes, units, limits, kubernetes_version)
    try:
        return Compared(compare(_figures(old), _figures(new)), new, old.warnings + new.warnings)
    except DuplicateWorkloadError as err:
        at = err.location
        entry = {"document": at.document, "pointer": pointer(*at.path), "detail": err.reason, "source": err.side}
        raise InvalidError(str(err), [entry]) from err


def _figures(p: Plan) -> PlanFigures:
    """What a comparison reads of a plan: each workload's figures, the quotas, the shapes."""
    workloads = []
    for item in p.planned:
        w = item.workload
        name = w.name if w.name is not None else f"(document {item.document.index}{pointer(*w.path)})"
        ev = item.evaluated.evaluation if item.evaluated is not None else None
        total = item.evaluated.total(p.node_count) if item.evaluated is not None else None
        figures = Figures(
            pods=item.pods or 0,
            pods_admitted=item.admitted.pods,
            requests=total.requests if total else {},
            limits=total.limits if total else {},
            unbounded=tuple(n for n in UNBOUNDED_WITHOUT_LIMIT if total and n in total.unbounded),
            qos_class=ev.qos_class.value if ev is not None else None,
        )
        key = (w.kind, item.namespace, name)
        workloads.append(PlannedWorkload(key, item.document.location(w.path), figures))
    quotas = [QuotaState(q.quota.namespace, q.quota.name, q.fits, q.exceeded, q.remaining) for q in p.quotas]
    shapes = [(s.shape.name, s.packing.opened) for s in p.shapes]
    return PlanFigures(workloads, quotas, shapes, None if p.nodes is None else p.nodes.fits)


def gate(d: Diff, thresholds: Mapping[str, str]) -> list[str]:
    """``--fail-if-increase cpu=2``: the total request increases beyond each threshold."""
    return increases_beyond(d, {name: parse_quantity(text) for name, text in thresholds.items()})


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
    requests = change_list(changes)
    values = [copy.deepcopy(d.value) for d in documents]
    applied = []
    for i, change in enumerate(requests):
        at = pointer("changes", i)
        target = read_target(change, at)
        found = find(values, target, at)
        values[found.document] = _set(values[found.document], found.path, _change(found.value, target, change, at))
        applied.append(f"{target}: " + ", ".join(changed_fields(change)))
    return [Document(d.index, v, d.source) for d, v in zip(documents, values, strict=True)], applied


def _set(value: Any, path: Path, new: Any) -> Any:
    """``value`` with ``new`` at ``path`` (the whole of it at the root)."""
    if not path:
        return new
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new
    return value


def _change(obj: Mapping[str, Any], target: Target, change: Mapping[str, Any], at: str) -> Any:
    """The object with one change request applied: its merge patch, then its replicas, then
    its containers' resources."""
    out: Any = obj
    patch = read_patch(change, at)
    if patch is not None:
        out = merge_patch(out, patch)
    replicas = read_replicas(change, at)
    if replicas is not None:
        field = replicas_path(target.kind)
        if field is None:
            raise InvalidError.at(f"{at}/replicas", f"a {target.kind} has no replicas")
        out = merge_patch(out, _nested(field, replicas))
    containers = read_containers(change, at)
    if containers is not None:
        spec = pod_template(out, f"{at}/containers")
        for name, raw in containers.items():
            resources = read_resources(raw, f"{at}/containers/{name}")
            found = container(spec, name, f"{at}/containers/{name}")
            found["resources"] = merge_patch(found.get("resources"), resources)
    return out


def _nested(path: Path, value: Any) -> dict[str, Any]:
    """The merge patch that sets ``path`` (object keys) to ``value``."""
    patch: Any = value
    for key in reversed(path):
        patch = {key: patch}
    return dict(patch)


def what_if_documents(
    before: Sequence[Document],
    changes: Any,
    nodes: int | None = None,
    units: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    kubernetes_version: str | None = None,
) -> dict[str, Any]:
    """The body of ``POST /v1/what-if`` and ``podcalc what-if``: what each change did
    (``applied``), and the diff of the manifests and the manifests changed."""
    after, applied = apply_changes(before, changes)
    return render_plan.what_if_body(applied, diff(before, after, nodes, units, limits, kubernetes_version))


def what_if(
    body: Mapping[str, Any],
    nodes: int | None = None,
    units: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    kubernetes_version: str | None = None,
) -> dict[str, Any]:
    """The body of ``POST /v1/what-if`` for its request body."""
    before, changes = read_what_if(body, limits)
    return what_if_documents(before, changes, nodes, units, limits, kubernetes_version)
