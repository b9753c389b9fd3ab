"""Formats other tools take, made from the same JSON bodies as the tables: CSV (one row per
workload, quantities in base units: millicores for cpu, bytes for memory-like resources, as
kube-capacity and krr give them) and a diff as a pull-request comment in Markdown."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from calc.errors import QuantityError
from calc.quantity import decimal_string, parse_quantity
from calc.resources import dimension_of
from calc.units import Dimension, convert

RESOURCES = ("cpu", "memory", "ephemeral-storage")


def base_units(quantity: str | None, resource: str) -> str:
    """A quantity in base units, exactly: cpu in millicores (``1.5`` -> ``1500``), the rest
    in its own unit (bytes: ``1Gi`` -> ``1073741824``); empty where there is none."""
    if quantity is None:
        return ""
    value = parse_quantity(quantity).value
    return decimal_string(value * 1000 if resource == "cpu" else value)[0]


_BINARY = (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


def human(quantity: str, resource: str, unit: str | None = None) -> str:
    """A quantity as a person reads it in a table, as ``kubectl top`` and ``describe node``
    show them: bytes in the largest binary unit that keeps the value at 1 or more, cpu in
    cores from 1 and in millicores below, at most two decimals; ``~`` marks a rounded value
    (``20802969Ki`` -> ``19.84Gi~``, ``1536Mi`` -> ``1.5Gi``, ``1500m`` -> ``1.5``). Other
    resources, and what cannot be read, are shown as the API prints them. With ``unit``
    (``--unit memory=GiB``), the figure is in that unit: ``1536Mi`` -> ``1.5GiB``."""
    try:
        q = parse_quantity(quantity)
    except QuantityError:
        return quantity
    value = q.value
    if value == 0:
        return "0"
    if unit is not None:
        scaled = convert(q, unit, dimension_of(resource))
        shown = round(scaled, 2)
        return f"{decimal_string(Fraction(shown))[0]}{unit}" + ("~" if shown != scaled else "")
    dimension = dimension_of(resource)
    if dimension is Dimension.CORES:
        suffix, scaled = ("", value) if abs(value) >= 1 else ("m", value * 1000)
        places = 2 if suffix == "" else 0
    elif dimension is Dimension.BYTES:
        suffix, factor = next(((s, f) for s, f in _BINARY if abs(value) >= f), ("", 1))
        scaled, places = value / factor, 2
    else:
        return quantity
    shown = round(scaled, places)
    text = decimal_string(Fraction(shown))[0]
    return f"{text}{suffix}" + ("~" if shown != scaled else "")


def _columns(kind: str) -> list[str]:
    unit = {"cpu": "millicores", "memory": "bytes", "ephemeral-storage": "bytes"}
    return [f"{kind}_{r.replace('-', '_')}_{unit[r]}" for r in RESOURCES]


def _figures(figures: Mapping[str, str] | None) -> list[str]:
    return [base_units((figures or {}).get(r), r) for r in RESOURCES]


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().rstrip("\n")


def effective_csv(body: dict[str, Any]) -> str:
    """``podcalc effective -o csv``: each workload, its pod's figures and its totals."""
    header = [
        "kind",
        "namespace",
        "name",
        "document",
        "pods",
        "qos_class",
        *_columns("request"),
        *_columns("limit"),
        *_columns("total_request"),
        *_columns("total_limit"),
    ]
    rows = [
        [
            i["kind"],
            i["namespace"] or "default",
            i["name"] or "",
            i["document"],
            "" if i["pods"] is None else i["pods"],
            i["pod"]["qosClass"],
            *_figures(i["pod"]["requests"]),
            *_figures(i["pod"]["limits"]),
            *_figures((i["total"] or {}).get("requests")),
            *_figures((i["total"] or {}).get("limits")),
        ]
        for i in body["items"]
    ]
    return _csv(header, rows)


def plan_csv(body: dict[str, Any]) -> str:
    """``podcalc plan -o csv``: each workload, its admission and its pod's figures."""
    header = [
        "kind",
        "namespace",
        "name",
        "document",
        "pods",
        "pods_admitted",
        "pods_refused",
        "refused_by",
        *_columns("request"),
        *_columns("limit"),
    ]
    rows = []
    for i in body["items"]:
        admission, pod = i["admission"], i.get("pod") or {}
        refused_by = ";".join(r["by"] for r in admission["rejections"])
        rows.append(
            [
                i["kind"],
                i["namespace"],
                i["name"] or "",
                i["document"],
                "" if i["pods"] is None else i["pods"],
                admission["podsAdmitted"],
                admission["podsRefused"],
                refused_by,
                *_figures(pod.get("requests")),
                *_figures(pod.get("limits")),
            ]
        )
    return _csv(header, rows)


def diff_csv(body: dict[str, Any]) -> str:
    """``podcalc diff -o csv``: each workload's change, before and after."""
    header = [
        "kind",
        "namespace",
        "name",
        "change",
        "pods_delta",
        *_columns("request_delta"),
        *_columns("limit_delta"),
        "qos_change",
    ]
    rows = [
        [
            w["kind"],
            w["namespace"],
            w["name"],
            w["change"],
            w["delta"]["pods"],
            *_figures(w["delta"]["requests"]),
            *_figures(w["delta"]["limits"]),
            w["qosChange"] or "",
        ]
        for w in body["workloads"]
    ]
    return _csv(header, rows)


def _signed(figures: Mapping[str, str]) -> str:
    parts = []
    for name, q in figures.items():
        value = parse_quantity(q).value
        parts.append(f"{name} {'+' if value > Fraction(0) else ''}{q}")
    return ", ".join(parts) or "—"


def diff_markdown(body: dict[str, Any]) -> str:
    """``podcalc diff -o markdown``: the change as a pull-request comment."""
    total = body["total"]
    changed = [w for w in body["workloads"] if w["change"] != "unchanged"]
    lines = [
        f"**podcalc**: {len(changed)} workload(s) changed; pods {total['pods']:+d}; "
        f"requests {_signed(total['requests'])}; limits {_signed(total['limits'])}",
        "",
    ]
    if changed:
        lines += [
            "| Workload | Namespace | Change | Pods | Requests | Limits | QoS |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {w['kind']}/{w['name']} | {w['namespace']} | {w['change']} | {w['delta']['pods']:+d} | "
            f"{_signed(w['delta']['requests'])} | {_signed(w['delta']['limits'])} | {w['qosChange'] or '—'} |"
            for w in changed
        ]
    else:
        lines.append("No workload changed.")
    if body["qosChanges"]:
        lines += ["", "**QoS changes**", "", *[f"- {c}" for c in body["qosChanges"]]]
    fits = {True: "fits", False: "does not fit", None: "absent"}
    consequences = [
        f"- quota {q['namespace'] or 'default'}/{q['name']}: {fits[q['fitsBefore']]} → {fits[q['fitsAfter']]}"
        for q in body["quotas"]
    ]
    consequences += [
        f"- node shape {s['name']}: {s['nodesBefore']} → {s['nodesAfter']} nodes" for s in body["nodeShapes"]
    ]
    if body["nodes"]["before"] is not None or body["nodes"]["after"] is not None:
        consequences.append(f"- Nodes: {fits[body['nodes']['before']]} → {fits[body['nodes']['after']]}")
    if consequences:
        lines += ["", "**Quotas and nodes**", "", *consequences]
    return "\n".join(lines)
