"""Text output: the JSON bodies of ``podcalc.render`` as tables a person reads in a terminal.

Every table is made from the same body ``-o json`` prints, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from calc.resources import UNBOUNDED_WITHOUT_LIMIT
from podcalc.errors import where
from podcalc.formats import human, location, source_file

Units = Mapping[str, str] | None  # --unit: resource -> unit (memory -> GiB)


def resources(resources: dict[str, str], units: Units = None) -> str:
    """Figures as a person reads them (``podcalc.formats.human``), each in the unit ``--unit``
    gives its resource; the JSON keeps Kubernetes' strings."""
    return " ".join(f"{name}={human(value, name, unit_of(name, units))}" for name, value in resources.items()) or "-"


def unit_of(name: str, units: Units) -> str | None:
    """The ``--unit`` of a resource, or of the one a quota's name counts (``requests.memory``)."""
    if not units:
        return None
    return units.get(name) or units.get(name.removeprefix("requests.").removeprefix("limits."))


def pods(n: int) -> str:
    """``1 pod``, ``2 pods``."""
    return f"{n} pod" if n == 1 else f"{n} pods"


def pods_change(n: int) -> str:
    """A change in pods, signed: ``+1 pod``, ``-2 pods``, ``+0 pods``."""
    return f"{n:+d} pod" if abs(n) == 1 else f"{n:+d} pods"


def cli_words(note: str) -> str:
    """A note of a JSON body in the command's words: the API's ``nodes=N`` is ``--nodes N`` here."""
    return note.replace("nodes=N", "--nodes N")


def _unbounded(names: Iterable[str]) -> str:
    """Resources without a limit, in the order the bodies list them."""
    found = set(names)
    ordered = [n for n in UNBOUNDED_WITHOUT_LIMIT if n in found] + sorted(found - set(UNBOUNDED_WITHOUT_LIMIT))
    return ", ".join(ordered) or "none"


def _figures(group: dict[str, Any], units: Units = None) -> str:
    figures = f"requests {resources(group['requests'], units)}; limits {resources(group['limits'], units)}"
    return f"{pods(group['pods'])}; {figures}"


def _totals(body: dict[str, Any], units: Units = None) -> list[str]:
    """The total and each namespace's. Where a workload is not counted (a DaemonSet without a
    node count: ``complete`` is false), the total is unknown and said to be: what is counted
    is shown as such, and the unbounded limits include the uncounted workloads' own."""
    total = body["total"]
    uncounted: dict[str | None, list[str]] = {}
    for item in body["items"]:
        if item["pods"] is None:
            uncounted.setdefault(item["namespace"], []).extend(item["pod"]["unboundedLimits"])
    counted = {group["namespace"]: group for group in total["byNamespace"]}
    namespaces = list(counted) + [ns for ns in uncounted if ns not in counted]
    groups: list[tuple[str, dict[str, Any] | None, list[str] | None]] = [
        (
            "total",
            total if counted or not uncounted else None,
            [n for names in uncounted.values() for n in names] if uncounted else None,
        )
    ]
    if len(namespaces) > 1:
        groups += [(f"namespace {ns or 'default'}", counted.get(ns), uncounted.get(ns)) for ns in namespaces]
    lines = []
    for label, group, missing in groups:
        if missing is None and group is not None:
            lines.append(f"{label}: {_figures(group, units)}; unbounded limits: {_unbounded(group['unboundedLimits'])}")
            continue
        names = [*(group["unboundedLimits"] if group is not None else ()), *(missing or ())]
        lines.append(
            f"{label}: unknown: a DaemonSet's pods are not counted without a node count (--nodes N); "
            f"unbounded limits: {_unbounded(names)}"
        )
        if group is not None:
            lines.append(f"  counted: {_figures(group, units)}")
    return lines


# Up to this many objects passed over are listed one a line; more are summarised by reason
# and kind (53 for one argo-cd install would bury the answer), and --show-skipped lists them.
SKIPPED_LISTED = 5
_GROUPS = (
    ("operator may run pods", "kinds podcalc does not compute, whose operators may run pods"),
    ("a cluster object", "cluster objects, which podcalc plan applies to the workloads"),
    ("", "objects that run no pods"),
)


