"""Formats other tools take, made from the same JSON bodies as the tables: CSV (one row per
workload, quantities in base units: millicores for cpu, bytes for memory-like resources, as
kube-capacity and krr give them) and a diff as a pull-request comment in Markdown; and what
the tables share with them: a quantity as a person reads it (``human``) and where an object
stands in the files read (``location``)."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from calc.errors import QuantityError
from calc.quantity import decimal_string, parse_quantity
from calc.resources import dimension_of
from calc.units import Dimension, convert
from podcalc.errors import source_parts

RESOURCES = ("cpu", "memory", "ephemeral-storage")


def base_units(quantity: str | None, resource: str) -> str:
    """A quantity in base units, exactly: cpu in millicores (``1.5`` -> ``1500``), the rest
    in its own unit (bytes: ``1Gi`` -> ``1073741824``); empty where there is none."""
    if quantity is None:
        return ""
    value = parse_quantity(quantity).value
    return decimal_string(value * 1000 if resource == "cpu" else value)[0]


def location(entry: Mapping[str, Any]) -> str:
    """Where an item or a skipped object stands, as ``FILE#DOCUMENT/PATH``: its file, the
    document within that file (from 0) and the object's JSON pointer in it, so that each
    item of a List has its own (``all.yaml#2/items/3``). The CLI's ``source`` is
    ``FILE document N``; an entry without one (a body the API made) is ``document N/PATH``."""
    file, number = source_parts(entry.get("source"))
    if not file:
        return f"document {entry['document']}{entry['path']}"
    return f"{file}#{number}{entry['path']}"


def source_file(entry: Mapping[str, Any]) -> str:
    """The file an entry's ``source`` names (empty without one)."""
    return source_parts(entry.get("source"))[0]


_BINARY = (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


def human(quantity: str, resource: str, unit: str | None = None) -> str:
    """A quantity as a person reads it in a table, as ``kubectl top`` and ``describe node``
    show them: bytes in the largest binary unit that keeps the value at 1 or more, cpu in
    cores from 1 and in millicores below, at most two decimals (halves rounded away from
    zero, ``_round``); ``~`` marks a rounded value
    (``20802969Ki`` -> ``19.84Gi~``, ``1536Mi`` -> ``1.5Gi``, ``1500m`` -> ``1.5``). Other
    resources, and what cannot be read, are shown as the API prints them. With ``unit``
    (``--unit memory=GiB``), the figure is in that unit, with two decimals from 1 and three
    significant digits below (``_places``): ``1536Mi`` -> ``1.5GiB``, ``128Mi`` -> ``0.125GiB``,
    ``1Mi`` -> ``0.000977GiB~``."""
    try:
        q = parse_quantity(quantity)
    except QuantityError:
        return quantity
    value = q.value
    if value == 0:
        return "0"
    if unit is not None:
        scaled = convert(q, unit, dimension_of(resource))
        shown = _round(scaled, _places(scaled))
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
    shown = _round(scaled, places)
    text = decimal_string(Fraction(shown))[0]
    return f"{text}{suffix}" + ("~" if shown != scaled else "")


def _round(value: Fraction, places: int) -> Fraction:
    """``value`` to ``places`` decimals, halves away from zero as a person rounds
    (``0.3125`` -> ``0.313``; Python's ``round`` would give ``0.312``)."""
    scale = 10**places
    rounded = Fraction(math.floor(abs(value) * scale + Fraction(1, 2)), scale)
    return -rounded if value < 0 else rounded


def _places(value: Fraction) -> int:
    """Decimals to show of a figure in a unit asked for: two, or as many as keep three
    significant digits of a figure below 1 (``0.125``, ``0.000977``); at most twelve."""
    places = 2
    while abs(value) * 10**places < 100 and places < 12:
        places += 1
    return places


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
    """``podcalc effective -o csv``: each workload, its pod's figures and its totals, and
    where it stands (``source``: ``FILE#DOCUMENT/PATH``, as the table's SOURCE column)."""
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
        "source",
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
            location(i),
        ]
        for i in body["items"]
    ]
    return _csv(header, rows)


def plan_csv(body: dict[str, Any]) -> str:
    """``podcalc plan -o csv``: each workload, its admission, its pod's figures and where it
    stands (``source``)."""
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
        "source",
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
                location(i),
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
    """Changes in figures as a person reads them, signed: ``cpu +1.5, memory -768Mi``."""
    parts = []
    for name, q in figures.items():
        value = parse_quantity(q).value
        parts.append(f"{name} {'+' if value > Fraction(0) else ''}{human(q, name)}")
    return ", ".join(parts) or "—"


def _pods(delta: Mapping[str, Any]) -> str:
    """A workload's change in pods, and in admitted pods where they differ (``+3 (admitted +2)``)."""
    admitted = "" if delta["podsAdmitted"] == delta["pods"] else f" (admitted {delta['podsAdmitted']:+d})"
    return f"{delta['pods']:+d}{admitted}"


def _workloads(n: int) -> str:
    """``1 workload``, ``3 workloads``."""
    return f"{n} workload" if n == 1 else f"{n} workloads"


def diff_markdown(body: dict[str, Any]) -> str:
    """``podcalc diff -o markdown``: the change as a pull-request comment: a summary line, a
    table of the changed workloads, the QoS changes, and what the change does to each quota
    and node shape; figures as the tables show them (``cpu +1.5, memory -768Mi``)."""
    total = body["total"]
    changed = [w for w in body["workloads"] if w["change"] != "unchanged"]
    lines = [
        f"**podcalc**: {_workloads(len(changed))} changed; pods {total['pods']:+d}; "
        f"requests {_signed(total['requests'])}; limits {_signed(total['limits'])}",
        "",
    ]
    if changed:
        lines += [
            "| Workload | Namespace | Change | Pods | Requests | Limits | QoS |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {w['kind']}/{w['name']} | {w['namespace']} | {w['change']} | {_pods(w['delta'])} | "
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