def skipped(body: dict[str, Any], show: bool = False) -> list[str]:
    """The objects passed over: each with the reason and where it stands, or, beyond
    ``SKIPPED_LISTED`` unless ``show``, a line per reason with the count of each kind."""
    listed = body["skipped"]
    if show or len(listed) <= SKIPPED_LISTED:
        out = []
        for s in listed:
            out.append(f"skipped: {s['kind'] or '(no kind)'}/{s['name'] or '(unnamed)'} ({location(s)}): {s['reason']}")
        return out
    groups: dict[str, dict[str, int]] = {}
    for s in listed:
        title = next(title for marker, title in _GROUPS if marker in s["reason"])
        kinds = groups.setdefault(title, {})
        kinds[s["kind"] or "(no kind)"] = kinds.get(s["kind"] or "(no kind)", 0) + 1
    lines = []
    for title, kinds in groups.items():
        counted = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
        lines.append(f"skipped {sum(kinds.values())} {title}: {counted}")
    return [*lines, "(--show-skipped lists each one)"]


def warnings(body: dict[str, Any]) -> list[str]:
    """A line under the table for each quantity the API server would not read (a unit expression)."""
    return [f"warning: {where(w)}{w['pointer']}: {w['value']!r} is {w['detail']}" for w in body["warnings"]]


def with_sources(body: dict[str, Any], rows: list[Sequence[object]]) -> list[Sequence[object]]:
    """``rows`` (a header, then one row per item) with a SOURCE column when the items come
    from more than one file: each item's ``location``."""
    if len({source_file(item) for item in body["items"]}) < 2:
        return rows
    cells = [location(item) for item in body["items"]]
    return [(*rows[0], "SOURCE"), *((*row, cell) for row, cell in zip(rows[1:], cells, strict=True))]


def effective(body: dict[str, Any], show_skipped: bool = False, units: Units = None) -> str:
    rows: list[Sequence[object]] = [("WORKLOAD", "NAMESPACE", "PODS", "QOS", "REQUESTS/POD", "LIMITS/POD", "UNBOUNDED")]
    for item in body["items"]:
        pod = item["pod"]
        pods = item["pods"] if item["pods"] is not None else "1/node"
        rows.append(
            (
                f"{item['kind']}/{item['name'] or '(unnamed)'}",
                item["namespace"] or "default",
                str(pods),
                pod["qosClass"],
                resources(pod["requests"], units),
                resources(pod["limits"], units),
                ",".join(pod["unboundedLimits"]) or "-",
            )
        )
    lines = columns(with_sources(body, rows))
    total = body["total"]
    lines.append("")
    lines += _totals(body, units)
    if total.get("inUnits") and (total["complete"] or total["byNamespace"]):
        converted = total["inUnits"]
        lines.append(
            ("in units: " if total["complete"] else "in units, of what is counted: ")
            + ", ".join(
                f"{name} requests {converted['requests'].get(name, '0')} / limits "
                f"{converted['limits'].get(name, '-')} {unit}"
                for name, unit in converted["units"].items()
            )
        )
    lines += [f"note: {cli_words(note)}" for note in total["notes"]]
    lines += skipped(body, show_skipped)
    return "\n".join(lines + warnings(body))


def columns(rows: Sequence[Sequence[object]], indent: str = "") -> list[str]:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def plan(body: dict[str, Any], show_skipped: bool = False, units: Units = None) -> str:
    items = body["items"]

    def label(index: int) -> str:
        item = items[index]
        return f"{item['kind']}/{item['name'] or '(unnamed)'}"

    rows: list[Sequence[object]] = [
        ("WORKLOAD", "NAMESPACE", "PODS", "ADMITTED", "QOS", "REQUESTS/POD", "MORE (QUOTA)")
    ]
    for item in items:
        pod, quota = item["pod"], item["quota"]
        more = "-" if quota["morePods"] is None else f"{quota['morePods']} ({quota['limitedBy']['resource']})"
        counted = item["pods"] is not None
        rows.append(
            (
                label(items.index(item)),
                item["namespace"],
                item["pods"] if counted else "1/node",
                item["admission"]["podsAdmitted"] if counted else "-",  # not counted: not put to the quotas
                pod["qosClass"] if pod else "-",
                resources(pod["requests"], units) if pod else "-",
                more,
            )
        )
    lines = columns(with_sources(body, rows))
    for index, item in enumerate(items):
        if item["limitRangeDefaults"]["annotation"]:
            lines.append(f"{label(index)}: {item['limitRangeDefaults']['annotation']}")
        for r in item["admission"]["rejections"]:
            lines.append(f"refused: {label(index)}: {r['message']}")
        if item["pods"] is None:
            lines.append(
                f"note: {label(index)} runs one pod per node: give a node count (--nodes N), or the cluster's "
                "Nodes, to count its pods; until then no quota counts them"
            )
    lines += skipped(body, show_skipped)
    for q in body["quotas"]:
        state = "fits" if q["fits"] else "does not fit"
        lines += ["", f"quota {q['namespace'] or 'default'}/{q['name']}: {state}; binds first: {q['binding'] or '-'}"]
        table: list[Sequence[object]] = [("RESOURCE", "HARD", "USED", "REQUESTED", "REMAINING", "USE")]
        for name, hard in q["hard"].items():
            table.append(
                (
                    name,
                    human(hard, name, unit_of(name, units)),
                    human(q["used"].get(name, "0"), name, unit_of(name, units)),
                    human(q["requested"].get(name, "0"), name, unit_of(name, units)),
                    human(q["remaining"][name], name, unit_of(name, units)),
                    q["utilisation"][name] or "-",
                )
            )
        lines += columns(table, "  ")
    existing = body["nodes"]
    if existing:
        lines += ["", f"nodes: {'everything fits' if existing['fits'] else 'not everything fits'}"]
        table = [("NODE", "ALLOCATABLE", "FREE")]
        table += [
            (n["name"], resources(n["allocatable"], units), resources(n["free"], units)) for n in existing["nodes"]
        ]
        lines += columns(table, "  ")
        lines += [f"  unplaced: {label(u['item'])}: {pods(u['pods'])}" for u in existing["unplaced"]]
        lines += [f"  note: {note}" for note in existing["notes"]]
    for shape in body["nodeShapes"]:
        lines += [
            "",
            f"node shape {shape['name']} ({shape['reservation']['model']}): allocatable "
            f"{resources(shape['allocatable'], units)}; nodes needed: {shape['nodesNeeded']}",
        ]
        if shape["daemonSetsPerNode"]:
            fit = "" if shape["daemonSetsFit"] else " (more than a node has: they do not fit)"
            lines.append(f"  DaemonSets on every node: {resources(shape['daemonSetsPerNode'], units)}{fit}")
        lines += [
            f"  {label(f['item'])}: {f['pods']} per node (limited by {f['limitedBy']})" for f in shape["podsPerNode"]
        ]
        lines += [f"  unplaced: {label(u['item'])}: {pods(u['pods'])} fit on no node" for u in shape["unplaced"]]
    return "\n".join(lines + warnings(body))


def diff(body: dict[str, Any], units: Units = None) -> str:
    rows: list[Sequence[object]] = [("WORKLOAD", "NAMESPACE", "CHANGE", "PODS", "REQUESTS", "LIMITS", "QOS")]
    for w in body["workloads"]:
        if w["change"] == "unchanged":
            continue
        d = w["delta"]
        rows.append(
            (
                f"{w['kind']}/{w['name']}",
                w["namespace"],
                w["change"],
                f"{d['pods']:+d}" + (f" (admitted {d['podsAdmitted']:+d})" if d["podsAdmitted"] != d["pods"] else ""),
                resources(d["requests"], units),
                resources(d["limits"], units),
                w["qosChange"] or "-",
            )
        )
    lines = [f"applied: {a}" for a in body.get("applied", [])]
    lines += columns(rows) if len(rows) > 1 else ["no workload changed"]
    total = body["total"]
    lines += [
        "",
        f"total: {pods_change(total['pods'])}; requests {resources(total['requests'], units)}; "
        f"limits {resources(total['limits'], units)}",
    ]
    for ns in body["byNamespace"]:
        figures = f"{pods_change(ns['pods'])}; requests {resources(ns['requests'], units)}"
        lines.append(f"namespace {ns['namespace']}: {figures}")
    fits = {True: "fits", False: "does not fit", None: "absent"}
    for q in body["quotas"]:
        name = f"{q['namespace'] or 'default'}/{q['name']}"
        lines.append(f"quota {name}: {fits[q['fitsBefore']]} -> {fits[q['fitsAfter']]}")
    for s in body["nodeShapes"]:
        lines.append(f"node shape {s['name']}: {s['nodesBefore']} -> {s['nodesAfter']} nodes")
    return "\n".join(lines + warnings(body))


def explanations(body: dict[str, Any]) -> str:
    """``--explain`` as text: each figure's chain, then the advice."""
    lines: list[str] = []
    for item in body["items"]:
        explained = item.get("explanation")
        if not explained:
            continue
        lines += ["", f"{item['kind']}/{item['name'] or '(unnamed)'}:"]
        for which in ("requests", "limits"):
            for name, p in explained["provenance"][which].items():
                parts = [f"{t['container']} {t['value']} ({t['source']})" for t in p["terms"]]
                if p["podLevel"] is not None:
                    parts = [f"pod-level {p['podLevel']}"]
                if p["overhead"] is not None:
                    parts.append(f"overhead {p['overhead']}")
                lines.append(f"  {which} {name} {p['value']}, set by {p['setBy']}: " + " + ".join(parts))
        for a in explained["advice"]:
            lines.append(f"  advice ({a['kind']}): {a['message']}")
            after = a["after"]
            if after:
                lines.append(
                    f"    after: requests {resources(after['requests'])}; limits {resources(after['limits'])}; "
                    f"{after['qosClass']}"
                )
    return "\n".join(lines)


def quantity(body: dict[str, Any]) -> str:
    base = f" {body['baseUnit']}" if body["baseUnit"] else ""
    text = f"{body['canonical']} = {body['value']}{base} ({body['format']}; a pod stores {body['stored']})"
    if "unit" in body:
        text += f" = {body['inUnit']} {body['unit']}" + ("" if body["inUnitExact"] else " (rounded)")
    return text


def live(body: dict[str, Any], show_skipped: bool = False, units: Units = None) -> str:
    """A plan on a running cluster: the answer first, then each node, each quota and each
    changed workload, then the plan's own table."""
    block = body["cluster"]
    snapshot = block["snapshot"]
    lines = [
        block["answer"],
        f"snapshot: {snapshot['pods']} pods running or pending in {snapshot['workloads']} workloads; "
        f"{snapshot['ended']} ended (counted nowhere); {len(snapshot['pending'])} without a node",
    ]
    lines += [f"note: {note}" for note in snapshot["notes"]]
    nodes = body["nodes"]
    if nodes is not None:
        placed = {g["name"]: sum(p["pods"] for p in g["placed"]) for g in nodes["placement"] if g.get("name")}
        rows: list[Sequence[object]] = [("NODE", "ALLOCATABLE", "USED", "FREE", "PLACED")]
        for n in nodes["nodes"]:
            free = resources(n["free"], units)
            rows.append(
                (
                    n["name"],
                    resources(n["allocatable"], units),
                    resources(n["running"], units),
                    free,
                    placed.get(n["name"], 0),
                )
            )
        lines += ["", *columns(rows)]
    if block["quotas"]:
        rows = [("QUOTA", "HARD", "USED", "AFTER", "AT ROLLOUT PEAK")]
        for q in block["quotas"]:
            rows.append(
                (
                    f"{q['namespace'] or 'default'}/{q['name']}",
                    resources(q["hard"], units),
                    resources(q["used"], units),
                    resources(q["after"], units),
                    resources(q["atRolloutPeak"], units),
                )
            )
        lines += ["", *columns(rows)]
    rows = [("WORKLOAD", "NAMESPACE", "CHANGE", "PODS", "REQUESTS", "ROLLOUT PEAK")]
    for w in block["workloads"]:
        d, r = w["delta"], w["rollout"]
        peak = f"{r['peakPods']} pods ({r['strategy']})" if r else "-"
        rows.append(
            (
                f"{w['kind']}/{w['name']}",
                w["namespace"],
                w["change"],
                f"{d['pods']:+d}",
                resources(d["requests"], units),
                peak,
            )
        )
    if len(rows) > 1:
        lines += ["", *columns(rows)]
    return "\n".join([*lines, "", plan(body, show_skipped, units)])
